// An HTML report of a distillation run: the table of policies (score, success, NFE,
// action-prediction Hz), the distillation losses over steps and score vs Hz as inline
// SVG, and rollout GIFs. Self-contained apart from the GIF files it links.
#pragma once

typedef struct {
  const char *label, *path;
} ReportItem;

typedef struct {
  const char *title;
  const ReportItem *logs;   // log.jsonl files of distillation runs
  int n_logs;
  const ReportItem *evals;  // files whose last line is `onedp eval`'s JSON
  int n_evals;
  const ReportItem *gifs;   // rollout GIFs (paths as the HTML should reference them)
  int n_gifs;
  const ReportItem *curves;  // convergence curves: JSON lines with "wall_s" and "score"
  int n_curves;
} ReportSpec;

int report_write_html(const char *out_path, const ReportSpec *spec);
