#!/usr/bin/env python3
"""Reference values for test/sweep/analysis.test.ts: Student-t confidence intervals across seeds
(src/sweep/analysis.ts seedInterval) and paired differences, with scipy.stats.

  /usr/bin/python3 scripts/ref/sweep_reference.py

For each sample: n, mean, the sample standard deviation (ddof=1) and the half-width of the 95 %
interval t_{n-1, 0.975} * s / sqrt(n) (scipy.stats.t.ppf), and scipy.stats.t.interval as a check.
"""
import numpy as np
from scipy import stats

SAMPLES = {
    "five seeds": [6.38, 6.12, 6.55, 6.01, 6.40],
    "two seeds": [4.123, 9.763],
    "paired vfl - mrt": list(np.subtract([6.38, 6.12, 6.55, 6.01, 6.40], [3.93, 3.71, 4.20, 3.55, 4.02])),
    "ten seeds": [0.2268, 0.2311, 0.2190, 0.2402, 0.2255, 0.2299, 0.2347, 0.2201, 0.2288, 0.2330],
}

for name, x in SAMPLES.items():
    x = np.asarray(x, dtype=float)
    n = len(x)
    m = x.mean()
    s = x.std(ddof=1)
    hw = stats.t.ppf(0.975, n - 1) * s / np.sqrt(n)
    lo, hi = stats.t.interval(0.95, n - 1, loc=m, scale=s / np.sqrt(n))
    assert abs((hi - lo) / 2 - hw) < 1e-12
    print(f"{name}: n={n} mean={m:.15g} sd={s:.15g} halfWidth={hw:.15g}")
