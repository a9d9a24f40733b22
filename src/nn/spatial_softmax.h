// Spatial softmax's keypoint read-out (robomimic's SpatialSoftmax after its 1x1 conv):
// for each keypoint map k of a (K, H, W, B) image, p = softmax over the H*W positions of
// map / temperature, and the keypoint is the expected position under p on the grids
// x = linspace(-1, 1, W) (columns), y = linspace(-1, 1, H) (rows).
// Output rows are batch items: (B, 2K) as [x_0, y_0, x_1, y_1, ...]. One channels-last
// image's maps (H, W, K) are this layout with K = 1 and B = K (the keypoints as batch items).
#pragma once

// out (B, 2K); prob (K, H*W, B) keeps the softmax for the backward pass.
void spatial_softmax_forward(float *out, float *prob, const float *maps, int K, int h, int w, int B,
                             float temperature);
// Accumulates dmaps (K, H, W, B) from dout (B, 2K); out and prob are the forward pass's.
void spatial_softmax_backward(float *dmaps, const float *dout, const float *out, const float *prob, int K, int h, int w,
                              int B, float temperature);
