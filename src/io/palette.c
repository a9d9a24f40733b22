// Median-cut quantiser over the distinct colours of one image.
#include "io/palette.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef struct {
  uint32_t rgb;    // 0xRRGGBB
  uint32_t count;  // pixels of this colour
  uint8_t index;   // palette entry
} Colour;

typedef struct {
  uint32_t *keys;  // rgb + 1 (0 = empty slot)
  uint32_t *slot;  // position in the colour list
  uint32_t mask;
} ColourTable;

static int channel(uint32_t rgb, int c) { return (int)(rgb >> (16 - 8 * c)) & 0xFF; }

static uint32_t table_find(const ColourTable *t, uint32_t rgb) {
  uint32_t h = (rgb * 2654435761u) & t->mask;
  while (t->keys[h] && t->keys[h] != rgb + 1) h = (h + 1) & t->mask;
  return h;
}

// Collects the distinct colours of the image with their counts.
static int collect(const uint8_t *rgb, int npix, ColourTable *t, Colour **cols, int *ncols) {
  uint32_t size = 1024;
  while (size < 2u * (uint32_t)npix) size *= 2;
  t->mask = size - 1;
  t->keys = odp_calloc(size, sizeof *t->keys, "colour table");
  t->slot = odp_malloc(size * sizeof *t->slot, "colour table");
  *cols = odp_malloc((size_t)npix * sizeof **cols, "colour list");
  if (!t->keys || !t->slot || !*cols) return ODP_ERR;
  int n = 0;
  for (int i = 0; i < npix; i++) {
    uint32_t c = (uint32_t)rgb[3 * i] << 16 | (uint32_t)rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
    uint32_t h = table_find(t, c);
    if (!t->keys[h]) {
      t->keys[h] = c + 1, t->slot[h] = (uint32_t)n;
      (*cols)[n++] = (Colour){c, 0, 0};
    }
    (*cols)[t->slot[h]].count++;
  }
  *ncols = n;
  return ODP_OK;
}

typedef struct {
  int lo, hi;  // range in the colour list
  int axis, span;
  double weight;  // pixel count
} Box;

static void measure(const Colour *cols, Box *b) {
  int mn[3] = {255, 255, 255}, mx[3] = {0, 0, 0};
  b->weight = 0;
  for (int i = b->lo; i < b->hi; i++) {
    for (int c = 0; c < 3; c++) {
      int v = channel(cols[i].rgb, c);
      mn[c] = v < mn[c] ? v : mn[c], mx[c] = v > mx[c] ? v : mx[c];
    }
    b->weight += cols[i].count;
  }
  b->axis = 0;
  for (int c = 1; c < 3; c++)
    if (mx[c] - mn[c] > mx[b->axis] - mn[b->axis]) b->axis = c;
  b->span = mx[b->axis] - mn[b->axis];
}

static int by_r(const void *a, const void *b) { return channel(((const Colour *)a)->rgb, 0) - channel(((const Colour *)b)->rgb, 0); }
static int by_g(const void *a, const void *b) { return channel(((const Colour *)a)->rgb, 1) - channel(((const Colour *)b)->rgb, 1); }
static int by_b(const void *a, const void *b) { return channel(((const Colour *)a)->rgb, 2) - channel(((const Colour *)b)->rgb, 2); }

// Splits boxes until there are 256: always the one with the largest span x weight.
static int median_cut(Colour *cols, int ncols, Box *boxes) {
  int nb = 1;
  boxes[0] = (Box){0, ncols, 0, 0, 0};
  measure(cols, &boxes[0]);
  while (nb < 256) {
    int best = -1;
    for (int i = 0; i < nb; i++)
      if (boxes[i].span > 0 && (best < 0 || boxes[i].span * boxes[i].weight > boxes[best].span * boxes[best].weight)) best = i;
    if (best < 0) break;
    Box *b = &boxes[best];
    int (*cmp[3])(const void *, const void *) = {by_r, by_g, by_b};
    qsort(cols + b->lo, (size_t)(b->hi - b->lo), sizeof *cols, cmp[b->axis]);
    double acc = 0;
    int cut = b->lo + 1;  // at the weighted median, both halves non-empty
    for (int i = b->lo; i < b->hi - 1; i++) {
      acc += cols[i].count, cut = i + 1;
      if (acc >= b->weight / 2) break;
    }
    boxes[nb] = (Box){cut, b->hi, 0, 0, 0};
    b->hi = cut;
    measure(cols, b);
    measure(cols, &boxes[nb++]);
  }
  return nb;
}

static void box_mean(const Colour *cols, const Box *b, uint8_t out[3]) {
  double sum[3] = {0, 0, 0};
  for (int i = b->lo; i < b->hi; i++)
    for (int c = 0; c < 3; c++) sum[c] += (double)channel(cols[i].rgb, c) * cols[i].count;
  for (int c = 0; c < 3; c++) out[c] = (uint8_t)(sum[c] / b->weight + 0.5);
}

static uint8_t nearest(uint32_t rgb, uint8_t palette[256][3], int n) {
  int best = 0, best_d = 1 << 30;
  for (int p = 0; p < n; p++) {
    int d = 0;
    for (int c = 0; c < 3; c++) {
      int e = channel(rgb, c) - palette[p][c];
      d += e * e;
    }
    if (d < best_d) best = p, best_d = d;
  }
  return (uint8_t)best;
}

int palette_quantize(const uint8_t *rgb, int npix, uint8_t palette[256][3], int *ncolors, uint8_t *indices) {
  ColourTable t = {0};
  Colour *cols = NULL;
  int ncols = 0, rc = collect(rgb, npix, &t, &cols, &ncols);
  if (!rc && ncols <= 256) {
    for (int i = 0; i < ncols; i++) {
      for (int c = 0; c < 3; c++) palette[i][c] = (uint8_t)channel(cols[i].rgb, c);
      cols[i].index = (uint8_t)i;
    }
    *ncolors = ncols ? ncols : 1;
    if (!ncols) memset(palette[0], 0, 3);
  } else if (!rc) {
    Box boxes[256];
    *ncolors = median_cut(cols, ncols, boxes);
    for (int b = 0; b < *ncolors; b++) box_mean(cols, &boxes[b], palette[b]);
    for (int i = 0; i < ncols; i++) cols[i].index = nearest(cols[i].rgb, palette, *ncolors);
    // median cut reordered the list: re-point the table at the new positions
    for (int i = 0; i < ncols; i++) t.slot[table_find(&t, cols[i].rgb)] = (uint32_t)i;
  }
  for (int i = 0; !rc && i < npix; i++) {
    uint32_t c = (uint32_t)rgb[3 * i] << 16 | (uint32_t)rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
    indices[i] = cols[t.slot[table_find(&t, c)]].index;
  }
  free(t.keys), free(t.slot), free(cols);
  return rc;
}
