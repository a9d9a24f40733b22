// A minimal client of `onedp serve` in C with libzmq only (docs/serve.md, wire format v1):
// HELLO for the policy's shape, RESET a session with a seed, then ACT once per control
// step with the newest observation; each reply is the action chunk to execute.
// Build: cc serve_client.c -lzmq -o serve_client
// Run:   onedp serve models/pusht_onedp_s.safetensors --listen tcp://127.0.0.1:5555 &
//        ./serve_client tcp://127.0.0.1:5555
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

enum { HELLO = 1, RESET = 2, ACT = 3, ERROR = 255, HEADER = 40 };

static void put(unsigned char *p, uint64_t v, int bytes) {  // little-endian
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

// Sends one request; the reply lands in `reply` (its payload after the 40-byte header).
// Returns the payload's size in bytes, or -1 (with an ERROR reply's message printed).
static int request(void *s, int kind, uint64_t id, uint64_t session, uint64_t arg, const float *payload, int count,
                   unsigned char *reply, int cap) {
  unsigned char msg[HEADER + 4 * 256];
  put(msg, 0x3150444F, 4), put(msg + 4, 1, 2), put(msg + 6, kind, 2);  // "ODP1", version 1, kind
  put(msg + 8, id, 8), put(msg + 16, session, 8), put(msg + 24, arg, 8);
  put(msg + 32, count, 4), put(msg + 36, 0, 4);
  if (count) memcpy(msg + HEADER, payload, 4 * (size_t)count);  // float32, little-endian hosts
  zmq_send(s, msg, HEADER + 4 * (size_t)count, 0);
  int n = zmq_recv(s, reply, cap, 0);
  if (n < HEADER) return -1;
  if (get(reply + 6, 2) == ERROR) {
    printf("server: %.*s\n", (int)get(reply + 32, 4), reply + HEADER);
    return -1;
  }
  return n - HEADER;
}

int main(int argc, char **argv) {
  void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
  zmq_connect(s, argc > 1 ? argv[1] : "tcp://127.0.0.1:5555");
  unsigned char reply[HEADER + 4 * 256];
  float shape[4], obs[256] = {0}, actions[256];
  if (request(s, HELLO, 1, 0, 0, NULL, 0, reply, sizeof reply) != 16) return 1;
  memcpy(shape, reply + HEADER, sizeof shape);
  const int obs_dim = (int)shape[0], action_dim = (int)shape[1], chunk = (int)shape[2];
  printf("policy: %d observation floats, %d x %d actions per chunk\n", obs_dim, chunk, action_dim);
  if (obs_dim > 256 || request(s, RESET, 2, 1, 42, NULL, 0, reply, sizeof reply) < 0) return 1;
  for (int step = 0; step < 5; step++) {
    for (int j = 0; j < obs_dim; j++) obs[j] = 200.0f + 10.0f * j + step;  // the robot's sensors here
    int bytes = request(s, ACT, 3 + step, 1, 0, obs, obs_dim, reply, sizeof reply);
    if (bytes != 4 * chunk * action_dim) return 1;
    memcpy(actions, reply + HEADER, (size_t)bytes);
    printf("step %d: first action (%.1f, %.1f)\n", step, actions[0], actions[1]);
  }
  zmq_close(s);
  zmq_ctx_term(ctx);
  return 0;
}
