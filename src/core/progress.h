// A one-line progress bar on stderr for long work: done/total, rate, ETA and a short
// status. Draws only when stderr is a terminal (logs and CI stay clean); redraws at
// most every 0.2 s.
#pragma once

typedef struct {
  const char *label;
  const char *unit;  // "steps", "episodes"
  long total;
  double start, last_draw;
  int enabled;
} Progress;

void progress_start(Progress *p, const char *label, const char *unit, long total);
// `done` units finished; status may be NULL.
void progress_update(Progress *p, long done, const char *status);
// Final redraw and newline.
void progress_finish(Progress *p, long done, const char *status);
