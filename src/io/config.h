// JSON configs (task, model, training), overridable on the command line as
// key=value with dotted keys: model.down_dims=64,128,256 train.lr=1e-4.
//
// An override may only change a key the config already has, and its value is parsed
// to that key's existing type, so a typo fails loudly instead of being ignored.
// Getters check type and range; every error names the config's file and the field.
#pragma once

typedef struct Config Config;

// NULL (with odp_error set) on failure. The top level must be a JSON object.
Config *config_load(const char *path);
// From a JSON string (e.g. a checkpoint's metadata); `origin` names it in messages.
Config *config_parse(const char *json, const char *origin);
void config_free(Config *cfg);

const char *config_origin(const Config *cfg);  // the file (or origin) it came from

// "key=value". Value by the existing type: number, bool (true/false/1/0), string,
// array ("a,b,c" or JSON "[a,b,c]"), object (JSON). Numbers must be finite.
// A numeric segment indexes an array: model.down_dims.0=128.
int config_override(Config *cfg, const char *assignment);
int config_apply_overrides(Config *cfg, int count, char **assignments);

int config_has(const Config *cfg, const char *key);

// Each fails (naming file and field) when the key is missing, of another type, not
// finite, not an integer where one is needed, or outside [min, max].
int config_get_int(const Config *cfg, const char *key, int *out, int min, int max);
int config_get_long(const Config *cfg, const char *key, long *out, long min, long max);
int config_get_double(const Config *cfg, const char *key, double *out, double min, double max);
int config_get_bool(const Config *cfg, const char *key, int *out);
// *out points into cfg (valid until the next override or config_free).
int config_get_string(const Config *cfg, const char *key, const char **out);
// Up to max_count integers, each in [min, max]; *count receives how many.
int config_get_int_array(const Config *cfg, const char *key, int *out, int max_count, int *count,
                         int min, int max);

// Up to max_count strings (pointing into cfg, as config_get_string's); *count receives how many.
int config_get_string_array(const Config *cfg, const char *key, const char **out, int max_count, int *count);

// Fails on the first leaf key (dotted; an array is a leaf) that is not in `known`
// (NULL-terminated), naming the nearest known key: a misspelt key in a file would
// otherwise be ignored and the setting it meant left at its default.
int config_check_keys(const Config *cfg, const char *const *known);

// Compact JSON of the whole config (malloc'd; NULL with odp_error on failure).
char *config_to_json(const Config *cfg);
