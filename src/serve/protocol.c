#include "serve/protocol.h"

#include <string.h>

#include "core/error.h"
#include "core/le.h"

int serve_decode(const void *msg, size_t size, ServeHeader *h, const void **payload) {
  const unsigned char *m = msg;
  memset(h, 0, sizeof *h);
  *payload = NULL;
  if (size < SERVE_HEADER_BYTES) return odp_fail("message of %zu bytes: shorter than the %d-byte header", size, SERVE_HEADER_BYTES);
  h->magic = (uint32_t)le_load(m, 4), h->version = (uint16_t)le_load(m + 4, 2), h->kind = (uint16_t)le_load(m + 6, 2);
  h->request_id = le_load(m + 8, 8), h->session = le_load(m + 16, 8), h->arg = le_load(m + 24, 8);
  h->count = (uint32_t)le_load(m + 32, 4), h->reserved = (uint32_t)le_load(m + 36, 4);
  if (h->magic != SERVE_MAGIC) return odp_fail("bad magic 0x%08x (expected \"ODP1\")", h->magic);
  if (h->version != SERVE_VERSION) return odp_fail("protocol version %u (this server speaks %d)", h->version, SERVE_VERSION);
  if (h->kind < SERVE_HELLO || h->kind > SERVE_CLOSE) return odp_fail("unknown request kind %u", h->kind);
  if (h->count > SERVE_MAX_PAYLOAD) return odp_fail("payload of %u elements: more than %u", h->count, SERVE_MAX_PAYLOAD);
  if (size != SERVE_HEADER_BYTES + (size_t)h->count * 4)
    return odp_fail("message of %zu bytes: a header and %u floats are %zu", size, h->count,
                    SERVE_HEADER_BYTES + (size_t)h->count * 4);
  *payload = m + SERVE_HEADER_BYTES;
  return ODP_OK;
}

size_t serve_encode(void *buf, size_t cap, const ServeHeader *h, const void *payload, size_t payload_bytes) {
  const size_t size = SERVE_HEADER_BYTES + payload_bytes;
  if (size > cap) return 0;
  unsigned char *m = buf;
  le_store(m, h->magic, 4), le_store(m + 4, h->version, 2), le_store(m + 6, h->kind, 2);
  le_store(m + 8, h->request_id, 8), le_store(m + 16, h->session, 8), le_store(m + 24, h->arg, 8);
  le_store(m + 32, h->count, 4), le_store(m + 36, h->reserved, 4);
  if (payload_bytes) memcpy(m + SERVE_HEADER_BYTES, payload, payload_bytes);
  return size;
}
