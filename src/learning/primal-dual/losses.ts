/**
 * The differentiable, batched tfjs versions of paper 002's metrics (src/metrics/beampattern.ts;
 * tested equal there) and the primal–dual Lagrangian of stage 1 (docs/primal-dual.md).
 *
 * Layouts (float32, complex entries interleaved [re, im] on the last axis):
 *   Wr  [B, Kr, 2M_R]   radar factor, row j = w_j, R = Σ_j w_j w_jᴴ
 *   F   [B, K, 2M_C]    user beams, row l = F_l
 *   G2  [B, 2K, 2M_C]   per-user rows (Re-part, Im-part) of g_kᵀ·: row 2k = (g_re, −g_im),
 *                       row 2k+1 = (g_im, g_re) interleaved, so (G2·Fᵀ)[2k+c, l] = Re/Im g_kᵀF_l
 *   Fr2 [B, 2K, 2M_R]   the same for f_k (radar leakage f_kᵀ w_j)
 * Every product is a matMul with a constant or a batch tensor (no split or concat on the (re, im)
 * axis, which is slow on wasm: docs/learning-losses.md).
 *
 * Beampattern from the factor: Z = aᴴ(θ_l) w_j for every row and grid point is one 2-D product of
 * the rows with a constant [2M_R, 2L] matrix, laid out [B, Kr, (re | im), L] so that X = reshape
 * to [B, 2Kr, L] gives P(θ_l) = Σ_rows X² and Re P_c = Xᵀ X; with Y = rows (Im Z, −Re Z),
 * Im P_c = Yᵀ X. |P_c| = √(Re² + Im² + 1e-24): the floor keeps the gradient finite where P_c = 0
 * and moves |P_c| by < 1e-12. This path serves any R (stage 2's learned factors).
 *
 * Stage 1 trains on two faster, equal paths (tested against the ones above and against float64):
 * the split path for L_r (the pattern and P_c are linear in the split q: SplitConstants) and a
 * scalar-gain op for the rate (stage1RateTf); both hand their gradients to tfjs as customGrad ops.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { BeampatternSpec } from '../../metrics/beampattern.ts';
import { featureDim, featuresOf, type ChannelSet, type FeatureKind, type Paper002Problem } from './problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** Squared-modulus floor under |P_c| (see the module comment). */
export const MODULUS_FLOOR = 1e-24;

/** Constant tensors of one beampattern spec (owned: call dispose). */
export interface PatternConstants {
  L: number;
  MR: number;
  scale: number;
  /** [2M_R, 2L]: row-vector w (interleaved) → (Re z_l | Im z_l), z_l = aᴴ(θ_l) w */
  cx: Tensor2D;
  /** [2M_R, 2L]: w → (Im z_l | −Re z_l) */
  cy: Tensor2D;
  /** d(θ_l) [L] */
  desired: Tensor1D;
  /** 1 where l < r, [L, L] */
  upper: Tensor2D;
  dispose(): void;
}

export function patternConstants(tf: Tf, spec: BeampatternSpec): PatternConstants {
  const M = spec.numAnt;
  const L = spec.gridDeg.length;
  const cx = new Float32Array(2 * M * 2 * L);
  const cy = new Float32Array(2 * M * 2 * L);
  const W = 2 * L;
  for (let l = 0; l < L; l++) {
    for (let n = 0; n < M; n++) {
      const ar = spec.A[2 * (l * M + n)];
      const ai = spec.A[2 * (l * M + n) + 1];
      // Re z = Σ a_re w_re + a_im w_im,  Im z = Σ a_re w_im − a_im w_re
      cx[2 * n * W + l] = ar;
      cx[(2 * n + 1) * W + l] = ai;
      cx[2 * n * W + L + l] = -ai;
      cx[(2 * n + 1) * W + L + l] = ar;
      cy[2 * n * W + l] = -ai;
      cy[(2 * n + 1) * W + l] = ar;
      cy[2 * n * W + L + l] = -ar;
      cy[(2 * n + 1) * W + L + l] = -ai;
    }
  }
  const upper = new Float32Array(L * L);
  for (let l = 0; l < L; l++) for (let r = l + 1; r < L; r++) upper[l * L + r] = 1;
  const t = {
    cx: tf.keep(tf.tensor2d(cx, [2 * M, 2 * L])),
    cy: tf.keep(tf.tensor2d(cy, [2 * M, 2 * L])),
    desired: tf.keep(tf.tensor1d(Float32Array.from(spec.desired))),
    upper: tf.keep(tf.tensor2d(upper, [L, L])),
  };
  return { L, MR: M, scale: spec.scale, ...t, dispose: () => tf.dispose([t.cx, t.cy, t.desired, t.upper]) };
}

/** X and Y of the module comment for R̄ = scale·R: [B, 2Kr, L] each. */
function projections(tf: Tf, c: PatternConstants, Wr: Tensor3D): { X: Tensor3D; Y: Tensor3D } {
  const [B, Kr] = Wr.shape;
  const rows = tf.mul(tf.reshape(Wr, [B * Kr, 2 * c.MR]), Math.sqrt(c.scale)) as Tensor2D;
  return {
    X: tf.reshape(tf.matMul(rows, c.cx), [B, 2 * Kr, c.L]) as Tensor3D,
    Y: tf.reshape(tf.matMul(rows, c.cy), [B, 2 * Kr, c.L]) as Tensor3D,
  };
}

/** P̄(θ_l) = scale·aᴴ(θ_l) R a(θ_l), [B, L]. */
export function beampatternTf(tf: Tf, c: PatternConstants, Wr: Tensor3D): Tensor2D {
  return tf.tidy(() => tf.sum(tf.square(projections(tf, c, Wr).X), 1) as Tensor2D);
}

export interface SensingLossTf {
  /** L_r,1 [B] */ patternError: Tensor1D;
  /** L_r,2 [B] */ crossCorrelation: Tensor1D;
  /** L_r [B] */ total: Tensor1D;
}

/** L_r,1 (eq. 7), L_r,2 (eq. 9) and L_r of every sample's R̄ = scale·Σ_j w_j w_jᴴ. */
export function sensingLossTf(tf: Tf, c: PatternConstants, Wr: Tensor3D): SensingLossTf {
  const { X, Y } = projections(tf, c, Wr);
  const P = tf.sum(tf.square(X), 1); // [B, L]
  const patternError = tf.mean(tf.square(tf.sub(c.desired, P)), 1) as Tensor1D;
  const re = tf.matMul(X, X, true, false); // [B, L, L]
  const im = tf.matMul(Y, X, true, false);
  const modulus = tf.sqrt(tf.add(tf.add(tf.square(re), tf.square(im)), MODULUS_FLOOR));
  const L = c.L;
  const crossCorrelation = tf.mul(tf.sum(tf.mul(modulus, c.upper), [1, 2]), 2 / (L * L - L)) as Tensor1D;
  return { patternError, crossCorrelation, total: tf.add(patternError, crossCorrelation) as Tensor1D };
}

/**
 * Constants of the target-beam split family R̄ = scale·Σ_p q_p b_p b_pᴴ, where the pattern and the
 * cross-correlation are linear in q (owned: call dispose):
 *   P̄(θ_l)       = Σ_p q_p π_{p,l},       π_{p,l} = scale·|aᴴ(θ_l) b_p|²
 *   P̄_c(l, r)    = Σ_p q_p χ_{p,(l,r)},  χ_{p,(l,r)} = scale·(aᴴ(θ_l) b_p)(b_pᴴ a(θ_r)),  l < r
 * L_r,1 is then one [B, P]·[P, L] product. L_r,2 = 2/(L²−L) Σ_pairs |Σ_p q_p χ_p| and its gradient
 * Σ_pairs Re(conj(P̄_c) χ_p)/|P̄_c| are computed together, in one float64 pass over the pairs per
 * sample (a tf.customGrad op): on wasm this is ~10× faster than the factor path (which forms
 * [B, L, L]) and ~5× faster than the same algebra as tf ops, for the same numbers (tested).
 */
export interface SplitConstants {
  P: number;
  L: number;
  numPairs: number;
  /** π [P, L] */ pattern: Tensor2D;
  /** χ, beam-major: [P, pairs] real and imaginary parts (float64) */
  crossRe: Float64Array;
  crossIm: Float64Array;
  desired: Tensor1D;
  dispose(): void;
}

export function splitConstants(tf: Tf, spec: BeampatternSpec, beams: Float64Array): SplitConstants {
  const M = spec.numAnt;
  const L = spec.gridDeg.length;
  const P = beams.length / (2 * M);
  const numPairs = (L * (L - 1)) / 2;
  const pattern = new Float32Array(P * L);
  const crossRe = new Float64Array(numPairs * P);
  const crossIm = new Float64Array(numPairs * P);
  const z = new Float64Array(2 * L);
  for (let p = 0; p < P; p++) {
    for (let l = 0; l < L; l++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < M; n++) {
        const ar = spec.A[2 * (l * M + n)];
        const ai = spec.A[2 * (l * M + n) + 1];
        const br = beams[2 * (p * M + n)];
        const bi = beams[2 * (p * M + n) + 1];
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
      }
      z[2 * l] = re;
      z[2 * l + 1] = im;
      pattern[p * L + l] = spec.scale * (re * re + im * im);
    }
    let i = 0;
    for (let l = 0; l < L - 1; l++) {
      for (let r = l + 1; r < L; r++, i++) {
        // z_l · conj(z_r)
        crossRe[p * numPairs + i] = spec.scale * (z[2 * l] * z[2 * r] + z[2 * l + 1] * z[2 * r + 1]);
        crossIm[p * numPairs + i] = spec.scale * (z[2 * l + 1] * z[2 * r] - z[2 * l] * z[2 * r + 1]);
      }
    }
  }
  const t = {
    pattern: tf.keep(tf.tensor2d(pattern, [P, L])),
    desired: tf.keep(tf.tensor1d(Float32Array.from(spec.desired))),
  };
  return { P, L, numPairs, crossRe, crossIm, ...t, dispose: () => tf.dispose([t.pattern, t.desired]) };
}

/** Systematic sampling of the grid pairs for a training estimate of L_r,2 (see splitCrossCorrelation). */
export interface PairSampling {
  /** Every stride-th pair (1: all of them, the exact value). */
  stride: number;
  /** The first pair, 0 ≤ offset < stride, drawn uniformly per step. */
  offset: number;
}

/**
 * L_r,2 of splits q [B, P] and its gradient ∂L_r,2/∂q [B, P], in float64 (see SplitConstants).
 * With a PairSampling, only the pairs i ≡ offset (mod stride) are visited and their sum is scaled
 * by stride: each pair is included with probability 1/stride over a uniform offset, so value and
 * gradient are unbiased estimates of the exact ones, at 1/stride of the cost — for training steps
 * (the mini-batch already makes the gradient an estimate); evaluation always uses every pair.
 */
export function splitCrossCorrelation(c: SplitConstants, q: ArrayLike<number>, B: number, sampling: PairSampling = { stride: 1, offset: 0 }): { value: Float64Array; grad: Float64Array } {
  const { P, L, numPairs: n, crossRe, crossIm } = c;
  const { stride, offset } = sampling;
  if (!Number.isInteger(stride) || stride < 1 || !Number.isInteger(offset) || offset < 0 || offset >= stride) {
    throw new RangeError(`splitCrossCorrelation: need an integer stride ≥ 1 and 0 ≤ offset < stride, got ${stride}, ${offset}`);
  }
  const value = new Float64Array(B);
  const grad = new Float64Array(B * P);
  const norm = (2 * stride) / (L * L - L);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const inv = new Float64Array(n);
  // Simple passes over contiguous [pairs] arrays, one beam at a time (χ is beam-major).
  for (let b = 0; b < B; b++) {
    re.fill(0);
    im.fill(0);
    for (let p = 0; p < P; p++) {
      const qp = +q[b * P + p];
      const o = p * n;
      for (let i = offset; i < n; i += stride) {
        re[i] += qp * crossRe[o + i];
        im[i] += qp * crossIm[o + i];
      }
    }
    let total = 0;
    for (let i = offset; i < n; i += stride) {
      const m = Math.sqrt(re[i] * re[i] + im[i] * im[i] + MODULUS_FLOOR);
      total += m;
      inv[i] = 1 / m;
    }
    value[b] = norm * total;
    for (let p = 0; p < P; p++) {
      const o = p * n;
      let g = 0;
      for (let i = offset; i < n; i += stride) g += (re[i] * crossRe[o + i] + im[i] * crossIm[o + i]) * inv[i];
      grad[b * P + p] = norm * g;
    }
  }
  return { value, grad };
}

/** L_r,1, L_r,2 and L_r of every sample's split q [B, P] (W per beam), through SplitConstants (L_r,2 sampled if asked). */
export function splitSensingLossTf(tf: Tf, c: SplitConstants, q: Tensor2D, sampling?: PairSampling): SensingLossTf {
  const [B] = q.shape;
  const P = tf.matMul(q, c.pattern); // [B, L]
  const patternError = tf.mean(tf.square(tf.sub(c.desired, P)), 1) as Tensor1D;
  const body = (qt: Tensor, save: (ts: Tensor[]) => void) => {
    const { value, grad } = splitCrossCorrelation(c, qt.dataSync(), B, sampling);
    save([tf.tensor2d(Float32Array.from(grad), [B, c.P])]);
    return {
      value: tf.tensor1d(Float32Array.from(value)),
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(saved[0], tf.expandDims(dy, 1)),
    };
  };
  const cross = tf.customGrad(body as unknown as Parameters<Tf['customGrad']>[0]);
  const crossCorrelation = cross(q) as Tensor1D;
  return { patternError, crossCorrelation, total: tf.add(patternError, crossCorrelation) as Tensor1D };
}

/** |G2·Xᵀ| per (user, row): [B, 2K, rows] → Σ over (re, im) → [B, K, rows]. */
function squaredProducts(tf: Tf, rows2: Tensor3D, X: Tensor3D): Tensor3D {
  const [B, twoK] = rows2.shape;
  const S = tf.matMul(rows2, X, false, true); // [B, 2K, rows]
  return tf.sum(tf.reshape(tf.square(S), [B, twoK / 2, 2, X.shape[1]]), 2) as Tensor3D;
}

/** f_kᵀ R f_k* = Σ_j |f_kᵀ w_j|², [B, K]. */
export function radarLeakageTf(tf: Tf, Fr2: Tensor3D, Wr: Tensor3D): Tensor2D {
  return tf.sum(squaredProducts(tf, Fr2, Wr), 2) as Tensor2D;
}

/** γ_k of eq. (11), [B, K], with noise N_0. */
export function isacSinrTf(tf: Tf, G2: Tensor3D, F: Tensor3D, Fr2: Tensor3D, Wr: Tensor3D, noiseW: number): Tensor2D {
  const K = F.shape[1];
  const pw = squaredProducts(tf, G2, F); // [B, K, K]: |g_kᵀ F_l|²
  const desired = tf.sum(tf.mul(pw, tf.eye(K)), 2);
  const interference = tf.sub(tf.sum(pw, 2), desired);
  const leak = radarLeakageTf(tf, Fr2, Wr);
  return tf.div(desired, tf.add(tf.add(interference, leak), noiseW)) as Tensor2D;
}

/** Σ_k log2(1 + γ_k), [B]. */
export function sumRateTf(tf: Tf, sinr: Tensor2D): Tensor1D {
  return tf.div(tf.sum(tf.log1p(sinr), 1), Math.LN2) as Tensor1D;
}

// -------------------------------------------------------------------------- stage 1

/** The batch of a stage-1 step: input features and the channel tensors the loss reads. */
export interface Stage1Batch {
  /** [B, 2MK] */ x: Tensor2D;
  /** [B, 2K, 2M_C] */ G2: Tensor3D;
  /** [B, 2K, 2M_R] */ Fr2: Tensor3D;
  /** MRT directions u_k, [B, K, 2M_C] */ U: Tensor3D;
  /** a_kl² [B, K, K] and c_kp [B, K, P] (float64) for the scalar rate path */
  gain2: Float64Array;
  radarGain: Float64Array;
}

/** Rows (Re-part, Im-part) of xᵀ· for K complex row vectors of length n: [2K, 2n] per sample. */
function transposeRows(out: Float32Array, o: number, v: Float32Array | Float64Array, vo: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const re = v[vo + 2 * i];
    const im = v[vo + 2 * i + 1];
    out[o + 2 * i] = re;
    out[o + 2 * i + 1] = -im;
    out[o + 2 * n + 2 * i] = im;
    out[o + 2 * n + 2 * i + 1] = re;
  }
}

/** Samples [start, start + B) of a channel set as a Stage1Batch (tensors owned by the caller). */
export function stage1Batch(tf: Tf, pb: Paper002Problem, set: ChannelSet, start: number, B: number, features: FeatureKind = 'channel'): Stage1Batch {
  const { K, M, MR, MC } = pb;
  const G2 = new Float32Array(B * 2 * K * 2 * MC);
  const Fr2 = new Float32Array(B * 2 * K * 2 * MR);
  for (let b = 0; b < B; b++) {
    const s = start + b;
    for (let k = 0; k < K; k++) {
      const ho = 2 * (s * K + k) * M;
      transposeRows(Fr2, (b * 2 * K + 2 * k) * 2 * MR, set.H, ho, MR);
      transposeRows(G2, (b * 2 * K + 2 * k) * 2 * MC, set.H, ho + 2 * MR, MC);
    }
  }
  const inDim = featureDim(pb, features);
  return {
    x: tf.tensor2d(featuresOf(set, features).subarray(start * inDim, (start + B) * inDim), [B, inDim]),
    G2: tf.tensor3d(G2, [B, 2 * K, 2 * MC]),
    Fr2: tf.tensor3d(Fr2, [B, 2 * K, 2 * MR]),
    U: tf.tensor3d(Float32Array.from(set.U.subarray(start * K * 2 * MC, (start + B) * K * 2 * MC)), [B, K, 2 * MC]),
    gain2: set.amplitude.slice(start * K * K, (start + B) * K * K).map((a) => a * a),
    radarGain: set.radarGain.slice(start * K * pb.P, (start + B) * K * pb.P),
  };
}

export function disposeBatch(tf: Tf, b: Stage1Batch): void {
  tf.dispose([b.x, b.G2, b.Fr2, b.U]);
}

/** Constants of stage 1's output mapping: the target beams and the budgets. */
export interface Stage1Constants {
  /** The factor path (any R); stage 1's loss uses `split`. */
  pattern: PatternConstants;
  split: SplitConstants;
  /** b_p, [1, P, 2M_R] */ beams: Tensor3D;
  K: number;
  P: number;
  powerMaxW: number;
  /** P_R / M_R: Σ_p q_p */ splitTotal: number;
  noiseW: number;
  dispose(): void;
}

export function stage1Constants(tf: Tf, pb: Paper002Problem): Stage1Constants {
  const pattern = patternConstants(tf, pb.spec);
  const split = splitConstants(tf, pb.spec, pb.beams);
  const beams = tf.keep(tf.tensor3d(Float32Array.from(pb.beams), [1, pb.P, 2 * pb.MR]));
  return {
    pattern,
    split,
    beams,
    K: pb.K,
    P: pb.P,
    powerMaxW: pb.cfg.powerMaxW,
    splitTotal: pb.cfg.radarPowerW / pb.MR,
    noiseW: pb.noiseW,
    dispose: () => {
      pattern.dispose();
      split.dispose();
      beams.dispose();
    },
  };
}

/**
 * Stage 1's output head, z [B, K + P] → p_k = P_max σ(z_k) and q = (P_R/M_R) softmax(z_{K+1…}),
 * with their square roots computed as exp(½ log σ) and exp(½ log softmax) (finite gradients even
 * where a power underflows to 0).
 */
export function stage1Powers(tf: Tf, c: Stage1Constants, z: Tensor2D): { p: Tensor2D; q: Tensor2D; sqrtP: Tensor2D; sqrtQ: Tensor2D } {
  const [B] = z.shape;
  const zp = tf.slice(z, [0, 0], [B, c.K]) as Tensor2D;
  const zq = tf.slice(z, [0, c.K], [B, c.P]) as Tensor2D;
  // log σ(z) = −softplus(−z) (tf.logSigmoid's customGrad reads a disposed input inside valueAndGrad)
  const logP = tf.sub(Math.log(c.powerMaxW), tf.softplus(tf.neg(zp)));
  const logQ = tf.add(tf.logSoftmax(zq), Math.log(c.splitTotal));
  return {
    p: tf.exp(logP) as Tensor2D,
    q: tf.exp(logQ) as Tensor2D,
    sqrtP: tf.exp(tf.mul(logP, 0.5)) as Tensor2D,
    sqrtQ: tf.exp(tf.mul(logQ, 0.5)) as Tensor2D,
  };
}

/** Beams of stage 1: F_k = √p_k u_k [B, K, 2M_C] and the radar factor √q_p b_p [B, P, 2M_R]; q [B, P]. */
export function stage1Beams(tf: Tf, c: Stage1Constants, batch: Stage1Batch, z: Tensor2D): { F: Tensor3D; Wr: Tensor3D; q: Tensor2D } {
  const { q, sqrtP, sqrtQ } = stage1Powers(tf, c, z);
  return {
    F: tf.mul(batch.U, tf.expandDims(sqrtP, 2)) as Tensor3D,
    Wr: tf.mul(c.beams, tf.expandDims(sqrtQ, 2)) as Tensor3D,
    q,
  };
}

/**
 * Stage 1's sum rate from the batch's gains (problem.ts's scalar form of eq. 11, equal to it on the
 * stage-1 beams: tested), with its gradient written out — a tf.customGrad op over p [B, K] and
 * q [B, P]; the eq.-(11) path through the beams costs ~25 small kernels and their gradients:
 *   T_k = Σ_l p_l a_kl² + Σ_j q_j c_kj + N_0,  D_k = T_k − p_k a_kk²,  R = Σ_k log2(T_k / D_k)
 *   ∂R/∂p_m = (1/ln 2) Σ_k a_km² (1/T_k − [m ≠ k]/D_k),  ∂R/∂q_j = (1/ln 2) Σ_k c_kj (1/T_k − 1/D_k)
 */
export function stage1RateTf(tf: Tf, c: Stage1Constants, batch: Stage1Batch, p: Tensor2D, q: Tensor2D): Tensor1D {
  const [B] = p.shape;
  const { K, P, noiseW } = c;
  const a2 = batch.gain2;
  const cr = batch.radarGain;
  const body = (pt: Tensor, qt: Tensor, save: (ts: Tensor[]) => void) => {
    const pv = pt.dataSync();
    const qv = qt.dataSync();
    const rate = new Float32Array(B);
    const gp = new Float32Array(B * K);
    const gq = new Float32Array(B * P);
    const T = new Float64Array(K);
    const D = new Float64Array(K);
    for (let b = 0; b < B; b++) {
      let r = 0;
      for (let k = 0; k < K; k++) {
        let t = noiseW;
        for (let l = 0; l < K; l++) t += pv[b * K + l] * a2[(b * K + k) * K + l];
        for (let j = 0; j < P; j++) t += qv[b * P + j] * cr[(b * K + k) * P + j];
        T[k] = t;
        D[k] = t - pv[b * K + k] * a2[(b * K + k) * K + k];
        r += Math.log(t / D[k]);
      }
      rate[b] = r / Math.LN2;
      for (let m = 0; m < K; m++) {
        let g = 0;
        for (let k = 0; k < K; k++) g += a2[(b * K + k) * K + m] * (1 / T[k] - (m === k ? 0 : 1 / D[k]));
        gp[b * K + m] = g / Math.LN2;
      }
      for (let j = 0; j < P; j++) {
        let g = 0;
        for (let k = 0; k < K; k++) g += cr[(b * K + k) * P + j] * (1 / T[k] - 1 / D[k]);
        gq[b * P + j] = g / Math.LN2;
      }
    }
    save([tf.tensor2d(gp, [B, K]), tf.tensor2d(gq, [B, P])]);
    return {
      value: tf.tensor1d(rate),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [tf.mul(saved[0], tf.expandDims(dy, 1)), tf.mul(saved[1], tf.expandDims(dy, 1))],
    };
  };
  return tf.customGrad(body as unknown as Parameters<Tf['customGrad']>[0])(p, q) as Tensor1D;
}

export interface Stage1MetricOptions {
  /** 'scalar' (default, stage1RateTf) or 'eq11' (isacSinrTf on the built beams): the same rate. */
  rate?: 'scalar' | 'eq11';
  /** 'split' (default) or 'factor' (sensingLossTf on √q_p b_p): the same L_r. */
  sensing?: 'split' | 'factor';
  /** Training estimate of L_r,2 (split path only). */
  sampling?: PairSampling;
}

/** Per-sample metrics of a stage-1 output: sum rate [B] and the sensing losses [B]. */
export function stage1Metrics(tf: Tf, c: Stage1Constants, batch: Stage1Batch, z: Tensor2D, o: Stage1MetricOptions = {}): { rate: Tensor1D; sensing: SensingLossTf } {
  let rate: Tensor1D;
  let q: Tensor2D;
  let Wr: Tensor3D | undefined;
  if ((o.rate ?? 'scalar') === 'eq11' || o.sensing === 'factor') {
    const beams = stage1Beams(tf, c, batch, z);
    q = beams.q;
    Wr = beams.Wr;
    rate = o.rate === 'eq11' ? sumRateTf(tf, isacSinrTf(tf, batch.G2, beams.F, batch.Fr2, beams.Wr, c.noiseW)) : stage1RateTf(tf, c, batch, stage1Powers(tf, c, z).p, q);
  } else {
    const heads = stage1Powers(tf, c, z);
    q = heads.q;
    rate = stage1RateTf(tf, c, batch, heads.p, q);
  }
  const sensing = o.sensing === 'factor' ? sensingLossTf(tf, c.pattern, Wr!) : splitSensingLossTf(tf, c.split, q, o.sampling);
  return { rate, sensing };
}

/**
 * The primal loss of one BS (docs/primal-dual.md, the corrected form of eqs. 17–21 / 35–38):
 *   ℓ(ω) = −mean_b Σ_k log2(1 + γ_bk) + μ·(mean_b L_r,b − ε) + ρ·mean_{b,k} z_bk²
 * with μ held fixed (the dual variable of the sensing constraint). The last term (ρ ≥ 0, choice
 * C10, not in the paper) keeps the power logits z_1…z_K where σ still has a slope: without it the
 * logits run off to +∞ (every user at P_max) early in training and σ' ≈ 0 freezes them there.
 * Returns the loss and the two batch means (the caller disposes them) for the dual update and the
 * log.
 */
export function lagrangianTf(
  tf: Tf,
  c: Stage1Constants,
  batch: Stage1Batch,
  z: Tensor2D,
  mu: number,
  epsilon: number,
  logitPenalty = 0,
  metrics: Stage1MetricOptions = {},
): { loss: Tensor; meanRate: Tensor; meanLr: Tensor } {
  const { rate, sensing } = stage1Metrics(tf, c, batch, z, metrics);
  const meanRate = tf.mean(rate);
  const meanLr = tf.mean(sensing.total);
  let loss = tf.add(tf.neg(meanRate), tf.mul(mu, tf.sub(meanLr, epsilon)));
  if (logitPenalty > 0) loss = tf.add(loss, tf.mul(logitPenalty, tf.mean(tf.square(tf.slice(z, [0, 0], [z.shape[0], c.K])))));
  return { loss, meanRate, meanLr };
}

/** Supervised loss: MSE between p/P_max = σ(z_{1…K}) and the WMMSE labels [B, K] ∈ [0, 1]. */
export function supervisedLossTf(tf: Tf, c: Stage1Constants, z: Tensor2D, labels: Tensor2D): Tensor {
  const [B] = z.shape;
  return tf.mean(tf.square(tf.sub(tf.sigmoid(tf.slice(z, [0, 0], [B, c.K])), labels)));
}
