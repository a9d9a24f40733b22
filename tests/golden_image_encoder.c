// The image encoder against PyTorch (tests/ref/image_encoder_ref.py: torchvision's
// resnet18 with GroupNorm, robomimic's spatial softmax): same weights, same images;
// features and every parameter gradient compared with a float64 PyTorch computation.
// Also: the parameter table equals PyTorch's unique parameters (names, shapes, order)
// and counts 11,197,088 at the reference's size.
// Usage: golden_image_encoder GOLDEN_DIR
#include "model/image_encoder.h"
#include "golden.h"

#define PREFIX "obs_encoder.obs_nets.image"

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
  check_param_table("encoder", t, cJSON_GetObjectItem(root, "tensors"));
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
