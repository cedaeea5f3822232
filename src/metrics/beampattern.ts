/**
 * Sensing and communication metrics of paper 002 (../shared/papers/002_*.txt, Sec. II-A;
 * docs/primal-dual.md), as pure float64 functions over interleaved complex arrays (CArray).
 *
 * Radar array: a half-wavelength ULA of M_R antennas with the paper's normalised steering vector
 *   a(θ) = (1/√M_R) [1, e^{jπ sinθ}, …, e^{jπ(M_R−1) sinθ}]ᵀ,   ‖a(θ)‖ = 1
 * on the angle grid {θ_l} from −90° to 90° in steps of 1° (L = 181).
 *
 *   P(θ)            = aᴴ(θ) R a(θ)                         transmit beampattern
 *   P_c(θ_1, θ_2)   = aᴴ(θ_1) R a(θ_2)                     cross-correlation pattern
 *   d(θ)            = 1 if |θ − θ_p| ≤ Δ/2 for a target p, else 0          (eq. 8)
 *   L_r,1(R)        = (1/L) Σ_l |d(θ_l) − P(θ_l)|²                          (eq. 7)
 *   L_r,2(R)        = 2/(L² − L) Σ_{l<r} |P_c(θ_l, θ_r)|                    (eq. 9, |·| as printed)
 *   L_r(R)          = L_r,1 + L_r,2 ≤ ε                                     (eq. 10)
 *
 * Scale (docs/primal-dual.md, choice C3): with ‖a‖ = 1, P(θ) ≤ tr(R) = P_R, so α = 1 in eq. (5)
 * makes the desired pattern unreachable unless P_R ≈ P (the number of targets). The losses are
 * evaluated on R̄ = (P / P_R) R, where one coherent beam of power P_R/P at θ_p gives P̄(θ_p) = 1;
 * `BeampatternSpec.scale` holds P/P_R and every function below applies it.
 *
 * SINR of user k (eq. 11), with the paper's transpose (not Hermitian) channel convention:
 *   γ_k = |g_kᵀ F_k|² / (Σ_{l≠k} |g_kᵀ F_l|² + f_kᵀ R f_k* + N_0)
 * g_k ∈ C^{M_C} the communication channel, f_k ∈ C^{M_R} the radar antennas' channel to user k,
 * F_l ∈ C^{M_C} user l's beamformer.
 *
 * Covariances are given either as a full Hermitian matrix R [M_R, M_R] or as a factor W
 * [rows, M_R] (row j = w_j, R = Σ_j w_j w_jᴴ): the learned policies produce factors, and
 * P(θ) = Σ_j |aᴴ(θ) w_j|², P_c = Σ_j (aᴴ(θ_1) w_j)(w_jᴴ a(θ_2)) need no M_R × M_R product.
 */
import { czeros, type CArray } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';

const DEG = Math.PI / 180;

/** The angle grid θ_l (degrees): from −90° to 90° in steps of `resolutionDeg` (1°: L = 181). */
export function angleGridDeg(resolutionDeg = 1): Float64Array {
  if (!(resolutionDeg > 0) || !Number.isInteger(180 / resolutionDeg)) {
    throw new RangeError(`angleGridDeg: resolutionDeg must divide 180, got ${resolutionDeg}`);
  }
  const n = 180 / resolutionDeg + 1;
  return Float64Array.from({ length: n }, (_, l) => -90 + l * resolutionDeg);
}

/** a(θ) = (1/√M) [e^{jπ n sinθ}]_n written at element `offset` of `out` (M complex entries). */
export function normalisedSteeringInto(out: CArray, offset: number, numAnt: number, thetaRad: number): void {
  steeringInto(out, offset, numAnt, thetaRad, 1 / Math.sqrt(numAnt), 0);
}

/** Steering vectors of the grid, [L, M] (row l = a(θ_l)). */
export function steeringMatrix(numAnt: number, gridDeg: Float64Array): CArray {
  const A = czeros(gridDeg.length * numAnt);
  gridDeg.forEach((deg, l) => normalisedSteeringInto(A, l * numAnt, numAnt, deg * DEG));
  return A;
}

/**
 * Desired pattern d(θ_l) of eq. (8): 1 where θ_p − Δ/2 ≤ θ_l ≤ θ_p + Δ/2 for some target p
 * (both ends included; 1e-9° of slack absorbs rounding of the grid), else 0.
 */
export function desiredPattern(gridDeg: Float64Array, targetsDeg: ArrayLike<number>, widthDeg: number): Float64Array {
  if (!(widthDeg >= 0)) throw new RangeError(`desiredPattern: widthDeg must be ≥ 0, got ${widthDeg}`);
  const d = new Float64Array(gridDeg.length);
  for (let l = 0; l < gridDeg.length; l++) {
    for (let p = 0; p < targetsDeg.length; p++) {
      if (Math.abs(gridDeg[l] - targetsDeg[p]) <= widthDeg / 2 + 1e-9) d[l] = 1;
    }
  }
  return d;
}

/** Everything the sensing losses of one radar array and one target set need. */
export interface BeampatternSpec {
  /** M_R */
  numAnt: number;
  /** θ_l in degrees [L] */
  gridDeg: Float64Array;
  /** a(θ_l), [L, M_R] complex */
  A: CArray;
  /** d(θ_l) [L] */
  desired: Float64Array;
  /** Target angles θ_p (degrees) and beam width Δ (degrees) of d. */
  targetsDeg: Float64Array;
  widthDeg: number;
  /** P/P_R: the losses are evaluated on R̄ = scale·R (see the module comment). */
  scale: number;
}

export interface BeampatternSpecOptions {
  numAnt: number;
  targetsDeg: ArrayLike<number>;
  /** Beam width Δ of d(θ) (degrees). */
  widthDeg: number;
  /** Radar power P_R = tr(R) that maps to the unit desired level (scale = P / P_R). */
  radarPowerW: number;
  resolutionDeg?: number;
}

export function beampatternSpec(o: BeampatternSpecOptions): BeampatternSpec {
  if (!Number.isInteger(o.numAnt) || o.numAnt < 1) throw new RangeError(`beampatternSpec: numAnt must be a positive integer, got ${o.numAnt}`);
  if (o.targetsDeg.length < 1) throw new RangeError('beampatternSpec: at least one target angle is needed');
  for (let p = 0; p < o.targetsDeg.length; p++) {
    if (!(Math.abs(o.targetsDeg[p]) <= 90)) throw new RangeError(`beampatternSpec: targetsDeg[${p}] must lie in [−90°, 90°], got ${o.targetsDeg[p]}`);
  }
  if (!(o.radarPowerW > 0)) throw new RangeError(`beampatternSpec: radarPowerW must be > 0, got ${o.radarPowerW}`);
  const gridDeg = angleGridDeg(o.resolutionDeg ?? 1);
  return {
    numAnt: o.numAnt,
    gridDeg,
    A: steeringMatrix(o.numAnt, gridDeg),
    desired: desiredPattern(gridDeg, o.targetsDeg, o.widthDeg),
    targetsDeg: Float64Array.from(o.targetsDeg),
    widthDeg: o.widthDeg,
    scale: o.targetsDeg.length / o.radarPowerW,
  };
}

/** z_l = aᴴ(θ_l) w for one row w (at complex offset wo of W): [L] complex into `out`. */
function gridProjectionInto(out: CArray, A: CArray, L: number, M: number, W: CArray, wo: number): void {
  for (let l = 0; l < L; l++) {
    let re = 0;
    let im = 0;
    for (let n = 0, a = 2 * l * M, w = 2 * wo; n < M; n++, a += 2, w += 2) {
      // conj(a) · w
      re += A[a] * W[w] + A[a + 1] * W[w + 1];
      im += A[a] * W[w + 1] - A[a + 1] * W[w];
    }
    out[2 * l] = re;
    out[2 * l + 1] = im;
  }
}

/** P(θ_l) = aᴴ(θ_l) R a(θ_l) for a full R [M, M] (real part; the imaginary part is 0 for Hermitian R). Unscaled. */
export function beampatternOfCovariance(A: CArray, numAnt: number, R: CArray): Float64Array {
  const M = numAnt;
  const L = A.length / (2 * M);
  const out = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    let s = 0;
    for (let i = 0; i < M; i++) {
      // (Ra)_i
      let re = 0;
      let im = 0;
      for (let j = 0; j < M; j++) {
        const rr = R[2 * (i * M + j)];
        const ri = R[2 * (i * M + j) + 1];
        const ar = A[2 * (l * M + j)];
        const ai = A[2 * (l * M + j) + 1];
        re += rr * ar - ri * ai;
        im += rr * ai + ri * ar;
      }
      // conj(a_i) (Ra)_i, real part
      s += A[2 * (l * M + i)] * re + A[2 * (l * M + i) + 1] * im;
    }
    out[l] = s;
  }
  return out;
}

/** P(θ_l) = Σ_j |aᴴ(θ_l) w_j|² for R = Σ_j w_j w_jᴴ, W [rows, M]. Unscaled. */
export function beampatternOfFactor(A: CArray, numAnt: number, W: CArray, rows: number): Float64Array {
  const M = numAnt;
  const L = A.length / (2 * M);
  const out = new Float64Array(L);
  const z = czeros(L);
  for (let j = 0; j < rows; j++) {
    gridProjectionInto(z, A, L, M, W, j * M);
    for (let l = 0; l < L; l++) out[l] += z[2 * l] ** 2 + z[2 * l + 1] ** 2;
  }
  return out;
}

/** R = Σ_j w_j w_jᴴ, [M, M] complex, from W [rows, M]. */
export function covarianceOfFactor(W: CArray, rows: number, numAnt: number): CArray {
  const M = numAnt;
  const R = czeros(M * M);
  for (let j = 0; j < rows; j++) {
    for (let a = 0; a < M; a++) {
      const xr = W[2 * (j * M + a)];
      const xi = W[2 * (j * M + a) + 1];
      for (let b = 0; b < M; b++) {
        const yr = W[2 * (j * M + b)];
        const yi = -W[2 * (j * M + b) + 1];
        R[2 * (a * M + b)] += xr * yr - xi * yi;
        R[2 * (a * M + b) + 1] += xr * yi + xi * yr;
      }
    }
  }
  return R;
}

/** L_r,1 (eq. 7) of a beampattern P (already scaled) against d. */
export function beampatternError(P: ArrayLike<number>, desired: ArrayLike<number>): number {
  if (P.length !== desired.length) throw new RangeError(`beampatternError: ${P.length} pattern values for ${desired.length} grid points`);
  let s = 0;
  for (let l = 0; l < P.length; l++) s += (desired[l] - P[l]) ** 2;
  return s / P.length;
}

/**
 * Σ_{l<r} |P_c(θ_l, θ_r)| from the grid projections Z [rows, L] complex (Z_{j,l} = aᴴ(θ_l) w_j):
 * P_c(l, r) = Σ_j Z_{j,l} conj(Z_{j,r}).
 */
function crossSum(Z: CArray, rows: number, L: number): number {
  // Zt [L, rows]: each grid point's projections side by side for the pair loop
  const Zt = new Float64Array(2 * L * rows);
  for (let j = 0; j < rows; j++) {
    for (let l = 0; l < L; l++) {
      Zt[2 * (l * rows + j)] = Z[2 * (j * L + l)];
      Zt[2 * (l * rows + j) + 1] = Z[2 * (j * L + l) + 1];
    }
  }
  const n = 2 * rows;
  let total = 0;
  for (let l = 0; l < L - 1; l++) {
    const lo = l * n;
    for (let r = l + 1; r < L; r++) {
      let re = 0;
      let im = 0;
      for (let i = 0, a = lo, b = r * n; i < n; i += 2, a += 2, b += 2) {
        const ar = Zt[a];
        const ai = Zt[a + 1];
        const br = Zt[b];
        const bi = Zt[b + 1];
        re += ar * br + ai * bi;
        im += ai * br - ar * bi;
      }
      total += Math.sqrt(re * re + im * im);
    }
  }
  return total;
}

/** Grid projections of every row of W: Z [rows, L] complex. */
function projections(A: CArray, M: number, W: CArray, rows: number): { Z: CArray; L: number } {
  const L = A.length / (2 * M);
  const Z = czeros(rows * L);
  const z = czeros(L);
  for (let j = 0; j < rows; j++) {
    gridProjectionInto(z, A, L, M, W, j * M);
    Z.set(z, 2 * j * L);
  }
  return { Z, L };
}

/** The sensing losses of one covariance (eqs. 7, 9, 10), evaluated on R̄ = spec.scale·R. */
export interface SensingLoss {
  /** L_r,1 */ patternError: number;
  /** L_r,2 */ crossCorrelation: number;
  /** L_r = L_r,1 + L_r,2 */ total: number;
}

/** L_r,1, L_r,2 and L_r of R = Σ_j w_j w_jᴴ (W [rows, M]) on R̄ = spec.scale·R. */
export function sensingLossOfFactor(spec: BeampatternSpec, W: CArray, rows: number): SensingLoss {
  const { pattern: _pattern, ...loss } = sensingLossWithPattern(spec, W, rows);
  return loss;
}

/** The same, with the scaled beampattern P̄(θ_l) [L] it was computed from (the twin's meter draws it). */
export function sensingLossWithPattern(spec: BeampatternSpec, W: CArray, rows: number): SensingLoss & { pattern: Float64Array } {
  const M = spec.numAnt;
  if (W.length !== 2 * rows * M) throw new RangeError(`sensingLossOfFactor: W has ${W.length / 2} complex entries, expected ${rows}·${M}`);
  const { Z, L } = projections(spec.A, M, W, rows);
  const P = new Float64Array(L);
  for (let j = 0; j < rows; j++) for (let l = 0; l < L; l++) P[l] += spec.scale * (Z[2 * (j * L + l)] ** 2 + Z[2 * (j * L + l) + 1] ** 2);
  const patternError = beampatternError(P, spec.desired);
  const crossCorrelation = (2 / (L * L - L)) * spec.scale * crossSum(Z, rows, L);
  return { patternError, crossCorrelation, total: patternError + crossCorrelation, pattern: P };
}

/**
 * L_r,1, L_r,2 and L_r of a full Hermitian R [M, M] on R̄ = spec.scale·R, computed directly from
 * the definitions: P(θ) = aᴴRa and P_c = aᴴ(θ_l) R a(θ_r) for every pair (O(L² M) after R·a).
 */
export function sensingLossOfCovariance(spec: BeampatternSpec, R: CArray): SensingLoss {
  const M = spec.numAnt;
  if (R.length !== 2 * M * M) throw new RangeError(`sensingLossOfCovariance: R has ${R.length / 2} complex entries, expected ${M}²`);
  const A = spec.A;
  const L = A.length / (2 * M);
  const P = beampatternOfCovariance(A, M, R).map((v) => spec.scale * v);
  const patternError = beampatternError(P, spec.desired);
  // Ra_r for every grid point, then conj(a_l)ᵀ(Ra_r)
  const RA = czeros(L * M);
  for (let r = 0; r < L; r++) {
    for (let i = 0; i < M; i++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < M; j++) {
        const rr = R[2 * (i * M + j)];
        const ri = R[2 * (i * M + j) + 1];
        const ar = A[2 * (r * M + j)];
        const ai = A[2 * (r * M + j) + 1];
        re += rr * ar - ri * ai;
        im += rr * ai + ri * ar;
      }
      RA[2 * (r * M + i)] = re;
      RA[2 * (r * M + i) + 1] = im;
    }
  }
  let total = 0;
  for (let l = 0; l < L - 1; l++) {
    for (let r = l + 1; r < L; r++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < M; i++) {
        const ar = A[2 * (l * M + i)];
        const ai = -A[2 * (l * M + i) + 1];
        const br = RA[2 * (r * M + i)];
        const bi = RA[2 * (r * M + i) + 1];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      total += Math.sqrt(re * re + im * im);
    }
  }
  const crossCorrelation = (2 / (L * L - L)) * spec.scale * total;
  return { patternError, crossCorrelation, total: patternError + crossCorrelation };
}

// ------------------------------------------------------------------------ target beams

/**
 * The unit-modulus target beams b_p = √M_R a(θ_p) = [e^{jπ n sin θ_p}]_n, [P, M_R]: each has
 * |b_p,n| = 1, so R = Σ_p q_p b_p b_pᴴ has diag(R) = (Σ_p q_p)·1 whatever the angles.
 */
export function targetBeams(numAnt: number, targetsDeg: ArrayLike<number>): CArray {
  const B = czeros(targetsDeg.length * numAnt);
  for (let p = 0; p < targetsDeg.length; p++) steeringInto(B, p * numAnt, numAnt, targetsDeg[p] * DEG);
  return B;
}

/** The factor of R = Σ_p q_p b_p b_pᴴ: rows √q_p b_p, [P, M_R]. */
export function splitFactor(beams: CArray, numAnt: number, q: ArrayLike<number>): CArray {
  const W = czeros(q.length * numAnt);
  for (let p = 0; p < q.length; p++) {
    if (!(q[p] >= 0)) throw new RangeError(`splitFactor: q[${p}] must be ≥ 0, got ${q[p]}`);
    const s = Math.sqrt(q[p]);
    for (let i = 0; i < 2 * numAnt; i++) W[2 * p * numAnt + i] = s * beams[2 * p * numAnt + i];
  }
  return W;
}

// ------------------------------------------------------------------------ SINR (eq. 11)

/** One instance of eq. (11): K users, M_C communication and M_R radar antennas. */
export interface IsacSinrInput {
  numUsers: number;
  numCommAnt: number;
  numRadarAnt: number;
  /** g_k, [K, M_C] complex */
  G: CArray;
  /** f_k, [K, M_R] complex */
  Fr: CArray;
  /** F_l, [K, M_C] complex (row l = user l's beamformer) */
  F: CArray;
  /** Radar covariance as a factor W_R [rows, M_R] (R = Σ_j w_j w_jᴴ) … */
  radarFactor?: { W: CArray; rows: number };
  /** … or as a full matrix R [M_R, M_R]. Exactly one of the two. */
  R?: CArray;
  /** N_0 (W) */
  noiseW: number;
}

/** gᵀ x over n complex entries (no conjugate), at complex offsets go and xo. */
function dotT(g: CArray, go: number, x: CArray, xo: number, n: number): [number, number] {
  let re = 0;
  let im = 0;
  for (let i = 0, a = 2 * go, b = 2 * xo; i < n; i++, a += 2, b += 2) {
    re += g[a] * x[b] - g[a + 1] * x[b + 1];
    im += g[a] * x[b + 1] + g[a + 1] * x[b];
  }
  return [re, im];
}

/** f_kᵀ R f_k* of every user (the radar signal's leakage, eq. 11's second interference term). */
export function radarLeakage(o: IsacSinrInput): Float64Array {
  const { numUsers: K, numRadarAnt: MR } = o;
  const out = new Float64Array(K);
  if ((o.R === undefined) === (o.radarFactor === undefined)) throw new RangeError('radarLeakage: give exactly one of R and radarFactor');
  for (let k = 0; k < K; k++) {
    if (o.radarFactor) {
      // Σ_j |f_kᵀ w_j|²
      for (let j = 0; j < o.radarFactor.rows; j++) {
        const [re, im] = dotT(o.Fr, k * MR, o.radarFactor.W, j * MR, MR);
        out[k] += re * re + im * im;
      }
    } else {
      const R = o.R!;
      // f_kᵀ R conj(f_k) = Σ_{a,b} f_a R_ab conj(f_b)
      let re = 0;
      for (let a = 0; a < MR; a++) {
        const fr = o.Fr[2 * (k * MR + a)];
        const fi = o.Fr[2 * (k * MR + a) + 1];
        for (let b = 0; b < MR; b++) {
          const gr = o.Fr[2 * (k * MR + b)];
          const gi = -o.Fr[2 * (k * MR + b) + 1];
          const rr = R[2 * (a * MR + b)];
          const ri = R[2 * (a * MR + b) + 1];
          // f_a · R_ab · conj(f_b), real part
          const tr = rr * gr - ri * gi;
          const ti = rr * gi + ri * gr;
          re += fr * tr - fi * ti;
        }
      }
      out[k] = re;
    }
  }
  return out;
}

/** γ_k of eq. (11) for every user into `out` [K]. */
export function isacSinrInto(out: Float64Array, o: IsacSinrInput): Float64Array {
  const { numUsers: K, numCommAnt: MC } = o;
  if (o.G.length !== 2 * K * o.numCommAnt || o.F.length !== 2 * K * MC || o.Fr.length !== 2 * K * o.numRadarAnt) {
    throw new RangeError(`isacSinrInto: G, F must be [${K}, ${MC}] and Fr [${K}, ${o.numRadarAnt}] complex`);
  }
  const leak = radarLeakage(o);
  for (let k = 0; k < K; k++) {
    let desired = 0;
    let interference = 0;
    for (let l = 0; l < K; l++) {
      const [re, im] = dotT(o.G, k * MC, o.F, l * MC, MC);
      if (l === k) desired = re * re + im * im;
      else interference += re * re + im * im;
    }
    out[k] = desired / (interference + leak[k] + o.noiseW);
  }
  return out;
}

/** Σ_k log2(1 + γ_k) (eq. 24; τ_k ≡ 1, docs/primal-dual.md choice C2). */
export function sumRate(sinr: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < sinr.length; k++) s += Math.log2(1 + sinr[k]);
  return s;
}
