/**
 * Training of paper 004's GNN (family `gnn`, docs/learning-graph.md): unsupervised on −mean J of
 * eq. (8a), Adam with a cosine learning-rate schedule (per epoch, η_min = 0, T_max = the epochs:
 * PyTorch's CosineAnnealingLR as the paper's "cosine annealing scheduler"), the hand-written
 * training pass (layers/graph-train.ts), the closed-form loss gradient (gnn-loss.ts) and FusedAdam.
 *
 * Every epoch: a shuffle from stream 'gnn:shuffle:<epoch>', full batches only, then validation on
 * a held-out set drawn from its own seed, early stopping on the validation loss (−mean J), and a
 * checkpoint (model + Adam state + metadata in <out>/checkpoint), so an interrupted run resumes at
 * the next epoch with the same shuffles and learning rates — bit-identical to an uninterrupted one.
 * <out>/model.json + weights.bin hold the best epoch's weights, <out>/metadata.json its record.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { streamFor } from '../phy/random.ts';
import { FusedAdam } from './adam.ts';
import { gatherBatch, gnnArrays, gnnDataset, type GnnArrays, type GnnSetting } from './gnn-data.ts';
import { evaluateOnTestSet, type GnnTestResult } from './gnn-eval.ts';
import { loadGnnModel } from './gnn-family.ts';
import { paper004Gradient } from './gnn-loss.ts';
import { EdgeGnnTrainer, normaliseBeams, normaliseBeamsBackward } from './layers/graph-train.ts';
import { HeteroEdgeGnn, loadEdgeGnn, saveEdgeGnn, type Aggregation } from './layers/graph.ts';
import { loadOptimizer, readMetadata, removeDir, saveOptimizer, writeMetadata, type CurvePoint, type ModelMetadata } from './model-store.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** Version of the training procedure (stored in the metadata). */
export const GNN_TRAIN_VERSION = 1;

/** Paper 004's training budget (Sec. V), for the metadata's comparison. */
export const PAPER004_BUDGET = { hiddenDims: [256, 256, 256, 256], trainSamples: 100_000, epochs: 60, batchSize: 256, learningRate: 4e-4, samplePasses: 6_000_000 } as const;

/** The GNN's own record in metadata.json (what the MLP fields cannot say). */
export interface GnnMetaBlock {
  betaS: number;
  aggregation: Aggregation;
  numUsers: number;
  /** The training problem: Σ P_m, σ², c_m and the angle range (rad from the array axis). */
  sumPowerW: number;
  noiseW: number;
  sensingGain: number;
  angleRad: [number, number];
  parameters: number;
  schedule: { kind: 'cosine'; initial: number; min: number; tMaxEpochs: number };
  /** The learning rate of each epoch run. */
  learningRates: number[];
  trainSeed: number;
  validationSeed: number;
  trainVersion: number;
  /** How far from the paper's budget (Sec. V): its numbers and this run's. */
  budget: {
    paper: typeof PAPER004_BUDGET;
    samplePasses: number;
    fractionOfPaperSamplePasses: number;
    fractionOfPaperParameters: number;
  };
  /** The best model on fresh test samples at the trained M (written when training finishes, `recordTestResult`). */
  test?: GnnTestResult;
}

/** metadata.json of a GNN model. */
export interface GnnMetadata extends ModelMetadata {
  family: 'gnn';
  method: 'gnn';
  gnn: GnnMetaBlock;
}

export interface GnnTrainOptions {
  setting: GnnSetting;
  betaS: number;
  hiddenDims: number[];
  aggregation?: Aggregation;
  epochs: number;
  trainSamples: number;
  validationSamples: number;
  batchSize?: number;
  learningRate?: number;
  /** Epochs without validation improvement before stopping (default 10). */
  patience?: number;
  seed: number;
  outDir: string;
  /** Resume from <outDir>/checkpoint when there is one (default true). */
  resume?: boolean;
  /** Dataset cache (labels.ts); none: drawn every time. */
  cacheDir?: string;
  backend: string;
  /** Names the setting in the metadata (the scenario's name). */
  scenario: string;
  scenarioHash: string;
  codeVersion?: string;
  onBatch?: (p: { epoch: number; epochs: number; batch: number; batches: number; loss: number; samplesPerS: number; valRc: number; valRs: number; bytes: number }) => void;
  onEpoch?: (p: CurvePoint, meta: GnnMetadata) => void;
  /** Polled between batches; true stops after the last full epoch's checkpoint. */
  shouldStop?: () => boolean;
  /** Monotonic clock in seconds (injected). */
  clockS: () => number;
}

export interface GnnTrainResult {
  meta: GnnMetadata;
  stopped: 'finished' | 'early-stopping' | 'interrupted';
}

/** The cosine schedule: η_e = η_min + (η₀ − η_min)(1 + cos(π e / T))/2 for epoch e = 0, 1, … */
export function cosineLearningRate(initial: number, min: number, tMax: number, epoch: number): number {
  return min + ((initial - min) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}

/** The numeric seed of a derived dataset (validation, test) of a run seed. */
export function derivedSeed(seed: number, purpose: string): number {
  return streamFor(seed, `gnn:${purpose}`).int(2 ** 31);
}

/** One training step on a batch; returns −mean J before the update. */
export function paper004TrainStep(tf: Tf, trainer: EdgeGnnTrainer, adam: FusedAdam, setting: GnnSetting, betaS: number, batch: GnnArrays): number {
  const { numAps: M, numUsers: U, numTxAnt: N } = setting;
  const B = batch.n;
  const dims = { B, M, U };
  const h = tf.tensor4d(batch.h, [B, M, U, 2 * N]) as Tensor4D;
  const a = tf.tensor3d(batch.a, [B, M, 2 * N]) as Tensor3D;
  const tape = trainer.forward(h, a);
  try {
    const ru = tape.rawUe.dataSync() as Float32Array;
    const rt = tape.rawTarget.dataSync() as Float32Array;
    const norm = normaliseBeams(ru, rt, dims, 2 * N, setting.channel.sumPowerW / M, trainer.model.config.epsilon);
    const l = paper004Gradient(norm.ue, norm.target, { B, H: batch.H, G: batch.G }, M, U, N, betaS, setting.channel.noiseW);
    const d = normaliseBeamsBackward(ru, rt, norm, l.dUe, l.dTarget, dims, 2 * N);
    const grads = trainer.backward(tape, d.ue, d.target);
    adam.applyGradients(grads);
    tf.dispose(grads);
    return l.loss;
  } finally {
    trainer.disposeTape(tape);
    tf.dispose([h, a]);
  }
}

/** Mean −J, Σ_u R_u and log2(1 + SNR) of the model over a set (chunks of 500; the training forward). */
export function evaluatePaper004(tf: Tf, trainer: EdgeGnnTrainer, setting: GnnSetting, betaS: number, x: GnnArrays, chunk = 500): { loss: number; rc: number; rs: number } {
  const { numAps: M, numUsers: U, numTxAnt: N } = setting;
  let rc = 0;
  let rs = 0;
  for (let s = 0; s < x.n; s += chunk) {
    const idx = Array.from({ length: Math.min(chunk, x.n - s) }, (_, i) => s + i);
    const b = gatherBatch(setting, x, idx);
    const B = b.n;
    const h = tf.tensor4d(b.h, [B, M, U, 2 * N]) as Tensor4D;
    const a = tf.tensor3d(b.a, [B, M, 2 * N]) as Tensor3D;
    const tape = trainer.forward(h, a);
    const ru = tape.rawUe.dataSync() as Float32Array;
    const rt = tape.rawTarget.dataSync() as Float32Array;
    trainer.disposeTape(tape);
    tf.dispose([h, a]);
    const norm = normaliseBeams(ru, rt, { B, M, U }, 2 * N, setting.channel.sumPowerW / M, trainer.model.config.epsilon);
    const e = paper004Gradient(norm.ue, norm.target, { B, H: b.H, G: b.G }, M, U, N, betaS, setting.channel.noiseW, false);
    for (let i = 0; i < B; i++) {
      rc += e.rc[i];
      rs += e.rs[i];
    }
  }
  rc /= x.n;
  rs /= x.n;
  return { loss: -(rc + betaS * rs), rc, rs };
}


/** The metadata of a fresh (untrained) GNN for these options: the record `trainGnn` keeps up to date. */
export function initialGnnMetadata(
  tf: Tf,
  model: HeteroEdgeGnn,
  opts: Pick<GnnTrainOptions, 'setting' | 'betaS' | 'hiddenDims' | 'epochs' | 'trainSamples' | 'validationSamples' | 'seed' | 'backend' | 'scenario' | 'scenarioHash' | 'codeVersion'> & {
    batchSize: number;
    learningRate: number;
    aggregation: Aggregation;
    datasetHash: string;
    validationSeed: number;
  },
): GnnMetadata {
  const s = opts.setting;
  const { numAps: M, numUsers: U, numTxAnt: N } = s;
  const batchSize = opts.batchSize;
  const lr0 = opts.learningRate;
  const aggregation = opts.aggregation;
  const datasetHash = opts.datasetHash;
  const validationSeed = opts.validationSeed;
  const parameters = model.countParams();
  const paperParameters = new HeteroEdgeGnn(tf, { numTxAntennas: N, hiddenDims: [...PAPER004_BUDGET.hiddenDims], seed: 1 });
  const fractionOfPaperParameters = parameters / paperParameters.countParams();
  paperParameters.dispose();
return {
    format: 'isac-twin/learned-beamformer',
    version: 1,
    family: 'gnn',
    method: 'gnn',
    // ρ of the twin's ρR_c + (1−ρ)R_s that is proportional to J = R_c + β_s R_s.
    rho: 1 / (1 + opts.betaS),
    scenario: opts.scenario,
    scenarioHash: opts.scenarioHash,
    dims: { numBs: M, numTxAnt: N, numRxAnt: N, usersPerCell: U, targetsPerCell: 1 },
    localFeatures: 'network',
    inputDim: 2 * N,
    outputDim: 2 * N,
    hiddenDims: [...opts.hiddenDims],
    leakyAlpha: 0.1,
    dropout: 0,
    featureScale: { h: 1, g: 1 },
    backend: opts.backend,
    seed: opts.seed,
    trainSamples: opts.trainSamples,
    validationSamples: opts.validationSamples,
    batchSize,
    learningRate: lr0,
    weightDecay: 0,
    epochsDone: 0,
    bestEpoch: 0,
    finished: false,
    curve: [],
    createdAt: new Date().toISOString(),
    trainingTimeS: 0,
    datasetHash,
    ...(opts.codeVersion ? { codeVersion: opts.codeVersion } : {}),
    // Central inference at the CPU: per AP and sample, its CSI (U·N_t complex) and θ up, its U+1 beams down (fp32).
    bytesPerBsPerSample: { upload: 8 * U * N + 4, download: 8 * (U + 1) * N, paperComplexUnits: U * N },
    gnn: {
      betaS: opts.betaS,
      aggregation,
      numUsers: U,
      sumPowerW: s.channel.sumPowerW,
      noiseW: s.channel.noiseW,
      sensingGain: s.sensingGain,
      angleRad: [s.channel.angleRad[0], s.channel.angleRad[1]],
      parameters,
      schedule: { kind: 'cosine', initial: lr0, min: 0, tMaxEpochs: opts.epochs },
      learningRates: [],
      trainSeed: opts.seed,
      validationSeed,
      trainVersion: GNN_TRAIN_VERSION,
      budget: { paper: PAPER004_BUDGET, samplePasses: 0, fractionOfPaperSamplePasses: 0, fractionOfPaperParameters },
    },
  };
}

/** FusedAdam's step size, set per epoch by the schedule (the field is read at every step). */
function setLearningRate(adam: FusedAdam, lr: number): void {
  (adam as { learningRate: number }).learningRate = lr;
}

/** Trains (or resumes) a GNN on the setting; writes <outDir> as it goes. */
export async function trainGnn(tf: Tf, opts: GnnTrainOptions): Promise<GnnTrainResult> {
  const s = opts.setting;
  const { numAps: M, numUsers: U, numTxAnt: N } = s;
  const batchSize = opts.batchSize ?? 256;
  const lr0 = opts.learningRate ?? 4e-4;
  const patience = opts.patience ?? 10;
  const aggregation = opts.aggregation ?? 'sum';
  if (opts.trainSamples < batchSize) throw new Error(`gnn training: ${opts.trainSamples} training samples are fewer than one batch of ${batchSize}`);
  const validationSeed = derivedSeed(opts.seed, 'validation');
  const train = gnnDataset(s, opts.trainSamples, opts.seed, opts.cacheDir).dataset;
  const val = gnnDataset(s, opts.validationSamples, validationSeed, opts.cacheDir).dataset;
  const trainX = gnnArrays(s, train);
  const valX = gnnArrays(s, val);
  const datasetHash = `${train.hash.slice(0, 16)}-${val.hash.slice(0, 16)}`;
  const ckpt = path.join(opts.outDir, 'checkpoint');
  const batches = Math.floor(opts.trainSamples / batchSize);

  let model: HeteroEdgeGnn;
  let meta: GnnMetadata;
  const resuming = (opts.resume ?? true) && existsSync(path.join(ckpt, 'metadata.json'));
  if (resuming) {
    meta = readMetadata(ckpt) as GnnMetadata;
    const same = meta.family === 'gnn' && meta.gnn?.betaS === opts.betaS && meta.hiddenDims.join() === opts.hiddenDims.join() && meta.datasetHash === datasetHash && meta.batchSize === batchSize && meta.gnn.aggregation === aggregation;
    if (!same) throw new Error(`${ckpt}: the checkpoint is for another training (family ${meta.family}, β_s ${meta.gnn?.betaS}, widths ${meta.hiddenDims}, data ${meta.datasetHash}); remove it or choose another --out`);
    model = loadEdgeGnn(tf, ckpt);
  } else {
    model = new HeteroEdgeGnn(tf, { numTxAntennas: N, hiddenDims: opts.hiddenDims, aggregation, leakyAlpha: 0.1, seed: opts.seed });
    meta = initialGnnMetadata(tf, model, { ...opts, batchSize, learningRate: lr0, aggregation, datasetHash, validationSeed });
  }
  const trainer = new EdgeGnnTrainer(tf, model);
  const adam = new FusedAdam(tf, model.variables, { learningRate: lr0 });
  if (resuming) await loadOptimizer(tf, adam, path.join(ckpt, 'adam'));

  let best = meta.curve.length ? Math.min(...meta.curve.map((c) => c.valLoss)) : Infinity;
  let sinceBest = meta.curve.length ? meta.curve.length - meta.bestEpoch : 0;
  let stopped: GnnTrainResult['stopped'] = 'finished';
  const t0 = opts.clockS() - meta.trainingTimeS;
  let last = meta.curve.at(-1);
  const tMax = meta.gnn.schedule.tMaxEpochs;
  try {
    for (let epoch = meta.epochsDone; epoch < opts.epochs; epoch++) {
      const tEpoch = opts.clockS();
      const lr = cosineLearningRate(lr0, 0, tMax, epoch);
      setLearningRate(adam, lr);
      const rng = streamFor(opts.seed, `gnn:shuffle:${epoch}`);
      const order = Int32Array.from({ length: opts.trainSamples }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        if (opts.shouldStop?.()) {
          stopped = 'interrupted';
          break;
        }
        const batch = gatherBatch(s, trainX, order.subarray(b * batchSize, (b + 1) * batchSize));
        const loss = paper004TrainStep(tf, trainer, adam, s, opts.betaS, batch);
        if (!Number.isFinite(loss)) throw new Error(`gnn training: the loss is ${loss} at epoch ${epoch + 1}, batch ${b + 1}`);
        lossSum += loss;
        const el = opts.clockS() - tEpoch;
        opts.onBatch?.({ epoch, epochs: opts.epochs, batch: b + 1, batches, loss, samplesPerS: ((b + 1) * batchSize) / Math.max(el, 1e-9), valRc: last?.valRc ?? NaN, valRs: last?.valRs ?? NaN, bytes: 0 });
        // A batch is synchronous work: give signal handlers and the progress bar a turn.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (stopped === 'interrupted') break;
      const trainS = opts.clockS() - tEpoch;
      const v = evaluatePaper004(tf, trainer, s, opts.betaS, valX);
      const point: CurvePoint = { epoch: epoch + 1, trainLoss: lossSum / batches, valLoss: v.loss, valRc: v.rc, valRs: v.rs, samplesPerS: (batches * batchSize) / trainS, wallS: opts.clockS() - t0 };
      last = point;
      meta.curve.push(point);
      meta.gnn.learningRates.push(lr);
      meta.epochsDone = epoch + 1;
      meta.trainingTimeS = opts.clockS() - t0;
      meta.gnn.budget.samplePasses = meta.epochsDone * batches * batchSize;
      meta.gnn.budget.fractionOfPaperSamplePasses = meta.gnn.budget.samplePasses / PAPER004_BUDGET.samplePasses;
      if (v.loss < best - 1e-6) {
        best = v.loss;
        sinceBest = 0;
        meta.bestEpoch = epoch + 1;
        await saveEdgeGnn(model, opts.outDir);
      } else {
        sinceBest++;
      }
      await saveEdgeGnn(model, ckpt);
      await saveOptimizer(adam, path.join(ckpt, 'adam'));
      writeMetadata(ckpt, meta);
      writeMetadata(opts.outDir, meta);
      opts.onEpoch?.(point, meta);
      if (sinceBest >= patience) {
        stopped = 'early-stopping';
        break;
      }
    }
    if (stopped !== 'interrupted') {
      meta.finished = true;
      meta.trainingTimeS = opts.clockS() - t0;
      writeMetadata(opts.outDir, meta);
      removeDir(ckpt);
    }
  } finally {
    adam.dispose();
    model.dispose();
  }
  return { meta, stopped };
}

/**
 * Scores the finished model in `outDir` on `samples` fresh test samples (seed `derivedSeed(seed,
 * 'test')`, at the trained M) and records the result in its metadata.json (`gnn.test`).
 */
export function recordTestResult(tf: Tf, outDir: string, setting: GnnSetting, samples: number, seed: number): GnnTestResult {
  const g = loadGnnModel(tf, outDir);
  try {
    const test = evaluateOnTestSet(tf, g, setting, { numAps: setting.numAps, samples, seed: derivedSeed(seed, 'test'), betaS: g.meta.gnn.betaS });
    const meta: GnnMetadata = { ...g.meta, gnn: { ...g.meta.gnn, test } };
    writeMetadata(outDir, meta);
    return test;
  } finally {
    g.dispose();
  }
}
