// onedp bench api CKPT: batch-1 latency of one action chunk through the runtime API
// (onedp_policy_act, include/onedp.h) beside the CLI's packed path (what `onedp eval
// --weights f32` times: policy_predict on the packed f32 network), in one process, on the
// same observation, alternating in short blocks so machine noise hits both alike (a block
// keeps one copy of the weights warm in cache, as a control loop does).
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/hw.h"
#include "core/stats.h"
#include "env/env.h"
#include "eval/rollout.h"
#include "model/policy.h"
#include "onedp.h"

#define WARMUP 50  // untimed calls of each path first


// The checkpoint's task at env seed 100000, its reset observation: the history `onedp
// eval` times its chunks on.
static int first_obs(float *obs, Policy *p) {
  PolicyActor actor = {p, {0}, 0};
  ActionSource src = action_source_policy(&actor);
  FrameReader frames;
  Env env = {0};
  const EnvOps *task = env_for_config(p->config_json, "checkpoint");
  int rc = !task || frame_reader_open(&frames, &src, task) || env_create(&env, task->name) ||
           env_reset(&env, 100000) || frame_reader_read(&frames, &env, obs);
  if (env.impl) env_destroy(&env);
  frame_reader_close(&frames);
  return rc ? ODP_ERR : ODP_OK;
}

static void print_help(void) {
  printf("usage: onedp bench api CHECKPOINT [--reps N] [--block K] [--threads N] [--sampler S]\n\n"
         "Batch-1 latency of one action chunk: onedp_policy_act (the runtime API, libonedp)\n"
         "against the CLI's packed f32 path (policy_predict, as `onedp eval --weights f32`),\n"
         "N calls each (default 1000) in alternating blocks of K (default 20), at N threads\n"
         "(default 1).\n"
         "Prints both medians and their ratio; the last line is JSON.\n");
}

typedef struct {
  Policy cli;
  SamplerSpec spec;
  onedp_policy *api;
  float *hist, *obs, act[1024];  // hist (To, D), obs (D): one observation frame
  int To, D;
} Bench;

static int bench_open(Bench *b, const char *ckpt, const char *sampler, int threads) {
  if (onedp_policy_open(&b->api, ckpt, sampler, threads)) return odp_fail("%s", onedp_last_error());
  if (sampler_parse(&b->spec, onedp_policy_sampler(b->api)) || policy_load_inference(&b->cli, ckpt, WEIGHTS_F32))
    return ODP_ERR;
  b->To = b->cli.shape.n_obs_steps, b->D = b->cli.shape.obs_dim;
  if (b->cli.shape.n_action_steps * b->cli.shape.action_dim > 1024)
    return odp_fail("bench api: policy too large for this benchmark's buffers");
  b->hist = odp_malloc((size_t)b->To * b->D * sizeof(float), "observations");
  b->obs = odp_malloc((size_t)b->D * sizeof(float), "observations");
  if (!b->hist || !b->obs || first_obs(b->obs, &b->cli)) return ODP_ERR;
  for (int t = 0; t < b->To; t++) memcpy(b->hist + t * b->D, b->obs, (size_t)b->D * sizeof(float));
  onedp_policy_reset(b->api, 0);
  return onedp_policy_observe(b->api, b->obs) ? odp_fail("%s", onedp_last_error()) : ODP_OK;
}

// Seconds of one call of either path; call i of the run uses round seed i on both.
static int time_call(Bench *b, int api, long i, double *t) {
  double t0 = now_seconds();
  int rc = api ? onedp_policy_act(b->api, b->act)
               : policy_predict(&b->cli, &b->spec, b->hist, 1, eval_round_seed(0, (int)i), b->act);
  *t = now_seconds() - t0;
  return rc ? (api ? odp_fail("%s", onedp_last_error()) : ODP_ERR) : ODP_OK;
}

int bench_api(int argc, char **argv) {
  static const char *const valued[] = {"--reps", "--block", "--threads", "--sampler", NULL};
  if (wants_help(argc, argv)) return print_help(), 0;
  const char *ckpt = arg_positional(argc, argv, valued);
  int reps = arg_int(argc, argv, "--reps", 1000, 1, 1000000);
  int threads = arg_int(argc, argv, "--threads", 1, 1, 1024), block = arg_int(argc, argv, "--block", 20, 1, 1000000);
  if (!ckpt) return fprintf(stderr, "onedp bench api: missing CHECKPOINT\n"), 2;
  Bench *b = calloc(1, sizeof *b);
  double *t_api = malloc(reps * sizeof(double)), *t_cli = malloc(reps * sizeof(double));
  omp_set_num_threads(threads);  // the CLI path's threads, as `onedp eval --threads`
  int rc = !b || !t_api || !t_cli ? odp_fail("out of memory") : bench_open(b, ckpt, arg_string(argc, argv, "--sampler", NULL), threads);
  double dummy;
  for (int k = 0; !rc && k < WARMUP; k++) rc = time_call(b, 0, k, &dummy) || time_call(b, 1, k, &dummy);
  for (int k0 = 0; !rc && k0 < reps; k0 += block)
    for (int path = 0; !rc && path < 2; path++)
      for (int k = k0; !rc && k < k0 + block && k < reps; k++) rc = time_call(b, path, k, path ? t_api + k : t_cli + k);
  if (!rc) {
    double api = median_inplace(t_api, reps) * 1e3, cli = median_inplace(t_cli, reps) * 1e3;
    printf("checkpoint     %s (sampler %s, %d thread%s, %d calls each in blocks of %d)\n", ckpt,
           onedp_policy_sampler(b->api), threads, threads > 1 ? "s" : "", reps, block);
    printf("CLI packed f32 %.4f ms per chunk (policy_predict, as onedp eval --weights f32)\n", cli);
    printf("API act        %.4f ms per chunk (onedp_policy_act)\n", api);
    printf("ratio          %.3f (API / CLI)\n", api / cli);
    printf("{\"checkpoint\": \"%s\", \"threads\": %d, \"calls\": %d, \"cli_ms\": %.5f, \"api_ms\": %.5f, \"ratio\": %.4f}\n",
           ckpt, threads, reps, cli, api, api / cli);
  }
  if (b) onedp_policy_close(b->api), policy_free(&b->cli), free(b->hist), free(b->obs);
  free(b), free(t_api), free(t_cli);
  if (rc) fprintf(stderr, "onedp bench api: %s\n", odp_error());
  return rc ? 1 : 0;
}
