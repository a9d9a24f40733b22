// `onedp serve`: one policy behind a ZeroMQ ROUTER socket, next to the robot. Clients
// (DEALER or REQ sockets) open sessions; each session keeps its own observation history
// and seed on the server, exactly as one runtime-API handle does (include/onedp.h: reset,
// then observe + act per step), so a session's actions equal what onedp_policy_act returns
// for the same inputs and seed (to float rounding: the batch runs other kernels).
// ACT requests of concurrent sessions that arrive together are batched into one network
// call (policy_predict_rows: each row keeps its session's noise), waiting at most
// max_wait_ms after the first for up to max_batch; replies go back by routing id with the
// client's request id. Malformed requests get an ERROR reply and the server goes on;
// SIGTERM or SIGINT drains the batch in hand and returns. Wire format: serve/protocol.h.
#pragma once
#include "model/policy.h"

typedef struct {
  const char *listen;  // a ZeroMQ endpoint: tcp://127.0.0.1:5555, ipc:///tmp/onedp.sock
  int max_batch;       // ACT requests per network call at most (default 32)
  int max_wait_ms;     // how long the first request of a batch waits for more (default 2)
  int max_sessions;    // sessions held at once (default 4096); RESET beyond is refused
  int quiet;           // no per-second statistics on stderr
} ServeOptions;

typedef struct {
  long requests, acts, batches, errors;
  long sessions;  // open at the end
} ServeStats;

// Serves until SIGTERM/SIGINT (then returns ODP_OK) or a socket error (ODP_ERR).
int serve_run(Policy *p, const SamplerSpec *s, const ServeOptions *o, ServeStats *stats);
