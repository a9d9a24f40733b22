#include "env/raster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put(Canvas *c, int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
  uint8_t *p = c->rgb + 3 * ((long)y * c->w + x);
  p[0] = color.r;
  p[1] = color.g;
  p[2] = color.b;
}

static void hline(Canvas *c, int x1, int x2, int y, Rgb color) {
  if (x2 < x1) {
    int t = x1;
    x1 = x2;
    x2 = t;
  }
  if (y < 0 || y >= c->h) return;
  x1 = x1 < 0 ? 0 : x1;
  x2 = x2 >= c->w ? c->w - 1 : x2;
  uint8_t *p = c->rgb + 3 * ((long)y * c->w + x1);
  for (int x = x1; x <= x2; x++, p += 3) p[0] = color.r, p[1] = color.g, p[2] = color.b;
}

void raster_fill(Canvas *c, Rgb color) {
  if (color.r == color.g && color.g == color.b) {
    memset(c->rgb, color.r, 3 * (size_t)c->w * (size_t)c->h);
    return;
  }
  for (int y = 0; y < c->h; y++) hline(c, 0, c->w - 1, y, color);
}

void raster_line(Canvas *c, int x1, int y1, int x2, int y2, Rgb color) {
  int dx = abs(x2 - x1), sx = x1 < x2 ? 1 : -1;
  int dy = abs(y2 - y1), sy = y1 < y2 ? 1 : -1;
  int err = (dx > dy ? dx : -dy) / 2;
  while (x1 != x2 || y1 != y2) {
    put(c, x1, y1, color);
    int e2 = err;
    if (e2 > -dx) err -= dy, x1 += sx;
    if (e2 < dy) err += dx, y1 += sy;
  }
  put(c, x2, y2, color);
}

void raster_line_width(Canvas *c, int x1, int y1, int x2, int y2, int width, Rgb color) {
  if (width <= 1) {
    raster_line(c, x1, y1, x2, y2, color);
    return;
  }
  int across_x = abs(x1 - x2) <= abs(y1 - y2);  // steep lines grow sideways, flat ones up/down
  int dx = abs(x2 - x1), sx = x1 < x2 ? 1 : -1;
  int dy = abs(y2 - y1), sy = y1 < y2 ? 1 : -1;
  int err = (dx > dy ? dx : -dy) / 2;
  int lo = -(width - 1) / 2, hi = width / 2;
  for (;;) {
    if (across_x)
      hline(c, x1 + lo, x1 + hi, y1, color);
    else
      for (int y = y1 + lo; y <= y1 + hi; y++) put(c, x1, y, color);
    if (x1 == x2 && y1 == y2) break;
    int e2 = err;
    if (e2 > -dx) err -= dy, x1 += sx;
    if (e2 < dy) err += dx, y1 += sy;
  }
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

void raster_polygon(Canvas *c, const int *xs, const int *ys, int n, Rgb color) {
  int miny = ys[0], maxy = ys[0], minx = xs[0], maxx = xs[0];
  for (int i = 1; i < n; i++) {
    miny = ys[i] < miny ? ys[i] : miny;
    maxy = ys[i] > maxy ? ys[i] : maxy;
    minx = xs[i] < minx ? xs[i] : minx;
    maxx = xs[i] > maxx ? xs[i] : maxx;
  }
  if (miny == maxy) {  // one pixel high
    hline(c, minx, maxx, miny, color);
    return;
  }
  int cross[64];
  if (n > 64) n = 64;
  for (int y = miny; y <= maxy; y++) {
    int m = 0;
    for (int i = 0; i < n; i++) {
      int j = i ? i - 1 : n - 1, x1, y1, x2, y2;
      if (ys[j] < ys[i]) {
        x1 = xs[j], y1 = ys[j], x2 = xs[i], y2 = ys[i];
      } else if (ys[j] > ys[i]) {
        x1 = xs[i], y1 = ys[i], x2 = xs[j], y2 = ys[j];
      } else {
        continue;  // horizontal edges are drawn below
      }
      if ((y >= y1 && y < y2) || (y == maxy && y2 == maxy)) cross[m++] = (y - y1) * (x2 - x1) / (y2 - y1) + x1;
    }
    qsort(cross, (size_t)m, sizeof *cross, cmp_int);
    for (int i = 0; i + 1 < m; i += 2) hline(c, cross[i], cross[i + 1], y, color);
  }
  for (int i = 0; i < n; i++) {  // interior horizontal edges the scan can miss
    int j = i ? i - 1 : n - 1;
    if (miny < ys[i] && ys[j] == ys[i] && ys[i] < maxy) hline(c, xs[i], xs[j], ys[i], color);
  }
}

void raster_disc(Canvas *c, int x0, int y0, int radius, Rgb color) {
  if (radius < 1) {
    if (radius == 0) put(c, x0, y0, color);
    return;
  }
  int f = 1 - radius, ddf_x = 0, ddf_y = -2 * radius, x = 0, y = radius;
  while (x < y) {
    if (f >= 0) {
      y--;
      ddf_y += 2;
      f += ddf_y;
    }
    x++;
    ddf_x += 2;
    f += ddf_x + 1;
    if (f >= 0) {  // rows about to step inward
      hline(c, x0 - x, x0 + x - 1, y0 + y - 1, color);
      hline(c, x0 - x, x0 + x - 1, y0 - y, color);
    }
    hline(c, x0 - y, x0 + y - 1, y0 + x - 1, color);
    hline(c, x0 - y, x0 + y - 1, y0 - x, color);
  }
}

// OpenCV's resize coefficients: float source coordinate (dx + 0.5)·scale − 0.5,
// clamped at the borders, weights rounded to 11-bit fixed point.
static void linear_taps(int *ofs, short *w, int dsize, int ssize) {
  double scale = 1.0 / ((double)dsize / ssize);
  for (int d = 0; d < dsize; d++) {
    float f = (float)((d + 0.5) * scale - 0.5);
    int s = (int)floorf(f);
    f -= (float)s;
    if (s < 0) f = 0, s = 0;
    if (s >= ssize - 1) f = 0, s = ssize - 1;
    ofs[d] = s;
    w[2 * d] = (short)lrintf((1.f - f) * 2048);
    w[2 * d + 1] = (short)lrintf(f * 2048);
  }
}

// Horizontal pass of one source row into 32-bit sums (weights x 2048).
static void resize_row(int *out, const uint8_t *row, const int *xofs, const short *xw, int dw, int sw) {
  for (int d = 0; d < dw; d++) {
    int s = xofs[d], s1 = s + 1 < sw ? s + 1 : s;
    for (int k = 0; k < 3; k++) out[3 * d + k] = row[3 * s + k] * xw[2 * d] + row[3 * s1 + k] * xw[2 * d + 1];
  }
}

void raster_resize_linear(uint8_t *dst, int dw, int dh, const uint8_t *src, int sw, int sh) {
  int xofs[dw], yofs[dh];
  short xw[2 * dw], yw[2 * dh];
  int r0[3 * dw], r1[3 * dw];
  linear_taps(xofs, xw, dw, sw);
  linear_taps(yofs, yw, dh, sh);
  for (int d = 0; d < dh; d++) {
    int s = yofs[d], s1 = s + 1 < sh ? s + 1 : s;
    resize_row(r0, src + 3L * sw * s, xofs, xw, dw, sw);
    resize_row(r1, src + 3L * sw * s1, xofs, xw, dw, sw);
    for (int i = 0; i < 3 * dw; i++) {
      // OpenCV's vectorised vertical pass: (mulhi(S0>>4, b0) + mulhi(S1>>4, b1) + 2) >> 2
      int v = (((r0[i] >> 4) * yw[2 * d]) >> 16) + (((r1[i] >> 4) * yw[2 * d + 1]) >> 16);
      v = (v + 2) >> 2;
      dst[3L * dw * d + i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
}
