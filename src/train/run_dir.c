#include "train/run_dir.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "dist/dist.h"
#include "data/robomimic.h"
#include "train/run_state.h"

// The files a run directory holds; "<name>.tmp*" is a write a kill interrupted.
// Every trainer's config file name (RunTrainer.config_file) is among them.
static const char *const run_files[] = {"train_state.safetensors", "policy.safetensors", "log.jsonl", "config.json",
                                        "distill.json", "cp.json"};

// Creates dir if needed (*created: whether this call made it); fails if it exists as
// something else.
static int make_dir(const char *dir, int *created) {
  int made = mkdir(dir, 0755) == 0;
  *created = made;
  if (!made && errno != EEXIST) return odp_fail("%s: cannot create run directory: %s", dir, strerror(errno));
  struct stat sb;
  if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) return odp_fail("%s: not a directory", dir);
  return ODP_OK;
}

// One process per run directory: a second `train --resume` on it would interleave
// checkpoints. The kernel drops the lock when the holder dies, SIGKILL included.
static int lock_dir(RunPaths *p, const char *dir) {
  if ((p->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return odp_fail("%s: cannot open run directory: %s", dir, strerror(errno));
  if (flock(p->lock_fd, LOCK_EX | LOCK_NB) == 0) return ODP_OK;
  int e = errno;
  close(p->lock_fd), p->lock_fd = -1;
  if (e == EWOULDBLOCK) return odp_fail("%s: run directory in use by another onedp process", dir);
  return odp_fail("%s: cannot lock run directory: %s", dir, strerror(e));
}

static void remove_stale_temps(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));)
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
      size_t n = strlen(run_files[i]);
      if (!strncmp(e->d_name, run_files[i], n) && !strncmp(e->d_name + n, ".tmp", 4)) unlinkat(dirfd(d), e->d_name, 0);
    }
  closedir(d);
}

static int check_state(const RunPaths *p, const char *dir, int resume) {
  struct stat sb;
  int has_state = stat(p->state, &sb) == 0;
  if (resume && !has_state) return odp_fail("%s: no training state to resume (train_state.safetensors missing)", dir);
  if (!resume && has_state)
    return odp_fail("%s: already holds a run (train_state.safetensors); continue it with --resume or choose another -o",
                    dir);
  if (!resume && unlink(p->log) && errno != ENOENT) return odp_fail("%s: cannot remove old log: %s", p->log, strerror(errno));
  return ODP_OK;
}

int run_paths_make(RunPaths *p, const char *dir, int resume) {
  p->lock_fd = -1;
  if (strlen(dir) > 1000) return odp_fail("%.100s...: run directory path too long", dir);
  struct stat sb;
  if (resume && (stat(dir, &sb) || !S_ISDIR(sb.st_mode)))  // a typo must not leave an empty directory
    return odp_fail("%s: no run directory to resume", dir);
  if ((!resume && make_dir(dir, &p->created)) || lock_dir(p, dir)) return ODP_ERR;
  snprintf(p->dir, sizeof p->dir, "%s", dir);
  snprintf(p->state, sizeof p->state, "%s/train_state.safetensors", dir);
  snprintf(p->policy, sizeof p->policy, "%s/policy.safetensors", dir);
  snprintf(p->log, sizeof p->log, "%s/log.jsonl", dir);
  remove_stale_temps(dir);
  if (check_state(p, dir, resume)) return run_paths_release(p), ODP_ERR;
  return ODP_OK;
}

void run_paths_discard(RunPaths *p) {
  struct stat sb;
  if (p->lock_fd < 0 || stat(p->state, &sb) == 0) return;  // not ours, or a run to keep
  for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", p->dir, run_files[i]);
    unlink(path);
  }
  if (p->created) rmdir(p->dir);
}

void run_paths_release(RunPaths *p) {
  if (p->lock_fd >= 0) close(p->lock_fd);
  p->lock_fd = -1;
}

const char *run_kept_note(char *buf, int size, long saved_step, const char *dir) {
  if (saved_step < 0) snprintf(buf, size, "no checkpoint was written");
  else snprintf(buf, size, "the checkpoint at step %ld in %s is intact", saved_step, dir);
  return buf;
}

int run_set_threads(int threads) {
  int n = threads ? threads : dist_cores_per_rank();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  return n;
}

// fsync the directory holding path, so a rename into it survives a crash.
static void sync_parent_dir(const char *path) {
  char dir[1100];
  const char *slash = strrchr(path, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) fsync(fd), close(fd);
}

// path written as path.tmp, synced, renamed over path: never seen half-written.
static int write_atomic(const char *path, const char *text, size_t len) {
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return odp_fail("%s: cannot write: %s", tmp, strerror(errno));
  int bad = fwrite(text, 1, len, f) != len || fflush(f) || fsync(fileno(f));
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path)) {
    int e = errno;
    unlink(tmp);
    return odp_fail("%s: cannot write: %s", path, strerror(e));
  }
  sync_parent_dir(path);
  return ODP_OK;
}

int run_dir_write_text(const char *dir, const char *name, const char *text) {
  char path[1100], *line = NULL;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len = strlen(text);
  if (!(line = odp_malloc(len + 2, "run file"))) return odp_fail_context("%s", path);
  memcpy(line, text, len), line[len] = '\n', line[len + 1] = 0;
  int rc = write_atomic(path, line, len + 1);
  free(line);
  return rc;
}

void run_dir_log(const char *path, const char *line) {
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%s\n", line);
  if (!fflush(f)) fsync(fileno(f));  // so the log is never behind the checkpoint that follows it
  fclose(f);
}

// The line's "step", or LONG_MIN when it has none (kept: not ours to judge).
static long line_step(const char *line) {
  cJSON *j = cJSON_Parse(line);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "step");
  long step = cJSON_IsNumber(s) ? (long)s->valuedouble : LONG_MIN;
  cJSON_Delete(j);
  return step;
}

int run_log_rewind(const char *path, long step, double *elapsed) {
  if (elapsed) *elapsed = 0;
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOENT ? ODP_OK : odp_fail("%s: cannot read: %s", path, strerror(errno));
  char *line = NULL, *kept = NULL;
  size_t cap = 0, kept_len = 0;
  FILE *out = open_memstream(&kept, &kept_len);
  int dropped = 0;
  for (ssize_t n; out && (n = getline(&line, &cap, f)) > 0;) {
    if (line[n - 1] != '\n' || line_step(line) > step) {  // torn by a kill, or past the state
      dropped = 1;
      continue;
    }
    fputs(line, out);
    const char *e = strstr(line, "\"elapsed_s\": ");
    if (e && elapsed) *elapsed = strtod(e + 13, NULL);
  }
  fclose(f);
  free(line);
  if (!out) return odp_fail("%s: out of memory", path);
  int rc = fclose(out) ? odp_fail("%s: out of memory", path) : ODP_OK;
  if (!rc && dropped) rc = write_atomic(path, kept, kept_len);
  free(kept);
  return rc;
}

const char *const run_task_keys[] = {"task.name",    "task.dataset",    "task.obs_key", "task.max_train_episodes",
                                     "task.val_ratio", "task.split_seed", "task.image_array", NULL};

// An image policy's camera frames at the encoder's frame size: a zarr store's task.image_array
// (one camera), a robomimic file's obs/<camera> for each of encoder.cameras.
static int load_frames(const Config *cfg, const ObsEncoder *e, SeqDataset *ds, const char *path) {
  if (e->kind != OBS_ENCODER_IMAGE) return ODP_OK;
  for (int c = 0; rm_is_path(path) && c < e->n_cameras; c++)
    if (rm_sequence_load_frames(ds, c, path, e->camera[c], e->image_h, e->image_w))
      return odp_fail_context("%s: fields 'encoder.cameras', 'encoder.image_height', 'encoder.image_width'",
                              config_origin(cfg));
  if (rm_is_path(path)) return ODP_OK;
  const char *name = "data/img";
  if (config_has(cfg, "task.image_array") && config_get_string(cfg, "task.image_array", &name)) return ODP_ERR;
  if (!*name) return odp_fail("%s: field 'task.image_array' is empty", config_origin(cfg));
  if (e->n_cameras != 1)
    return odp_fail("%s: field 'encoder.cameras': a zarr store gives one camera (task.image_array), not %d",
                    config_origin(cfg), e->n_cameras);
  if (seqds_load_frames(ds, 0, path, name, e->image_h, e->image_w))
    return odp_fail_context("%s: fields 'task.image_array', 'encoder.image_height', 'encoder.image_width'",
                            config_origin(cfg));
  return ODP_OK;
}

// A robomimic file (data/robomimic.h), its absolute actions as position, rot6d, gripper;
// task.obs_key names the low-dim keys, in the arm tasks' observation order (env/arm/arm.h):
//   low_dim  Diffusion Policy's low-dim policies' (object, robot0_eef_pos, robot0_eef_quat,
//            robot0_gripper_qpos)
//   robot    its image policies' (the same without object: the robot's own state)
static SeqDataset *open_robomimic(const Config *cfg, const PolicyShape *shape, const char *path, const char *obs_key,
                                  const SeqConfig *sc) {
  static const char *const low_dim[] = {"object", "robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos"};
  const int robot = !strcmp(obs_key, "robot");
  if (strcmp(obs_key, "low_dim") && !robot)
    return odp_fail("%s: field 'task.obs_key': '%s': a robomimic dataset is read as low_dim or robot",
                    config_origin(cfg), obs_key), NULL;
  SeqDataset *ds = rm_sequence_open(path, low_dim + robot, 4 - robot, 1, sc);
  if (!ds) return odp_fail_context("%s: field 'task.dataset'", config_origin(cfg)), NULL;
  if (seqds_obs_dim(ds) == shape->lowdim_dim && seqds_action_dim(ds) == shape->action_dim) return ds;
  odp_fail("%s: %s has %d observation and %d action features, the policy %d and %d", config_origin(cfg), path,
           seqds_obs_dim(ds), seqds_action_dim(ds), shape->lowdim_dim, shape->action_dim);
  seqds_close(ds);
  return NULL;
}

SeqDataset *run_open_task_dataset(const Config *cfg, const Policy *policy) {
  const PolicyShape *shape = &policy->shape;
  const char *path, *obs_key;
  SeqConfig sc = seq_config_default();
  long cap, split_seed;
  if (config_get_string(cfg, "task.obs_key", &obs_key) || config_get_string(cfg, "task.dataset", &path)) return NULL;
  if (!rm_is_path(path) && seq_obs_key_parse(&sc.obs_key, obs_key))
    return odp_fail("%s: field 'task.obs_key': '%s' is not keypoint, state or agent_pos", config_origin(cfg), obs_key),
           NULL;
  if (config_get_long(cfg, "task.max_train_episodes", &cap, -1, 1 << 30) ||
      config_get_double(cfg, "task.val_ratio", &sc.val_ratio, 0, 0.5) ||
      config_get_long(cfg, "task.split_seed", &split_seed, 0, 0xffffffffL))
    return NULL;
  sc.split_seed = (uint32_t)split_seed, sc.max_train_episodes = (int)cap;
  sc.horizon = shape->horizon, sc.n_obs_steps = shape->n_obs_steps, sc.n_action_steps = shape->n_action_steps;
  if (rm_is_path(path)) {
    SeqDataset *ds = open_robomimic(cfg, shape, path, obs_key, &sc);
    if (ds && load_frames(cfg, &policy->encoder, ds, path)) seqds_close(ds), ds = NULL;
    return ds;
  }
  struct stat sb;
  int found = stat(path, &sb) == 0;
  if (!found || !S_ISDIR(sb.st_mode))
    return odp_fail("%s: field 'task.dataset': %s: %s", config_origin(cfg), path,
                    found ? "not a directory (a zarr store)" : strerror(errno)), NULL;
  SeqDataset *ds = seqds_open(path, &sc);
  if (!ds) return NULL;
  if (seqds_obs_dim(ds) != shape->lowdim_dim)
    odp_fail("%s: dataset obs has %d features, policy.obs_dim is %d", config_origin(cfg), seqds_obs_dim(ds),
             shape->lowdim_dim);
  else if (!load_frames(cfg, &policy->encoder, ds, path))
    return ds;
  seqds_close(ds);
  return NULL;
}

Config *run_load_config(const char *config_path, int n_overrides, char **overrides, const char *const *known,
                        const char *state_path, int resume) {
  if (!resume) {
    Config *c = config_load(config_path);
    if (c && (config_check_keys(c, known) || config_apply_overrides(c, n_overrides, overrides))) config_free(c), c = NULL;
    return c;
  }
  if (n_overrides) return odp_fail("--resume continues the run's own config: no key=value overrides"), NULL;
  char *json;
  if (run_state_peek(state_path, NULL, &json)) return NULL;
  Config *c = config_parse(json, state_path);
  free(json);
  if (c && config_check_keys(c, known)) {  // e.g. a distillation resumed with `train --resume`
    char why[512];
    snprintf(why, sizeof why, "%s", odp_error());
    odp_fail("%s (train --resume continues a teacher run, distill --resume a distillation)", why);
    config_free(c), c = NULL;
  }
  return c;
}
