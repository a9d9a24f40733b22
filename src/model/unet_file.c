#include "model/unet_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "model/unet_config.h"

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static char *slurp_text(const char *path) {
  struct stat sb;
  if (stat(path, &sb)) return odp_fail("%s: cannot open: %s", path, strerror(errno)), NULL;
  if (S_ISDIR(sb.st_mode)) return odp_fail("%s: is a directory, not a config or checkpoint", path), NULL;
  if (!S_ISREG(sb.st_mode)) return odp_fail("%s: not a regular file", path), NULL;
  if (sb.st_size == 0) return odp_fail("%s: empty file, not a JSON config", path), NULL;
  if (sb.st_size > (64L << 20)) return odp_fail("%s: %ld bytes is too large for a config", path, (long)sb.st_size), NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return odp_fail("%s: cannot open", path), NULL;
  char *s = odp_malloc((unsigned long)sb.st_size + 1, path);
  size_t n = s ? fread(s, 1, (size_t)sb.st_size, f) : 0;
  fclose(f);
  if (s) s[n] = 0;
  return s;
}

static int open_checkpoint(Unet *u, float **params_out, const char *path) {
  Safetensors *st = safetensors_open(path);
  if (!st) return ODP_ERR;
  const char *cfg_json = safetensors_metadata(st, "config");
  UnetConfig cfg;
  int err = !cfg_json ? odp_fail("%s: no model config in the metadata", path)
                      : unet_config_from_json(&cfg, cfg_json, path);
  // A policy checkpoint holds the U-Net under "model."; the policy loader validates those weights.
  int is_policy = safetensors_find(st, "model.final_conv.1.bias") >= 0;
  if (!err) err = unet_init(u, &cfg);
  if (err || !params_out || is_policy) {
    safetensors_close(st);
    return err;
  }
  float *params = odp_malloc((unsigned long)u->table.numel * sizeof(float), path);
  if (!params || safetensors_read_params(st, &u->table, params)) {
    free(params);
    unet_free(u);
    safetensors_close(st);
    return ODP_ERR;
  }
  safetensors_close(st);
  *params_out = params;
  return ODP_OK;
}

int unet_open(Unet *u, float **params_out, const char *path) {
  if (params_out) *params_out = NULL;
  if (ends_with(path, ".safetensors")) return open_checkpoint(u, params_out, path);
  char *text = slurp_text(path);
  if (!text) return ODP_ERR;
  UnetConfig cfg;
  int err = unet_config_from_json(&cfg, text, path);
  free(text);
  if (err) return ODP_ERR;
  return unet_init(u, &cfg);
}
