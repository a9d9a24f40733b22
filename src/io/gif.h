// Animated GIF writer (giflib): RGB frames, each with its own 256-colour palette
// (io/palette.h), a fixed frame delay, looping forever. Frames stream to a temp
// file beside the target, renamed into place by gif_close, so a reader never
// sees a half-written GIF.
#pragma once
#include <stdint.h>

typedef struct GifWriter GifWriter;

// Frames will be (height, width, 3) RGB; delay_cs is the frame delay in
// centiseconds (GIF's unit: 10 = 10 frames/s). NULL + odp_error() on failure.
GifWriter *gif_open(const char *path, int width, int height, int delay_cs);
// rgb: (height, width, 3).
int gif_add_frame(GifWriter *g, const uint8_t *rgb);
// Finishes the file and renames it into place; frees g (also on failure, when
// the temp file is removed and the target left untouched).
int gif_close(GifWriter *g);
// Discards everything written; the target is left untouched. Frees g.
void gif_abort(GifWriter *g);
