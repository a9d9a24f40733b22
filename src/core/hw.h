// What this machine can do, measured: the floors benchmarks are judged against.
#pragma once

// Seconds on a monotonic clock.
double now_seconds(void);
// CPU seconds this process has used, all threads: on a shared machine, the time it
// actually ran (wall time also counts waiting for a core).
double cpu_seconds(void);

// Copy bandwidth in GB/s (bytes read + bytes written), memcpy of buffers far larger
// than the caches, best of a few repeats, using `threads` threads.
double measure_copy_bandwidth_gbs(int threads);

// Read-only bandwidth in GB/s: a sum over a buffer far larger than the caches (what
// streaming weights needs), best of a few repeats, using `threads` threads.
double measure_read_bandwidth_gbs(int threads);

// FP32 fused multiply-add peak in GFLOP/s (2 flops per FMA) over `threads` threads:
// independent FMA chains on the widest vectors the compiler targets.
double measure_peak_gflops(int threads);
// The vector width in bits those FMA chains use: 512 where the build targets AVX-512.
int fma_peak_bits(void);

// The same FMA peak per CPU-second of one core (thread CPU time, not wall time): on a
// shared machine, what the core does while this process runs on it.
double measure_core_peak_gflops_cpu(void);

// Peak resident set size of this process in MB (since the last reset_peak_rss).
double peak_rss_mb(void);
// Starts a new peak-RSS measurement from the current resident set (Linux: VmHWM reset
// through /proc/self/clear_refs). Returns 0, or -1 where the kernel does not allow it.
int reset_peak_rss(void);
