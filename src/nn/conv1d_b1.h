// Conv1d at batch 1 (the robot's path): out (Cout, T) for T <= 16, stride 1.
// OpenBLAS runs these 16-column GEMMs far below the memory floor; here each weight is
// read once and meets a whole time row held in one vector register, so the layer runs
// at the speed weights stream from memory. Same result as conv1d_forward up to float
// rounding order.
#pragma once
#include "nn/conv1d.h"

// True when conv1d_b1_forward handles this shape.
int conv1d_b1_supported(Conv1dShape s, int T, int B);

void conv1d_b1_forward(float *out, const float *in, const float *w, const float *bias, Conv1dShape s, int T);
