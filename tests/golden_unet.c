// The U-Net against PyTorch: same weights (a safetensors file in PyTorch's names and
// layout), same inputs; output and every parameter gradient compared with a float64
// PyTorch computation (tests/ref/unet_ref.py). Also: the presets' parameter tables
// equal PyTorch's state_dict (names, shapes, order, count).
// Usage: golden_unet GOLDEN_DIR

#include "core/blas_core.h"
#include "model/unet_config.h"
#include "model/unet_infer.h"
#include "golden.h"

// ||a - b|| / ||b||
static void check_forward_backward(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/unet_golden_weights.safetensors", dir);
  Safetensors *wf = safetensors_open(path);
  CHECK(wf != NULL, "%s", odp_error());
  if (!wf) return;
  UnetConfig cfg;
  CHECK(unet_config_from_json(&cfg, safetensors_metadata(wf, "config"), path) == 0, "%s", odp_error());
  safetensors_close(wf);
  Unet u;
  CHECK(unet_init(&u, &cfg) == 0, "%s", odp_error());
  float *params = calloc((size_t)u.table.numel, sizeof(float)), *grads = calloc((size_t)u.table.numel, sizeof(float));
  CHECK(safetensors_load_params(path, &u.table, params, NULL) == 0, "%s", odp_error());

  snprintf(path, sizeof path, "%s/unet_golden.safetensors", dir);
  Safetensors *g = safetensors_open(path);
  CHECK(g != NULL, "%s", odp_error());
  if (!g) return;
  int idx = safetensors_find(g, "sample");
  int B = (int)safetensors_shape(g, idx)[0], T = (int)safetensors_shape(g, idx)[1], D = cfg.input_dim;
  long n = (long)B * T * D;
  float *sample = read_tensor(g, "sample", n), *t = read_tensor(g, "timestep", B);
  float *gc = read_tensor(g, "global_cond", (long)B * cfg.global_cond_dim);
  float *dout = read_tensor(g, "dout", n), *ref_out = read_tensor(g, "out", n);
  float *out = calloc((size_t)n, sizeof(float));
  UnetActs *a = unet_acts_create(&u, B, T);
  unet_forward(&u, params, a, out, sample, t, gc);
  double e = rel_error(out, ref_out, n);
  printf("forward: relative error %.2e (goal <= 1e-4)\n", e);
  CHECK(e <= 1e-4, "U-Net output differs from PyTorch: relative error %.3g", e);

  // The inference network (packed weights) on the same inputs: f32 as exact as the
  // training path; bf16 weights within their 8-bit mantissa's reach.
  const double tols[2] = {1e-4, 1e-2};
  for (int f = 0; f < 2; f++) {
    UnetInfer m;
    CHECK(unet_infer_from_params(&m, &u, params, f ? WEIGHTS_BF16 : WEIGHTS_F32, NULL) == 0, "%s", odp_error());
    UnetInferActs *ia = unet_infer_acts_create(&m, B, T);
    CHECK(unet_infer_forward(&m, ia, out, sample, t, gc) == 0, "%s", odp_error());
    double ei = rel_error(out, ref_out, n);
    printf("inference forward, %s weights: relative error %.2e (goal <= %g)\n", f ? "bf16" : "f32", ei, tols[f]);
    CHECK(ei <= tols[f], "inference U-Net (%s) differs from PyTorch: relative error %.3g", f ? "bf16" : "f32", ei);
    unet_infer_acts_free(ia);
    unet_infer_free(&m);
  }

  unet_backward(&u, params, a, grads, dout, NULL, NULL);
  double worst = 0;
  const char *worst_name = "";
  float *pt_grad = malloc((size_t)u.table.numel * sizeof(float));
  for (int i = 0; i < u.table.count; i++) {
    const ParamEntry *p = &u.table.entries[i];
    char name[160];
    snprintf(name, sizeof name, "grad.%s", p->name);
    float *ref = read_tensor(g, name, p->numel);
    param_to_pytorch(p, grads + p->offset, pt_grad);
    double err = rel_error(pt_grad, ref, p->numel);
    if (err > worst) worst = err, worst_name = p->name;
    CHECK(err <= 1e-3, "gradient of %s differs from PyTorch: relative error %.3g", p->name, err);
    free(ref);
  }
  printf("backward: %d parameter gradients, worst relative error %.2e in %s (goal <= 1e-3)\n", u.table.count, worst,
         worst_name);
  free(pt_grad), free(sample), free(t), free(gc), free(dout), free(ref_out), free(out), free(params), free(grads);
  unet_acts_free(a);
  safetensors_close(g);
  unet_free(&u);
}

static void check_presets(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/unet_presets.json", dir);
  char *text = read_text(path);
  CHECK(text != NULL, "cannot read %s", path);
  cJSON *root = cJSON_Parse(text);
  const char *names[] = {"lowdim", "image", "small"};
  for (int p = 0; p < 3; p++) {
    const cJSON *ref = cJSON_GetObjectItem(root, names[p]);
    UnetConfig cfg;
    unet_config_preset(&cfg, names[p]);
    Unet u;
    CHECK(unet_init(&u, &cfg) == 0, "%s", odp_error());
    long ref_params = (long)cJSON_GetObjectItem(ref, "params")->valuedouble;
    printf("preset %s: %ld params (PyTorch %ld)\n", names[p], u.table.numel, ref_params);
    CHECK(u.table.numel == ref_params, "preset %s: %ld params, PyTorch %ld", names[p], u.table.numel, ref_params);
    char what[64];
    snprintf(what, sizeof what, "preset %s", names[p]);
    check_param_table(what, &u.table, cJSON_GetObjectItem(ref, "tensors"));
    unet_free(&u);
  }
  cJSON_Delete(root);
  free(text);
}

int main(int argc, char **argv) {
  printf("OpenBLAS kernels: %s\n", blas_core_name());
  if (argc != 2) {
    fprintf(stderr, "usage: golden_unet GOLDEN_DIR\n");
    return 2;
  }
  check_presets(argv[1]);
  check_forward_backward(argv[1]);
  TEST_MAIN_END();
}
