/**
 * The twin's stage-2 head (docs/primal-dual.md §10, choice T5): stage 2's map (stage2.ts, S1–S3)
 * with the radar factor shaped as the twin's P sensing streams instead of K columns.
 *
 * Output z ∈ ℝ^{2N(K+P)}: z[k·N + j] = Re c_kj, z[KN + k·N + j] = Im c_kj (user k's coefficients in
 * the sample's basis B = [u_1 … u_K | complement], stage2.ts commBasis), then
 * z[2KN + p·N + i] = Re s_pi, z[2KN + PN + p·N + i] = Im s_pi (sensing stream p, antenna i).
 *  - users: F_k = Σ_j c_kj b_j, scaled to ‖F‖_F² = K·P_max (full power, S3);
 *  - sensing: every antenna's column (s_1i … s_Pi) is scaled to norm √(P_R/N), so the sensing
 *    covariance R = Σ_p s_p s_pᴴ has diag(R) = (P_R/N)·1 exactly, R = Rᴴ ⪰ 0, rank ≤ P (eq. 5).
 * The BS then transmits exactly P_tot = K·P_max + P_R.
 *
 * Loss (T4): the stage-2 Lagrangian −mean Σ_k log2(1 + γ_k) + μ (mean L_r − ε) with γ of eq. (11)
 * (f_k = g_k) and L_r of the WHOLE transmit covariance Σ_k F_k F_kᴴ + R — what the twin's
 * beampattern meter measures (metrics/beampattern-meter.ts), so the online monitor and the training
 * constraint are the same quantity.
 */
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { isacSinrInto, sumRate } from '../../metrics/beampattern.ts';
import { isacSinrTf, patternConstants, sensingLossTf, sumRateTf, type PatternConstants } from './losses.ts';
import { commChannel, radarChannel, type ChannelSet } from './problem.ts';
import type { BeamDecision, Stage2Batch } from './stage2.ts';
import { totalSensingLoss, type TwinProblem } from './twin-problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** 2N(K + P). */
export function twinOutputDim(tp: TwinProblem): number {
  return 2 * tp.N * (tp.pb.K + tp.pb.P);
}

/** The head's map z [n, 2N(K+P)] → user beams F [n, K, N] and sensing rows [n, P, N] (paper units), float64. */
export function twinDecision(tp: TwinProblem, basis: Float64Array, z: ArrayLike<number>, n: number): BeamDecision {
  const { K, P } = tp.pb;
  const N = tp.N;
  const D = twinOutputDim(tp);
  if (z.length !== n * D) throw new RangeError(`twinDecision: ${z.length} outputs for ${n} samples of ${D}`);
  const F = new Float64Array(n * K * N * 2);
  const radar = new Float64Array(n * P * N * 2);
  const rowNorm = Math.sqrt(tp.pb.cfg.radarPowerW / N);
  const budget = Math.sqrt(K * tp.pb.cfg.powerMaxW);
  for (let s = 0; s < n; s++) {
    const zo = s * D;
    const so = zo + 2 * K * N;
    for (let i = 0; i < N; i++) {
      let n2 = 0;
      for (let p = 0; p < P; p++) n2 += (+z[so + p * N + i]) ** 2 + (+z[so + P * N + p * N + i]) ** 2;
      const sc = rowNorm / Math.sqrt(n2 + 1e-12);
      for (let p = 0; p < P; p++) {
        radar[2 * ((s * P + p) * N + i)] = sc * +z[so + p * N + i];
        radar[2 * ((s * P + p) * N + i) + 1] = sc * +z[so + P * N + p * N + i];
      }
    }
    const bo = s * N * N * 2;
    let f2 = 0;
    for (let k = 0; k < K; k++) {
      const fo = 2 * (s * K + k) * N;
      for (let j = 0; j < N; j++) {
        const cr = +z[zo + k * N + j];
        const ci = +z[zo + K * N + k * N + j];
        for (let i = 0; i < N; i++) {
          const br = basis[bo + 2 * (j * N + i)];
          const bi = basis[bo + 2 * (j * N + i) + 1];
          F[fo + 2 * i] += cr * br - ci * bi;
          F[fo + 2 * i + 1] += cr * bi + ci * br;
        }
      }
      for (let i = 0; i < 2 * N; i++) f2 += F[fo + i] ** 2;
    }
    const sc = budget / Math.sqrt(f2 + 1e-12);
    for (let i = 0; i < K * N * 2; i++) F[s * K * N * 2 + i] *= sc;
  }
  return { n, F, radar, radarRows: P };
}

/** Sample s's rows [F_1 … F_K; s_1 … s_P] ([K + P, N] complex, paper units). */
export function decisionRows(tp: TwinProblem, d: BeamDecision, s: number): Float64Array {
  const { K } = tp.pb;
  const N = tp.N;
  const out = new Float64Array(2 * (K + d.radarRows) * N);
  out.set(d.F.subarray(s * K * N * 2, (s + 1) * K * N * 2));
  out.set(d.radar.subarray(s * d.radarRows * N * 2, (s + 1) * d.radarRows * N * 2), K * N * 2);
  return out;
}

/** Float64 scores of a twin decision: own-cell sum rate (eq. 11) and the twin meter's L_r. */
export interface TwinEvaluation {
  n: number;
  meanRate: number;
  meanLr: number;
  meanLr1: number;
  meanLr2: number;
  violationShare: number;
  rates: Float64Array;
  lr: Float64Array;
}

export function evaluateTwin(tp: TwinProblem, set: ChannelSet, d: BeamDecision): TwinEvaluation {
  const { pb } = tp;
  const { K } = pb;
  const N = tp.N;
  const n = set.n;
  const rates = new Float64Array(n);
  const lr = new Float64Array(n);
  const sinr = new Float64Array(K);
  const G = new Float64Array(K * N * 2);
  const Fr = new Float64Array(K * N * 2);
  let l1 = 0;
  let l2 = 0;
  let viol = 0;
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < K; k++) {
      G.set(commChannel(pb, set.H, s, k), 2 * k * N);
      Fr.set(radarChannel(pb, set.H, s, k), 2 * k * N);
    }
    const size = d.radarRows * N * 2;
    isacSinrInto(sinr, { numUsers: K, numCommAnt: N, numRadarAnt: N, G, Fr, F: d.F.subarray(s * K * N * 2, (s + 1) * K * N * 2), radarFactor: { W: d.radar.subarray(s * size, (s + 1) * size), rows: d.radarRows }, noiseW: pb.noiseW });
    rates[s] = sumRate(sinr);
    const loss = totalSensingLoss(tp, decisionRows(tp, d, s), K + d.radarRows);
    lr[s] = loss.total;
    l1 += loss.patternError;
    l2 += loss.crossCorrelation;
    if (loss.total > tp.epsilon) viol++;
  }
  const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / n;
  return { n, rates, lr, meanRate: mean(rates), meanLr: mean(lr), meanLr1: l1 / n, meanLr2: l2 / n, violationShare: viol / n };
}

// ------------------------------------------------------------------------------- tf ops

/** Constant tensors of the twin head (owned: dispose). */
export interface TwinHeadConstants {
  pattern: PatternConstants;
  K: number;
  P: number;
  N: number;
  /** [D, K·2N]: z → interleaved comm coefficients */ selComm: Tensor2D;
  /** [D, P·2N]: z → interleaved sensing rows */ selSens: Tensor2D;
  rowNorm: number;
  budget: number;
  noiseW: number;
  dispose(): void;
}

export function twinHeadConstants(tf: Tf, tp: TwinProblem): TwinHeadConstants {
  const { K, P } = tp.pb;
  const N = tp.N;
  const D = twinOutputDim(tp);
  const sc = new Float32Array(D * K * 2 * N);
  const ss = new Float32Array(D * P * 2 * N);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < N; j++) {
      sc[(k * N + j) * K * 2 * N + k * 2 * N + 2 * j] = 1;
      sc[(K * N + k * N + j) * K * 2 * N + k * 2 * N + 2 * j + 1] = 1;
    }
  }
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < N; i++) {
      ss[(2 * K * N + p * N + i) * P * 2 * N + p * 2 * N + 2 * i] = 1;
      ss[(2 * K * N + P * N + p * N + i) * P * 2 * N + p * 2 * N + 2 * i + 1] = 1;
    }
  }
  const pattern = patternConstants(tf, tp.totalSpec);
  const t = { selComm: tf.keep(tf.tensor2d(sc, [D, K * 2 * N])), selSens: tf.keep(tf.tensor2d(ss, [D, P * 2 * N])) };
  return {
    pattern,
    K,
    P,
    N,
    ...t,
    rowNorm: Math.sqrt(tp.pb.cfg.radarPowerW / N),
    budget: Math.sqrt(K * tp.pb.cfg.powerMaxW),
    noiseW: tp.pb.noiseW,
    dispose: () => {
      tf.dispose([t.selComm, t.selSens]);
      pattern.dispose();
    },
  };
}

/** The head's map as tf ops: F [B, K, 2N] at full power and the sensing rows [B, P, 2N]. */
export function twinBeamsTf(tf: Tf, c: TwinHeadConstants, batch: Stage2Batch, z: Tensor2D): { F: Tensor3D; S: Tensor3D } {
  const [B] = z.shape;
  const { K, P, N } = c;
  const raw = tf.reshape(tf.matMul(z, c.selSens), [B, P, N, 2]);
  const colN2 = tf.sum(tf.square(raw), [1, 3], true); // [B, 1, N, 1]
  const S = tf.reshape(tf.mul(raw, tf.mul(tf.rsqrt(tf.add(colN2, 1e-12)), c.rowNorm)), [B, P, 2 * N]) as Tensor3D;
  const coef = tf.reshape(tf.matMul(z, c.selComm), [B, K, 2 * N]) as Tensor3D;
  const Fraw = tf.matMul(coef, batch.T);
  const n2 = tf.sum(tf.square(Fraw), [1, 2], true);
  const F = tf.mul(Fraw, tf.mul(tf.rsqrt(tf.add(n2, 1e-12)), c.budget)) as Tensor3D;
  return { F, S };
}

/** ℓ = −mean Σ_k log2(1 + γ_k) + μ (mean L_r(total) − ε), L_r from the first `sensingSamples` samples. */
export function twinLagrangianTf(tf: Tf, c: TwinHeadConstants, batch: Stage2Batch, z: Tensor2D, mu: number, epsilon: number, sensingSamples?: number): { loss: Tensor; meanRate: Tensor; meanLr: Tensor } {
  const { F, S } = twinBeamsTf(tf, c, batch, z);
  const meanRate = tf.mean(sumRateTf(tf, isacSinrTf(tf, batch.G2, F, batch.Fr2, S, c.noiseW)));
  const B = z.shape[0];
  const nS = Math.min(B, sensingSamples ?? B);
  const rows = tf.concat([F, S], 1) as Tensor3D;
  const rowsS = nS < B ? (tf.slice(rows, [0, 0, 0], [nS, -1, -1]) as Tensor3D) : rows;
  const meanLr = tf.mean(sensingLossTf(tf, c.pattern, rowsS).total);
  const loss = tf.add(tf.neg(meanRate), tf.mul(mu, tf.sub(meanLr, epsilon)));
  return { loss, meanRate, meanLr };
}
