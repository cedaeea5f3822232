#!/usr/bin/python3
"""Reference optima for the isac-twin SDP solver, computed with CVXOPT.

Run with Debian's python (apt-get install -y python3-cvxopt python3-numpy):

  /usr/bin/python3 scripts/ref/sdp_reference.py generate [OUT_DIR]
      writes random feasible SDPs + CVXOPT optima as JSON fixtures (default test/fixtures/sdp/).
  /usr/bin/python3 scripts/ref/sdp_reference.py time INSTANCE.json [REPEATS]
      solves an instance in the fixture format (e.g. dumped by `bench/sdp.ts --dump`) with CVXOPT
      and prints {"name", "ms", "iterations", "objective"} as JSON.

Fixture format (mirrors src/solvers/sdp/types.ts): blocks [{kind, size}], objective [{block,
matrix}], constraints [{terms: [{block, matrix}], sense, rhs}]; 'sym' matrices row-major n*n,
'herm' interleaved re/im 2*n*n, 'nonneg'/'free' vectors. `reference` holds CVXOPT's result.

Formulation handed to CVXOPT: our dual  max b'y s.t. C - sum_i y_i A_i in K*  is CVXOPT's primal
min c'x s.t. G x + s = h, A x = b with x = y, c = -b, h = C, G columns = A_i (PSD blocks as
'vec' columns, Hermitian blocks through the real embedding E(.)/2, nonneg rows and sign rows of
inequality multipliers in the 'l' cone, free entries as equalities). Its optimum is -p*.
The random instances are strictly primal and dual feasible by construction (X0 > 0, Z0 > 0),
so strong duality holds and p* = d*.
"""
import json
import os
import sys
import time

import numpy as np
from cvxopt import matrix, solvers

solvers.options["show_progress"] = False
solvers.options["maxiters"] = 200
# Tightest tolerance first; CVXOPT can break down (division by zero in its scaling update) when
# pushed too far on degenerate embeddings, so looser ones are tried in turn.
TOLERANCES = [float(os.environ["SDP_REF_TOL"])] if os.environ.get("SDP_REF_TOL") else (1e-11, 1e-10, 1e-9)


# ----------------------------------------------------------------------------- data layout


def sym_to_list(a):
    return [float(v) for v in np.asarray(a, dtype=float).reshape(-1)]


def herm_to_list(h):
    h = np.asarray(h, dtype=complex)
    out = np.empty(2 * h.size)
    out[0::2] = h.real.reshape(-1)
    out[1::2] = h.imag.reshape(-1)
    return [float(v) for v in out]


def list_to_herm(v, n):
    v = np.asarray(v, dtype=float)
    return (v[0::2] + 1j * v[1::2]).reshape(n, n)


def embed(h):
    """Real embedding [[Re, -Im], [Im, Re]] of a complex matrix."""
    return np.block([[h.real, -h.imag], [h.imag, h.real]])


# ----------------------------------------------------------------------------- CVXOPT model


def solve_with_cvxopt(inst):
    """Solves an instance in the fixture format; returns (p*, d*, status, iterations, seconds)."""
    blocks = inst["blocks"]
    cons = inst["constraints"]
    m = len(cons)

    def coeff(terms, k, spec):
        """Sum of the terms on block k, as a numpy array in the block's natural shape."""
        n = spec["size"]
        if spec["kind"] == "sym":
            acc = np.zeros((n, n))
        elif spec["kind"] == "herm":
            acc = np.zeros((n, n), dtype=complex)
        else:
            acc = np.zeros(n)
        for t in terms:
            if t["block"] != k:
                continue
            if spec["kind"] == "sym":
                acc = acc + np.asarray(t["matrix"]).reshape(n, n)
            elif spec["kind"] == "herm":
                acc = acc + list_to_herm(t["matrix"], n)
            else:
                acc = acc + np.asarray(t["matrix"])
        return acc

    gl_rows, hl = [], []
    gs, hs = [], []
    aeq_rows, beq = [], []
    for k, spec in enumerate(blocks):
        ck = coeff(inst["objective"], k, spec)
        aks = [coeff(con["terms"], k, spec) for con in cons]
        if spec["kind"] in ("sym", "herm"):
            if spec["kind"] == "herm":
                ck = embed(ck) / 2
                aks = [embed(a) / 2 for a in aks]
            dim = ck.shape[0]
            g = np.zeros((dim * dim, m))
            for i, a in enumerate(aks):
                g[:, i] = a.reshape(-1, order="F")
            gs.append(matrix(g))
            hs.append(matrix(np.asarray(ck, dtype=float)))
        elif spec["kind"] == "nonneg":
            for j in range(spec["size"]):
                gl_rows.append([a[j] for a in aks])
                hl.append(ck[j])
        else:  # free: C_j - sum_i y_i a_ij = 0
            for j in range(spec["size"]):
                aeq_rows.append([a[j] for a in aks])
                beq.append(ck[j])
    for i, con in enumerate(cons):
        sense = con.get("sense", "eq")
        if sense == "le":  # y_i <= 0
            row = [0.0] * m
            row[i] = 1.0
            gl_rows.append(row)
            hl.append(0.0)
        elif sense == "ge":  # y_i >= 0
            row = [0.0] * m
            row[i] = -1.0
            gl_rows.append(row)
            hl.append(0.0)
    b = np.array([con["rhs"] for con in cons], dtype=float)
    args = {"c": matrix(-b)}
    if gl_rows:
        args["Gl"] = matrix(np.array(gl_rows, dtype=float))
        args["hl"] = matrix(np.array(hl, dtype=float))
    if gs:
        args["Gs"] = gs
        args["hs"] = hs
    if aeq_rows:
        args["A"] = matrix(np.array(aeq_rows, dtype=float))
        args["b"] = matrix(np.array(beq, dtype=float))
    sol, seconds = None, 0.0
    for tol in TOLERANCES:
        solvers.options["abstol"] = solvers.options["reltol"] = solvers.options["feastol"] = tol
        try:
            start = time.perf_counter()
            sol = solvers.sdp(**args)
            seconds = time.perf_counter() - start
        except (ArithmeticError, ValueError):
            continue
        if sol["status"] in ("optimal", "primal infeasible", "dual infeasible"):
            break
    if sol is None:
        raise RuntimeError("CVXOPT failed at every tolerance")
    # CVXOPT reports 'dual infeasible' (our primal infeasible) or 'primal infeasible' (our dual
    # infeasible) with the corresponding objective set to None.
    p_star = None if sol["primal objective"] is None else -sol["primal objective"]
    d_star = None if sol["dual objective"] is None else -sol["dual objective"]
    return p_star, d_star, sol["status"], sol["iterations"], seconds, solvers.options["feastol"]


# ----------------------------------------------------------------------------- random instances


def random_instance(name, rng, specs, num_rows, senses, drop_prob):
    """A random SDP that is strictly primal and dual feasible by construction."""
    x0, z0 = [], []
    for spec in specs:
        n = spec["size"]
        if spec["kind"] == "sym":
            g = rng.standard_normal((n, n))
            x0.append(g @ g.T / n + 0.2 * np.eye(n))
            g = rng.standard_normal((n, n))
            z0.append(g @ g.T / n + 0.2 * np.eye(n))
        elif spec["kind"] == "herm":
            g = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
            x0.append(g @ g.conj().T / (2 * n) + 0.2 * np.eye(n))
            g = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
            z0.append(g @ g.conj().T / (2 * n) + 0.2 * np.eye(n))
        elif spec["kind"] == "nonneg":
            x0.append(rng.uniform(0.2, 1.5, n))
            z0.append(rng.uniform(0.2, 1.5, n))
        else:
            x0.append(rng.standard_normal(n))
            z0.append(np.zeros(n))

    def inner(spec, a, x):
        return float(np.real(np.vdot(a, x))) if spec["kind"] == "herm" else float(np.sum(a * x))

    constraints, a_all = [], []
    for i in range(num_rows):
        touched = [k for k in range(len(specs)) if rng.uniform() > drop_prob] or [int(rng.integers(len(specs)))]
        terms = []
        for k in touched:
            spec = specs[k]
            n = spec["size"]
            if spec["kind"] == "sym":
                g = rng.standard_normal((n, n))
                a = (g + g.T) / 2
            elif spec["kind"] == "herm":
                g = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
                a = (g + g.conj().T) / 2
            else:
                a = rng.standard_normal(n)
            terms.append((k, a))
        a_all.append(terms)
        ax = sum(inner(specs[k], a, x0[k]) for k, a in terms)
        sense = senses[i]
        slack = rng.uniform(0.1, 1.0) if sense != "eq" else 0.0
        rhs = ax + slack if sense == "le" else ax - slack if sense == "ge" else ax
        constraints.append({"sense": sense, "rhs": rhs, "terms": terms})

    y0 = rng.standard_normal(num_rows)
    for i, sense in enumerate(senses):
        if sense == "le":
            y0[i] = -abs(y0[i]) - 0.1
        elif sense == "ge":
            y0[i] = abs(y0[i]) + 0.1
    c_blocks = [z.astype(complex) if s["kind"] == "herm" else z.astype(float) for s, z in zip(specs, z0)]
    for i, terms in enumerate(a_all):
        for k, a in terms:
            c_blocks[k] = c_blocks[k] + y0[i] * a

    def to_list(spec, a):
        return herm_to_list(a) if spec["kind"] == "herm" else sym_to_list(a)

    inst = {
        "name": name,
        "blocks": specs,
        "objective": [{"block": k, "matrix": to_list(s, c)} for k, (s, c) in enumerate(zip(specs, c_blocks))],
        "constraints": [
            {
                "sense": con["sense"],
                "rhs": float(con["rhs"]),
                "terms": [{"block": k, "matrix": to_list(specs[k], a)} for k, a in con["terms"]],
            }
            for con in constraints
        ],
    }
    p_star, d_star, status, iters, seconds, tol = solve_with_cvxopt(inst)
    inst["reference"] = {
        "solver": "cvxopt " + __import__("cvxopt").__version__,
        "tolerance": tol,
        "status": status,
        "primalObjective": p_star,
        "dualObjective": d_star,
        "iterations": iters,
    }
    return inst


FIXTURES = [
    # name, seed, blocks, number of rows, senses, probability that a row skips a block
    ("mixed_small", 11, [("sym", 4), ("herm", 3), ("nonneg", 3)], 6, "eeeeee", 0.0),
    ("mixed_ineq", 12, [("sym", 6), ("herm", 4), ("nonneg", 2), ("free", 2)], 10, "eeeeelllgg", 0.3),
    ("herm_two_blocks", 13, [("herm", 8), ("herm", 5)], 12, "eeeeeeeeeell", 0.2),
    ("mixed_medium", 14, [("sym", 10), ("herm", 6), ("sym", 3), ("nonneg", 5)], 30, "e" * 24 + "l" * 3 + "g" * 3, 0.4),
]


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    sense_of = {"e": "eq", "l": "le", "g": "ge"}
    for name, seed, blocks, rows, senses, drop in FIXTURES:
        rng = np.random.default_rng(seed)
        specs = [{"kind": k, "size": n} for k, n in blocks]
        inst = random_instance(name, rng, specs, rows, [sense_of[s] for s in senses], drop)
        inst["seed"] = seed
        path = os.path.join(out_dir, name + ".json")
        with open(path, "w") as fh:
            json.dump(inst, fh)
        ref = inst["reference"]
        print(f"{path}: {ref['status']} p*={ref['primalObjective']:.12g} d*={ref['dualObjective']:.12g}")


def time_instance(path, repeats):
    with open(path) as fh:
        inst = json.load(fh)
    best = None
    for _ in range(repeats):
        p_star, d_star, status, iters, seconds, tol = solve_with_cvxopt(inst)
        best = seconds if best is None else min(best, seconds)
    print(json.dumps({
        "name": inst.get("name", os.path.basename(path)),
        "status": status,
        "ms": best * 1000,
        "iterations": iters,
        "tolerance": tol,
        "objective": p_star,
        "dualObjective": d_star,
    }))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "generate":
        generate(sys.argv[2] if len(sys.argv) > 2 else os.path.join("test", "fixtures", "sdp"))
    elif len(sys.argv) >= 3 and sys.argv[1] == "time":
        time_instance(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        print(__doc__)
        sys.exit(2)
