#include "model/obs_encoder.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/config.h"

#define IMAGE_PREFIX "obs_encoder.obs_nets.image"

const char *const obs_encoder_config_keys[] = {"encoder.kind",        "encoder.image_height", "encoder.image_width",
                                               "encoder.crop",        "encoder.width",        "encoder.keypoints",
                                               "encoder.feature_dim", "encoder.group_size",   NULL};

void obs_encoder_init_identity(ObsEncoder *e, int n_obs_steps, int obs_dim) {
  memset(e, 0, sizeof *e);
  e->kind = OBS_ENCODER_IDENTITY, e->n_obs_steps = n_obs_steps, e->lowdim_dim = obs_dim;
  e->frame_dim = obs_dim, e->out_dim = n_obs_steps * obs_dim;
}

static int read_image_config(const Config *c, ImageEncoderConfig *ic, int *h, int *w) {
  *ic = image_encoder_config_default(84);
  *h = *w = 96;
  struct {
    const char *key;
    int *out, min, max;
  } fields[] = {{"encoder.image_height", h, 8, 4096},          {"encoder.image_width", w, 8, 4096},
                {"encoder.crop", &ic->image_size, 32, 1024},   {"encoder.width", &ic->width, 1, 1024},
                {"encoder.keypoints", &ic->keypoints, 1, 1024}, {"encoder.feature_dim", &ic->feature_dim, 1, 4096},
                {"encoder.group_size", &ic->group_size, 1, 1024}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (config_has(c, fields[i].key) && config_get_int(c, fields[i].key, fields[i].out, fields[i].min, fields[i].max))
      return ODP_ERR;
  if (ic->image_size > *h || ic->image_size > *w)
    return odp_fail("%s: field 'encoder.crop': %d is larger than the %d x %d image", config_origin(c), ic->image_size,
                    *h, *w);
  if (image_encoder_config_validate(ic)) return odp_fail_context("%s", config_origin(c));
  return ODP_OK;
}

int obs_encoder_init(ObsEncoder *e, const char *config_json, const char *where, int n_obs_steps, int lowdim_dim,
                     ParamTable *t) {
  obs_encoder_init_identity(e, n_obs_steps, lowdim_dim);
  Config *c = config_parse(config_json, where);
  if (!c) return ODP_ERR;
  const char *kind = "identity";
  int err = config_has(c, "encoder.kind") && config_get_string(c, "encoder.kind", &kind);
  if (!err && !strcmp(kind, "image")) {
    ImageEncoderConfig ic;
    err = read_image_config(c, &ic, &e->image_h, &e->image_w) || image_encoder_init(&e->image, &ic, t, IMAGE_PREFIX);
    e->kind = OBS_ENCODER_IMAGE;
    e->frame_dim = 3 * e->image_h * e->image_w + lowdim_dim;
    e->out_dim = n_obs_steps * (ic.feature_dim + lowdim_dim);
  } else if (!err && strcmp(kind, "identity")) {
    err = odp_fail("%s: field 'encoder.kind': '%s' is not identity or image", where, kind);
  }
  config_free(c);
  return err ? ODP_ERR : ODP_OK;
}

void obs_encoder_init_params(const ObsEncoder *e, const ParamTable *t, float *params, unsigned long long seed) {
  if (e->kind == OBS_ENCODER_IMAGE) image_encoder_init_params(&e->image, t, params, seed);
}

ObsEncoderActs *obs_encoder_acts_create(const ObsEncoder *e, const ImageEncoderInfer *infer, int B) {
  ObsEncoderActs *a = odp_calloc(1, sizeof *a, "observation encoder workspace");
  if (!a) return NULL;
  a->B = B;
  a->lowdim = odp_malloc((size_t)B * e->n_obs_steps * e->lowdim_dim * sizeof(float), "observation encoder workspace");
  const size_t features = (size_t)B * e->n_obs_steps * e->image.cfg.feature_dim * sizeof(float);
  int err = !a->lowdim;
  if (!err && e->kind == OBS_ENCODER_IMAGE && infer) {
    a->infer = image_encoder_infer_acts_create(infer, omp_get_max_threads());
    a->features = odp_malloc(features, "observation encoder workspace");
    err = !a->infer || !a->features;
  } else if (!err && e->kind == OBS_ENCODER_IMAGE) {
    a->image = image_encoder_acts_create(&e->image, B * e->n_obs_steps);
    a->dfeatures = odp_malloc(features, "observation encoder workspace");
    err = !a->image || !a->dfeatures;
  }
  if (err) {
    obs_encoder_acts_free(a);
    return NULL;
  }
  return a;
}

void obs_encoder_acts_free(ObsEncoderActs *a) {
  if (!a) return;
  image_encoder_acts_free(a->image);
  image_encoder_infer_acts_free(a->infer);
  free(a->lowdim), free(a->dfeatures), free(a->features);
  free(a);
}

// The conditioning rows from the encoded images' features (B * To, F) and the normalised
// low-dim history.
static void assemble(const ObsEncoder *e, const ObsEncoderActs *a, const float *features, float *cond) {
  const int To = e->n_obs_steps, L = e->lowdim_dim, F = e->image.cfg.feature_dim;
  for (int b = 0; b < a->B; b++)
    for (int t = 0; t < To; t++) {
      float *dst = cond + (long)b * e->out_dim + (long)t * (F + L);
      memcpy(dst, features + ((long)b * To + t) * F, (size_t)F * sizeof(float));
      memcpy(dst + F, a->lowdim + ((long)b * To + t) * L, (size_t)L * sizeof(float));
    }
}

void obs_encoder_forward_train(const ObsEncoder *e, const float *params, ObsEncoderActs *a, float *cond) {
  if (e->kind == OBS_ENCODER_IDENTITY) {
    memcpy(cond, a->lowdim, (size_t)a->B * e->out_dim * sizeof(float));
    return;
  }
  assemble(e, a, image_encoder_forward(&e->image, params, a->image), cond);
}

void obs_encoder_backward(const ObsEncoder *e, const float *params, float *grads, ObsEncoderActs *a,
                          const float *dcond) {
  if (e->kind == OBS_ENCODER_IDENTITY) return;
  const int To = e->n_obs_steps, L = e->lowdim_dim, F = e->image.cfg.feature_dim;
  for (int b = 0; b < a->B; b++)
    for (int t = 0; t < To; t++)
      memcpy(a->dfeatures + ((long)b * To + t) * F, dcond + (long)b * e->out_dim + (long)t * (F + L),
             (size_t)F * sizeof(float));
  image_encoder_backward(&e->image, params, grads, a->image, a->dfeatures);
}

void obs_encoder_load_crops(const ObsEncoder *e, ObsEncoderActs *a, const unsigned char *const *frames,
                            const int *top, const int *left) {
  image_encoder_load_crops(&e->image, a->image, frames, e->image_w, top, left);
}

int obs_encoder_forward(const ObsEncoder *e, const float *params, const ImageEncoderInfer *infer,
                        const Normalizer *norm, ObsEncoderActs *a, float *cond, const float *obs) {
  const int To = e->n_obs_steps, L = e->lowdim_dim, D = e->frame_dim, img = D - L, n = a->B * To;
  for (long i = 0; i < n; i++) normalizer_apply(norm, a->lowdim + i * L, obs + i * D + img, 1);
  if (e->kind == OBS_ENCODER_IDENTITY) {
    memcpy(cond, a->lowdim, (size_t)a->B * e->out_dim * sizeof(float));
    return ODP_OK;
  }
  if (infer) {
    if (!a->infer) return odp_fail("image policy: workspace made for the training layers, not the packed encoder");
    image_encoder_infer_forward(infer, a->infer, a->features, n, obs, D, e->image_h, e->image_w);
    assemble(e, a, a->features, cond);
    return ODP_OK;
  }
  if (!params || !a->image) return odp_fail("image policy: the encoder needs the parameter buffer (a training-network policy)");
  const int S = e->image.cfg.image_size, top = (e->image_h - S) / 2, left = (e->image_w - S) / 2;
  const int H = e->image_h, W = e->image_w;
  for (int i = 0; i < n; i++)  // the centre crop, [0, 1] -> [-1, 1]
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
          a->image->images[(((long)c * S + y) * S + x) * n + i] =
              obs[(long)i * D + ((long)c * H + top + y) * W + left + x] * 2.0f - 1.0f;
  assemble(e, a, image_encoder_forward(&e->image, params, a->image), cond);
  return ODP_OK;
}
