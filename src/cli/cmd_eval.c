// onedp eval CHECKPOINT --sampler ddpm:100 --seeds 100000:100050: closed-loop evaluation
// with the reference protocol (eval/rollout.h); summary table, then one JSON line.
#include <cblas.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/hw.h"
#include "core/progress.h"
#include "dist/dist.h"
#include "env/env.h"
#include "eval/rollout.h"
#include "eval/seed_range.h"

#define MAX_GIF_SEEDS 64

static const char *const valued[] = {"--sampler", "--seeds", "--seed", "--threads", "--gif", "--gif-seeds",
                                     "--gif-size", "--gif-count", "--hz-repeats", "--weights", "--max-steps", "--draws", "--refiner",
                                     "--realtime", "--latency-ms", "--slowdown", NULL};
static const char *const flags[] = {"--per-episode", "--perturb", NULL};

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp eval CHECKPOINT [--sampler ddpm:100] [--seeds 100000:100050] [--seed S]\n"
          "                  [--threads N] [--gif DIR [--gif-seeds a,b | --gif-count K] [--gif-size N]]\n"
          "                  [--hz-repeats N] [--weights f32|bf16] [--max-steps N] [--draws N] [--per-episode]\n"
          "                  [--refiner TEACHER] [--realtime sync|async [--latency-ms L | --slowdown S]]\n"
          "                  [--perturb]\n\n"
          "Runs the policy in closed loop on its task (the checkpoint config's task.name; the\n"
          "first task below when it names none) with the reference protocol: one episode per\n"
          "env seed in [A, B) (--seeds A:B, or A for one), the last n_obs_steps observations\n"
          "kept (the first repeated at reset), n_action_steps actions per policy call, at most\n"
          "the task's max steps, score = max reward over the episode, success = max coverage >\n"
          "the task's threshold. Episodes step in parallel with one batched policy call per\n"
          "round; results depend on --seed (the policy's draws) but not on --threads, nor on\n"
          "the rank count of mpirun -np N build-mpi/onedp eval (`make mpi`: each rank steps its\n"
          "share of the episodes; rank 0 prints the merged result; docs/scale_out.md).\n\n"
          "  --sampler S        ddpm:N, ddim:N, ddim:N:leading|trailing, onestep (default ddpm:100),\n"
          "                     onestep:2[:K] (a student's chunk re-noised to level K, default 10,\n"
          "                     and denoised once more by its own network, or by --refiner's: 2 calls)\n"
          "  --refiner TEACHER  onestep:2's second call by the student's teacher instead of itself\n"
          "  --seeds A:B        env seeds (default 100000:100050, the reference's 50 test seeds)\n"
          "  --seed S           seed of the policy's random draws (default 0)\n"
          "  --threads N        threads for physics and inference (default: all cores; under\n"
          "                     mpirun, the cores divided among the ranks on each computer)\n"
          "  --gif DIR          write DIR/seed_<S>.gif for the first K episodes (--gif-count, default 4)\n"
          "                     or the listed ones (--gif-seeds a,b); red cross = action target\n"
          "  --gif-size N       observation image or full canvas side (default the image's)\n"
          "  --hz-repeats N     batch-1 timing calls for Hz (median; default 5, 0 skips)\n"
          "  --weights f32|bf16 run the inference network: weights packed for inference, stored as\n"
          "                     f32 or bf16 (computed in f32), a one-step student's timestep folded\n"
          "                     in (default: the training network and its parameter buffer)\n"
          "  --max-steps N      stop each episode after N actions (default the task's; fewer\n"
          "                     only to measure throughput: scores are then not the benchmark's)\n"
          "  --draws N          run every env seed N times with independent policy noise (draw 0 is\n"
          "                     the --seed run itself); scores are then per-seed means over the draws\n"
          "                     and score_se the standard error across env seeds (default 1)\n"
          "  --per-episode      one line per episode (and draw): seed, score, coverage, steps, success\n"
          "  --realtime M       the world keeps moving while the policy computes: each call's chunk\n"
          "                     arrives L later (L = the batch-1 latency measured on --threads, or\n"
          "                     --latency-ms). sync: the robot holds its last target until the chunk\n"
          "                     arrives, then executes it from its start (Diffusion Policy's\n"
          "                     deployment); async: it keeps executing the previous chunk and\n"
          "                     switches at the action aligned with the arrival, the next call issued\n"
          "                     early enough to hide L when it can (default off: the world waits)\n"
          "  --latency-ms L     the latency to simulate instead of the measured one\n"
          "  --slowdown S       the measured latency times S (a robot's slower computer; README)\n"
          "  --perturb          dynamic task: the object is moved 1-2 times an episode when the task\n"
          "                     allows (PushT: the agent touches the block; milk: the open gripper\n"
          "                     closes in on the carton), seeded by the env seed: the same for every policy\n\n"
          "Hz is action chunks per second at batch 1 (one robot); NFE = network calls per chunk.\n"
          "Progress goes to stderr on a terminal. The last line is one JSON object.\n\ntasks:\n");
  for (const EnvOps *const *e = env_registry(); *e; e++) {
    const EnvOps *t = *e;
    fprintf(f, "  %-8s %d obs, %d actions, %d Hz, %d steps, success = max coverage > %g, GIF sizes %d|%d\n", t->name,
            t->obs_dim, t->action_dim, t->control_hz, t->max_steps, t->success_coverage,
            t->n_cameras ? t->cameras[0].height : 0, t->canvas_size);
  }
}

typedef struct {
  Progress bar;
  int episodes;
} EvalProgress;

// Progress in env steps (a finished episode counts its full max steps): episodes mostly end
// together at the step limit, so steps give the steadier ETA.
static void on_progress(void *ctx, long steps, long steps_max, int done) {
  EvalProgress *p = ctx;
  char status[64];
  snprintf(status, sizeof status, "%d/%d episodes done", done, p->episodes);
  p->bar.total = steps_max;
  progress_update(&p->bar, steps, status);
}

static void print_summary(const EvalResult *r, double se, const char *sampler, int nfe, const char *seeds,
                          double wall) {
  printf("%-14s %s (NFE %d)\n", "sampler", sampler, nfe);
  printf("%-14s %s (%d episodes = %d env seeds x %d draws)\n", "seeds", seeds, r->episodes, r->episodes / r->draws,
         r->draws);
  printf("%-14s %.4f +- %.4f (mean +- population std; standard error over env seeds %.4f)\n", "score", r->score,
         r->score_std, se);
  printf("%-14s %.4f (%d of %d)", "success", r->success, (int)(r->success * r->episodes + 0.5), r->episodes);
  if (r->time_to_success_s > 0) printf(", %.1f s to success on average", r->time_to_success_s);
  printf("\n");
  if (r->latency_steps || r->latency_s > 0 || r->stale_fraction > 0)
    printf("%-14s %.1f ms simulated = %d control steps; stale steps %.3f\n", "real time", r->latency_s * 1e3,
           r->latency_steps, r->stale_fraction);
  if (r->perturbations > 0) printf("%-14s %.2f disturbances per episode\n", "perturb", r->perturbations);
  printf("%-14s %ld in %d batched rounds\n", "env steps", r->env_steps, r->rounds);
  if (r->chunk_s > 0) printf("%-14s %.3f ms per chunk at batch 1 = %.1f Hz\n", "latency", r->chunk_s * 1e3, r->hz);
  printf("%-14s %.1f env steps/s (rollout %.2f s, inference %.2f s), wall %.2f s\n", "throughput",
         r->env_steps / r->rollout_s, r->rollout_s, r->infer_s, wall);
}

// Prints compact JSON with Python's json.dumps separators (", " and ": ", outside
// strings), the form the other commands' JSON lines and scripts/demo.sh expect.
static void print_spaced(const char *json) {
  int in_str = 0;
  for (const char *c = json; *c; c++) {
    putchar(*c);
    if (in_str && *c == '\\') putchar(*++c);
    else if (*c == '"') in_str = !in_str;
    else if (!in_str && (*c == ',' || *c == ':')) putchar(' ');
  }
  putchar('\n');
}

// "scores": one per env seed (the mean over the draws); "scores_by_draw" too with draws > 1.
static void print_json(const EvalResult *r, const double *seed_means, double se, const char *ckpt, const char *task,
                       const char *weights, const char *sampler, int nfe, const char *seeds, uint64_t seed,
                       int threads, double wall, const char *realtime) {
  const int n = r->episodes / r->draws;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "checkpoint", ckpt);
  cJSON_AddStringToObject(j, "task", task);
  cJSON_AddStringToObject(j, "weights", weights);
  cJSON_AddNumberToObject(j, "score", r->score);
  cJSON_AddNumberToObject(j, "score_std", r->score_std);
  cJSON_AddNumberToObject(j, "score_se", se);
  cJSON_AddNumberToObject(j, "draws", r->draws);
  cJSON_AddNumberToObject(j, "success", r->success);
  cJSON_AddNumberToObject(j, "hz", r->hz);
  cJSON_AddNumberToObject(j, "chunk_ms", r->chunk_s * 1e3);
  cJSON_AddNumberToObject(j, "nfe", nfe);
  cJSON_AddStringToObject(j, "realtime", realtime);
  cJSON_AddNumberToObject(j, "latency_ms", r->latency_s * 1e3);
  cJSON_AddNumberToObject(j, "latency_steps", r->latency_steps);
  cJSON_AddNumberToObject(j, "stale_fraction", r->stale_fraction);
  cJSON_AddNumberToObject(j, "mean_time_to_success_s", r->time_to_success_s);
  cJSON_AddNumberToObject(j, "perturbations", r->perturbations);
  cJSON_AddStringToObject(j, "seeds", seeds);
  cJSON_AddStringToObject(j, "sampler", sampler);
  cJSON_AddNumberToObject(j, "seed", (double)seed);
  cJSON_AddNumberToObject(j, "episodes", r->episodes);
  cJSON_AddNumberToObject(j, "env_steps", (double)r->env_steps);
  cJSON_AddNumberToObject(j, "rounds", r->rounds);
  cJSON_AddNumberToObject(j, "env_steps_per_s", r->env_steps / r->rollout_s);
  cJSON_AddNumberToObject(j, "rollout_s", r->rollout_s);
  cJSON_AddNumberToObject(j, "infer_s", r->infer_s);
  cJSON_AddNumberToObject(j, "wall_s", wall);
  cJSON_AddNumberToObject(j, "threads", threads);
  cJSON_AddNumberToObject(j, "peak_rss_mb", peak_rss_mb());
  cJSON *scores = cJSON_AddArrayToObject(j, "scores");
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(scores, cJSON_CreateNumber(seed_means[i]));
  if (r->draws > 1) {
    cJSON *by_draw = cJSON_AddArrayToObject(j, "scores_by_draw");
    for (int d = 0; d < r->draws; d++) {
      cJSON *row = cJSON_CreateArray();
      for (int i = 0; i < n; i++) cJSON_AddItemToArray(row, cJSON_CreateNumber(r->ep[d * n + i].score));
      cJSON_AddItemToArray(by_draw, row);
    }
  }
  char *line = cJSON_PrintUnformatted(j);
  print_spaced(line);
  free(line);
  cJSON_Delete(j);
}

// The GIF directory, created once the policy has loaded (a bad checkpoint leaves nothing).
static int make_gif_dir(const char *dir) {
  struct stat sb;
  if (mkdir(dir, 0777) && errno != EEXIST) return odp_fail("--gif %s: cannot create: %s", dir, strerror(errno));
  if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) return odp_fail("--gif %s: exists and is not a directory", dir);
  return ODP_OK;
}

// The task's camera side when --gif-size is not given; otherwise one the task draws.
static int check_gif_size(const EnvOps *task, int *size) {
  int image = task->n_cameras ? task->cameras[0].height : 0;
  if (!*size) *size = image;
  if (!env_frame_size_ok(task, *size)) return odp_fail("--gif-size %d: expected %d or %d", *size, image, task->canvas_size);
  return ODP_OK;
}

static int fail(const char *msg) {
  fprintf(stderr, "onedp eval: %s\n", msg);
  return 1;
}

int cmd_eval(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  double t0 = now_seconds();
  const char *unknown = arg_unknown(argc, argv, valued, flags);
  if (unknown) return fprintf(stderr, "onedp eval: unknown option '%s' (onedp eval --help)\n", unknown), 2;
  const char *ckpt = arg_positional(argc, argv, valued);
  const char *sampler_text = arg_string(argc, argv, "--sampler", "ddpm:100");
  const char *seeds = arg_string(argc, argv, "--seeds", "100000:100050"), *seed_text = arg_string(argc, argv, "--seed", "0");
  int threads = arg_int(argc, argv, "--threads", dist_cores_per_rank(), 1, 1024);
  EvalOptions o = {.gif_dir = arg_string(argc, argv, "--gif", NULL)};
  o.gif_size = arg_int(argc, argv, "--gif-size", 0, 1, 1 << 14);  // 0: the task's camera
  o.gif_count = arg_int(argc, argv, "--gif-count", 4, 1, 1 << 20);
  o.hz_repeats = arg_int(argc, argv, "--hz-repeats", 5, 0, 10000);
  o.max_steps = arg_int(argc, argv, "--max-steps", 0, 1, 100000);
  int draws = arg_int(argc, argv, "--draws", 1, 1, 1000);
  const char *realtime = arg_string(argc, argv, "--realtime", "off");
  o.realtime = !strcmp(realtime, "sync") ? EVAL_REALTIME_SYNC : !strcmp(realtime, "async") ? EVAL_REALTIME_ASYNC : 0;
  if (!o.realtime && strcmp(realtime, "off"))
    return fprintf(stderr, "onedp eval: --realtime %s: expected sync, async or off\n", realtime), 2;
  const int fixed = arg_string(argc, argv, "--latency-ms", NULL) != NULL, scaled = arg_string(argc, argv, "--slowdown", NULL) != NULL;
  if ((fixed || scaled) && !o.realtime)
    return fprintf(stderr, "onedp eval: --latency-ms and --slowdown need --realtime sync|async\n"), 2;
  if (fixed && scaled) return fprintf(stderr, "onedp eval: --latency-ms and --slowdown: choose one\n"), 2;
  o.latency_s = fixed ? arg_double(argc, argv, "--latency-ms", 0, 0, 3.6e6) * 1e-3 : -1;
  o.slowdown = arg_double(argc, argv, "--slowdown", 1, 1e-3, 1e4);
  o.perturb = arg_flag(argc, argv, "--perturb");
  if (!ckpt) {
    fprintf(stderr, "onedp eval: missing CHECKPOINT (see onedp eval --help)\n");
    return 2;
  }
  SamplerSpec spec;
  uint32_t gif_seeds[MAX_GIF_SEEDS];
  char *end;
  errno = 0;
  o.seed = strtoull(seed_text, &end, 10);
  if (errno || *end || end == seed_text || seed_text[0] == '-') {
    fprintf(stderr, "onedp eval: --seed %s: expected a non-negative integer\n", seed_text);
    return 1;
  }
  const char *gs = arg_string(argc, argv, "--gif-seeds", NULL);
  if (sampler_parse(&spec, sampler_text) || seed_range_parse(seeds, &o.seed_begin, &o.seed_end) ||
      (gs && seed_list_parse(gs, gif_seeds, MAX_GIF_SEEDS, &o.n_gif_seeds)))
    return fail(odp_error());
  o.gif_seeds = gif_seeds;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);

  const char *weights = arg_string(argc, argv, "--weights", NULL);
  WeightFormat fmt;
  if (weights && weight_format_parse(&fmt, weights)) return fail(odp_error());
  const char *refiner_path = arg_string(argc, argv, "--refiner", NULL);
  if (refiner_path && (spec.kind != SAMPLER_ONESTEP || spec.steps != 2))
    return fail("--refiner: refines the two-step sampler only (--sampler onestep:2[:K])");
  Policy policy, refiner = {0};
  if (weights ? policy_load_inference(&policy, ckpt, fmt) : policy_load(&policy, ckpt)) return fail(odp_error());
  if (refiner_path &&
      ((weights ? policy_load_inference(&refiner, refiner_path, fmt) : policy_load(&refiner, refiner_path)) ||
       (policy_set_refiner(&policy, &refiner) && odp_fail_context("--refiner %s", refiner_path)))) {
    policy_free(&policy), policy_free(&refiner);
    return fail(odp_error());
  }
  const EnvOps *task = env_for_config(policy.config_json, ckpt);
  if (!task || (policy_check_sampler(&policy, &spec) && odp_fail_context("%s", ckpt)) ||
      check_gif_size(task, &o.gif_size) || (o.gif_dir && make_gif_dir(o.gif_dir))) {
    policy_free(&policy), policy_free(&refiner);
    return fail(odp_error());
  }
  o.task = task->name;
  int max_steps = o.max_steps > 0 ? o.max_steps : task->max_steps;
  PolicyActor actor = {&policy, spec, o.realtime == EVAL_REALTIME_ASYNC ? policy_future_steps(&policy) : 0};
  ActionSource src = action_source_policy(&actor);
  EvalProgress prog = {.episodes = (int)(o.seed_end - o.seed_begin)};  // of the draw running
  progress_start(&prog.bar, "eval", "steps", (long)prog.episodes * max_steps);
  prog.bar.enabled = prog.bar.enabled && dist_is_root();
  o.progress = on_progress, o.progress_ctx = &prog;
  EvalResult r;
  int rc = eval_run_draws(&r, &src, &o, draws);
  if (!rc) progress_finish(&prog.bar, prog.bar.total, "done");
  policy_free(&policy), policy_free(&refiner);
  if (rc) return fail(odp_error());
  if (!dist_is_root()) return eval_result_free(&r), 0;  // every rank holds the result; rank 0 prints it

  char name[1200];
  sampler_name(&spec, name, sizeof name);
  if (refiner_path) snprintf(name + strlen(name), sizeof name - strlen(name), " refined by %.1000s", refiner_path);
  double wall = now_seconds() - t0;
  if (arg_flag(argc, argv, "--per-episode"))
    for (int i = 0; i < r.episodes; i++)
      printf("seed %u  score %.4f  coverage %.4f  steps %3d  %s  stale %d  disturbances %d\n", r.ep[i].seed,
             r.ep[i].score, r.ep[i].coverage, r.ep[i].steps, r.ep[i].success ? "success" : "-", r.ep[i].stale_steps,
             r.ep[i].perturbations);
  double *means = odp_malloc((unsigned long)(r.episodes / r.draws) * sizeof *means, "per-seed scores");
  if (!means) return eval_result_free(&r), fail(odp_error());
  double se = eval_seed_means(&r, r.draws, means);
  print_summary(&r, se, name, sampler_nfe(&spec), seeds, wall);
  print_json(&r, means, se, ckpt, o.task, weights ? weights : "training", name, sampler_nfe(&spec), seeds, o.seed, threads,
             wall, realtime);
  free(means);
  eval_result_free(&r);
  return 0;
}
