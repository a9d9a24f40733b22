// One channels-last image (H, W, C) inside a zero border of `pad` pixels: the layout of
// the inference-only image layers (nn/conv2d_infer.h, the _nhwc functions of
// nn/group_norm.h and nn/max_pool2d.h). A layer writes its output's interior; the border
// stays zero and is the padding the next layer reads.
#pragma once

typedef struct {
  float *data;  // (h + 2 pad, w + 2 pad, c)
  int h, w, c, pad;
} NhwcImage;

static inline long nhwc_floats(int h, int w, int c, int pad) { return (long)(h + 2 * pad) * (w + 2 * pad) * c; }
// The value at (y, x, ch) of the image's interior (y, x may reach into the border).
static inline float *nhwc_at(const NhwcImage *im, int y, int x, int ch) {
  return im->data + ((long)(y + im->pad) * (im->w + 2 * im->pad) + x + im->pad) * im->c + ch;
}
