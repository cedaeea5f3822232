/**
 * Coordinated multi-cell beamforming for localisation (paper 003, Sec. III) and its baselines, as
 * semidefinite programs solved by src/solvers/sdp:
 *
 *   crlb         min Σ_t C_{x,y}(t)  s.t. tr Σ_k F_mk ≤ P_m, SINR_u ≥ Γ, F ⪰ 0        relaxation (21)
 *                (per target t two 3×3 Schur LMIs [[Λ Z Λᵀ, e_i], [e_iᵀ, μ_i]] ⪰ 0, objective Σ μ)
 *   beampattern  min Σ_m mean_θ (α_m d_m(θ) − aᴴ(θ) R_m a(θ))²  s.t. the same constraints,
 *                R_m = Σ_k F_mk, α_m ≥ 0 (paper 003's ref. [7], Liu et al. 2020, with only the
 *                communication streams and a per-BS sum power): d_m = 1 within ±mainLobe/2 of every
 *                target's angle from BS m, 0 elsewhere, on a grid over [−90°, 90°]
 *   radar-only   min Σ_t C_{x,y}(t) with no SINR constraint
 *
 * SINR_u = |h_{b,u}ᴴ f_{b,k}|² / (Σ_{(m,j)≠(b,k)} |h_{m,u}ᴴ f_{m,j}|² + σ²) (eq. 6), in the relaxation
 * Γ(Σ h_{m,u}ᴴ F_mj h_{m,u} + σ²) ≤ h_{b,u}ᴴ F_bk h_{b,u} (21c).
 *
 * Scaling (the raw data span ~30 orders of magnitude: |ε|² ~ 1e-15, σ_s² ~ 4e-21 W/Hz, τ ~ 1e-6 s):
 * the variables are F̃_mk = F_mk / P_m (so tr Σ_k F̃_mk ≤ 1), the SINR rows carry (P_m/σ²) h hᴴ,
 * and each Fisher information is divided by s = max_{t,m} N_t P_m tr B_{m,t}, so Λ Z Λᵀ / s ≤ M
 * and the CRLB is (Σ μ̃)/s.
 *
 * Beamformers from a relaxed solution: the principal eigenvector of every F̃_mk when
 * λ₁/tr ≥ `rankOneThreshold` for all of them (Theorem 1 says this is the rule when N_t > MK);
 * otherwise Gaussian randomisation (ref. [15]): candidate directions drawn from CN(0, F̃_mk), each
 * followed by the optimal power allocation for those directions (the same objective and
 * constraints with the powers p_mk as variables, a small SDP), keeping the best feasible one.
 * Pure: no clock, no I/O; randomness only from the injected `randn`.
 */
import { absInnerH2, czeros, type CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { steeringInto } from '../phy/geometry.ts';
import { commSinrInto } from '../metrics/isac.ts';
import { beamGain, crlbOfBeams } from '../metrics/localization.ts';
import {
  gaussianRandomization,
  hermitianIdentity,
  hermitianOuter,
  principalEigenvector,
  solveSdp,
  symEig,
  symmetricUnit,
  type BlockSpec,
  type BlockTerm,
  type SdpConstraint,
  type SdpOptions,
  type SdpProblem,
  type SdpSolution,
  type SdpStatus,
} from './sdp/index.ts';

/** One localised target as seen by the designer (from its estimate of the target). */
export interface DesignTarget {
  /** [numBs] angle of the target from each BS's broadside (rad). */
  thetaRad: Float64Array;
  /** [numBs, numTxAnt] complex steering vectors a(θ_m). */
  steering: CArray;
  /** [numBs, 3] B_{m} = κ Σ_n |ε_{m,n}|² λ_{m,n} λ_{m,n}ᵀ ([xx, xy, yy], 1/(m²·W)). */
  weights: Float64Array;
}

/** A design problem: the network, the channels the designer knows, the targets. */
export interface DesignInstance {
  /** Sizes, served users (stream order), per-BS power P_m (W) and σ² (W) come from here. */
  topo: Topology;
  /** [numBs, numUsers, numTxAnt] complex channels h_{m,u} (received amplitude h_{m,u}ᴴ w). */
  H: CArray;
  targets: DesignTarget[];
}

export type DesignObjective = { kind: 'crlb' } | { kind: 'beampattern'; mainLobeDeg: number; gridDeg: number };

export interface DesignOptions {
  objective: DesignObjective;
  /** Γ (linear); null drops the SINR constraints (radar-only). */
  sinrMin: number | null;
  /** Options of the interior-point solver (tolerances, iteration bound). */
  sdp?: SdpOptions;
  /** λ₁/tr at or above which every F̃ is taken as rank one. Default 1 − 1e-6. */
  rankOneThreshold?: number;
  /** Gaussian randomisation candidates (besides the principal eigenvectors). Default 30. */
  randomizationSamples?: number;
  /** Standard normal source for the randomisation (required when it runs). */
  randn?: () => number;
}

export type Extraction = 'eigenvector' | 'randomization' | 'closed-form' | 'covariance-split' | 'none';

export interface DesignResult {
  /** The main solve's status; 'randomization_failed' when no candidate was feasible. */
  status: SdpStatus | 'randomization_failed' | 'no_information';
  message: string;
  /** Interior-point iterations of the main solve. */
  iterations: number;
  /** The beamformers (only when the design succeeded): W_m [numServed_m, numTxAnt]. */
  W?: Beamformers;
  /** [numBeams] λ₁/tr of each relaxed F̃_mk (BS by BS, stream order); 1 for a zero block. */
  rankOneRatios: Float64Array;
  minRankOneRatio: number;
  extraction: Extraction;
  /** Optimum of the relaxation: CRLB sum (m²) or the matching error. NaN when not solved. */
  relaxedObjective: number;
  /** The same objective for the returned beamformers. */
  objective: number;
  /** Σ_t C_{x,y}(t) (m²) of the returned beamformers on the design data. */
  crlbM2: number;
  /** Power-allocation SDPs run by the randomisation. */
  powerSolves: number;
}

// ------------------------------------------------------------------ variables

/** Index of beam (m, k) in block order: BS by BS, streams in order. */
function beamIndex(topo: Topology): { of: (m: number, k: number) => number; count: number } {
  const start: number[] = [];
  let count = 0;
  for (const users of topo.servedUsers) {
    start.push(count);
    count += users.length;
  }
  return { of: (m, k) => start[m] + k, count };
}

/** How ⟨C, F̃_mk⟩ is written for the two variable models (relaxed matrices, or powers along fixed directions). */
interface BeamVars {
  blocks: BlockSpec[];
  /** coef · v_ᴴ F̃_mk v for the complex vector v (element offset vo, numTxAnt long). */
  quad(m: number, k: number, v: CArray, vo: number, coef: number): BlockTerm;
  /** coef · tr F̃_mk. */
  trace(m: number, k: number, coef: number): BlockTerm;
}

/** F̃_mk Hermitian PSD N_t × N_t, blocks 0 … numBeams−1. */
function matrixVars(topo: Topology): BeamVars {
  const nt = topo.numTxAnt;
  const idx = beamIndex(topo);
  const eye = hermitianIdentity(nt);
  const sub = czeros(nt);
  return {
    blocks: Array.from({ length: idx.count }, () => ({ kind: 'herm' as const, size: nt })),
    quad(m, k, v, vo, coef) {
      sub.set(v.subarray(2 * vo, 2 * (vo + nt)));
      const mat = hermitianOuter(sub, nt);
      for (let i = 0; i < mat.length; i++) mat[i] *= coef;
      return { block: idx.of(m, k), matrix: mat };
    },
    trace(m, k, coef) {
      return { block: idx.of(m, k), matrix: coef === 1 ? eye : eye.map((x) => coef * x) };
    },
  };
}

/** F̃_mk = p_mk û_mk û_mkᴴ with unit directions û fixed: one nonnegative block of the powers p. */
function powerVars(topo: Topology, directions: CArray[]): BeamVars {
  const nt = topo.numTxAnt;
  const idx = beamIndex(topo);
  return {
    blocks: [{ kind: 'nonneg', size: idx.count }],
    quad(m, k, v, vo, coef) {
      const b = idx.of(m, k);
      const vec = new Float64Array(idx.count);
      vec[b] = coef * absInnerH2(v, vo, directions[b], 0, nt);
      return { block: 0, matrix: vec };
    },
    trace(m, k, coef) {
      const vec = new Float64Array(idx.count);
      vec[idx.of(m, k)] = coef;
      return { block: 0, matrix: vec };
    },
  };
}

// ------------------------------------------------------------------ problem

interface Built {
  problem: SdpProblem;
  /** Converts the SDP's optimal value into the design objective (CRLB m² or matching error). */
  toObjective: (primalObjective: number) => number;
}

function addCommonConstraints(inst: DesignInstance, vars: BeamVars, sinrMin: number | null, rows: SdpConstraint[], fullPower = false): void {
  const { topo, H } = inst;
  const { numBs, numUsers, numTxAnt: nt, servedUsers, powerW, noiseCommW } = topo;
  for (let m = 0; m < numBs; m++) {
    if (servedUsers[m].length === 0) continue;
    rows.push({ terms: Array.from(servedUsers[m], (_, k) => vars.trace(m, k, 1)), sense: fullPower ? 'eq' : 'le', rhs: 1 }); // (21b)
  }
  if (sinrMin === null) return;
  for (let u = 0; u < numUsers; u++) {
    const b = topo.userBs[u];
    const own = topo.userStream[u];
    const terms: BlockTerm[] = [];
    for (let m = 0; m < numBs; m++) {
      const snr = powerW[m] / noiseCommW;
      servedUsers[m].forEach((_, k) => {
        const isOwn = m === b && k === own;
        terms.push(vars.quad(m, k, H, (m * numUsers + u) * nt, isOwn ? -snr : sinrMin * snr));
      });
    }
    rows.push({ terms, sense: 'le', rhs: -sinrMin }); // (21c) divided by σ²
  }
}

/** s = max_{t,m} N_t P_m tr B_{m,t}: Fisher information / s is O(1) at full power. */
function fimScale(inst: DesignInstance): number {
  let s = 0;
  for (const t of inst.targets) {
    for (let m = 0; m < inst.topo.numBs; m++) {
      s = Math.max(s, inst.topo.numTxAnt * inst.topo.powerW[m] * (t.weights[3 * m] + t.weights[3 * m + 2]));
    }
  }
  return s;
}

function buildCrlb(inst: DesignInstance, vars: BeamVars, sinrMin: number | null): Built {
  const { topo } = inst;
  const nt = topo.numTxAnt;
  const scale = fimScale(inst);
  const blocks = [...vars.blocks];
  const rows: SdpConstraint[] = [];
  addCommonConstraints(inst, vars, sinrMin, rows);
  const objective: BlockTerm[] = [];
  const entries: Array<[number, number, number]> = [
    [0, 0, 0],
    [0, 1, 1],
    [1, 1, 2],
  ];
  for (const t of inst.targets) {
    for (let i = 0; i < 2; i++) {
      const lmi = blocks.length;
      blocks.push({ kind: 'sym', size: 3 }); // [[Λ Z Λᵀ / s, e_i], [e_iᵀ, μ̃_i]]   (21d)
      for (const [p, q, w] of entries) {
        const terms: BlockTerm[] = [{ block: lmi, matrix: symmetricUnit(3, p, q) }];
        for (let m = 0; m < topo.numBs; m++) {
          const coef = (topo.powerW[m] * t.weights[3 * m + w]) / scale;
          if (coef === 0) continue;
          topo.servedUsers[m].forEach((_, k) => terms.push(vars.quad(m, k, t.steering, m * nt, -coef)));
        }
        rows.push({ terms, rhs: 0 });
      }
      for (let p = 0; p < 2; p++) rows.push({ terms: [{ block: lmi, matrix: symmetricUnit(3, p, 2) }], rhs: p === i ? 1 : 0 });
      objective.push({ block: lmi, matrix: symmetricUnit(3, 2, 2) });
    }
  }
  return { problem: { blocks, objective, constraints: rows }, toObjective: (v) => v / scale };
}

/**
 * The beampattern of a ULA, aᴴ(θ) R a(θ) = Σ_{p,q} R_pq e^{jπ(q−p) sin θ}, is a trigonometric
 * polynomial of degree N_t − 1 in ω = π sin θ: it is fixed by its values at 2N_t − 1 equispaced
 * nodes ω_j over one period, p(ω) = Σ_j p(ω_j) D(ω − ω_j)/(2N_t − 1) with the Dirichlet kernel
 * D(x) = sin((2N_t − 1)x/2)/sin(x/2). So the matching error over any grid is a quadratic form in
 * (α, p(ω_0), …): ‖G x‖² = ‖R x‖² with R = Λ^{1/2}Vᵀ from GᵀG = VΛVᵀ (2N_t × 2N_t), whatever the grid.
 */
export interface PatternModel {
  /** [numNodes] node angles θ_j = asin(ω_j/π) (rad). */
  nodeThetaRad: Float64Array;
  /** [numNodes, numTxAnt] complex steering vectors at the nodes. */
  nodeSteering: CArray;
  /** Rows of R, each [1 + numNodes] over x = (α, p(ω_0), …). */
  rows: Float64Array[];
  /** The grid (rad) and desired pattern d(θ) on it. */
  gridRad: Float64Array;
  desired: Float64Array;
}

/** Dirichlet interpolation weight of node j (ω_j) at ω for 2N−1 nodes. */
export function dirichletWeight(omega: number, omegaJ: number, numNodes: number): number {
  const x = omega - omegaJ;
  const s = Math.sin(x / 2);
  if (Math.abs(s) < 1e-12) return Math.cos((numNodes * x) / 2) / Math.cos(x / 2); // limit: ±1
  return Math.sin((numNodes * x) / 2) / s / numNodes;
}

/** The pattern model of one BS with main lobes toward `targetThetaRad`. */
export function patternModel(nt: number, targetThetaRad: ArrayLike<number>, mainLobeDeg: number, gridDeg: number): PatternModel {
  const numNodes = 2 * nt - 1;
  const omegaJ = Float64Array.from({ length: numNodes }, (_, j) => -Math.PI + (2 * Math.PI * (j + 0.5)) / numNodes);
  const nodeThetaRad = omegaJ.map((w) => Math.asin(w / Math.PI));
  const nodeSteering = czeros(numNodes * nt);
  nodeThetaRad.forEach((th, j) => steeringInto(nodeSteering, j * nt, nt, th));
  const numGrid = Math.floor(180 / gridDeg + 1e-9) + 1;
  const gridRad = Float64Array.from({ length: numGrid }, (_, g) => ((-90 + g * gridDeg) * Math.PI) / 180);
  const half = (mainLobeDeg * Math.PI) / 360;
  const desired = gridRad.map((th) => (Array.from(targetThetaRad).some((t) => Math.abs(th - t) <= half + 1e-12) ? 1 : 0));
  // Gram matrix of G = [d, −L] / √numGrid, [2N, 2N].
  const n = numNodes + 1;
  const gram = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let g = 0; g < numGrid; g++) {
    const omega = Math.PI * Math.sin(gridRad[g]);
    row[0] = desired[g];
    for (let j = 0; j < numNodes; j++) row[1 + j] = -dirichletWeight(omega, omegaJ[j], numNodes);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) gram[a * n + b] += (row[a] * row[b]) / numGrid;
  }
  const { values, vectors } = symEig(gram, n);
  const top = values[n - 1];
  const rows: Float64Array[] = [];
  for (let i = n - 1; i >= 0; i--) {
    if (!(values[i] > 1e-12 * top)) break;
    const r = Math.sqrt(values[i]);
    rows.push(Float64Array.from({ length: n }, (_, c) => r * vectors[c * n + i]));
  }
  return { nodeThetaRad, nodeSteering, rows, gridRad, desired };
}

function buildBeampattern(inst: DesignInstance, vars: BeamVars, sinrMin: number | null, mainLobeDeg: number, gridDeg: number): Built {
  const { topo } = inst;
  const { numBs, numTxAnt: nt } = topo;
  const numNodes = 2 * nt - 1;
  const blocks = [...vars.blocks];
  const rows: SdpConstraint[] = [];
  addCommonConstraints(inst, vars, sinrMin, rows, true);
  const alphaBlock = blocks.length;
  blocks.push({ kind: 'nonneg', size: numBs }); // α_m
  const nodeBlock = blocks.length;
  blocks.push({ kind: 'nonneg', size: numBs * numNodes }); // p_m(ω_j) = a_jᴴ R̃_m a_j ≥ 0
  const objective: BlockTerm[] = [];
  const unit = (size: number, i: number, v: number) => {
    const e = new Float64Array(size);
    e[i] = v;
    return e;
  };
  for (let m = 0; m < numBs; m++) {
    if (topo.servedUsers[m].length === 0) continue;
    const model = patternModel(nt, Array.from(inst.targets, (t) => t.thetaRad[m]), mainLobeDeg, gridDeg);
    for (let j = 0; j < numNodes; j++) {
      const terms: BlockTerm[] = topo.servedUsers[m].length ? Array.from(topo.servedUsers[m], (_, k) => vars.quad(m, k, model.nodeSteering, j * nt, 1)) : [];
      terms.push({ block: nodeBlock, matrix: unit(numBs * numNodes, m * numNodes + j, -1) });
      rows.push({ terms, rhs: 0 });
    }
    for (const r of model.rows) {
      const q = blocks.length;
      blocks.push({ kind: 'sym', size: 2 }); // [[t, u], [u, 1]] ⪰ 0 ⇔ t ≥ u²
      const nodeCoef = new Float64Array(numBs * numNodes);
      for (let j = 0; j < numNodes; j++) nodeCoef[m * numNodes + j] = -r[1 + j];
      rows.push({
        terms: [
          { block: q, matrix: symmetricUnit(2, 0, 1) },
          { block: alphaBlock, matrix: unit(numBs, m, -r[0]) },
          { block: nodeBlock, matrix: nodeCoef },
        ],
        rhs: 0,
      });
      rows.push({ terms: [{ block: q, matrix: symmetricUnit(2, 1, 1) }], rhs: 1 });
      objective.push({ block: q, matrix: symmetricUnit(2, 0, 0) });
    }
  }
  return { problem: { blocks, objective, constraints: rows }, toObjective: (v) => v };
}

function build(inst: DesignInstance, vars: BeamVars, opts: DesignOptions): Built {
  return opts.objective.kind === 'crlb'
    ? buildCrlb(inst, vars, opts.sinrMin)
    : buildBeampattern(inst, vars, opts.sinrMin, opts.objective.mainLobeDeg, opts.objective.gridDeg);
}

/** The relaxed SDP of a design (for benchmarks and reference solvers); solveDesign builds the same. */
export function designProblem(inst: DesignInstance, opts: DesignOptions): SdpProblem {
  return build(inst, matrixVars(inst.topo), opts).problem;
}

// ------------------------------------------------------------------ evaluation

/** Σ_t C_{x,y}(t) (m²) of beamformers W on the design data. */
export function designCrlb(inst: DesignInstance, W: Beamformers): number {
  let sum = 0;
  for (const t of inst.targets) sum += crlbOfBeams(W, inst.topo.numTxAnt, t.steering, t.weights).sumM2;
  return sum;
}

/**
 * Matching error Σ_m mean_θ (α_m d_m(θ) − aᴴ(θ) R̃_m a(θ))² of beamformers W (R̃_m = R_m / P_m),
 * with the best α_m ≥ 0 (least squares) — the objective of the beampattern design.
 */
export function patternError(inst: DesignInstance, W: Beamformers, mainLobeDeg: number, gridDeg: number): number {
  const { topo } = inst;
  const nt = topo.numTxAnt;
  const a = czeros(nt);
  let total = 0;
  for (let m = 0; m < topo.numBs; m++) {
    if (topo.servedUsers[m].length === 0) continue;
    const model = patternModel(nt, Array.from(inst.targets, (t) => t.thetaRad[m]), mainLobeDeg, gridDeg);
    const p = model.gridRad.map((th) => {
      steeringInto(a, 0, nt, th);
      return beamGain(W[m], nt, a) / topo.powerW[m];
    });
    let dp = 0;
    let dd = 0;
    model.desired.forEach((d, g) => {
      dp += d * p[g];
      dd += d * d;
    });
    const alpha = dd > 0 ? Math.max(0, dp / dd) : 0;
    let e = 0;
    model.desired.forEach((d, g) => (e += (alpha * d - p[g]) ** 2));
    total += e / model.gridRad.length;
  }
  return total;
}

export interface ConstraintCheck {
  /** min_u SINR_u / Γ (≥ 1 when every SINR constraint holds; Infinity without users). */
  minSinrRatio: number;
  /** max_m tr(W_m W_mᴴ) / P_m (≤ 1 when every power constraint holds). */
  maxPowerRatio: number;
  /** [numUsers] SINR on the design channels. */
  sinr: Float64Array;
}

/** SINR and power of beamformers W on the design channels, relative to Γ and P. */
export function checkConstraints(inst: DesignInstance, W: Beamformers, sinrMin: number): ConstraintCheck {
  const { topo } = inst;
  const sinr = new Float64Array(topo.numUsers);
  commSinrInto(sinr, topo, inst.H, W);
  let minSinrRatio = Infinity;
  for (const v of sinr) minSinrRatio = Math.min(minSinrRatio, v / sinrMin);
  let maxPowerRatio = 0;
  W.forEach((Wm, m) => {
    let p = 0;
    for (const x of Wm) p += x * x;
    maxPowerRatio = Math.max(maxPowerRatio, p / topo.powerW[m]);
  });
  return { minSinrRatio, maxPowerRatio, sinr };
}

function objectiveOf(inst: DesignInstance, W: Beamformers, opts: DesignOptions): number {
  return opts.objective.kind === 'crlb' ? designCrlb(inst, W) : patternError(inst, W, opts.objective.mainLobeDeg, opts.objective.gridDeg);
}

// ------------------------------------------------------------------ extraction

/** W_m rows √P_m · f̃_mk from normalised beams f̃ (block order). */
function assemble(topo: Topology, beams: CArray[]): Beamformers {
  const idx = beamIndex(topo);
  const nt = topo.numTxAnt;
  return topo.servedUsers.map((users, m) => {
    const W = czeros(users.length * nt);
    const s = Math.sqrt(topo.powerW[m]);
    users.forEach((_, k) => {
      const f = beams[idx.of(m, k)];
      for (let i = 0; i < 2 * nt; i++) W[2 * k * nt + i] = s * f[i];
    });
    return W;
  });
}

/** Splits R̃_m = Σ_k F̃_mk into its K strongest eigen-components, one per stream (exact when rank R̃_m ≤ K). */
function covarianceSplit(topo: Topology, X: Float64Array[]): CArray[] {
  const idx = beamIndex(topo);
  const nt = topo.numTxAnt;
  const beams: CArray[] = new Array(idx.count);
  topo.servedUsers.forEach((users, m) => {
    if (users.length === 0) return;
    const R = new Float64Array(2 * nt * nt);
    users.forEach((_, k) => X[idx.of(m, k)].forEach((v, i) => (R[i] += v)));
    const rest = Float64Array.from(R);
    users.forEach((_, k) => {
      const top = principalEigenvector(rest, nt);
      const f = top.value > 0 ? top.beamformer : czeros(nt);
      beams[idx.of(m, k)] = f;
      // deflate: rest ← rest − f fᴴ
      const ff = hermitianOuter(f, nt);
      for (let i = 0; i < rest.length; i++) rest[i] -= ff[i];
    });
  });
  return beams;
}

/** Optimal powers along fixed directions (block order, any norm): the design with p_mk as variables. */
export function allocatePowers(
  inst: DesignInstance,
  directions: CArray[],
  opts: DesignOptions,
): { status: SdpStatus; W?: Beamformers; objective: number } {
  const nt = inst.topo.numTxAnt;
  const unitDirs = directions.map((d) => {
    let n2 = 0;
    for (const x of d) n2 += x * x;
    return n2 > 0 ? d.map((x) => x / Math.sqrt(n2)) : czeros(nt);
  });
  const built = build(inst, powerVars(inst.topo, unitDirs), opts);
  const sol = solveSdp(built.problem, opts.sdp);
  if (sol.status !== 'optimal') return { status: sol.status, objective: NaN };
  const p = sol.X[0];
  const beams = unitDirs.map((u, b) => u.map((x) => x * Math.sqrt(Math.max(0, p[b]))));
  const W = assemble(inst.topo, beams);
  return { status: 'optimal', W, objective: objectiveOf(inst, W, opts) };
}

/** Solves a design (see the module comment) and extracts beamformers. */
export function solveDesign(inst: DesignInstance, opts: DesignOptions): DesignResult {
  const { topo } = inst;
  const nt = topo.numTxAnt;
  const idx = beamIndex(topo);
  const none = (status: DesignResult['status'], message: string, sol?: SdpSolution): DesignResult => ({
    status,
    message,
    iterations: sol?.iterations ?? 0,
    rankOneRatios: new Float64Array(idx.count).fill(NaN),
    minRankOneRatio: NaN,
    extraction: 'none',
    relaxedObjective: NaN,
    objective: NaN,
    crlbM2: NaN,
    powerSolves: 0,
  });
  if (opts.objective.kind === 'crlb' && !(fimScale(inst) > 0)) {
    return none('no_information', 'no Fisher information: every |ε|² or delay gradient is zero');
  }
  const built = build(inst, matrixVars(topo), opts);
  const sol = solveSdp(built.problem, opts.sdp);
  if (sol.status !== 'optimal') return none(sol.status, sol.message, sol);
  const relaxedObjective = built.toObjective(sol.primalObjective);
  const X = sol.X.slice(0, idx.count);
  let traceSum = 0;
  for (const F of X) for (let r = 0; r < nt; r++) traceSum += F[2 * (r * nt + r)];
  const eig = X.map((F) => principalEigenvector(F, nt));
  const rankOneRatios = Float64Array.from(eig, (e, b) => {
    let tr = 0;
    for (let r = 0; r < nt; r++) tr += X[b][2 * (r * nt + r)];
    return tr <= 1e-12 * Math.max(traceSum, 1e-300) ? 1 : e.rankOneRatio;
  });
  const minRankOneRatio = rankOneRatios.reduce((a, b) => Math.min(a, b), 1);
  const threshold = opts.rankOneThreshold ?? 1 - 1e-6;
  const finish = (W: Beamformers, extraction: Extraction, powerSolves: number, status: DesignResult['status'] = 'optimal', message = sol.message): DesignResult => ({
    status,
    message,
    iterations: sol.iterations,
    W,
    rankOneRatios,
    minRankOneRatio,
    extraction,
    relaxedObjective,
    objective: objectiveOf(inst, W, opts),
    crlbM2: designCrlb(inst, W),
    powerSolves,
  });
  if (opts.sinrMin === null && opts.objective.kind === 'crlb') {
    // Without SINR rows only R̃_m = Σ_k F̃_mk matters: split it over the streams.
    return finish(assemble(topo, covarianceSplit(topo, X)), 'covariance-split', 0);
  }
  const principal = eig.map((e) => (e.value > 0 ? e.beamformer : czeros(nt)));
  if (minRankOneRatio >= threshold) return finish(assemble(topo, principal), 'eigenvector', 0);
  // Gaussian randomisation: candidate 0 = the principal directions, then samples of CN(0, F̃).
  const samples = opts.randomizationSamples ?? 30;
  if (samples > 0 && !opts.randn) throw new Error('solveDesign: Gaussian randomisation needs a seeded randn');
  const drawn = X.map((F) => gaussianRandomization(F, nt, samples, opts.randn ?? (() => 0)));
  let best: { W: Beamformers; objective: number } | undefined;
  let powerSolves = 0;
  for (let s = 0; s <= samples; s++) {
    const dirs = s === 0 ? principal : drawn.map((d) => d[s - 1]);
    const r = allocatePowers(inst, dirs, opts);
    powerSolves++;
    if (r.W && (!best || r.objective < best.objective)) best = { W: r.W, objective: r.objective };
  }
  if (!best) {
    const out = none('randomization_failed', `no feasible candidate among ${samples + 1} (principal + random) directions`, sol);
    return { ...out, rankOneRatios, minRankOneRatio, relaxedObjective, powerSolves };
  }
  return finish(best.W, 'randomization', powerSolves);
}

/**
 * Radar-only for one target in closed form: every BS spends its whole budget toward the target,
 * Σ_k f_mk f_mkᴴ = (P_m/N_t) a(θ_m) a(θ_m)ᴴ, split equally over its streams. It is optimal because
 * aᴴ R a ≤ N_t tr R (so g_m ≤ N_t P_m, met with equality) and the CRLB decreases in every g_m.
 */
export function radarOnlyBeams(inst: DesignInstance): Beamformers {
  const { topo } = inst;
  if (inst.targets.length !== 1) throw new RangeError('radarOnlyBeams: the closed form is for one target; use solveDesign');
  const nt = topo.numTxAnt;
  const a = inst.targets[0].steering;
  return topo.servedUsers.map((users, m) => {
    const W = czeros(users.length * nt);
    const s = users.length ? Math.sqrt(topo.powerW[m] / (users.length * nt)) : 0;
    users.forEach((_, k) => {
      for (let i = 0; i < 2 * nt; i++) W[2 * k * nt + i] = s * a[2 * m * nt + i];
    });
    return W;
  });
}
