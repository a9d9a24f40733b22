// The default thread count survives a busy neighbour: the median latency of 200 act
// calls (shipped OneDP-S student, libonedp.so, default threads) with a CPU-bound child
// process spinning must stay within 1.5x of the quiet median. The premise is a machine
// with a core free for the neighbour: a try starts only when the other runnable processes
// (/proc/stat procs_running, less this one) leave one, waiting a minute for such a window
// before the first try, and the test reports itself skipped (exit 77) when none comes (on
// a machine with every core taken the ratio measures the other jobs). Quiet and busy runs
// alternate and the test passes when any of 5 tries meets the bound (each try's figures
// are printed). For contrast it also prints 2 threads under the same neighbour.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onedp.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Median seconds of n act calls.
static double median_act(onedp_policy *p, int n) {
  static double t[1000];
  float obs[64] = {0}, act[64];
  for (int j = 0; j < onedp_policy_obs_dim(p); j++) obs[j] = 200.0f + j;
  onedp_policy_reset(p, 1);
  onedp_policy_observe(p, obs);
  for (int i = 0; i < n; i++) {
    double t0 = now();
    if (onedp_policy_act(p, act)) exit(fprintf(stderr, "api_busy: %s\n", onedp_last_error()));
    t[i] = now() - t0;
  }
  qsort(t, n, sizeof *t, cmp);
  return t[n / 2];
}

// Mean runnable processes over 20 samples in 0.2 s (this one included).
static double runnable(void) {
  double sum = 0;
  for (int i = 0; i < 20; i++) {
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
      if (sscanf(line, "procs_running %d", &n) == 1) break;
    if (f) fclose(f);
    sum += n;
    usleep(10000);
  }
  return sum / 20;
}

// Waits (up to `seconds`) until a core is free for the neighbour besides this process.
static int wait_for_free_core(int seconds) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 0; i < 4 * seconds; i++) {
    double r = runnable();
    if (r <= cores - 1 + 0.25) return 1;
    if (i % 20 == 0) printf("waiting: %.1f runnable on %ld cores\n", r, cores);
    usleep(50000);
  }
  return 0;
}

static pid_t spin(void) {
  pid_t pid = fork();
  if (pid == 0) {
    volatile unsigned long x = 0;
    for (;;) x++;
  }
  usleep(20000);  // let it get scheduled
  return pid;
}

static void stop(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

int main(void) {
  onedp_policy *p;
  if (onedp_policy_open(&p, "models/pusht_onedp_s.safetensors", NULL, 0)) return fprintf(stderr, "%s\n", onedp_last_error()), 1;
  int ok = 0, tries = 0;
  for (int attempt = 0; attempt < 5 && !ok; attempt++) {
    if (!wait_for_free_core(attempt ? 30 : 60)) break;
    tries++;
    double quiet = median_act(p, 200);
    pid_t pid = spin();
    double busy = median_act(p, 200);
    stop(pid);
    double quiet2 = median_act(p, 200), q = quiet < quiet2 ? quiet : quiet2;
    ok = busy <= 1.5 * q;
    printf("try %d, %d thread: quiet %.3f ms, busy neighbour %.3f ms, ratio %.2f%s\n", attempt,
           onedp_policy_threads(p), 1e3 * q, 1e3 * busy, busy / q, ok ? " (<= 1.5: ok)" : "");
  }
  if (!tries) {
    puts("skipped: no core free for the neighbour (the machine is busy with other work)");
    onedp_policy_close(p);
    return 77;
  }
  onedp_policy_set_threads(p, 2);
  double quiet2t = median_act(p, 20);
  pid_t pid = spin();
  double busy2t = median_act(p, 20);
  stop(pid);
  printf("for contrast, 2 threads: quiet %.3f ms, busy neighbour %.3f ms, ratio %.2f\n", 1e3 * quiet2t, 1e3 * busy2t,
         busy2t / quiet2t);
  onedp_policy_close(p);
  puts(ok ? "ok" : "FAIL: the busy neighbour slowed the default thread count by more than 1.5x");
  return ok ? 0 : 1;
}
