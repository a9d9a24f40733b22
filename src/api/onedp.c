// The runtime API (include/onedp.h) over the packed inference policy (model/policy.h).
// Everything is allocated in open; observe and act only copy, check and run the network
// in the workspace policy_reserve sized for batch 1.
#include "onedp.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/obs_history.h"
#include "model/policy.h"

struct onedp_policy {
  Policy policy;        // packed f32 network, normalisers, encoder, batch-1 workspace
  SamplerSpec sampler;
  char sampler_name[32];
  int threads;          // OpenMP threads per act
  uint64_t seed;        // the run's seed (reset)
  long calls;           // acts since reset: call i draws with policy_call_seed(seed, i)
  ObsHistory hist;      // the latest n_obs_steps observations
};

// Sets the message and returns the code (the internal message, odp_error, is the API's).
static int fail(int code, const char *fmt, const char *arg) {
  odp_fail(fmt, arg);
  return code;
}

const char *onedp_version(void) { return ONEDP_VERSION; }

const char *onedp_last_error(void) { return odp_error(); }

static int check_threads(int threads) {
  if (threads < 0 || threads > 1024) {
    odp_fail("onedp: threads %d (expected 0 for the default, or 1..1024)", threads);
    return ONEDP_EINVAL;
  }
  return ONEDP_OK;
}

// The sampler text, or the checkpoint's default: onestep for students, the diffusion
// process's default for teachers (DDPM: ddpm:N over every timestep).
static int choose_sampler(onedp_policy *h, const char *text, const char *path) {
  const Policy *p = &h->policy;
  if (text) {
    if (sampler_parse(&h->sampler, text)) return ONEDP_EINVAL;
  } else if (p->generator_timestep >= 0) {
    h->sampler = (SamplerSpec){.kind = SAMPLER_ONESTEP, .steps = 1};
  } else {
    h->sampler = diffusion_default_sampler(&p->diffusion);
  }
  if (policy_check_sampler(p, &h->sampler)) return odp_fail_context("%s", path), ONEDP_EINVAL;
  sampler_name(&h->sampler, h->sampler_name, sizeof h->sampler_name);
  return ONEDP_OK;
}

// One network call on zero observations: sizes the batch-1 workspace and warms caches so
// the first act is as fast as the rest. A one-step call whatever the sampler (students), or
// the teacher's own sampler cut to one step: the same workspace, one network evaluation.
static int warm_up(onedp_policy *h) {
  Policy *p = &h->policy;
  SamplerSpec one = diffusion_default_sampler(&p->diffusion);
  if (p->generator_timestep >= 0) one.kind = SAMPLER_ONESTEP;
  one.steps = 1;
  float *act = odp_malloc((unsigned long)p->shape.n_action_steps * p->shape.action_dim * sizeof(float), "actions");
  int rc = act ? policy_predict(p, &one, h->hist.obs, 1, 0, act) : ODP_ERR;  // all zeros here
  free(act);
  return rc;
}

static int open_policy(onedp_policy *h, const char *path, const char *sampler) {
  if (policy_load_inference(&h->policy, path, WEIGHTS_F32)) return ONEDP_ELOAD;
  int rc = choose_sampler(h, sampler, path);
  if (rc) return rc;
  const PolicyShape *s = &h->policy.shape;
  if (obs_history_init(&h->hist, s->n_obs_steps, s->obs_dim)) return ONEDP_ERUN;
  int prev = omp_get_max_threads();
  omp_set_num_threads(h->threads);
  rc = policy_reserve(&h->policy, 1) || warm_up(h) ? ONEDP_ERUN : ONEDP_OK;
  omp_set_num_threads(prev);
  return rc;
}

int onedp_policy_open(onedp_policy **out, const char *checkpoint_path, const char *sampler, int threads) {
  if (!out) return fail(ONEDP_EINVAL, "onedp_policy_open: %s is NULL", "out");
  *out = NULL;
  if (!checkpoint_path) return fail(ONEDP_EINVAL, "onedp_policy_open: %s is NULL", "checkpoint_path");
  int rc = check_threads(threads);
  if (rc) return rc;
  onedp_policy *h = calloc(1, sizeof *h);
  if (!h) return fail(ONEDP_ERUN, "onedp_policy_open: out of memory for %s", "the handle");
  h->threads = threads ? threads : 1;
  rc = open_policy(h, checkpoint_path, sampler);
  if (rc) {
    onedp_policy_close(h);
    return rc;
  }
  *out = h;
  return ONEDP_OK;
}

void onedp_policy_close(onedp_policy *p) {
  if (!p) return;
  if (p->policy.infer) policy_free(&p->policy);
  obs_history_free(&p->hist);
  free(p);
}

int onedp_policy_obs_dim(const onedp_policy *p) { return p ? p->policy.shape.obs_dim : -1; }
int onedp_policy_action_dim(const onedp_policy *p) { return p ? p->policy.shape.action_dim : -1; }
int onedp_policy_n_obs_steps(const onedp_policy *p) { return p ? p->policy.shape.n_obs_steps : -1; }
int onedp_policy_n_action_steps(const onedp_policy *p) { return p ? p->policy.shape.n_action_steps : -1; }
int onedp_policy_threads(const onedp_policy *p) { return p ? p->threads : -1; }
const char *onedp_policy_sampler(const onedp_policy *p) { return p ? p->sampler_name : ""; }

int onedp_policy_set_threads(onedp_policy *p, int threads) {
  if (!p) return fail(ONEDP_EINVAL, "onedp_policy_set_threads: %s is NULL", "the policy");
  int rc = check_threads(threads);
  if (!rc) p->threads = threads ? threads : 1;
  return rc;
}

int onedp_policy_reset(onedp_policy *p, uint64_t seed) {
  if (!p) return fail(ONEDP_EINVAL, "onedp_policy_reset: %s is NULL", "the policy");
  p->seed = seed, p->calls = 0;
  obs_history_reset(&p->hist);
  return ONEDP_OK;
}

// The first observation after a reset fills the history (model/obs_history.h).
int onedp_policy_observe(onedp_policy *p, const float *obs) {
  if (!p) return fail(ONEDP_EINVAL, "onedp_policy_observe: %s is NULL", "the policy");
  if (!obs) return fail(ONEDP_EINVAL, "onedp_policy_observe: %s is NULL", "obs");
  const int D = p->policy.shape.obs_dim;
  for (int j = 0; j < D; j++)
    if (!isfinite(obs[j])) {
      odp_fail("onedp_policy_observe: obs[%d] is %s", j, isnan(obs[j]) ? "NaN" : "infinite");
      return ONEDP_EINPUT;
    }
  obs_history_push(&p->hist, obs);
  return ONEDP_OK;
}

// The network on this call's threads, for the calling thread only: its OpenMP setting
// (nthreads-var) is restored after the call.
int onedp_policy_act(onedp_policy *p, float *actions) {
  if (!p) return fail(ONEDP_EINVAL, "onedp_policy_act: %s is NULL", "the policy");
  if (!actions) return fail(ONEDP_EINVAL, "onedp_policy_act: %s is NULL", "actions");
  if (!p->hist.filled)
    return fail(ONEDP_ESTATE, "onedp_policy_act: no observation since %s (call onedp_policy_observe first)",
                "open or reset");
  int prev = omp_get_max_threads();
  if (prev != p->threads) omp_set_num_threads(p->threads);
  int rc = policy_predict(&p->policy, &p->sampler, p->hist.obs, 1, policy_call_seed(p->seed, p->calls), actions);
  if (prev != p->threads) omp_set_num_threads(prev);
  if (rc) return odp_fail_context("onedp_policy_act"), ONEDP_ERUN;
  p->calls++;
  return ONEDP_OK;
}
