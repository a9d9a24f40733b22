// PushT frames as the reference draws them: pygame primitives driven by Chipmunk's
// debug-draw traversal (so shapes and contact marks come in the engine's order),
// through pymunk_override.DrawOptions' styling, then cv2.resize to 96x96.
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "env/pusht_impl.h"
#include "env/raster.h"

static const Rgb goal_color = {144, 238, 144};     // LightGreen
static const Rgb tee_color = {119, 136, 153};      // LightSlateGray (edges)
static const Rgb agent_color = {65, 105, 225};     // RoyalBlue
static const Rgb wall_color = {211, 211, 211};     // LightGray
static const Rgb contact_color = {231, 76, 60};    // pymunk's collision point colour
static const Rgb white = {255, 255, 255};

typedef struct {
  Canvas canvas;
  const PushT *env;
} Draw;

// Python's round(): half to even (the default rounding mode of rint).
static int py_round(double v) { return (int)rint(v); }

// DrawOptions.light_color: min(1.2·c, 255) in float32, rounded.
static Rgb light(Rgb c) {
  float k = 1.2f;
  float r = fminf(k * c.r, 255.f), g = fminf(k * c.g, 255.f), b = fminf(k * c.b, 255.f);
  return (Rgb){(uint8_t)py_round(r), (uint8_t)py_round(g), (uint8_t)py_round(b)};
}

static Rgb from_debug(cpSpaceDebugColor c) { return (Rgb){(uint8_t)c.r, (uint8_t)c.g, (uint8_t)c.b}; }

static cpSpaceDebugColor shape_color(cpShape *shape, cpDataPointer data) {
  const PushT *e = ((Draw *)data)->env;
  Rgb c = shape == e->agent_shape ? agent_color : (shape == e->bar || shape == e->stem) ? tee_color : wall_color;
  return (cpSpaceDebugColor){c.r, c.g, c.b, 255};
}

static void draw_circle(cpVect pos, cpFloat angle, cpFloat radius, cpSpaceDebugColor outline,
                        cpSpaceDebugColor fill, cpDataPointer data) {
  (void)angle, (void)outline;
  Canvas *c = &((Draw *)data)->canvas;
  int x = py_round(pos.x), y = py_round(pos.y);
  raster_disc(c, x, y, py_round(radius), from_debug(fill));
  raster_disc(c, x, y, py_round(radius - 4), light(from_debug(fill)));
}

// DrawOptions.draw_fat_segment: a thick line, a quad offset by the (quirky,
// absolute-valued) normal, and discs at both ends.
static void fat_segment(Canvas *c, cpVect a, cpVect b, double radius, Rgb color) {
  int x1 = py_round(a.x), y1 = py_round(a.y), x2 = py_round(b.x), y2 = py_round(b.y);
  int r = py_round(fmax(1, radius * 2));
  raster_line_width(c, x1, y1, x2, y2, r, color);
  if (r <= 2) return;
  double ox = abs(y2 - y1), oy = abs(x2 - x1);
  if (ox == 0 && oy == 0) return;
  double scale = radius / sqrt(ox * ox + oy * oy);
  int px = py_round(ox * scale), py = py_round(oy * scale);
  int xs[4] = {x1 - px, x1 + px, x2 + px, x2 - px}, ys[4] = {y1 - py, y1 + py, y2 + py, y2 - py};
  raster_polygon(c, xs, ys, 4, color);
  raster_disc(c, x1, y1, py_round(radius), color);
  raster_disc(c, x2, y2, py_round(radius), color);
}

static void draw_fat_segment(cpVect a, cpVect b, cpFloat radius, cpSpaceDebugColor outline, cpSpaceDebugColor fill,
                             cpDataPointer data) {
  (void)outline;
  fat_segment(&((Draw *)data)->canvas, a, b, radius, from_debug(fill));
}

// Contact marks: pygame draws them anti-aliased (aalines); a plain line is close at
// 96 px and is the only source of difference from the recorded frames (MAE ~1e-4).
static void draw_segment(cpVect a, cpVect b, cpSpaceDebugColor color, cpDataPointer data) {
  (void)color;
  raster_line(&((Draw *)data)->canvas, py_round(a.x), py_round(a.y), py_round(b.x), py_round(b.y), contact_color);
}

// Filled with the light colour (closing vertex repeated, as the reference passes it),
// then 2-px edges in the shape colour.
static void draw_polygon(int count, const cpVect *verts, cpFloat r, cpSpaceDebugColor outline,
                         cpSpaceDebugColor fill, cpDataPointer data) {
  (void)r, (void)outline;
  Canvas *c = &((Draw *)data)->canvas;
  int xs[16], ys[16];
  if (count > 15) count = 15;
  for (int i = 0; i < count; i++) xs[i] = py_round(verts[i].x), ys[i] = py_round(verts[i].y);
  xs[count] = xs[0], ys[count] = ys[0];
  raster_polygon(c, xs, ys, count + 1, light(from_debug(fill)));
  for (int i = 0; i < count; i++) fat_segment(c, verts[i], verts[(i + 1) % count], 2, from_debug(fill));
}

static void draw_dot(cpFloat size, cpVect pos, cpSpaceDebugColor color, cpDataPointer data) {
  raster_disc(&((Draw *)data)->canvas, py_round(pos.x), py_round(pos.y), py_round(size), from_debug(color));
}

// The goal T: the block's polygons placed at (256, 256, pi/4), filled only.
static void draw_goal(Canvas *c, const PushT *e) {
  double cs = cos(M_PI / 4), sn = sin(M_PI / 4);
  cpShape *pieces[2] = {e->bar, e->stem};
  for (int k = 0; k < 2; k++) {
    int n = cpPolyShapeGetCount(pieces[k]), xs[16], ys[16];
    for (int i = 0; i < n && i < 15; i++) {
      cpVect v = cpPolyShapeGetVert(pieces[k], i);
      xs[i] = py_round(cs * v.x + -sn * v.y + 256);
      ys[i] = py_round(sn * v.x + cs * v.y + 256);
    }
    xs[n] = xs[0], ys[n] = ys[0];
    raster_polygon(c, xs, ys, n + 1, goal_color);
  }
}

void pusht_render_canvas(const PushT *e, uint8_t *rgb) {
  Draw d = {{rgb, PUSHT_CANVAS, PUSHT_CANVAS}, e};
  raster_fill(&d.canvas, white);
  draw_goal(&d.canvas, e);
  cpSpaceDebugDrawOptions opt = {
      .drawCircle = draw_circle,
      .drawSegment = draw_segment,
      .drawFatSegment = draw_fat_segment,
      .drawPolygon = draw_polygon,
      .drawDot = draw_dot,
      .flags = CP_SPACE_DEBUG_DRAW_SHAPES | CP_SPACE_DEBUG_DRAW_CONSTRAINTS | CP_SPACE_DEBUG_DRAW_COLLISION_POINTS,
      .shapeOutlineColor = {0, 0, 0, 255},
      .colorForShape = shape_color,
      .constraintColor = {0, 0, 0, 255},
      .collisionPointColor = {231, 76, 60, 255},
      .data = &d,
  };
  cpSpaceDebugDraw(e->space, &opt);  // reads the space; the lock it takes is released
}

// Draws into the env's own canvas: one render at a time per env.
int pusht_render(const PushT *e, uint8_t *rgb) {
  if (!e->canvas) return odp_fail("pusht: render without a canvas");
  pusht_render_canvas(e, e->canvas);
  raster_resize_linear(rgb, PUSHT_IMAGE, PUSHT_IMAGE, e->canvas, PUSHT_CANVAS, PUSHT_CANVAS);
  return ODP_OK;
}
