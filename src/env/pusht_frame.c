// PushT frames for GIFs: the environment's rendering at 96 (the observation image) or
// 512 (the full canvas), with the action target marked as the reference's videos mark
// it. Shared by `onedp render` (demonstrations) and `onedp eval` (rollouts) through
// EnvOps.frame.
#include <stdlib.h>

#include "core/error.h"
#include "env/pusht.h"
#include "env/raster.h"

// cv2.drawMarker(MARKER_CROSS) as the reference draws it: 8/96 of the image wide,
// 1/96 thick, red; target in world pixels [0, 512]^2.
static void draw_target(uint8_t *rgb, int size, const float target[2]) {
  Canvas c = {rgb, size, size};
  int x = (int)(target[0] / PUSHT_CANVAS * size), y = (int)(target[1] / PUSHT_CANVAS * size);
  int half = size * 8 / 96 / 2, width = size / 96 > 1 ? size / 96 : 1;
  Rgb red = {255, 0, 0};
  raster_line_width(&c, x - half, y, x + half, y, width, red);
  raster_line_width(&c, x, y - half, x, y + half, width, red);
}

int pusht_frame(const PushT *env, int size, const float *target, uint8_t *rgb) {
  if (size == PUSHT_CANVAS) pusht_render_canvas(env, rgb);
  else if (size != PUSHT_IMAGE) return odp_fail("frame size %d: expected %d or %d", size, PUSHT_IMAGE, PUSHT_CANVAS);
  else if (pusht_render(env, rgb)) return ODP_ERR;
  if (target) draw_target(rgb, size, target);
  return ODP_OK;
}
