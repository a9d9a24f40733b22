// Scratch a sampler needs per call, provided by the caller so that a policy's inference
// allocates nothing after its first call (src/model/policy.c keeps one per batch size).
#pragma once

typedef struct {
  float *eps;  // (B, per) predicted noise
  float *z;    // (B, per) DDPM variance noise (unused by DDIM)
  float *tb;   // (B) the step's noise level per batch item, as DenoiseFn takes it
} DiffusionWork;
