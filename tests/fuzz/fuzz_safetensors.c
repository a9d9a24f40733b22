// libFuzzer: the safetensors reader on arbitrary file contents. Opening validates the
// whole header; every tensor then reads as floats (each dtype's decoder), and the file
// loads into a fixed three-tensor table (plain and tap layouts: the checkpoint path).
// Checked beyond "no crash, leak or UB": the accessors agree with the header, and a
// failed load leaves the caller's buffer untouched.
#include "core/error.h"
#include "core/params.h"
#include "fuzz.h"
#include "io/safetensors.h"

#define MAX_READ (1 << 16)  // elements read per tensor (a header may claim 2^53)

static ParamTable table;  // a (3, 4), b (5,), conv.weight (2, 3, 5) stored as taps

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  int a[2] = {3, 4}, b[1] = {5}, conv[3] = {2, 3, 5};
  if (param_table_add(&table, "a", 2, a, LAYOUT_PLAIN) < 0 || param_table_add(&table, "b", 1, b, LAYOUT_PLAIN) < 0 ||
      param_table_add(&table, "conv.weight", 3, conv, LAYOUT_TAPS) < 0)
    abort();
  return 0;
}

static void check_tensors(Safetensors *st) {
  static float out[MAX_READ + 1];
  for (int i = 0; i < safetensors_count(st); i++) {
    const char *name = safetensors_name(st, i);
    FUZZ_CHECK(safetensors_find(st, name) == i, "tensor %d '%s' is found at %d", i, name, safetensors_find(st, name));
    const long *shape = safetensors_shape(st, i);
    long numel = 1;
    for (int d = 0; d < safetensors_ndim(st, i); d++) numel *= shape[d];
    FUZZ_CHECK(numel == safetensors_numel(st, i), "tensor '%s': numel %ld vs shape product %ld", name,
               safetensors_numel(st, i), numel);
    FUZZ_CHECK(safetensors_dtype_size(safetensors_dtype(st, i)) > 0, "tensor '%s': dtype", name);
    FUZZ_CHECK(safetensors_read_f32(st, name, out, numel + 1) == ODP_ERR, "tensor '%s': wrong count accepted", name);
    if (numel <= MAX_READ) safetensors_read_f32(st, name, out, numel);
  }
  safetensors_metadata(st, "format");
  safetensors_metadata(st, "config");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file("input.safetensors", data, size);
  Safetensors *st = safetensors_open(path);
  if (st) check_tensors(st);
  safetensors_close(st);

  enum { N = 3 * 4 + 5 + 2 * 3 * 5 };
  float buf[N];
  for (int i = 0; i < N; i++) buf[i] = -7.25f;
  char *config = NULL;
  if (safetensors_load_params(path, &table, buf, &config) == ODP_ERR) {
    FUZZ_CHECK(config == NULL, "config returned on failure");
    for (int i = 0; i < N; i++) FUZZ_CHECK(buf[i] == -7.25f, "buffer written by a failed load (element %d)", i);
  }
  free(config);
  return 0;
}
