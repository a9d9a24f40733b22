// JSON configs: typed getters with ranges, key=value overrides typed by the existing
// value, serialisation, and bad inputs (each error names the file and the field).
#include "io/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tests/test.h"
#include "../tests/test_dir.h"
#include "core/error.h"

static const char *write_text(const char *name, const char *text) {
  const char *p = path_in(name);
  FILE *f = fopen(p, "wb");
  fputs(text, f);
  fclose(f);
  return p;
}

static const char *BASE =
    "{\n"
    "  \"name\": \"pusht\",\n"
    "  \"model\": {\"down_dims\": [256, 512, 1024], \"kernel_size\": 5, \"film_scale\": true,\n"
    "            \"tags\": [\"a\", \"b\"], \"sub\": {\"x\": 1}},\n"
    "  \"train\": {\"lr\": 0.0001, \"batch\": 256, \"steps\": 3000000000, \"optimizer\": \"adamw\",\n"
    "            \"note\": null}\n"
    "}\n";

static int msg_has(const char *a, const char *b) {
  const char *e = odp_error();
  return strstr(e, a) != NULL && (!b || strstr(e, b) != NULL);
}

static void test_getters(const char *path) {
  Config *c = config_load(path);
  CHECK(c != NULL, "%s", odp_error());
  if (!c) return;
  int i, b, dims[8], n;
  long l;
  double d;
  const char *s;
  CHECK(config_get_int(c, "train.batch", &i, 1, 65536) == ODP_OK && i == 256, "batch");
  CHECK(config_get_double(c, "train.lr", &d, 0, 1) == ODP_OK && d == 0.0001, "lr");
  CHECK(config_get_long(c, "train.steps", &l, 0, 10000000000l) == ODP_OK && l == 3000000000l, "steps");
  CHECK(config_get_bool(c, "model.film_scale", &b) == ODP_OK && b == 1, "film_scale");
  CHECK(config_get_string(c, "train.optimizer", &s) == ODP_OK && strcmp(s, "adamw") == 0, "optimizer");
  CHECK(config_get_int_array(c, "model.down_dims", dims, 8, &n, 1, 4096) == ODP_OK && n == 3 && dims[2] == 1024,
        "down_dims");
  CHECK(config_get_int(c, "model.down_dims.1", &i, 0, 4096) == ODP_OK && i == 512, "array index in a key");
  CHECK(config_has(c, "model.sub.x") && !config_has(c, "model.sub.y") && !config_has(c, ""), "config_has");
  CHECK(strcmp(config_origin(c), path) == 0, "origin");

  // Errors: name the file and the field; outputs untouched.
  i = -7;
  CHECK(config_get_int(c, "train.batch", &i, 1, 64) == ODP_ERR && msg_has(path, "'train.batch'") &&
            msg_has("outside", NULL) && i == -7, "range: %s", odp_error());
  CHECK(config_get_int(c, "train.lr", &i, 0, 10) == ODP_ERR && msg_has("'train.lr'", "integer"), "%s", odp_error());
  CHECK(config_get_int(c, "train.steps", &i, 0, 2147483647) == ODP_ERR && msg_has("'train.steps'", "outside"),
        "int overflow: %s", odp_error());
  CHECK(config_get_double(c, "train.lr", &d, 0.001, 1) == ODP_ERR && msg_has("'train.lr'", "outside"), "%s",
        odp_error());
  CHECK(config_get_string(c, "train.batch", &s) == ODP_ERR && msg_has("'train.batch'", "expected a string"), "%s",
        odp_error());
  CHECK(config_get_bool(c, "train.optimizer", &b) == ODP_ERR && msg_has("'train.optimizer'", "expected a bool"),
        "%s", odp_error());
  CHECK(config_get_int(c, "train.epochs", &i, 0, 10) == ODP_ERR && msg_has(path, "'train.epochs': missing"), "%s",
        odp_error());
  CHECK(config_get_int(c, "model", &i, 0, 10) == ODP_ERR && msg_has("'model'", "an object"), "%s", odp_error());
  dims[0] = -1;
  CHECK(config_get_int_array(c, "model.down_dims", dims, 2, &n, 1, 4096) == ODP_ERR && msg_has("at most 2", NULL) &&
            dims[0] == -1, "%s", odp_error());
  CHECK(config_get_int_array(c, "model.down_dims", dims, 8, &n, 1, 600) == ODP_ERR &&
            msg_has("'model.down_dims.2'", "outside") && dims[0] == -1, "%s", odp_error());
  CHECK(config_get_int_array(c, "model.tags", dims, 8, &n, 0, 9) == ODP_ERR && msg_has("'model.tags.0'", "number"),
        "%s", odp_error());
  CHECK(config_get_int_array(c, "train.lr", dims, 8, &n, 0, 9) == ODP_ERR && msg_has("'train.lr'", "an array"),
        "%s", odp_error());
  const char *names[4] = {NULL};
  CHECK(config_get_string_array(c, "model.tags", names, 4, &n) == ODP_OK && n == 2 && !strcmp(names[0], "a") &&
            !strcmp(names[1], "b"), "string array: %s", odp_error());
  names[0] = NULL;
  CHECK(config_get_string_array(c, "model.tags", names, 1, &n) == ODP_ERR && msg_has("at most 1", NULL) && !names[0],
        "%s", odp_error());
  CHECK(config_get_string_array(c, "model.down_dims", names, 4, &n) == ODP_ERR &&
            msg_has("'model.down_dims.0'", "a string") && !names[0], "%s", odp_error());
  config_free(c);
}

static void test_overrides(const char *path) {
  Config *c = config_load(path);
  if (!c) return;
  char *ok[] = {"model.down_dims=64,128,256", "train.lr=3e-4", "train.batch=128", "model.film_scale=false",
                "train.optimizer=sgd=fast", "model.tags=x,y,z", "train.note=[1,2]", "model.sub={\"x\":2,\"y\":3}",
                "model.down_dims.0=32", "name="};
  CHECK(config_apply_overrides(c, 10, ok) == ODP_OK, "%s", odp_error());
  int i, b, dims[8], n;
  double d;
  const char *s;
  CHECK(config_get_int_array(c, "model.down_dims", dims, 8, &n, 1, 4096) == ODP_OK && n == 3 && dims[0] == 32 &&
            dims[1] == 128 && dims[2] == 256, "down_dims override");
  CHECK(config_get_double(c, "train.lr", &d, 0, 1) == ODP_OK && d == 3e-4, "lr override");
  CHECK(config_get_int(c, "train.batch", &i, 1, 65536) == ODP_OK && i == 128, "batch override");
  CHECK(config_get_bool(c, "model.film_scale", &b) == ODP_OK && b == 0, "bool override");
  CHECK(config_get_string(c, "train.optimizer", &s) == ODP_OK && strcmp(s, "sgd=fast") == 0, "string override");
  CHECK(config_get_string(c, "model.tags.2", &s) == ODP_OK && strcmp(s, "z") == 0, "string array override");
  CHECK(config_get_int(c, "train.note.1", &i, 0, 9) == ODP_OK && i == 2, "null takes any JSON");
  CHECK(config_get_int(c, "model.sub.y", &i, 0, 9) == ODP_OK && i == 3, "object override");
  CHECK(config_get_string(c, "name", &s) == ODP_OK && s[0] == 0, "empty string override");
  CHECK(config_override(c, "model.down_dims=[8, 16]") == ODP_OK &&
            config_get_int_array(c, "model.down_dims", dims, 8, &n, 1, 4096) == ODP_OK && n == 2 && dims[1] == 16,
        "JSON array override: %s", odp_error());

  // Serialised, reparsed, identical; the key order and override results survive.
  char *json = config_to_json(c);
  Config *c2 = config_parse(json, "checkpoint metadata");
  char *json2 = c2 ? config_to_json(c2) : NULL;
  CHECK(json && json2 && strcmp(json, json2) == 0, "to_json round trip: %s / %s", json, json2 ? json2 : "(null)");
  CHECK(json && strstr(json, "\"lr\":0.0003") && strncmp(json, "{\"name\":\"\",\"model\"", 18) == 0, "json: %s",
        json);
  free(json), free(json2);
  config_free(c2);

  // Bad overrides: an error naming the file and key; the config unchanged.
  json = config_to_json(c);
  struct {
    const char *assignment, *want1, *want2;
  } bad[] = {
      {"train.lrr=1e-3", "'train.lrr'", "did you mean 'train.lr'"},
      {"model.down_dim=1,2", "'model.down_dim'", "did you mean 'model.down_dims'"},
      {"trian.batch=4", "'trian.batch'", "did you mean 'train.batch'"},
      {"completely.different=1", "unknown key", NULL},
      {"train.batch=abc", "'train.batch'", "not a finite number"},
      {"train.batch=", "'train.batch'", "not a finite number"},
      {"train.batch=12abc", "'train.batch'", "not a finite number"},
      {"train.lr=nan", "'train.lr'", "finite"},
      {"train.lr=inf", "'train.lr'", "finite"},
      {"train.lr=1e999", "'train.lr'", "finite"},
      {"model.film_scale=maybe", "'model.film_scale'", "bool"},
      {"model.down_dims=1,x,3", "'model.down_dims'", "element 1"},
      {"model.down_dims=1,,3", "'model.down_dims'", "element 1"},
      {"model.down_dims=", "'model.down_dims'", "empty"},
      {"model.down_dims=[\"a\"]", "'model.down_dims'", "element type"},
      {"model.down_dims=[1,2", "'model.down_dims'", "not valid JSON"},
      {"model.down_dims=[1e999]", "'model.down_dims.0'", "finite"},
      {"model.down_dims.7=1", "'model.down_dims.7'", "unknown key"},
      {"model.sub=[1]", "'model.sub'", "an object"},
      {"model.sub=3", "'model.sub'", "an object"},
      {"train.batch.x=1", "'train.batch.x'", "unknown key"},
      {"no_equals_sign", "not key=value", NULL},
      {"=5", "not key=value", NULL},
  };
  for (int k = 0; k < (int)(sizeof bad / sizeof bad[0]); k++) {
    int rc = config_override(c, bad[k].assignment);
    CHECK(rc == ODP_ERR && msg_has(path, bad[k].want1) && (!bad[k].want2 || msg_has(bad[k].want2, NULL)),
          "override '%s': %s", bad[k].assignment, odp_error());
    if (getenv("ONEDP_VERBOSE")) printf("%-28s %s\n", bad[k].assignment, odp_error());
  }
  char *after = config_to_json(c);
  CHECK(strcmp(json, after) == 0, "failed overrides changed the config");
  char *two[] = {"train.batch=64", "train.lrr=1"};
  CHECK(config_apply_overrides(c, 2, two) == ODP_ERR && msg_has("'train.lrr'", NULL), "apply stops at the bad one");
  free(json), free(after);
  config_free(c);
}

static void expect_load_fails(const char *label, const char *path, const char *want1, const char *want2) {
  odp_error_clear();
  Config *c = config_load(path);
  CHECK(c == NULL && msg_has(path, want1) && (!want2 || msg_has(want2, NULL)), "%s: %s", label, odp_error());
  config_free(c);
  if (getenv("ONEDP_VERBOSE")) printf("%-28s %s\n", label, odp_error());
}

static void test_bad_files(void) {
  expect_load_fails("missing file", path_in("no_such_config.json"), "cannot open", NULL);
  expect_load_fails("directory", dir, "directory", NULL);
  expect_load_fails("empty file", write_text("bad.json", ""), "empty", NULL);
  expect_load_fails("invalid JSON", write_text("bad.json", "{\n  \"a\": 1,\n  \"b\": ]\n}"), "invalid JSON",
                    "line 3");
  expect_load_fails("truncated JSON", write_text("bad.json", "{\"a\": {\"b\": 1"), "invalid JSON", NULL);
  expect_load_fails("top-level array", write_text("bad.json", "[1, 2]"), "not a JSON object", NULL);
  expect_load_fails("trailing text", write_text("bad.json", "{\"a\": 1} {\"b\": 2}"), "after the JSON", NULL);
  expect_load_fails("NaN literal", write_text("bad.json", "{\"a\": NaN}"), "invalid JSON", NULL);
  expect_load_fails("Infinity literal", write_text("bad.json", "{\"a\": Infinity}"), "invalid JSON", NULL);
  expect_load_fails("number overflowing to inf", write_text("bad.json", "{\"train\": {\"lr\": [1, -1e999]}}"),
                    "'train.lr.1'", "not finite");
  expect_load_fails("duplicate key", write_text("bad.json", "{\"train\": {\"lr\": 1, \"lr\": 2}}"), "'lr'", "twice");
  expect_load_fails("binary junk", write_text("bad.json", "\x01\x02\xff\xfe"), "invalid JSON", NULL);
  Config *c = config_parse("{\"a\": 1}", "ckpt.safetensors:config");
  int v;
  CHECK(c && config_get_int(c, "b", &v, 0, 1) == ODP_ERR && msg_has("ckpt.safetensors:config: field 'b'", NULL),
        "origin in messages: %s", odp_error());
  config_free(c);
}

// config_check_keys: every leaf must be listed; a near miss is named.
static void test_known_keys(void) {
  static const char *const known[] = {"train.lr", "train.steps", "model.down_dims", NULL};
  Config *c = config_parse("{\"train\": {\"lr\": 1, \"steps\": 2}, \"model\": {\"down_dims\": [1, 2]}}", "ok.json");
  CHECK(c && config_check_keys(c, known) == ODP_OK, "all keys known: %s", odp_error());
  config_free(c);
  c = config_parse("{\"train\": {\"lr\": 1, \"stpes\": 2}}", "typo.json");
  CHECK(c && config_check_keys(c, known) == ODP_ERR && msg_has("typo.json: field 'train.stpes': unknown key", "'train.steps'"),
        "misspelt key: %s", odp_error());
  config_free(c);
  c = config_parse("{\"optimizer\": {\"kind\": \"sgd\"}}", "other.json");
  CHECK(c && config_check_keys(c, known) == ODP_ERR && msg_has("field 'optimizer.kind': unknown key", NULL) &&
            !msg_has("did you mean", NULL),
        "unrelated key: %s", odp_error());
  config_free(c);
  c = config_parse("{\"train\": {}}", "empty.json");
  CHECK(c && config_check_keys(c, known) == ODP_OK, "missing keys are the getters' business: %s", odp_error());
  config_free(c);
}

int main(void) {
  test_dir_open("io");
  test_known_keys();
  const char *path = write_text("config.json", BASE);
  test_getters(path);
  test_overrides(path);
  test_bad_files();
  TEST_MAIN_END();
}
