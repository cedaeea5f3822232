#!/usr/bin/python3
"""Reference values for paper 001 (cell-free ISAC, teacher-student; docs/teacher-student.md), with
numpy and CVXOPT, written independently of the TypeScript code from the paper's formulas and the
benchmark's public MATLAB code ([28], umut-demirhan/Cell-free-ISAC-beamforming).

Run with Debian's python (apt-get install -y python3-numpy python3-cvxopt):

  /usr/bin/python3 scripts/ref/paper001_reference.py [OUT_DIR]     (default test/fixtures/paper001/)

writes
  metrics.json    positions -> channels (eq. 4: a(phi)_k = exp(j 2 pi 0.5 k cos phi), phi = atan2
                  from the AP, measured from the array axis), random per-AP-normalised beams, their
                  SINR_n (eq. 2, coherent over the APs) and SSNR (eq. 6), and the null-space sensing
                  beams of [28]'s beam_nulling.m;
  benchmark.json  the CVX-based benchmark of [28] on small instances, in the FULL dimension L*M:
                  step A = [28]'s bisection_SINR.m over the SOCP of opt_comm_SOCP_vec.m (written in
                  the min-s power-scaling form: feasible iff s* <= 1), gamma_high and a fine gamma*;
                  step B = the SDP relaxation of opt_jsc_SDP.m at gamma_high (CVXOPT solves its dual
                  through the real embedding), its optimum, the rank-one ratios and the metrics of
                  the beams of SDP_beam_extraction.m.

Layouts (paper 001 sec. 7): APs at (25, 0), (75, 0) m; pos-1 every agent at y = 50, x ~ U(0, 100);
pos-2 users at y = 23, target x ~ U(0, 100), y ~ U(0, 20). Every number is linear (W, ratios).
"""
import json
import os
import sys
import time

import numpy as np
from cvxopt import matrix, solvers, spmatrix

solvers.options["show_progress"] = False
solvers.options["maxiters"] = 200

L, M = 2, 16
AP = np.array([[25.0, 0.0], [75.0, 0.0]])
P = 1.0
SIGMA_N = 1.0
SIGMA_S = 0.1
SIGMA_A = 1.0
C_SENS = (L * SIGMA_S) / (L * SIGMA_A)  # eq. (6) with equal gains and noises


def positions(rng, layout, n):
    pos = np.zeros((n + 1, 2))
    pos[:, 0] = rng.uniform(0, 100, n + 1)
    if layout == "pos-1":
        pos[:, 1] = 50.0
    else:
        pos[:n, 1] = 23.0
        pos[n, 1] = rng.uniform(0, 20)
    return pos


def steering(phi):
    k = np.arange(M)
    return np.exp(1j * 2 * np.pi * 0.5 * k * np.cos(phi))


def channels(pos):
    """H[l, n, :] = a(phi_ln) for the users, A[l, :] = a(phi_l) for the target (last row of pos)."""
    n = pos.shape[0] - 1
    phi = np.zeros((L, n + 1))
    for l in range(L):
        d = pos - AP[l]
        phi[l] = np.arctan2(d[:, 1], d[:, 0])
    H = np.array([[steering(phi[l, q]) for q in range(n)] for l in range(L)])
    A = np.array([steering(phi[l, n]) for l in range(L)])
    return phi, H, A


def sinr(H, W):
    """eq. (2): W[l, q, :], q < N users, q = N sensing; h_n^H w_q = sum_l h_ln^H w_lq."""
    n = H.shape[1]
    amp = np.einsum("lnk,lqk->nq", H.conj(), W)  # [N, N+1]
    p = np.abs(amp) ** 2
    sig = np.diag(p[:, :n])
    return sig / (p.sum(axis=1) - sig + SIGMA_N)


def ssnr(A, W):
    """eq. (6) literally: sum_r sum_l s2 ||a_l^H W_l||^2 / sum_r a2."""
    num = 0.0
    for r in range(L):
        for l in range(L):
            num += SIGMA_S * np.sum(np.abs(A[l].conj() @ W[l].T) ** 2)
    return num / (L * SIGMA_A)


def null_space_beam(H, A, power):
    """[28] beam_nulling.m: (I - H_l pinv(H_l^H H_l) H_l^H) a_l, normalised per AP to `power`."""
    out = np.zeros((L, M), complex)
    for l in range(L):
        Hl = H[l].T  # M x N
        proj = np.eye(M) - Hl @ np.linalg.pinv(Hl.conj().T @ Hl) @ Hl.conj().T
        v = proj @ A[l]
        out[l] = np.sqrt(power) * v / np.linalg.norm(v)
    return out


def clist(z):
    z = np.asarray(z, complex).reshape(-1)
    out = np.empty(2 * z.size)
    out[0::2] = z.real
    out[1::2] = z.imag
    return [float(v) for v in out]


# ----------------------------------------------------------------------------- step A (SOCP)


def socp_power_scale(H, S, gamma, rho):
    """min s  s.t.  ||[h_n^H w_1..h_n^H w_N, h_n^H w_s, sigma]|| <= sqrt(1+1/gamma) Re(h_n^H w_n),
    ||[w_l1..w_lN]|| <= s sqrt(rho P)  (opt_comm_SOCP_vec.m with the budget scaled by s^2).
    x = [Re w (n, l, k), Im w (n, l, k), s]; returns s* (inf when CVXOPT fails)."""
    n = H.shape[1]
    nw = n * L * M
    nx = 2 * nw + 1

    def idx(q, l, k):
        return (q * L + l) * M + k

    Gq, hq = [], []
    for u in range(n):
        # h_u^H w_q = sum_{l,k} conj(h) w: Re = hr wr + hi wi, Im = hr wi - hi wr
        rows = []  # each row: coefficient vector over x of the cone entry (entry = row . x + const)
        consts = []
        coef = np.sqrt(1 + 1 / gamma)
        re_own = np.zeros(nx)
        for l in range(L):
            for k in range(M):
                hr, hi = H[l, u, k].real, H[l, u, k].imag
                re_own[idx(u, l, k)] += hr
                re_own[nw + idx(u, l, k)] += hi
        rows.append(coef * re_own)
        consts.append(0.0)
        for q in range(n):
            re = np.zeros(nx)
            im = np.zeros(nx)
            for l in range(L):
                for k in range(M):
                    hr, hi = H[l, u, k].real, H[l, u, k].imag
                    re[idx(q, l, k)] += hr
                    re[nw + idx(q, l, k)] += hi
                    im[nw + idx(q, l, k)] += hr
                    im[idx(q, l, k)] += -hi
            rows += [re, im]
            consts += [0.0, 0.0]
        hs = np.sum(H[:, u, :].conj() * S)  # h_u^H w_s (constant)
        rows += [np.zeros(nx), np.zeros(nx), np.zeros(nx)]
        consts += [hs.real, hs.imag, np.sqrt(SIGMA_N)]
        # cone: s_k = h - G x = entry  ->  G = -rows, h = consts
        Gq.append(matrix(-np.array(rows)))
        hq.append(matrix(np.array(consts)))
    for l in range(L):
        rows = [np.zeros(nx)]
        rows[0][2 * nw] = np.sqrt(rho * P)
        for q in range(n):
            for k in range(M):
                e = np.zeros(nx)
                e[idx(q, l, k)] = 1
                rows.append(e)
                e = np.zeros(nx)
                e[nw + idx(q, l, k)] = 1
                rows.append(e)
        Gq.append(matrix(-np.array(rows)))
        hq.append(matrix(np.zeros(len(rows))))
    c = np.zeros(nx)
    c[2 * nw] = 1
    for tol in (1e-9, 1e-8, 1e-7):
        solvers.options["abstol"] = solvers.options["reltol"] = solvers.options["feastol"] = tol
        try:
            sol = solvers.socp(matrix(c), Gq=Gq, hq=hq)
        except (ArithmeticError, ValueError):
            continue
        if sol["status"] == "optimal":
            return float(sol["x"][2 * nw])
    return float("inf")


def bisection(H, S, rho, low, high, tol):
    """[28] bisection_SINR.m: gamma_high = the last feasible midpoint."""
    gamma_high = None
    steps = []
    while high - low > tol:
        mid = (high + low) / 2
        s = socp_power_scale(H, S, mid, rho)
        feasible = s <= 1
        steps.append({"gamma": mid, "s": s, "feasible": bool(feasible)})
        if feasible:
            low = mid
            gamma_high = mid
        else:
            high = mid
    return gamma_high, steps


# ----------------------------------------------------------------------------- step B (SDP)


def embed(h):
    return np.block([[h.real, -h.imag], [h.imag, h.real]])


def unembed(e, n):
    return 0.5 * (e[:n, :n] + e[n:, n:]) + 0.5j * (e[n:, :n] - e[:n, n:])


def jsc_sdp(H, A, gamma):
    """opt_jsc_SDP.m in the full dimension D = L*M (stacked AP-major, unlike [28]'s interleaving):
    min <C, F>, C = -c blkdiag(a_l a_l^H) on every block q = 1..N+1, s.t.
      (1/g) h_n^H F_n h_n - sum_{q != n} h_n^H F_q h_n >= sigma^2,  sum_q tr [F_q]_ll <= P.
    CVXOPT solves the dual  max b'y s.t. C - sum y_i A_i >= 0 (y >= 0 on >= rows, <= 0 on <= rows)
    as  min -b'y s.t. sum y_i E(A_i)/2 <= E(C)/2, with E the real embedding; F = its dual zs."""
    n = H.shape[1]
    D = L * M
    S = n + 1
    hs = [H[:, u, :].reshape(-1) for u in range(n)]  # stacked h_u (AP-major)
    G = np.zeros((D, D), complex)
    for l in range(L):
        G[l * M:(l + 1) * M, l * M:(l + 1) * M] = np.outer(A[l], A[l].conj())
    C = -C_SENS * G
    rows = []  # per row: (per-block Hermitian coefficient list, sense, rhs)
    for u in range(n):
        Q = np.outer(hs[u], hs[u].conj())
        rows.append(([Q / gamma if q == u else -Q for q in range(S)], "ge", SIGMA_N))
    for l in range(L):
        E = np.zeros((D, D), complex)
        E[l * M:(l + 1) * M, l * M:(l + 1) * M] = np.eye(M)
        rows.append(([E] * S, "le", P))
    m = len(rows)
    b = np.array([r[2] for r in rows])
    c = matrix(-b)
    Gs = [matrix(np.column_stack([embed(rows[i][0][q]).reshape(-1, order="F") / 2 for i in range(m)])) for q in range(S)]
    hs_ = [matrix(embed(C) / 2) for _ in range(S)]
    gl = np.zeros((m, m))
    for i, r in enumerate(rows):
        gl[i, i] = -1.0 if r[1] == "ge" else 1.0
    Gl = matrix(gl)
    hl = matrix(np.zeros(m))
    for tol in (1e-10, 1e-9, 1e-8):
        solvers.options["abstol"] = solvers.options["reltol"] = solvers.options["feastol"] = tol
        try:
            sol = solvers.sdp(c, Gl=Gl, hl=hl, Gs=Gs, hs=hs_)
        except (ArithmeticError, ValueError):
            continue
        if sol["status"] == "optimal":
            F = [unembed(np.array(sol["zs"][q]), D) for q in range(S)]
            F = [(f + f.conj().T) / 2 for f in F]
            primal = float(np.sum([np.real(np.trace(C @ f)) for f in F]))
            return {"ssnr": -primal, "F": F, "tol": tol, "iterations": sol["iterations"]}
    raise RuntimeError("CVXOPT failed on the JSC SDP")


def extraction(H, F):
    """SDP_beam_extraction.m: w_u = F_u h_u / sqrt(h_u^H F_u h_u); w_s = sqrt(mu1) u1 of sum F - sum w w^H."""
    n = H.shape[1]
    D = L * M
    W = np.zeros((n + 1, D), complex)
    R = sum(F)
    for u in range(n):
        h = H[:, u, :].reshape(-1)
        w = F[u] @ h / np.sqrt(np.real(h.conj() @ F[u] @ h))
        W[u] = w
        R = R - np.outer(w, w.conj())
    ev, V = np.linalg.eigh((R + R.conj().T) / 2)
    W[n] = np.sqrt(max(ev[-1], 0)) * V[:, -1]
    ratios = [float(np.linalg.eigvalsh(f)[-1] / np.real(np.trace(f))) for f in F[:n]]
    return W.reshape(n + 1, L, M).transpose(1, 0, 2), ratios, float(np.real(np.trace(R)))


# ----------------------------------------------------------------------------- fixtures


def metrics_fixture(rng):
    out = []
    for layout, n in [("pos-1", 1), ("pos-1", 2), ("pos-2", 2), ("pos-1", 5), ("pos-2", 5), ("pos-2", 8)]:
        pos = positions(rng, layout, n)
        phi, H, A = channels(pos)
        W = rng.normal(size=(L, n + 1, M)) + 1j * rng.normal(size=(L, n + 1, M))
        for l in range(L):
            W[l] *= np.sqrt(P) / np.linalg.norm(W[l])
        s = sinr(H, W)
        out.append(
            {
                "layout": layout,
                "numUsers": n,
                "pos": [float(v) for v in pos.reshape(-1)],
                "phi": [float(v) for v in phi.reshape(-1)],
                "H": clist(H),
                "A": clist(A),
                "W": clist(W),
                "sinr": [float(v) for v in s],
                "minSinr": float(s.min()),
                "ssnr": float(ssnr(A, W)),
                "nullSpaceBeam": clist(null_space_beam(H, np.sqrt(C_SENS) * A, 0.5 * P)),
            }
        )
    return out


def benchmark_fixture(rng):
    out = []
    for layout, n in [("pos-1", 2), ("pos-2", 3), ("pos-1", 5)]:
        pos = positions(rng, layout, n)
        phi, H, A = channels(pos)
        rho = 0.5
        S = null_space_beam(H, A, (1 - rho) * P)
        t0 = time.perf_counter()
        gamma_high, steps = bisection(H, S, rho, 0.01, 60.0, 0.01)
        t_bis = time.perf_counter() - t0
        gamma_star, _ = bisection(H, S, rho, 0.01, 60.0, 1e-6)
        t0 = time.perf_counter()
        jsc = jsc_sdp(H, A, gamma_high)
        t_sdp = time.perf_counter() - t0
        W, ratios, tr_r = extraction(H, jsc["F"])
        s = sinr(H, W)
        out.append(
            {
                "layout": layout,
                "numUsers": n,
                "rho": rho,
                "pos": [float(v) for v in pos.reshape(-1)],
                "gammaHigh": gamma_high,
                "gammaStar": gamma_star,
                "steps": steps,
                "relaxedSsnr": jsc["ssnr"],
                "cvxoptTol": jsc["tol"],
                "rankOneRatios": ratios,
                "sensingCovarianceTrace": tr_r,
                "extracted": {"sinr": [float(v) for v in s], "minSinr": float(s.min()), "ssnr": float(ssnr(A, W)), "apPower": [float(np.sum(np.abs(W[l]) ** 2)) for l in range(L)]},
                "seconds": {"bisection": t_bis, "sdp": t_sdp},
            }
        )
        print(f"{layout} N={n}: gamma_high {gamma_high:.4f}, gamma* {gamma_star:.6f}, SSNR* {jsc['ssnr']:.6f}, extracted min-SINR {s.min():.6f} SSNR {ssnr(A, W):.6f}, {t_bis:.1f}+{t_sdp:.1f} s")
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "paper001")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20241225)
    meta = {"L": L, "M": M, "P": P, "sigmaN": SIGMA_N, "sigmaS": SIGMA_S, "sigmaA": SIGMA_A, "apPositions": AP.reshape(-1).tolist(), "generator": "scripts/ref/paper001_reference.py", "numpy": np.__version__}
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump({**meta, "instances": metrics_fixture(rng)}, f)
    with open(os.path.join(out_dir, "benchmark.json"), "w") as f:
        json.dump({**meta, "bisection": {"low": 0.01, "high": 60.0, "tol": 0.01}, "instances": benchmark_fixture(rng)}, f, indent=1)


if __name__ == "__main__":
    main()
