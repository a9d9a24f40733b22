#include "core/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "core/hw.h"

void progress_start(Progress *p, const char *label, const char *unit, long total) {
  p->label = label, p->unit = unit, p->total = total;
  p->start = now_seconds(), p->last_draw = 0;
  p->enabled = isatty(fileno(stderr));
}

static void format_duration(char *buf, int size, double s) {
  if (s < 0 || s > 1e7) snprintf(buf, size, "--");
  else if (s < 60) snprintf(buf, size, "%.0fs", s);
  else if (s < 3600) snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
  else snprintf(buf, size, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static void draw(Progress *p, long done, const char *status, int final) {
  double now = now_seconds(), elapsed = now - p->start;
  if (!p->enabled || (!final && now - p->last_draw < 0.2)) return;
  p->last_draw = now;
  double rate = elapsed > 0 ? done / elapsed : 0;
  char eta[16], el[16], bar[21];
  format_duration(eta, sizeof eta, rate > 0 ? (p->total - done) / rate : -1);
  format_duration(el, sizeof el, elapsed);
  int filled = p->total > 0 ? (int)(20 * done / p->total) : 0;
  for (int i = 0; i < 20; i++) bar[i] = i < filled ? '#' : '.';
  bar[20] = 0;
  fprintf(stderr, "\r%s [%s] %ld/%ld %s  %.2f %s/s  %s elapsed  ETA %s  %s\033[K", p->label, bar, done, p->total,
          p->unit, rate, p->unit, el, eta, status ? status : "");
  if (final) fputc('\n', stderr);
  fflush(stderr);
}

void progress_update(Progress *p, long done, const char *status) { draw(p, done, status, 0); }

void progress_finish(Progress *p, long done, const char *status) { draw(p, done, status, 1); }
