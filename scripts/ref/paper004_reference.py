#!/usr/bin/env python3
"""Reference values for paper 004's baselines (src/solvers/cf-isac.ts), in numpy, written independently.

  /usr/bin/python3 scripts/ref/paper004_reference.py > test/fixtures/paper004-reference.json

Prints one JSON fixture (test/solvers/cf-isac.test.ts reads it). Instances: a numpy seed draws, per
instance (M, U, N), h_mu ~ CN(0, I_N), theta_m ~ U[0, pi/2) from the array axis, and one feasible
random beam set F (U comm streams + 1 sensing stream per AP, AP m at a random share of P_m). The
setting is the paper's: P_m = 1/M, sigma^2 = 0.1, c_m = zeta^2/varsigma^2 = 1/0.1 (eq. 7, no N_r).

Conventions (same as the twin): a(theta)_k = exp(j pi k cos theta), k = 0..N-1; the amplitude of
stream s at user u is a_us = sum_m h_mu^H f_ms; SINR_u = |a_uu|^2 / (sum_{s != u} |a_us|^2 + sigma^2)
(eq. 4, the sensing stream s = U is interference); SNR = sum_m c_m sum_s |a(theta_m)^H f_ms|^2
(eq. 7); J = sum_u log2(1 + SINR_u) + beta log2(1 + SNR) (8a).

Values per instance:
  metrics of F (SINRs, SNR, J at beta = 2) and the Wirtinger gradient dJ/df*_ms at F (beta = 2),
    checked here against central finite differences of J;
  CB comm ('ue': sqrt(P_m/U) h/|h|, 'ap': h sqrt(P_m / sum_u |h_mu|^2)): SINRs, sum rate;
  CB sensing (sqrt(P_m/N) a(theta_m) on the sensing row): SNR, and the bound N sum_m c_m P_m;
  WMMSE (beta = 0, per-AP power; reading notes 3.2): from CB comm 'ue', Gauss-Seidel over the APs
    with the receivers g_u = a_uu/T_u and weights w_u = T_u/I_u refreshed before every AP block,
    AP block (A_m + mu I) f_ms = b_ms solved by eigh and bisection on mu; the sum rate after 1, 2, 5
    iterations and at convergence (relative change < 1e-13 or 3000 iterations);
  PGA reference at beta = 2: projected gradient ascent with Armijo backtracking (sigma = 1e-4,
    first trial the Barzilai-Borwein step) from the 7 starts sqrt(1-rho) F_WMMSE + sqrt(rho) F_CBS,
    rho in {0, .1, .3, .5, .7, .9, 1}; the best J (tolerance 1e-11, 20000 steps).
Beams in the fixture: F[m][s][n] flattened, interleaved re/im; H[m][u][n] the same.
"""
import json
import sys

import numpy as np

SEED = 20250214
INSTANCES = [(3, 2, 4), (3, 2, 4), (5, 2, 8)]
NOISE = 0.1
RADAR_NOISE = 0.1
ZETA2 = 1.0
BETA = 2.0


def steering(theta, n):
    return np.exp(1j * np.pi * np.arange(n) * np.cos(theta))


def amplitudes(H, F):
    # a[u, s] = sum_m h_mu^H f_ms
    return np.einsum("mun,msn->us", H.conj(), F)


def metrics(H, A, c, F, beta):
    U = H.shape[1]
    p = np.abs(amplitudes(H, F)) ** 2
    desired = p[np.arange(U), np.arange(U)]
    sinr = desired / (p.sum(axis=1) - desired + NOISE)
    snr = float(np.sum(c[:, None] * np.abs(np.einsum("mn,msn->ms", A.conj(), F)) ** 2))
    rate = float(np.sum(np.log2(1 + sinr)))
    return sinr, snr, rate, rate + beta * np.log2(1 + snr)


def gradient(H, A, c, F, beta):
    M, U, N = H.shape
    S = F.shape[1]
    a = amplitudes(H, F)
    T = np.sum(np.abs(a) ** 2, axis=1) + NOISE
    I = T - np.abs(a[np.arange(U), np.arange(U)]) ** 2
    _, snr, _, _ = metrics(H, A, c, F, beta)
    G = np.zeros_like(F)
    for m in range(M):
        for s in range(S):
            for u in range(U):
                G[m, s] += H[m, u] * a[u, s] * (1 / T[u] - (0 if s == u else 1 / I[u])) / np.log(2)
            G[m, s] += beta * c[m] * A[m] * (A[m].conj() @ F[m, s]) / (np.log(2) * (1 + snr))
    return G


def fd_check(H, A, c, F, beta, G):
    """max |dJ/dRe f - 2 Re G|, |dJ/dIm f - 2 Im G| by central differences."""
    eps = 1e-6
    worst = 0.0
    for idx in np.ndindex(F.shape):
        for unit, part in ((1.0, np.real), (1j, np.imag)):
            Fp = F.copy()
            Fm = F.copy()
            Fp[idx] += eps * unit
            Fm[idx] -= eps * unit
            d = (metrics(H, A, c, Fp, beta)[3] - metrics(H, A, c, Fm, beta)[3]) / (2 * eps)
            worst = max(worst, abs(d - 2 * part(G[idx])))
    return worst


def cb_comm(H, P, kind):
    M, U, N = H.shape
    F = np.zeros((M, U + 1, N), dtype=complex)
    for m in range(M):
        if kind == "ue":
            for u in range(U):
                F[m, u] = np.sqrt(P[m] / U) * H[m, u] / np.linalg.norm(H[m, u])
        else:
            F[m, :U] = H[m] * np.sqrt(P[m] / np.sum(np.abs(H[m]) ** 2))
    return F


def cb_sensing(A, P, U):
    M, N = A.shape
    F = np.zeros((M, U + 1, N), dtype=complex)
    for m in range(M):
        F[m, U] = np.sqrt(P[m] / N) * A[m]
    return F


def sum_rate(H, F):
    U = H.shape[1]
    p = np.abs(amplitudes(H, F)) ** 2
    d = p[np.arange(U), np.arange(U)]
    return float(np.sum(np.log2(1 + d / (p.sum(axis=1) - d + NOISE))))


def wmmse(H, P, F0, iters, tol):
    M, U, N = H.shape
    F = F0.copy()
    trace = [sum_rate(H, F)]
    for _ in range(iters):
        for m in range(M):
            a = amplitudes(H, F)
            T = np.sum(np.abs(a[:, :U]) ** 2, axis=1) + NOISE
            g = a[np.arange(U), np.arange(U)] / T
            I = T - np.abs(a[np.arange(U), np.arange(U)]) ** 2
            w = T / I
            cu = w * np.abs(g) ** 2
            Am = sum(cu[u] * np.outer(H[m, u], H[m, u].conj()) for u in range(U))
            r = a[:, :U] - np.einsum("un,sn->us", H[m].conj(), F[m, :U])  # the other APs' share
            B = np.zeros((U, N), dtype=complex)
            for s in range(U):
                B[s] = w[s] * g[s] * H[m, s] - sum(cu[u] * r[u, s] * H[m, u] for u in range(U))
            lam, V = np.linalg.eigh(Am)
            C = V.conj().T @ B.T  # [N, U]: the right-hand sides in the eigenbasis
            e = np.sum(np.abs(C) ** 2, axis=1)
            # b_ms lies in range(A_m) = span{h_mu}: eigen-directions without energy (rounding
            # only) are no block variables (the minimum-norm minimiser leaves them 0).
            active = e > 1e-13 * e.sum()

            def power(mu):
                return float(np.sum(e[active] / (lam[active] + mu) ** 2))

            if power(0.0) <= P[m]:
                mu = 0.0
            else:
                lo, hi = 0.0, np.sqrt(e.sum() / P[m]) + abs(lam.min())
                while power(hi) > P[m]:
                    hi *= 2
                for _ in range(200):
                    mid = 0.5 * (lo + hi)
                    if power(mid) > P[m]:
                        lo = mid
                    else:
                        hi = mid
                mu = hi
            d = np.where(active, 1 / np.where(active, lam + mu, 1), 0)
            F[m, :U] = (V @ (d[:, None] * C)).T
        trace.append(sum_rate(H, F))
        if abs(trace[-1] - trace[-2]) <= tol * max(1, abs(trace[-2])):
            break
    return F, trace


def project(F, P):
    G = F.copy()
    for m in range(F.shape[0]):
        pw = np.sum(np.abs(G[m]) ** 2)
        if pw > P[m]:
            G[m] *= np.sqrt(P[m] / pw)
    return G


def pga(H, A, c, P, beta, F0, iters, tol):
    F = project(F0, P)
    J = metrics(H, A, c, F, beta)[3]
    G = gradient(H, A, c, F, beta)
    step = 1.0
    for _ in range(iters):
        floor = step * 1e-14
        while step >= floor:
            Ft = project(F + step * G, P)
            first = 2 * np.sum(np.real(G.conj() * (Ft - F)))
            Jt = metrics(H, A, c, Ft, beta)[3]
            if Jt >= J + 1e-4 * first and Jt > J:
                break
            step /= 2
        else:
            return J
        gain = Jt - J
        s_ = Ft - F
        F, J = Ft, Jt
        if gain <= tol * max(1, abs(J)):
            return J
        Gn = gradient(H, A, c, F, beta)
        sy = np.sum(np.real(s_.conj() * (Gn - G)))
        ss = np.sum(np.abs(s_) ** 2)
        step = min(1e12, max(1e-12, ss / -sy)) if sy < 0 else 2 * step
        G = Gn
    return J


def flat(X):
    out = []
    for z in X.reshape(-1):
        out += [float(z.real), float(z.imag)]
    return out


def main():
    rng = np.random.default_rng(SEED)
    out = {"source": f"scripts/ref/paper004_reference.py (numpy {np.__version__}, seed {SEED})", "noiseW": NOISE, "beta": BETA, "instances": []}
    for M, U, N in INSTANCES:
        H = (rng.standard_normal((M, U, N)) + 1j * rng.standard_normal((M, U, N))) / np.sqrt(2)
        theta = rng.uniform(0, np.pi / 2, M)
        F = rng.standard_normal((M, U + 1, N)) + 1j * rng.standard_normal((M, U + 1, N))
        P = np.full(M, 1.0 / M)
        share = rng.uniform(0.3, 1.0, M)
        for m in range(M):
            F[m] *= np.sqrt(share[m] * P[m] / np.sum(np.abs(F[m]) ** 2))
        A = np.array([steering(t, N) for t in theta])
        c = np.full(M, ZETA2 / RADAR_NOISE)
        sinr, snr, rate, J = metrics(H, A, c, F, BETA)
        G = gradient(H, A, c, F, BETA)
        fd = fd_check(H, A, c, F, BETA, G)
        assert fd < 1e-6, fd
        cbu = cb_comm(H, P, "ue")
        cba = cb_comm(H, P, "ap")
        cbs = cb_sensing(A, P, U)
        Fw, trace = wmmse(H, P, cbu, 3000, 1e-13)
        assert all(b >= a - 1e-12 for a, b in zip(trace, trace[1:])), "WMMSE not monotone"
        best = max(pga(H, A, c, P, BETA, np.sqrt(1 - rho) * Fw + np.sqrt(rho) * cbs, 20000, 1e-11) for rho in (0, 0.1, 0.3, 0.5, 0.7, 0.9, 1))
        out["instances"].append(
            {
                "numAps": M,
                "numUsers": U,
                "numTxAnt": N,
                "H": flat(H),
                "thetaRad": [float(t) for t in theta],
                "F": flat(F),
                "sinr": [float(x) for x in sinr],
                "snr": snr,
                "sumRate": rate,
                "objective": float(J),
                "gradient": flat(G),
                "gradientFdError": fd,
                "cbCommUe": {"sinr": [float(x) for x in metrics(H, A, c, cbu, 0)[0]], "sumRate": sum_rate(H, cbu)},
                "cbCommAp": {"sinr": [float(x) for x in metrics(H, A, c, cba, 0)[0]], "sumRate": sum_rate(H, cba)},
                "cbSensing": {"snr": metrics(H, A, c, cbs, 0)[1], "bound": float(N * np.sum(c * P)), "sumRate": sum_rate(H, cbs)},
                "wmmse": {"sumRateAfter": {"1": trace[1], "2": trace[2], "5": trace[5]}, "sumRate": trace[-1], "iterations": len(trace) - 1},
                "pgaBeta2": {"objective": float(best)},
            }
        )
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
