/**
 * Channel-sounding stage → datasets for the learned beamformers (paper 000, Sec. III-B).
 *
 * A sample is one independent snapshot of a scenario's channel model: users and targets placed as
 * the twin places them at its start (placement and mobility models), fresh Rician fading (a new `ChannelModel`, so the NLOS part of
 * the static BS-to-BS channels G_{n,m} is also fresh), the TRUE target angles and echoes, and the
 * equivalent sensing channels of `src/metrics/isac.ts`. Everything is stored in normalised units
 * in which both noise powers are 1 and every W_m has unit power:
 *   H̃[m, u, :]    = h_{m,u} · √(P_m / σ_c²)                     // [numBs, numUsers, numTxAnt]
 *   G̃[t, n, :]    = g_{t,n} · √(P_n / (N_R σ_s²))               // [numTargets, numBs, numTxAnt]
 *   Ĩ[t, s, :]    = c_{t,s} · √(P_{bs(t)} / (N_R σ_s²))         // [numTargets, maxTargetsPerBs, numTxAnt]
 * With W̃_m = W_m / √P_m every SINR of eqs. 6 and 8 is unchanged, so the loss can work on these.
 * All complex arrays are interleaved re/im float32.
 *
 * Local features of BS m (what BS m measures itself, Sec. III-B): its channels to every user,
 * H_m = H̃[m, :, :], and the equivalent sensing channels that act on ITS beamformer,
 * G_m = G̃[:, m, :] for every target t (own targets: N_R α_t a(θ_t); other cells' targets t:
 * G_{m,n(t)}ᴴ b(θ_t), which needs cell n(t)'s angle estimate, shared over the backhaul in the twin).
 * Ĩ is a function of BS m's own target angles; BS m uploads it with its features during training.
 *
 * Randomness: stream 'dataset:<split>' of the given seed; same seed → same bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChannelModel, type ChannelState } from '../phy/channel.ts';
import { Population } from '../phy/mobility.ts';
import type { Topology } from '../phy/network.ts';
import { streamFor } from '../phy/random.ts';
import { emptySensingChannels, sensingChannelsInto, type SensingChannels } from '../metrics/isac.ts';
import type { Scenario } from '../scenario/schema.ts';

/** Dimensions every learned model and dataset of a scenario share. */
export interface IsacDims {
  numBs: number;
  numTxAnt: number;
  numRxAnt: number;
  /** K: users per cell (uniform). */
  usersPerCell: number;
  /** J: targets per cell (uniform). */
  targetsPerCell: number;
}

export interface IsacDataset {
  dims: IsacDims;
  numSamples: number;
  /** [numSamples, numBs, numUsers, numTxAnt, 2] */
  H: Float32Array;
  /** [numSamples, numTargets, numBs, numTxAnt, 2] */
  G: Float32Array;
  /** [numSamples, numTargets, J, numTxAnt, 2] */
  I: Float32Array;
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** The dims of a topology; throws when cells differ in K or J (the learned models assume uniform cells). */
export function dimsOf(topo: Topology): IsacDims {
  const K = topo.servedUsers[0]?.length ?? 0;
  const J = topo.targetsOf[0]?.length ?? 0;
  if (topo.servedUsers.some((u) => u.length !== K) || topo.targetsOf.some((t) => t.length !== J)) {
    throw new DatasetError('learned beamformers need the same number of users and of targets in every cell');
  }
  return { numBs: topo.numBs, numTxAnt: topo.numTxAnt, numRxAnt: topo.numRxAnt, usersPerCell: K, targetsPerCell: J };
}

export const sizes = (d: IsacDims) => {
  const numUsers = d.numBs * d.usersPerCell;
  const numTargets = d.numBs * d.targetsPerCell;
  return {
    numUsers,
    numTargets,
    /** floats per sample */
    h: numUsers * d.numBs * d.numTxAnt * 2,
    g: numTargets * d.numBs * d.numTxAnt * 2,
    i: numTargets * d.targetsPerCell * d.numTxAnt * 2,
  };
};

/** The scenario fields that change the channel samples (and nothing else): the dataset cache key. */
export function channelFields(s: Scenario): unknown {
  return {
    topology: s.topology,
    users: { perCell: s.users.perCell, placement: s.users.placement, mobility: s.users.mobility },
    targets: { perCell: s.targets.perCell, placement: s.targets.placement, mobility: s.targets.mobility, rcsM2: s.targets.rcsM2 },
    channel: s.channel,
    /** version of the sampling procedure: bump when drawDataset changes */
    sampler: 2,
  };
}

/** Short hex hash of the channel-relevant fields of a scenario. */
export function scenarioHash(s: Scenario): string {
  return createHash('sha256').update(stableJson(channelFields(s))).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Draws `numSamples` independent channel snapshots (see the module comment). Pure given the seed. */
export function drawDataset(
  s: Scenario,
  topo: Topology,
  numSamples: number,
  seed: number,
  split: string,
  /** Sees every sample's true physical channels (figures evaluate baselines on them). */
  onSample?: (n: number, state: ChannelState, sens: SensingChannels) => void,
): IsacDataset {
  const dims = dimsOf(topo);
  const z = sizes(dims);
  const nt = topo.numTxAnt;
  const rng = streamFor(seed, `dataset:${split}`);
  const geo = { cellCentresM: topo.bsPosM, cellRadiusM: topo.cellRadiusM };
  const H = new Float32Array(numSamples * z.h);
  const G = new Float32Array(numSamples * z.g);
  const I = new Float32Array(numSamples * z.i);
  const sens = emptySensingChannels(topo);
  const J = dims.targetsPerCell;
  for (let n = 0; n < numSamples; n++) {
    // The scenario's mobility models place the nodes as the twin does at its start (a lane or
    // waypoint model puts them on its path; random-waypoint uses the placement model).
    const users = new Population(topo.userBs, geo, s.users.mobility, s.users.placement, rng);
    const targets = new Population(topo.targetBs, geo, s.targets.mobility, s.targets.placement, rng);
    const channel = new ChannelModel(topo, { ...s.channel, rcsM2: s.targets.rcsM2 }, s.timing.slotMs / 1000, rng);
    channel.update(users, targets, 0);
    const st = channel.state;
    sensingChannelsInto(sens, topo, st.targetThetaRad, st.targetAlpha, st.G);
    onSample?.(n, st, sens);
    // H̃[m, u, :] = h √(P_m/σ_c²)
    for (let m = 0; m < topo.numBs; m++) {
      const scale = Math.sqrt(topo.powerW[m] / topo.noiseCommW);
      const len = 2 * z.numUsers * nt;
      const src = m * len;
      for (let i = 0; i < len; i++) H[n * z.h + src + i] = st.H[src + i] * scale;
    }
    const sensNoise = topo.numRxAnt * topo.noiseSensW;
    for (let t = 0; t < z.numTargets; t++) {
      for (let m = 0; m < topo.numBs; m++) {
        const scale = Math.sqrt(topo.powerW[m] / sensNoise);
        const off = 2 * (t * topo.numBs + m) * nt;
        for (let i = 0; i < 2 * nt; i++) G[n * z.g + off + i] = sens.g[off + i] * scale;
      }
      const scale = Math.sqrt(topo.powerW[topo.targetBs[t]] / sensNoise);
      for (let slot = 0; slot < J; slot++) {
        const src = 2 * (t * sens.maxTargetsPerBs + slot) * nt;
        const dst = 2 * (t * J + slot) * nt;
        for (let i = 0; i < 2 * nt; i++) I[n * z.i + dst + i] = sens.intra[src + i] * scale;
      }
    }
  }
  return { dims, numSamples, H, G, I };
}

/**
 * Local input features of BS m, in the layout the models take, written into `out` at `offset`.
 * VFL (`local: false`): [H̃[m, all users], G̃[all targets, m]]; per-cell (`local: true`): only the
 * own cell's users and targets. Inputs are multiplied by `scale` (from `featureScale`).
 */
export function localFeaturesInto(
  out: Float32Array,
  offset: number,
  d: IsacDims,
  m: number,
  H: ArrayLike<number>,
  hOff: number,
  G: ArrayLike<number>,
  gOff: number,
  local: boolean,
  scale: { h: number; g: number },
): void {
  const nt = d.numTxAnt;
  const z = sizes(d);
  let o = offset;
  const users = local ? range(m * d.usersPerCell, d.usersPerCell) : range(0, z.numUsers);
  const targets = local ? range(m * d.targetsPerCell, d.targetsPerCell) : range(0, z.numTargets);
  for (const u of users) {
    const src = hOff + 2 * (m * z.numUsers + u) * nt;
    for (let i = 0; i < 2 * nt; i++) out[o++] = H[src + i] * scale.h;
  }
  for (const t of targets) {
    const src = gOff + 2 * (t * d.numBs + m) * nt;
    for (let i = 0; i < 2 * nt; i++) out[o++] = G[src + i] * scale.g;
  }
}

function range(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

/** Length of one BS's input vector. */
export function inputDim(d: IsacDims, local: boolean): number {
  const z = sizes(d);
  return local ? 2 * d.numTxAnt * (d.usersPerCell + d.targetsPerCell) : 2 * d.numTxAnt * (z.numUsers + z.numTargets);
}

/** Length of one BS's output vector: W_m as [K, N_T] complex interleaved. */
export function outputDim(d: IsacDims): number {
  return 2 * d.usersPerCell * d.numTxAnt;
}

/**
 * Input scales: 1 / RMS of the H̃ and G̃ entries of a dataset (so inputs are O(1)). Stored with
 * every model; inference multiplies the same way.
 */
export function featureScale(ds: IsacDataset): { h: number; g: number } {
  const rms = (a: Float32Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * a[i];
    return Math.sqrt(s / Math.max(1, a.length));
  };
  return { h: 1 / rms(ds.H), g: 1 / rms(ds.G) };
}

/** Matrix [numSamples, inputDim] of BS m's local features. */
export function localFeatureMatrix(ds: IsacDataset, m: number, local: boolean, scale: { h: number; g: number }): Float32Array {
  const z = sizes(ds.dims);
  const dim = inputDim(ds.dims, local);
  const out = new Float32Array(ds.numSamples * dim);
  for (let n = 0; n < ds.numSamples; n++) localFeaturesInto(out, n * dim, ds.dims, m, ds.H, n * z.h, ds.G, n * z.g, local, scale);
  return out;
}

// ------------------------------------------------------------------------------ cache on disk

/** Default cache directory (git-ignored). */
export const DEFAULT_CACHE_DIR = path.join('.cache', 'datasets');

/** File of a cached dataset: keyed by the scenario hash, the seed, the split and the size. */
export function datasetPath(cacheDir: string, hash: string, seed: number, split: string, numSamples: number): string {
  return path.join(cacheDir, `${hash}-seed${seed}-${split}-${numSamples}.bin`);
}

const MAGIC = 0x49534143; // 'ISAC'

/** Serialises a dataset: 8 int32 of header, then H, G, I as float32 little-endian. */
export function encodeDataset(ds: IsacDataset): Buffer {
  const head = new Int32Array([MAGIC, ds.numSamples, ds.dims.numBs, ds.dims.numTxAnt, ds.dims.numRxAnt, ds.dims.usersPerCell, ds.dims.targetsPerCell, 0]);
  return Buffer.concat([head, ds.H, ds.G, ds.I].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

export function decodeDataset(buf: Buffer): IsacDataset {
  const copy = new Uint8Array(buf).slice().buffer;
  const head = new Int32Array(copy, 0, 8);
  if (head[0] !== MAGIC) throw new DatasetError('not an isac-twin dataset file');
  const dims: IsacDims = { numBs: head[2], numTxAnt: head[3], numRxAnt: head[4], usersPerCell: head[5], targetsPerCell: head[6] };
  const numSamples = head[1];
  const z = sizes(dims);
  let off = 32;
  const take = (n: number) => {
    const a = new Float32Array(copy, off, n);
    off += 4 * n;
    return a;
  };
  return { dims, numSamples, H: take(numSamples * z.h), G: take(numSamples * z.g), I: take(numSamples * z.i) };
}

/** Loads a cached dataset or draws and caches it. Returns it with whether it came from the cache. */
export function cachedDataset(
  s: Scenario,
  topo: Topology,
  numSamples: number,
  seed: number,
  split: string,
  cacheDir = DEFAULT_CACHE_DIR,
): { dataset: IsacDataset; file: string; cached: boolean } {
  const file = datasetPath(cacheDir, scenarioHash(s), seed, split, numSamples);
  if (existsSync(file)) return { dataset: decodeDataset(readFileSync(file)), file, cached: true };
  const dataset = drawDataset(s, topo, numSamples, seed, split);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(`${file}.partial`, encodeDataset(dataset));
  renameSync(`${file}.partial`, file);
  return { dataset, file, cached: false };
}
