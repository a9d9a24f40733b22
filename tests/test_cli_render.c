// onedp render: runs the CLI on PushT episode 0 (from recorded states and by
// replay), reads the GIF back with giflib and compares frames with the recorded
// images and actions of the zarr store.
#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "data/zarr.h"
#include "test.h"

#define PUSHT "../shared/data/pusht/pusht_cchi_v7_replay.zarr"

static int render(const char *out, const char *extra) {
  const char *build = getenv("ONEDP_BUILD");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/onedp render %s --episode 0 --out %s %s > /dev/null", build ? build : "build", PUSHT, out,
           extra);
  return system(cmd);
}

// Mean |GIF frame - recorded image| per pixel channel, and red marker pixels near (mx, my).
static double frame_error(const GifFileType *g, int k, const float *rec, double mx, double my, int *red_near) {
  const SavedImage *s = &g->SavedImages[k];
  const ColorMapObject *m = s->ImageDesc.ColorMap ? s->ImageDesc.ColorMap : g->SColorMap;
  double err = 0;
  *red_near = 0;
  for (int i = 0; i < 96 * 96; i++) {
    const GifColorType *c = &m->Colors[s->RasterBits[i]];
    err += fabs(c->Red - rec[3 * i]) + fabs(c->Green - rec[3 * i + 1]) + fabs(c->Blue - rec[3 * i + 2]);
    int x = i % 96, y = i / 96;
    *red_near += c->Red == 255 && c->Green == 0 && c->Blue == 0 && fabs(x - mx) <= 5 && fabs(y - my) <= 5;
  }
  return err / (96 * 96 * 3);
}

static void check_gif(const char *path, int replay) {
  int e = 0;
  GifFileType *g = DGifOpenFileName(path, &e);
  CHECK(g && DGifSlurp(g) == GIF_OK, "read %s: %s", path, GifErrorString(g ? g->Error : e));
  if (!g) return;
  CHECK(g->SWidth == 96 && g->SHeight == 96 && g->ImageCount == 161, "%dx%d, %d frames", g->SWidth, g->SHeight,
        g->ImageCount);
  ZarrArray *img = zarr_open(PUSHT, "data/img"), *act = zarr_open(PUSHT, "data/action");
  CHECK(img && act, "PushT data at %s: %s", PUSHT, odp_error());
  static float rec[96 * 96 * 3];
  float a[2];
  double worst = 0, sum = 0;
  int frames = 0, marked = 0;
  for (int k = 0; img && act && k < g->ImageCount && k < 161; k += 8, frames++) {
    if (zarr_read_rows(img, k, 1, ZARR_F32, rec) || zarr_read_rows(act, k ? k - 1 : 0, 1, ZARR_F32, a)) break;
    int red;
    double mae = frame_error(g, k, rec, a[0] / 512 * 96, a[1] / 512 * 96, &red);
    sum += mae, worst = mae > worst ? mae : worst;
    marked += k > 0 && red >= 5;
    if (k == 0) CHECK(red == 0, "frame 0 has no action marker (%d red pixels)", red);
  }
  CHECK(frames == 21 && marked == frames - 1, "marker drawn near action[t-1] in %d of %d frames", marked, frames - 1);
  // the marker accounts for most of the difference (~0.3)
  CHECK(sum / frames < 1.0 && worst < 2.0, "%s: mean |render - recorded| %.3f (worst frame %.3f)",
        replay ? "replay" : "states", sum / frames, worst);
  printf("%s: mean abs error vs recorded images %.3f per channel (worst frame %.3f)\n", replay ? "replay" : "states",
         sum / frames, worst);
  zarr_close(img), zarr_close(act);
  DGifCloseFile(g, &e);
}

int main(void) {
  char dir[] = "/tmp/onedp_render_XXXXXX", a[64], b[64], c[64];
  if (!mkdtemp(dir)) return 1;
  snprintf(a, sizeof a, "%s/states.gif", dir);
  snprintf(b, sizeof b, "%s/replay.gif", dir);
  snprintf(c, sizeof c, "%s/big.gif", dir);
  CHECK(render(a, "") == 0, "onedp render failed");
  check_gif(a, 0);
  CHECK(render(b, "--replay") == 0, "onedp render --replay failed");
  check_gif(b, 1);
  CHECK(render(c, "--size 512") == 0, "onedp render --size 512 failed");
  int e;
  GifFileType *g = DGifOpenFileName(c, &e);
  CHECK(g && DGifSlurp(g) == GIF_OK && g->SWidth == 512 && g->ImageCount == 161, "512 GIF");
  if (g) DGifCloseFile(g, &e);
  unlink(a), unlink(b), unlink(c), rmdir(dir);
  TEST_MAIN_END();
}
