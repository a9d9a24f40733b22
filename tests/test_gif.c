// GIF writer: frames read back with giflib's DGifSlurp must have the written
// size, frame count, delay, looping, and pixels (exact for <= 256 colours,
// close for a 4096-colour gradient); the file appears atomically.
#include <dirent.h>
#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "io/gif.h"
#include "test.h"

enum { W = 64, H = 48 };

// frame f: a few flat colours (exact) or, for f == 2, a gradient of 4096 colours.
static void make_frame(int f, uint8_t *rgb) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      uint8_t *p = rgb + (y * W + x) * 3;
      if (f == 2) {
        p[0] = (uint8_t)(x * 4), p[1] = (uint8_t)(y * 5), p[2] = (uint8_t)((x + y) * 2);
      } else {
        int inside = (x - 20 - 10 * f) * (x - 20 - 10 * f) + (y - 24) * (y - 24) < 100;
        p[0] = inside ? 65 : 255, p[1] = inside ? 105 : (x < 8 ? 238 : 255), p[2] = inside ? 225 : (x < 8 ? 144 : 255);
        if (y == 0) p[0] = (uint8_t)x, p[1] = (uint8_t)(3 * f), p[2] = 7;  // 64 more distinct colours
      }
    }
}

static int count_temp_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
  if (d) closedir(d);
  return n;
}

static int has_loop_extension(const GifFileType *gif) {
  const SavedImage *s = &gif->SavedImages[0];
  for (int i = 0; i + 1 < s->ExtensionBlockCount; i++)
    if (s->ExtensionBlocks[i].Function == APPLICATION_EXT_FUNC_CODE && s->ExtensionBlocks[i].ByteCount == 11 &&
        !memcmp(s->ExtensionBlocks[i].Bytes, "NETSCAPE2.0", 11) && s->ExtensionBlocks[i + 1].ByteCount == 3 &&
        s->ExtensionBlocks[i + 1].Bytes[1] == 0 && s->ExtensionBlocks[i + 1].Bytes[2] == 0)
      return 1;
  return 0;
}

static void check_readback(const char *path, uint8_t frames[3][H * W * 3]) {
  int err = 0;
  GifFileType *gif = DGifOpenFileName(path, &err);
  CHECK(gif && DGifSlurp(gif) == GIF_OK, "DGifSlurp %s: %s", path, GifErrorString(gif ? gif->Error : err));
  if (!gif) return;
  CHECK(gif->SWidth == W && gif->SHeight == H && gif->ImageCount == 3, "size %dx%d, %d frames", gif->SWidth, gif->SHeight,
        gif->ImageCount);
  CHECK(gif->ImageCount > 0 && has_loop_extension(gif), "NETSCAPE2.0 loop-forever extension");
  for (int f = 0; f < gif->ImageCount && f < 3; f++) {
    GraphicsControlBlock gcb;
    CHECK(DGifSavedExtensionToGCB(gif, f, &gcb) == GIF_OK && gcb.DelayTime == 10, "frame %d delay", f);
    const SavedImage *im = &gif->SavedImages[f];
    const ColorMapObject *map = im->ImageDesc.ColorMap ? im->ImageDesc.ColorMap : gif->SColorMap;
    CHECK(map && im->ImageDesc.Width == W && im->ImageDesc.Height == H, "frame %d descriptor", f);
    if (!map) continue;
    int worst = 0, wrong = 0;
    for (int i = 0; i < W * H; i++) {
      const GifColorType *c = &map->Colors[im->RasterBits[i]];
      const uint8_t *want = frames[f] + 3 * i;
      int d = abs(c->Red - want[0]) + abs(c->Green - want[1]) + abs(c->Blue - want[2]);
      wrong += d != 0;
      worst = d > worst ? d : worst;
    }
    if (f == 2) CHECK(worst <= 24 && wrong > 0, "gradient frame: worst |error| sum %d, %d pixels inexact", worst, wrong);
    else CHECK(wrong == 0, "frame %d: %d pixels differ (worst %d)", f, wrong, worst);
  }
  DGifCloseFile(gif, &err);
}

int main(void) {
  char dir[] = "/tmp/onedp_gif_XXXXXX", path[64];
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/anim.gif", dir);
  static uint8_t frames[3][H * W * 3];
  GifWriter *g = gif_open(path, W, H, 10);
  CHECK(g != NULL, "gif_open: %s", odp_error());
  for (int f = 0; g && f < 3; f++) {
    make_frame(f, frames[f]);
    CHECK(gif_add_frame(g, frames[f]) == ODP_OK, "frame %d: %s", f, odp_error());
    CHECK(access(path, F_OK) != 0, "target must not exist before gif_close");
  }
  CHECK(g && gif_close(g) == ODP_OK, "gif_close: %s", odp_error());
  CHECK(count_temp_files(dir) == 0, "temp file left behind");
  check_readback(path, frames);

  char aborted[64];
  snprintf(aborted, sizeof aborted, "%s/aborted.gif", dir);
  g = gif_open(aborted, W, H, 10);
  if (g) gif_add_frame(g, frames[0]);
  gif_abort(g);
  CHECK(access(aborted, F_OK) != 0 && count_temp_files(dir) == 0, "abort leaves nothing");
  g = gif_open(aborted, W, H, 10);
  CHECK(g && gif_close(g) == ODP_ERR && strstr(odp_error(), "no frames"), "empty GIF refused: %s", odp_error());
  CHECK(access(aborted, F_OK) != 0 && count_temp_files(dir) == 0, "failed close leaves nothing");
  CHECK(gif_open("/nonexistent-dir/x.gif", W, H, 10) == NULL && strstr(odp_error(), "/nonexistent-dir/x.gif"),
        "unwritable path: %s", odp_error());
  CHECK(gif_open(aborted, 0, H, 10) == NULL, "zero width refused");
  unlink(path);
  rmdir(dir);
  TEST_MAIN_END();
}
