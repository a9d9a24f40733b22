#include "serve/server.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "core/error.h"
#include "core/hw.h"
#include "model/obs_history.h"
#include "serve/protocol.h"

#define MAX_ROUTING_ID 255  // ZeroMQ's limit on a routing id
#define MAX_MESSAGE_BYTES (64L << 20)  // larger messages close the sender's connection (ZMQ_MAXMSGSIZE)

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig, stop_requested = 1; }

// ---------------------------------------------------------------- sessions

typedef struct {
  unsigned char id[MAX_ROUTING_ID];  // the client's routing id
  int id_len, used;
  uint64_t session;
  uint64_t seed;  // RESET's
  long calls;     // ACTs since the reset: call i draws with policy_call_seed(seed, i), as the API's act
  ObsHistory hist;
} Session;

// Open addressing over 2 x max_sessions slots. `used`: 0 never used (a lookup stops there),
// 1 open, 2 closed (a tombstone: lookups probe past it, a new session may take it, and its
// history buffer is reused).
typedef struct {
  Session *slot;
  long capacity, open;
} SessionTable;

static uint64_t session_hash(const unsigned char *id, int len, uint64_t session) {
  uint64_t h = 1469598103934665603ull ^ session;
  for (int i = 0; i < len; i++) h = (h ^ id[i]) * 1099511628211ull;
  return (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
}

static int session_is(const Session *s, const unsigned char *id, int len, uint64_t session) {
  return s->used == 1 && s->id_len == len && s->session == session && !memcmp(s->id, id, (size_t)len);
}

// The session's slot, or NULL; with `create`, a free slot claimed for it (NULL when full).
static Session *session_find(SessionTable *t, const unsigned char *id, int len, uint64_t session, int create) {
  Session *free_slot = NULL;
  for (long i = 0, at = (long)(session_hash(id, len, session) % (uint64_t)t->capacity); i < t->capacity;
       i++, at = (at + 1) % t->capacity) {
    Session *s = &t->slot[at];
    if (session_is(s, id, len, session)) return s;
    if (s->used != 1 && !free_slot) free_slot = s;
    if (s->used == 0) break;
  }
  if (!create || !free_slot || t->open * 2 >= t->capacity) return NULL;
  memcpy(free_slot->id, id, (size_t)len);
  free_slot->id_len = len, free_slot->session = session, free_slot->used = 1;
  t->open++;
  return free_slot;
}

// ---------------------------------------------------------------- the server

typedef struct {  // one ACT waiting for the batch
  unsigned char id[MAX_ROUTING_ID];
  int id_len, delimiter;  // REQ clients put an empty frame between id and message
  uint64_t request_id, session, seed;
} Pending;

typedef struct {
  Policy *policy;
  const SamplerSpec *sampler;
  const ServeOptions *opt;
  void *socket;
  SessionTable sessions;
  int obs_dim, action_dim, chunk, n_obs_steps;
  Pending *pending;
  int n_pending;
  float *obs, *actions;  // the batch: (max_batch, n_obs_steps, obs_dim), (max_batch, chunk)
  uint64_t *seeds;
  unsigned char *out;    // one reply
  size_t out_cap;
  ServeStats *stats;
} Server;

// A vanished client's replies are dropped by the ROUTER: its failure is not the server's.
static void send_frames(Server *sv, const unsigned char *id, int id_len, int delimiter, const void *msg, size_t size) {
  if (zmq_send(sv->socket, id, (size_t)id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return;
  if (delimiter && zmq_send(sv->socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return;
  zmq_send(sv->socket, msg, size, ZMQ_DONTWAIT);
}

static void reply(Server *sv, const unsigned char *id, int id_len, int delimiter, uint16_t kind, uint64_t request_id,
                  uint64_t session, const void *payload, uint32_t count, size_t bytes) {
  ServeHeader h = {SERVE_MAGIC, SERVE_VERSION, kind, request_id, session, 0, count, 0};
  size_t size = serve_encode(sv->out, sv->out_cap, &h, payload, bytes);
  if (size) send_frames(sv, id, id_len, delimiter, sv->out, size);
}

static void reply_error(Server *sv, const unsigned char *id, int id_len, int delimiter, uint64_t request_id,
                        uint64_t session, const char *msg) {
  size_t n = strlen(msg);
  if (n > 1000) n = 1000;
  sv->stats->errors++;
  reply(sv, id, id_len, delimiter, SERVE_ERROR, request_id, session, msg, (uint32_t)n, n);
}

// One network call over the ACTs in hand; each reply carries its request's id.
static void run_batch(Server *sv) {
  const int B = sv->n_pending;
  if (!B) return;
  for (int b = 0; b < B; b++) sv->seeds[b] = sv->pending[b].seed;
  const int rc = policy_predict_rows(sv->policy, sv->sampler, sv->obs, B, sv->seeds, sv->actions);
  for (int b = 0; b < B; b++) {
    const Pending *q = &sv->pending[b];
    if (rc) reply_error(sv, q->id, q->id_len, q->delimiter, q->request_id, q->session, odp_error());
    else
      reply(sv, q->id, q->id_len, q->delimiter, SERVE_ACT, q->request_id, q->session,
            sv->actions + (long)b * sv->chunk, (uint32_t)sv->chunk, (size_t)sv->chunk * sizeof(float));
  }
  sv->stats->batches++, sv->stats->acts += B;
  sv->n_pending = 0;
}

// ACT: the observation joins the session's history (the API's observe), and the request
// waits for the batch with a snapshot of that history and its call's seed (the API's act).
static void handle_act(Server *sv, const unsigned char *id, int id_len, int delimiter, const ServeHeader *h,
                       const void *payload) {
  Session *s = session_find(&sv->sessions, id, id_len, h->session, 0);
  char msg[160];
  if (!s) {
    snprintf(msg, sizeof msg, "ACT: session %llu is not open (RESET it first)", (unsigned long long)h->session);
    return reply_error(sv, id, id_len, delimiter, h->request_id, h->session, msg);
  }
  if ((int)h->count != sv->obs_dim) {
    snprintf(msg, sizeof msg, "ACT: %u observation floats; the policy observes %d", h->count, sv->obs_dim);
    return reply_error(sv, id, id_len, delimiter, h->request_id, h->session, msg);
  }
  const int slot = sv->n_pending;
  float *obs = sv->obs + (long)slot * sv->n_obs_steps * sv->obs_dim, *frame = obs;  // the frame lands here first
  memcpy(frame, payload, (size_t)sv->obs_dim * sizeof(float));
  for (int j = 0; j < sv->obs_dim; j++)
    if (!isfinite(frame[j])) {
      snprintf(msg, sizeof msg, "ACT: observation element %d is not finite", j);
      return reply_error(sv, id, id_len, delimiter, h->request_id, h->session, msg);
    }
  obs_history_push(&s->hist, frame);
  memcpy(obs, s->hist.obs, (size_t)sv->n_obs_steps * sv->obs_dim * sizeof(float));
  Pending *q = &sv->pending[slot];
  memcpy(q->id, id, (size_t)id_len);
  q->id_len = id_len, q->delimiter = delimiter, q->request_id = h->request_id, q->session = h->session;
  q->seed = policy_call_seed(s->seed, s->calls++);
  sv->n_pending++;
}

static void handle(Server *sv, const unsigned char *id, int id_len, int delimiter, const void *msg, size_t size) {
  ServeHeader h;
  const void *payload;
  sv->stats->requests++;
  if (serve_decode(msg, size, &h, &payload)) return reply_error(sv, id, id_len, delimiter, h.request_id, h.session, odp_error());
  if (h.kind == SERVE_ACT) return handle_act(sv, id, id_len, delimiter, &h, payload);
  if (h.count)
    return reply_error(sv, id, id_len, delimiter, h.request_id, h.session, "HELLO, RESET and CLOSE carry no payload");
  if (h.kind == SERVE_HELLO) {
    const float shape[4] = {(float)sv->obs_dim, (float)sv->action_dim, (float)(sv->chunk / sv->action_dim),
                            (float)sv->n_obs_steps};
    return reply(sv, id, id_len, delimiter, SERVE_HELLO, h.request_id, h.session, shape, 4, sizeof shape);
  }
  Session *s = session_find(&sv->sessions, id, id_len, h.session, h.kind == SERVE_RESET);
  if (h.kind == SERVE_RESET) {
    if (!s) return reply_error(sv, id, id_len, delimiter, h.request_id, h.session, "RESET: the server holds its most sessions");
    if (!s->hist.obs && obs_history_init(&s->hist, sv->n_obs_steps, sv->obs_dim)) {
      s->used = 2, sv->sessions.open--;
      return reply_error(sv, id, id_len, delimiter, h.request_id, h.session, odp_error());
    }
    obs_history_reset(&s->hist);
    s->seed = h.arg, s->calls = 0;
  } else if (s) {  // CLOSE: the slot (and its history buffer) stays for a later session
    s->used = 2, sv->sessions.open--;
  }
  reply(sv, id, id_len, delimiter, h.kind, h.request_id, h.session, NULL, 0, 0);
}

// One message if one is waiting (*got set): [id][message] from a DEALER, [id][empty]
// [message] from a REQ; other shapes are read and dropped (they cannot be answered).
static int receive_one(Server *sv, int *got) {
  zmq_msg_t part[3];
  int n = 0, extra = 0, more = 1, rc = ODP_OK;
  *got = 0;
  while (more) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sv->socket, n || extra ? 0 : ZMQ_DONTWAIT) < 0) {
      const int e = errno;
      zmq_msg_close(&m);
      if (!n && !extra && (e == EAGAIN || e == EINTR)) return ODP_OK;
      rc = odp_fail("serve: receive: %s", zmq_strerror(e));
      break;
    }
    more = zmq_msg_more(&m);
    if (n < 3) zmq_msg_init(&part[n]), zmq_msg_move(&part[n], &m), n++;
    else extra++;
    zmq_msg_close(&m);
  }
  *got = !rc;
  const int delimiter = n == 3 && zmq_msg_size(&part[1]) == 0;
  if (!rc && !extra && (n == 2 || delimiter) && zmq_msg_size(&part[0]) <= MAX_ROUTING_ID)
    handle(sv, zmq_msg_data(&part[0]), (int)zmq_msg_size(&part[0]), delimiter, zmq_msg_data(&part[n - 1]),
           zmq_msg_size(&part[n - 1]));
  for (int i = 0; i < n; i++) zmq_msg_close(&part[i]);
  return rc;
}

// Every message waiting on the socket, without blocking; a full batch runs at once.
static int receive_all(Server *sv) {
  for (int got = 1; got;) {
    if (receive_one(sv, &got)) return ODP_ERR;
    if (sv->n_pending == sv->opt->max_batch) run_batch(sv);
  }
  return ODP_OK;
}

static int server_open(Server *sv) {
  const PolicyShape *sh = &sv->policy->shape;
  sv->obs_dim = sh->obs_dim, sv->action_dim = sh->action_dim, sv->n_obs_steps = sh->n_obs_steps;
  sv->chunk = sh->n_action_steps * sh->action_dim;
  const long B = sv->opt->max_batch;
  sv->sessions.capacity = 2L * sv->opt->max_sessions;
  sv->sessions.slot = odp_calloc((unsigned long)sv->sessions.capacity, sizeof(Session), "sessions");
  sv->pending = odp_calloc((unsigned long)B, sizeof(Pending), "pending requests");
  sv->obs = odp_malloc((unsigned long)(B * sh->n_obs_steps * sh->obs_dim) * sizeof(float), "batched observations");
  sv->actions = odp_malloc((unsigned long)(B * sv->chunk) * sizeof(float), "batched actions");
  sv->seeds = odp_malloc((unsigned long)B * sizeof(uint64_t), "batched seeds");
  sv->out_cap = SERVE_HEADER_BYTES + 1024 + (size_t)sv->chunk * sizeof(float);
  sv->out = odp_malloc(sv->out_cap, "reply");
  if (!sv->sessions.slot || !sv->pending || !sv->obs || !sv->actions || !sv->seeds || !sv->out) return ODP_ERR;
  return policy_reserve(sv->policy, 1);
}

static void server_close(Server *sv) {
  for (long i = 0; sv->sessions.slot && i < sv->sessions.capacity; i++) obs_history_free(&sv->sessions.slot[i].hist);
  free(sv->sessions.slot), free(sv->pending), free(sv->obs), free(sv->actions), free(sv->seeds), free(sv->out);
}

int serve_run(Policy *p, const SamplerSpec *s, const ServeOptions *o, ServeStats *stats) {
  memset(stats, 0, sizeof *stats);
  if (o->max_batch < 1 || o->max_wait_ms < 0 || o->max_sessions < 1)
    return odp_fail("serve: max batch, wait and sessions must be positive");
  Server sv = {.policy = p, .sampler = s, .opt = o, .stats = stats};
  void *ctx = zmq_ctx_new();
  int rc = server_open(&sv);
  if (!rc && !(sv.socket = zmq_socket(ctx, ZMQ_ROUTER))) rc = odp_fail("serve: socket: %s", zmq_strerror(errno));
  const int64_t max_bytes = MAX_MESSAGE_BYTES;
  const int linger = 0;
  if (!rc) zmq_setsockopt(sv.socket, ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes);
  if (!rc) zmq_setsockopt(sv.socket, ZMQ_LINGER, &linger, sizeof linger);
  if (!rc && zmq_bind(sv.socket, o->listen)) rc = odp_fail("serve: cannot listen on %s: %s", o->listen, zmq_strerror(errno));
  struct sigaction sa = {0}, old_term, old_int;
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, &old_term), sigaction(SIGINT, &sa, &old_int);
  stop_requested = 0;
  if (!rc && !o->quiet) fprintf(stderr, "serve: listening on %s (batches of up to %d, %d ms wait)\n", o->listen, o->max_batch, o->max_wait_ms);
  double deadline = 0, report = now_seconds() + 1;
  long last_acts = 0;
  while (!rc && !stop_requested) {
    const double now = now_seconds();
    const int wait_ms = sv.n_pending ? (int)fmax(0, ceil((deadline - now) * 1e3)) : 200;
    zmq_pollitem_t item = {sv.socket, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, wait_ms) < 0 && errno != EINTR) rc = odp_fail("serve: poll: %s", zmq_strerror(errno));
    const int waiting = sv.n_pending;
    if (!rc && (item.revents & ZMQ_POLLIN)) rc = receive_all(&sv);
    if (!waiting && sv.n_pending) deadline = now_seconds() + o->max_wait_ms * 1e-3;  // a batch opens
    if (sv.n_pending && now_seconds() >= deadline) run_batch(&sv);
    if (!o->quiet && now_seconds() >= report) {
      if (stats->acts != last_acts)
        fprintf(stderr, "serve: %ld acts in %ld batches, %ld sessions open, %ld errors\n", stats->acts, stats->batches,
                sv.sessions.open, stats->errors);
      last_acts = stats->acts, report = now_seconds() + 1;
    }
  }
  run_batch(&sv);  // drain: every request in hand is answered
  stats->sessions = sv.sessions.open;
  sigaction(SIGTERM, &old_term, NULL), sigaction(SIGINT, &old_int, NULL);
  if (sv.socket) zmq_close(sv.socket);
  zmq_ctx_term(ctx);
  server_close(&sv);
  return rc;
}
