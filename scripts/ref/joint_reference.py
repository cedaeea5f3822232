#!/usr/bin/env python3
"""Reference values for the joint-transmission precoders of src/solvers/joint.ts, in numpy.

  python3 scripts/ref/joint_reference.py [FIXTURE]     (any python3 with numpy; Debian: apt-get install python3-numpy)

draws one fixed small instance (M=3 APs, N=4 antennas, U=4 users, numpy seed below), writes it as
JSON to FIXTURE (default test/fixtures/joint-instance.json) and prints, for the cell-free pattern
(all ones) and one user-centric pattern, the SINRs and per-AP powers of: jtMrt, central ZF, central
RZF (alpha = 0.1, 'raw' and 'unit' columns), local ZF and local MMSE (all users known, delta =
sigma^2). test/solvers/joint.test.ts holds this output as constants and compares at 1e-9.

Conventions (same as joint.ts): H[m, u] = h_{m,u} in C^N; the received gain of stream j at user u
is G[u, j] = sum_m h_{m,u}^H w_{m,j}; SINR_u = |G_uu|^2 / (sum_{j != u} |G_uj|^2 + sigma^2).
Fixture: H as interleaved re/im floats in [m][u][n] order; serving as [m][u] 0/1 rows.
"""
import json
import os
import sys

import numpy as np

SEED = 20240601
M, N, U = 3, 4, 4
POWER = np.array([1.0, 0.5, 2.0])
NOISE = 0.1
ALPHA = 0.1
PATTERNS = {
    "cellFree": np.ones((M, U), dtype=int),
    # AP0 serves users 0,1,2; AP1 users 1,2,3; AP2 users 0,3 -> every serving set has 2 APs (8 >= 4 antennas).
    "userCentric": np.array([[1, 1, 1, 0], [0, 1, 1, 1], [1, 0, 0, 1]]),
}


def draw_channels():
    rng = np.random.default_rng(SEED)
    return (rng.standard_normal((M, U, N)) + 1j * rng.standard_normal((M, U, N))) / np.sqrt(2)


def sinr(H, W):
    G = np.einsum("mun,mjn->uj", H.conj(), W)
    p = np.abs(G) ** 2
    d = np.diag(p)
    return d / (p.sum(axis=1) - d + NOISE)


def powers(W):
    return np.sum(np.abs(W) ** 2, axis=(1, 2))


def mrt(H, S):
    W = np.zeros_like(H)
    for m in range(M):
        k = S[m].sum()
        for u in range(U):
            if S[m, u]:
                W[m, u] = np.sqrt(POWER[m] / k) * H[m, u] / np.linalg.norm(H[m, u])
    return W


def central(H, S, alpha, columns):
    W = np.zeros_like(H)
    for u in range(U):
        D = np.repeat(S[:, u], N).astype(float)  # mask over the stacked MN entries
        Hs = H.transpose(0, 2, 1).reshape(M * N, U) * D[:, None]  # column j = D_u h_j
        V = Hs @ np.linalg.inv(Hs.conj().T @ Hs + alpha * np.eye(U))
        v = V[:, u]
        if columns == "unit":
            v = v / np.linalg.norm(v)
        W[:, u, :] = v.reshape(M, N)
    c = min(np.sqrt(POWER[m] / powers(W)[m]) for m in range(M) if powers(W)[m] > 0)
    return c * W


def local_zf(H, S):
    W = np.zeros_like(H)
    for m in range(M):
        users = np.flatnonzero(S[m])
        Hm = H[m, users].T  # N x K
        V = Hm @ np.linalg.inv(Hm.conj().T @ Hm)
        for k, u in enumerate(users):
            W[m, u] = np.sqrt(POWER[m] / len(users)) * V[:, k] / np.linalg.norm(V[:, k])
    return W


def local_mmse(H, S):
    W = np.zeros_like(H)
    for m in range(M):
        users = np.flatnonzero(S[m])
        q = POWER[m] / len(users)
        Hall = H[m].T  # N x U, all users known
        C = q * Hall @ Hall.conj().T + NOISE * np.eye(N)
        for u in users:
            v = np.linalg.solve(C, H[m, u])
            W[m, u] = np.sqrt(q) * v / np.linalg.norm(v)
    return W


def to_list(a):
    return [float(x) for x in np.asarray(a).reshape(-1)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "joint-instance.json")
    H = draw_channels()
    inter = np.empty(2 * H.size)
    inter[0::2] = H.real.reshape(-1)
    inter[1::2] = H.imag.reshape(-1)
    fixture = {
        "source": f"scripts/ref/joint_reference.py (numpy seed {SEED})",
        "numAps": M,
        "numUsers": U,
        "numTxAnt": N,
        "H": to_list(inter),
        "powerW": to_list(POWER),
        "noiseW": NOISE,
        "alpha": ALPHA,
        "serving": {k: [int(x) for x in v.reshape(-1)] for k, v in PATTERNS.items()},
    }
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    ref = {}
    for name, S in PATTERNS.items():
        beams = {
            "mrt": mrt(H, S),
            "zf": central(H, S, 0.0, "raw"),
            "rzf": central(H, S, ALPHA, "raw"),
            "rzfUnit": central(H, S, ALPHA, "unit"),
            "localZf": local_zf(H, S),
            "localMmse": local_mmse(H, S),
        }
        ref[name] = {k: {"sinr": to_list(sinr(H, W)), "power": to_list(powers(W))} for k, W in beams.items()}
    print(json.dumps(ref, indent=1))


if __name__ == "__main__":
    main()
