/**
 * Paper 002 stage 2, beamforming (eqs. 23–26; docs/primal-dual.md §7): the 2MK output head's map
 * to complex user beams F and a radar covariance R, in float64 (evaluation, serving) and as tfjs
 * ops (training), plus the stage-2 Lagrangian and the supervised loss.
 *
 * Output layout (choice S1), z ∈ ℝ^{2MK} read as W ∈ ℂ^{M×K} in the layout of the paper's 2MK
 * channel input: z[k·M + i] = Re W_{ik}, z[MK + k·M + i] = Im W_{ik}; column k = [w_R,k; c_k]
 * mirrors h_k = [f_k; g_k] (radar rows first).
 *  - radar: W_R = rows 1…M_R; every row (antenna i) is scaled to norm √(P_R/M_R), W̃_R, and
 *    R = W̃_R W̃_Rᴴ, so diag(R) = (P_R/M_R)·1, R ⪰ 0, R = Rᴴ by construction (eq. 5), rank ≤ K.
 *    As a factor: R = Σ_k w_k w_kᴴ with w_k = column k of W̃_R (the factor layout of losses.ts).
 *  - communication (choice S2): the M_C coefficients c_k of user k's beam in the sample's own
 *    basis B = [u_1, …, u_K | q_{K+1}, …, q_{M_C}] of ℂ^{M_C} — the MRT directions
 *    u_l = conj(g_l)/‖g_l‖ followed by an orthonormal basis of their orthogonal complement
 *    (Gram–Schmidt of the unit vectors, problem-independent order): F_k = Σ_j c_kj b_j. The map
 *    is one-to-one, so every beamformer is reachable (WMMSE's lies in span(u)), MRT is the
 *    constant c_k = e_k and stage-1 power control is c_k = √p_k e_k.
 *  - power (choice S3): F is scaled to the per-BS budget P_tot = K·P_max, F ← F·√P_tot/‖F‖_F.
 *    Full power is optimal: scaling every beam by a > 1 multiplies each user's signal and
 *    inter-user interference by a² with the radar leakage and noise fixed, so every SINR rises.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { sensingLossOfFactor, isacSinrInto, sumRate, type SensingLoss } from '../../metrics/beampattern.ts';
import { choleskyInPlace, choleskySolveInPlace, czeros, type CArray } from '../../phy/complex.ts';
import { isacSinrTf, sensingLossTf, stage1Batch, sumRateTf, type PatternConstants, type Stage1Batch } from './losses.ts';
import { commChannel, radarChannel, type ChannelSet, type FeatureKind, type Paper002Problem } from './problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** Output length of the stage-2 head: 2MK. */
export function stage2OutputDim(pb: Paper002Problem): number {
  return 2 * pb.M * pb.K;
}

/** The per-BS power budget of stage 2: K·P_max (W). */
export function stage2PowerBudget(pb: Paper002Problem): number {
  return pb.K * pb.cfg.powerMaxW;
}

// ------------------------------------------------------------------------------- basis

/**
 * The communication basis of every sample, [n, M_C, M_C] complex, row j = b_j: u_1 … u_K, then an
 * orthonormal basis of span(u)^⊥ (Gram–Schmidt of e_1, e_2, … against the u's and the kept vectors,
 * keeping a residual when its norm exceeds 1e-3; with K ≤ M_C and i.i.d. channels span(u) has
 * dimension K, so M_C − K residuals are kept).
 */
export function commBasis(pb: Paper002Problem, set: ChannelSet): Float64Array {
  const { K, MC } = pb;
  if (K > MC) throw new RangeError(`commBasis: K = ${K} users need M_C ≥ K, got M_C = ${MC}`);
  const out = new Float64Array(set.n * MC * MC * 2);
  const ortho: Float64Array[] = [];
  const v = new Float64Array(2 * MC);
  for (let s = 0; s < set.n; s++) {
    const o = s * MC * MC * 2;
    out.set(set.U.subarray(s * K * MC * 2, (s + 1) * K * MC * 2), o);
    ortho.length = 0;
    const project = () => {
      for (const q of ortho) {
        // v ← v − q (qᴴ v)
        let re = 0;
        let im = 0;
        for (let i = 0; i < MC; i++) {
          re += q[2 * i] * v[2 * i] + q[2 * i + 1] * v[2 * i + 1];
          im += q[2 * i] * v[2 * i + 1] - q[2 * i + 1] * v[2 * i];
        }
        for (let i = 0; i < MC; i++) {
          v[2 * i] -= q[2 * i] * re - q[2 * i + 1] * im;
          v[2 * i + 1] -= q[2 * i] * im + q[2 * i + 1] * re;
        }
      }
    };
    const keep = (): boolean => {
      project();
      project(); // twice: re-orthogonalisation keeps the basis orthonormal to rounding
      let n2 = 0;
      for (let i = 0; i < 2 * MC; i++) n2 += v[i] * v[i];
      if (n2 <= 1e-6) return false;
      const inv = 1 / Math.sqrt(n2);
      ortho.push(Float64Array.from(v, (x) => x * inv));
      return true;
    };
    for (let k = 0; k < K; k++) {
      v.set(set.U.subarray((s * K + k) * MC * 2, (s * K + k + 1) * MC * 2));
      keep();
    }
    let row = K;
    for (let e = 0; e < MC && row < MC; e++) {
      v.fill(0);
      v[2 * e] = 1;
      if (keep()) {
        out.set(ortho[ortho.length - 1], o + row * MC * 2);
        row++;
      }
    }
    if (row < MC) throw new Error(`commBasis: sample ${s}: the MRT directions are linearly dependent (rank < K)`);
  }
  return out;
}

/**
 * The coefficients c of beams F [K, M_C] in sample s's basis (the inverse of F_k = Σ_j c_kj b_j):
 * complement coefficients c_kj = b_jᴴ F_k (j ≥ K, orthonormal and ⟂ span(u)), then the u-part
 * from the K×K Gram system G_lj = u_lᴴ u_j on the rest.
 */
export function coefficientsOf(pb: Paper002Problem, basis: Float64Array, s: number, F: CArray): Float64Array {
  const { K, MC } = pb;
  const o = s * MC * MC * 2;
  const b = (j: number, i: number) => [basis[o + 2 * (j * MC + i)], basis[o + 2 * (j * MC + i) + 1]] as const;
  const c = new Float64Array(2 * K * MC);
  const gram = czeros(K * K);
  for (let l = 0; l < K; l++) {
    for (let j = 0; j < K; j++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < MC; i++) {
        const [ar, ai] = b(l, i);
        const [br, bi] = b(j, i);
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
      }
      gram[2 * (l * K + j)] = re;
      gram[2 * (l * K + j) + 1] = im;
    }
  }
  choleskyInPlace(gram, K, 'coefficientsOf: the Gram matrix of the MRT directions');
  const rhs = czeros(K);
  const r = new Float64Array(2 * MC);
  for (let k = 0; k < K; k++) {
    r.set(F.subarray(2 * k * MC, 2 * (k + 1) * MC));
    for (let j = K; j < MC; j++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < MC; i++) {
        const [qr, qi] = b(j, i);
        re += qr * r[2 * i] + qi * r[2 * i + 1];
        im += qr * r[2 * i + 1] - qi * r[2 * i];
      }
      c[2 * (k * MC + j)] = re;
      c[2 * (k * MC + j) + 1] = im;
      for (let i = 0; i < MC; i++) {
        const [qr, qi] = b(j, i);
        r[2 * i] -= qr * re - qi * im;
        r[2 * i + 1] -= qr * im + qi * re;
      }
    }
    for (let l = 0; l < K; l++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < MC; i++) {
        const [ur, ui] = b(l, i);
        re += ur * r[2 * i] + ui * r[2 * i + 1];
        im += ur * r[2 * i + 1] - ui * r[2 * i];
      }
      rhs[2 * l] = re;
      rhs[2 * l + 1] = im;
    }
    choleskySolveInPlace(gram, K, rhs, 1);
    for (let l = 0; l < K; l++) {
      c[2 * (k * MC + l)] = rhs[2 * l];
      c[2 * (k * MC + l) + 1] = rhs[2 * l + 1];
    }
  }
  return c;
}

// ------------------------------------------------------------------------------- float64 head

/** A stage-2 decision for every sample: user beams F [n, K, M_C] and the radar factor W̃_R [n, K, M_R] (row k = column k of W̃_R). */
export interface BeamDecision {
  n: number;
  F: Float64Array;
  radar: Float64Array;
  /** Rows of each sample's radar factor (K for the head; P for a fixed target-beam split). */
  radarRows: number;
}

/** The head's map z [n, 2MK] → beams (see the module comment), in float64. */
export function stage2Decision(pb: Paper002Problem, basis: Float64Array, z: ArrayLike<number>, n: number): BeamDecision {
  const { K, M, MR, MC } = pb;
  const D = 2 * M * K;
  if (z.length !== n * D) throw new RangeError(`stage2Decision: ${z.length} outputs for ${n} samples of ${D}`);
  const F = new Float64Array(n * K * MC * 2);
  const radar = new Float64Array(n * K * MR * 2);
  const rowNorm = Math.sqrt(pb.cfg.radarPowerW / MR);
  const budget = Math.sqrt(stage2PowerBudget(pb));
  for (let s = 0; s < n; s++) {
    const zo = s * D;
    const re = (k: number, i: number) => +z[zo + k * M + i];
    const im = (k: number, i: number) => +z[zo + M * K + k * M + i];
    for (let i = 0; i < MR; i++) {
      let n2 = 0;
      for (let k = 0; k < K; k++) n2 += re(k, i) ** 2 + im(k, i) ** 2;
      const sc = rowNorm / Math.sqrt(n2 + 1e-12);
      for (let k = 0; k < K; k++) {
        radar[2 * ((s * K + k) * MR + i)] = sc * re(k, i);
        radar[2 * ((s * K + k) * MR + i) + 1] = sc * im(k, i);
      }
    }
    const bo = s * MC * MC * 2;
    let f2 = 0;
    for (let k = 0; k < K; k++) {
      const fo = 2 * (s * K + k) * MC;
      for (let j = 0; j < MC; j++) {
        const cr = re(k, MR + j);
        const ci = im(k, MR + j);
        for (let i = 0; i < MC; i++) {
          const br = basis[bo + 2 * (j * MC + i)];
          const bi = basis[bo + 2 * (j * MC + i) + 1];
          F[fo + 2 * i] += cr * br - ci * bi;
          F[fo + 2 * i + 1] += cr * bi + ci * br;
        }
      }
      for (let i = 0; i < 2 * MC; i++) f2 += F[fo + i] ** 2;
    }
    const sc = budget / Math.sqrt(f2 + 1e-12);
    for (let i = 0; i < K * MC * 2; i++) F[s * K * MC * 2 + i] *= sc;
  }
  return { n, F, radar, radarRows: K };
}

/** R = Σ_j w_j w_jᴴ of sample s of a decision, [M_R, M_R] complex (for checks and figures). */
export function radarCovariance(pb: Paper002Problem, d: BeamDecision, s: number): CArray {
  const MR = pb.MR;
  const R = czeros(MR * MR);
  for (let j = 0; j < d.radarRows; j++) {
    const o = 2 * (s * d.radarRows + j) * MR;
    for (let a = 0; a < MR; a++) {
      for (let b = 0; b < MR; b++) {
        // w_a conj(w_b)
        R[2 * (a * MR + b)] += d.radar[o + 2 * a] * d.radar[o + 2 * b] + d.radar[o + 2 * a + 1] * d.radar[o + 2 * b + 1];
        R[2 * (a * MR + b) + 1] += d.radar[o + 2 * a + 1] * d.radar[o + 2 * b] - d.radar[o + 2 * a] * d.radar[o + 2 * b + 1];
      }
    }
  }
  return R;
}

/** Scores of a stage-2 decision (as evaluate.ts's Evaluation). */
export interface BeamEvaluation {
  n: number;
  rates: Float64Array;
  lr: Float64Array;
  meanRate: number;
  meanLr: number;
  meanLr1: number;
  meanLr2: number;
  violationShare: number;
}

/** Float64 scores: Σ_k log2(1 + γ_k) of eq. (11) and L_r of each sample's R (consecutive equal radars computed once). */
export function evaluateBeams(pb: Paper002Problem, set: ChannelSet, d: BeamDecision): BeamEvaluation {
  const { K, MR, MC } = pb;
  const n = set.n;
  if (d.n !== n) throw new RangeError(`evaluateBeams: decision for ${d.n} samples, set of ${n}`);
  const rates = new Float64Array(n);
  const lr = new Float64Array(n);
  const sinr = new Float64Array(K);
  const G = new Float64Array(K * MC * 2);
  const Fr = new Float64Array(K * MR * 2);
  const size = d.radarRows * MR * 2;
  let l1 = 0;
  let l2 = 0;
  let viol = 0;
  let last: { w: Float64Array; loss: SensingLoss } | undefined;
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < K; k++) {
      G.set(commChannel(pb, set.H, s, k), 2 * k * MC);
      Fr.set(radarChannel(pb, set.H, s, k), 2 * k * MR);
    }
    const W = d.radar.subarray(s * size, (s + 1) * size);
    isacSinrInto(sinr, { numUsers: K, numCommAnt: MC, numRadarAnt: MR, G, Fr, F: d.F.subarray(s * K * MC * 2, (s + 1) * K * MC * 2), radarFactor: { W, rows: d.radarRows }, noiseW: pb.noiseW });
    rates[s] = sumRate(sinr);
    if (!last || W.some((v, i) => v !== last!.w[i])) last = { w: Float64Array.from(W), loss: sensingLossOfFactor(pb.spec, W, d.radarRows) };
    lr[s] = last.loss.total;
    l1 += last.loss.patternError;
    l2 += last.loss.crossCorrelation;
    if (lr[s] > pb.cfg.epsilon) viol++;
  }
  const mean = (v: Float64Array) => v.reduce((x, y) => x + y, 0) / n;
  return { n, rates, lr, meanRate: mean(rates), meanLr: mean(lr), meanLr1: l1 / n, meanLr2: l2 / n, violationShare: viol / n };
}

/** Mean beampattern P̄(θ_l) of a decision over its samples, [L] (figures). */
export function meanBeampattern(pb: Paper002Problem, d: BeamDecision): Float64Array {
  const { MR } = pb;
  const L = pb.spec.gridDeg.length;
  const out = new Float64Array(L);
  const A = pb.spec.A;
  for (let s = 0; s < d.n; s++) {
    for (let j = 0; j < d.radarRows; j++) {
      const o = 2 * (s * d.radarRows + j) * MR;
      for (let l = 0; l < L; l++) {
        let re = 0;
        let im = 0;
        for (let i = 0; i < MR; i++) {
          const ar = A[2 * (l * MR + i)];
          const ai = A[2 * (l * MR + i) + 1];
          // aᴴ w
          re += ar * d.radar[o + 2 * i] + ai * d.radar[o + 2 * i + 1];
          im += ar * d.radar[o + 2 * i + 1] - ai * d.radar[o + 2 * i];
        }
        out[l] += pb.spec.scale * (re * re + im * im);
      }
    }
  }
  for (let l = 0; l < L; l++) out[l] /= d.n;
  return out;
}

// ------------------------------------------------------------------------------- tf ops

/** Constant tensors of the stage-2 head (owned: dispose). */
export interface Stage2Constants {
  pattern: PatternConstants;
  K: number;
  MR: number;
  MC: number;
  /** [2MK, K·2M_R]: z → the radar columns, interleaved per (k, i) */ selRadar: Tensor2D;
  /** [2MK, K·2M_C]: z → the comm coefficients c_k, interleaved */ selComm: Tensor2D;
  rowNorm: number;
  budget: number;
  noiseW: number;
  dispose(): void;
}

export function stage2Constants(tf: Tf, pb: Paper002Problem, pattern: PatternConstants): Stage2Constants {
  const { K, M, MR, MC } = pb;
  const D = 2 * M * K;
  const sr = new Float32Array(D * K * 2 * MR);
  const sc = new Float32Array(D * K * 2 * MC);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < M; i++) {
      const reRow = k * M + i;
      const imRow = M * K + k * M + i;
      if (i < MR) {
        const col = k * 2 * MR + 2 * i;
        sr[reRow * K * 2 * MR + col] = 1;
        sr[imRow * K * 2 * MR + col + 1] = 1;
      } else {
        const col = k * 2 * MC + 2 * (i - MR);
        sc[reRow * K * 2 * MC + col] = 1;
        sc[imRow * K * 2 * MC + col + 1] = 1;
      }
    }
  }
  const t = { selRadar: tf.keep(tf.tensor2d(sr, [D, K * 2 * MR])), selComm: tf.keep(tf.tensor2d(sc, [D, K * 2 * MC])) };
  return {
    pattern,
    K,
    MR,
    MC,
    ...t,
    rowNorm: Math.sqrt(pb.cfg.radarPowerW / MR),
    budget: Math.sqrt(stage2PowerBudget(pb)),
    noiseW: pb.noiseW,
    dispose: () => tf.dispose([t.selRadar, t.selComm]),
  };
}

/** A stage-2 training batch: stage 1's tensors plus the real form of each sample's basis. */
export interface Stage2Batch extends Stage1Batch {
  /** [B, 2M_C, 2M_C]: interleaved c (row vector) · T = interleaved Σ_j c_j b_j */ T: Tensor3D;
}

/** Samples [start, start + B) of a set with their bases (tensors owned by the caller: disposeStage2Batch). */
export function stage2Batch(tf: Tf, pb: Paper002Problem, set: ChannelSet, basis: Float64Array, start: number, B: number, features: FeatureKind): Stage2Batch {
  const MC = pb.MC;
  const T = new Float32Array(B * 4 * MC * MC);
  for (let b = 0; b < B; b++) {
    const bo = (start + b) * MC * MC * 2;
    const to = b * 4 * MC * MC;
    const W = 2 * MC;
    for (let j = 0; j < MC; j++) {
      for (let i = 0; i < MC; i++) {
        const br = basis[bo + 2 * (j * MC + i)];
        const bi = basis[bo + 2 * (j * MC + i) + 1];
        T[to + 2 * j * W + 2 * i] = br;
        T[to + 2 * j * W + 2 * i + 1] = bi;
        T[to + (2 * j + 1) * W + 2 * i] = -bi;
        T[to + (2 * j + 1) * W + 2 * i + 1] = br;
      }
    }
  }
  return { ...stage1Batch(tf, pb, set, start, B, features), T: tf.tensor3d(T, [B, 2 * MC, 2 * MC]) };
}

export function disposeStage2Batch(tf: Tf, b: Stage2Batch): void {
  tf.dispose([b.x, b.G2, b.Fr2, b.U, b.T]);
}

/** The head's map as tf ops: z [B, 2MK] → F [B, K, 2M_C] (at full power) and W̃_R [B, K, 2M_R] (rows of norm √(P_R/M_R)). */
export function stage2BeamsTf(tf: Tf, c: Stage2Constants, batch: Stage2Batch, z: Tensor2D): { F: Tensor3D; Wr: Tensor3D } {
  const [B] = z.shape;
  const { K, MR, MC } = c;
  const raw = tf.reshape(tf.matMul(z, c.selRadar), [B, K, MR, 2]);
  const rowN2 = tf.sum(tf.square(raw), [1, 3], true); // [B, 1, MR, 1]
  const Wr = tf.reshape(tf.mul(raw, tf.mul(tf.rsqrt(tf.add(rowN2, 1e-12)), c.rowNorm)), [B, K, 2 * MR]) as Tensor3D;
  const coef = tf.reshape(tf.matMul(z, c.selComm), [B, K, 2 * MC]) as Tensor3D;
  const Fraw = tf.matMul(coef, batch.T); // [B, K, 2MC]
  const n2 = tf.sum(tf.square(Fraw), [1, 2], true);
  const F = tf.mul(Fraw, tf.mul(tf.rsqrt(tf.add(n2, 1e-12)), c.budget)) as Tensor3D;
  return { F, Wr };
}

export interface Stage2LossOptions {
  /** L_r from the first `sensingSamples` samples of the batch only (an unbiased estimate of the batch mean; default all). */
  sensingSamples?: number;
}

/**
 * The stage-2 primal loss, the same form as stage 1's (lagrangianTf):
 *   ℓ = −mean_b Σ_k log2(1 + γ_bk) + μ (mean_b L_r,b − ε)
 * with γ of eq. (11) on the head's beams and L_r on its R (the factor path, every grid pair).
 */
export function stage2LagrangianTf(tf: Tf, c: Stage2Constants, batch: Stage2Batch, z: Tensor2D, mu: number, epsilon: number, o: Stage2LossOptions = {}): { loss: Tensor; meanRate: Tensor; meanLr: Tensor } {
  const { F, Wr } = stage2BeamsTf(tf, c, batch, z);
  const meanRate = tf.mean(sumRateTf(tf, isacSinrTf(tf, batch.G2, F, batch.Fr2, Wr, c.noiseW)));
  const B = z.shape[0];
  const nS = Math.min(B, o.sensingSamples ?? B);
  const WrS = nS < B ? (tf.slice(Wr, [0, 0, 0], [nS, -1, -1]) as Tensor3D) : Wr;
  const meanLr = tf.mean(sensingLossTf(tf, c.pattern, WrS).total);
  const loss = tf.add(tf.neg(meanRate), tf.mul(mu, tf.sub(meanLr, epsilon)));
  return { loss, meanRate, meanLr };
}

/** Supervised stage-2 loss: MSE between the head's comm coefficients and the labels [B, K·2M_C]. */
export function stage2SupervisedLossTf(tf: Tf, c: Stage2Constants, z: Tensor2D, labels: Tensor2D): Tensor {
  return tf.mean(tf.square(tf.sub(tf.matMul(z, c.selComm), labels)));
}

/** Per-sample rate [B] of the tf path (tests). */
export function stage2RateTf(tf: Tf, c: Stage2Constants, batch: Stage2Batch, z: Tensor2D): Tensor1D {
  const { F, Wr } = stage2BeamsTf(tf, c, batch, z);
  return sumRateTf(tf, isacSinrTf(tf, batch.G2, F, batch.Fr2, Wr, c.noiseW));
}

