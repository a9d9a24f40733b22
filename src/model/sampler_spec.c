#include <stdio.h>

#include "core/error.h"
#include "model/policy.h"

// onestep is the policy's own (a student's generator); every other sampler is its
// diffusion process's (diffusion/diffusion.h).
int policy_check_sampler(const Policy *p, const SamplerSpec *s) {
  const int consistency = unet_time_inputs(&p->unet.cfg) > 1;  // a consistency student: cp:N only
  char name[64];
  if (consistency != (s->kind == SAMPLER_CP))
    return odp_fail(consistency ? "--sampler %s: a consistency student runs cp:N only"
                                : "--sampler %s: needs a consistency student (onedp distill --variant cp); this is "
                                  "not one",
                    sampler_name(s, name, sizeof name));
  if (consistency) return ODP_OK;
  if (s->kind == SAMPLER_ONESTEP && p->generator_timestep < 0) {
    SamplerSpec own = diffusion_default_sampler(&p->diffusion);
    return odp_fail("--sampler onestep needs a one-step student; this is a diffusion policy (e.g. --sampler %s)",
                    sampler_name(&own, name, sizeof name));
  }
  if (s->kind == SAMPLER_ONESTEP && s->steps == 2 && s->refine_level >= p->shape.num_train_timesteps)
    return odp_fail("--sampler onestep:2:%d: the level is beyond the policy's %d timesteps", s->refine_level,
                    p->shape.num_train_timesteps);
  if (s->kind == SAMPLER_ONESTEP && s->steps == 2 && p->infer && p->generator_timestep >= 0 && !p->refiner)
    return odp_fail("--sampler onestep:2:%d: a student's packed network is built for its timestep %d only; "
                    "run the two-step sampler on the training network (no --weights) or refine with its teacher (--refiner)", s->refine_level,
                    p->generator_timestep);
  if (s->kind == SAMPLER_ONESTEP) return ODP_OK;
  return diffusion_check_sampler(&p->diffusion, s);
}
