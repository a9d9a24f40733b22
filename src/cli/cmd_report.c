// onedp report -o OUT.html [--title T] [--log LABEL=PATH]... [--eval LABEL=PATH]... [--gif LABEL=PATH]...
//                          [--curve LABEL=PATH]...
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/error.h"
#include "eval/report.h"

#define REPORT_MAX 64

static void print_help(void) {
  printf(
      "usage: onedp report -o OUT.html [--title T] [--log LABEL=RUNDIR/log.jsonl]...\n"
      "                    [--eval LABEL=EVAL.json]... [--gif LABEL=FILE.gif]...\n"
      "                    [--curve LABEL=CURVE.jsonl]...\n\n"
      "Writes an HTML report: a table of policies (mean score, std, success, NFE, Hz at\n"
      "batch 1) from files whose last line is `onedp eval`'s JSON, a score-vs-Hz chart,\n"
      "the distillation losses of each log over steps (inline SVG), and rollout GIFs\n"
      "(linked by the path given, so keep them beside the report). --curve plots score\n"
      "against distillation wall time from JSON lines with \"wall_s\" and \"score\" (one\n"
      "per evaluated checkpoint: bench/edm_table.sh writes them).\n");
}

static int add_item(ReportItem *items, int *n, const char *arg, const char *opt) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg || !eq[1]) return fprintf(stderr, "onedp report: %s needs LABEL=PATH (got '%s')\n", opt, arg), 2;
  if (*n == REPORT_MAX) return fprintf(stderr, "onedp report: at most %d %s items\n", REPORT_MAX, opt), 2;
  static char labels[4 * REPORT_MAX][128];
  static int used;
  snprintf(labels[used], sizeof labels[used], "%.*s", (int)(eq - arg), arg);
  items[(*n)++] = (ReportItem){labels[used++], eq + 1};
  return 0;
}

int cmd_report(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  ReportItem logs[REPORT_MAX], evals[REPORT_MAX], gifs[REPORT_MAX], curves[REPORT_MAX];
  ReportSpec spec = {"onedp report", logs, 0, evals, 0, gifs, 0, curves, 0};
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) return fprintf(stderr, "onedp report: %s needs a value (see --help)\n", a), 2;
    const char *v = argv[++i];
    int rc = 0;
    if (!strcmp(a, "-o")) out = v;
    else if (!strcmp(a, "--title")) spec.title = v;
    else if (!strcmp(a, "--log")) rc = add_item(logs, &spec.n_logs, v, a);
    else if (!strcmp(a, "--eval")) rc = add_item(evals, &spec.n_evals, v, a);
    else if (!strcmp(a, "--gif")) rc = add_item(gifs, &spec.n_gifs, v, a);
    else if (!strcmp(a, "--curve")) rc = add_item(curves, &spec.n_curves, v, a);
    else return fprintf(stderr, "onedp report: unknown option '%s' (see --help)\n", a), 2;
    if (rc) return rc;
  }
  if (!out) return fprintf(stderr, "onedp report: missing -o OUT.html\n"), 2;
  if (report_write_html(out, &spec)) return fprintf(stderr, "onedp report: %s\n", odp_error()), 1;
  printf("report: %s\n", out);
  return 0;
}
