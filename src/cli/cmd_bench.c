// onedp bench unet: U-Net latency at batch 1 (training network, packed f32, packed
// bf16) against the memory floor, and training-step throughput at batch 256 against
// the compute floor, for each thread count, with the peak memory of each.
#include <cblas.h>
#include <malloc.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/blas_core.h"
#include "core/hw.h"
#include "core/rng.h"
#include "core/stats.h"
#include "io/safetensors.h"
#include "model/unet_config.h"
#include "model/unet_infer.h"
#include "optim/adamw.h"

#define MAX_THREAD_COUNTS 4
#define INFER_SLACK_MB 64.0  // the batch-1 memory goal: weights' bytes + this

static void print_help(void) {
  printf(
      "usage: onedp bench unet --preset lowdim|image|small [options]\n"
      "       onedp bench api CHECKPOINT [--reps N] [--threads N]  (onedp bench api --help)\n"
      "       onedp bench encoder [--width N] [--threads LIST] ...   (onedp bench encoder --help)\n\n"
      "Times the ConditionalUnet1D (horizon 16), for each thread count:\n"
      "  batch-1 forward of the training network, and of the inference network with packed\n"
      "  f32 and bf16 weights (one-step generator: timestep fixed), each against the memory\n"
      "  floor (weights' bytes / measured read bandwidth) with its peak RSS (inference\n"
      "  networks are loaded from a weights file in a fresh peak-RSS window);\n"
      "  a training step (forward + backward + AdamW) against the compute floor (FLOPs /\n"
      "  measured FMA peak), with the training peak RSS.\n"
      "Also the bf16 network's output error against the f32 one. The last line is a JSON\n"
      "object of every figure.\n\n"
      "  --preset NAME        lowdim (the reference low-dim U-Net, 66M), image (252M) or small (4.6M)\n"
      "  --threads LIST       thread counts, comma-separated (default 1,<all cores>)\n"
      "  --batch N            training batch (default 256)\n"
      "  --step K             the one-step generator's timestep (default 65; -1: any timestep)\n"
      "  --reps N             timed repetitions, median reported (default 20 fwd / 3 train)\n"
      "  --skip-train         only the batch-1 forward passes\n"
      "  --save-weights FILE  keep the benchmarked weights (for the PyTorch side-by-side)\n");
}


static void set_threads(int n) {
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

// ---------------------------------------------------------------- inputs

typedef struct {
  int B, T;
  float *sample, *timestep, *cond, *out;
} Inputs;

static void make_inputs(Inputs *in, const UnetConfig *c, int B, int T, int step) {
  long n = (long)B * T * c->input_dim, nc = (long)B * c->global_cond_dim;
  in->B = B, in->T = T;
  in->sample = malloc((size_t)n * sizeof(float)), in->out = malloc((size_t)n * sizeof(float));
  in->cond = malloc((size_t)(nc + 1) * sizeof(float)), in->timestep = malloc((size_t)B * sizeof(float));
  rng_fill_normal(rng_make(1, 1), 0, in->sample, n);
  rng_fill_normal(rng_make(1, 2), 0, in->cond, nc);
  for (int b = 0; b < B; b++) in->timestep[b] = step >= 0 ? (float)step : (float)(b % 100);
}

static void free_inputs(Inputs *in) { free(in->sample), free(in->out), free(in->cond), free(in->timestep); }

// ---------------------------------------------------------------- timing

// One network call on the bench's inputs (training network or inference network).
typedef struct {
  const Unet *u;
  const float *params;
  UnetActs *acts;
  const UnetInfer *m;
  UnetInferActs *iacts;
} Net;

static void run_net(const Net *net, Inputs *in) {
  if (net->m) unet_infer_forward(net->m, net->iacts, in->out, in->sample, in->timestep, in->cond);
  else unet_forward(net->u, net->params, net->acts, in->out, in->sample, in->timestep, in->cond);
}

// Median wall and CPU milliseconds of one call.
static void time_forward_ms(const Net *net, Inputs *in, int reps, double *wall_ms, double *cpu_ms) {
  double *t = malloc((size_t)reps * sizeof *t), *c = malloc((size_t)reps * sizeof *c);
  run_net(net, in);  // warm-up
  for (int r = 0; r < reps; r++) {
    double t0 = now_seconds(), c0 = cpu_seconds();
    run_net(net, in);
    t[r] = (now_seconds() - t0) * 1e3, c[r] = (cpu_seconds() - c0) * 1e3;
  }
  *wall_ms = median_inplace(t, reps), *cpu_ms = median_inplace(c, reps);
  free(t), free(c);
}

// Median wall ms of a training step; its median CPU ms in *cpu_ms.
static double time_train_step_ms(const Unet *u, float *params, Inputs *in, int reps, double *cpu_ms) {
  long np = u->table.numel, n = (long)in->B * in->T * u->cfg.input_dim;
  float *grads = calloc((size_t)np, sizeof(float)), *m = calloc((size_t)np, sizeof(float));
  float *v = calloc((size_t)np, sizeof(float)), *dout = malloc((size_t)n * sizeof(float));
  UnetActs *acts = unet_acts_create(u, in->B, in->T);
  AdamW opt = {adamw_config_dp(), 0};
  double *t = malloc((size_t)(reps + 1) * sizeof *t), *c = malloc((size_t)(reps + 1) * sizeof *c);
  for (int r = 0; acts && r <= reps; r++) {  // r = 0 warms up
    double t0 = now_seconds(), c0 = cpu_seconds();
    unet_forward(u, params, acts, in->out, in->sample, in->timestep, in->cond);
    for (long i = 0; i < n; i++) dout[i] = 2.0f * (in->out[i] - in->sample[i]) / (float)n;  // d MSE
    memset(grads, 0, (size_t)np * sizeof(float));
    unet_backward(u, params, acts, grads, dout, NULL, NULL);
    adamw_step(&opt, params, m, v, grads, np, opt.cfg.lr);
    t[r] = (now_seconds() - t0) * 1e3, c[r] = (cpu_seconds() - c0) * 1e3;
  }
  double med = acts ? median_inplace(t + 1, reps) : NAN;
  *cpu_ms = acts ? median_inplace(c + 1, reps) : NAN;
  unet_acts_free(acts);
  free(grads), free(m), free(v), free(dout), free(t), free(c);
  return med;
}

// ---------------------------------------------------------------- figures

enum { PATH_TRAINING, PATH_F32, PATH_BF16, N_PATHS };
static const char *const path_names[N_PATHS] = {"training", "packed-f32", "packed-bf16"};

typedef struct {
  int threads;
  double read_gbs, copy_gbs, peak_gflops;
  double fwd_ms[N_PATHS], fwd_cpu_ms[N_PATHS];
  double step_ms, step_cpu_ms, train_gflops;
} ThreadFigures;

typedef struct {
  const char *preset;
  long params;
  int step, batch, n_threads;
  double macs, core_peak_cpu;  // FMA peak per CPU-second of one core
  double weight_mb[N_PATHS], rss_mb[N_PATHS], rss_train_mb;
  double bf16_max_rel, bf16_mean_rel, f32_max_rel;  // against the f32 packed / training outputs
  ThreadFigures th[MAX_THREAD_COUNTS];
} Figures;

static void output_errors(const float *a, const float *ref, long n, double *max_rel, double *mean_rel) {
  double dmax = 0, rmax = 0, dsum = 0, rsum = 0;
  for (long i = 0; i < n; i++) {
    double d = fabs((double)a[i] - ref[i]), r = fabs((double)ref[i]);
    dmax = fmax(dmax, d), rmax = fmax(rmax, r), dsum += d, rsum += r;
  }
  *max_rel = dmax / (rmax + 1e-30);
  if (mean_rel) *mean_rel = dsum / (rsum + 1e-30);
}

// The packed network in format fmt, built from the weights file in a fresh peak-RSS
// window and timed at each thread count; its output stays in out_keep.
static int bench_packed(Figures *f, const Unet *u, const char *weights, WeightFormat fmt, int reps, Inputs *in,
                        float *out_keep) {
  int path = fmt == WEIGHTS_BF16 ? PATH_BF16 : PATH_F32;
  int reset = reset_peak_rss();
  Safetensors *st = safetensors_open(weights);
  UnetInfer m;
  const float fixed = (float)f->step;
  if (!st || unet_infer_from_file(&m, u, st, "", fmt, f->step >= 0 ? &fixed : NULL))
    return safetensors_close(st), ODP_ERR;
  safetensors_close(st);
  UnetInferActs *ia = unet_infer_acts_create(&m, 1, in->T);
  if (!ia) return unet_infer_free(&m), ODP_ERR;
  Net net = {.m = &m, .iacts = ia};
  for (int i = 0; i < f->n_threads; i++) {
    set_threads(f->th[i].threads);
    time_forward_ms(&net, in, reps, &f->th[i].fwd_ms[path], &f->th[i].fwd_cpu_ms[path]);
  }
  memcpy(out_keep, in->out, (size_t)in->T * u->cfg.input_dim * sizeof(float));
  f->rss_mb[path] = reset ? NAN : peak_rss_mb();
  f->weight_mb[path] = m.packed_bytes * 1e-6;
  unet_infer_acts_free(ia);
  unet_infer_free(&m);
  return ODP_OK;
}

static void print_figures(const Figures *f) {
  printf("\nbatch-1 forward, median. Floors of that thread count: mem = weights' bytes / read bandwidth\n"
         "(weights streamed from DRAM), fma = the training network's FLOPs / FMA peak (weights in cache).\n"
         "cpu ms = CPU time of all threads (less than ms x threads when the process waited for a core):\n");
  printf("%-12s %7s %10s %9s %9s %8s %8s %8s %10s %12s\n", "network", "threads", "weights MB", "ms", "cpu ms",
         "mem ms", "fma ms", "Hz", "GFLOP/s", "peak RSS MB");
  for (int p = 0; p < N_PATHS; p++)
    for (int i = 0; i < f->n_threads; i++) {
      const ThreadFigures *t = &f->th[i];
      double floor = f->weight_mb[p] * 1e-3 / t->read_gbs * 1e3;
      char rss[48] = "";
      if (i == 0 && p != PATH_TRAINING)
        snprintf(rss, sizeof rss, "%.0f (goal %.0f)", f->rss_mb[p], f->weight_mb[p] + INFER_SLACK_MB);
      printf("%-12s %7d %10.1f %9.2f %9.2f %8.2f %8.2f %8.1f %10.1f %12s\n", path_names[p], t->threads,
             f->weight_mb[p], t->fwd_ms[p], t->fwd_cpu_ms[p], floor, 2 * f->macs / (t->peak_gflops * 1e6),
             1e3 / t->fwd_ms[p], 2 * f->macs / (t->fwd_ms[p] * 1e6), rss);
    }
  printf("bf16 output vs f32: max relative error %.2e, mean %.2e (packed f32 vs training network: max %.2e)\n",
         f->bf16_max_rel, f->bf16_mean_rel, f->f32_max_rel);
  if (!isnan(f->th[0].step_ms)) {
    printf("\ntraining step, batch %d, median. floor = FLOPs / FMA peak of that thread count (wall time);\n"
           "per CPU-s = FLOPs / CPU time, against one core's FMA peak per CPU-second (%.1f GFLOP):\n",
           f->batch, f->core_peak_cpu);
    printf("%7s %10s %10s %10s %9s %10s %11s %13s %10s\n", "threads", "step ms", "cpu ms", "floor ms", "GFLOP/s",
           "% of peak", "samples/s", "GFLOP/CPU-s", "% of core");
    double flops = 3.0 * 2.0 * f->macs * f->batch;  // backward costs twice the forward
    for (int i = 0; i < f->n_threads; i++) {
      const ThreadFigures *t = &f->th[i];
      double per_cpu = flops / (t->step_cpu_ms * 1e6);
      printf("%7d %10.1f %10.1f %10.1f %9.1f %10.0f %11.1f %13.1f %10.0f\n", t->threads, t->step_ms, t->step_cpu_ms,
             flops / (t->peak_gflops * 1e6), t->train_gflops, 100 * t->train_gflops / t->peak_gflops,
             f->batch / (t->step_ms * 1e-3), per_cpu, 100 * per_cpu / f->core_peak_cpu);
    }
    printf("training peak RSS: %.0f MB\n", f->rss_train_mb);
  }
}

static void print_json_line(const Figures *f) {
  printf("{\"preset\": \"%s\", \"params\": %ld, \"step\": %d, \"train_batch\": %d, \"blas_core\": \"%s\"", f->preset,
         f->params, f->step, f->batch, blas_core_name());
  for (int p = 0; p < N_PATHS; p++)
    printf(", \"%s\": {\"weights_mb\": %.2f, \"rss_mb\": %.1f}", path_names[p], f->weight_mb[p],
           isnan(f->rss_mb[p]) ? -1.0 : f->rss_mb[p]);
  printf(", \"bf16_max_rel_err\": %.3e, \"bf16_mean_rel_err\": %.3e, \"rss_train_mb\": %.1f, "
         "\"core_peak_gflops_per_cpu_s\": %.2f, \"runs\": [",
         f->bf16_max_rel, f->bf16_mean_rel, isnan(f->rss_train_mb) ? -1.0 : f->rss_train_mb, f->core_peak_cpu);
  for (int i = 0; i < f->n_threads; i++) {
    const ThreadFigures *t = &f->th[i];
    printf("%s{\"threads\": %d, \"read_gbs\": %.2f, \"copy_gbs\": %.2f, \"peak_gflops\": %.2f", i ? ", " : "",
           t->threads, t->read_gbs, t->copy_gbs, t->peak_gflops);
    for (int p = 0; p < N_PATHS; p++)
      printf(", \"fwd_b1_ms_%s\": %.4f, \"fwd_b1_cpu_ms_%s\": %.4f", path_names[p], t->fwd_ms[p], path_names[p],
             t->fwd_cpu_ms[p]);
    if (isnan(t->step_ms)) printf(", \"train_step_ms\": null, \"train_samples_per_s\": null}");
    else printf(", \"train_step_ms\": %.2f, \"train_step_cpu_ms\": %.2f, \"train_samples_per_s\": %.2f, "
                "\"train_gflops\": %.2f}", t->step_ms, t->step_cpu_ms, f->batch / (t->step_ms * 1e-3), t->train_gflops);
  }
  printf("]}\n");
}

// ---------------------------------------------------------------- the benchmark

static int known_options(int argc, char **argv) {
  static const char *const valued[] = {"--preset", "--threads", "--batch", "--step", "--reps", "--save-weights", NULL};
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
  // Large blocks straight from mmap and back on free (glibc would otherwise raise its
  // threshold after the first big free and keep freed memory resident), so each
  // peak-RSS window below sees only what is alive in it.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  Figures f = {.preset = arg_string(argc, argv, "--preset", "lowdim")};
  int counts[MAX_THREAD_COUNTS];
  f.n_threads = arg_thread_counts(argc, argv, counts, MAX_THREAD_COUNTS);
  for (int i = 0; i < f.n_threads; i++) f.th[i].threads = counts[i], f.th[i].step_ms = NAN;
  f.batch = arg_int(argc, argv, "--batch", 256, 1, 65536);
  f.step = arg_int(argc, argv, "--step", 65, -1, 100000);
  int skip_train = arg_flag(argc, argv, "--skip-train");
  int fwd_reps = arg_int(argc, argv, "--reps", 20, 1, 100000), train_reps = arg_int(argc, argv, "--reps", 3, 1, 100000);
  const char *save = arg_string(argc, argv, "--save-weights", NULL);
  UnetConfig cfg;
  Unet u;
  if (unet_config_preset(&cfg, f.preset) || unet_init(&u, &cfg)) {
    fprintf(stderr, "onedp bench: --preset: %s\n", odp_error());
    return 2;
  }
  const int T = 16;
  f.params = u.table.numel;
  f.macs = unet_forward_macs(&u, T);
  float *params = malloc((size_t)f.params * sizeof(float));
  unet_init_params(&u, params, 1);
  char tmp_path[] = "/tmp/onedp-bench-XXXXXX.safetensors";
  const char *weights = save;
  if (!weights) {
    int fd = mkstemps(tmp_path, 12);
    if (fd < 0) {
      fprintf(stderr, "onedp bench: cannot create a temporary weights file\n");
      free(params), unet_free(&u);
      return 1;
    }
    close(fd);
    weights = tmp_path;
  }
  char *cj = unet_config_to_json(&cfg);
  int err = safetensors_save_params(weights, &u.table, params, cj, ST_F32);
  free(cj);
  if (err) {
    fprintf(stderr, "onedp bench: %s\n", odp_error());
    free(params), unet_free(&u);
    return 1;
  }
  printf("preset %s: %ld params (%.1f MB f32), horizon %d, one-step timestep %d, threads", f.preset, f.params,
         f.params * 4e-6, T, f.step);
  for (int i = 0; i < f.n_threads; i++) printf("%c%d", i ? ',' : ' ', counts[i]);
  printf("\n");

  // The training network: batch-1 forward, then training steps.
  Inputs one, big;
  make_inputs(&one, &cfg, 1, T, f.step);
  UnetActs *acts = unet_acts_create(&u, 1, T);
  Net train_net = {.u = &u, .params = params, .acts = acts};
  for (int i = 0; i < f.n_threads; i++) {
    set_threads(f.th[i].threads);
    time_forward_ms(&train_net, &one, fwd_reps, &f.th[i].fwd_ms[PATH_TRAINING], &f.th[i].fwd_cpu_ms[PATH_TRAINING]);
  }
  float *ref_train = malloc((size_t)T * cfg.input_dim * sizeof(float));
  memcpy(ref_train, one.out, (size_t)T * cfg.input_dim * sizeof(float));
  unet_acts_free(acts);
  f.weight_mb[PATH_TRAINING] = f.params * 4e-6;
  f.rss_mb[PATH_TRAINING] = f.rss_train_mb = NAN;
  if (!skip_train) {
    make_inputs(&big, &cfg, f.batch, T, -1);
    int reset = reset_peak_rss();
    for (int i = 0; i < f.n_threads; i++) {
      set_threads(f.th[i].threads);
      f.th[i].step_ms = time_train_step_ms(&u, params, &big, train_reps, &f.th[i].step_cpu_ms);
      f.th[i].train_gflops = 6.0 * f.macs * f.batch / (f.th[i].step_ms * 1e6);
    }
    f.rss_train_mb = reset ? NAN : peak_rss_mb();
    free_inputs(&big);
  }
  free(params);  // the inference networks load from the file: only their own weights are resident

  float *out_f32 = malloc((size_t)T * cfg.input_dim * sizeof(float)), *out_bf16 = malloc((size_t)T * cfg.input_dim * sizeof(float));
  if (bench_packed(&f, &u, weights, WEIGHTS_F32, fwd_reps, &one, out_f32) ||
      bench_packed(&f, &u, weights, WEIGHTS_BF16, fwd_reps, &one, out_bf16))
    return fprintf(stderr, "onedp bench: %s\n", odp_error()), 1;
  output_errors(out_bf16, out_f32, (long)T * cfg.input_dim, &f.bf16_max_rel, &f.bf16_mean_rel);
  output_errors(out_f32, ref_train, (long)T * cfg.input_dim, &f.f32_max_rel, NULL);
  if (!save) remove(tmp_path);

  // The machine's floors, measured last so their buffers stay out of the memory figures.
  f.core_peak_cpu = measure_core_peak_gflops_cpu();
  for (int i = 0; i < f.n_threads; i++) {
    ThreadFigures *t = &f.th[i];
    t->read_gbs = measure_read_bandwidth_gbs(t->threads);
    t->copy_gbs = measure_copy_bandwidth_gbs(t->threads);
    t->peak_gflops = measure_peak_gflops(t->threads);
    printf("machine, %d thread%s: read bandwidth %.1f GB/s, copy bandwidth %.1f GB/s, FMA peak %.1f GFLOP/s\n",
           t->threads, t->threads > 1 ? "s" : "", t->read_gbs, t->copy_gbs, t->peak_gflops);
  }
  printf("OpenBLAS kernels: %s (FMA peak measured %d bits wide)\n", blas_core_name(), fma_peak_bits());
  blas_warn_if_narrow("onedp bench");
  print_figures(&f);
  print_json_line(&f);
  free_inputs(&one);
  free(ref_train), free(out_f32), free(out_bf16);
  unet_free(&u);
  return 0;
}

int cmd_bench(int argc, char **argv) {
  // A benchmark's own --help first: `onedp bench encoder --help` answers for the encoder.
  if (argc >= 2 && !strcmp(argv[1], "api")) return bench_api(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "encoder")) return bench_encoder(argc - 1, argv + 1);
  if (wants_help(argc, argv)) return print_help(), 0;
  if (argc < 2) return fprintf(stderr, "onedp bench: missing benchmark (unet; see onedp bench --help)\n"), 2;
  if (!strcmp(argv[1], "unet")) return bench_unet(argc, argv);  // argv[0] "bench" names it in messages
  fprintf(stderr, "onedp bench: unknown benchmark '%s' (unet, api, encoder)\n", argv[1]);
  return 2;
}
