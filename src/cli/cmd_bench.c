// onedp bench unet: U-Net latency at batch 1 and training-step throughput at batch
// 256, each beside the floor it is measured against.
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/hw.h"
#include "core/rng.h"
#include "io/safetensors.h"
#include "model/unet_config.h"
#include "optim/adamw.h"

static void print_help(void) {
  printf(
      "usage: onedp bench unet --preset lowdim|image|small [options]\n\n"
      "Times the ConditionalUnet1D (horizon 16): the batch-1 forward pass (the robot's\n"
      "path) against the memory floor (weights' bytes / measured copy bandwidth), and a\n"
      "training step (forward + backward + AdamW) against the compute floor (FLOPs /\n"
      "measured FMA peak). The last line is a JSON object of the figures.\n\n"
      "  --preset NAME        lowdim (PushT low-dim, 66M), image (252M) or small (4.6M)\n"
      "  --threads N          threads for everything (default: all cores)\n"
      "  --batch N            training batch (default 256)\n"
      "  --reps N             timed repetitions, median reported (default 20 fwd / 3 train)\n"
      "  --skip-train         only the batch-1 forward pass\n"
      "  --save-weights FILE  write the benchmarked weights (for the PyTorch side-by-side)\n");
}

// A JSON number, or null for a figure not measured (NaN).
static const char *json_number(char buf[32], double v) {
  if (isnan(v)) snprintf(buf, 32, "null");
  else snprintf(buf, 32, "%.2f", v);
  return buf;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *x, int n) {
  qsort(x, (size_t)n, sizeof *x, cmp_double);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

typedef struct {
  const Unet *u;
  const float *params;
  int B, T;
  float *sample, *timestep, *cond, *out;
  UnetActs *acts;
} BenchInputs;

static int make_inputs(BenchInputs *in, const Unet *u, const float *params, int B, int T) {
  long n = (long)B * T * u->cfg.input_dim, nc = (long)B * u->cfg.global_cond_dim;
  in->u = u, in->params = params, in->B = B, in->T = T;
  in->sample = malloc((size_t)n * sizeof(float)), in->out = malloc((size_t)n * sizeof(float));
  in->cond = malloc((size_t)(nc + 1) * sizeof(float)), in->timestep = malloc((size_t)B * sizeof(float));
  rng_fill_normal(rng_make(1, 1), 0, in->sample, n);
  rng_fill_normal(rng_make(1, 2), 0, in->cond, nc);
  for (int b = 0; b < B; b++) in->timestep[b] = (float)(b % 100);
  in->acts = unet_acts_create(u, B, T);
  return in->acts ? ODP_OK : ODP_ERR;
}

static void free_inputs(BenchInputs *in) {
  free(in->sample), free(in->out), free(in->cond), free(in->timestep);
  unet_acts_free(in->acts);
}

static double time_forward_ms(BenchInputs *in, int reps) {
  double *t = malloc((size_t)reps * sizeof *t);
  unet_forward(in->u, in->params, in->acts, in->out, in->sample, in->timestep, in->cond);  // warm-up
  for (int r = 0; r < reps; r++) {
    double t0 = now_seconds();
    unet_forward(in->u, in->params, in->acts, in->out, in->sample, in->timestep, in->cond);
    t[r] = (now_seconds() - t0) * 1e3;
  }
  double m = median(t, reps);
  free(t);
  return m;
}

static double time_train_step_ms(BenchInputs *in, float *params, int reps) {
  const Unet *u = in->u;
  long np = u->table.numel, n = (long)in->B * in->T * u->cfg.input_dim;
  float *grads = calloc((size_t)np, sizeof(float)), *m = calloc((size_t)np, sizeof(float));
  float *v = calloc((size_t)np, sizeof(float)), *dout = malloc((size_t)n * sizeof(float));
  AdamW opt = {adamw_config_dp(), 0};
  double *t = malloc((size_t)(reps + 1) * sizeof *t);
  for (int r = 0; r <= reps; r++) {  // r = 0 warms up
    double t0 = now_seconds();
    unet_forward(u, params, in->acts, in->out, in->sample, in->timestep, in->cond);
    for (long i = 0; i < n; i++) dout[i] = 2.0f * (in->out[i] - in->sample[i]) / (float)n;  // d MSE
    memset(grads, 0, (size_t)np * sizeof(float));
    unet_backward(u, params, in->acts, grads, dout, NULL, NULL);
    adamw_step(&opt, params, m, v, grads, np, opt.cfg.lr);
    t[r] = (now_seconds() - t0) * 1e3;
  }
  double med = median(t + 1, reps);
  free(grads), free(m), free(v), free(dout), free(t);
  return med;
}

static int known_options(int argc, char **argv) {
  static const char *const valued[] = {"--preset", "--threads", "--batch", "--reps", "--save-weights", NULL};
  for (int i = 2; i < argc; i++) {
    int known = !strcmp(argv[i], "--skip-train");
    for (const char *const *v = valued; *v && !known; v++)
      if (!strcmp(argv[i], *v)) known = 1, i++;
    if (!known) return fprintf(stderr, "onedp bench: unknown option '%s' (see onedp bench --help)\n", argv[i]), 0;
  }
  return 1;
}

static int bench_unet(int argc, char **argv) {
  if (!known_options(argc, argv)) return 2;
  const char *preset = arg_string(argc, argv, "--preset", "lowdim");
  int threads = arg_int(argc, argv, "--threads", omp_get_num_procs(), 1, 1024);
  int batch = arg_int(argc, argv, "--batch", 256, 1, 65536);
  int skip_train = arg_flag(argc, argv, "--skip-train");
  const char *save = arg_string(argc, argv, "--save-weights", NULL);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  UnetConfig cfg;
  Unet u;
  if (unet_config_preset(&cfg, preset) || unet_init(&u, &cfg)) {
    fprintf(stderr, "onedp bench: --preset: %s\n", odp_error());
    return 2;
  }
  const int T = 16;
  long np = u.table.numel;
  float *params = malloc((size_t)np * sizeof(float));
  unet_init_params(&u, params, 1);
  if (save) {
    char *cj = unet_config_to_json(&cfg);
    int err = safetensors_save_params(save, &u.table, params, cj, ST_F32);
    free(cj);
    if (err) return fprintf(stderr, "onedp bench: %s\n", odp_error()), 1;
  }
  printf("preset %s: %ld params (%.1f MB f32), %d threads\n", preset, np, np * 4e-6, threads);
  double macs = unet_forward_macs(&u, T);
  BenchInputs one;
  if (make_inputs(&one, &u, params, 1, T)) return fprintf(stderr, "onedp bench: %s\n", odp_error()), 1;
  double fwd = time_forward_ms(&one, arg_int(argc, argv, "--reps", 20, 1, 100000));
  free_inputs(&one);
  double rss_infer = peak_rss_mb();
  double step = NAN, train_gflops = NAN, floor_step = NAN;
  if (!skip_train) {
    BenchInputs big;
    if (make_inputs(&big, &u, params, batch, T)) return fprintf(stderr, "onedp bench: %s\n", odp_error()), 1;
    step = time_train_step_ms(&big, params, arg_int(argc, argv, "--reps", 3, 1, 100000));
    free_inputs(&big);
  }
  double rss_train = peak_rss_mb();
  // Measured last, so their large buffers stay out of the memory figures above.
  double bw = measure_copy_bandwidth_gbs(threads), peak = measure_peak_gflops(threads);
  printf("machine: copy bandwidth %.1f GB/s, FMA peak %.1f GFLOP/s\n", bw, peak);
  double floor_fwd = np * 4.0 / (bw * 1e9) * 1e3;
  printf("forward  batch 1:   %8.2f ms   floor %.2f ms (weights / bandwidth)   %.1f GFLOP/s   %.1f Hz\n", fwd,
         floor_fwd, 2 * macs / (fwd * 1e6), 1e3 / fwd);
  if (!skip_train) {
    double flops = 3.0 * 2.0 * macs * batch;  // backward costs twice the forward
    train_gflops = flops / (step * 1e6);
    floor_step = flops / (peak * 1e9) * 1e3;
    printf("train    batch %d: %8.1f ms   floor %.1f ms (FLOPs / peak)   %.1f GFLOP/s (%.0f%% of peak)   %.0f "
           "samples/s\n",
           batch, step, floor_step, train_gflops, 100 * train_gflops / peak, batch / (step * 1e-3));
  }
  printf("peak RSS: %.0f MB after inference, %.0f MB after training\n", rss_infer, rss_train);
  char step_s[32], floor_s[32], gflops_s[32], sps_s[32];
  printf("{\"preset\": \"%s\", \"params\": %ld, \"threads\": %d, \"fwd_b1_ms\": %.4f, \"floor_fwd_b1_ms\": %.4f, "
         "\"train_batch\": %d, \"train_step_b256_ms\": %s, \"floor_train_step_ms\": %s, \"train_gflops\": %s, "
         "\"peak_gflops\": %.2f, \"bandwidth_gbs\": %.2f, \"train_samples_per_s\": %s, \"rss_infer_mb\": %.1f, "
         "\"rss_train_mb\": %.1f}\n",
         preset, np, threads, fwd, floor_fwd, batch, json_number(step_s, step), json_number(floor_s, floor_step),
         json_number(gflops_s, train_gflops), peak, bw, json_number(sps_s, batch / (step * 1e-3)), rss_infer, rss_train);
  free(params);
  unet_free(&u);
  return 0;
}

int cmd_bench(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  if (argc < 2) return fprintf(stderr, "onedp bench: missing benchmark (unet; see onedp bench --help)\n"), 2;
  if (!strcmp(argv[1], "unet")) return bench_unet(argc, argv);  // argv[0] "bench" names it in messages
  fprintf(stderr, "onedp bench: unknown benchmark '%s' (unet)\n", argv[1]);
  return 2;
}
