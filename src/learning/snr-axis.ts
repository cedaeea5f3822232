/**
 * The SNR axis of paper 000's figures (docs/vfl.md, "Definitions"), defined once here:
 *   cell-edge SNR = P_T · β(R) / σ_c²,   β(R) = path gain of the communication law at the cell radius R
 * i.e. the transmit SNR with the path loss normalised at the cell edge. It is moved by changing P_T
 * of every BS with the noise fixed.
 *
 * In the normalised units of dataset.ts (H̃ = h√(P/σ_c²), G̃ = g√(P/(N_R σ_s²)), Ĩ likewise), a
 * change of P_T → a²·P_T for every BS is EXACTLY H̃, G̃, Ĩ → a·H̃, a·G̃, a·Ĩ (every term of every
 * SINR is |·|² of one of them against a noise of 1; tested against a dataset drawn at a² P_T).
 * So training across SNRs (`snrRangeDb`) scales each sample by one amplitude factor a_n with
 * 20·log10 a_n uniform in [lo − base, hi − base] dB (base: the scenario's own cell-edge SNR).
 *
 * INR (interference-to-noise ratio) at the users, to show where interference dominates: for user u
 * served by BS b, INR_u = Σ_{m≠b} Σ_k |h_{m,u}ᴴ w_{m,k}|² / σ_c² (inter-cell interference only).
 */
import { pathGain } from '../phy/channel.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { streamFor } from '../phy/random.ts';
import type { Scenario } from '../scenario/schema.ts';
import { sizes, type IsacDataset } from './dataset.ts';

const db = (x: number) => 10 * Math.log10(x);

/** β(R): the communication path gain at the cell radius. */
export function cellEdgeGain(s: Scenario, topo: Topology): number {
  return pathGain(topo.cellRadiusM, topo.lambdaM, s.channel.commPathLossExp, s.channel.refDistanceM);
}

/** Cell-edge SNR (dB) of BS 0's P_T in the scenario. */
export function cellEdgeSnrDb(s: Scenario, topo: Topology): number {
  return db((topo.powerW[0] * cellEdgeGain(s, topo)) / topo.noiseCommW);
}

/** P_T (W) that gives a cell-edge SNR of `snrDb`. */
export function powerForSnr(s: Scenario, topo: Topology, snrDb: number): number {
  return (10 ** (snrDb / 10) * topo.noiseCommW) / cellEdgeGain(s, topo);
}

/** The topology with every BS at P_T = powerW. */
export function withPower(topo: Topology, powerW: number): Topology {
  return { ...topo, powerW: new Float64Array(topo.numBs).fill(powerW) };
}

/** A copy of a dataset with sample n scaled by amplitude factors[n] (= P_T × factors[n]²). */
export function scaleSamples(ds: IsacDataset, factors: ArrayLike<number>): IsacDataset {
  if (factors.length !== ds.numSamples) throw new Error(`scaleSamples: ${factors.length} factors for ${ds.numSamples} samples`);
  const z = sizes(ds.dims);
  const H = new Float32Array(ds.H.length);
  const G = new Float32Array(ds.G.length);
  const I = new Float32Array(ds.I.length);
  for (let n = 0; n < ds.numSamples; n++) {
    const a = factors[n];
    for (let i = n * z.h; i < (n + 1) * z.h; i++) H[i] = ds.H[i] * a;
    for (let i = n * z.g; i < (n + 1) * z.g; i++) G[i] = ds.G[i] * a;
    for (let i = n * z.i; i < (n + 1) * z.i; i++) I[i] = ds.I[i] * a;
  }
  return { dims: ds.dims, numSamples: ds.numSamples, H, G, I };
}

/**
 * Per-sample amplitude factors for a cell-edge SNR drawn uniformly in dB over [lo, hi] (seeded:
 * stream 'vfl:snr:<split>'), relative to the dataset's own cell-edge SNR `baseDb`. Also returns
 * each sample's SNR.
 */
export function snrSpread(numSamples: number, rangeDb: readonly [number, number], baseDb: number, seed: number, split: string): { factors: Float64Array; snrDb: Float64Array } {
  const [lo, hi] = rangeDb;
  if (!(hi >= lo)) throw new Error(`SNR range [${lo}, ${hi}]: the upper end must not be below the lower`);
  const rng = streamFor(seed, `vfl:snr:${split}`);
  const factors = new Float64Array(numSamples);
  const snrDb = new Float64Array(numSamples);
  for (let n = 0; n < numSamples; n++) {
    snrDb[n] = lo + (hi - lo) * rng.uniform();
    factors[n] = 10 ** ((snrDb[n] - baseDb) / 20);
  }
  return { factors, snrDb };
}

/** Mean inter-cell INR (linear, then reported in dB by the caller) at the users for beams W on channels H. */
export function meanInterCellInr(topo: Topology, H: Float64Array, W: Beamformers): number {
  const nt = topo.numTxAnt;
  let sum = 0;
  for (let u = 0; u < topo.numUsers; u++) {
    const b = topo.userBs[u];
    let p = 0;
    for (let m = 0; m < topo.numBs; m++) {
      if (m === b) continue;
      const h = 2 * (m * topo.numUsers + u) * nt;
      const rows = W[m].length / (2 * nt);
      for (let k = 0; k < rows; k++) {
        let re = 0;
        let im = 0;
        for (let i = 0; i < nt; i++) {
          const hr = H[h + 2 * i];
          const hi = H[h + 2 * i + 1];
          const wr = W[m][2 * (k * nt + i)];
          const wi = W[m][2 * (k * nt + i) + 1];
          re += hr * wr + hi * wi;
          im += hr * wi - hi * wr;
        }
        p += re * re + im * im;
      }
    }
    sum += p / topo.noiseCommW;
  }
  return sum / topo.numUsers;
}
