/**
 * The "CVX-based" joint sensing–communication beamformer of Demirhan & Alkhateeb (paper 001's
 * ref. [28]; paper 001 eqs. 8–9; reading notes §5 B1), on src/solvers/sdp:
 *
 *  Step A — bisection of (8), "NS+OPT" (or "CB+OPT" with conjugate sensing beams):
 *     the sensing beam of AP l is fixed, w_ls = √((1−ρ)P_l) Π_l^⊥g_l / ‖Π_l^⊥g_l‖ with Π_l^⊥ the
 *     projector onto the null space of AP l's user channels H_l = [h_l1 … h_lN] (so h_nᴴw_s = 0);
 *     find the largest γ for which some communication beams meet SINR_n ≥ γ ∀n with
 *     Σ_n ‖w_ln‖² ≤ ρP_l ∀l, by bisection on [low, high] to `tol` ([28]'s code: [0.01, 60], 0.01;
 *     γ_high = the last feasible midpoint, exactly as its bisection_SINR.m).
 *  Step B — the SDP relaxation of (9), "JSC": with F_q ⪰ 0 (q = 1…N+1, one sensing stream)
 *     maximise   Σ_q Σ_l g_lᴴ [F_q]_ll g_l                       (SSNR of eq. 6, g_l = √c a(θ_l))
 *     s.t.       (1/γ_high) h_nᴴF_nh_n − Σ_{q≠n} h_nᴴF_qh_n ≥ σ²  ∀n
 *                Σ_q tr [F_q]_ll ≤ P_l (the full budget)          ∀l
 *     and the beams of [28]'s SDP_beam_extraction.m: w_n = F_nh_n / √(h_nᴴF_nh_n), w_s = √μ₁u₁ the
 *     principal eigenpair of Σ_q F_q − Σ_n w_nw_nᴴ.
 *
 * Each feasibility test of step A is the SDP relaxation of (8) in its power-scaling form:
 *     t*(γ) = min t  s.t.  (1/γ) h_nᴴF_nh_n − Σ_{n'≠n} h_nᴴF_n'h_n ≥ σ² + |h_nᴴw_s|²,
 *                          Σ_n tr [F_n]_ll ≤ t ρP_l,   F_n ⪰ 0,
 * and γ is feasible iff t* ≤ 1 (an optimisation with an optimum, not a bare feasibility problem,
 * which an interior-point method cannot certify near the boundary where bisection lives). The
 * relaxation is exact: a separable SDP with K blocks and m rows has a solution with
 * Σ_k rank(F_k)² ≤ m (Huang & Palomar 2010); step A has N matrix blocks and t with N + L rows,
 * step B N+1 blocks and N + L rows, so for L ≤ 2 a rank-one solution exists in both. The tests
 * hold γ_high to CVXOPT's bisection on [28]'s own SOCP (scripts/ref/paper001_benchmark.py).
 *
 * Exact reduction (faster SDPs, same optimum): a component of w_lq orthogonal to
 * V_l = span{h_l1 … h_lN} (step A) or span{h_l1 … h_lN, g_l} (step B) changes no SINR and no SSNR
 * but spends AP l's power, so an optimum lives in V_l; with an orthonormal basis U_l of V_l the
 * variables become F̃_q of size Σ_l dim V_l (≤ L·(N+1) instead of L·M: 18 instead of 32 at N = 8),
 * with h̃_ln = U_lᴴh_ln, g̃_l = U_lᴴg_l and w_lq = U_l c_lq. `reduce: false` solves the full size.
 *
 * Beams use the twin's layout (Beamformers, W_l rows = users in order, then the sensing row), on a
 * cell-free Topology whose every AP carries every user's stream and one sensing stream; the value
 * of any beam set is metrics/isac.ts. Pure: no clock, no randomness, no I/O.
 */
import { czeros, type CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { commSinrInto, sensingSinrInto, type SensingChannels } from '../metrics/isac.ts';
import {
  hermitianOuter,
  principalEigenvector,
  solveSdp,
  type BlockTerm,
  type SdpConstraint,
  type SdpOptions,
  type SdpProblem,
  type SdpStatus,
} from './sdp/index.ts';

/** One instance: the network (rows, budgets P_l, σ²), channels H [L, N, M], multistatic g_l of one target. */
export interface JscProblem {
  topo: Topology;
  /** [numBs, numUsers, numTxAnt] complex h_ln. */
  H: CArray;
  /** Multistatic equivalent channels g_l = √c a(θ_l) of target 0 (metrics/isac.ts multistaticSensingInto). */
  sens: SensingChannels;
}

export type SensingBeamKind = 'null-space' | 'conjugate';

export interface BisectionOptions {
  /** ρ, the communication share of every AP's budget (paper: 0.5). */
  rho: number;
  /** Bisection interval and tolerance ([28]'s code: 0.01, 60, 0.01). */
  low?: number;
  high?: number;
  tol?: number;
  /** The fixed sensing beam: 'null-space' (NS+OPT, the benchmark) or 'conjugate' (CB+OPT). Default null-space. */
  sensing?: SensingBeamKind;
  /** Solve in the exact reduced subspace (default true). */
  reduce?: boolean;
  /**
   * Skip the SDP of a midpoint already known feasible (default true): every solved step yields
   * beams within ρP_l (its rank-one solution scaled to the budget) whose min-SINR, evaluated by
   * the twin's metrics, certifies every γ up to it. The decisions, hence γ_high, are the same as
   * solving every step; only solves are saved.
   */
  skipImplied?: boolean;
  sdp?: SdpOptions;
}

export interface BisectionStep {
  gamma: number;
  /** t*(γ): the fraction of ρP_l the cheapest beams meeting γ need (NaN when the SDP failed). */
  t: number;
  feasible: boolean;
  /** The SDP's status, or 'implied' when an earlier step's beams certified γ (no solve). */
  status: SdpStatus | 'implied';
  iterations: number;
}

export interface BisectionResult {
  /** γ_high: the last feasible midpoint; null when no midpoint was feasible. */
  gammaHigh: number | null;
  /** The bracket at the end ([low, high] with high − low ≤ tol). */
  bracket: [number, number];
  steps: BisectionStep[];
  /**
   * NS+OPT (CB+OPT) beams: of every solved step's principal-eigenvector beams scaled by 1/√t* (the
   * most loaded AP at exactly ρP_l, every SINR up), the set with the highest min-SINR (≥ γ_high),
   * plus the fixed sensing beams. Null when gammaHigh is null.
   */
  W: Beamformers | null;
  /** Smallest λ₁/tr F_n of the SDP that gave W (1: exactly rank one). */
  minRankOneRatio: number;
  /** Interior-point iterations over every step. */
  iterations: number;
  /** SDPs solved (≤ steps.length). */
  solves: number;
}

export interface JscOptions {
  reduce?: boolean;
  sdp?: SdpOptions;
}

export interface JscResult {
  status: SdpStatus;
  /** The relaxation's optimum: SSNR of (9) at γ (NaN unless optimal). */
  relaxedSsnr: number;
  /** The extracted beams (null unless optimal). */
  W: Beamformers | null;
  /**
   * [N+1] λ₁/tr of F_1 … F_N and of the sensing covariance R = Σ_q F_q − Σ_n w_nw_nᴴ (1 when
   * tr R ≤ 1e-9 Σ_l P_l: no sensing power at all, the users' beams doing the sensing).
   */
  rankOneRatios: Float64Array;
  /** tr R: the power the relaxation leaves to the dedicated sensing beam (W, all APs). */
  sensingPowerW: number;
  iterations: number;
}

export interface BenchmarkOptions extends BisectionOptions {
  /** Options of step B (default: those of step A). */
  jsc?: JscOptions;
}

export interface BenchmarkResult {
  bisection: BisectionResult;
  /** Step B at γ_high; null when the bisection found no feasible γ. */
  jsc: JscResult | null;
  /** The benchmark's beams: JSC's when it succeeded, else null. */
  W: Beamformers | null;
}

/** [28]'s bisection settings (sim_params.m). */
export const BISECTION_DEFAULTS = Object.freeze({ low: 0.01, high: 60, tol: 0.01 });

// ------------------------------------------------------------------------- checks and sizes

interface Dims {
  L: number;
  N: number;
  M: number;
}

function dimsOf(p: JscProblem): Dims {
  const { topo } = p;
  const L = topo.numBs;
  const N = topo.numUsers;
  const M = topo.numTxAnt;
  const bad = (what: string) => {
    throw new RangeError(`JscProblem: ${what}`);
  };
  if (p.sens.geometry !== 'multistatic') bad(`needs multistatic sensing (paper 001 eq. 6), got ${p.sens.geometry}`);
  if (topo.numTargets !== 1) bad(`needs exactly one target, got ${topo.numTargets}`);
  if (p.H.length !== 2 * L * N * M) bad(`H has ${p.H.length} floats, expected 2·L·N·M = ${2 * L * N * M}`);
  if (p.sens.g.length < 2 * L * M) bad(`sens.g has ${p.sens.g.length} floats, expected 2·L·M = ${2 * L * M}`);
  for (let l = 0; l < L; l++) {
    const rows = topo.apStreams[l];
    const ok = rows.length === N + 1 && rows.every((s, r) => s === r);
    if (!ok) bad(`AP ${l} must carry every user's stream in order and one sensing stream (rows 0…${N}), got [${Array.from(rows)}]`);
  }
  return { L, N, M };
}

// ------------------------------------------------------------------------- small complex helpers

/** uᴴv over n complex elements (element offsets). */
function dotH(u: CArray, uo: number, v: CArray, vo: number, n: number, out: Float64Array): void {
  let re = 0;
  let im = 0;
  for (let k = 0; k < n; k++) {
    const ar = u[2 * (uo + k)];
    const ai = u[2 * (uo + k) + 1];
    const br = v[2 * (vo + k)];
    const bi = v[2 * (vo + k) + 1];
    re += ar * br + ai * bi;
    im += ar * bi - ai * br;
  }
  out[0] = re;
  out[1] = im;
}

/**
 * Orthonormal basis (columns, stored as rows [d, M]) of the span of `vectors` (each an M-vector at
 * an element offset of `src`) by modified Gram–Schmidt, run twice; a vector whose residual is
 * below `relTol` of its norm adds nothing.
 */
export function orthonormalBasis(src: CArray, offsets: number[], M: number, relTol = 1e-9): CArray {
  const basis: CArray[] = [];
  const ip = new Float64Array(2);
  for (const off of offsets) {
    const v = src.slice(2 * off, 2 * (off + M));
    let n0 = 0;
    for (const x of v) n0 += x * x;
    if (n0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        dotH(b, 0, v, 0, M, ip); // bᴴv
        for (let k = 0; k < M; k++) {
          v[2 * k] -= ip[0] * b[2 * k] - ip[1] * b[2 * k + 1];
          v[2 * k + 1] -= ip[0] * b[2 * k + 1] + ip[1] * b[2 * k];
        }
      }
    }
    let n1 = 0;
    for (const x of v) n1 += x * x;
    if (n1 <= relTol * relTol * n0) continue;
    const s = 1 / Math.sqrt(n1);
    for (let k = 0; k < v.length; k++) v[k] *= s;
    basis.push(v);
  }
  const out = czeros(basis.length * M);
  basis.forEach((b, i) => out.set(b, 2 * i * M));
  return out;
}

/** The variables' coordinates: per AP an orthonormal basis U_l [d_l, M] (or the identity), offsets into the stacked D. */
interface Subspace {
  /** Per AP: basis rows [d_l, M], or null for the identity (full size). */
  bases: (CArray | null)[];
  dims: number[];
  offsets: number[];
  /** D = Σ d_l. */
  size: number;
}

function subspaceOf(p: JscProblem, d: Dims, withSensing: boolean, reduce: boolean): Subspace {
  const { L, N, M } = d;
  const bases: (CArray | null)[] = [];
  const dims: number[] = [];
  const offsets: number[] = [];
  let size = 0;
  for (let l = 0; l < L; l++) {
    let U: CArray | null = null;
    let dl = M;
    if (reduce) {
      const offs = Array.from({ length: N }, (_, n) => (l * N + n) * M);
      if (withSensing) {
        // g_l appended to H's vectors: one array, offsets past H
        const src = new Float64Array(p.H.length + 2 * M);
        src.set(p.H);
        src.set(p.sens.g.subarray(2 * l * M, 2 * (l + 1) * M), p.H.length);
        U = orthonormalBasis(src, [...offs, L * N * M], M);
      } else {
        U = orthonormalBasis(p.H, offs, M);
      }
      dl = U.length / (2 * M);
    }
    bases.push(U);
    dims.push(dl);
    offsets.push(size);
    size += dl;
  }
  return { bases, dims, offsets, size };
}

/** Stacked reduced coordinates [D] of the per-AP vectors v_l (v at element offset vOff(l) of src). */
function reduceStacked(sub: Subspace, M: number, src: CArray, vOff: (l: number) => number): CArray {
  const out = czeros(sub.size);
  const ip = new Float64Array(2);
  sub.bases.forEach((U, l) => {
    const o = sub.offsets[l];
    if (!U) {
      out.set(src.subarray(2 * vOff(l), 2 * (vOff(l) + M)), 2 * o);
      return;
    }
    for (let i = 0; i < sub.dims[l]; i++) {
      dotH(U, i * M, src, vOff(l), M, ip); // (U_lᴴ v)_i
      out[2 * (o + i)] = ip[0];
      out[2 * (o + i) + 1] = ip[1];
    }
  });
  return out;
}

/** w_l = U_l c_l for every AP: stacked coordinates [D] (from element offset co) → per-AP M-vectors written into rows of W. */
function expandInto(sub: Subspace, M: number, c: CArray, co: number, W: Beamformers, row: number, scale = 1): void {
  sub.bases.forEach((U, l) => {
    const o = co + sub.offsets[l];
    const out = W[l];
    const base = 2 * row * M;
    if (!U) {
      for (let k = 0; k < 2 * M; k++) out[base + k] = scale * c[2 * o + k];
      return;
    }
    for (let k = 0; k < M; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < sub.dims[l]; i++) {
        const ur = U[2 * (i * M + k)];
        const ui = U[2 * (i * M + k) + 1];
        const cr = c[2 * (o + i)];
        const ci = c[2 * (o + i) + 1];
        re += ur * cr - ui * ci;
        im += ur * ci + ui * cr;
      }
      out[base + 2 * k] = scale * re;
      out[base + 2 * k + 1] = scale * im;
    }
  });
}

/** Hermitian D×D selector of AP l's coordinates (⟨E_l, F⟩ = tr [F]_ll). */
function apSelector(sub: Subspace, l: number): Float64Array {
  const D = sub.size;
  const e = new Float64Array(2 * D * D);
  for (let i = 0; i < sub.dims[l]; i++) {
    const r = sub.offsets[l] + i;
    e[2 * (r * D + r)] = 1;
  }
  return e;
}

function scaled(m: Float64Array, s: number): Float64Array {
  const out = new Float64Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = s * m[i];
  return out;
}

// ------------------------------------------------------------------------- sensing beams

/**
 * The fixed sensing beams of step A, [L, M]: 'null-space' √((1−ρ)P_l) Π_l^⊥g_l/‖Π_l^⊥g_l‖ ([28]'s
 * beam_nulling.m; needs N < M), 'conjugate' √((1−ρ)P_l) g_l/‖g_l‖. A zero projection gives a zero beam.
 */
export function fixedSensingBeams(p: JscProblem, rho: number, kind: SensingBeamKind = 'null-space'): CArray {
  const { L, N, M } = dimsOf(p);
  const out = czeros(L * M);
  const ip = new Float64Array(2);
  for (let l = 0; l < L; l++) {
    const v = p.sens.g.slice(2 * l * M, 2 * (l + 1) * M);
    if (kind === 'null-space') {
      const U = orthonormalBasis(p.H, Array.from({ length: N }, (_, n) => (l * N + n) * M), M);
      const d = U.length / (2 * M);
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < d; i++) {
          dotH(U, i * M, v, 0, M, ip);
          for (let k = 0; k < M; k++) {
            v[2 * k] -= ip[0] * U[2 * (i * M + k)] - ip[1] * U[2 * (i * M + k) + 1];
            v[2 * k + 1] -= ip[0] * U[2 * (i * M + k) + 1] + ip[1] * U[2 * (i * M + k)];
          }
        }
      }
    }
    let n2 = 0;
    for (const x of v) n2 += x * x;
    if (n2 === 0) continue;
    const s = Math.sqrt(((1 - rho) * p.topo.powerW[l]) / n2);
    for (let k = 0; k < 2 * M; k++) out[2 * l * M + k] = s * v[k];
  }
  return out;
}

// ------------------------------------------------------------------------- step A

interface PowerMinSolution {
  status: SdpStatus;
  t: number;
  /** [N] Hermitian D×D (when optimal). */
  F: Float64Array[];
  iterations: number;
}

/** The SDP of step A at γ: min t s.t. the SINR rows and Σ_n tr[F_n]_ll ≤ t ρP_l. */
function powerMinSdp(p: JscProblem, d: Dims, sub: Subspace, Ht: CArray[], extra: Float64Array, gamma: number, rho: number, sdp: SdpOptions | undefined): PowerMinSolution {
  const { L, N } = d;
  const D = sub.size;
  const noise = p.topo.noiseCommW;
  const blocks: SdpProblem['blocks'] = [...Array.from({ length: N }, () => ({ kind: 'herm' as const, size: D })), { kind: 'nonneg', size: 1 }];
  const constraints: SdpConstraint[] = [];
  for (let n = 0; n < N; n++) {
    // rows divided by σ² (data O(1) for O(1) SNRs; the solver rescales rows anyway)
    const Q = hermitianOuter(Ht[n], D);
    const terms: BlockTerm[] = [];
    for (let q = 0; q < N; q++) terms.push({ block: q, matrix: scaled(Q, (q === n ? 1 / gamma : -1) / noise) });
    constraints.push({ terms, sense: 'ge', rhs: 1 + extra[n] / noise });
  }
  for (let l = 0; l < L; l++) {
    const E = apSelector(sub, l);
    const terms: BlockTerm[] = Array.from({ length: N }, (_, q) => ({ block: q, matrix: E }));
    terms.push({ block: N, matrix: Float64Array.of(-rho * p.topo.powerW[l]) });
    constraints.push({ terms, sense: 'le', rhs: 0 });
  }
  const sol = solveSdp({ blocks, objective: [{ block: N, matrix: Float64Array.of(1) }], constraints }, sdp);
  return { status: sol.status, t: sol.status === 'optimal' ? sol.X[N][0] : NaN, F: sol.X.slice(0, N), iterations: sol.iterations };
}

/**
 * Step A: bisection of (8) with the fixed sensing beams (null space by default), exactly as [28]'s
 * bisection_SINR.m: while high − low > tol, test the midpoint; feasible raises low (and records γ),
 * infeasible lowers high. An SDP that does not end optimal counts as infeasible (recorded).
 */
export function bisectMaxMinSinr(p: JscProblem, o: BisectionOptions): BisectionResult {
  const d = dimsOf(p);
  const { L, N, M } = d;
  const rho = o.rho;
  if (!(rho > 0 && rho <= 1)) throw new RangeError(`bisection: rho must be in (0, 1], got ${rho}`);
  let low = o.low ?? BISECTION_DEFAULTS.low;
  let high = o.high ?? BISECTION_DEFAULTS.high;
  const tol = o.tol ?? BISECTION_DEFAULTS.tol;
  if (!(low > 0 && high > low && tol > 0)) throw new RangeError(`bisection: need 0 < low < high and tol > 0, got [${low}, ${high}], tol ${tol}`);
  const sub = subspaceOf(p, d, false, o.reduce !== false);
  const Ht = Array.from({ length: N }, (_, n) => reduceStacked(sub, M, p.H, (l) => (l * N + n) * M));
  const S = fixedSensingBeams(p, rho, o.sensing ?? 'null-space');
  // |h_nᴴ w_s|²: the fixed sensing beams' interference (≈ 0 in the null space)
  const extra = new Float64Array(N);
  const ip = new Float64Array(2);
  for (let n = 0; n < N; n++) {
    let re = 0;
    let im = 0;
    for (let l = 0; l < L; l++) {
      dotH(p.H, (l * N + n) * M, S, l * M, M, ip);
      re += ip[0];
      im += ip[1];
    }
    extra[n] = re * re + im * im;
  }
  const steps: BisectionStep[] = [];
  // the best certified beams so far: min-SINR `known` within ρP_l (the twin's metrics)
  let known = 0;
  let bestW: Beamformers | null = null;
  let bestRatio = NaN;
  let gammaHigh: number | null = null;
  let iterations = 0;
  let solves = 0;
  const skip = o.skipImplied !== false;
  while (high - low > tol) {
    const mid = (high + low) / 2;
    let feasible: boolean;
    if (skip && bestW && mid <= known) {
      feasible = true;
      steps.push({ gamma: mid, t: NaN, feasible, status: 'implied', iterations: 0 });
    } else {
      const sol = powerMinSdp(p, d, sub, Ht, extra, mid, rho, o.sdp);
      iterations += sol.iterations;
      solves++;
      feasible = sol.status === 'optimal' && sol.t <= 1;
      steps.push({ gamma: mid, t: sol.t, feasible, status: sol.status, iterations: sol.iterations });
      if (sol.status === 'optimal') {
        // principal eigenvectors of F_n scaled by 1/√t* (the most loaded AP at ρP_l), plus the sensing beams
        const W: Beamformers = Array.from({ length: L }, () => czeros((N + 1) * M));
        const scale = 1 / Math.sqrt(Math.max(sol.t, 1e-300));
        let ratio = 1;
        for (let n = 0; n < N; n++) {
          const ext = principalEigenvector(sol.F[n], sub.size);
          ratio = Math.min(ratio, ext.rankOneRatio);
          expandInto(sub, M, ext.beamformer, 0, W, n, scale);
        }
        for (let l = 0; l < L; l++) W[l].set(S.subarray(2 * l * M, 2 * (l + 1) * M), 2 * N * M);
        const v = jscValue(p, W).minSinr;
        if (v > known || bestW === null) {
          known = v;
          bestW = W;
          bestRatio = ratio;
        }
      }
    }
    if (feasible) {
      low = mid;
      gammaHigh = mid;
    } else high = mid;
  }
  if (gammaHigh === null) return { gammaHigh: null, bracket: [low, high], steps, W: null, minRankOneRatio: NaN, iterations, solves };
  return { gammaHigh, bracket: [low, high], steps, W: bestW, minRankOneRatio: bestRatio, iterations, solves };
}

// ------------------------------------------------------------------------- step B

/** Step B: the SDP relaxation (9) at γ with the full budgets, and [28]'s beam extraction. */
export function jscSdp(p: JscProblem, gamma: number, o: JscOptions = {}): JscResult {
  const d = dimsOf(p);
  const { L, N, M } = d;
  if (!(gamma > 0)) throw new RangeError(`jscSdp: gamma must be positive, got ${gamma}`);
  const sub = subspaceOf(p, d, true, o.reduce !== false);
  const D = sub.size;
  const S = N + 1;
  const Ht = Array.from({ length: N }, (_, n) => reduceStacked(sub, M, p.H, (l) => (l * N + n) * M));
  // objective matrix blkdiag(g̃_1 g̃_1ᴴ, …, g̃_L g̃_Lᴴ): ⟨G, F_q⟩ = Σ_l g_lᴴ[F_q]_ll g_l
  const Gobj = new Float64Array(2 * D * D);
  const gStacked = reduceStacked(sub, M, p.sens.g, (l) => l * M);
  for (let l = 0; l < L; l++) {
    const gl = czeros(D); // g̃_l on AP l's coordinates, zero elsewhere
    for (let i = 0; i < sub.dims[l]; i++) {
      gl[2 * (sub.offsets[l] + i)] = gStacked[2 * (sub.offsets[l] + i)];
      gl[2 * (sub.offsets[l] + i) + 1] = gStacked[2 * (sub.offsets[l] + i) + 1];
    }
    const outer = hermitianOuter(gl, D);
    for (let i = 0; i < outer.length; i++) Gobj[i] += outer[i];
  }
  const negG = scaled(Gobj, -1);
  const noise = p.topo.noiseCommW;
  const constraints: SdpConstraint[] = [];
  for (let n = 0; n < N; n++) {
    const Q = hermitianOuter(Ht[n], D);
    const terms: BlockTerm[] = [];
    for (let q = 0; q < S; q++) terms.push({ block: q, matrix: scaled(Q, (q === n ? 1 / gamma : -1) / noise) });
    constraints.push({ terms, sense: 'ge', rhs: 1 });
  }
  for (let l = 0; l < L; l++) {
    const E = apSelector(sub, l);
    constraints.push({ terms: Array.from({ length: S }, (_, q) => ({ block: q, matrix: E })), sense: 'le', rhs: p.topo.powerW[l] });
  }
  const sol = solveSdp(
    {
      blocks: Array.from({ length: S }, () => ({ kind: 'herm' as const, size: D })),
      objective: Array.from({ length: S }, (_, q) => ({ block: q, matrix: negG })),
      constraints,
    },
    o.sdp,
  );
  const rankOneRatios = new Float64Array(S).fill(NaN);
  if (sol.status !== 'optimal') return { status: sol.status, relaxedSsnr: NaN, W: null, rankOneRatios, sensingPowerW: NaN, iterations: sol.iterations };
  // extraction ([28] SDP_beam_extraction.m), in reduced coordinates
  const W: Beamformers = Array.from({ length: L }, () => czeros(S * M));
  const R = new Float64Array(2 * D * D); // Σ_q F_q − Σ_n w_n w_nᴴ
  for (let q = 0; q < S; q++) for (let i = 0; i < R.length; i++) R[i] += sol.X[q][i];
  for (let n = 0; n < N; n++) {
    const F = sol.X[n];
    const h = Ht[n];
    const Fh = czeros(D); // F_n h̃_n
    for (let r = 0; r < D; r++) {
      let re = 0;
      let im = 0;
      for (let c = 0; c < D; c++) {
        const fr = F[2 * (r * D + c)];
        const fi = F[2 * (r * D + c) + 1];
        re += fr * h[2 * c] - fi * h[2 * c + 1];
        im += fr * h[2 * c + 1] + fi * h[2 * c];
      }
      Fh[2 * r] = re;
      Fh[2 * r + 1] = im;
    }
    let quad = 0; // h̃ᴴ F h̃ (real)
    for (let r = 0; r < D; r++) quad += h[2 * r] * Fh[2 * r] + h[2 * r + 1] * Fh[2 * r + 1];
    const w = scaled(Fh, 1 / Math.sqrt(Math.max(quad, 1e-300)));
    const ww = hermitianOuter(w, D);
    for (let i = 0; i < R.length; i++) R[i] -= ww[i];
    rankOneRatios[n] = principalEigenvector(F, D).rankOneRatio;
    expandInto(sub, M, w, 0, W, n);
  }
  const sensing = principalEigenvector(R, D);
  let trR = 0;
  for (let r = 0; r < D; r++) trR += R[2 * (r * D + r)];
  let budget = 0;
  for (const P of p.topo.powerW) budget += P;
  rankOneRatios[N] = trR <= 1e-9 * budget ? 1 : sensing.rankOneRatio;
  expandInto(sub, M, sensing.value > 0 ? sensing.beamformer : czeros(D), 0, W, N);
  return { status: 'optimal', relaxedSsnr: -sol.primalObjective, W, rankOneRatios, sensingPowerW: trR, iterations: sol.iterations };
}

/** The benchmark: step A (bisection, NS+OPT) then step B (JSC SDP at γ_high). */
export function jscBenchmark(p: JscProblem, o: BenchmarkOptions): BenchmarkResult {
  const bisection = bisectMaxMinSinr(p, o);
  if (bisection.gammaHigh === null) return { bisection, jsc: null, W: null };
  const jsc = jscSdp(p, bisection.gammaHigh, o.jsc ?? { reduce: o.reduce, sdp: o.sdp });
  return { bisection, jsc, W: jsc.W };
}

// ------------------------------------------------------------------------- value of beams

/** SINR_n (eq. 2) and the SSNR (eq. 6) of beams, by the twin's metrics. */
export function jscValue(p: JscProblem, W: Beamformers): { sinr: Float64Array; minSinr: number; ssnr: number; apPowerW: Float64Array } {
  dimsOf(p);
  const sinr = new Float64Array(p.topo.numUsers);
  commSinrInto(sinr, p.topo, p.H, W);
  const snr = new Float64Array(1);
  sensingSinrInto(snr, p.topo, p.sens, W);
  let minSinr = Infinity;
  for (const s of sinr) minSinr = Math.min(minSinr, s);
  const apPowerW = Float64Array.from(W, (Wl) => {
    let s = 0;
    for (const x of Wl) s += x * x;
    return s;
  });
  return { sinr, minSinr, ssnr: snr[0], apPowerW };
}
