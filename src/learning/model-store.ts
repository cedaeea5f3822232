/**
 * The model store: learned beamformers on disk in the standard tfjs layers format.
 *
 *   models/<name>/metadata.json       what the model is for (see ModelMetadata)
 *   models/<name>/bs<m>/model.json    tfjs `layers-model` topology + weightsManifest
 *   models/<name>/bs<m>/weights.bin   float32 weights, in manifest order
 *   models/<name>/checkpoint/…        optimiser state of an unfinished training (resume)
 *
 * Any tfjs can load bs<m>/model.json (`tf.loadLayersModel('file://…/model.json')` in tfjs-node,
 * or `tf.io.fromMemory` elsewhere). The power normalisation (eq. 11) is not a layer: apply
 * W ← √P_T · Ŵ / ‖Ŵ‖_F to the output, and scale inputs by `featureScale` (see dataset.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LayersModel, Tensor, io } from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: Tensor };

/**
 * An optimiser whose state can be saved and restored (FusedAdam): `getWeights` returns new tensors,
 * which `saveOptimizer` disposes once read (tfjs's own optimisers return their live variables and
 * must not be saved through this); `setWeights` copies what it is given.
 */
export interface OptimizerState {
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
}
import type { IsacDims } from './dataset.ts';
import type { FeatureSpec } from './features.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface CurvePoint {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valRc: number;
  valRs: number;
  samplesPerS: number;
  wallS: number;
  /** Learning rate used in this epoch (models trained with a schedule). */
  lr?: number;
  /** Smoothed validation loss the early stopping watches (models trained with a schedule). */
  smoothedValLoss?: number;
}

/** The learning-rate schedule and early-stopping rule a model was trained with (train.ts). */
export interface TrainingSchedule {
  lrSchedule: 'constant' | 'cosine' | 'plateau';
  /** plateau: lr × factor after `plateauPatience` epochs without improvement of the smoothed loss. */
  plateauFactor?: number;
  plateauPatience?: number;
  /** cosine: lr decays from learningRate to learningRate·minLrRatio over the max epochs. */
  minLrRatio?: number;
  /** early stopping: patience epochs without an improvement of more than minDelta·|best| of the smoothed loss. */
  patience: number;
  minDelta: number;
  /** EMA factor of the smoothed validation loss: s ← a·s + (1 − a)·val. */
  smoothing: number;
  maxEpochs: number;
}

export interface ModelMetadata {
  format: 'isac-twin/learned-beamformer';
  version: 1;
  /** The model family (learning/families.ts); files written before families existed have only `method`. */
  family?: string;
  /** 'gnn': paper 004's GNN (gnn-family.ts), whose own settings are in its `gnn` block. */
  method: 'vfl' | 'percell' | 'gnn';
  rho: number;
  scenario: string;
  scenarioHash: string;
  dims: IsacDims;
  /** Inputs per BS: all users and targets (vfl) or the own cell's (percell). */
  localFeatures: 'network' | 'own-cell';
  inputDim: number;
  outputDim: number;
  hiddenDims: number[];
  leakyAlpha: number;
  dropout: number;
  featureScale: { h: number; g: number };
  backend: string;
  seed: number;
  trainSamples: number;
  validationSamples: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  epochsDone: number;
  bestEpoch: number;
  finished: boolean;
  curve: CurvePoint[];
  createdAt: string;
  trainingTimeS: number;
  /** Hash of the training data (scenario hash, seed, sample counts) and the package version that trained it. */
  datasetHash?: string;
  codeVersion?: string;
  bytesPerBsPerSample: { upload: number; download: number; paperComplexUnits: number };
  /** Input feature mode (features.ts); absent: 'rms' with `featureScale` (every older model). */
  features?: FeatureSpec;
  /** Cell-edge SNR range (dB) of the per-sample SNR spread it was trained with (snr-axis.ts); absent: the scenario's P_T only. */
  snrRangeDb?: [number, number];
  /** The scenario's own cell-edge SNR (dB), the base of the spread. */
  baseSnrDb?: number;
  schedule?: TrainingSchedule;
  /** Why training ended (finished models trained with a schedule). */
  stoppedBy?: 'max-epochs' | 'early-stopping';
}

export class ModelStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelStoreError';
  }
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  writeFileSync(`${file}.partial`, data);
  renameSync(`${file}.partial`, file);
}

/** Writes one model as model.json + weights.bin in `dir` (created). */
export async function saveLayersModel(tf: Tf, model: LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a: io.ModelArtifacts) => {
      const data = a.weightData as ArrayBuffer;
      writeAtomic(path.join(dir, 'weights.bin'), new Uint8Array(data));
      writeAtomic(
        path.join(dir, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          generatedBy: a.generatedBy,
          convertedBy: null,
          modelTopology: a.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Reads model.json + weights.bin of `dir` into a tfjs LayersModel. */
export async function loadLayersModel(tf: Tf, dir: string): Promise<LayersModel> {
  const { json, weightData } = readModelFiles(dir);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: json.weightsManifest[0].weights, weightData }));
}

export interface ModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
}

/** The raw files of one saved model (synchronous; used by the in-loop policies). */
export function readModelFiles(dir: string): { json: ModelJson; weightData: ArrayBuffer } {
  const jsonFile = path.join(dir, 'model.json');
  if (!existsSync(jsonFile)) throw new ModelStoreError(`no model at ${jsonFile}`);
  const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as ModelJson;
  const parts = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(dir, p))));
  const all = Buffer.concat(parts);
  return { json, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer };
}

export const bsDir = (modelDir: string, m: number) => path.join(modelDir, `bs${m}`);

export function writeMetadata(modelDir: string, meta: ModelMetadata): void {
  mkdirSync(modelDir, { recursive: true });
  writeAtomic(path.join(modelDir, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
}

export function readMetadata(modelDir: string): ModelMetadata {
  const file = path.join(modelDir, 'metadata.json');
  if (!existsSync(file)) throw new ModelStoreError(`no model at ${modelDir} (missing metadata.json)`);
  const meta = JSON.parse(readFileSync(file, 'utf8')) as ModelMetadata;
  if (meta.format !== 'isac-twin/learned-beamformer') throw new ModelStoreError(`${file}: not an isac-twin learned beamformer`);
  return meta;
}

/** Saves an optimiser's state (Adam moments, step count) for resuming. */
export async function saveOptimizer(optimizer: OptimizerState, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const weights = await optimizer.getWeights();
  const specs = weights.map((w) => ({ name: w.name, shape: w.tensor.shape, dtype: w.tensor.dtype }));
  const arrays = await Promise.all(weights.map(async (w) => new Float32Array(await w.tensor.data())));
  for (const w of weights) w.tensor.dispose(); // they leaked ~22 MB per checkpoint (3 parties)
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    flat.set(a, o);
    o += a.length;
  }
  writeAtomic(path.join(dir, 'optimizer.bin'), new Uint8Array(flat.buffer));
  writeAtomic(path.join(dir, 'optimizer.json'), JSON.stringify(specs));
}

export async function loadOptimizer(tf: Tf, optimizer: OptimizerState, dir: string): Promise<void> {
  const specs = JSON.parse(readFileSync(path.join(dir, 'optimizer.json'), 'utf8')) as Array<{ name: string; shape: number[]; dtype: string }>;
  const buf = readFileSync(path.join(dir, 'optimizer.bin'));
  const flat = new Float32Array(new Uint8Array(buf).slice().buffer);
  let o = 0;
  const weights: NamedTensor[] = specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const t = s.dtype === 'int32' ? tf.tensor(Int32Array.from(flat.subarray(o, o + n)), s.shape, 'int32') : tf.tensor(flat.slice(o, o + n), s.shape);
    o += n;
    return { name: s.name, tensor: t };
  });
  await optimizer.setWeights(weights);
  for (const w of weights) w.tensor.dispose(); // setWeights copies them into the optimiser's own memory
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
