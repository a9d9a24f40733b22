#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/policy.h"

int sampler_parse(SamplerSpec *s, const char *text) {
  char kind[16] = "", spacing[16] = "";
  int steps = 0;
  SamplerSpec out = {SAMPLER_DDPM, 100, DDIM_SPACING_LEADING};
  if (!strcmp(text, "onestep")) {
    out.kind = SAMPLER_ONESTEP, out.steps = 1;
  } else if (sscanf(text, "%15[a-z]:%d:%15[a-z]", kind, &steps, spacing) >= 2 && steps >= 1 && steps <= 1000) {
    out.steps = steps;
    if (!strcmp(kind, "ddpm") && !spacing[0]) out.kind = SAMPLER_DDPM;
    else if (!strcmp(kind, "ddim")) {
      out.kind = SAMPLER_DDIM;
      if (spacing[0] && ddim_spacing_parse(&out.spacing, spacing)) return ODP_ERR;
    } else kind[0] = 0;
  } else kind[0] = 0;  // "ddpm:x", "ddpm:0": sscanf may have filled kind before failing
  if (!kind[0] && out.kind != SAMPLER_ONESTEP)
    return odp_fail("sampler '%s': expected ddpm:N, ddim:N, ddim:N:leading|trailing or onestep", text);
  *s = out;
  return ODP_OK;
}

const char *sampler_name(const SamplerSpec *s, char *buf, int size) {
  if (s->kind == SAMPLER_ONESTEP) snprintf(buf, size, "onestep");
  else if (s->kind == SAMPLER_DDPM) snprintf(buf, size, "ddpm:%d", s->steps);
  else snprintf(buf, size, "ddim:%d:%s", s->steps, ddim_spacing_name(s->spacing));
  return buf;
}
