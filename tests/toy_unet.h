// The small ConditionalUnet1D the toy-ring tests train, distill and shard
// (tests/test_toy_train.c, tests/test_onedp_toy.c, tests/test_dist_share.c): 2-d actions
// conditioned on the ring's phase as (cos, sin) (src/data/toy.h).
#pragma once
#include "model/unet1d.h"

static inline UnetConfig toy_unet_config(void) {
  return (UnetConfig){.input_dim = 2, .global_cond_dim = 2, .step_embed_dim = 32, .n_levels = 2,
                      .down_dims = {32, 64}, .kernel_size = 5, .n_groups = 8, .cond_predict_scale = 1};
}
