// Coverage: area(goal T ∩ block T) / area(goal T), exactly, by clipping each convex
// piece of the block against each convex piece of the goal (the pieces of one T only
// share an edge, so the pairwise areas add up).
#include <math.h>

#include "env/pusht.h"

typedef struct {
  double x, y;
} Pt;

// Local vertices of the two convex pieces: bar, stem (pixels, body frame).
static const Pt tee[2][4] = {{{-60, 30}, {60, 30}, {60, 0}, {-60, 0}}, {{-15, 30}, {-15, 120}, {15, 120}, {15, 30}}};

static const double goal_x = 256, goal_y = 256, goal_angle = M_PI / 4;

// Body-to-world as Chipmunk's cpTransformPoint (cog at the origin for these poses).
static void place(Pt out[2][4], double x, double y, double angle) {
  double c = cos(angle), s = sin(angle);
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 4; i++) out[k][i] = (Pt){c * tee[k][i].x + -s * tee[k][i].y + x, s * tee[k][i].x + c * tee[k][i].y + y};
}

static double signed_area(const Pt *p, int n) {
  double a = 0;
  for (int i = 0; i < n; i++) {
    const Pt *u = &p[i], *v = &p[(i + 1) % n];
    a += u->x * v->y - v->x * u->y;
  }
  return a / 2;
}

// Sutherland-Hodgman: keeps the part of subject[n] on the inner side of a->b
// (side > 0 means left of a->b is inside). Returns the new vertex count.
static int clip_edge(Pt *out, const Pt *subject, int n, Pt a, Pt b, double side) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    Pt p = subject[i], q = subject[(i + 1) % n];
    double dp = side * ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x));
    double dq = side * ((b.x - a.x) * (q.y - a.y) - (b.y - a.y) * (q.x - a.x));
    if (dp >= 0) out[m++] = p;
    if ((dp >= 0) != (dq >= 0)) {
      double t = dp / (dp - dq);
      out[m++] = (Pt){p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)};
    }
  }
  return m;
}

// Area of the intersection of two convex quadrilaterals.
static double convex_overlap(const Pt *a, const Pt *clip) {
  Pt buf[2][16];
  int n = 4;
  for (int i = 0; i < 4; i++) buf[0][i] = a[i];
  double side = signed_area(clip, 4) > 0 ? 1 : -1;
  int cur = 0;
  for (int e = 0; e < 4 && n > 0; e++) {
    n = clip_edge(buf[1 - cur], buf[cur], n, clip[e], clip[(e + 1) % 4], side);
    cur = 1 - cur;
  }
  return n < 3 ? 0 : fabs(signed_area(buf[cur], n));
}

double pusht_coverage(double x, double y, double angle) {
  Pt goal[2][4], block[2][4];
  place(goal, goal_x, goal_y, goal_angle);
  place(block, x, y, angle);
  double inter = 0, area = 0;
  for (int i = 0; i < 2; i++) {
    area += fabs(signed_area(goal[i], 4));
    for (int j = 0; j < 2; j++) inter += convex_overlap(block[j], goal[i]);
  }
  return inter / area;
}
