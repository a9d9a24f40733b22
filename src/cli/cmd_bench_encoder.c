// onedp bench encoder: the image encoder (model/image_encoder.h) at batch 1 (the frames of
// one observation, what a robot's control loop pays per action chunk) against its FMA floor,
// and its training step (forward + backward at batch x frames images) against the same floor,
// for each thread count. The last line is a JSON object of every figure.
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/blas_core.h"
#include "core/error.h"
#include "core/hw.h"
#include "core/rng.h"
#include "core/stats.h"
#include "io/safetensors.h"
#include "model/image_encoder.h"
#include "model/image_encoder_infer.h"

#define MAX_THREADS 4

static void print_help(void) {
  printf(
      "usage: onedp bench encoder [options]\n\n"
      "Times the ResNet-18-GN image encoder (one camera) for each thread count:\n"
      "  batch 1: the forward pass over one observation's frames, against the FMA floor\n"
      "  (2 x MACs / measured FMA peak at that thread count): the training layers (im2col +\n"
      "  OpenBLAS) and the packed inference encoder policies run in eval and the runtime API\n"
      "  (model/image_encoder_infer.h: channels-last, no BLAS, one frame per thread);\n"
      "  training: forward + backward over batch x frames images, against 3x that floor.\n"
      "The last line is a JSON object of every figure.\n\n"
      "  --width N            channels after the stem (default 64: the reference's ResNet-18)\n"
      "  --size N             the square crop (default 84: PushT)\n"
      "  --frames N           frames per observation (default 2)\n"
      "  --batch N            training batch (default 64; 0: skip the training step)\n"
      "  --threads LIST       thread counts, comma-separated (default 1,<all cores>)\n"
      "  --reps N             timed repetitions, median reported (default 20 forward / 3 training)\n"
      "  --save-weights FILE  keep the benchmarked weights (for the PyTorch side-by-side)\n");
}

static int known_options(int argc, char **argv) {
  static const char *const valued[] = {"--width", "--size", "--frames", "--batch", "--threads", "--reps",
                                       "--save-weights", NULL};
  for (int i = 1; i < argc; i++) {
    int known = 0;
    for (const char *const *v = valued; *v && !known; v++)
      if (!strcmp(argv[i], *v)) known = 1, i++;
    if (!known) return fprintf(stderr, "onedp bench encoder: unknown option '%s' (see --help)\n", argv[i]), 0;
  }
  return 1;
}

// What one timed call runs: the training layers' forward (and backward when grads), or the
// packed encoder over `frames` frames (3, S, S) in [0, 1].
typedef struct {
  const ImageEncoder *e;
  const float *params, *dfeat;
  float *grads;
  ImageEncoderActs *acts;
  const ImageEncoderInfer *packed;
  ImageEncoderInferActs *packed_acts;
  const float *pixels;
  float *features;
  int frames;
} Call;

static void run_call(const Call *c) {
  if (c->packed) {
    const int S = c->packed->net.cfg.image_size;
    image_encoder_infer_forward(c->packed, c->packed_acts, c->features, c->frames, c->pixels, 3L * S * S, S, S);
    return;
  }
  image_encoder_forward(c->e, c->params, c->acts);
  if (c->grads) image_encoder_backward(c->e, c->params, c->grads, c->acts, c->dfeat);
}

// Median wall ms (and CPU ms, when cpu_ms) of `reps` calls after one warm-up.
static double time_ms(const Call *c, int reps, double *cpu_ms) {
  double *wall = malloc((size_t)reps * sizeof *wall), *cpu = malloc((size_t)reps * sizeof *cpu);
  for (int i = -1; i < reps; i++) {
    double t0 = now_seconds(), c0 = cpu_seconds();
    run_call(c);
    if (i >= 0) wall[i] = 1e3 * (now_seconds() - t0), cpu[i] = 1e3 * (cpu_seconds() - c0);
  }
  double m = median_inplace(wall, reps);
  if (cpu_ms) *cpu_ms = median_inplace(cpu, reps);
  free(wall), free(cpu);
  return m;
}

static void fill_images(ImageEncoderActs *a, const ImageEncoder *e) {
  long n = 3L * e->cfg.image_size * e->cfg.image_size * a->B;
  rng_fill_normal(rng_make(3, 1), 0, a->images, n);
}

int bench_encoder(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  if (!known_options(argc, argv)) return 2;
  ImageEncoderConfig cfg = image_encoder_config_default(arg_int(argc, argv, "--size", 84, 32, 1024));
  cfg.width = arg_int(argc, argv, "--width", 64, 1, 1024);
  const int frames = arg_int(argc, argv, "--frames", 2, 1, 64), batch = arg_int(argc, argv, "--batch", 64, 0, 4096);
  const int fwd_reps = arg_int(argc, argv, "--reps", 20, 1, 100000), train_reps = arg_int(argc, argv, "--reps", 3, 1, 100000);
  int counts[MAX_THREADS], n_threads = arg_thread_counts(argc, argv, counts, MAX_THREADS);
  ParamTable t = {0};
  ImageEncoder e;
  if (image_encoder_init(&e, &cfg, &t, "obs_encoder.obs_nets.image")) {
    fprintf(stderr, "onedp bench encoder: %s\n", odp_error());
    return 2;
  }
  float *params = malloc((size_t)t.numel * sizeof(float)), *grads = calloc((size_t)t.numel, sizeof(float));
  image_encoder_init_params(&e, &t, params, 1);
  const char *save = arg_string(argc, argv, "--save-weights", NULL);
  if (save && safetensors_save_params(save, &t, params, NULL, ST_F32)) {
    fprintf(stderr, "onedp bench encoder: %s\n", odp_error());
    return 1;
  }
  const double macs = image_encoder_forward_macs(&e);
  printf("encoder: width %d, %dx%d crop, %ld params, %.1f MMAC per image; %d frames per observation; blas %s\n",
         cfg.width, cfg.image_size, cfg.image_size, t.numel, macs * 1e-6, frames, blas_core_name());
  ImageEncoderActs *one = image_encoder_acts_create(&e, frames);
  ImageEncoderActs *train = batch ? image_encoder_acts_create(&e, batch * frames) : NULL;
  float *dfeat = NULL;
  if (!one || (batch && !train)) return fprintf(stderr, "onedp bench encoder: %s\n", odp_error()), 1;
  fill_images(one, &e);
  ImageEncoderInfer packed;
  if (image_encoder_infer_build(&packed, &e, params)) return fprintf(stderr, "onedp bench encoder: %s\n", odp_error()), 1;
  const long frame_floats = 3L * cfg.image_size * cfg.image_size;
  float *pixels = malloc((size_t)frames * frame_floats * sizeof(float)), *features = malloc((size_t)frames * cfg.feature_dim * sizeof(float));
  for (long i = 0; i < frames * frame_floats; i++) pixels[i] = (float)((i * 7919) % 256) / 255.0f;
  if (train) {
    fill_images(train, &e);
    dfeat = malloc((size_t)batch * frames * cfg.feature_dim * sizeof(float));
    rng_fill_normal(rng_make(3, 2), 0, dfeat, (long)batch * frames * cfg.feature_dim);
  }
  printf("%8s %10s %10s %10s %10s %10s %12s %10s %12s %8s\n", "threads", "floor ms", "batch1 ms", "x floor",
         "packed ms", "x floor", "train ms", "floor ms", "samples/s", "% peak");
  char json[4096];
  int len = snprintf(json, sizeof json, "{\"width\": %d, \"size\": %d, \"frames\": %d, \"params\": %ld, \"macs\": %.0f, "
                     "\"batch\": %d, \"blas_core\": \"%s\", \"threads\": [", cfg.width, cfg.image_size, frames, t.numel,
                     macs, batch, blas_core_name());
  for (int k = 0; k < n_threads; k++) {
    omp_set_num_threads(counts[k]);
    openblas_set_num_threads(counts[k]);
    const double peak = measure_peak_gflops(counts[k]);
    double cpu1, cpu_t = 0, train_ms = 0;
    double ms1 = time_ms(&(Call){.e = &e, .params = params, .acts = one}, fwd_reps, &cpu1);
    double floor1 = 2.0 * macs * frames / (peak * 1e6);
    ImageEncoderInferActs *pa = image_encoder_infer_acts_create(&packed, counts[k]);
    if (!pa) return fprintf(stderr, "onedp bench encoder: %s\n", odp_error()), 1;
    double packed_ms = time_ms(&(Call){.packed = &packed, .packed_acts = pa, .pixels = pixels, .features = features,
                                       .frames = frames}, fwd_reps, NULL);
    image_encoder_infer_acts_free(pa);
    if (train)
      train_ms = time_ms(&(Call){.e = &e, .params = params, .grads = grads, .acts = train, .dfeat = dfeat}, train_reps,
                         &cpu_t);
    double floor_t = 3.0 * 2.0 * macs * batch * frames / (peak * 1e6);
    printf("%8d %10.3f %10.3f %10.2f %10.3f %10.2f %12.1f %10.1f %12.1f %8.1f\n", counts[k], floor1, ms1,
           ms1 / floor1, packed_ms, packed_ms / floor1, train_ms, floor_t, train ? 1e3 * batch / train_ms : 0.0, train ? 100.0 * floor_t / train_ms : 0.0);
    len += snprintf(json + len, sizeof json - (size_t)len,
                    "%s{\"threads\": %d, \"peak_gflops\": %.1f, \"batch1_ms\": %.4f, \"batch1_cpu_ms\": %.4f, "
                    "\"batch1_floor_ms\": %.4f, \"packed_ms\": %.4f, \"train_ms\": %.3f, \"train_cpu_ms\": %.3f, \"train_floor_ms\": %.3f}",
                    k ? ", " : "", counts[k], peak, ms1, cpu1, floor1, packed_ms, train_ms, cpu_t, floor_t);
  }
  printf("%s]}\n", json);
  image_encoder_acts_free(one), image_encoder_acts_free(train);
  image_encoder_infer_free(&packed);
  free(pixels), free(features);
  free(params), free(grads), free(dfeat);
  param_table_free(&t);
  return 0;
}
