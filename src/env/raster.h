// Integer rasterisation as pygame 2's draw module does it (the reference's PushT
// frames are pygame drawings), and cv2.resize INTER_LINEAR for 8-bit images.
// Canvas pixels are RGB bytes, row-major; writes outside the canvas are clipped.
#pragma once
#include <stdint.h>

typedef struct {
  uint8_t *rgb;  // [h][w][3]
  int w, h;
} Canvas;

typedef struct {
  uint8_t r, g, b;
} Rgb;

void raster_fill(Canvas *c, Rgb color);
// pygame.draw.line (width 1, Bresenham, both ends inclusive).
void raster_line(Canvas *c, int x1, int y1, int x2, int y2, Rgb color);
// pygame.draw.line with width > 1: Bresenham with a span across the minor axis.
void raster_line_width(Canvas *c, int x1, int y1, int x2, int y2, int width, Rgb color);
// pygame.draw.polygon filled: scanline with integer edge intersections.
void raster_polygon(Canvas *c, const int *xs, const int *ys, int n, Rgb color);
// pygame.draw.circle filled (midpoint circle, centre at the pixel corner x0, y0).
void raster_disc(Canvas *c, int x0, int y0, int radius, Rgb color);
// cv2.resize(src, (dw, dh), interpolation=INTER_LINEAR) on 3-channel uint8.
void raster_resize_linear(uint8_t *dst, int dw, int dh, const uint8_t *src, int sw, int sh);
