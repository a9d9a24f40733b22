#include "eval/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "env/env.h"

#define CHART_W 600
#define CHART_H 300
#define MARGIN 60
#define RIGHT 30  // room for the last x tick label
#define MAX_POINTS 100000

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

// A readable, non-empty regular file (fopen alone would open a directory and read nothing).
static FILE *open_input(const char *path) {
  struct stat sb;
  if (stat(path, &sb)) return odp_fail("%s: cannot open: %s", path, strerror(errno)), NULL;
  if (S_ISDIR(sb.st_mode)) return odp_fail("%s: is a directory, not a file", path), NULL;
  if (!S_ISREG(sb.st_mode)) return odp_fail("%s: not a regular file", path), NULL;
  if (sb.st_size == 0) return odp_fail("%s: empty file", path), NULL;
  FILE *f = fopen(path, "r");
  if (!f) odp_fail("%s: cannot open: %s", path, strerror(errno));
  return f;
}

// The last non-empty line of a file, malloc'd.
static char *last_line(const char *path) {
  FILE *f = open_input(path);
  if (!f) return NULL;
  char *buf = NULL, *last = NULL;
  size_t cap = 0;
  for (ssize_t n; (n = getline(&buf, &cap, f)) > 0;)
    if (buf[0] != '\n') free(last), last = strdup(buf);
  fclose(f);
  free(buf);
  if (!last) odp_fail("%s: no text lines", path);
  return last;
}

// A distillation log: every line a JSON object (a torn or foreign line is an error, not a
// gap in the chart) and at least one step with a score difference.
static int check_log(const char *path) {
  FILE *f = open_input(path);
  if (!f) return ODP_ERR;
  char *line = NULL;
  size_t cap = 0;
  int number = 0, steps = 0, rc = ODP_OK;
  for (ssize_t n; rc == ODP_OK && (n = getline(&line, &cap, f)) > 0;) {
    number++;
    int torn = line[n - 1] != '\n';
    cJSON *o = torn ? NULL : cJSON_Parse(line);
    if (!cJSON_IsObject(o))
      rc = odp_fail("%s: line %d is not a JSON object%s", path, number, torn ? " (cut short: no newline)" : "");
    steps += cJSON_IsNumber(cJSON_GetObjectItem(o, "step")) && cJSON_IsNumber(cJSON_GetObjectItem(o, "score_diff"));
    cJSON_Delete(o);
  }
  fclose(f);
  free(line);
  if (rc == ODP_OK && !steps)
    rc = odp_fail("%s: no line has 'step' and 'score_diff' (not an `onedp distill` log)", path);
  return rc;
}

// GIFs are linked, so they must exist where the report's links resolve: beside it.
static int check_gif(const char *out_path, const char *gif) {
  char path[2200];
  const char *slash = strrchr(out_path, '/');
  if (gif[0] == '/' || !slash) snprintf(path, sizeof path, "%s", gif);
  else snprintf(path, sizeof path, "%.*s/%s", (int)(slash - out_path), out_path, gif);
  struct stat sb;
  if (stat(path, &sb) || !S_ISREG(sb.st_mode))
    return odp_fail("%s: GIF not found (as %s: links resolve from the report's directory)", gif, path);
  return ODP_OK;
}

typedef struct {
  double x[MAX_POINTS], y[MAX_POINTS];
  int n;
} Series;

// Reads (xkey, ykey) pairs from a JSON-lines file; lines without both are skipped.
static int read_series(Series *s, const char *path, const char *xkey, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return odp_fail("%s: cannot open", path);
  char line[4096];
  s->n = 0;
  while (fgets(line, sizeof line, f) && s->n < MAX_POINTS) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *x = cJSON_GetObjectItem(o, xkey), *y = cJSON_GetObjectItem(o, key);
    if (cJSON_IsNumber(x) && cJSON_IsNumber(y) && isfinite(y->valuedouble))
      s->x[s->n] = x->valuedouble, s->y[s->n] = y->valuedouble, s->n++;
    cJSON_Delete(o);
  }
  fclose(f);
  return ODP_OK;
}

static void axes(FILE *f, const char *xlabel, const char *ylabel, double x0, double x1, double y0, double y1, int logx) {
  fprintf(f, "<svg width='%d' height='%d' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='11'>\n",
          CHART_W, CHART_H);
  fprintf(f, "<rect x='%d' y='10' width='%d' height='%d' fill='none' stroke='#888'/>\n", MARGIN, CHART_W - MARGIN - RIGHT,
          CHART_H - MARGIN - 10);
  for (int i = 0; i <= 4; i++) {
    double fx = i / 4.0, vx = logx ? pow(10, log10(x0) + fx * (log10(x1) - log10(x0))) : x0 + fx * (x1 - x0);
    double vy = y0 + fx * (y1 - y0);
    int px = MARGIN + (int)(fx * (CHART_W - MARGIN - RIGHT)), py = CHART_H - MARGIN - (int)(fx * (CHART_H - MARGIN - 10));
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>%.3g</text>\n", px, CHART_H - MARGIN + 15, vx);
    fprintf(f, "<text x='%d' y='%d' text-anchor='end'>%.3g</text>\n", MARGIN - 4, py + 4, vy);
  }
  fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>%s</text>\n", (CHART_W + MARGIN) / 2, CHART_H - 12, xlabel);
  fprintf(f, "<text x='12' y='%d' transform='rotate(-90 12 %d)' text-anchor='middle'>%s</text>\n", CHART_H / 2,
          CHART_H / 2, ylabel);
}

static double px_of(double v, double v0, double v1, int logx) {
  double f = logx ? (log10(v) - log10(v0)) / (log10(v1) - log10(v0)) : (v - v0) / (v1 - v0);
  return MARGIN + f * (CHART_W - MARGIN - RIGHT);
}

static double py_of(double v, double v0, double v1) {
  return CHART_H - MARGIN - (v - v0) / (v1 - v0) * (CHART_H - MARGIN - 10);
}

// One chart of ykey against xkey, one polyline per file of items.
static int series_chart(FILE *f, const ReportItem *items, int n, const char *xkey, const char *xlabel,
                        const char *key, const char *title) {
  Series *s = malloc(sizeof(Series) * (size_t)(n ? n : 1));
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1e-9;
  for (int i = 0; i < n; i++) {
    if (read_series(&s[i], items[i].path, xkey, key)) return free(s), ODP_ERR;
    for (int j = 0; j < s[i].n; j++) x1 = fmax(x1, s[i].x[j]), y1 = fmax(y1, s[i].y[j]);
  }
  fprintf(f, "<h3>%s</h3>\n", title);
  axes(f, xlabel, key, x0, x1, y0, y1, 0);
  for (int i = 0; i < n; i++) {
    const char *color = palette[i % 6];
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='", color);
    for (int j = 0; j < s[i].n; j++) fprintf(f, "%.1f,%.1f ", px_of(s[i].x[j], x0, x1, 0), py_of(s[i].y[j], y0, y1));
    fprintf(f, "'/>\n<text x='%d' y='%d' fill='%s'>%s</text>\n", CHART_W - 150, 28 + 14 * i, color, items[i].label);
  }
  fprintf(f, "</svg>\n");
  free(s);
  return ODP_OK;
}

typedef struct {
  double score, score_std, success, hz, nfe;
  int episodes;
  char sampler[64], task[64];  // task: "" when the line does not name it
} EvalRow;

static int read_eval(EvalRow *r, const char *path) {
  char *line = last_line(path);
  if (!line) return ODP_ERR;
  cJSON *o = cJSON_Parse(line);
  free(line);
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return odp_fail("%s: last line is not a JSON object (cut short, NaN, or not `onedp eval` output)", path);
  }
  const char *keys[5] = {"score", "score_std", "success", "hz", "nfe"};
  double *dst[5] = {&r->score, &r->score_std, &r->success, &r->hz, &r->nfe};
  for (int k = 0; k < 5; k++) {
    const cJSON *v = cJSON_GetObjectItem(o, keys[k]);
    int bad = !cJSON_IsNumber(v) ? 1 : !isfinite(v->valuedouble) ? 2 : 0;
    if (bad) {
      cJSON_Delete(o);
      return odp_fail(bad == 1 ? "%s: last line is not an `onedp eval` result (no '%s')" : "%s: field '%s' is not finite",
                      path, keys[k]);
    }
    *dst[k] = v->valuedouble;
  }
  const cJSON *e = cJSON_GetObjectItem(o, "episodes"), *s = cJSON_GetObjectItem(o, "sampler");
  const cJSON *t = cJSON_GetObjectItem(o, "task");
  r->episodes = cJSON_IsNumber(e) ? e->valueint : 0;
  snprintf(r->sampler, sizeof r->sampler, "%s", cJSON_IsString(s) ? s->valuestring : "");
  snprintf(r->task, sizeof r->task, "%s", cJSON_IsString(t) ? t->valuestring : "");
  cJSON_Delete(o);
  return ODP_OK;
}

// "Policies on <title>" when every row names one registered task, else "Policies".
static void policies_heading(FILE *f, const EvalRow *rows, int n) {
  const EnvOps *task = NULL;
  for (int i = 0; i < n; i++) {
    const EnvOps *t = NULL;
    for (const EnvOps *const *e = env_registry(); *e && !t; e++)
      if (!strcmp((*e)->name, rows[i].task)) t = *e;
    if (!t || (task && t != task)) return (void)fprintf(f, "<h2>Policies</h2>\n");
    task = t;
  }
  if (task) fprintf(f, "<h2>Policies on %s</h2>\n", task->title);
  else fprintf(f, "<h2>Policies</h2>\n");
}

static void score_vs_hz(FILE *f, const ReportSpec *spec, const EvalRow *rows) {
  double x0 = 1e9, x1 = 0;
  for (int i = 0; i < spec->n_evals; i++) x0 = fmin(x0, rows[i].hz), x1 = fmax(x1, rows[i].hz);
  x0 = pow(10, floor(log10(fmax(x0, 1e-3)))), x1 = pow(10, ceil(log10(fmax(x1, x0 * 10))));
  fprintf(f, "<h3>Score vs action-prediction frequency (batch 1)</h3>\n");
  axes(f, "action chunks per second (log)", "mean score", x0, x1, 0, 1, 1);
  for (int i = 0; i < spec->n_evals; i++) {
    double px = px_of(rows[i].hz, x0, x1, 1), py = py_of(rows[i].score, 0, 1);
    int right_half = px > CHART_W / 2;  // labels grow towards the middle, so they stay inside the chart
    fprintf(f, "<circle cx='%.1f' cy='%.1f' r='5' fill='%s'/><text x='%.1f' y='%.1f' text-anchor='%s'>%s</text>\n", px,
            py, palette[i % 6], right_half ? px - 8 : px + 8, py - 8, right_half ? "end" : "start", spec->evals[i].label);
  }
  fprintf(f, "</svg>\n");
}

int report_write_html(const char *out_path, const ReportSpec *spec) {
  EvalRow *rows = calloc((size_t)(spec->n_evals ? spec->n_evals : 1), sizeof *rows);
  for (int i = 0; i < spec->n_evals; i++)
    if (read_eval(&rows[i], spec->evals[i].path)) return free(rows), ODP_ERR;
  for (int i = 0; i < spec->n_logs; i++)
    if (check_log(spec->logs[i].path)) return free(rows), ODP_ERR;
  for (int i = 0; i < spec->n_gifs; i++)
    if (check_gif(out_path, spec->gifs[i].path)) return free(rows), ODP_ERR;
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
  FILE *f = fopen(tmp, "w");
  if (!f) return free(rows), odp_fail("%s: cannot write: %s", out_path, strerror(errno));
  fprintf(f, "<!doctype html>\n<html><head><meta charset='utf-8'><title>%s</title>\n<style>body{font-family:sans-serif;"
             "margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;"
             "text-align:right}th{background:#f3f3f3}.gifs img{margin:6px;border:1px solid #ccc}</style></head><body>\n",
          spec->title);
  fprintf(f, "<h1>%s</h1>\n", spec->title);
  policies_heading(f, rows, spec->n_evals);
  fprintf(f, "<table><tr><th>policy</th><th>sampler</th><th>NFE</th><th>mean score</th><th>± std</th><th>success</th>"
             "<th>Hz (batch 1)</th><th>episodes</th></tr>\n");
  for (int i = 0; i < spec->n_evals; i++)
    fprintf(f, "<tr><td style='text-align:left'>%s</td><td>%s</td><td>%.0f</td><td>%.3f</td><td>%.3f</td><td>%.2f</td>"
               "<td>%.1f</td><td>%d</td></tr>\n",
            spec->evals[i].label, rows[i].sampler, rows[i].nfe, rows[i].score, rows[i].score_std, rows[i].success,
            rows[i].hz, rows[i].episodes);
  fprintf(f, "</table>\n");
  if (spec->n_evals) score_vs_hz(f, spec, rows);
  int err = ODP_OK;
  if (spec->n_logs) {
    fprintf(f, "<h2>Distillation</h2>\n");
    err = series_chart(f, spec->logs, spec->n_logs, "step", "distillation step", "score_diff",
                       "Score difference |eps_teacher - eps_generator|^2 (what the generator reduces)") ||
          series_chart(f, spec->logs, spec->n_logs, "step", "distillation step", "score_loss",
                       "Generator score network denoising loss");
  }
  if (!err && spec->n_curves) {
    fprintf(f, "<h2>Convergence</h2>\n");
    err = series_chart(f, spec->curves, spec->n_curves, "wall_s", "distillation wall time (s)", "score",
                       "Score of the student against its distillation's wall time");
  }
  if (spec->n_gifs) {
    fprintf(f, "<h2>Rollouts</h2>\n<div class='gifs'>\n");
    for (int i = 0; i < spec->n_gifs; i++)
      fprintf(f, "<figure style='display:inline-block'><img src='%s' width='256'><figcaption>%s</figcaption></figure>\n",
              spec->gifs[i].path, spec->gifs[i].label);
    fprintf(f, "</div>\n");
  }
  fprintf(f, "</body></html>\n");
  free(rows);
  if (fclose(f) || err) return remove(tmp), err ? err : odp_fail("%s: cannot write", out_path);
  if (rename(tmp, out_path)) {
    int e = errno;
    remove(tmp);
    return odp_fail("%s: cannot write: %s", out_path, strerror(e));
  }
  return ODP_OK;
}
