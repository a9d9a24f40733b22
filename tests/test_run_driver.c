// The run driver (train/run_driver.h) with a toy trainer, its third user beside the
// teacher and the distiller: a trainer that supplies only options, state and a step gets
// resume (a run stopped with --until and resumed ends byte-identical, each step logged
// once), the config-key check over the key lists of its modules, the NaN guard (the run
// stops naming the step and keeps the last checkpoint) and the re-export at the stop.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/test.h"
#include "../tests/test_dir.h"
#include "core/error.h"
#include "train/run_driver.h"

typedef struct {
  long nan_at;           // 1-based step whose loss is NaN (0: none)
  float x[4], m[4];      // parameters and momentum: the training state
  double loss_sum;
  int count;
} Toy;

static const char *const toy_option_keys[] = {"toy.steps", "toy.nan_at", "toy.log_every", "toy.checkpoint_every", NULL};
static const char *const *const toy_keys[] = {toy_option_keys, NULL};

static int toy_options(void *self, const Config *c, RunBudget *b) {
  Toy *t = self;
  int log_every, ckpt_every;
  if (config_get_long(c, "toy.steps", &b->steps, 1, 1000) || config_get_long(c, "toy.nan_at", &t->nan_at, 0, 1000) ||
      config_get_int(c, "toy.log_every", &log_every, 1, 1000) ||
      config_get_int(c, "toy.checkpoint_every", &ckpt_every, 1, 1000))
    return ODP_ERR;
  b->threads = 1, b->log_every = log_every, b->checkpoint_every = ckpt_every, b->progress = "toy";
  return ODP_OK;
}

static int toy_setup(void *self, const Config *c, int resume) {
  Toy *t = self;
  (void)c;
  for (int i = 0; !resume && i < 4; i++) t->x[i] = (float)(i + 1), t->m[i] = 0;
  return ODP_OK;
}

static int toy_buffers(void *self, StateBuffer *b) {
  Toy *t = self;
  b[0] = (StateBuffer){"x", t->x, 4};
  b[1] = (StateBuffer){"m", t->m, 4};
  return 2;
}

static int toy_save_policy(void *self, const char *path, long step) {
  Toy *t = self;
  FILE *f = fopen(path, "w");
  if (!f) return odp_fail("%s: cannot write", path);
  fprintf(f, "step %ld: %.9g %.9g %.9g %.9g\n", step, t->x[0], t->x[1], t->x[2], t->x[3]);
  return fclose(f) ? odp_fail("%s: cannot write", path) : ODP_OK;
}

// Heavy-ball descent on |x|^2 with a step-dependent pull, so every step matters.
static int toy_step(void *self, long step, RunStepOut *out) {
  Toy *t = self;
  out->loss = 0;
  for (int i = 0; i < 4; i++) out->loss += (double)t->x[i] * t->x[i];
  if (step + 1 == t->nan_at) out->loss = NAN;
  if (!isfinite(out->loss)) return ODP_OK;
  for (int i = 0; i < 4; i++) {
    t->m[i] = 0.9f * t->m[i] + 2 * t->x[i] + 0.01f * (float)step;
    t->x[i] -= 0.05f * t->m[i];
  }
  t->loss_sum += out->loss, t->count++;
  snprintf(out->status, sizeof out->status, "loss %.4f", out->loss);
  return ODP_OK;
}

static int toy_log(void *self, long done, double elapsed, char *buf, int size) {
  Toy *t = self;
  (void)done, (void)elapsed;
  snprintf(buf, (size_t)size, "\"loss\": %.9g}", t->loss_sum / t->count);
  t->loss_sum = 0, t->count = 0;
  return ODP_OK;
}

static const RunTrainer toy = {
    .name = "toy",
    .config_file = "config.json",
    .keys = toy_keys,
    .noun = "toy",
    .unsaved = "toy diverged, stopped without saving",
    .read_options = toy_options,
    .setup = toy_setup,
    .buffers = toy_buffers,
    .save_policy = toy_save_policy,
    .step = toy_step,
    .log_fields = toy_log,
};

static int drive(const char *config, const char *run, int resume, long until) {
  Toy t = {0};
  return run_drive(&toy, &t, resume ? NULL : config, 0, NULL, path_in(run), resume, until);
}

// The whole file, malloc'd ("" when missing); without resume events when `drop_events`.
static char *slurp(const char *path, int drop_events) {
  FILE *f = fopen(path, "r");
  char *out = calloc(1, 1 << 16), line[512];
  size_t len = 0;
  while (f && fgets(line, sizeof line, f))
    if (!drop_events || !strstr(line, "\"event\"")) len += (size_t)snprintf(out + len, (1 << 16) - len, "%s", line);
  if (f) fclose(f);
  return out;
}

// Byte-identical and not empty.
static int same_file(const char *a, const char *b) {
  FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
  int same = f && g, n = 0;
  for (int x = 0, y = 0; same && x != EOF; n++) same = (x = fgetc(f)) == (y = fgetc(g));
  if (f) fclose(f);
  if (g) fclose(g);
  return same && n > 1;
}

static void write_config(const char *name, const char *text) {
  FILE *f = fopen(path_in(name), "w");
  fputs(text, f);
  fclose(f);
}

static void test_resume(const char *cfg) {
  CHECK(drive(cfg, "full", 0, 0) == 0, "full run: %s", odp_error());
  CHECK(drive(cfg, "split", 0, 4) == 0, "run to 4: %s", odp_error());
  CHECK(drive(cfg, "split", 0, 0) != 0, "a fresh run took a directory holding a run");
  CHECK(drive(cfg, "split", 1, 0) == 0, "resume: %s", odp_error());
  CHECK(same_file(path_in("full/train_state.safetensors"), path_in("split/train_state.safetensors")),
        "resumed state differs");
  CHECK(same_file(path_in("full/policy.safetensors"), path_in("split/policy.safetensors")), "resumed policy differs");
  char *a = slurp(path_in("full/log.jsonl"), 1), *b = slurp(path_in("split/log.jsonl"), 1);
  CHECK(a[0] && !strcmp(a, b), "logs differ:\n%s---\n%s", a, b);
  CHECK(strstr(a, "{\"step\": 10, \"loss\": ") != NULL, "log line format: %s", a);
  free(a), free(b);
  // At the stop: the checkpoint is exported again, unchanged.
  CHECK(drive(cfg, "split", 1, 0) == 0, "resume at the stop: %s", odp_error());
  CHECK(same_file(path_in("full/policy.safetensors"), path_in("split/policy.safetensors")), "re-export differs");
}

static void test_keys(void) {
  write_config("typo.json", "{\"toy\": {\"steps\": 10, \"nan_at\": 0, \"log_every\": 1, \"checkpoint_every\": 3, "
                            "\"stepz\": 3}}");
  CHECK(drive(path_in("typo.json"), "typo", 0, 0) != 0, "unknown key accepted");
  CHECK(strstr(odp_error(), "toy.stepz") != NULL, "message: %s", odp_error());
  CHECK(access(path_in("typo"), F_OK) != 0, "a failed fresh start left its directory");
}

static void test_nan_guard(void) {
  write_config("nan.json", "{\"toy\": {\"steps\": 10, \"nan_at\": 5, \"log_every\": 1, \"checkpoint_every\": 3}}");
  CHECK(drive(path_in("nan.json"), "nan", 0, 0) != 0, "NaN loss did not stop the run");
  CHECK(strstr(odp_error(), "step 5: loss is nan: toy diverged, stopped (the checkpoint at step 3 in ") != NULL,
        "message: %s", odp_error());
  long step = -1;
  CHECK(run_state_peek(path_in("nan/train_state.safetensors"), &step, NULL) == 0 && step == 3, "kept state at %ld",
        step);
  CHECK(drive(NULL, "nan", 1, 0) != 0 && strstr(odp_error(), "step 5: loss is nan") != NULL,
        "resumed run: %s", odp_error());
}

int main(void) {
  test_dir_open("run_driver");
  const char *names[] = {"full", "split", "typo", "nan"};
  for (int i = 0; i < 4; i++) {  // leftovers of an earlier run of this test
    const char *files[] = {"train_state.safetensors", "policy.safetensors", "log.jsonl", "config.json"};
    for (int f = 0; f < 4; f++) {
      char p[1024];
      snprintf(p, sizeof p, "%s/%s", path_in(names[i]), files[f]);
      unlink(p);
    }
    rmdir(path_in(names[i]));
  }
  write_config("toy.json", "{\"toy\": {\"steps\": 10, \"nan_at\": 0, \"log_every\": 1, \"checkpoint_every\": 3}}");
  test_resume(path_in("toy.json"));
  test_keys();
  test_nan_guard();
  TEST_MAIN_END();
}
