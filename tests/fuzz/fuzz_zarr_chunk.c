// libFuzzer: a zarr store on disk, as `onedp dataset`, `train` and `replay` read one.
// Input: the .zarray text, a NUL, then the bytes of the array's first chunk file (Blosc
// frame or raw). The harness writes store/.zgroup, store/a/.zarray and the chunk at
// its key ("0.0", "0/0", ...), lists the store, opens the array and reads the first
// chunk's rows (other chunks are missing and read as fill_value) as the stored type
// and as f64, twice (the second read comes from the chunk cache).
#include "core/error.h"
#include "data/zarr_internal.h"
#include "fuzz.h"

#define MAX_CHUNK (4 << 20)  // bytes of one decoded chunk
#define MAX_OUT (1 << 18)    // elements read per input

// Creates the directories of store/a/<key> (key "0/0/0" has two).
static void make_key_dirs(const char *array_dir, const char *key) {
  char path[1024];
  for (const char *slash = strchr(key, '/'); slash; slash = strchr(slash + 1, '/')) {
    snprintf(path, sizeof path, "%s/%.*s", array_dir, (int)(slash - key), key);
    if (mkdir(path, 0755) && errno != EEXIST) {
      perror(path);
      abort();
    }
  }
}

static void read_rows(ZarrArray *a) {
  static unsigned char out[MAX_OUT * 8];
  int64_t re = zarr_row_elems(a), n = zarr_chunks(a)[0] < zarr_rows(a) ? zarr_chunks(a)[0] : zarr_rows(a);
  if (re <= 0 || n * re > MAX_OUT) return;
  for (int pass = 0; pass < 2; pass++) {
    zarr_read_rows(a, 0, n, zarr_dtype(a), out);
    zarr_read_rows(a, 0, n, ZARR_F64, out);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t meta_len;
  char *meta = fuzz_part(data, size, 0, &meta_len);
  const uint8_t *chunk = data + (meta_len < size ? meta_len + 1 : size);
  size_t chunk_len = (size_t)(data + size - chunk);

  char store[600], array_dir[700], path[1024];
  snprintf(store, sizeof store, "%s/store.zarr", fuzz_dir());
  snprintf(array_dir, sizeof array_dir, "%s/a", store);
  fuzz_remove_tree(store);  // nothing of the previous input may remain
  if (mkdir(store, 0755) || mkdir(array_dir, 0755)) abort();
  snprintf(path, sizeof path, "%s/.zgroup", store);
  fuzz_write(path, "{\"zarr_format\": 2}", 18);
  snprintf(path, sizeof path, "%s/.zarray", array_dir);
  fuzz_write(path, meta, meta_len);
  free(meta);

  // The chunk's key comes from the parsed metadata.
  ZarrArray *a = zarr_open(store, "a");
  if (a && a->chunk_bytes <= MAX_CHUNK && zarr_rows(a) > 0 && zarr_row_elems(a) > 0) {  // else no chunks
    char key[256];
    zarr_chunk_key(a, 0, key, sizeof key);
    make_key_dirs(array_dir, key);
    snprintf(path, sizeof path, "%s/%s", array_dir, key);
    fuzz_write(path, chunk, chunk_len);
    zarr_allow_missing_chunks(a, 1);
    read_rows(a);
  }
  zarr_close(a);

  char **names;
  int count;
  if (zarr_list_arrays(store, &names, &count) == ODP_OK) {
    FUZZ_CHECK(count == 1 && !strcmp(names[0], "a"), "listed %d arrays", count);
    zarr_free_names(names, count);
  }
  return 0;
}
