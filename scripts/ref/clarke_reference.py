#!/usr/bin/env python3
"""Reference values of Clarke's autocorrelation for cross-checking src/phy/bessel.ts and
src/phy/fading.ts (fadingCorrelation), with scipy.special.j0 / numpy.

  python3 scripts/ref/clarke_reference.py     (any python3 with numpy; scipy optional)

Prints, for 1.4 m/s and 30 m/s at 3.5 GHz with 1 ms slots, the correlation at lags 1/5/10/20/50
slots: J0(2 pi f_D n T) (clarke) and J0(2 pi f_D T)^n (gauss-markov), f_D = v f_c / c. Also a
Monte-Carlo check of the stochastic sum of sinusoids, E[exp(j 2 pi v tau cos(alpha) / lambda)].
"""
import numpy as np

try:
    from scipy.special import j0
except ImportError:  # numpy only: J0(x) = (1/pi) int_0^pi cos(x sin t) dt
    def j0(x):
        t = (np.arange(20000) + 0.5) * np.pi / 20000  # midpoint rule, spectrally accurate here
        return np.mean(np.cos(np.multiply.outer(np.atleast_1d(x), np.sin(t))), axis=-1)

C = 299_792_458.0
FC = 3.5e9
T = 1e-3
LAGS = [1, 5, 10, 20, 50]

for v in (1.4, 30.0):
    fd = v * FC / C
    rho = float(j0(2 * np.pi * fd * T))
    print(f"v = {v} m/s, f_D = {fd:.4f} Hz")
    for n in LAGS:
        print(f"  lag {n:2d}: clarke J0 = {float(j0(2 * np.pi * fd * n * T)):+.6f}   gauss-markov rho^n = {rho ** n:+.6f}")

rng = np.random.default_rng(1)
alpha = rng.uniform(0, 2 * np.pi, 1_000_000)
lam = C / FC
for v, n in ((1.4, 10), (30.0, 5)):
    mc = np.mean(np.exp(1j * 2 * np.pi * v * n * T * np.cos(alpha) / lam)).real
    print(f"Monte-Carlo E[exp(j k v nT cos a)] v={v} n={n}: {mc:+.4f} (J0 {float(j0(2 * np.pi * v * FC / C * n * T)):+.4f})")
