/**
 * Data and inputs of paper 004's GNN (docs/learning-graph.md).
 *
 * Samples: paper 004's i.i.d. setting (Sec. V; phy/paper-channel.ts draws them): h_{m,u} ~ CN(0, I)
 * and θ_m ~ U[lo, hi) from each AP's array axis. Sample i of a dataset comes from its own stream
 * `streamFor(seed, 'labels:paper004:<i>')` (labels.ts), so datasets are reproducible from a seed,
 * a dataset of n samples is a prefix of one of n' > n, and a cache directory keeps them by content
 * hash. There are no labels: the GNN is trained unsupervised on the objective (8a).
 *
 * Inputs: ONE function, `gnnInputsInto`, builds the network's inputs from (H, θ) for training and
 * for the policy in the twin, so that train/serve parity holds by construction (and is tested):
 *   e⁰_mu = s · S(h_mu) = s · [Re h_mu ; Im h_mu]     e⁰_mq = S(a(φ_m))
 * with φ_m the angle from AP m's broadside (the twin's convention; the paper's θ from the axis is
 * φ = π/2 − θ, the same steering vector) and a(φ)_k = e^{jπ k sin φ} (phy/geometry.ts). An AP with
 * no angle estimate (NaN) gets a zero steering input. The scale s maps a network's units onto the
 * training problem's (`inputScale`): with ΣP the sum of the budgets and σ² the users' noise,
 * s = √(σ_t² ΣP_t · ΣP / (ΣP_t σ²)) makes hᴴf/σ of the twin equal h̃ᴴf̃/σ_t of the training problem
 * for beams f = f̃ √(ΣP/ΣP_t) — s = 1 in paper mode.
 */
import { czeros } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';
import { axisToBroadsideRad, drawPaperSample, PAPER_CHANNEL, type PaperChannel } from '../phy/paper-channel.ts';
import { labelledDataset, type LabelledDataset, type LabelSource, type SampleGenerator } from './labels.ts';

/** The problem a GNN is trained on: dimensions and paper 004's constants. */
export interface GnnSetting {
  numAps: number;
  numUsers: number;
  numTxAnt: number;
  /** The paper channel's settings (Σ P, σ², ς², ζ², angle range). */
  channel: PaperChannel;
  /** c_m of eq. (7), equal at every AP. */
  sensingGain: number;
}

/** Paper 004's own setting (Sec. V): M = 5, U = 2, N_t = 8, P_m = 1/M, σ² = 0.1, c_m = 10. */
export const PAPER004_SETTING: GnnSetting = { numAps: 5, numUsers: 2, numTxAnt: 8, channel: PAPER_CHANNEL, sensingGain: 10 };

/** The sample generator of labels.ts: fields H [M, U, N] complex (the twin's layout) and thetaRad [M] (from the array axis). */
export function paper004Generator(s: GnnSetting): SampleGenerator {
  const { numAps: M, numUsers: U, numTxAnt: N } = s;
  return {
    name: 'paper004',
    spec: { M, U, N, angleRad: s.channel.angleRad },
    draw: (rng) => {
      const smp = drawPaperSample(rng, M, U, N, s.channel);
      return { H: Float32Array.from(smp.H), thetaRad: Float32Array.from(smp.thetaRad) };
    },
  };
}

/** No labels (unsupervised training). */
const NO_LABELS: LabelSource = { name: 'none', params: null, label: () => new Float32Array(0) };

/** Version of this module's sampling and inputs: bump when either changes (part of the dataset hash). */
export const GNN_DATA_VERSION = 1;

/** n samples of the setting from `seed`, cached by content hash in `cacheDir` when given. */
export function gnnDataset(s: GnnSetting, n: number, seed: number, cacheDir?: string): { dataset: LabelledDataset; cached: boolean } {
  const { dataset, cached } = labelledDataset({ generator: paper004Generator(s), label: NO_LABELS, n, seed, ...(cacheDir ? { cacheDir } : {}), codeVersion: `gnn-data-${GNN_DATA_VERSION}` });
  return { dataset, cached };
}

/**
 * The GNN's inputs of one sample (see the module comment), written at sample offset `b` of
 * h [·, M, U, 2N] and a [·, M, 2N] (stacked [Re; Im]).
 * @param H  [M, U, N] complex interleaved (the twin's H layout)
 * @param broadsideRad [M] angle from AP m's broadside to the target (NaN: unknown)
 * @param scale s of the module comment
 */
export function gnnInputsInto(h: Float32Array, a: Float32Array, b: number, M: number, U: number, N: number, H: ArrayLike<number>, broadsideRad: ArrayLike<number>, scale: number): void {
  const steer = czeros(N);
  for (let m = 0; m < M; m++) {
    for (let u = 0; u < U; u++) {
      const o = ((b * M + m) * U + u) * 2 * N;
      const src = (m * U + u) * 2 * N;
      for (let i = 0; i < N; i++) {
        h[o + i] = scale * H[src + 2 * i];
        h[o + N + i] = scale * H[src + 2 * i + 1];
      }
    }
    const o = (b * M + m) * 2 * N;
    const phi = broadsideRad[m];
    if (Number.isNaN(phi)) {
      a.fill(0, o, o + 2 * N);
      continue;
    }
    steeringInto(steer, 0, N, phi);
    for (let i = 0; i < N; i++) {
      a[o + i] = steer[2 * i];
      a[o + N + i] = steer[2 * i + 1];
    }
  }
}

/** s of the module comment: a problem with budgets summing to `sumPowerW` and noise `noiseW`, mapped onto the training setting. */
export function inputScale(train: GnnSetting, sumPowerW: number, noiseW: number): number {
  return Math.sqrt((train.channel.noiseW * sumPowerW) / (train.channel.sumPowerW * noiseW));
}

/** The losses' sensing channel √c a(φ) of one sample into G [·, M, N] complex interleaved at sample b. */
export function sensingChannelInto(G: Float32Array, b: number, M: number, N: number, broadsideRad: ArrayLike<number>, sensingGain: number): void {
  const steer = czeros(N);
  const c = Math.sqrt(sensingGain);
  for (let m = 0; m < M; m++) {
    steeringInto(steer, 0, N, broadsideRad[m], c, 0);
    G.set(steer, (b * M + m) * 2 * N);
  }
}

/** A dataset as the trainer's arrays: inputs (h, a), and the loss's channels (H, G), for samples [0, n). */
export interface GnnArrays {
  n: number;
  /** [n, M, U, 2N] stacked inputs. */
  h: Float32Array;
  /** [n, M, 2N] stacked steering inputs. */
  a: Float32Array;
  /** [n, M, U, N] complex interleaved (the loss's channels, the training units). */
  H: Float32Array;
  /** [n, M, N] complex interleaved √c a(φ). */
  G: Float32Array;
}

/** The trainer's arrays of a paper-004 dataset (inputs through `gnnInputsInto`, scale 1: training units). */
export function gnnArrays(s: GnnSetting, ds: LabelledDataset): GnnArrays {
  const { numAps: M, numUsers: U, numTxAnt: N } = s;
  const n = ds.n;
  const out: GnnArrays = { n, h: new Float32Array(n * M * U * 2 * N), a: new Float32Array(n * M * 2 * N), H: ds.data.H, G: new Float32Array(n * M * 2 * N) };
  const phi = new Float64Array(M);
  for (let i = 0; i < n; i++) {
    const Hi = ds.data.H.subarray(i * M * U * 2 * N, (i + 1) * M * U * 2 * N);
    for (let m = 0; m < M; m++) phi[m] = axisToBroadsideRad(ds.data.thetaRad[i * M + m]);
    gnnInputsInto(out.h, out.a, i, M, U, N, Hi, phi, 1);
    sensingChannelInto(out.G, i, M, N, phi, s.sensingGain);
  }
  return out;
}

/** Rows `idx` of every array (a batch). */
export function gatherBatch(s: GnnSetting, x: GnnArrays, idx: ArrayLike<number>): GnnArrays {
  const { numAps: M, numUsers: U, numTxAnt: N } = s;
  const B = idx.length;
  const take = (src: Float32Array, width: number) => {
    const out = new Float32Array(B * width);
    for (let r = 0; r < B; r++) out.set(src.subarray(idx[r] * width, (idx[r] + 1) * width), r * width);
    return out;
  };
  return { n: B, h: take(x.h, M * U * 2 * N), a: take(x.a, M * 2 * N), H: take(x.H, M * U * 2 * N), G: take(x.G, M * 2 * N) };
}
