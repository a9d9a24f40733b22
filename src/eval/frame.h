// PushT frames for GIFs: the environment's rendering at 96 (the observation image)
// or 512 (the full canvas), with the action target marked as the reference's videos
// mark it. Shared by `onedp render` (demonstrations) and `onedp eval` (rollouts).
#pragma once
#include <stdint.h>

#include "env/pusht.h"

// cv2.drawMarker(MARKER_CROSS) as the reference draws it: 8/96 of the image wide,
// 1/96 thick, red; target in world pixels [0, 512]^2.
void frame_draw_target(uint8_t *rgb, int size, const float target[2]);

// rgb (size, size, 3) for size 96 or 512; target may be NULL (no marker).
// Uses the env's own canvas at 96: not concurrently on one env.
int frame_render(const PushT *env, int size, const float *target, uint8_t *rgb);
