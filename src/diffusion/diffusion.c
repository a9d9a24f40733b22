#include "diffusion/diffusion.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

// The processes a config can name; a new one is a DiffusionOps file and a line here.
static const struct {
  const char *name;
  int (*init)(Diffusion *d, int num_train_steps, const EdmSettings *edm);
} processes[] = {{"ddpm", diffusion_init_ddpm}, {"edm", diffusion_init_edm}};

int diffusion_init(Diffusion *d, const char *name, int num_train_steps, const EdmSettings *edm) {
  for (unsigned i = 0; i < sizeof processes / sizeof processes[0]; i++)
    if (!strcmp(name, processes[i].name)) return processes[i].init(d, num_train_steps, edm);
  return odp_fail("field 'policy.diffusion': '%s' is not one of: ddpm, edm", name);
}

float diffusion_level_uniform(uint32_t bits, float lo, float hi) {
  return (float)((int)lo + (int)(bits % (uint32_t)((int)hi - (int)lo + 1)));
}

int sampler_parse(SamplerSpec *s, const char *text) {
  SamplerSpec out = {SAMPLER_DDPM, 100, DDIM_SPACING_LEADING, SAMPLER_REFINE_LEVEL};
  char kind[16] = "", spacing[16] = "";
  int steps = 0, end = 0, tail = 0, ok = 0, level = 0;
  if (!strcmp(text, "onestep")) {
    out.kind = SAMPLER_ONESTEP, out.steps = 1, ok = 1;
  } else if (!strncmp(text, "onestep:", 8)) {  // onestep:2 or onestep:2:K
    out.kind = SAMPLER_ONESTEP;
    if (sscanf(text + 8, "%d%n", &steps, &end) == 1 && steps == 2 && !text[8 + end]) out.steps = 2, ok = 1;
    else if (sscanf(text + 8, "%d:%d%n", &steps, &level, &end) == 2 && steps == 2 && !text[8 + end] && level >= 1 &&
             level < DIFFUSION_MAX_TRAIN_STEPS)
      out.steps = 2, out.refine_level = level, ok = 1;
  } else if (sscanf(text, "%15[a-z]:%d%n", kind, &steps, &end) == 2 && steps >= 1 && steps <= 1000) {
    const char *rest = text + end;  // nothing, or ":leading" / ":trailing" for DDIM
    if (*rest == ':' && sscanf(rest + 1, "%15[a-z]%n", spacing, &tail) == 1) rest += 1 + tail;
    out.steps = steps;
    static const struct {
      const char *name;
      SamplerKind kind;
    } plain[] = {{"ddpm", SAMPLER_DDPM}, {"edm", SAMPLER_EDM_HEUN}, {"euler", SAMPLER_EDM_EULER}, {"cp", SAMPLER_CP}};
    for (unsigned i = 0; i < sizeof plain / sizeof plain[0]; i++)
      if (!*rest && !spacing[0] && !strcmp(kind, plain[i].name)) out.kind = plain[i].kind, ok = 1;
    if (!ok && !*rest && !strcmp(kind, "ddim")) {
      out.kind = SAMPLER_DDIM, ok = 1;
      if (spacing[0] && ddim_spacing_parse(&out.spacing, spacing)) return odp_fail_context("--sampler %s", text);
    }
  }
  if (!ok)
    return odp_fail("--sampler %s: expected ddpm:N, ddim:N, ddim:N:leading|trailing, edm:N, euler:N, cp:N "
                    "(N in 1..1000), onestep, onestep:2 or onestep:2:K (K in 1..%d)", text, DIFFUSION_MAX_TRAIN_STEPS - 1);
  *s = out;
  return ODP_OK;
}

int sampler_nfe(const SamplerSpec *s) { return s->kind == SAMPLER_EDM_HEUN ? 2 * s->steps - 1 : s->steps; }

const char *sampler_name(const SamplerSpec *s, char *buf, int size) {
  if (s->kind == SAMPLER_ONESTEP && s->steps == 1) snprintf(buf, size, "onestep");
  else if (s->kind == SAMPLER_ONESTEP) snprintf(buf, size, "onestep:2:%d", s->refine_level);
  else if (s->kind == SAMPLER_DDPM) snprintf(buf, size, "ddpm:%d", s->steps);
  else if (s->kind == SAMPLER_EDM_HEUN) snprintf(buf, size, "edm:%d", s->steps);
  else if (s->kind == SAMPLER_EDM_EULER) snprintf(buf, size, "euler:%d", s->steps);
  else if (s->kind == SAMPLER_CP) snprintf(buf, size, "cp:%d", s->steps);
  else snprintf(buf, size, "ddim:%d:%s", s->steps, ddim_spacing_name(s->spacing));
  return buf;
}
