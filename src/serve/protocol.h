// The wire format of `onedp serve`, version 1 (docs/serve.md is its reference): every
// request and reply is one ZeroMQ message frame holding a 40-byte little-endian header and
// `count` payload elements:
//   offset 0  u32 magic   "ODP1" (0x3150444F)
//          4  u16 version 1
//          6  u16 kind    HELLO, RESET, ACT, CLOSE; a reply repeats the request's kind, or ERROR
//          8  u64 request_id  the client's; echoed in the reply
//         16  u64 session     the client's session number (sessions are per client connection)
//         24  u64 arg         RESET: the session's seed; otherwise 0
//         32  u32 count       payload elements: float32 for HELLO/ACT, bytes for ERROR
//         36  u32 reserved    0
// This module only encodes and decodes (no sockets), so the decoder can be fuzzed alone.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define SERVE_MAGIC 0x3150444Fu  // bytes "ODP1"
#define SERVE_VERSION 1
#define SERVE_HEADER_BYTES 40
#define SERVE_MAX_PAYLOAD (1u << 24)  // elements: a 16M-float observation is no robot's

typedef enum { SERVE_HELLO = 1, SERVE_RESET = 2, SERVE_ACT = 3, SERVE_CLOSE = 4, SERVE_ERROR = 255 } ServeKind;

typedef struct {
  uint32_t magic;
  uint16_t version, kind;
  uint64_t request_id, session, arg;
  uint32_t count, reserved;
} ServeHeader;

// Parses a request: the header, then a payload of exactly count float32 values (at
// *payload, unaligned: read with memcpy). ODP_OK, or ODP_ERR with odp_error saying what
// is wrong (too short, bad magic or version, unknown kind, payload size); *h holds what
// could be read (its request_id is echoed in the error reply when the header is whole).
int serve_decode(const void *msg, size_t size, ServeHeader *h, const void **payload);
// Writes header + payload_bytes into buf (cap bytes); returns the message size, 0 if it
// does not fit.
size_t serve_encode(void *buf, size_t cap, const ServeHeader *h, const void *payload, size_t payload_bytes);
