#include "train/run_driver.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_core.h"
#include "core/error.h"
#include "core/hw.h"
#include "core/progress.h"
#include "dist/dist.h"
#include "train/run_dir.h"

typedef struct {
  const RunTrainer *t;
  void *self;
  RunBudget budget;
  RunPaths paths;
  char *config_json;  // the effective config: config file, training state
  long saved_step;    // the step of the last checkpoint written or resumed from (-1: none)
  long stop;          // this process stops after step stop (--until, else the budget)
  double elapsed;     // the run's time before this process (a resume continues the clock)
  int noted;          // the error so far is the driver's own and says what was kept
} Run;

// The trainer's modules' key lists, concatenated (malloc'd, NULL-terminated).
static const char **known_keys(const RunTrainer *t) {
  long n = 0, k = 0;
  for (const char *const *const *l = t->keys; *l; l++)
    for (const char *const *key = *l; *key; key++) n++;
  const char **all = odp_malloc((unsigned long)(n + 1) * sizeof *all, "config keys");
  if (!all) return NULL;
  for (const char *const *const *l = t->keys; *l; l++)
    for (const char *const *key = *l; *key; key++) all[k++] = *key;
  all[k] = NULL;
  return all;
}

// Policy first, then the state (the commit point: a resume starts from it and rewrites
// the policy). Nothing is written when a value is not finite.
static int save_checkpoint(Run *r, long step) {
  StateBuffer b[RUN_MAX_BUFFERS];
  int n = r->t->buffers(r->self, b);
  char kept[1200], why[256];
  if (run_state_check_finite(b, n)) {
    snprintf(why, sizeof why, "%s", odp_error());
    r->noted = 1;
    return odp_fail("step %ld: %s: %s (%s)", step, why, r->t->unsaved,
                    run_kept_note(kept, sizeof kept, r->saved_step, r->paths.dir));
  }
  char kept_policy[1200];
  snprintf(kept_policy, sizeof kept_policy, "%s/policy_step%ld.safetensors", r->paths.dir, step);
  if (r->t->save_policy(r->self, r->paths.policy, step) ||
      (r->budget.keep_checkpoints && r->t->save_policy(r->self, kept_policy, step)) ||
      run_state_save(r->paths.state, step, r->config_json, b, n))
    return ODP_ERR;
  r->saved_step = step;
  return ODP_OK;
}

// Rank 0 reads the state; share_state hands it to the others.
static int resume_state(Run *r, long *start) {
  StateBuffer b[RUN_MAX_BUFFERS];
  int n = r->t->buffers(r->self, b);
  if (run_state_peek(r->paths.state, start, NULL) || run_state_load(r->paths.state, b, n) ||
      run_log_rewind(r->paths.log, *start, &r->elapsed))
    return ODP_ERR;
  char line[128];
  snprintf(line, sizeof line, "{\"event\": \"resume\", \"step\": %ld}", *start);
  run_dir_log(r->paths.log, line);
  return ODP_OK;
}

// Data-parallel runs (dist/dist.h): every rank starts from rank 0's step, clock and state
// buffers, so all take identical optimiser steps from there (a resume may use another
// rank count). ok: whether rank 0 got that far; a failure anywhere stops every rank.
static int share_state(Run *r, long *start, int ok) {
  double head[3] = {ok, (double)*start, r->elapsed};
  if (dist_broadcast(head, sizeof head)) return ODP_ERR;
  if (!head[0]) return dist_is_root() ? ODP_ERR : odp_fail("rank 0 could not start the run");
  *start = (long)head[1], r->elapsed = head[2];
  StateBuffer b[RUN_MAX_BUFFERS];
  int n = r->t->buffers(r->self, b);
  for (int i = 0; i < n; i++)
    if (dist_broadcast(b[i].data, (size_t)b[i].n * sizeof(float))) return ODP_ERR;
  return ODP_OK;
}

static int log_step(Run *r, long done, double elapsed) {
  char line[512];
  int len = snprintf(line, sizeof line, "{\"step\": %ld, ", done);
  if (dist_size() > 1)  // rank 0's seconds in the gradient sums since the last line (waits for the others included)
    len += snprintf(line + len, sizeof line - (size_t)len, "\"ranks\": %d, \"allreduce_s\": %.4f, ", dist_size(),
                    dist_take_comm_seconds());
  if (r->t->log_fields(r->self, done, elapsed, line + len, (int)sizeof line - len)) return ODP_ERR;
  run_dir_log(r->paths.log, line);
  return ODP_OK;
}

// Data-parallel runs: every rank must hold the same state at a checkpoint (each applied the
// same summed gradient); a fingerprint of its buffers (FNV-1a over the floats' bits) is
// compared, so a rank that drifted stops the run instead of being saved as rank 0's.
static int check_ranks_agree(Run *r, long step) {
  if (dist_size() == 1) return ODP_OK;
  StateBuffer b[RUN_MAX_BUFFERS];
  int n = r->t->buffers(r->self, b);
  unsigned long long h = 1469598103934665603ull;
  for (int i = 0; i < n; i++)
    for (long k = 0; k < b[i].n; k++) {  // over each float's bits
      uint32_t bits;
      memcpy(&bits, b[i].data + k, sizeof bits);
      h = (h ^ bits) * 1099511628211ull;
    }
  if (dist_agree(h)) return ODP_OK;
  char kept[1200];
  r->noted = 1;
  return odp_fail("step %ld: the ranks' states differ: not saved, stopped (%s)", step,
                  run_kept_note(kept, sizeof kept, r->saved_step, r->paths.dir));
}

// Steps [start, r->stop); rank 0 alone draws progress, logs and writes checkpoints.
static int loop(Run *r, long start) {
  const long stop = r->stop;
  const RunBudget *b = &r->budget;
  const int root = dist_is_root();
  Progress pb;
  progress_start(&pb, b->progress, "steps", stop);
  pb.enabled = pb.enabled && root;
  double t0 = now_seconds() - r->elapsed;
  int err = ODP_OK;
  for (long step = start; step < stop && !err; step++) {
    RunStepOut out = {0};
    if ((err = r->t->step(r->self, step, &out))) break;
    if (!isfinite(out.loss)) {  // steps count from 1, as in the log
      char kept[1200];
      err = odp_fail("step %ld: loss is %g: %s diverged, stopped (%s)", step + 1, out.loss, r->t->noun,
                     run_kept_note(kept, sizeof kept, r->saved_step, r->paths.dir));
      r->noted = 1;
      break;
    }
    long done = step + 1;
    progress_update(&pb, done, out.status);
    if (root && (done % b->log_every == 0 || done == b->steps || (b->log_at_until && done == stop)))
      err = log_step(r, done, now_seconds() - t0);
    if (!err && (done % b->checkpoint_every == 0 || done == stop))
      err = check_ranks_agree(r, done) || (root && save_checkpoint(r, done)) ? ODP_ERR : ODP_OK;
  }
  progress_finish(&pb, err ? 0 : stop, err ? "stopped" : "done");
  return err;
}

// Everything between a ready run directory and the last step. Every rank sets up its models
// and data; rank 0 writes the directory's files.
static int run(Run *r, const Config *cfg, int resume, long until) {
  const int root = dist_is_root();
  int threads = run_set_threads(r->budget.threads);
  long start = 0;
  if (!(r->config_json = config_to_json(cfg)) ||
      (root && run_dir_write_text(r->paths.dir, r->t->config_file, r->config_json)) ||
      r->t->setup(r->self, cfg, resume))
    return ODP_ERR;
  int ok = !root || !(resume ? resume_state(r, &start) : save_checkpoint(r, 0));
  if (share_state(r, &start, ok)) return ODP_ERR;
  r->saved_step = resume || root ? start : -1;
  if (resume && r->t->resumed) r->t->resumed(r->self);
  r->stop = until > 0 && until < r->budget.steps ? until : r->budget.steps;
  if (root && r->t->banner) r->t->banner(r->self, start, r->stop, threads);
  if (root) blas_warn_if_narrow(r->t->name);
  // Resumed at or past the stop: re-export the checkpoint (policy with its step) as it stands.
  if (start >= r->stop) return root ? save_checkpoint(r, start) : ODP_OK;
  int err = loop(r, start);
  if (err && !r->noted) {  // a trainer's or the file system's error: say what is kept
    char why[512], kept[1200];
    snprintf(why, sizeof why, "%s", odp_error());
    odp_fail("%s: stopped (%s)", why, run_kept_note(kept, sizeof kept, r->saved_step, r->paths.dir));
  }
  return err;
}

// Rank 0 owns the run directory and reads the config (a fresh run's file with overrides,
// a resumed run's own); the others take its JSON (dist/dist.h), so they need neither.
// ok: rank 0 holds the run directory.
static Config *load_config(Run *r, int ok, const char *config_path, int n_overrides, char **overrides, int resume) {
  Config *cfg = NULL;
  char *json = NULL;
  if (dist_is_root() && ok) {
    const char **known = known_keys(r->t);
    cfg = known ? run_load_config(config_path, n_overrides, overrides, known, r->paths.state, resume) : NULL;
    free(known);
    json = cfg ? config_to_json(cfg) : NULL;
    if (cfg && !json) config_free(cfg), cfg = NULL;
  }
  if (dist_broadcast_string(&json)) {
    if (!dist_is_root()) odp_fail("rank 0 could not start the run");
    config_free(cfg);
    return NULL;
  }
  if (!dist_is_root()) cfg = config_parse(json, config_path ? config_path : r->paths.dir);
  free(json);
  return cfg;
}

int run_drive(const RunTrainer *t, void *self, const char *config_path, int n_overrides, char **overrides,
              const char *rundir, int resume, long until) {
  Run r = {.t = t, .self = self, .saved_step = -1};
  const int root = dist_is_root();
  snprintf(r.paths.dir, sizeof r.paths.dir, "%s", rundir);
  r.paths.lock_fd = -1;
  int err = root && run_paths_make(&r.paths, rundir, resume);
  Config *cfg = load_config(&r, !err, config_path, n_overrides, overrides, resume);
  err = err || !cfg || t->read_options(self, cfg, &r.budget) || run(&r, cfg, resume, until);
  if (!err && root && t->finished) t->finished(self, r.stop);
  if (t->free) t->free(self);
  free(r.config_json);
  config_free(cfg);
  if (root && err && !resume) run_paths_discard(&r.paths);
  if (root) run_paths_release(&r.paths);
  return err;
}
