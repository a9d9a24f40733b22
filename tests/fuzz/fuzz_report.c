// libFuzzer: the files `onedp report` reads: an `onedp eval` output (its last line is
// the JSON result) and a run's log.jsonl (one JSON object per line). Input: the eval
// output, a NUL, then the log. The report is written to the scratch directory.
#include "core/error.h"
#include "eval/report.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t eval_len, log_len;
  char *eval = fuzz_part(data, size, 0, &eval_len), *log = fuzz_part(data, size, 1, &log_len);
  ReportItem evals[1] = {{"policy", fuzz_file("eval.txt", eval, eval_len)}};
  ReportItem logs[1] = {{"run", fuzz_file("log.jsonl", log, log_len)}};
  ReportItem gifs[1] = {{"rollout", "seed_100000.gif"}};
  ReportSpec spec = {"fuzz", logs, 1, evals, 1, gifs, 1, NULL, 0};
  char out[1024];
  snprintf(out, sizeof out, "%s/report.html", fuzz_dir());
  report_write_html(out, &spec);
  free(eval), free(log);
  return 0;
}
