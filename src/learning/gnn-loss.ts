/**
 * Paper 004's training objective on the GNN's beams, through losses.ts (one source of truth per
 * formula): J = Σ_u log2(1 + SINR_u) + β_s log2(1 + SNR), eq. (8a), with SINR_u of eq. (4) (the
 * sensing stream is interference) and the joint sensing SNR of eq. (7),
 * SNR = Σ_m c_m Σ_s |a(θ_m)ᴴ f_ms|² — losses.ts's multistatic SNR with g_m = √c_m a(θ_m).
 * The loss is −mean_batch J.
 *
 * Two implementations of the same numbers:
 *  - `Paper004Objective` evaluates losses.ts's `paper004Loss` and takes its gradient with respect
 *    to the beams by tfjs autograd (the reference: the formulas are losses.ts's);
 *  - `paper004Gradient` is the closed form in float64 JavaScript, used for training (tfjs autograd
 *    on these small tensors costs ~100 kernel launches, 30–45 ms a batch on wasm; this is < 2 ms):
 *      a_us = Σ_m h_muᴴ f_ms,  P_us = |a_us|²,  T_u = Σ_s P_us + σ²,  I_u = T_u − P_uu,
 *      R_u = log2 T_u − log2 I_u,  SNR = Σ_m Σ_s |g_mᴴ f_ms|²,  R_s = log2(1 + SNR),
 *      ∂J/∂f_ms = Σ_u (1/ln2)(1/T_u − [s≠u]/I_u) · 2 a_us h_mu + β_s /(ln2 (1 + SNR)) · 2 (g_mᴴ f_ms) g_m
 *    (the gradient with respect to (Re f, Im f) written as one complex vector: ∂|hᴴf|²/∂f = 2 (hᴴf) h).
 * The tests check both against each other. Beams arrive in the GNN's stacked layout ([Re; Im] per
 * beam, rows (b, m, u) and (b, m)); channels in losses.ts's interleaved layout.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { paper004Loss, type LossScene, type LossSpec } from './losses.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** The constants of paper 004's problem (defaults: the paper's, Sec. V and notes §2). */
export interface Paper004Constants {
  /** σ² of the users (paper 0.1). */
  noiseW: number;
  /** c_m = Σ ζ² / Σ ς² of eq. (7) (paper 1/0.1 = 10), equal at every AP. */
  sensingGain: number;
}

export const PAPER004_CONSTANTS: Paper004Constants = { noiseW: 0.1, sensingGain: 10 };

/** The losses.ts scene of M APs, U users and one sensing stream carried by every AP. */
export function paper004LossScene(numAps: number, numUsers: number, numTxAnt: number, powerW: ArrayLike<number>, c: Paper004Constants = PAPER004_CONSTANTS): LossScene {
  const S = numUsers + 1;
  return {
    numAps,
    numTxAnt,
    numUsers,
    numStreams: S,
    carries: new Uint8Array(numAps * S).fill(1),
    powerW: Float64Array.from(powerW),
    noiseComm: c.noiseW,
    sensing: { geometry: 'multistatic', numTargets: 1 },
  };
}

/** One batch's channels in losses.ts's layout (plain arrays). */
export interface Paper004Batch {
  B: number;
  /** [B, M, U, N_t] complex interleaved (the twin's H layout per sample). */
  H: Float32Array;
  /** [B, M, N_t] complex interleaved: √c_m a(θ_m) (losses.ts's G with T = 1). */
  G: Float32Array;
}

/** Stacked GNN beams (rows (b,m,u) and (b,m), [Re; Im]) → dense interleaved [B, M, U+1, 2N]. */
export function interleaveBeams(ue: Float32Array, target: Float32Array, B: number, M: number, U: number, N: number): Float32Array {
  const S = U + 1;
  const out = new Float32Array(B * M * S * 2 * N);
  for (let r = 0; r < B * M; r++) {
    for (let s = 0; s < S; s++) {
      const src = s < U ? ue : target;
      const i0 = s < U ? (r * U + s) * 2 * N : r * 2 * N;
      const o0 = (r * S + s) * 2 * N;
      for (let i = 0; i < N; i++) {
        out[o0 + 2 * i] = src[i0 + i];
        out[o0 + 2 * i + 1] = src[i0 + N + i];
      }
    }
  }
  return out;
}

/** Inverse of `interleaveBeams` (for gradients). */
export function deinterleaveBeams(W: Float32Array, B: number, M: number, U: number, N: number): { ue: Float32Array; target: Float32Array } {
  const S = U + 1;
  const ue = new Float32Array(B * M * U * 2 * N);
  const target = new Float32Array(B * M * 2 * N);
  for (let r = 0; r < B * M; r++) {
    for (let s = 0; s < S; s++) {
      const dst = s < U ? ue : target;
      const o0 = s < U ? (r * U + s) * 2 * N : r * 2 * N;
      const i0 = (r * S + s) * 2 * N;
      for (let i = 0; i < N; i++) {
        dst[o0 + i] = W[i0 + 2 * i];
        dst[o0 + N + i] = W[i0 + 2 * i + 1];
      }
    }
  }
  return { ue, target };
}

export interface Paper004Evaluation {
  /** −mean J. */
  loss: number;
  /** Per sample: Σ_u R_u and log2(1 + SNR). */
  rc: Float32Array;
  rs: Float32Array;
}

/** −mean J of paper 004 and, on request, its gradient with respect to the (stacked) beams. */
export class Paper004Objective {
  readonly spec: LossSpec;

  constructor(
    private readonly tf: Tf,
    readonly betaS: number,
    readonly constants: Paper004Constants = PAPER004_CONSTANTS,
  ) {
    if (!(betaS >= 0)) throw new Error(`paper 004 objective: β_s must be ≥ 0, got ${betaS}`);
    this.spec = paper004Loss({ betaS });
  }

  private tensors(batch: Paper004Batch, M: number, U: number, N: number) {
    const tf = this.tf;
    const { B } = batch;
    return {
      scene: paper004LossScene(M, U, N, new Float64Array(M).fill(1 / M), this.constants),
      H: tf.tensor4d(batch.H, [B, M, U, 2 * N]),
      G: tf.tensor4d(batch.G, [B, 1, M, 2 * N]),
    };
  }

  /** Loss, per-sample metrics and δ(−mean J)/δ beams in the stacked layout. */
  valueAndGrad(ue: Float32Array, target: Float32Array, batch: Paper004Batch, M: number, U: number, N: number): Paper004Evaluation & { dUe: Float32Array; dTarget: Float32Array } {
    const tf = this.tf;
    const { B } = batch;
    const { loss, dW, rc, rs } = tf.tidy(() => {
      const b = this.tensors(batch, M, U, N);
      const W = tf.tensor4d(interleaveBeams(ue, target, B, M, U, N), [B, M, U + 1, 2 * N]);
      const f = (w: Tensor) => this.spec.evaluate(tf, b, w) as Tensor;
      const { value, grads } = tf.valueAndGrads(f)([W]);
      const m = this.spec.metrics(tf, b, W);
      return { loss: value.dataSync()[0], dW: grads[0].dataSync() as Float32Array, rc: m.rc.dataSync() as Float32Array, rs: m.rs.dataSync() as Float32Array };
    });
    const d = deinterleaveBeams(dW, B, M, U, N);
    return { loss, rc, rs, dUe: d.ue, dTarget: d.target };
  }

  /** Loss and per-sample metrics only. */
  evaluate(ue: Float32Array, target: Float32Array, batch: Paper004Batch, M: number, U: number, N: number): Paper004Evaluation {
    const tf = this.tf;
    const { B } = batch;
    return tf.tidy(() => {
      const b = this.tensors(batch, M, U, N);
      const W = tf.tensor4d(interleaveBeams(ue, target, B, M, U, N), [B, M, U + 1, 2 * N]) as Tensor4D;
      const m = this.spec.metrics(tf, b, W);
      const rc = m.rc.dataSync() as Float32Array;
      const rs = m.rs.dataSync() as Float32Array;
      let j = 0;
      for (let i = 0; i < B; i++) j += rc[i] + this.betaS * rs[i];
      return { loss: -j / B, rc, rs };
    });
  }
}

/**
 * −mean J, the per-sample Σ_u R_u and log2(1 + SNR), and δ(−mean J)/δ beams (stacked layout), in
 * float64. Beams: `ue` [B·M·U, 2N] rows (b, m, u), `target` [B·M, 2N] rows (b, m), each [Re; Im].
 */
export function paper004Gradient(
  ue: Float32Array,
  target: Float32Array,
  batch: Paper004Batch,
  M: number,
  U: number,
  N: number,
  betaS: number,
  noiseW: number,
  withGradient = true,
): Paper004Evaluation & { dUe: Float32Array; dTarget: Float32Array } {
  const { B, H, G } = batch;
  const S = U + 1;
  const dUe = new Float32Array(withGradient ? ue.length : 0);
  const dTarget = new Float32Array(withGradient ? target.length : 0);
  const rc = new Float32Array(B);
  const rs = new Float32Array(B);
  const aRe = new Float64Array(U * S);
  const aIm = new Float64Array(U * S);
  const cP = new Float64Array(U * S); // ∂J/∂P_us
  const eRe = new Float64Array(M * S); // g_mᴴ f_ms
  const eIm = new Float64Array(M * S);
  const LN2 = Math.LN2;
  let total = 0;
  // beam (b, m, s) → (array, offset of its [Re; Im] row)
  const beam = (b: number, m: number, s: number): [Float32Array, number] => (s < U ? [ue, ((b * M + m) * U + s) * 2 * N] : [target, (b * M + m) * 2 * N]);
  const dBeam = (b: number, m: number, s: number): [Float32Array, number] => (s < U ? [dUe, ((b * M + m) * U + s) * 2 * N] : [dTarget, (b * M + m) * 2 * N]);
  for (let b = 0; b < B; b++) {
    aRe.fill(0);
    aIm.fill(0);
    let snr = 0;
    for (let m = 0; m < M; m++) {
      for (let s = 0; s < S; s++) {
        const [f, fo] = beam(b, m, s);
        // hᴴf = Σ (hr − j hi)(fr + j fi) = Σ (hr fr + hi fi) + j (hr fi − hi fr)
        for (let u = 0; u < U; u++) {
          const ho = ((b * M + m) * U + u) * 2 * N;
          let re = 0;
          let im = 0;
          for (let i = 0; i < N; i++) {
            const hr = H[ho + 2 * i];
            const hi = H[ho + 2 * i + 1];
            const fr = f[fo + i];
            const fi = f[fo + N + i];
            re += hr * fr + hi * fi;
            im += hr * fi - hi * fr;
          }
          aRe[u * S + s] += re;
          aIm[u * S + s] += im;
        }
        const go = (b * M + m) * 2 * N;
        let re = 0;
        let im = 0;
        for (let i = 0; i < N; i++) {
          const gr = G[go + 2 * i];
          const gi = G[go + 2 * i + 1];
          const fr = f[fo + i];
          const fi = f[fo + N + i];
          re += gr * fr + gi * fi;
          im += gr * fi - gi * fr;
        }
        eRe[m * S + s] = re;
        eIm[m * S + s] = im;
        snr += re * re + im * im;
      }
    }
    let sumRate = 0;
    for (let u = 0; u < U; u++) {
      let T = noiseW;
      for (let s = 0; s < S; s++) T += aRe[u * S + s] ** 2 + aIm[u * S + s] ** 2;
      const I = T - (aRe[u * S + u] ** 2 + aIm[u * S + u] ** 2);
      sumRate += Math.log2(T) - Math.log2(I);
      for (let s = 0; s < S; s++) cP[u * S + s] = (1 / T - (s === u ? 0 : 1 / I)) / LN2;
    }
    const rsB = Math.log2(1 + snr);
    rc[b] = sumRate;
    rs[b] = rsB;
    total += sumRate + betaS * rsB;
    if (!withGradient) continue;
    const cS = betaS / (LN2 * (1 + snr));
    const scale = -1 / B; // the loss is −mean J
    for (let m = 0; m < M; m++) {
      for (let s = 0; s < S; s++) {
        const [d, dof] = dBeam(b, m, s);
        const go = (b * M + m) * 2 * N;
        // 2 c (gᴴf) g
        const er = 2 * cS * eRe[m * S + s];
        const ei = 2 * cS * eIm[m * S + s];
        for (let i = 0; i < N; i++) {
          const gr = G[go + 2 * i];
          const gi = G[go + 2 * i + 1];
          let re = er * gr - ei * gi;
          let im = er * gi + ei * gr;
          for (let u = 0; u < U; u++) {
            const c = 2 * cP[u * S + s];
            const ar = c * aRe[u * S + s];
            const ai = c * aIm[u * S + s];
            const ho = ((b * M + m) * U + u) * 2 * N;
            const hr = H[ho + 2 * i];
            const hi = H[ho + 2 * i + 1];
            re += ar * hr - ai * hi;
            im += ar * hi + ai * hr;
          }
          d[dof + i] = scale * re;
          d[dof + N + i] = scale * im;
        }
      }
    }
  }
  return { loss: -total / B, rc, rs, dUe, dTarget };
}
