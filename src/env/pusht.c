// PushT physics: the reference's pymunk PushTEnv re-expressed as direct Chipmunk2D
// calls in the same order, so that the same engine produces the same floats.
#include "env/pusht.h"

#include <chipmunk/chipmunk.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"
#include "env/np_random.h"
#include "env/pusht_impl.h"


static const double dt = 1.0 / 100;  // physics at 100 Hz
static const int substeps = 10;      // control at 10 Hz
static const double k_p = 100, k_v = 20;

// Debian's libchipmunk is a debug build whose first cpSpaceNew prints a banner on
// stdout; swallow it once so the program's stdout carries only its own output.
static pthread_once_t banner_once = PTHREAD_ONCE_INIT;
static void swallow_banner(void) {
  fflush(stdout);
  int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
  if (saved >= 0 && null >= 0) dup2(null, STDOUT_FILENO);
  cpSpaceFree(cpSpaceNew());
  fflush(stdout);
  if (saved >= 0 && null >= 0) dup2(saved, STDOUT_FILENO);
  if (saved >= 0) close(saved);
  if (null >= 0) close(null);
}

static void count_contacts(cpArbiter *arb, cpSpace *space, cpDataPointer data) {
  (void)space;
  ((PushT *)data)->contact_points += cpArbiterGetCount(arb);
}

// Frees the physics world only; the render canvas lives as long as the env.
static void free_world(PushT *e) {
  if (e->space) cpSpaceFree(e->space);  // frees arbiters and indices, not bodies or shapes
  cpShape *shapes[] = {e->walls[0], e->walls[1], e->walls[2], e->walls[3], e->agent_shape, e->bar, e->stem};
  for (unsigned i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (shapes[i]) cpShapeFree(shapes[i]);
  cpBody *bodies[] = {e->walls_body, e->agent, e->block};
  for (unsigned i = 0; i < 3; i++)
    if (bodies[i]) cpBodyFree(bodies[i]);
  uint8_t *canvas = e->canvas;
  *e = (PushT){0};
  e->canvas = canvas;
}

static void add_walls(PushT *e) {
  static const double ends[4][4] = {{5, 506, 5, 5}, {5, 5, 506, 5}, {506, 5, 506, 506}, {5, 506, 506, 506}};
  // pymunk's Space.static_body is a separate static body added to the space.
  e->walls_body = cpSpaceAddBody(e->space, cpBodyNewStatic());
  for (int i = 0; i < 4; i++)
    e->walls[i] = cpSegmentShapeNew(e->walls_body, cpv(ends[i][0], ends[i][1]), cpv(ends[i][2], ends[i][3]), 2);
  for (int i = 0; i < 4; i++) cpSpaceAddShape(e->space, e->walls[i]);
}

static void add_agent(PushT *e) {
  e->agent = cpBodyNewKinematic();
  cpBodySetPosition(e->agent, cpv(256, 400));
  e->agent_shape = cpCircleShapeNew(e->agent, 15, cpvzero);
  cpSpaceAddBody(e->space, e->agent);
  cpSpaceAddShape(e->space, e->agent_shape);
}

// The reference's add_tee: bar (-60,0)..(60,30), stem (-15,30)..(15,120). Its moment
// counts the bar twice (3000, not the true 2925); its centre of gravity is the mean
// of the two pieces' centroids, (0, 45).
static void add_tee(PushT *e) {
  const cpVect bar[4] = {{-60, 30}, {60, 30}, {60, 0}, {-60, 0}};
  const cpVect stem[4] = {{-15, 30}, {-15, 120}, {15, 120}, {15, 30}};
  double moment_bar = cpMomentForPoly(1, 4, bar, cpvzero, 0);
  e->block = cpBodyNew(1, moment_bar + moment_bar);
  e->bar = cpPolyShapeNew(e->block, 4, bar, cpTransformIdentity, 0);
  e->stem = cpPolyShapeNew(e->block, 4, stem, cpTransformIdentity, 0);
  cpVect c1 = cpShapeGetCenterOfGravity(e->bar), c2 = cpShapeGetCenterOfGravity(e->stem);
  cpBodySetCenterOfGravity(e->block, cpv((c1.x + c2.x) / 2, (c1.y + c2.y) / 2));
  cpBodySetPosition(e->block, cpv(256, 300));
  cpBodySetAngle(e->block, 0);
  cpSpaceAddBody(e->space, e->block);
  cpSpaceAddShape(e->space, e->bar);
  cpSpaceAddShape(e->space, e->stem);
}

// A fresh space per reset, as the reference's _setup: cached arbiters, shape ids and
// the spatial index all start over, so every episode is reproducible on its own.
static int build_world(PushT *e) {
  pthread_once(&banner_once, swallow_banner);
  free_world(e);
  e->space = cpSpaceNew();
  if (!e->space) return odp_fail("pusht: cpSpaceNew failed");
  cpSpaceSetGravity(e->space, cpvzero);
  cpSpaceSetDamping(e->space, 0);
  add_walls(e);
  add_agent(e);
  add_tee(e);
  cpCollisionHandler *h = cpSpaceAddCollisionHandler(e->space, 0, 0);
  h->postSolveFunc = count_contacts;
  h->userData = e;
  return ODP_OK;
}

PushT *pusht_create(void) {
  PushT *e = odp_calloc(1, sizeof *e, "pusht env");
  if (!e) return NULL;
  e->canvas = odp_malloc(3 * PUSHT_CANVAS * PUSHT_CANVAS, "pusht canvas");
  if (!e->canvas || pusht_reset(e, 0)) {
    pusht_destroy(e);
    return NULL;
  }
  return e;
}

void pusht_destroy(PushT *e) {
  if (!e) return;
  free_world(e);
  free(e->canvas);
  free(e);
}

void pusht_seed_state(uint32_t seed, double s[PUSHT_STATE_DIM]) {
  NpRandom r;
  np_random_seed(&r, seed);
  s[0] = (double)np_random_randint(&r, 50, 450);
  s[1] = (double)np_random_randint(&r, 50, 450);
  s[2] = (double)np_random_randint(&r, 100, 400);
  s[3] = (double)np_random_randint(&r, 100, 400);
  s[4] = np_random_gauss(&r) * 2 * M_PI - M_PI;  // evaluated left to right, as numpy
}

int pusht_reset_to_state(PushT *e, const double s[PUSHT_STATE_DIM]) {
  for (int i = 0; i < PUSHT_STATE_DIM; i++)
    if (!isfinite(s[i]) || fabs(s[i]) > 1e6) return odp_fail("pusht: reset state[%d] = %g is not a finite pose", i, s[i]);
  if (build_world(e)) return ODP_ERR;
  cpBodySetPosition(e->agent, cpv(s[0], s[1]));
  cpBodySetPosition(e->block, cpv(s[2], s[3]));  // legacy order: position, then angle
  cpBodySetAngle(e->block, s[4]);
  cpSpaceStep(e->space, dt);  // the reference's settling step
  e->contact_points = 0;
  e->n_contacts = 0;
  e->steps = 0;
  return ODP_OK;
}

int pusht_reset(PushT *e, uint32_t seed) {
  double s[PUSHT_STATE_DIM];
  pusht_seed_state(seed, s);
  return pusht_reset_to_state(e, s);
}

int pusht_step(PushT *e, const double action[PUSHT_ACTION_DIM], EnvStep *out) {
  if (!isfinite(action[0]) || !isfinite(action[1]) || fabs(action[0]) > 1e6 || fabs(action[1]) > 1e6)
    return odp_fail("pusht: action (%g, %g) is not a finite target", action[0], action[1]);
  e->contact_points = 0;
  for (int i = 0; i < substeps; i++) {
    cpVect p = cpBodyGetPosition(e->agent), v = cpBodyGetVelocity(e->agent);
    double ax = k_p * (action[0] - p.x) + k_v * (0 - v.x);
    double ay = k_p * (action[1] - p.y) + k_v * (0 - v.y);
    cpBodySetVelocity(e->agent, cpv(v.x + ax * dt, v.y + ay * dt));
    cpSpaceStep(e->space, dt);
  }
  e->n_contacts = (e->contact_points + substeps - 1) / substeps;
  e->steps++;
  if (out) pusht_evaluate(e, out);
  return ODP_OK;
}

static double clamp(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static int agent_touches_block(const PushT *e) {
  cpContactPointSet bar = cpShapesCollide(e->agent_shape, e->bar), stem = cpShapesCollide(e->agent_shape, e->stem);
  return bar.count > 0 || stem.count > 0;
}

int pusht_perturb(PushT *e, const double u[3]) {
  const cpVect a = cpBodyGetPosition(e->agent), b = cpBodyGetPosition(e->block);
  const double angle = cpBodyGetAngle(e->block), away = atan2(b.y - a.y, b.x - a.x) + (u[1] - 0.5) * M_PI / 2;
  const double turn = (u[2] - 0.5) * M_PI / 3;
  for (int attempt = 0; attempt < 5; attempt++) {
    const double r = 20 + 30 * u[0] + 20 * attempt;
    cpBodySetPosition(e->block, cpv(clamp(b.x + r * cos(away), 100, 412), clamp(b.y + r * sin(away), 100, 412)));
    cpBodySetAngle(e->block, angle + turn);
    cpSpaceReindexShapesForBody(e->space, e->block);
    if (!agent_touches_block(e)) {
      cpBodySetVelocity(e->block, cpvzero);
      cpBodySetAngularVelocity(e->block, 0);
      return 0;
    }
  }
  cpBodySetPosition(e->block, b);
  cpBodySetAngle(e->block, angle);
  cpSpaceReindexShapesForBody(e->space, e->block);
  return 1;
}

void pusht_evaluate(const PushT *e, EnvStep *out) {
  cpVect p = cpBodyGetPosition(e->block);
  double c = pusht_coverage(p.x, p.y, cpBodyGetAngle(e->block));
  double r = c / PUSHT_SUCCESS;
  out->coverage = c;
  out->reward = r < 0 ? 0 : r > 1 ? 1 : r;
  out->done = c > PUSHT_SUCCESS || e->steps >= PUSHT_MAX_STEPS;
  out->n_contacts = e->n_contacts;
  out->disturbable = e->n_contacts > 0;
  out->steps = e->steps;
}

// Python's float modulo: the result takes the divisor's sign.
static double py_mod(double a, double b) {
  double m = fmod(a, b);
  if (m != 0) {
    if ((b < 0) != (m < 0)) m += b;
  } else {
    m = copysign(0.0, b);
  }
  return m;
}

void pusht_state(const PushT *e, double out[PUSHT_STATE_DIM]) {
  cpVect a = cpBodyGetPosition(e->agent), b = cpBodyGetPosition(e->block);
  out[0] = a.x;
  out[1] = a.y;
  out[2] = b.x;
  out[3] = b.y;
  out[4] = py_mod(cpBodyGetAngle(e->block), 2 * M_PI);
}

void pusht_agent_velocity(const PushT *e, double out[2]) {
  cpVect v = cpBodyGetVelocity(e->agent);
  out[0] = v.x;
  out[1] = v.y;
}

void pusht_block_keypoints(double x, double y, double angle, double out[2 * PUSHT_KEYPOINTS]) {
  double c = cos(angle), s = sin(angle);
  for (int i = 0; i < PUSHT_KEYPOINTS; i++) {
    double u = pusht_kp_local[i][0], v = pusht_kp_local[i][1];
    out[2 * i] = c * u - s * v + x;
    out[2 * i + 1] = s * u + c * v + y;
  }
}

void pusht_keypoints(const PushT *e, double out[PUSHT_OBS_DIM]) {
  cpVect a = cpBodyGetPosition(e->agent), b = cpBodyGetPosition(e->block);
  pusht_block_keypoints(b.x, b.y, cpBodyGetAngle(e->block), out);
  out[18] = a.x;
  out[19] = a.y;
}

// Block keypoints in body coordinates (pixels). Derived from the demonstrations
// (tests/test_pusht_keypoints.c repeats the derivation): over the 13,062 rows with no
// contact on the row or the one before it, the mean of R(-angle)·(keypoint - block
// position), i.e. the least-squares fit of keypoint = R(angle)·kp_local + position;
// residuals there stay below 1e-3 px. (The recorder sampled keypoints and contacts
// in a slightly different pass, so rows in or just after contact differ by ≤ ~2.2 px.)
const double pusht_kp_local[PUSHT_KEYPOINTS][2] = {
    {9.269786472, 90.040973686},   {-60.983471866, -1.186729801}, {60.912755635, -1.393364297},
    {-0.270503509, 25.543625153},  {-14.064927465, 122.815853588}, {39.002738020, 32.857404094},
    {-39.966414557, 32.729655444}, {-16.824344332, 62.863179107},  {23.541461071, -1.700288024}};

// reset_to_state applies the reference's legacy order (position, then angle about the
// centre of gravity), which moves the block origin by an angle-dependent offset; one
// reset measures that offset, a second one pre-compensates it.
static int reset_to_recorded(PushT *env, const double *s, double *err) {
  double set[PUSHT_STATE_DIM], got[PUSHT_STATE_DIM];
  for (int i = 0; i < PUSHT_STATE_DIM; i++) set[i] = s[i];
  for (int pass = 0; pass < 2; pass++) {
    if (pusht_reset_to_state(env, set)) return ODP_ERR;
    pusht_state(env, got);
    for (int i = 2; i < 4; i++) set[i] -= got[i] - s[i];
  }
  for (int i = 0; i < 4; i++) *err = fmax(*err, fabs(got[i] - s[i]));
  return ODP_OK;
}

static void *ops_create(void) { return pusht_create(); }
static void ops_destroy(void *p) { pusht_destroy(p); }
static int ops_reset(void *p, uint32_t seed) { return pusht_reset(p, seed); }
static int ops_reset_to_state(void *p, const double *s) { return pusht_reset_to_state(p, s); }
static int ops_reset_to_recorded(void *p, const double *s, double *err) { return reset_to_recorded(p, s, err); }
static int ops_step(void *p, const double *a, EnvStep *out) { return pusht_step(p, a, out); }
static void ops_state(const void *p, double *out) { pusht_state(p, out); }
static void ops_observe(const void *p, double *out) { pusht_keypoints(p, out); }
static int ops_render(const void *p, int camera, uint8_t *rgb) {
  return camera == 0 ? pusht_render(p, rgb) : odp_fail("pusht: no camera %d", camera);
}
static void ops_evaluate(const void *p, EnvStep *out) { pusht_evaluate(p, out); }
static int ops_frame(const void *p, int size, const float *a, uint8_t *rgb) { return pusht_frame(p, size, a, rgb); }
static void ops_hold_action(const void *p, double *a) {
  double s[PUSHT_STATE_DIM];
  pusht_state(p, s);
  a[0] = s[0], a[1] = s[1];
}
static int ops_perturb(void *p, const double *u) { return pusht_perturb(p, u); }

static const char *const task_names[] = {"pusht", "pusht_keypoints", "pusht_image", NULL};
// The reference's observation keys: keypoints (the low-dim task's whole vector), agent_pos
// (the image task's low-dim input, beside the camera "image").
static const EnvObsKey obs_keys[] = {{"keypoint", 0, PUSHT_OBS_DIM}, {"agent_pos", 18, 2}, {NULL, 0, 0}};

const EnvOps pusht_ops = {
    .name = "pusht",
    .title = "PushT",
    .task_names = task_names,
    .state_dim = PUSHT_STATE_DIM,
    .obs_dim = PUSHT_OBS_DIM,
    .obs_keys = obs_keys,
    .n_cameras = 1,
    .cameras = {{"image", PUSHT_IMAGE, PUSHT_IMAGE}},
    .action_dim = PUSHT_ACTION_DIM,
    .control_hz = 10,
    .max_steps = PUSHT_MAX_STEPS,
    .success_coverage = PUSHT_SUCCESS,
    .canvas_size = PUSHT_CANVAS,
    .create = ops_create,
    .destroy = ops_destroy,
    .reset = ops_reset,
    .reset_to_state = ops_reset_to_state,
    .reset_to_recorded = ops_reset_to_recorded,
    .step = ops_step,
    .state = ops_state,
    .observe = ops_observe,
    .render = ops_render,
    .evaluate = ops_evaluate,
    .frame = ops_frame,
    .hold_action = ops_hold_action,
    .perturb = ops_perturb,
    .perturb_window = {20, 120},
    .demo_store = PUSHT_DEMO_STORE,
    .tools = pusht_tools,
};
