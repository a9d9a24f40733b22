#include "model/obs_encoder.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/config.h"

const char *const obs_encoder_config_keys[] = {"encoder.kind",     "encoder.cameras",     "encoder.image_height",
                                               "encoder.image_width", "encoder.crop",     "encoder.width",
                                               "encoder.keypoints", "encoder.feature_dim", "encoder.group_size",
                                               NULL};

void obs_encoder_init_identity(ObsEncoder *e, int n_obs_steps, int obs_dim) {
  memset(e, 0, sizeof *e);
  e->kind = OBS_ENCODER_IDENTITY, e->n_obs_steps = n_obs_steps, e->lowdim_dim = obs_dim;
  e->frame_dim = obs_dim, e->out_dim = n_obs_steps * obs_dim;
}

// The camera names: encoder.cameras, default PushT's one camera "image".
static int read_cameras(const Config *c, ObsEncoder *e) {
  const char *names[OBS_MAX_CAMERAS] = {"image"};
  int n = 1;
  if (config_has(c, "encoder.cameras") && config_get_string_array(c, "encoder.cameras", names, OBS_MAX_CAMERAS, &n))
    return ODP_ERR;
  if (n < 1) return odp_fail("%s: field 'encoder.cameras': an image policy needs a camera", config_origin(c));
  for (int i = 0; i < n; i++) {
    const size_t len = strlen(names[i]);
    if (!len || len >= OBS_CAMERA_NAME || strspn(names[i], "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
      return odp_fail("%s: field 'encoder.cameras.%d': '%.60s' is not a camera name (1-%d of a-z, 0-9, _)",
                      config_origin(c), i, names[i], OBS_CAMERA_NAME - 1);
    for (int j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return odp_fail("%s: field 'encoder.cameras': '%s' twice", config_origin(c), names[i]);
    snprintf(e->camera[i], OBS_CAMERA_NAME, "%s", names[i]);
  }
  e->n_cameras = n;
  return ODP_OK;
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
    err = read_cameras(c, e) || read_image_config(c, &ic, &e->image_h, &e->image_w);
    for (int i = 0; !err && i < e->n_cameras; i++) {
      char prefix[96];
      snprintf(prefix, sizeof prefix, "obs_encoder.obs_nets.%s", e->camera[i]);
      err = image_encoder_init(&e->image[i], &ic, t, prefix);
    }
    e->kind = OBS_ENCODER_IMAGE;
    e->frame_dim = e->n_cameras * 3 * e->image_h * e->image_w + lowdim_dim;
    e->out_dim = n_obs_steps * (e->n_cameras * ic.feature_dim + lowdim_dim);
  } else if (!err && strcmp(kind, "identity")) {
    err = odp_fail("%s: field 'encoder.kind': '%s' is not identity or image", where, kind);
  }
  config_free(c);
  return err ? ODP_ERR : ODP_OK;
}

// Camera 0 draws from `seed` (a one-camera policy as before cameras were several), camera c
// from seed + c.
void obs_encoder_init_params(const ObsEncoder *e, const ParamTable *t, float *params, unsigned long long seed) {
  for (int c = 0; e->kind == OBS_ENCODER_IMAGE && c < e->n_cameras; c++)
    image_encoder_init_params(&e->image[c], t, params, seed + (unsigned long long)c);
}

ObsEncoderActs *obs_encoder_acts_create(const ObsEncoder *e, const ImageEncoderInfer *infer, int B) {
  ObsEncoderActs *a = odp_calloc(1, sizeof *a, "observation encoder workspace");
  if (!a) return NULL;
  a->B = B;
  a->lowdim = odp_malloc((size_t)B * e->n_obs_steps * e->lowdim_dim * sizeof(float), "observation encoder workspace");
  const size_t features = (size_t)B * e->n_obs_steps * e->image[0].cfg.feature_dim * sizeof(float);
  int err = !a->lowdim;
  if (!err && e->kind == OBS_ENCODER_IMAGE && infer) {  // the cameras' encoders share one shape
    a->infer = image_encoder_infer_acts_create(&infer[0], omp_get_max_threads());
    a->features = odp_malloc(e->n_cameras * features, "observation encoder workspace");
    err = !a->infer || !a->features;
  } else if (!err && e->kind == OBS_ENCODER_IMAGE) {
    for (int c = 0; c < e->n_cameras; c++) err |= !(a->image[c] = image_encoder_acts_create(&e->image[c], B * e->n_obs_steps));
    a->dfeatures = odp_malloc(features, "observation encoder workspace");
    err |= !a->dfeatures;
  }
  if (err) {
    obs_encoder_acts_free(a);
    return NULL;
  }
  return a;
}

void obs_encoder_acts_free(ObsEncoderActs *a) {
  if (!a) return;
  for (int c = 0; c < OBS_MAX_CAMERAS; c++) image_encoder_acts_free(a->image[c]);
  image_encoder_infer_acts_free(a->infer);
  free(a->lowdim), free(a->dfeatures), free(a->features);
  free(a);
}

// Per frame, the conditioning's width: C F + L.
static int frame_cond(const ObsEncoder *e) { return e->n_cameras * e->image[0].cfg.feature_dim + e->lowdim_dim; }

// Camera c's share of the conditioning rows: its encoded features (B * To, F).
static void put_features(const ObsEncoder *e, int B, int c, const float *features, float *cond) {
  const int To = e->n_obs_steps, F = e->image[0].cfg.feature_dim, W = frame_cond(e);
  for (long i = 0; i < (long)B * To; i++)  // item i = b * To + t sits at row b, frame t
    memcpy(cond + (i / To) * e->out_dim + (i % To) * W + c * F, features + i * F, (size_t)F * sizeof(float));
}

// The normalised low-dim history's share, after the cameras'.
static void put_lowdim(const ObsEncoder *e, const ObsEncoderActs *a, float *cond) {
  const int To = e->n_obs_steps, L = e->lowdim_dim, W = frame_cond(e);
  for (long i = 0; i < (long)a->B * To; i++)
    memcpy(cond + (i / To) * e->out_dim + (i % To) * W + (W - L), a->lowdim + i * L, (size_t)L * sizeof(float));
}

void obs_encoder_forward_train(const ObsEncoder *e, const float *params, ObsEncoderActs *a, float *cond) {
  if (e->kind == OBS_ENCODER_IDENTITY) {
    memcpy(cond, a->lowdim, (size_t)a->B * e->out_dim * sizeof(float));
    return;
  }
  for (int c = 0; c < e->n_cameras; c++)
    put_features(e, a->B, c, image_encoder_forward(&e->image[c], params, a->image[c]), cond);
  put_lowdim(e, a, cond);
}

void obs_encoder_backward(const ObsEncoder *e, const float *params, float *grads, ObsEncoderActs *a,
                          const float *dcond) {
  if (e->kind == OBS_ENCODER_IDENTITY) return;
  const int To = e->n_obs_steps, F = e->image[0].cfg.feature_dim, W = frame_cond(e);
  for (int c = 0; c < e->n_cameras; c++) {
    for (long i = 0; i < (long)a->B * To; i++)
      memcpy(a->dfeatures + i * F, dcond + (i / To) * e->out_dim + (i % To) * W + c * F, (size_t)F * sizeof(float));
    image_encoder_backward(&e->image[c], params, grads, a->image[c], a->dfeatures);
  }
}

void obs_encoder_load_crops(const ObsEncoder *e, ObsEncoderActs *a, int camera, const unsigned char *const *frames,
                            const int *top, const int *left) {
  image_encoder_load_crops(&e->image[camera], a->image[camera], frames, e->image_w, top, left);
}

int obs_encoder_forward(const ObsEncoder *e, const float *params, const ImageEncoderInfer *infer,
                        const Normalizer *norm, ObsEncoderActs *a, float *cond, const float *obs) {
  const int To = e->n_obs_steps, L = e->lowdim_dim, D = e->frame_dim, img = D - L, n = a->B * To;
  for (long i = 0; i < n; i++) normalizer_apply(norm, a->lowdim + i * L, obs + i * D + img, 1);
  if (e->kind == OBS_ENCODER_IDENTITY) {
    memcpy(cond, a->lowdim, (size_t)a->B * e->out_dim * sizeof(float));
    return ODP_OK;
  }
  const int H = e->image_h, W = e->image_w;
  const long hw3 = 3L * H * W;  // one camera's share of a frame
  if (infer && !a->infer) return odp_fail("image policy: workspace made for the training layers, not the packed encoder");
  if (!infer && (!params || !a->image[0]))
    return odp_fail("image policy: the encoder needs the parameter buffer (a training-network policy)");
  for (int cam = 0; cam < e->n_cameras; cam++) {
    const float *frames = obs + cam * hw3;
    if (infer) {
      float *features = a->features + (long)cam * n * e->image[0].cfg.feature_dim;
      image_encoder_infer_forward(&infer[cam], a->infer, features, n, frames, D, H, W);
      put_features(e, a->B, cam, features, cond);
      continue;
    }
    ImageEncoderActs *acts = a->image[cam];
    const int S = e->image[cam].cfg.image_size, top = (H - S) / 2, left = (W - S) / 2;
    for (int i = 0; i < n; i++)  // the centre crop, [0, 1] -> [-1, 1]
      for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
          for (int x = 0; x < S; x++)
            acts->images[(((long)c * S + y) * S + x) * n + i] =
                frames[(long)i * D + ((long)c * H + top + y) * W + left + x] * 2.0f - 1.0f;
    put_features(e, a->B, cam, image_encoder_forward(&e->image[cam], params, acts), cond);
  }
  put_lowdim(e, a, cond);
  return ODP_OK;
}
