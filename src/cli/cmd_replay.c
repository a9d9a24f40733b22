// onedp replay PATH: replays the PushT demonstrations open loop through our
// environment and reports how faithfully it reproduces them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/error.h"
#include "env/pusht_demo.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp replay PATH [--episodes A:B] [--render]\n\n"
          "Resets PushT episode i from seed i, replays its recorded actions open loop and\n"
          "compares every state (float32; state[t] precedes action[t]) with the recording:\n"
          "fraction within 1 px and 0.01 rad, fraction bit-exact, median first-divergence\n"
          "step (an episode that never diverges counts its length). Also checks keypoints\n"
          "computed from the recorded states against the recorded keypoints (rows with and\n"
          "without contact). --render adds the mean absolute error\n"
          "(0-255, per pixel channel) of our 96x96 renders vs the recorded images; frames\n"
          "that differ are those with contact marks (pygame draws them anti-aliased).\n"
          "PATH is the zarr store, e.g. ../shared/data/pusht/pusht_cchi_v7_replay.zarr.\n"
          "The last line is one JSON object.\n");
}

// "A:B", 0 <= A < B; B is checked against the store once it is loaded.
static int parse_episodes(const char *s, long *ep0, long *ep1) {
  char *mid, *end;
  *ep0 = strtol(s, &mid, 10);
  if (mid == s || *mid != ':' || *ep0 < 0) return ODP_ERR;
  *ep1 = strtol(mid + 1, &end, 10);
  return end == mid + 1 || *end || *ep1 <= *ep0 ? ODP_ERR : ODP_OK;
}

int cmd_replay(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *path = NULL, *episodes = NULL;
  long ep0 = 0, ep1 = -1;
  int render = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--episodes")) {
      if (i + 1 >= argc || parse_episodes(episodes = argv[++i], &ep0, &ep1)) {
        fprintf(stderr, "onedp replay: --episodes %s: expected A:B with 0 <= A < B\n", episodes ? episodes : "");
        return 2;
      }
    } else if (!strcmp(argv[i], "--render")) {
      render = 1;
    } else if (argv[i][0] != '-' && !path) {
      path = argv[i];
    } else {
      fprintf(stderr, "onedp replay: unexpected argument '%s' (see onedp replay --help)\n", argv[i]);
      return 2;
    }
  }
  if (!path) {
    fprintf(stderr, "onedp replay: missing PATH (see onedp replay --help)\n");
    return 2;
  }
  PushTDemo d;
  if (pusht_demo_load(&d, path)) {
    fprintf(stderr, "onedp replay: %s\n", odp_error());
    return 1;
  }
  if (ep1 < 0) ep1 = (long)d.episodes;
  if (ep1 > d.episodes) {
    fprintf(stderr, "onedp replay: --episodes %s: %s has %lld episodes\n", episodes, path, (long long)d.episodes);
    pusht_demo_free(&d);
    return 1;
  }
  PushTReplayStats st;
  PushTRenderStats rs = {0};
  int rc = pusht_demo_replay(&d, ep0, ep1, &st);
  if (!rc && render) rc = pusht_demo_render_error(&d, path, ep0, ep1, &rs);
  pusht_demo_free(&d);
  if (rc) {
    fprintf(stderr, "onedp replay: %s\n", odp_error());
    return 1;
  }
  double n = (double)st.steps;
  printf("episodes %lld  steps %lld  bit-exact episodes %lld\n", (long long)st.episodes, (long long)st.steps,
         (long long)st.episodes_exact);
  printf("within 1 px / 0.01 rad  %.6f\nbit-exact float32       %.6f\nmedian divergence step  %.1f\n",
         st.within_tol / n, st.bit_exact / n, st.median_divergence_step);
  printf("keypoints max error: %.3g px on %lld contact-free rows, %.3g px on %lld rows in or just after contact\n",
         st.kp_max_err_free, (long long)st.free_rows, st.kp_max_err_contact, (long long)st.contact_rows);
  if (render)
    printf("render MAE %.6f (0-255, per pixel channel) over %lld frames, %lld identical, max channel error %.0f\n",
           rs.mae, (long long)rs.frames, (long long)rs.frames_exact, rs.max_abs);
  printf("{\"episodes\": %lld, \"steps\": %lld, \"frac_within_tol\": %.9g, \"frac_bit_exact\": %.9g, "
         "\"median_divergence_step\": %.1f, \"episodes_bit_exact\": %lld, \"kp_max_err_free_px\": %.6g, "
         "\"kp_max_err_contact_px\": %.6g",
         (long long)st.episodes, (long long)st.steps, st.within_tol / n, st.bit_exact / n, st.median_divergence_step,
         (long long)st.episodes_exact, st.kp_max_err_free, st.kp_max_err_contact);
  if (render)
    printf(", \"render_mae\": %.6g, \"render_frames\": %lld, \"render_frames_identical\": %lld, \"render_max_abs\": %.0f",
           rs.mae, (long long)rs.frames, (long long)rs.frames_exact, rs.max_abs);
  printf("}\n");
  return 0;
}
