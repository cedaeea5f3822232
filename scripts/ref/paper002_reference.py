#!/usr/bin/python3
"""Reference values for paper 002's metrics and the scalar WMMSE baseline (numpy only).

Run:  /usr/bin/python3 scripts/ref/paper002_reference.py > test/fixtures/paper002/reference.json
Read by test/metrics/beampattern.test.ts and test/solvers/scalar-wmmse.test.ts.

Everything is written from the paper's definitions (docs/primal-dual.md), independently of the
TypeScript code: a(θ) = (1/√M_R)[e^{jπ n sinθ}], the 1° grid from −90° to 90°, d(θ) of eq. (8),
L_r,1 (eq. 7), L_r,2 (eq. 9, |·| over all grid pairs l < r), the SINR of eq. (11) with the
transpose convention g_kᵀF_l and the radar leakage f_kᵀ R f_k*, and the scalar WMMSE exactly as
Sun et al.'s `WMMSE_sum_rate` (Haoran-S/TSP-DNN, function_wmmse_powercontrol.py) with a noise
per user.
"""
import json
import math
import sys

import numpy as np

rng = np.random.default_rng(20020)


def cn(*shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def steer(theta_rad, m):
    return np.exp(1j * np.pi * np.arange(m) * np.sin(theta_rad)) / np.sqrt(m)


def c2list(z):
    z = np.asarray(z).ravel()
    out = np.empty(2 * z.size)
    out[0::2] = z.real
    out[1::2] = z.imag
    return out.tolist()


# ---------------------------------------------------------------- beampattern (eqs. 7-10)
MR, targets, width, radar_power = 12, [-70.0, 0.0, 40.0], 10.0, 0.1
grid = np.arange(-90, 91, 1.0)
L = grid.size
A = np.stack([steer(np.deg2rad(t), MR) for t in grid])  # [L, MR], row l = a(θ_l)
desired = np.zeros(L)
for p in targets:
    desired[np.abs(grid - p) <= width / 2] = 1.0
scale = len(targets) / radar_power


def losses(R):
    Rs = scale * R
    pattern = np.real(np.einsum('li,ij,lj->l', A.conj(), R, A))  # unscaled aᴴRa
    l1 = np.mean((desired - scale * pattern) ** 2)
    Pc = A.conj() @ Rs @ A.T  # [L, L], Pc[l, r] = a(θ_l)ᴴ R̄ a(θ_r)
    iu = np.triu_indices(L, 1)
    l2 = 2.0 / (L * L - L) * np.sum(np.abs(Pc[iu]))
    return pattern, l1, l2


rows = 4
W = 0.05 * cn(rows, MR)
R = W.T @ W.conj()
pattern, l1, l2 = losses(R)
beams = np.stack([np.exp(1j * np.pi * np.arange(MR) * np.sin(np.deg2rad(t))) for t in targets])
q = np.array([0.2, 0.5, 0.3]) * radar_power / MR
Rq = (beams.T * q) @ beams.conj()
pattern_q, l1_q, l2_q = losses(Rq)

# the least-L_r split over a 0.5 % grid of the simplex (brute force), P_R = 0.1, M_R = 12
best = None
steps = 200
for i in range(steps + 1):
    for j in range(steps + 1 - i):
        qq = np.array([i, j, steps - i - j]) / steps * radar_power / MR
        _, a1, a2 = losses((beams.T * qq) @ beams.conj())
        if best is None or a1 + a2 < best[0]:
            best = (a1 + a2, qq)

beampattern = {
    'numAnt': MR, 'targetsDeg': targets, 'widthDeg': width, 'radarPowerW': radar_power,
    'desired': desired.tolist(),
    'factor': {'rows': rows, 'W': c2list(W), 'pattern': pattern.tolist(), 'patternError': l1, 'crossCorrelation': l2},
    'split': {'q': q.tolist(), 'pattern': pattern_q.tolist(), 'patternError': l1_q, 'crossCorrelation': l2_q,
              'diag': np.real(np.diag(Rq)).tolist()},
    'bestSplitGrid': {'steps': steps, 'q': best[1].tolist(), 'total': best[0]},
}

# ---------------------------------------------------------------- SINR (eq. 11)
K, MC, N0 = 5, 12, 0.01
G = cn(K, MC)
Fr = cn(K, MR)
F = 0.1 * cn(K, MC)
Wr = 0.03 * cn(3, MR)
Rr = Wr.T @ Wr.conj()
S = G @ F.T  # S[k, l] = g_kᵀ F_l
leak = np.real(np.einsum('ka,ab,kb->k', Fr, Rr, Fr.conj()))
gamma = np.abs(np.diag(S)) ** 2 / (np.sum(np.abs(S) ** 2, axis=1) - np.abs(np.diag(S)) ** 2 + leak + N0)
sinr = {'numUsers': K, 'numCommAnt': MC, 'numRadarAnt': MR, 'noiseW': N0, 'G': c2list(G), 'Fr': c2list(Fr), 'F': c2list(F),
        'radarRows': 3, 'radarW': c2list(Wr), 'leakage': leak.tolist(), 'sinr': gamma.tolist()}


# ---------------------------------------------------------------- scalar WMMSE (Sun et al.)
def wmmse_sum_rate(p_int, H, Pmax, var_noise):
    """Haoran-S/TSP-DNN WMMSE_sum_rate, with var_noise a vector (one value per user)."""
    K = np.size(p_int)
    vnew = 0
    b = np.sqrt(p_int)
    f = np.zeros(K)
    w = np.zeros(K)
    for i in range(K):
        f[i] = H[i, i] * b[i] / (np.square(H[i, :]) @ np.square(b) + var_noise[i])
        w[i] = 1 / (1 - f[i] * b[i] * H[i, i])
        vnew = vnew + math.log2(w[i])
    trace = [vnew]
    for it in range(100):
        vold = vnew
        for i in range(K):
            btmp = w[i] * f[i] * H[i, i] / sum(w * np.square(f) * np.square(H[:, i]))
            b[i] = min(btmp, np.sqrt(Pmax)) + max(btmp, 0) - btmp
        vnew = 0
        for i in range(K):
            f[i] = H[i, i] * b[i] / ((np.square(H[i, :])) @ (np.square(b)) + var_noise[i])
            w[i] = 1 / (1 - f[i] * b[i] * H[i, i])
            vnew = vnew + math.log2(w[i])
        trace.append(vnew)
        if vnew - vold <= 1e-3:
            break
    return np.square(b), trace


instances = []
Pmax = 0.1
for n in range(4):
    g = cn(K, MC)
    f_r = cn(K, MR)
    u = g.conj() / np.linalg.norm(g, axis=1, keepdims=True)  # MRT directions (gᵀu = ‖g‖)
    amp = np.abs(g @ u.T)  # amp[k, l] = |g_kᵀ u_l|
    leak_q = np.real(np.einsum('ka,ab,kb->k', f_r, Rq, f_r.conj()))
    noise = N0 + leak_q
    p, trace = wmmse_sum_rate(Pmax * np.ones(K), amp, Pmax, noise)
    instances.append({'amplitude': amp.ravel().tolist(), 'noiseW': noise.tolist(), 'powerMaxW': Pmax,
                      'powerW': p.tolist(), 'trace': trace})
# Sun et al.'s own setting: a SISO interference channel, |CN(0,1)| amplitudes, one noise level
for n in range(3):
    amp = np.abs(cn(K, K))
    noise = np.full(K, 0.05)
    p, trace = wmmse_sum_rate(Pmax * np.ones(K), amp, Pmax, noise)
    instances.append({'amplitude': amp.ravel().tolist(), 'noiseW': noise.tolist(), 'powerMaxW': Pmax,
                      'powerW': p.tolist(), 'trace': trace})

json.dump({'generator': 'scripts/ref/paper002_reference.py', 'numpy': np.__version__,
           'beampattern': beampattern, 'sinr': sinr, 'scalarWmmse': instances}, sys.stdout, indent=1)
sys.stdout.write('\n')
