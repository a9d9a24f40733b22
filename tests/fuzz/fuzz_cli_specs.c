// libFuzzer: the small text specs users type: --sampler (ddpm:N, ddim:N[:spacing],
// onestep), --seeds A:B, --gif-seeds a,b,c, task.obs_key and DDIM spacing names.
// Checked: an accepted sampler prints a canonical name that parses to the same spec,
// an accepted seed range is non-empty and prints back to itself.
#include <inttypes.h>

#include "core/error.h"
#include "data/sequence.h"
#include "eval/seed_range.h"
#include "fuzz.h"
#include "model/policy.h"

static void sampler(const char *s) {
  SamplerSpec spec, again;
  char name[64];
  if (sampler_parse(&spec, s) != ODP_OK) return;
  FUZZ_CHECK(spec.steps >= 1 && spec.steps <= 1000, "'%s': %d steps", s, spec.steps);
  sampler_name(&spec, name, sizeof name);
  FUZZ_CHECK(sampler_parse(&again, name) == ODP_OK, "'%s' -> '%s' does not parse", s, name);
  FUZZ_CHECK(again.kind == spec.kind && again.steps == spec.steps && again.spacing == spec.spacing, "'%s' -> '%s'", s,
             name);
}

static void seeds(const char *s) {
  uint32_t begin, end, list[64];
  int n;
  if (seed_range_parse(s, &begin, &end) == ODP_OK) {
    char text[32];
    uint32_t b2, e2;
    FUZZ_CHECK(begin < end, "'%s': [%" PRIu32 ", %" PRIu32 ")", s, begin, end);
    snprintf(text, sizeof text, "%" PRIu32 ":%" PRIu32, begin, end);
    FUZZ_CHECK(seed_range_parse(text, &b2, &e2) == ODP_OK && b2 == begin && e2 == end, "'%s' -> '%s'", s, text);
  }
  if (seed_list_parse(s, list, 64, &n) == ODP_OK) FUZZ_CHECK(n >= 1 && n <= 64, "'%s': %d seeds", s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_part(data, size, 0, NULL);
  sampler(s);
  seeds(s);
  SeqObsKey key;
  DdimSpacing spacing;
  seq_obs_key_parse(&key, s);
  if (ddim_spacing_parse(&spacing, s) == ODP_OK) FUZZ_CHECK(!strcmp(ddim_spacing_name(spacing), s), "'%s'", s);
  free(s);
  return 0;
}
