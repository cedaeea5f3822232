/**
 * A GNN on paper 004's test distribution: fresh i.i.d. samples (phy/paper-channel.ts
 * drawPaperSamples from stream `gnn:test/M=<M>` of a seed, or another stream) at any number of APs M with the
 * paper's P_m = ΣP/M, scored with the closed-form objective (gnn-loss.ts, tested equal to
 * losses.ts, itself tested equal to metrics/isac.ts): mean Σ_u R_u, mean log2(1 + SNR), the mean
 * SNR in dB, and the CB-sensing bound N_t Σ_m c_m P_m (80 → log2 81 = 6.34 in the paper's setting).
 */
import type { Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { axisToBroadsideRad, drawPaperSamples } from '../phy/paper-channel.ts';
import { streamFor } from '../phy/random.ts';
import type { GnnModel } from './gnn-family.ts';
import { gnnInputsInto, sensingChannelInto, type GnnSetting } from './gnn-data.ts';
import { paper004Gradient } from './gnn-loss.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface GnnTestResult {
  numAps: number;
  samples: number;
  seed: number;
  /** Mean Σ_u log2(1 + SINR_u) (bit/s/Hz). */
  sumRate: number;
  /** Mean log2(1 + SNR). */
  sensingRate: number;
  /** 10 log10 of the mean linear SNR. */
  meanSnrDb: number;
  /** N_t Σ_m c_m P_m, and log2(1 + it). */
  snrBound: number;
  sensingRateBound: number;
}

/** Scores a loaded GNN on `samples` test samples at M APs of the setting (U, N_t and constants from it). */
export function evaluateOnTestSet(
  tf: Tf,
  g: GnnModel,
  setting: GnnSetting,
  o: { numAps: number; samples: number; seed: number; betaS?: number; /** default `gnn:test/M=<M>` (`figures gnn` draws `paper004/test/M=<M>`) */ stream?: string },
  batch = 500,
): GnnTestResult {
  const M = o.numAps;
  const { numUsers: U, numTxAnt: N } = setting;
  const test = drawPaperSamples(streamFor(o.seed, o.stream ?? `gnn:test/M=${M}`), o.samples, M, U, N, setting.channel);
  const P = setting.channel.sumPowerW / M;
  let rc = 0;
  let rs = 0;
  let snr = 0;
  const phi = new Float64Array(M);
  for (let b0 = 0; b0 < test.length; b0 += batch) {
    const part = test.slice(b0, b0 + batch);
    const B = part.length;
    const h = new Float32Array(B * M * U * 2 * N);
    const a = new Float32Array(B * M * 2 * N);
    const H = new Float32Array(B * M * U * 2 * N);
    const G = new Float32Array(B * M * 2 * N);
    part.forEach((smp, b) => {
      for (let m = 0; m < M; m++) phi[m] = axisToBroadsideRad(smp.thetaRad[m]);
      gnnInputsInto(h, a, b, M, U, N, smp.H, phi, 1);
      H.set(smp.H, b * M * U * 2 * N);
      sensingChannelInto(G, b, M, N, phi, setting.sensingGain);
    });
    const [ue, target] = tf.tidy(() => {
      const r = g.model.forward({ h: tf.tensor4d(h, [B, M, U, 2 * N]) as Tensor4D, a: tf.tensor3d(a, [B, M, 2 * N]) as Tensor3D, power: tf.fill([B, M], P) as Tensor2D });
      return [r.ue.dataSync() as Float32Array, r.target.dataSync() as Float32Array];
    });
    const e = paper004Gradient(ue, target, { B, H, G }, M, U, N, o.betaS ?? 0, setting.channel.noiseW, false);
    for (let i = 0; i < B; i++) {
      rc += e.rc[i];
      rs += e.rs[i];
      snr += 2 ** e.rs[i] - 1;
    }
  }
  const n = test.length;
  const bound = N * setting.sensingGain * setting.channel.sumPowerW;
  return { numAps: M, samples: n, seed: o.seed, sumRate: rc / n, sensingRate: rs / n, meanSnrDb: 10 * Math.log10(snr / n), snrBound: bound, sensingRateBound: Math.log2(1 + bound) };
}
