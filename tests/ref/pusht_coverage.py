# Oracle for tests/test_pusht_coverage.c: PushT coverage computed as the reference does
# (shapely MultiPolygons of the block's two pieces, goal at (256, 256, pi/4)).
# Prints "x y angle coverage" per pose: uniform poses, near-goal poses, the exact goal.
import numpy as np
import shapely.geometry as sg

BAR = [(-60, 30), (60, 30), (60, 0), (-60, 0)]
STEM = [(-15, 30), (-15, 120), (15, 120), (15, 30)]


def tee(x, y, a):
    c, s = np.cos(a), np.sin(a)
    polys = []
    for piece in (BAR, STEM):
        verts = [(c * u + -s * v + x, s * u + c * v + y) for u, v in piece]
        polys.append(sg.Polygon(verts + [verts[0]]))
    return sg.MultiPolygon(polys)


def coverage(x, y, a):
    goal = tee(256.0, 256.0, np.pi / 4)
    block = tee(x, y, a)
    return goal.intersection(block).area / goal.area


rs = np.random.RandomState(7)
poses = [(256.0, 256.0, np.pi / 4), (256.0, 256.0, np.pi / 4 + 2 * np.pi)]
for _ in range(600):
    poses.append((rs.uniform(100, 412), rs.uniform(100, 412), rs.uniform(0, 2 * np.pi)))
for scale in (20.0, 3.0, 0.3, 1e-3):
    for _ in range(150):
        poses.append((256 + rs.normal() * scale, 256 + rs.normal() * scale, np.pi / 4 + rs.normal() * scale / 50))
for x, y, a in poses:
    print(repr(float(x)), repr(float(y)), repr(float(a)), repr(float(coverage(x, y, a))))
