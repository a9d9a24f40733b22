#include "io/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define CONFIG_MAX_BYTES (16l << 20)  // configs are small; anything bigger is the wrong file

struct Config {
  char *origin;
  cJSON *root;
};

const char *config_origin(const Config *cfg) { return cfg->origin; }

// "origin: field 'key': message" (keys from the command line may be long: truncated).
static int field_fail(const Config *cfg, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int field_fail(const Config *cfg, const char *key, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return odp_fail("%s: field '%.160s': %s", cfg->origin, key, msg);
}

static const char *type_name(const cJSON *x) {
  if (cJSON_IsNumber(x)) return "a number";
  if (cJSON_IsString(x)) return "a string";
  if (cJSON_IsBool(x)) return "a bool";
  if (cJSON_IsArray(x)) return "an array";
  if (cJSON_IsObject(x)) return "an object";
  return "null";
}

// ---------------------------------------------------------------------------
// Loading and validation

static int by_string(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// No duplicate keys (a later one would be silently ignored), no non-finite numbers.
static int validate(const Config *cfg, const cJSON *x, const char *where) {
  if (cJSON_IsNumber(x) && !isfinite(x->valuedouble)) return field_fail(cfg, where, "number is not finite");
  if (!cJSON_IsObject(x) && !cJSON_IsArray(x)) return ODP_OK;
  int n = cJSON_GetArraySize(x), rc = ODP_OK;
  if (cJSON_IsObject(x) && n > 1) {
    char **names = odp_malloc((size_t)n * sizeof *names, "config key check");
    if (!names) return odp_fail_context("%s", cfg->origin);
    int i = 0;
    for (const cJSON *c = x->child; c; c = c->next) names[i++] = c->string;
    qsort(names, (size_t)n, sizeof *names, by_string);
    for (i = 1; i < n && rc == ODP_OK; i++)
      if (strcmp(names[i - 1], names[i]) == 0) rc = field_fail(cfg, names[i], "key appears twice in %s", where[0] ? where : "the top level");
    free(names);
  }
  int i = 0;
  for (const cJSON *c = x->child; c && rc == ODP_OK; c = c->next, i++) {
    char path[512];
    if (cJSON_IsObject(x)) snprintf(path, sizeof path, "%s%s%s", where, where[0] ? "." : "", c->string);
    else snprintf(path, sizeof path, "%s.%d", where, i);
    rc = validate(cfg, c, path);
  }
  return rc;
}

static Config *config_new(const char *origin) {
  Config *cfg = odp_calloc(1, sizeof *cfg, "config");
  if (cfg && !(cfg->origin = strdup(origin))) {
    free(cfg);
    odp_fail("%s: out of memory", origin);
    return NULL;
  }
  return cfg;
}

static Config *parse_n(const char *json, size_t len, const char *origin) {
  Config *cfg = config_new(origin);
  if (!cfg) return NULL;
  const char *end = NULL;
  cfg->root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
  int rc = ODP_OK;
  int line = 1, col = 1;
  if (memchr(json, 0, len)) {
    rc = odp_fail("%s: binary data (a checkpoint?), not a JSON config", origin);
  } else if (!cfg->root) {
    for (const char *p = json; end && p < end && p < json + len; p++) *p == '\n' ? (line++, col = 1) : col++;
    rc = odp_fail("%s: invalid JSON at line %d, column %d", origin, line, col);
  } else {
    for (const char *p = json; p < end; p++) *p == '\n' ? (line++, col = 1) : col++;
    for (; end < json + len && rc == ODP_OK; end++, col++)
      if (*end == '\n') line++, col = 0;
      else if (*end != ' ' && *end != '\t' && *end != '\r')
        rc = odp_fail("%s: unexpected text after the JSON object at line %d, column %d", origin, line, col);
    if (rc == ODP_OK && !cJSON_IsObject(cfg->root)) rc = odp_fail("%s: top level is not a JSON object", origin);
    if (rc == ODP_OK) rc = validate(cfg, cfg->root, "");
  }
  if (rc != ODP_OK) {
    config_free(cfg);
    return NULL;
  }
  return cfg;
}

Config *config_parse(const char *json, const char *origin) { return parse_n(json, strlen(json), origin); }

static char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  char *buf = NULL;
  if (fd < 0) {
    odp_fail("%s: cannot open: %s", path, strerror(errno));
  } else if (fstat(fd, &sb)) {
    odp_fail("%s: cannot stat: %s", path, strerror(errno));
  } else if (S_ISDIR(sb.st_mode)) {
    odp_fail("%s: is a directory, not a JSON config", path);
  } else if (!S_ISREG(sb.st_mode)) {
    odp_fail("%s: not a regular file", path);
  } else if (sb.st_size == 0) {
    odp_fail("%s: empty file, not a JSON config", path);
  } else if (sb.st_size > CONFIG_MAX_BYTES) {
    odp_fail("%s: %lld bytes, too large for a config", path, (long long)sb.st_size);
  } else if ((buf = odp_malloc((size_t)sb.st_size + 1, "config file"))) {
    ssize_t got = 0;
    while (got < sb.st_size) {
      ssize_t k = read(fd, buf + got, (size_t)(sb.st_size - got));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      got += k;
    }
    if (got != sb.st_size) {
      odp_fail("%s: read failed", path);
      free(buf);
      buf = NULL;
    } else {
      buf[got] = 0;
      *len = (size_t)got;
    }
  } else {
    odp_fail_context("%s", path);
  }
  if (fd >= 0) close(fd);
  return buf;
}

Config *config_load(const char *path) {
  size_t len = 0;
  char *json = read_file(path, &len);
  if (!json) return NULL;
  Config *cfg = parse_n(json, len, path);
  free(json);
  return cfg;
}

void config_free(Config *cfg) {
  if (!cfg) return;
  cJSON_Delete(cfg->root);
  free(cfg->origin);
  free(cfg);
}

// ---------------------------------------------------------------------------
// Dotted keys

// Index from an all-digit segment, or -1.
static int segment_index(const char *s, size_t n) {
  if (n == 0 || n > 9) return -1;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// The item at a dotted key (NULL when absent); *parent receives its container.
static cJSON *lookup(const Config *cfg, const char *key, cJSON **parent) {
  cJSON *x = cfg->root, *up = NULL;
  const char *s = key;
  if (!*key) return NULL;
  for (;;) {
    const char *dot = strchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    cJSON *next = NULL;
    if (cJSON_IsObject(x)) {
      for (cJSON *c = x->child; c; c = c->next)
        if (strlen(c->string) == n && memcmp(c->string, s, n) == 0) { next = c; break; }
    } else if (cJSON_IsArray(x) && segment_index(s, n) >= 0) {
      next = cJSON_GetArrayItem(x, segment_index(s, n));
    }
    if (!next) return NULL;
    up = x, x = next;
    if (!dot) break;
    s = dot + 1;
  }
  if (parent) *parent = up;
  return x;
}

int config_has(const Config *cfg, const char *key) { return lookup(cfg, key, NULL) != NULL; }

// ---------------------------------------------------------------------------
// Near-match suggestions for unknown keys

// Levenshtein distance, or limit + 1 as soon as it must exceed limit (only near matches matter).
static size_t edit_distance(const char *a, const char *b, size_t limit) {
  size_t n = strlen(a), m = strlen(b), row[257];
  if (n > 256 || m > 256 || (n > m ? n - m : m - n) > limit) return limit + 1;
  for (size_t j = 0; j <= m; j++) row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t diag = row[0], row_min = i;
    row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = up, row[j] = best;
      if (best < row_min) row_min = best;
    }
    if (row_min > limit) return limit + 1;  // distances never shrink down the rows
  }
  return row[m];
}

typedef struct {
  const char *key;
  size_t limit;  // suggest only keys at most this far
  char best[256];
  size_t best_distance;
} Suggestion;

static void suggest_walk(const cJSON *x, char *path, size_t len, Suggestion *s) {
  for (const cJSON *c = x->child; c; c = c->next) {
    int n = snprintf(path + len, 256 - len, "%s%s", len ? "." : "", c->string);
    if (n < 0 || len + (size_t)n >= 256) continue;
    size_t d = edit_distance(s->key, path, s->limit);
    if (d < s->best_distance) s->best_distance = d, snprintf(s->best, sizeof s->best, "%s", path);
    if (cJSON_IsObject(c)) suggest_walk(c, path, len + (size_t)n, s);
    path[len] = 0;
  }
}

static int unknown_key(const Config *cfg, const char *key) {
  size_t limit = strlen(key) / 3 > 2 ? strlen(key) / 3 : 2;
  Suggestion s = {.key = key, .limit = limit, .best_distance = (size_t)-1};
  char path[256] = "";
  suggest_walk(cfg->root, path, 0, &s);
  if (s.best_distance <= limit) return field_fail(cfg, key, "unknown key (did you mean '%s'?)", s.best);
  return field_fail(cfg, key, "unknown key");
}

// The first leaf under x (path prefix `path`) not in known; suggestion from known.
static int check_leaves(const Config *cfg, const cJSON *x, const char *path, const char *const *known) {
  for (const cJSON *c = x->child; c; c = c->next) {
    char key[256];
    snprintf(key, sizeof key, "%s%s%s", path, path[0] ? "." : "", c->string);
    if (cJSON_IsObject(c)) {
      if (check_leaves(cfg, c, key, known)) return ODP_ERR;
      continue;
    }
    const char *best = NULL;
    size_t limit = strlen(key) / 3 > 2 ? strlen(key) / 3 : 2, best_distance = (size_t)-1;
    for (const char *const *k = known; *k && best_distance; k++) {
      size_t d = edit_distance(key, *k, limit);
      if (d < best_distance) best = *k, best_distance = d;
    }
    if (best_distance == 0) continue;
    if (best && best_distance <= limit) return field_fail(cfg, key, "unknown key (did you mean '%s'?)", best);
    return field_fail(cfg, key, "unknown key");
  }
  return ODP_OK;
}

int config_check_keys(const Config *cfg, const char *const *known) { return check_leaves(cfg, cfg->root, "", known); }

// ---------------------------------------------------------------------------
// Overrides

static int parse_number(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || !isfinite(v) || errno == ERANGE) return ODP_ERR;
  *out = v;
  return ODP_OK;
}

static int parse_bool(const char *s, int *out) {
  if (!strcmp(s, "true") || !strcmp(s, "1")) return *out = 1, ODP_OK;
  if (!strcmp(s, "false") || !strcmp(s, "0")) return *out = 0, ODP_OK;
  return ODP_ERR;
}

// One element of a comma-separated array, typed like `like` (NULL: a number).
static cJSON *parse_element(const char *s, const cJSON *like) {
  double d;
  int b;
  if (like && cJSON_IsString(like)) return cJSON_CreateString(s);
  if (like && cJSON_IsBool(like)) return parse_bool(s, &b) ? NULL : cJSON_CreateBool(b);
  return parse_number(s, &d) ? NULL : cJSON_CreateNumber(d);
}

static cJSON *parse_comma_list(const Config *cfg, const char *key, const char *value, const cJSON *like) {
  cJSON *arr = cJSON_CreateArray();
  char *copy = strdup(value);
  if (!arr || !copy) {
    cJSON_Delete(arr), free(copy);
    odp_fail("%s: out of memory", cfg->origin);
    return NULL;
  }
  char *s = copy;
  for (int i = 0;; i++) {
    char *comma = strchr(s, ',');
    if (comma) *comma = 0;
    cJSON *e = parse_element(s, like);
    if (!e || !cJSON_AddItemToArray(arr, e)) {
      field_fail(cfg, key, "element %d '%.40s' is not %s", i, s, like ? type_name(like) : "a number");
      cJSON_Delete(e), cJSON_Delete(arr), free(copy);
      return NULL;
    }
    if (!comma) break;
    s = comma + 1;
  }
  free(copy);
  return arr;
}

// A JSON value that must have the type of `old` (arrays: elements like old's first).
static cJSON *parse_json_like(const Config *cfg, const char *key, const char *value, const cJSON *old) {
  cJSON *v = cJSON_ParseWithOpts(value, NULL, 1);
  if (!v) {
    field_fail(cfg, key, "value '%.60s' is not valid JSON", value);
    return NULL;
  }
  Config probe = {.origin = cfg->origin, .root = v};
  int ok = (v->type & 0xff) == (old->type & 0xff) || (cJSON_IsBool(v) && cJSON_IsBool(old));
  if (ok && cJSON_IsArray(old) && old->child)
    for (const cJSON *e = v->child; e && ok; e = e->next) ok = (e->type & 0xff) == (old->child->type & 0xff) ||
                                                              (cJSON_IsBool(e) && cJSON_IsBool(old->child));
  if (!ok) {
    field_fail(cfg, key, "value '%.60s' is not %s%s", value, type_name(old),
               cJSON_IsArray(old) && old->child ? " of the existing element type" : "");
  } else if (validate(&probe, v, key) == ODP_OK) {
    return v;
  }
  cJSON_Delete(v);
  return NULL;
}

// The new item for `value`, typed by the existing item.
static cJSON *typed_value(const Config *cfg, const char *key, const char *value, const cJSON *old) {
  double d;
  int b;
  if (cJSON_IsNumber(old)) {
    if (parse_number(value, &d) == ODP_OK) return cJSON_CreateNumber(d);
    field_fail(cfg, key, "'%.60s' is not a finite number", value);
  } else if (cJSON_IsBool(old)) {
    if (parse_bool(value, &b) == ODP_OK) return cJSON_CreateBool(b);
    field_fail(cfg, key, "'%.60s' is not a bool (true, false, 1, 0)", value);
  } else if (cJSON_IsString(old)) {
    return cJSON_CreateString(value);
  } else if (cJSON_IsArray(old)) {
    if (!*value) field_fail(cfg, key, "empty value (write [] for an empty array)");
    else return value[0] == '[' ? parse_json_like(cfg, key, value, old) : parse_comma_list(cfg, key, value, old->child);
  } else if (cJSON_IsObject(old)) {
    return parse_json_like(cfg, key, value, old);
  } else {  // null: any JSON value, else a string
    cJSON *v = cJSON_ParseWithOpts(value, NULL, 1);
    Config probe = {.origin = cfg->origin, .root = v};
    if (v && validate(&probe, v, key) == ODP_OK) return v;
    cJSON_Delete(v);
    return cJSON_CreateString(value);
  }
  return NULL;
}

int config_override(Config *cfg, const char *assignment) {
  const char *eq = strchr(assignment, '=');
  if (!eq || eq == assignment)
    return odp_fail("%s: override '%.100s' is not key=value", cfg->origin, assignment);
  char *key = strndup(assignment, (size_t)(eq - assignment));
  if (!key) return odp_fail("%s: out of memory", cfg->origin);
  cJSON *parent = NULL, *old = lookup(cfg, key, &parent), *v = NULL;
  int rc = old ? ODP_OK : unknown_key(cfg, key);
  if (rc == ODP_OK && !(v = typed_value(cfg, key, eq + 1, old))) rc = ODP_ERR;
  if (rc == ODP_OK) {  // the replacement takes over the key (cJSON does not move it)
    v->string = old->string;
    v->type |= old->type & cJSON_StringIsConst;
    old->string = NULL;
    cJSON_ReplaceItemViaPointer(parent, old, v);
  }
  free(key);
  return rc;
}

int config_apply_overrides(Config *cfg, int count, char **assignments) {
  for (int i = 0; i < count; i++)
    if (config_override(cfg, assignments[i])) return ODP_ERR;
  return ODP_OK;
}

// ---------------------------------------------------------------------------
// Typed getters

static const cJSON *get(const Config *cfg, const char *key) {
  const cJSON *x = lookup(cfg, key, NULL);
  if (!x) field_fail(cfg, key, "missing");
  return x;
}

static int get_number(const Config *cfg, const char *key, double *out) {
  const cJSON *x = get(cfg, key);
  if (!x) return ODP_ERR;
  if (!cJSON_IsNumber(x)) return field_fail(cfg, key, "expected a number, found %s", type_name(x));
  if (!isfinite(x->valuedouble)) return field_fail(cfg, key, "number is not finite");
  *out = x->valuedouble;
  return ODP_OK;
}

static int check_integer(const Config *cfg, const char *key, double v, double min, double max) {
  if (v != floor(v)) return field_fail(cfg, key, "expected an integer, found %.17g", v);
  if (v < min || v > max) return field_fail(cfg, key, "%.17g is outside [%.17g, %.17g]", v, min, max);
  return ODP_OK;
}

int config_get_int(const Config *cfg, const char *key, int *out, int min, int max) {
  double v = 0;
  if (get_number(cfg, key, &v) || check_integer(cfg, key, v, min, max)) return ODP_ERR;
  *out = (int)v;
  return ODP_OK;
}

int config_get_long(const Config *cfg, const char *key, long *out, long min, long max) {
  double v = 0;
  if (get_number(cfg, key, &v) || check_integer(cfg, key, v, (double)min, (double)max)) return ODP_ERR;
  // (double)LONG_MAX rounds up to 2^63, which a long cannot hold.
  if (v >= 9223372036854775808.0) return field_fail(cfg, key, "%.17g is too large", v);
  *out = (long)v;
  return ODP_OK;
}

int config_get_double(const Config *cfg, const char *key, double *out, double min, double max) {
  double v = 0;
  if (get_number(cfg, key, &v)) return ODP_ERR;
  if (!(v >= min && v <= max)) return field_fail(cfg, key, "%.17g is outside [%.17g, %.17g]", v, min, max);
  *out = v;
  return ODP_OK;
}

int config_get_bool(const Config *cfg, const char *key, int *out) {
  const cJSON *x = get(cfg, key);
  if (!x) return ODP_ERR;
  if (!cJSON_IsBool(x)) return field_fail(cfg, key, "expected a bool, found %s", type_name(x));
  *out = cJSON_IsTrue(x);
  return ODP_OK;
}

int config_get_string(const Config *cfg, const char *key, const char **out) {
  const cJSON *x = get(cfg, key);
  if (!x) return ODP_ERR;
  if (!cJSON_IsString(x)) return field_fail(cfg, key, "expected a string, found %s", type_name(x));
  *out = x->valuestring;
  return ODP_OK;
}

// The array at key with at most max_count entries (NULL + odp_error otherwise).
static const cJSON *get_array(const Config *cfg, const char *key, int max_count) {
  const cJSON *x = get(cfg, key);
  if (!x) return NULL;
  if (!cJSON_IsArray(x)) return field_fail(cfg, key, "expected an array, found %s", type_name(x)), NULL;
  const int n = cJSON_GetArraySize(x);
  if (n > max_count) return field_fail(cfg, key, "%d entries, at most %d allowed", n, max_count), NULL;
  return x;
}

int config_get_int_array(const Config *cfg, const char *key, int *out, int max_count, int *count, int min,
                         int max) {
  const cJSON *x = get_array(cfg, key, max_count);
  if (!x) return ODP_ERR;
  int i = 0;
  for (const cJSON *e = x->child; e; e = e->next, i++) {
    char where[200];
    snprintf(where, sizeof where, "%.160s.%d", key, i);
    if (!cJSON_IsNumber(e)) return field_fail(cfg, where, "expected a number, found %s", type_name(e));
    if (!isfinite(e->valuedouble)) return field_fail(cfg, where, "number is not finite");
    if (check_integer(cfg, where, e->valuedouble, min, max)) return ODP_ERR;
  }
  i = 0;  // only now write: out is untouched on error
  for (const cJSON *e = x->child; e; e = e->next) out[i++] = (int)e->valuedouble;
  *count = i;
  return ODP_OK;
}

int config_get_string_array(const Config *cfg, const char *key, const char **out, int max_count, int *count) {
  const cJSON *x = get_array(cfg, key, max_count);
  if (!x) return ODP_ERR;
  int i = 0;
  for (const cJSON *e = x->child; e; e = e->next, i++) {
    char where[200];
    snprintf(where, sizeof where, "%.160s.%d", key, i);
    if (!cJSON_IsString(e)) return field_fail(cfg, where, "expected a string, found %s", type_name(e));
  }
  i = 0;  // only now write: out is untouched on error
  for (const cJSON *e = x->child; e; e = e->next) out[i++] = e->valuestring;
  *count = i;
  return ODP_OK;
}

char *config_to_json(const Config *cfg) {
  char *s = cJSON_PrintUnformatted(cfg->root);
  if (!s) odp_fail("%s: out of memory printing config", cfg->origin);
  return s;
}
