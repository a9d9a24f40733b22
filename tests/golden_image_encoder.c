// The image encoder against PyTorch (tests/ref/image_encoder_ref.py: torchvision's
// resnet18 with GroupNorm, robomimic's spatial softmax): same weights, same images;
// features and every parameter gradient compared with a float64 PyTorch computation.
// Also: the parameter table equals PyTorch's unique parameters (names, shapes, order)
// and counts 11,197,088 at the reference's size.
// Usage: golden_image_encoder GOLDEN_DIR
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "model/image_encoder.h"
#include "test.h"

#define PREFIX "obs_encoder.obs_nets.image"

// ||a - b|| / max(||b||, floor)
static double rel_error_floor(const float *a, const float *b, long n, double floor) {
  double num = 0, den = 0;
  for (long i = 0; i < n; i++) num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), den += (double)b[i] * b[i];
  return sqrt(num) / fmax(sqrt(den), floor + 1e-30);
}

static double rel_error(const float *a, const float *b, long n) { return rel_error_floor(a, b, n, 0); }

static double norm(const float *x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += (double)x[i] * x[i];
  return sqrt(s);
}

static float *read_tensor(Safetensors *st, const char *name, long n) {
  float *x = malloc((size_t)n * sizeof *x);
  if (safetensors_read_f32(st, name, x, n)) {
    fprintf(stderr, "%s\n", odp_error());
    exit(1);
  }
  return x;
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  s[fread(s, 1, (size_t)n, f)] = 0;
  fclose(f);
  return s;
}

static void check_table(const char *dir, const ParamTable *t) {
  char path[512];
  snprintf(path, sizeof path, "%s/image_encoder_table.json", dir);
  char *text = read_text(path);
  CHECK(text != NULL, "cannot read %s", path);
  if (!text) return;
  cJSON *root = cJSON_Parse(text);
  long ref_params = (long)cJSON_GetObjectItem(root, "params")->valuedouble;
  printf("encoder at 84x84: %ld params (PyTorch %ld, REFERENCE §2: 11197088)\n", t->numel, ref_params);
  CHECK(t->numel == ref_params && t->numel == 11197088, "%ld params, PyTorch %ld", t->numel, ref_params);
  const cJSON *tensors = cJSON_GetObjectItem(root, "tensors");
  CHECK(cJSON_GetArraySize(tensors) == t->count, "%d tensors, PyTorch %d", t->count, cJSON_GetArraySize(tensors));
  for (int i = 0; i < t->count && i < cJSON_GetArraySize(tensors); i++) {
    const cJSON *item = cJSON_GetArrayItem(tensors, i), *shape = cJSON_GetArrayItem(item, 1);
    const ParamEntry *e = &t->entries[i];
    int same = !strcmp(e->name, cJSON_GetArrayItem(item, 0)->valuestring) && cJSON_GetArraySize(shape) == e->ndim;
    for (int k = 0; same && k < e->ndim; k++) same = (int)cJSON_GetArrayItem(shape, k)->valuedouble == e->shape[k];
    CHECK(same, "tensor %d is %s, PyTorch has %s", i, e->name, cJSON_GetArrayItem(item, 0)->valuestring);
  }
  cJSON_Delete(root);
  free(text);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: golden_image_encoder GOLDEN_DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  ImageEncoderConfig cfg = image_encoder_config_default(84);
  ParamTable t = {0};
  ImageEncoder e;
  CHECK(image_encoder_init(&e, &cfg, &t, PREFIX) == 0, "%s", odp_error());
  check_table(dir, &t);

  char path[512];
  snprintf(path, sizeof path, "%s/image_encoder_weights.safetensors", dir);
  float *params = calloc((size_t)t.numel, sizeof(float)), *grads = calloc((size_t)t.numel, sizeof(float));
  CHECK(safetensors_load_params(path, &t, params, NULL) == 0, "%s", odp_error());
  snprintf(path, sizeof path, "%s/image_encoder_golden.safetensors", dir);
  Safetensors *g = safetensors_open(path);
  CHECK(g != NULL, "%s", odp_error());
  if (!g) TEST_MAIN_END();
  const int B = (int)safetensors_shape(g, safetensors_find(g, "images"))[0], S = 84, F = cfg.feature_dim;
  float *images = read_tensor(g, "images", 3L * S * S * B), *ref = read_tensor(g, "features", (long)B * F);
  float *dfeat = read_tensor(g, "dfeatures", (long)B * F);
  ImageEncoderActs *a = image_encoder_acts_create(&e, B);
  for (int b = 0; b < B; b++)  // (B, 3, S, S) -> (3, S, S, B)
    for (long i = 0; i < 3L * S * S; i++) a->images[i * B + b] = images[(long)b * 3 * S * S + i];
  const float *feat = image_encoder_forward(&e, params, a);
  double err = rel_error(feat, ref, (long)B * F);
  printf("forward: features relative error %.2e (goal <= 1e-4)\n", err);
  CHECK(err <= 1e-4, "features differ from PyTorch: relative error %.3g", err);

  image_encoder_backward(&e, params, grads, a, dfeat);
  // The keypoint conv's bias has a zero gradient in exact arithmetic (a softmax ignores a
  // constant added to its map): errors are measured against 1e-5 of the whole gradient's norm
  // where a tensor's own is smaller.
  double floor = 1e-5 * norm(grads, t.numel);
  double worst = 0;
  const char *worst_name = "";
  for (int i = 0; i < t.count; i++) {
    const ParamEntry *p = &t.entries[i];
    char name[200];
    snprintf(name, sizeof name, "grad.%s", p->name);
    float *rg = read_tensor(g, name, p->numel);
    double ge = rel_error_floor(grads + p->offset, rg, p->numel, floor);
    if (ge > worst) worst = ge, worst_name = p->name;
    CHECK(ge <= 1e-3, "gradient of %s differs from PyTorch: relative error %.3g", p->name, ge);
    free(rg);
  }
  printf("backward: %d parameter gradients, worst relative error %.2e in %s (goal <= 1e-3)\n", t.count, worst,
         worst_name);
  image_encoder_acts_free(a);
  safetensors_close(g);
  free(images), free(ref), free(dfeat), free(params), free(grads);
  param_table_free(&t);
  TEST_MAIN_END();
}
