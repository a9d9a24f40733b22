// libFuzzer: the JSON config loader and its key=value overrides, as `onedp train` and
// `distill` use them. Input: the config text, a NUL, then one override per line.
// Checked: an accepted override's key exists afterwards, the typed getters and
// train_options_read never misbehave, and whatever config results prints as JSON that
// parses and validates again and prints identically.
#include "core/error.h"
#include "fuzz.h"
#include "io/config.h"
#include "train/train_options.h"

static void getters(const Config *c, const char *key) {
  int i, b, arr[16], n;
  long l;
  double d;
  const char *s;
  config_get_int(c, key, &i, -1000, 1000);
  config_get_long(c, key, &l, -(1L << 62), 1L << 62);
  config_get_double(c, key, &d, -1e300, 1e300);
  config_get_bool(c, key, &b);
  config_get_string(c, key, &s);
  config_get_int_array(c, key, arr, 16, &n, 0, 1 << 20);
}

static void check_round_trip(const Config *c) {
  char *json = config_to_json(c);
  FUZZ_CHECK(json, "config_to_json: %s", odp_error());
  Config *again = config_parse(json, "printed");
  FUZZ_CHECK(again, "printed config does not parse: %s\n%s", odp_error(), json);
  char *json2 = config_to_json(again);
  FUZZ_CHECK(json2 && !strcmp(json, json2), "printing is not stable:\n%s\n%s", json, json2 ? json2 : "(null)");
  free(json), free(json2);
  config_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_part(data, size, 0, NULL);
  Config *c = config_parse(text, "fuzz.json");
  free(text);
  if (!c) return 0;
  char *overrides = fuzz_part(data, size, 1, NULL);
  for (char *line = overrides, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if (config_override(c, line) == ODP_OK) {
      char *key = strndup(line, (size_t)(strchr(line, '=') - line));
      FUZZ_CHECK(config_has(c, key), "override '%s' accepted but key absent", line);
      getters(c, key);
      free(key);
    }
  }
  free(overrides);
  TrainOptions o;
  train_options_read(&o, c);
  check_round_trip(c);
  config_free(c);
  return 0;
}
