// onedp dataset info PATH: the arrays of a zarr replay buffer and its episode statistics.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/error.h"
#include "data/zarr.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp dataset info PATH\n\n"
          "Lists the arrays of a zarr v2 replay buffer (shape, dtype, chunking, compressor)\n"
          "and its episode statistics from meta/episode_ends (count, steps, min/mean/max\n"
          "length), checking that every data/ array has one row per step and that every\n"
          "low-dimensional (non-image) array decodes to finite values. The last line is\n"
          "one JSON object: {\"episodes\", \"steps\", \"len_min\", \"len_mean\", \"len_max\", \"arrays\", ...}.\n");
}

static void format_dims(const int64_t *d, int n, char *buf, size_t cap) {
  size_t len = (size_t)snprintf(buf, cap, "(");
  for (int i = 0; i < n && len < cap; i++) len += (size_t)snprintf(buf + len, cap - len, i ? ", %lld" : "%lld", (long long)d[i]);
  if (len < cap) snprintf(buf + len, cap - len, n == 1 ? ",)" : ")");
}

#define IMAGE_ROW_ELEMS 4096  // rows this large are images: gigabytes to decode, checked when used

// Decodes every chunk of a low-dimensional array and checks its values are finite, so a
// corrupt chunk or a NaN shows here rather than hours into training.
static int check_values(const char *root, ZarrArray *a) {
  if (zarr_dtype(a) == ZARR_U8 || zarr_row_elems(a) > IMAGE_ROW_ELEMS) return ODP_OK;
  int64_t rows = zarr_rows(a), per = zarr_row_elems(a) > 0 ? zarr_row_elems(a) : 1;
  int64_t block = 65536 / per > 0 ? 65536 / per : 1;
  double *x = odp_malloc((unsigned long)(block * per) * sizeof *x, "array values");
  int rc = x ? ODP_OK : ODP_ERR;
  for (int64_t r = 0; r < rows && !rc; r += block) {
    int64_t n = rows - r < block ? rows - r : block;
    rc = zarr_read_rows(a, r, n, ZARR_F64, x);
    for (int64_t i = 0; i < n * per && !rc; i++)
      if (!isfinite(x[i]))
        rc = odp_fail("%s: zarr array '%s' row %lld element %lld is %s", root, zarr_name(a), (long long)(r + i / per),
                      (long long)(i % per), isnan(x[i]) ? "NaN" : "infinite");
  }
  free(x);
  return rc;
}

// Prints one table row per array and adds it to json; *rows_ok tracks data/* rows == steps.
static int list_arrays(const char *root, cJSON *json, int64_t steps, int *rows_ok) {
  char **names;
  int count;
  if (zarr_list_arrays(root, &names, &count)) return ODP_ERR;
  printf("%-20s %-20s %-6s %-20s %s\n", "array", "shape", "dtype", "chunks", "compressor");
  int rc = ODP_OK;
  for (int i = 0; i < count && !rc; i++) {
    ZarrArray *a = zarr_open(root, names[i]);
    if (!a) {
      rc = ODP_ERR;
      break;
    }
    char shape[128], chunks[128];
    format_dims(zarr_shape(a), zarr_ndim(a), shape, sizeof shape);
    format_dims(zarr_chunks(a), zarr_ndim(a), chunks, sizeof chunks);
    printf("%-20s %-20s %-6s %-20s %s\n", names[i], shape, zarr_dtype_str(a), chunks, zarr_compressor_str(a));
    cJSON *entry = cJSON_AddObjectToObject(json, names[i]);
    cJSON *dims = cJSON_AddArrayToObject(entry, "shape");
    for (int d = 0; d < zarr_ndim(a); d++) cJSON_AddItemToArray(dims, cJSON_CreateNumber((double)zarr_shape(a)[d]));
    cJSON_AddStringToObject(entry, "dtype", zarr_dtype_str(a));
    if (!strncmp(names[i], "data/", 5) && zarr_rows(a) != steps) *rows_ok = 0;
    rc = check_values(root, a);
    zarr_close(a);
  }
  zarr_free_names(names, count);
  return rc;
}

// ends: (n,) exclusive episode ends, read from meta/episode_ends.
static int read_episode_ends(const char *root, int64_t **ends, int *n) {
  ZarrArray *a = zarr_open(root, "meta/episode_ends");
  if (!a) return odp_fail_context("%s: no episode index", root);
  int rc = ODP_ERR;
  if (zarr_ndim(a) != 1) odp_fail("%s: meta/episode_ends is not 1-d", root);
  else if ((*ends = odp_malloc((size_t)zarr_rows(a) * sizeof **ends, "episode_ends")))
    rc = zarr_read_rows(a, 0, zarr_rows(a), ZARR_I64, *ends);
  *n = (int)zarr_rows(a);
  zarr_close(a);
  for (int i = 0; !rc && i < *n; i++)
    if ((*ends)[i] <= (i ? (*ends)[i - 1] : 0)) rc = odp_fail("%s: meta/episode_ends[%d] = %lld is not increasing", root, i, (long long)(*ends)[i]);
  return rc;
}

static int info(const char *root) {
  int64_t *ends = NULL;
  int n = 0;
  if (read_episode_ends(root, &ends, &n)) {
    free(ends);
    return ODP_ERR;
  }
  int64_t steps = n ? ends[n - 1] : 0, lmin = n ? ends[0] : 0, lmax = lmin;
  for (int i = 1; i < n; i++) {
    int64_t len = ends[i] - ends[i - 1];
    lmin = len < lmin ? len : lmin, lmax = len > lmax ? len : lmax;
  }
  free(ends);
  cJSON *json = cJSON_CreateObject(), *arrays = cJSON_CreateObject();
  int rows_ok = 1;
  printf("store: %s\n", root);
  int rc = list_arrays(root, arrays, steps, &rows_ok);
  if (!rc) {
    double mean = n ? (double)steps / n : 0;
    printf("episodes: %d  steps: %lld  length min/mean/max: %lld / %.2f / %lld\n", n, (long long)steps, (long long)lmin,
           mean, (long long)lmax);
    if (!rows_ok) printf("warning: some data/ arrays do not have %lld rows\n", (long long)steps);
    cJSON_AddStringToObject(json, "path", root);
    cJSON_AddNumberToObject(json, "episodes", n);
    cJSON_AddNumberToObject(json, "steps", (double)steps);
    cJSON_AddNumberToObject(json, "len_min", (double)lmin);
    cJSON_AddNumberToObject(json, "len_mean", mean);
    cJSON_AddNumberToObject(json, "len_max", (double)lmax);
    cJSON_AddBoolToObject(json, "rows_consistent", rows_ok);
    cJSON_AddItemToObject(json, "arrays", arrays);
    char *line = cJSON_PrintUnformatted(json);
    printf("%s\n", line);
    free(line);
  } else {
    cJSON_Delete(arrays);
  }
  cJSON_Delete(json);
  return rc;
}

int cmd_dataset(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  if (argc != 3 || strcmp(argv[1], "info")) {
    fprintf(stderr, "onedp dataset: expected 'info PATH' (see onedp dataset --help)\n");
    return 2;
  }
  if (info(argv[2])) {
    fprintf(stderr, "onedp dataset: %s\n", odp_error());
    return 1;
  }
  return 0;
}
