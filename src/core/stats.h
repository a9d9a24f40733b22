// Small statistics shared by benchmarks, timing and replay reports.
#pragma once

// The median of x[0..n) (n >= 1), sorting x in place; the mean of the middle two for even n.
double median_inplace(double *x, long n);
