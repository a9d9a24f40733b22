// The image policy's training loss against PyTorch (tests/ref/image_policy_ref.py): camera
// encoders and U-Net built from one policy config, the global condition assembled from the
// frames' features and low-dim inputs, the noise-prediction loss back-propagated through the
// U-Net into the encoders; every parameter gradient compared with float64 PyTorch. Two
// cases: PushT's one camera, the arm tasks' two (agentview and eye-in-hand, 76 of 84).
// Also: configs/pusht_image_paper.json counts PyTorch's parameters of the reference policy.
// Usage: golden_image_policy GOLDEN_DIR PAPER_CONFIG

#include "model/policy.h"
#include "model/unet_config.h"
#include "golden.h"

// The paper configuration's U-Net + encoder parameters (tables only: nothing allocated).
static void check_paper_count(const char *dir, const char *config_path) {
  char path[512];
  snprintf(path, sizeof path, "%s/image_policy_paper.json", dir);
  char *ref = read_text(path), *json = read_text(config_path);
  CHECK(ref && json, "cannot read %s or %s", path, config_path);
  if (!ref || !json) return;
  cJSON *root = cJSON_Parse(ref);
  const cJSON *params = cJSON_GetObjectItem(root, "params");
  long want = cJSON_IsNumber(params) ? (long)params->valuedouble : -1;
  cJSON_Delete(root);
  UnetConfig uc;
  Unet u;
  ParamTable t = {0};
  ObsEncoder e;
  CHECK(unet_config_from_json(&uc, json, config_path) == 0 && unet_init(&u, &uc) == 0 &&
            obs_encoder_init(&e, json, config_path, 2, 2, &t) == 0, "%s", odp_error());
  long got = u.table.numel + t.numel;
  printf("%s: %ld parameters (PyTorch %ld)\n", config_path, got, want);
  CHECK(got == want, "%s: %ld parameters, PyTorch's reference policy has %ld", config_path, got, want);
  unet_free(&u), param_table_free(&t);
  free(ref), free(json);
}

// One case of tests/ref/image_policy_ref.py: <name>_weights.safetensors (the policy and its
// config) and <name>_golden.safetensors (inputs, condition, loss, gradients).
static void check_case(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s_weights.safetensors", dir, name);
  Safetensors *wf = safetensors_open(path);
  CHECK(wf != NULL, "%s", odp_error());
  if (!wf) return;
  Policy p;
  int ok = policy_init(&p, safetensors_metadata(wf, "config"), path) == 0;
  CHECK(ok, "%s", odp_error());
  safetensors_close(wf);
  if (!ok) return;
  const ObsEncoder *e = &p.encoder;
  const int C = e->n_cameras, L = p.shape.lowdim_dim, Da = p.shape.action_dim;
  CHECK(e->kind == OBS_ENCODER_IMAGE && p.shape.obs_dim == C * 3 * e->image_h * e->image_w + L,
        "image policy, frame %d floats", p.shape.obs_dim);
  CHECK(safetensors_load_params(path, &p.table, p.params, NULL) == 0, "%s", odp_error());

  snprintf(path, sizeof path, "%s/%s_golden.safetensors", dir, name);
  Safetensors *g = safetensors_open(path);
  CHECK(g != NULL, "%s", odp_error());
  if (!g) return policy_free(&p);
  const int B = 2, To = p.shape.n_obs_steps, T = p.shape.horizon, S = e->image[0].cfg.image_size;
  const int gc = e->out_dim, m = B * To;
  const long n = (long)B * T * Da, per_image = 3L * S * S;
  float *lowdim = read_tensor(g, "lowdim", (long)m * L);
  float *x_t = read_tensor(g, "x_t", n), *eps = read_tensor(g, "eps", n), *t = read_tensor(g, "timestep", B);
  float *ref_cond = read_tensor(g, "cond", (long)B * gc), *ref_loss = read_tensor(g, "loss", 1);

  ObsEncoderActs *enc = obs_encoder_acts_create(e, NULL, B);
  for (int c = 0; c < C; c++) {
    char key[96];
    snprintf(key, sizeof key, "images.%s", e->camera[c]);
    float *images = read_tensor(g, key, m * per_image);
    for (int i = 0; i < m; i++)  // image i = b * To + t, (3, S, S) -> (3, S, S, m)
      for (long k = 0; k < per_image; k++) enc->image[c]->images[k * m + i] = images[i * per_image + k];
    free(images);
  }
  memcpy(enc->lowdim, lowdim, (size_t)m * L * sizeof(float));
  float *cond = malloc((size_t)B * gc * sizeof(float)), *dcond = malloc((size_t)B * gc * sizeof(float));
  obs_encoder_forward_train(e, p.params, enc, cond);
  double ce = rel_error(cond, ref_cond, (long)B * gc);
  printf("%s (%d camera%s): global condition: relative error %.2e (goal <= 1e-4)\n", name, C, C > 1 ? "s" : "", ce);
  CHECK(ce <= 1e-4, "%s: global condition differs from PyTorch: relative error %.3g", name, ce);

  UnetActs *a = unet_acts_create(&p.unet, B, T);
  float *pred = malloc((size_t)n * sizeof(float)), *grads = calloc((size_t)p.table.numel, sizeof(float));
  unet_forward(&p.unet, p.params, a, pred, x_t, t, cond);
  double loss = 0;
  for (long i = 0; i < n; i++) {
    double d = (double)pred[i] - eps[i];
    loss += d * d;
    pred[i] = (float)(2.0 * d / (double)n);
  }
  loss /= (double)n;
  printf("%s: loss %.6f (PyTorch %.6f)\n", name, loss, ref_loss[0]);
  CHECK(fabs(loss - ref_loss[0]) <= 1e-4 * fabs(ref_loss[0]), "%s: loss %.7g vs PyTorch %.7g", name, loss, ref_loss[0]);
  unet_backward(&p.unet, p.params, a, grads, pred, NULL, dcond);
  obs_encoder_backward(e, p.params, grads, enc, dcond);

  const double floor = 1e-5 * norm(grads, p.table.numel);  // the keypoint conv's bias: zero gradient in exact arithmetic
  double worst = 0;
  const char *worst_name = "";
  int checked = 0;
  float *pt = malloc((size_t)p.table.numel * sizeof(float));
  for (int i = 0; i < p.table.count; i++) {
    const ParamEntry *en = &p.table.entries[i];
    if (en->frozen) continue;  // normalizer statistics
    char gname[200];
    snprintf(gname, sizeof gname, "grad.%s", en->name);
    float *ref = read_tensor(g, gname, en->numel);
    param_to_pytorch(en, grads + en->offset, pt);
    double err = rel_error_floor(pt, ref, en->numel, floor);
    if (err > worst) worst = err, worst_name = en->name;
    CHECK(err <= 1e-3, "%s: gradient of %s differs from PyTorch: relative error %.3g", name, en->name, err);
    checked++;
    free(ref);
  }
  printf("%s: backward: %d parameter gradients (U-Net and encoders), worst relative error %.2e in %s (goal <= 1e-3)\n",
         name, checked, worst, worst_name);
  free(pt), free(lowdim), free(x_t), free(eps), free(t), free(ref_cond), free(ref_loss);
  free(cond), free(dcond), free(pred), free(grads);
  unet_acts_free(a);
  obs_encoder_acts_free(enc);
  safetensors_close(g);
  policy_free(&p);
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: golden_image_policy GOLDEN_DIR PAPER_CONFIG\n"), 2;
  check_paper_count(argv[1], argv[2]);
  check_case(argv[1], "image_policy");
  check_case(argv[1], "image_policy_2cam");
  TEST_MAIN_END();
}
