// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (L2 norm):
// scale = max_norm / (norm + 1e-6), applied when it is below 1.
#pragma once

// Clips g[0..n) in place and returns the norm before clipping. The norm is summed in
// double over fixed-size chunks in a fixed order, so it does not depend on the thread
// count. A non-finite norm leaves g unchanged (torch would fill g with NaN); the caller
// sees the returned value and can skip the step.
double clip_grad_norm(float *g, long n, double max_norm);

// The L2 norm alone, computed the same way.
double grad_norm(const float *g, long n);
