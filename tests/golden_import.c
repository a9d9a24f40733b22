// `onedp import` against the projects' own formats (tests/ref/import_ref.py writes them with
// PyTorch): a LeRobot <= 0.3 directory (normalize buffers in the model file), a LeRobot >= 0.4
// one (statistics in the processor files, environment state unnormalised) and a Diffusion
// Policy workspace .ckpt (through scripts/import_dp_ckpt.py, EMA weights). Each imported
// policy, fed the raw observations in onedp's PushT order, gives PyTorch's float64 network
// output, and its action normalizer maps [-1, 1] back onto the action range. Refusals: an
// image input, another policy type.
// Usage: golden_import GOLDEN_DIR IMPORT_DP_CKPT_SCRIPT
#include <unistd.h>

#include "golden.h"
#include "model/policy.h"
#include "model/policy_import.h"

enum { B = 3, T = 16, A = 2, To = 2, F = 20 };

static void check_case(const char *dir, const char *name, const char *ckpt, Safetensors *g) {
  Policy p;
  CHECK(policy_load(&p, ckpt) == 0, "%s: %s", name, odp_error());
  if (p.params == NULL) return;
  float *x = read_tensor(g, "x", B * T * A), *t = read_tensor(g, "timestep", B), *obs = read_tensor(g, "obs", B * To * F);
  char key[64];
  snprintf(key, sizeof key, "%s.eps", name);
  float *ref = read_tensor(g, key, B * T * A), *out = calloc(B * T * A, sizeof(float)), cond[B * To * F];
  normalizer_apply(&p.obs_norm, cond, obs, B * To);
  UnetActs *a = unet_acts_create(&p.unet, B, T);
  unet_forward(&p.unet, p.params, a, out, x, t, cond);
  double e = rel_error(out, ref, B * T * A);
  printf("%-12s network output vs PyTorch float64: relative error %.2e\n", name, e);
  CHECK(e < 1e-5, "%s: output differs from PyTorch by %g (relative)", name, e);
  snprintf(key, sizeof key, "%s.action_min", name);
  float *lo = read_tensor(g, key, A), ends[2 * A] = {-1, -1, 1, 1}, raw[2 * A];
  snprintf(key, sizeof key, "%s.action_max", name);
  float *hi = read_tensor(g, key, A);
  normalizer_unapply(&p.action_norm, raw, ends, 2);
  for (int j = 0; j < A; j++)
    CHECK(fabs(raw[j] - lo[j]) < 1e-3 && fabs(raw[A + j] - hi[j]) < 1e-3, "%s: action %d maps [-1, 1] to [%g, %g], not [%g, %g]",
          name, j, raw[j], raw[A + j], lo[j], hi[j]);
  unet_acts_free(a);
  free(x), free(t), free(obs), free(ref), free(out), free(lo), free(hi);
  policy_free(&p);
  (void)dir;
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: golden_import GOLDEN_DIR IMPORT_DP_CKPT_SCRIPT\n"), 2;
  char path[1024], out[4096], exported[1024];
  snprintf(path, sizeof path, "%s/import_golden.safetensors", argv[1]);
  Safetensors *g = safetensors_open(path);
  CHECK(g != NULL, "%s", odp_error());
  if (!g) TEST_MAIN_END();
  ImportOptions pusht = {"pusht", "../shared/data/pusht/pusht_cchi_v7_replay.zarr", "keypoint"};
  const char *lerobot[] = {"lerobot_v03", "lerobot_v04"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", argv[1], lerobot[i]);
    snprintf(out, sizeof out, "%s/%s_onedp.safetensors", argv[1], lerobot[i]);
    CHECK(import_lerobot(path, out, &pusht) == 0, "%s: %s", lerobot[i], odp_error());
    check_case(argv[1], lerobot[i], out, g);
  }
  // The .ckpt through the converter script (Debian's python3-torch), then the C mapping.
  snprintf(exported, sizeof exported, "%s/dp_exported.safetensors", argv[1]);
  snprintf(out, sizeof out, "/usr/bin/python3 %s %s/dp.ckpt %s", argv[2], argv[1], exported);
  CHECK(system(out) == 0, "scripts/import_dp_ckpt.py failed");
  snprintf(out, sizeof out, "%s/dp_onedp.safetensors", argv[1]);
  CHECK(import_diffusion_policy(exported, out, &pusht) == 0, "dp: %s", odp_error());
  check_case(argv[1], "dp", out, g);
  // Refused, with the reason.
  const char *refuse[][2] = {{"refuse_image", "is an image"}, {"refuse_act", "policy type 'act'"}};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", argv[1], refuse[i][0]);
    int rc = import_lerobot(path, out, &pusht);
    printf("%-12s refused: %s\n", refuse[i][0], rc ? odp_error() : "(accepted!)");
    CHECK(rc != 0 && strstr(odp_error(), refuse[i][1]), "%s: %s", refuse[i][0], odp_error());
  }
  snprintf(path, sizeof path, "%s/refuse_act", argv[1]);
  safetensors_close(g);
  TEST_MAIN_END();
}
