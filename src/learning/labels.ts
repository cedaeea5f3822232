/**
 * Labelled, reproducible datasets for supervised (teacher) training of beamformers
 * (docs/learning-losses.md).
 *
 * A dataset is n samples drawn by a generator from a seed — sample i from its own stream
 * `streamFor(seed, 'labels:<generator>:<i>')`, so a dataset of n samples is a prefix of one of
 * n' > n — each a set of named float32 fields of fixed sizes (channels, angles, gains, ...), and a
 * label per sample from a label source: any teacher `(sample) → beams` or a WMMSE solver.
 *
 * Cache: with `cacheDir`, the dataset lives in `<cacheDir>/labelled-<hash>.bin`, the hash a
 * SHA-256 over (generator name + spec, seed, n, label source name + params, code versions). A hit
 * is decoded and checked (magic, version, sizes, payload checksum, hash); a file that fails any
 * check is refused with a LabelCacheError naming it (never silently regenerated or trusted).
 *
 * File: 'ISLB' | u32 format version | u32 header length | header JSON (UTF-8, padded to 4 bytes)
 * | float32 LE payload: every field [n, size] in header order, then the labels [n, labelSize].
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { czeros } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';
import type { Topology } from '../phy/network.ts';
import { streamFor, type Rng } from '../phy/random.ts';
import { jtWmmse, type JtWmmseOptions } from '../solvers/jt-wmmse.ts';
import type { JtProblem } from '../solvers/joint.ts';
import { wmmse, type WmmseOptions } from '../solvers/wmmse.ts';
import { denseBeams, sceneOf, type LossScene } from './losses.ts';

/** Version of this module's sampling, labelling and file format: bump when any of them changes. */
export const LABELS_CODE_VERSION = 1;
const FORMAT_VERSION = 1;
const MAGIC = 'ISLB';

/** One sample: named float32 fields, each of the same size in every sample. */
export type SampleFields = Record<string, Float32Array>;

export interface SampleGenerator<S extends SampleFields = SampleFields> {
  /** Names the generator in the hash and the random streams. */
  name: string;
  /** Everything that changes the samples (JSON-serialisable): part of the hash. */
  spec: unknown;
  draw(rng: Rng, index: number): S;
}

export interface LabelSource<S extends SampleFields = SampleFields> {
  name: string;
  /** Everything that changes the labels (JSON-serialisable): part of the hash. */
  params: unknown;
  label(sample: S, index: number): Float32Array;
}

export interface LabelledDatasetOptions<S extends SampleFields = SampleFields> {
  generator: SampleGenerator<S>;
  label: LabelSource<S>;
  n: number;
  seed: number;
  /** Cache directory; without one nothing is read or written. */
  cacheDir?: string;
  /** The caller's own code version (its generator / teacher), hashed with LABELS_CODE_VERSION. */
  codeVersion?: string | number;
}

export interface LabelledDataset {
  hash: string;
  n: number;
  /** Field names and per-sample sizes, in file order. */
  fields: { name: string; size: number }[];
  /** field → [n, size] */
  data: Record<string, Float32Array>;
  labelSource: string;
  labelSize: number;
  /** [n, labelSize] */
  labels: Float32Array;
}

export class LabelCacheError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`labelled dataset cache file ${file} is corrupted or foreign: ${reason} (delete it to regenerate)`);
    this.name = 'LabelCacheError';
  }
}

/** Deterministic JSON: sorted keys, undefined dropped, typed arrays as arrays. */
export function stableJson(v: unknown): string {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return stableJson(Array.from(v as unknown as ArrayLike<number>));
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined && typeof o[k] !== 'function')
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Content hash of a dataset request (32 hex digits). */
export function labelledDatasetHash(o: LabelledDatasetOptions<never> | LabelledDatasetOptions): string {
  const key = {
    generator: { name: o.generator.name, spec: o.generator.spec },
    seed: o.seed,
    n: o.n,
    label: { name: o.label.name, params: o.label.params },
    code: [LABELS_CODE_VERSION, o.codeVersion ?? null],
  };
  return createHash('sha256').update(stableJson(key)).digest('hex').slice(0, 32);
}

/** Path of a dataset's cache file. */
export function labelledDatasetPath(cacheDir: string, hash: string): string {
  return path.join(cacheDir, `labelled-${hash}.bin`);
}

/** Draws and labels n samples (pure given the seed). */
export function drawLabelled<S extends SampleFields>(o: LabelledDatasetOptions<S>): LabelledDataset {
  const hash = labelledDatasetHash(o as LabelledDatasetOptions);
  let fields: { name: string; size: number }[] = [];
  const data: Record<string, Float32Array> = {};
  let labels = new Float32Array(0);
  let labelSize = 0;
  for (let i = 0; i < o.n; i++) {
    const sample = o.generator.draw(streamFor(o.seed, `labels:${o.generator.name}:${i}`), i);
    const label = o.label.label(sample, i);
    if (i === 0) {
      fields = Object.keys(sample)
        .sort()
        .map((name) => ({ name, size: sample[name].length }));
      for (const f of fields) data[f.name] = new Float32Array(o.n * f.size);
      labelSize = label.length;
      labels = new Float32Array(o.n * labelSize);
    }
    const keys = Object.keys(sample).sort();
    if (keys.join() !== fields.map((f) => f.name).join()) throw new Error(`sample ${i} has fields [${keys}], sample 0 [${fields.map((f) => f.name)}]`);
    for (const f of fields) {
      if (sample[f.name].length !== f.size) throw new Error(`sample ${i}: field ${f.name} has ${sample[f.name].length} values, sample 0 ${f.size}`);
      data[f.name].set(sample[f.name], i * f.size);
    }
    if (label.length !== labelSize) throw new Error(`label ${i} has ${label.length} values, label 0 ${labelSize}`);
    labels.set(label, i * labelSize);
  }
  return { hash, n: o.n, fields, data, labelSource: o.label.name, labelSize, labels };
}

/**
 * The dataset of a request: from the cache when `cacheDir` holds it (checked), else drawn,
 * labelled and (with `cacheDir`) written atomically.
 */
export function labelledDataset<S extends SampleFields>(o: LabelledDatasetOptions<S>): { dataset: LabelledDataset; file?: string; cached: boolean } {
  if (!o.cacheDir) return { dataset: drawLabelled(o), cached: false };
  const hash = labelledDatasetHash(o as LabelledDatasetOptions);
  const file = labelledDatasetPath(o.cacheDir, hash);
  if (existsSync(file)) {
    const dataset = decodeLabelled(readFileSync(file), file);
    if (dataset.hash !== hash) throw new LabelCacheError(file, `it holds dataset ${dataset.hash}, expected ${hash}`);
    if (dataset.n !== o.n) throw new LabelCacheError(file, `it holds ${dataset.n} samples, expected ${o.n}`);
    return { dataset, file, cached: true };
  }
  const dataset = drawLabelled(o);
  mkdirSync(o.cacheDir, { recursive: true });
  writeFileSync(`${file}.partial`, encodeLabelled(dataset));
  renameSync(`${file}.partial`, file);
  return { dataset, file, cached: false };
}

const f32Bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function payloadOf(ds: LabelledDataset): Buffer {
  return Buffer.concat([...ds.fields.map((f) => f32Bytes(ds.data[f.name])), f32Bytes(ds.labels)]);
}

/** Serialises a dataset (see the module comment). */
export function encodeLabelled(ds: LabelledDataset): Buffer {
  if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) throw new Error('labelled datasets are written little-endian only');
  const payload = payloadOf(ds);
  const header = {
    hash: ds.hash,
    n: ds.n,
    fields: ds.fields,
    labelSource: ds.labelSource,
    labelSize: ds.labelSize,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
  };
  let json = Buffer.from(stableJson(header), 'utf8');
  const pad = (4 - (json.length % 4)) % 4;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const pre = Buffer.alloc(12);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(FORMAT_VERSION, 4);
  pre.writeUInt32LE(json.length, 8);
  return Buffer.concat([pre, json, payload]);
}

/** Parses and checks a dataset file; `file` names it in errors. */
export function decodeLabelled(buf: Uint8Array, file = '<buffer>'): LabelledDataset {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== MAGIC) throw new LabelCacheError(file, 'not a labelled dataset (bad magic)');
  const version = b.readUInt32LE(4);
  if (version !== FORMAT_VERSION) throw new LabelCacheError(file, `format version ${version}, expected ${FORMAT_VERSION}`);
  const hlen = b.readUInt32LE(8);
  if (hlen % 4 !== 0 || 12 + hlen > b.length) throw new LabelCacheError(file, `header length ${hlen} does not fit a ${b.length}-byte file`);
  let h: { hash: string; n: number; fields: { name: string; size: number }[]; labelSource: string; labelSize: number; payloadSha256: string };
  try {
    h = JSON.parse(b.toString('utf8', 12, 12 + hlen));
  } catch (e) {
    throw new LabelCacheError(file, `unreadable header (${(e as Error).message})`);
  }
  const ints = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  if (!h || typeof h.hash !== 'string' || !ints(h.n) || !ints(h.labelSize) || !Array.isArray(h.fields) || !h.fields.every((f) => typeof f?.name === 'string' && ints(f.size))) {
    throw new LabelCacheError(file, 'malformed header');
  }
  const floatsPer = h.fields.reduce((a, f) => a + f.size, 0) + h.labelSize;
  const payload = b.subarray(12 + hlen);
  if (payload.length !== 4 * h.n * floatsPer) throw new LabelCacheError(file, `payload is ${payload.length} bytes, header says ${4 * h.n * floatsPer} (truncated?)`);
  if (createHash('sha256').update(payload).digest('hex') !== h.payloadSha256) throw new LabelCacheError(file, 'payload checksum mismatch');
  const copy = new Uint8Array(payload).slice().buffer;
  let off = 0;
  const take = (count: number) => {
    const a = new Float32Array(copy, off, count);
    off += 4 * count;
    return a;
  };
  const data: Record<string, Float32Array> = {};
  for (const f of h.fields) data[f.name] = take(h.n * f.size);
  return { hash: h.hash, n: h.n, fields: h.fields, data, labelSource: h.labelSource, labelSize: h.labelSize, labels: take(h.n * h.labelSize) };
}

/** Field `name` of sample i (a view). */
export function sampleField(ds: LabelledDataset, name: string, i: number): Float32Array {
  const f = ds.fields.find((x) => x.name === name);
  if (!f) throw new Error(`dataset has no field ${name}`);
  return ds.data[name].subarray(i * f.size, (i + 1) * f.size);
}

// ---------------------------------------------------------------------------------- sources

/** Any teacher as a label source. */
export function teacherLabels<S extends SampleFields>(name: string, params: unknown, label: (sample: S, index: number) => Float32Array): LabelSource<S> {
  return { name: `teacher:${name}`, params, label };
}

/**
 * Multicell WMMSE (solvers/wmmse.ts) on the sample's channels `field` ([M, U, 2N], the units of
 * `topo`'s budgets and noise). Label: dense beams [M, S, 2N] of losses.ts (S of the topology's
 * scene; sensing rows zero).
 */
export function wmmseLabels<S extends SampleFields>(topo: Topology, opts: WmmseOptions, field = 'H'): LabelSource<S> {
  const scene = sceneOf(topo);
  return {
    name: 'wmmse',
    params: { opts: { maxIterations: opts.maxIterations, tolerance: opts.tolerance, weights: opts.weights }, field, scene: sceneKey(scene, topo.servedUsers) },
    label: (sample) => denseBeams(scene, wmmse(topo, Float64Array.from(sample[field]), opts).W, topo.servedUsers),
  };
}

/**
 * Joint-transmission WMMSE (solvers/jt-wmmse.ts) on the sample's channels `field`. Label: dense
 * beams [M, S, 2N], S = `numStreams` (default U; rows ≥ U, the sensing streams, zero).
 */
export function jtWmmseLabels<S extends SampleFields>(problem: Omit<JtProblem, 'H'>, opts: JtWmmseOptions, field = 'H', numStreams = problem.numUsers): LabelSource<S> {
  const { numAps: M, numUsers: U, numTxAnt: N } = problem;
  return {
    name: 'jt-wmmse',
    params: {
      problem: { M, U, N, serving: problem.serving, powerW: problem.powerW, noiseW: problem.noiseW, weights: problem.weights },
      opts: { maxIterations: opts.maxIterations, tolerance: opts.tolerance, refresh: opts.refresh ?? 'ap', init: opts.init ? 'given' : 'mrt' },
      field,
      numStreams,
    },
    label: (sample) => {
      const { W } = jtWmmse({ ...problem, H: Float64Array.from(sample[field]) }, opts);
      const out = new Float32Array(M * numStreams * 2 * N);
      for (let m = 0; m < M; m++) for (let u = 0; u < U; u++) for (let i = 0; i < 2 * N; i++) out[(m * numStreams + u) * 2 * N + i] = W[m][u * 2 * N + i];
      return out;
    },
  };
}

function sceneKey(scene: LossScene, rows: Int32Array[]) {
  return { M: scene.numAps, N: scene.numTxAnt, U: scene.numUsers, S: scene.numStreams, rows, powerW: scene.powerW, noise: scene.noiseComm };
}

export interface IidSpec {
  numAps: number;
  numUsers: number;
  numTxAnt: number;
  numTargets?: number;
  /** Large-scale gain of every AP–user link, uniform in dB over [lo, hi] (default [0, 0]). */
  pathGainDb?: [number, number];
  /** Multistatic gain c_{m,t}, uniform in dB over [lo, hi] (default [0, 0]). */
  sensGainDb?: [number, number];
}

/**
 * A simple synthetic generator: H [M, U, 2N] Rayleigh with per-link gains, target angles
 * thetaRad [M, T] ∈ (−π/2, π/2), multistatic gains c [M, T] and the equivalent sensing channels
 * G [T, M, 2N] = √c_{m,t} a(θ_{m,t}) (metrics/isac.ts multistaticSensingInto's layout).
 */
export function iidGenerator(spec: IidSpec): SampleGenerator {
  const { numAps: M, numUsers: U, numTxAnt: N } = spec;
  const T = spec.numTargets ?? 0;
  const [plo, phi] = spec.pathGainDb ?? [0, 0];
  const [slo, shi] = spec.sensGainDb ?? [0, 0];
  return {
    name: 'iid',
    spec: { ...spec, numTargets: T, pathGainDb: [plo, phi], sensGainDb: [slo, shi] },
    draw: (rng) => {
      const h = czeros(M * U * N);
      rng.complexNormal(h);
      for (let mu = 0; mu < M * U; mu++) {
        const a = Math.sqrt(10 ** (rng.between(plo, phi) / 10));
        for (let i = 0; i < 2 * N; i++) h[mu * 2 * N + i] *= a;
      }
      const theta = new Float32Array(M * T);
      const c = new Float32Array(M * T);
      const g = czeros(T * M * N);
      for (let m = 0; m < M; m++) {
        for (let t = 0; t < T; t++) {
          theta[m * T + t] = rng.between(-Math.PI / 2, Math.PI / 2);
          c[m * T + t] = 10 ** (rng.between(slo, shi) / 10);
          steeringInto(g, (t * M + m) * N, N, theta[m * T + t], Math.sqrt(c[m * T + t]), 0);
        }
      }
      return { H: Float32Array.from(h), thetaRad: theta, c, G: Float32Array.from(g) };
    },
  };
}
