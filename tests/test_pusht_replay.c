// PushT against the recorded demonstrations (../shared/data/pusht, docs/facts.md §8):
// all 206 episodes replay bit-exactly, keypoints re-derive and match, renders match
// the recorded images. A missing dataset is a failure, not a skip.
#include <math.h>
#include <stdio.h>

#include "core/error.h"
#include "env/pusht.h"
#include "env/pusht_demo.h"
#include "test.h"

static const char *root = "../shared/data/pusht/pusht_cchi_v7_replay.zarr";

static void test_replay(const PushTDemo *d) {
  PushTReplayStats st;
  int rc = pusht_demo_replay(d, 0, d->episodes, &st);
  CHECK(rc == 0, "replay: %s", odp_error());
  CHECK(st.episodes == 206 && st.steps == 25650, "%lld episodes, %lld steps", (long long)st.episodes,
        (long long)st.steps);
  CHECK(st.within_tol == st.steps, "%lld of %lld steps within 1 px / 0.01 rad", (long long)st.within_tol,
        (long long)st.steps);
  CHECK(st.bit_exact == st.steps, "%lld of %lld steps bit-exact", (long long)st.bit_exact, (long long)st.steps);
  CHECK(st.episodes_exact == 206, "%lld episodes bit-exact", (long long)st.episodes_exact);
  // Keypoints from the recorded state: < 1e-3 px where the recorder saw no contact
  // (on the row or the one before), within ~2.2 px where it did.
  CHECK(st.free_rows > 13000 && st.kp_max_err_free <= 1e-3, "contact-free keypoints off by %.3g px on %lld rows",
        st.kp_max_err_free, (long long)st.free_rows);
  CHECK(st.kp_max_err_contact <= 2.2, "keypoints in contact off by %.3g px", st.kp_max_err_contact);
  CHECK(st.kp_max_err_contact > 1.0, "contact rows unexpectedly agree (%.3g px): wrong rows classified?",
        st.kp_max_err_contact);
  printf("replay: %lld/%lld steps bit-exact; keypoints %.3g px (free) %.3g px (contact)\n", (long long)st.bit_exact,
         (long long)st.steps, st.kp_max_err_free, st.kp_max_err_contact);
}

// Re-derives kp_local: the least-squares solution of keypoint = R(angle)·kp + position
// over contact-free rows is the mean of R(-angle)·(keypoint - position).
static void test_keypoint_derivation(const PushTDemo *d) {
  double sum[PUSHT_KEYPOINTS][2] = {{0}};
  long n = 0;
  for (int64_t ep = 0; ep < d->episodes; ep++)
    for (int64_t t = pusht_demo_start(d, ep); t < d->ends[ep]; t++) {
      if (!pusht_demo_contact_free(d, ep, t)) continue;
      const float *s = &d->state[5 * t], *kp = &d->keypoint[18 * t];
      double c = cos(s[4]), sn = sin(s[4]);
      for (int k = 0; k < PUSHT_KEYPOINTS; k++) {
        double dx = kp[2 * k] - (double)s[2], dy = kp[2 * k + 1] - (double)s[3];
        sum[k][0] += c * dx + sn * dy;
        sum[k][1] += -sn * dx + c * dy;
      }
      n++;
    }
  for (int k = 0; k < PUSHT_KEYPOINTS; k++)
    for (int j = 0; j < 2; j++)
      CHECK_NEAR(sum[k][j] / n, pusht_kp_local[k][j], 1e-6, "kp_local re-derived from the demonstrations");
}

static void test_render(const PushTDemo *d) {
  PushTRenderStats rs;
  int rc = pusht_demo_render_error(d, root, 0, d->episodes, &rs);
  CHECK(rc == 0, "render error: %s", odp_error());
  CHECK(rs.frames == 25650, "%lld frames", (long long)rs.frames);
  CHECK(rs.mae <= 3.0, "render MAE %.4f > 3", rs.mae);
  CHECK(rs.mae <= 0.01, "render MAE %.4f: the renderer regressed from ~1e-4", rs.mae);
  CHECK(rs.frames_exact >= rs.frames * 8 / 10, "only %lld of %lld frames identical", (long long)rs.frames_exact,
        (long long)rs.frames);
  printf("render: MAE %.6f, %lld/%lld frames identical, max channel error %.0f\n", rs.mae, (long long)rs.frames_exact,
         (long long)rs.frames, rs.max_abs);
}

int main(void) {
  PushTDemo d;
  int rc = pusht_demo_load(&d, root);
  CHECK(rc == 0, "the PushT dataset is required: %s", odp_error());
  if (rc) TEST_MAIN_END();
  test_replay(&d);
  test_keypoint_derivation(&d);
  test_render(&d);
  pusht_demo_free(&d);
  TEST_MAIN_END();
}
