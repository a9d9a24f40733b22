// Data-parallel training's arithmetic (src/dist/dist.h), checked in the plain build: the
// ranks' shares of a batch partition it, and the denoising loss and gradient summed over
// shares (each share drawing its timesteps and noise at its rows' places in the batch) are
// the whole batch's, to float rounding, for DDPM and EDM. `mpirun -np 2` then only adds the
// sum over ranks (tests/mpi.sh checks that end to end).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/toy.h"
#include "diffusion/diffusion.h"
#include "dist/dist.h"
#include "model/denoise_loss.h"
#include "test.h"
#include "toy_unet.h"

#define B 13
#define T 8
#define N (T * 2)

static void check_shards(void) {
  for (int size = 1; size <= 9; size++)
    for (long n = 0; n <= 20; n++) {
      long next = 0;
      for (int r = 0; r < size; r++) {
        long lo, hi;
        dist_shard_of(n, r, size, &lo, &hi);
        CHECK(lo == next && hi >= lo && hi - lo <= n / size + 1 && hi - lo >= n / size,
              "n %ld size %d rank %d: [%ld, %ld) after %ld", n, size, r, lo, hi, next);
        next = hi;
      }
      CHECK(next == n, "n %ld size %d: shards end at %ld", n, size, next);
    }
}

// The whole batch's loss and gradient against the sums over `shares` contiguous shares.
static void check_shares(const char *process, int levels, int shares) {
  UnetConfig cfg = toy_unet_config();
  Unet u;
  CHECK(unet_init(&u, &cfg) == 0, "%s", odp_error());
  Diffusion df;
  CHECK(diffusion_init(&df, process, levels, NULL) == 0, "%s", odp_error());
  const long np = u.table.numel;
  float *params = calloc(np, 4), *whole = calloc(np, 4), *summed = calloc(np, 4);
  unet_init_params(&u, params, 3);
  const ToyRing ring = {.modes = 4, .phases = 2, .radius = 0.7f, .noise = 0.02f, .horizon = T};
  float obs[B * 2], act[B * N], work[3 * B * N];
  toy_ring_batch(&ring, 5, 0, B, obs, act, NULL);
  UnetActs *a = unet_acts_create(&u, B, T);
  double loss = denoise_loss_step(&u, params, whole, NULL, a, &df, act, obs, 11, 7, (BatchShare){0, B}, work);
  unet_acts_free(a);
  double loss_sum = 0;
  for (int r = 0; r < shares; r++) {
    long lo, hi;
    dist_shard_of(B, r, shares, &lo, &hi);
    if (hi == lo) continue;
    a = unet_acts_create(&u, (int)(hi - lo), T);
    loss_sum += denoise_loss_step(&u, params, summed, NULL, a, &df, act + lo * N, obs + lo * 2, 11, 7,
                                  (BatchShare){lo, B}, work);
    unet_acts_free(a);
  }
  double worst = 0, scale = 0;
  for (long i = 0; i < np; i++) {
    worst = fmax(worst, fabs((double)whole[i] - summed[i]));
    scale = fmax(scale, fabs((double)whole[i]));
  }
  printf("%s, %d shares: loss %.9f vs %.9f, gradient max |diff| %.3g (max |g| %.3g)\n", process, shares, loss,
         loss_sum, worst, scale);
  CHECK(fabs(loss - loss_sum) <= 1e-6 * fabs(loss), "%s %d shares: loss %.9g vs summed %.9g", process, shares, loss,
        loss_sum);
  CHECK(worst <= 1e-5 * scale, "%s %d shares: gradients differ by %.3g (scale %.3g)", process, shares, worst, scale);
  if (shares == 1)  // one share is the whole batch, computed the same way: bit for bit
    CHECK(loss == loss_sum && !memcmp(whole, summed, (size_t)np * 4), "%s: one share is not the batch", process);
  free(params), free(whole), free(summed);
  unet_free(&u);
}

int main(void) {
  check_shards();
  for (int shares = 1; shares <= 4; shares++) check_shares("ddpm", 100, shares);
  check_shares("edm", 1000, 3);
  TEST_MAIN_END();
}
