// Colour quantisation for indexed images (GIF): exact when an image has at most
// 256 distinct colours (rendered env frames nearly do), otherwise median cut weighted by
// pixel counts, each colour mapped to its nearest palette entry.
#pragma once
#include <stdint.h>

// rgb: (npix, 3). Outputs palette (ncolors, 3), *ncolors in [1, 256], and
// indices (npix,) into the palette. Returns ODP_OK or ODP_ERR (out of memory).
int palette_quantize(const uint8_t *rgb, int npix, uint8_t palette[256][3], int *ncolors, uint8_t *indices);
