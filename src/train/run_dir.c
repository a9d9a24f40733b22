#include "train/run_dir.h"

#include <cblas.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/error.h"
#include "train/run_state.h"

int run_dir_make(const char *dir) {
  if (mkdir(dir, 0755) && errno != EEXIST) return odp_fail("%s: cannot create run directory", dir);
  struct stat sb;
  if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) return odp_fail("%s: not a directory", dir);
  return ODP_OK;
}

int run_paths_make(RunPaths *p, const char *dir) {
  if (run_dir_make(dir)) return ODP_ERR;
  snprintf(p->state, sizeof p->state, "%s/train_state.safetensors", dir);
  snprintf(p->policy, sizeof p->policy, "%s/policy.safetensors", dir);
  snprintf(p->log, sizeof p->log, "%s/log.jsonl", dir);
  return ODP_OK;
}

int run_set_threads(int threads) {
  int n = threads ? threads : omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  return n;
}

int run_dir_write_text(const char *dir, const char *name, const char *text) {
  char path[1024], tmp[1040];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return odp_fail("%s: cannot write", path);
  int bad = fprintf(f, "%s\n", text) < 0;
  bad |= fclose(f) != 0;
  if (bad) return odp_fail("%s: cannot write", path);
  return rename(tmp, path) ? odp_fail("%s: cannot rename into place", path) : ODP_OK;
}

void run_dir_log(const char *path, const char *line) {
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%s\n", line);
  fclose(f);
}

SeqDataset *run_open_task_dataset(const Config *cfg, const PolicyShape *shape) {
  const char *path, *obs_key;
  SeqConfig sc = seq_config_default();
  long cap, split_seed;
  if (config_get_string(cfg, "task.dataset", &path) || config_get_string(cfg, "task.obs_key", &obs_key) ||
      seq_obs_key_parse(&sc.obs_key, obs_key) || config_get_long(cfg, "task.max_train_episodes", &cap, -1, 1 << 30) ||
      config_get_double(cfg, "task.val_ratio", &sc.val_ratio, 0, 0.5) ||
      config_get_long(cfg, "task.split_seed", &split_seed, 0, 0xffffffffL))
    return NULL;
  sc.split_seed = (uint32_t)split_seed, sc.max_train_episodes = (int)cap;
  sc.horizon = shape->horizon, sc.n_obs_steps = shape->n_obs_steps, sc.n_action_steps = shape->n_action_steps;
  SeqDataset *ds = seqds_open(path, &sc);
  if (ds && seqds_obs_dim(ds) != shape->obs_dim) {
    odp_fail("%s: dataset obs has %d features, policy.obs_dim is %d", config_origin(cfg), seqds_obs_dim(ds),
             shape->obs_dim);
    seqds_close(ds);
    return NULL;
  }
  return ds;
}

Config *run_load_config(const char *config_path, int n_overrides, char **overrides, const char *state_path,
                        int resume) {
  if (!resume) {
    Config *c = config_load(config_path);
    if (c && config_apply_overrides(c, n_overrides, overrides)) config_free(c), c = NULL;
    return c;
  }
  if (n_overrides) return odp_fail("--resume continues the run's own config: no key=value overrides"), NULL;
  char *json;
  if (run_state_peek(state_path, NULL, &json)) return NULL;
  Config *c = config_parse(json, state_path);
  free(json);
  return c;
}
