// Run directories and training states: a state round-trips; a NaN or infinite buffer is
// never written (the previous file stays byte for byte); a state holding NaN is refused
// on load; the log is rewound to the state a resume continues from (torn last line and
// lines past the state dropped); stale temp files go, other files stay; one process per
// run directory; a fresh run refuses a directory that holds one; a failed fresh start
// leaves nothing behind.
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/test.h"
#include "../tests/test_dir.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "train/run_dir.h"
#include "train/run_state.h"

static int msg_has(const char *a, const char *b) {
  const char *e = odp_error();
  return strstr(e, a) != NULL && (!b || strstr(e, b) != NULL);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  fputs(text, f);
  fclose(f);
}

// The whole file, malloc'd (NULL when unreadable); *len its size.
static char *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  rewind(f);
  char *buf = malloc((size_t)*len + 1);
  *len = (long)fread(buf, 1, (size_t)*len, f);
  buf[*len] = 0;
  fclose(f);
  return buf;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static void test_state(void) {
  const char *path = path_in("state.safetensors");
  float a[5] = {1, 2, 3, 4, 5}, b[3] = {-1, 0.5f, 7};
  StateBuffer bufs[2] = {{"a", a, 5}, {"b", b, 3}};
  CHECK(run_state_save(path, 12, "{\"x\": 1}", bufs, 2) == ODP_OK, "save: %s", odp_error());
  long step = -1, before_len = 0, after_len = 0;
  char *config = NULL;
  CHECK(run_state_peek(path, &step, &config) == ODP_OK && step == 12 && config && !strcmp(config, "{\"x\": 1}"),
        "peek: step %ld, config %s: %s", step, config ? config : "(none)", odp_error());
  free(config);
  float a2[5], b2[3];
  StateBuffer back[2] = {{"a", a2, 5}, {"b", b2, 3}};
  CHECK(run_state_load(path, back, 2) == ODP_OK && !memcmp(a, a2, sizeof a) && !memcmp(b, b2, sizeof b),
        "round trip: %s", odp_error());

  char *before = slurp(path, &before_len);
  b[2] = NAN;
  CHECK(run_state_save(path, 13, "{}", bufs, 2) == ODP_ERR && msg_has(path, "tensor 'b' element 2 is NaN"),
        "NaN refused: %s", odp_error());
  b[2] = 7, a[0] = -INFINITY;
  CHECK(run_state_save(path, 13, "{}", bufs, 2) == ODP_ERR && msg_has("tensor 'a' element 0 is infinite", NULL),
        "Inf refused: %s", odp_error());
  char *after = slurp(path, &after_len);
  CHECK(before && after && before_len == after_len && !memcmp(before, after, (size_t)before_len),
        "the previous state is untouched (%ld vs %ld bytes)", before_len, after_len);
  free(before), free(after);

  // A state with a NaN, written behind run_state_save's back, is refused on load.
  SafetensorsWriter *w = safetensors_writer_new(path_in("nan_state.safetensors"), ST_F32);
  float bad[5] = {1, 2, NAN, 4, 5};
  int n5 = 5, n3 = 3;
  safetensors_writer_set_metadata(w, "step", "3");
  safetensors_writer_set_metadata(w, "config", "{}");
  safetensors_writer_add(w, "a", 1, &n5, bad);
  safetensors_writer_add(w, "b", 1, &n3, b);
  CHECK(safetensors_writer_finish(w) == ODP_OK, "write: %s", odp_error());
  CHECK(run_state_load(path_in("nan_state.safetensors"), back, 2) == ODP_ERR &&
            msg_has("nan_state.safetensors", "tensor 'a' element 2 is NaN"),
        "NaN state refused on load: %s", odp_error());
}

static void test_log_rewind(void) {
  const char *log = path_in("log.jsonl");
  write_text(log,
             "{\"step\": 2, \"loss\": 1.0, \"elapsed_s\": 3.5}\n{\"step\": 4, \"loss\": 0.9, \"elapsed_s\": 7.25}\n"
             "{\"event\": \"resume\", \"step\": 4}\n{\"step\": 6, \"loss\": 0.8, \"elapsed_s\": 11.5}\n"
             "{\"step\": 8, \"loss\": 0.7, \"elapsed_s\": 15.0}\n{\"step\": 10, \"lo");
  double elapsed = -1;
  CHECK(run_log_rewind(log, 6, &elapsed) == ODP_OK, "rewind: %s", odp_error());
  CHECK(elapsed == 11.5, "the clock continues from the last kept line's elapsed_s (got %g)", elapsed);
  long len;
  char *text = slurp(log, &len);
  const char *want = "{\"step\": 2, \"loss\": 1.0, \"elapsed_s\": 3.5}\n{\"step\": 4, \"loss\": 0.9, \"elapsed_s\": 7.25}\n"
                     "{\"event\": \"resume\", \"step\": 4}\n{\"step\": 6, \"loss\": 0.8, \"elapsed_s\": 11.5}\n";
  CHECK(text && !strcmp(text, want), "rewound log:\n%s", text ? text : "(unreadable)");
  free(text);
  CHECK(!exists(path_in("log.jsonl.tmp")), "no temp file left");
  CHECK(run_log_rewind(path_in("no_log.jsonl"), 6, NULL) == ODP_OK && !exists(path_in("no_log.jsonl")),
        "a missing log is fine and stays missing: %s", odp_error());
}

static void test_run_paths(void) {
  char run[700];
  snprintf(run, sizeof run, "%s/run", dir);
  RunPaths p, q;
  // Leftovers of an earlier test run.
  unlink(path_in("run/train_state.safetensors")), unlink(path_in("run/keep.tmp")), unlink(path_in("run/log.jsonl"));
  rmdir(run);

  CHECK(run_paths_make(&p, run, 1) == ODP_ERR && msg_has(run, "no run directory") && !exists(run),
        "resume of a missing directory creates nothing: %s", odp_error());
  CHECK(mkdir(run, 0755) == 0 && run_paths_make(&p, run, 1) == ODP_ERR && msg_has(run, "no training state to resume"),
        "resume without state: %s", odp_error());
  rmdir(run);
  CHECK(run_paths_make(&p, run, 0) == ODP_OK, "fresh: %s", odp_error());
  CHECK(run_paths_make(&q, run, 0) == ODP_ERR && msg_has(run, "in use by another onedp process"),
        "second holder refused: %s", odp_error());
  run_dir_log(p.log, "{\"step\": 1}");
  run_paths_discard(&p);
  run_paths_release(&p);
  CHECK(!exists(run), "a failed fresh start leaves no directory");

  CHECK(run_paths_make(&p, run, 0) == ODP_OK, "fresh again: %s", odp_error());
  float x[2] = {1, 2};
  StateBuffer b = {"x", x, 2};
  CHECK(run_state_save(p.state, 1, "{}", &b, 1) == ODP_OK, "save: %s", odp_error());
  run_paths_discard(&p);  // there is a state now: a run to keep
  run_paths_release(&p);
  CHECK(exists(p.state), "discard keeps a directory with a state");

  write_text(path_in("run/train_state.safetensors.tmp.Ab12Cd"), "half a checkpoint");
  write_text(path_in("run/policy.safetensors.tmp.Xy34Zw"), "half a policy");
  write_text(path_in("run/config.json.tmp"), "{");
  write_text(path_in("run/keep.tmp"), "not ours");
  CHECK(run_paths_make(&q, run, 0) == ODP_ERR && msg_has(run, "already holds a run"), "fresh over a run: %s",
        odp_error());
  CHECK(run_paths_make(&q, run, 1) == ODP_OK, "resume: %s", odp_error());
  CHECK(!exists(path_in("run/train_state.safetensors.tmp.Ab12Cd")) && !exists(path_in("run/policy.safetensors.tmp.Xy34Zw")) &&
            !exists(path_in("run/config.json.tmp")),
        "stale temp files removed");
  CHECK(exists(path_in("run/keep.tmp")) && exists(q.state), "other files kept");
  run_paths_release(&q);
}

int main(void) {
  test_dir_open("run_state");
  test_state();
  test_log_rewind();
  test_run_paths();
  TEST_MAIN_END();
}
