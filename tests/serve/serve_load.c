// A load client for `onedp serve` (the test and the benchmark, tests/serve.cmake and
// bench/serve_load.sh): C concurrent clients (threads, one DEALER socket and one session
// each) send R ACTs each, one after another, and time every round trip. Then every reply is
// checked against the runtime API (libonedp, include/onedp.h) fed the same session inputs
// and seed: no reply lost, none misrouted (request id, session, actions). Prints p50/p99
// latency and throughput; exit 1 on any mismatch.
// Usage: serve_load ENDPOINT CHECKPOINT CLIENTS REQUESTS
//        serve_load ENDPOINT --malformed     (bad requests get ERROR replies; a good one still works)
//        serve_load ENDPOINT --abandon       (sends an ACT and exits without reading the reply)
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "onedp.h"
#include "serve/protocol.h"

enum { OBS_DIM = 20, CHUNK = 16 };  // the low-dim PushT policies: 20 observation floats, 8 x 2 actions

static void *ctx;
static const char *endpoint;
static int requests;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// Session i's observation at step r: a deterministic walk over the workspace.
static void observation(int i, int r, float *obs) {
  for (int j = 0; j < OBS_DIM; j++) obs[j] = 100.0f + (float)((i * 37 + r * 11 + j * 13) % 300);
}

// One request and its reply; returns the reply's kind (0 on a transport failure).
static int call(void *s, int kind, uint64_t id, uint64_t session, uint64_t arg, const void *payload, uint32_t count,
                size_t bytes, ServeHeader *rh, unsigned char *reply, size_t cap) {
  unsigned char msg[SERVE_HEADER_BYTES + 4 * OBS_DIM + 64];
  ServeHeader h = {SERVE_MAGIC, SERVE_VERSION, (uint16_t)kind, id, session, arg, count, 0};
  size_t size = serve_encode(msg, sizeof msg, &h, payload, bytes);
  if (!size || zmq_send(s, msg, size, 0) < 0) return 0;
  int n = zmq_recv(s, reply, cap, 0);
  if (n < SERVE_HEADER_BYTES) return 0;
  const void *p;
  serve_decode(reply, SERVE_HEADER_BYTES, rh, &p);  // the reply's header fields (its payload is checked by size below)
  return rh->kind;
}

typedef struct {
  int index, failures;
  float *actions;   // [requests][CHUNK]
  double *latency;  // [requests]
} Client;

static void *client_run(void *arg) {
  Client *c = arg;
  void *s = zmq_socket(ctx, ZMQ_DEALER);
  zmq_connect(s, endpoint);
  unsigned char reply[SERVE_HEADER_BYTES + 4 * CHUNK + 1024];
  ServeHeader h;
  const uint64_t session = 1000 + c->index;
  if (call(s, SERVE_RESET, 1, session, 7000 + c->index, NULL, 0, 0, &h, reply, sizeof reply) != SERVE_RESET) c->failures++;
  for (int r = 0; r < requests && !c->failures; r++) {
    float obs[OBS_DIM];
    observation(c->index, r, obs);
    const uint64_t id = ((uint64_t)c->index << 32) | (uint64_t)r;
    double t0 = now();
    int kind = call(s, SERVE_ACT, id, session, 0, obs, OBS_DIM, sizeof obs, &h, reply, sizeof reply);
    c->latency[r] = now() - t0;
    if (kind != SERVE_ACT || h.request_id != id || h.session != session || h.count != CHUNK) {
      fprintf(stderr, "client %d request %d: kind %d, id %llx (sent %llx), session %llu, count %u\n", c->index, r, kind,
              (unsigned long long)h.request_id, (unsigned long long)id, (unsigned long long)h.session, h.count);
      c->failures++;
      break;
    }
    memcpy(c->actions + (long)r * CHUNK, reply + SERVE_HEADER_BYTES, CHUNK * sizeof(float));
  }
  zmq_close(s);
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// The API's actions for client i's session, compared with what the server sent.
static double check_against_api(const char *ckpt, const Client *c, int *bad) {
  onedp_policy *p;
  double worst = 0;
  if (onedp_policy_open(&p, ckpt, NULL, 1)) return fprintf(stderr, "%s\n", onedp_last_error()), *bad = 1, 0;
  onedp_policy_reset(p, 7000 + c->index);
  for (int r = 0; r < requests; r++) {
    float obs[OBS_DIM], act[CHUNK];
    observation(c->index, r, obs);
    if (onedp_policy_observe(p, obs) || onedp_policy_act(p, act)) *bad = 1;
    for (int k = 0; k < CHUNK; k++) worst = fmax(worst, fabs(act[k] - c->actions[(long)r * CHUNK + k]));
  }
  onedp_policy_close(p);
  return worst;
}

static int load(const char *ckpt, int clients) {
  Client *c = calloc((size_t)clients, sizeof *c);
  pthread_t *th = calloc((size_t)clients, sizeof *th);
  for (int i = 0; i < clients; i++) {
    c[i].index = i;
    c[i].actions = calloc((size_t)requests * CHUNK, sizeof(float));
    c[i].latency = calloc((size_t)requests, sizeof(double));
  }
  double t0 = now();
  for (int i = 0; i < clients; i++) pthread_create(&th[i], NULL, client_run, &c[i]);
  for (int i = 0; i < clients; i++) pthread_join(th[i], NULL);
  double wall = now() - t0;
  long total = (long)clients * requests;
  double *all = malloc((size_t)total * sizeof *all);
  int failures = 0, bad = 0;
  for (int i = 0; i < clients; i++) {
    failures += c[i].failures;
    memcpy(all + (long)i * requests, c[i].latency, (size_t)requests * sizeof(double));
  }
  qsort(all, (size_t)total, sizeof *all, cmp_double);
  double worst = 0;
  for (int i = 0; i < clients && !failures; i++) worst = fmax(worst, check_against_api(ckpt, &c[i], &bad));
  printf("{\"clients\": %d, \"requests\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"throughput\": %.1f, "
         "\"failures\": %d, \"max_action_diff\": %.3g}\n",
         clients, requests, 1e3 * all[total / 2], 1e3 * all[(long)(total * 0.99)], total / wall, failures, worst);
  for (int i = 0; i < clients; i++) free(c[i].actions), free(c[i].latency);
  free(c), free(th), free(all);
  // float rounding only: a batch runs other kernels than batch 1 (tests/test_policy_infer.c)
  return failures || bad || worst > 1e-2;
}

// Requests that must get an ERROR reply, then a good ACT that must not.
static int malformed(void) {
  void *s = zmq_socket(ctx, ZMQ_DEALER);
  zmq_connect(s, endpoint);
  unsigned char reply[4096], msg[256];
  ServeHeader h, good = {SERVE_MAGIC, SERVE_VERSION, SERVE_RESET, 1, 5, 9, 0, 0};
  float obs[OBS_DIM];
  observation(0, 0, obs);
  int failures = 0;
  struct {
    const char *what;
    ServeHeader h;
    size_t cut;  // bytes sent of header + payload (0: all)
    int nan;
  } cases[] = {
      {"truncated header", {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 2, 5, 0, OBS_DIM, 0}, 30, 0},
      {"truncated payload", {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 3, 5, 0, OBS_DIM, 0}, 60, 0},
      {"oversized count", {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 4, 5, 0, 0xffffffffu, 0}, 0, 0},
      {"wrong dimension", {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 5, 5, 0, OBS_DIM - 2, 0}, 0, 0},
      {"NaN observation", {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 6, 5, 0, OBS_DIM, 0}, 0, 1},
      {"unknown version", {SERVE_MAGIC, 9, SERVE_ACT, 7, 5, 0, OBS_DIM, 0}, 0, 0},
      {"unknown kind", {SERVE_MAGIC, SERVE_VERSION, 77, 8, 5, 0, 0, 0}, 0, 0},
      {"bad magic", {0x12345678u, SERVE_VERSION, SERVE_ACT, 9, 5, 0, OBS_DIM, 0}, 0, 0},
  };
  const void *p;
  size_t n = serve_encode(msg, sizeof msg, &good, NULL, 0);
  zmq_send(s, msg, n, 0);
  zmq_recv(s, reply, sizeof reply, 0);
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    float payload[OBS_DIM];
    memcpy(payload, obs, sizeof obs);
    if (cases[k].nan) payload[3] = NAN;
    const uint32_t floats = cases[k].h.count <= OBS_DIM ? cases[k].h.count : OBS_DIM;
    n = serve_encode(msg, sizeof msg, &cases[k].h, payload, floats * sizeof(float));
    zmq_send(s, msg, cases[k].cut ? cases[k].cut : n, 0);
    int got = zmq_recv(s, reply, sizeof reply - 1, 0);
    serve_decode(reply, SERVE_HEADER_BYTES, &h, &p);
    if (got >= SERVE_HEADER_BYTES) reply[got < (int)sizeof reply - 1 ? got : (int)sizeof reply - 1] = 0;
    int ok = got >= SERVE_HEADER_BYTES && h.kind == SERVE_ERROR;
    printf("%-18s -> %s: %s\n", cases[k].what, ok ? "ERROR reply" : "NO ERROR", got >= SERVE_HEADER_BYTES ? (char *)reply + SERVE_HEADER_BYTES : "");
    failures += !ok;
  }
  ServeHeader act = {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 10, 5, 0, OBS_DIM, 0};
  n = serve_encode(msg, sizeof msg, &act, obs, sizeof obs);
  zmq_send(s, msg, n, 0);
  int got = zmq_recv(s, reply, sizeof reply, 0);
  serve_decode(reply, SERVE_HEADER_BYTES, &h, &p);
  int ok = got == SERVE_HEADER_BYTES + 4 * CHUNK && h.kind == SERVE_ACT && h.request_id == 10;
  printf("good ACT after them -> %s\n", ok ? "actions" : "FAILED");
  zmq_close(s);
  return failures || !ok;
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: serve_load ENDPOINT CHECKPOINT CLIENTS REQUESTS | --malformed | --abandon\n"), 2;
  endpoint = argv[1];
  ctx = zmq_ctx_new();
  int rc;
  if (!strcmp(argv[2], "--malformed")) {
    rc = malformed();
  } else if (!strcmp(argv[2], "--abandon")) {  // a client that dies mid-request
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    zmq_connect(s, endpoint);
    unsigned char msg[SERVE_HEADER_BYTES + 4 * OBS_DIM];
    float obs[OBS_DIM];
    observation(1, 1, obs);
    ServeHeader r = {SERVE_MAGIC, SERVE_VERSION, SERVE_RESET, 1, 3, 1, 0, 0}, a = {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 2, 3, 0, OBS_DIM, 0};
    zmq_send(s, msg, serve_encode(msg, sizeof msg, &r, NULL, 0), 0);
    zmq_send(s, msg, serve_encode(msg, sizeof msg, &a, obs, sizeof obs), 0);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);  // the requests leave; then the process dies before the reply
    _Exit(0);  // no close, no reply read: the connection just goes away
  } else if (argc == 5) {
    requests = atoi(argv[4]);
    rc = load(argv[2], atoi(argv[3]));
  } else {
    return fprintf(stderr, "serve_load: CLIENTS and REQUESTS expected\n"), 2;
  }
  zmq_ctx_term(ctx);
  return rc;
}
