// The default thread count survives a busy neighbour: the median latency of 200 act
// calls (shipped OneDP-S student, libonedp.so, default threads) with a CPU-bound child
// process spinning must stay within 1.5x of the quiet median. A shared machine is noisy,
// so quiet and busy runs alternate and the test passes when any of 5 tries meets the
// bound (each try's figures are printed). For contrast it also prints 2 threads under the
// same neighbour (few calls: that is the case the default avoids).
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
  int ok = 0;
  for (int attempt = 0; attempt < 5 && !ok; attempt++) {
    double quiet = median_act(p, 200);
    pid_t pid = spin();
    double busy = median_act(p, 200);
    stop(pid);
    double quiet2 = median_act(p, 200), q = quiet < quiet2 ? quiet : quiet2;
    ok = busy <= 1.5 * q;
    printf("try %d, %d thread: quiet %.3f ms, busy neighbour %.3f ms, ratio %.2f%s\n", attempt,
           onedp_policy_threads(p), 1e3 * q, 1e3 * busy, busy / q, ok ? " (<= 1.5: ok)" : "");
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
