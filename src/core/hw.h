// What this machine can do, measured: the floors benchmarks are judged against.
#pragma once

// Seconds on a monotonic clock.
double now_seconds(void);

// Copy bandwidth in GB/s (bytes read + bytes written), memcpy of buffers far larger
// than the caches, best of a few repeats, using `threads` threads.
double measure_copy_bandwidth_gbs(int threads);

// FP32 fused multiply-add peak in GFLOP/s (2 flops per FMA) over `threads` threads:
// independent FMA chains on the widest vectors the compiler targets.
double measure_peak_gflops(int threads);

// Peak resident set size of this process in MB.
double peak_rss_mb(void);
