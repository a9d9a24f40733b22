# Oracle for tests/test_pusht_seeds.c: the reference PushTEnv's seeded initial states,
# drawn with numpy's legacy RandomState exactly as its reset() does.
import numpy as np

seeds = list(range(100000, 100050)) + list(range(0, 6))
for seed in seeds:
    rs = np.random.RandomState(seed=seed)
    state = np.array([
        rs.randint(50, 450), rs.randint(50, 450),
        rs.randint(100, 400), rs.randint(100, 400),
        rs.randn() * 2 * np.pi - np.pi])
    print(seed, " ".join(repr(float(v)) for v in state))
