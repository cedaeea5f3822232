/**
 * The `primal-dual` policy's fallback design (remedy (a), docs/primal-dual.md §10.3): beampattern
 * matching (the paper's eq. (5), α = 1 on R̄: min_R Σ_l |d(θ_l) − P̄(θ_l)|², i.e. min L_r,1) restricted
 * to the target-beam family R = Σ_p q_p b_p b_pᴴ with b_p = √N a(θ̂_p) at the ESTIMATED angles, so
 * that diag(R) = (Σ_p q_p)·1 = (P_R/N)·1 holds exactly (problem.ts's stage-1 radar form):
 *   min_q (1/L) Σ_l (d_l − Σ_p q_p g_pl)²   s.t. q ≥ 0, Σ_p q_p = P_R/N,
 *   g_pl = s·|a(θ_l)ᴴ b_p|²  (s = the spec's scale P/P_R: P̄ = s·aᴴRa).
 * A least-squares problem on the simplex in P variables, solved exactly by enumerating the supports
 * (each an equality-constrained least squares through its KKT system) and keeping the best feasible
 * one — microseconds for P = 3, where problem.ts's bestSplit (min L_r incl. the O(L²) L_r,2 by golden
 * section) takes ≈ 0.3 s, too slow to run per decision.
 */
import { beampatternOfFactor, type BeampatternSpec } from '../../metrics/beampattern.ts';

/** g_pl [P, L]: the scaled pattern of beam p alone at unit weight. */
function beamPatterns(spec: BeampatternSpec, beams: Float64Array, P: number): Float64Array[] {
  const N = spec.numAnt;
  return Array.from({ length: P }, (_, p) => beampatternOfFactor(spec.A, N, beams.subarray(2 * p * N, 2 * (p + 1) * N), 1).map((v) => v * spec.scale));
}

/** Solves the dense n×n system A x = b in place (partial pivoting); false when singular. */
function solveInPlace(A: Float64Array, b: Float64Array, n: number): boolean {
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    if (!(Math.abs(A[piv * n + c]) > 1e-300)) return false;
    if (piv !== c) {
      for (let k = 0; k < n; k++) [A[c * n + k], A[piv * n + k]] = [A[piv * n + k], A[c * n + k]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / A[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= A[r * n + k] * b[k];
    b[r] = s / A[r * n + r];
  }
  return true;
}

/** L_r,1 of the split q with beam patterns g against the desired pattern d. */
export function splitPatternError(g: Float64Array[], d: Float64Array, q: ArrayLike<number>): number {
  let e = 0;
  for (let l = 0; l < d.length; l++) {
    let p = 0;
    for (let j = 0; j < g.length; j++) p += q[j] * g[j][l];
    e += (d[l] - p) ** 2;
  }
  return e / d.length;
}

/**
 * The least-L_r,1 split q [P] (W per beam, Σ = total) over `beams` [P, N] (unit-modulus b_p) for the
 * desired pattern of `spec` (its targets, width, grid and scale), and its L_r,1.
 */
export function patternMatchingSplit(spec: BeampatternSpec, beams: Float64Array, total: number): { q: Float64Array; patternError: number } {
  const P = beams.length / (2 * spec.numAnt);
  const g = beamPatterns(spec, beams, P);
  const d = spec.desired;
  const L = d.length;
  // Gram G = g gᵀ and r = g d (the normal equations of the unconstrained problem)
  const G = new Float64Array(P * P);
  const r = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    for (let l = 0; l < L; l++) r[i] += g[i][l] * d[l];
    for (let j = 0; j < P; j++) for (let l = 0; l < L; l++) G[i * P + j] += g[i][l] * g[j][l];
  }
  let best = { q: new Float64Array(P), patternError: Infinity };
  for (let mask = 1; mask < 1 << P; mask++) {
    const S = Array.from({ length: P }, (_, i) => i).filter((i) => mask & (1 << i));
    const n = S.length + 1;
    // [G_SS 1; 1ᵀ 0] [q_S; λ] = [r_S; total]
    const A = new Float64Array(n * n);
    const b = new Float64Array(n);
    S.forEach((i, a) => {
      S.forEach((j, c) => (A[a * n + c] = G[i * P + j]));
      A[a * n + n - 1] = 1;
      A[(n - 1) * n + a] = 1;
      b[a] = r[i];
    });
    b[n - 1] = total;
    if (!solveInPlace(A, b, n)) continue;
    if (S.some((_, a) => b[a] < -1e-15 * total)) continue;
    const q = new Float64Array(P);
    S.forEach((i, a) => (q[i] = Math.max(0, b[a])));
    const sum = q.reduce((x, y) => x + y, 0);
    for (let i = 0; i < P; i++) q[i] *= total / sum; // Σ q = total to rounding: diag(R) stays exact
    const e = splitPatternError(g, d, q);
    if (e < best.patternError) best = { q, patternError: e };
  }
  return best;
}
