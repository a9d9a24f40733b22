// Animated GIF writer on giflib: local palettes per frame, NETSCAPE2.0 looping,
// atomic replace via temp file + rename.
#include "io/gif.h"

#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "io/palette.h"

struct GifWriter {
  GifFileType *gif;
  int sync_fd;  // dup of the file descriptor, to fsync after giflib closes its own
  int width, height, delay_cs, frames;
  char *path, *tmp;
  uint8_t *indices;  // (height * width,)
};

static int gif_error(const GifWriter *g, const char *what, int code) {
  return odp_fail("%s: %s: %s", g->path, what, GifErrorString(code));
}

static void writer_free(GifWriter *g) {
  if (g->sync_fd >= 0) close(g->sync_fd);
  free(g->path), free(g->tmp), free(g->indices), free(g);
}

// The loop-forever application extension (count 0), understood by every viewer.
static int put_loop_extension(GifWriter *g) {
  static const unsigned char loop[3] = {1, 0, 0};
  if (EGifPutExtensionLeader(g->gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(g->gif, 11, "NETSCAPE2.0") == GIF_ERROR || EGifPutExtensionBlock(g->gif, 3, loop) == GIF_ERROR ||
      EGifPutExtensionTrailer(g->gif) == GIF_ERROR)
    return gif_error(g, "writing loop extension", g->gif->Error);
  return ODP_OK;
}

static int open_tmp(GifWriter *g) {
  size_t n = strlen(g->path);
  if (!(g->tmp = odp_malloc(n + 16, "gif temp path"))) return ODP_ERR;
  snprintf(g->tmp, n + 16, "%s.tmp.XXXXXX", g->path);
  int fd = mkstemp(g->tmp);
  if (fd < 0) {
    g->tmp[0] = 0;
    return odp_fail("%s: cannot create temp file beside it", g->path);
  }
  fchmod(fd, 0644);  // mkstemp's 0600 would make the finished GIF private
  g->sync_fd = dup(fd);
  int err = 0;
  if (!(g->gif = EGifOpenFileHandle(fd, &err))) {
    close(fd);
    return gif_error(g, "opening", err);
  }
  EGifSetGifVersion(g->gif, true);  // GIF89a: needed for delays and looping
  if (EGifPutScreenDesc(g->gif, g->width, g->height, 8, 0, NULL) == GIF_ERROR)
    return gif_error(g, "writing screen descriptor", g->gif->Error);
  return put_loop_extension(g);
}

GifWriter *gif_open(const char *path, int width, int height, int delay_cs) {
  if (width < 1 || height < 1 || width > 65535 || height > 65535 || delay_cs < 0 || delay_cs > 65535) {
    odp_fail("%s: bad GIF geometry %dx%d or delay %d cs", path, width, height, delay_cs);
    return NULL;
  }
  GifWriter *g = odp_calloc(1, sizeof *g, "gif writer");
  if (!g) return NULL;
  g->sync_fd = -1;
  g->width = width, g->height = height, g->delay_cs = delay_cs;
  size_t n = strlen(path) + 1;
  if ((g->path = odp_malloc(n, "gif path"))) memcpy(g->path, path, n);
  g->indices = odp_malloc((size_t)width * height, "gif frame indices");
  if (!g->path || !g->indices || open_tmp(g)) {
    if (g->path) gif_abort(g);
    else writer_free(g);
    return NULL;
  }
  return g;
}

static int put_frame_header(GifWriter *g, ColorMapObject *map) {
  GraphicsControlBlock gcb = {.DisposalMode = DISPOSE_DO_NOT, .UserInputFlag = false, .DelayTime = g->delay_cs,
                              .TransparentColor = NO_TRANSPARENT_COLOR};
  GifByteType ext[4];
  size_t len = EGifGCBToExtension(&gcb, ext);
  if (EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, (int)len, ext) == GIF_ERROR)
    return gif_error(g, "writing frame delay", g->gif->Error);
  if (EGifPutImageDesc(g->gif, 0, 0, g->width, g->height, false, map) == GIF_ERROR)
    return gif_error(g, "writing image descriptor", g->gif->Error);
  return ODP_OK;
}

int gif_add_frame(GifWriter *g, const uint8_t *rgb) {
  uint8_t palette[256][3];
  int ncolors;
  if (palette_quantize(rgb, g->width * g->height, palette, &ncolors, g->indices)) return ODP_ERR;
  ColorMapObject *map = GifMakeMapObject(1 << GifBitSize(ncolors < 2 ? 2 : ncolors), NULL);
  if (!map) return odp_fail("%s: out of memory for a colour map", g->path);
  for (int i = 0; i < map->ColorCount; i++) {
    const uint8_t *c = i < ncolors ? palette[i] : palette[0];
    map->Colors[i] = (GifColorType){c[0], c[1], c[2]};
  }
  int rc = put_frame_header(g, map);
  GifFreeMapObject(map);
  for (int y = 0; !rc && y < g->height; y++)
    if (EGifPutLine(g->gif, g->indices + (size_t)y * g->width, g->width) == GIF_ERROR)
      rc = gif_error(g, "writing pixels", g->gif->Error);
  if (!rc) g->frames++;
  return rc;
}

int gif_close(GifWriter *g) {
  int err = 0, rc = ODP_OK;
  if (g->frames == 0) rc = odp_fail("%s: no frames written", g->path);
  if (EGifCloseFile(g->gif, &err) == GIF_ERROR && !rc) rc = gif_error(g, "closing", err);
  g->gif = NULL;
  if (!rc && fsync(g->sync_fd) != 0) rc = odp_fail("%s: fsync failed", g->tmp);
  if (!rc && rename(g->tmp, g->path) != 0) rc = odp_fail("%s: cannot rename %s into place", g->path, g->tmp);
  if (rc) unlink(g->tmp);
  writer_free(g);
  return rc;
}

void gif_abort(GifWriter *g) {
  if (!g) return;
  int err;
  if (g->gif) EGifCloseFile(g->gif, &err);
  if (g->tmp && g->tmp[0]) unlink(g->tmp);
  writer_free(g);
}
