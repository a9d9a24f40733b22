// onedp serve CHECKPOINT --listen ENDPOINT: the policy behind a ZeroMQ socket
// (serve/server.h), sessions batched into shared network calls.
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "serve/server.h"

static const char *const valued[] = {"--listen", "--sampler", "--weights", "--threads", "--max-batch", "--max-wait-ms",
                                     "--max-sessions", NULL};

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp serve CHECKPOINT --listen ENDPOINT [--sampler S] [--weights f32|bf16]\n"
          "                   [--threads N] [--max-batch N] [--max-wait-ms MS] [--max-sessions N] [--quiet]\n\n"
          "Serves the policy next to the robot over ZeroMQ (a ROUTER socket; clients use DEALER or\n"
          "REQ sockets). Each client session keeps its observation history and seed on the server,\n"
          "as a runtime-API handle does: RESET(seed), then ACT(observation) -> the action chunk.\n"
          "ACTs of concurrent sessions are batched into one network call (each session keeps its own\n"
          "noise: its actions are the API's for the same inputs and seed). Malformed requests get an\n"
          "ERROR reply; SIGTERM or Ctrl-C answers the requests in hand and exits 0. Wire format:\n"
          "docs/serve.md; clients: examples/serve_client.c, examples/serve_client.py.\n\n"
          "  --listen E         endpoint to bind: tcp://127.0.0.1:5555, tcp://*:5555, ipc:///tmp/onedp.sock\n"
          "  --sampler S        as in eval (default: onestep for a one-step student, ddim:10 otherwise)\n"
          "  --weights W        f32 (default) or bf16: the packed inference network\n"
          "  --threads N        threads per network call (default 1: a batch is one call)\n"
          "  --max-batch N      ACTs per network call at most (default 32)\n"
          "  --max-wait-ms MS   how long a batch's first ACT waits for others (default 2)\n"
          "  --max-sessions N   sessions open at once (default 4096)\n"
          "  --quiet            no statistics on stderr\n");
}

int cmd_serve(int argc, char **argv) {
  if (wants_help(argc, argv)) return usage(stdout), 0;
  static const char *const flags[] = {"--quiet", NULL};
  const char *unknown = arg_unknown(argc, argv, valued, flags);
  if (unknown) return fprintf(stderr, "onedp serve: unknown option '%s' (onedp serve --help)\n", unknown), 2;
  const char *ckpt = arg_positional(argc, argv, valued);
  ServeOptions o = {.listen = arg_string(argc, argv, "--listen", NULL), .quiet = arg_flag(argc, argv, "--quiet")};
  o.max_batch = arg_int(argc, argv, "--max-batch", 32, 1, 4096);
  o.max_wait_ms = arg_int(argc, argv, "--max-wait-ms", 2, 0, 10000);
  o.max_sessions = arg_int(argc, argv, "--max-sessions", 4096, 1, 1 << 20);
  const int threads = arg_int(argc, argv, "--threads", 1, 1, 1024);
  if (!ckpt || !o.listen) return fprintf(stderr, "onedp serve: needs CHECKPOINT and --listen (onedp serve --help)\n"), 2;
  WeightFormat fmt;
  if (weight_format_parse(&fmt, arg_string(argc, argv, "--weights", "f32")))
    return fprintf(stderr, "onedp serve: %s\n", odp_error()), 2;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  Policy p;
  if (policy_load_inference(&p, ckpt, fmt)) return fprintf(stderr, "onedp serve: %s\n", odp_error()), 1;
  SamplerSpec s;
  const char *sampler = arg_string(argc, argv, "--sampler", p.generator_timestep >= 0 ? "onestep" : "ddim:10");
  if (sampler_parse(&s, sampler) || (policy_check_sampler(&p, &s) && odp_fail_context("%s", ckpt))) {
    fprintf(stderr, "onedp serve: %s\n", odp_error());
    policy_free(&p);
    return 1;
  }
  ServeStats st;
  int rc = serve_run(&p, &s, &o, &st);
  policy_free(&p);
  if (rc) return fprintf(stderr, "onedp serve: %s\n", odp_error()), 1;
  if (!o.quiet)
    fprintf(stderr, "serve: stopped: %ld requests, %ld acts in %ld batches, %ld errors, %ld sessions open\n",
            st.requests, st.acts, st.batches, st.errors, st.sessions);
  return 0;
}
