/**
 * Training loop of the VFL and per-cell beamformers: epochs over a shuffled training set, one
 * VFL iteration per batch (vfl.ts), validation after every epoch on a held-out part of the
 * training set (the last `validationShare`), early stopping on the validation loss, and a
 * checkpoint after every epoch (models + Adam state + metadata), so an interrupted run resumes at
 * the next epoch with the same shuffles and dropout masks. The best epoch's models are kept.
 *
 * Seeds: shuffle stream 'vfl:shuffle:<epoch>', dropout streams 'vfl:dropout:<bs>:<epoch>', weights
 * 'learning.mlp.init' of seed + bs (createMlp).
 */
import type { Sequential, Tensor } from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createMlp } from './mlp.ts';
import { featureScale, inputDim, outputDim, sizes, type IsacDataset } from './dataset.ts';
import { featureMatrix, fitLogGain, type FeatureModeName, type FeatureSpec } from './features.ts';
import { scheduleState } from './schedule.ts';
import { scaleSamples, snrSpread } from './snr-axis.ts';
import { BsParty, CentralServer, bytesPerBsPerSample, paperUnitsPerSample } from './vfl.ts';
import {
  bsDir,
  loadLayersModel,
  loadOptimizer,
  readMetadata,
  removeDir,
  saveLayersModel,
  saveOptimizer,
  writeMetadata,
  type CurvePoint,
  type ModelMetadata,
  type TrainingSchedule,
} from './model-store.ts';
import { TrainPool, type TrainedWeight, type TrainJob } from './parallel.ts';
import { streamFor } from '../phy/random.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface TrainOptions {
  method: 'vfl' | 'percell';
  rho: number;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  hiddenDims?: number[];
  dropout?: number;
  leakyAlpha?: number;
  seed: number;
  /** Share of the training set held out for validation (default 0.1). */
  validationShare?: number;
  /** Epochs without validation improvement before stopping (default 5). */
  patience?: number;
  /** Output directory models/<name>; checkpoints go there. */
  outDir: string;
  /** Resume from a checkpoint in outDir when there is one (default true). */
  resume?: boolean;
  backend: string;
  scenario: string;
  scenarioHash: string;
  /** Hash of the training data and the package version (stored in the metadata). */
  datasetHash?: string;
  codeVersion?: string;
  onBatch?: (p: TrainProgress) => void;
  onEpoch?: (p: CurvePoint, meta: ModelMetadata) => void;
  /** Polled between batches; true stops after checkpointing the last full epoch. */
  shouldStop?: () => boolean;
  /** Monotonic clock in seconds for training times and samples/s (injected: tests pass a fake). */
  clockS: () => number;
  /**
   * percell: train the BSs' independent models in this many worker threads (parallel.ts), one
   * job per BS and epoch — the same weights, bit for bit, as in process (tested); validation,
   * checkpoints and early stopping stay here. Needs `datasetFile`. Default 1 (in process).
   */
  workers?: number;
  /** The training set as a file (dataset.ts `encodeDataset`; `cachedDataset(…).file`), for the workers. */
  datasetFile?: string;
  /** Input feature mode (features.ts; default 'rms', the mode of every older model). */
  features?: FeatureModeName;
  /**
   * Per-sample SNR spread (snr-axis.ts): each training/validation sample is scaled to a cell-edge
   * SNR drawn uniformly in [lo, hi] dB; needs `baseSnrDb`, the dataset's own cell-edge SNR.
   */
  snrRangeDb?: [number, number];
  baseSnrDb?: number;
  /**
   * Learning-rate schedule and early stopping on the smoothed validation loss (schedule.ts). Absent:
   * the first trainer's rule (constant lr, stop after `patience` epochs without a raw improvement of 1e-6).
   */
  schedule?: Omit<TrainingSchedule, 'maxEpochs' | 'patience'>;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  samplesPerS: number;
  valRc: number;
  valRs: number;
  bytes: number;
}

export interface TrainResult {
  meta: ModelMetadata;
  stopped: 'finished' | 'early-stopping' | 'interrupted';
  bytesExchanged: number;
}

interface Split {
  x: Float32Array[];
  H: Float32Array;
  G: Float32Array;
  I: Float32Array;
  n: number;
}

function sliceSplit(ds: IsacDataset, xs: Float32Array[], start: number, n: number, inDim: number): Split {
  const z = sizes(ds.dims);
  return {
    x: xs.map((x) => x.subarray(start * inDim, (start + n) * inDim)),
    H: ds.H.subarray(start * z.h, (start + n) * z.h),
    G: ds.G.subarray(start * z.g, (start + n) * z.g),
    I: ds.I.subarray(start * z.i, (start + n) * z.i),
    n,
  };
}

/** Gathers rows `idx` of a row-major matrix with `width` columns. */
function gatherRows(src: Float32Array, idx: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let r = 0; r < idx.length; r++) out.set(src.subarray(idx[r] * width, (idx[r] + 1) * width), r * width);
  return out;
}

/** Per-party local tensors for a batch of sample indices. */
function batchTensors(tf: Tf, ds: IsacDataset, split: Split, idx: ArrayLike<number>, inDim: number) {
  const d = ds.dims;
  const z = sizes(d);
  const nt2 = 2 * d.numTxAnt;
  const B = idx.length;
  const H = tf.tensor4d(gatherRows(split.H, idx, z.h), [B, d.numBs, z.numUsers, nt2]);
  const G = tf.tensor4d(gatherRows(split.G, idx, z.g), [B, z.numTargets, d.numBs, nt2]);
  const I = tf.tensor4d(gatherRows(split.I, idx, z.i), [B, z.numTargets, d.targetsPerCell, nt2]);
  const J = d.targetsPerCell;
  // tidy: the slices before each squeeze are intermediates (they leaked 6 tensors per batch).
  const locals = tf.tidy(() =>
    Array.from({ length: d.numBs }, (_, m) => ({
      x: tf.tensor2d(gatherRows(split.x[m], idx, inDim), [B, inDim]),
      H: tf.squeeze(tf.slice(H, [0, m, 0, 0], [B, 1, z.numUsers, nt2]), [1]),
      G: tf.squeeze(tf.slice(G, [0, 0, m, 0], [B, z.numTargets, 1, nt2]), [2]),
      I: tf.slice(I, [0, m * J, 0, 0], [B, J, J, nt2]),
    })),
  );
  return { H, G, I, locals };
}

/**
 * Validation: mean R_c and R_s (true network metrics) over a split, in chunks, and the loss the
 * method trains on (per-cell: its own per-cell loss, so early stopping uses no inter-cell
 * information either).
 */
export function evaluateParties(tf: Tf, ds: IsacDataset, split: Split, parties: BsParty[], server: CentralServer, inDim: number) {
  let rcSum = 0;
  let rsSum = 0;
  let lossSum = 0;
  const chunk = 500;
  for (let s = 0; s < split.n; s += chunk) {
    const idx = Array.from({ length: Math.min(chunk, split.n - s) }, (_, i) => s + i);
    const t = batchTensors(tf, ds, split, idx, inDim);
    const Ws = parties.map((p, m) => p.forward(t.locals[m].x));
    const { rc, rs } = server.rates({ H: t.H, G: t.G, I: t.I }, Ws);
    for (let i = 0; i < rc.length; i++) {
      rcSum += rc[i];
      rsSum += rs[i];
    }
    if (!server.interCell) {
      const own = server.rates({ H: t.H, G: t.G, I: t.I }, Ws, false);
      for (let i = 0; i < rc.length; i++) lossSum -= server.rho * own.rc[i] + (1 - server.rho) * own.rs[i];
    }
    tf.dispose([...Ws, t.H, t.G, t.I, ...t.locals.flatMap((l) => [l.x, l.H, l.G, l.I])]);
  }
  const rc = rcSum / split.n;
  const rs = rsSum / split.n;
  return { rc, rs, loss: server.interCell ? -(server.rho * rc + (1 - server.rho) * rs) : lossSum / split.n };
}

/** Trains (or resumes) the per-BS models; writes models/<name>/ as it goes. */
export async function trainIsac(tf: Tf, trainSet: IsacDataset, opts: TrainOptions): Promise<TrainResult> {
  let train = trainSet;
  const d = train.dims;
  const local = opts.method === 'percell';
  const inDim = inputDim(d, local);
  const outDim = outputDim(d);
  const hiddenDims = opts.hiddenDims ?? [512, 512, 512, 512];
  const batchSize = opts.batchSize ?? 128;
  const patience = opts.patience ?? 5;
  const nVal = Math.max(1, Math.round(train.numSamples * (opts.validationShare ?? 0.1)));
  const nTrain = train.numSamples - nVal;
  if (opts.snrRangeDb) {
    if (opts.baseSnrDb === undefined) throw new Error('snrRangeDb needs baseSnrDb (the dataset’s own cell-edge SNR)');
    train = scaleSamples(train, snrSpread(train.numSamples, opts.snrRangeDb, opts.baseSnrDb, opts.seed, 'train').factors);
  }
  const scale = featureScale(train);
  const spec: FeatureSpec = (opts.features ?? 'rms') === 'rms' ? { mode: 'rms', scale } : { mode: 'log-gain', ...fitLogGain(train) };
  const xs = Array.from({ length: d.numBs }, (_, m) => featureMatrix(train, m, local, spec));
  const schedule: TrainingSchedule | undefined = opts.schedule ? { ...opts.schedule, patience, maxEpochs: opts.epochs } : undefined;
  const trainSplit = sliceSplit(train, xs, 0, nTrain, inDim);
  const valSplit = sliceSplit(train, xs, nTrain, nVal, inDim);
  const ckpt = path.join(opts.outDir, 'checkpoint');
  const bytes = bytesPerBsPerSample(d);

  let meta: ModelMetadata = {
    format: 'isac-twin/learned-beamformer',
    version: 1,
    family: opts.method,
    method: opts.method,
    rho: opts.rho,
    scenario: opts.scenario,
    scenarioHash: opts.scenarioHash,
    dims: d,
    localFeatures: local ? 'own-cell' : 'network',
    inputDim: inDim,
    outputDim: outDim,
    hiddenDims,
    leakyAlpha: opts.leakyAlpha ?? 0.2,
    dropout: opts.dropout ?? 0.15,
    featureScale: scale,
    backend: opts.backend,
    seed: opts.seed,
    trainSamples: nTrain,
    validationSamples: nVal,
    batchSize,
    learningRate: opts.learningRate ?? 1e-4,
    weightDecay: opts.weightDecay ?? 1e-6,
    epochsDone: 0,
    bestEpoch: 0,
    finished: false,
    curve: [],
    createdAt: new Date().toISOString(),
    trainingTimeS: 0,
    ...(opts.datasetHash ? { datasetHash: opts.datasetHash } : {}),
    ...(opts.codeVersion ? { codeVersion: opts.codeVersion } : {}),
    bytesPerBsPerSample: { ...(local ? { upload: 0, download: 0 } : bytes), paperComplexUnits: paperUnitsPerSample(d) },
    ...(spec.mode === 'rms' ? {} : { features: spec }),
    ...(opts.snrRangeDb ? { snrRangeDb: opts.snrRangeDb, baseSnrDb: opts.baseSnrDb } : {}),
    ...(schedule ? { schedule } : {}),
  };

  // Models: fresh, or the last checkpoint.
  let models: Sequential[];
  const resuming = (opts.resume ?? true) && existsSync(path.join(ckpt, 'metadata.json'));
  if (resuming) {
    meta = readMetadata(ckpt);
    if (meta.method !== opts.method || meta.rho !== opts.rho || meta.inputDim !== inDim) {
      throw new Error(`${ckpt}: the checkpoint is for ${meta.method} ρ=${meta.rho}; remove it or choose another --out`);
    }
    const was = `${meta.features?.mode ?? 'rms'} features, SNR ${meta.snrRangeDb ? meta.snrRangeDb.join('–') + ' dB' : 'of the scenario'}`;
    const now = `${spec.mode} features, SNR ${opts.snrRangeDb ? opts.snrRangeDb.join('–') + ' dB' : 'of the scenario'}`;
    if (was !== now) throw new Error(`${ckpt}: the checkpoint was trained with ${was}, this run asks for ${now}; use the same options, or --fresh`);
    models = [];
    for (let m = 0; m < d.numBs; m++) models.push((await loadLayersModel(tf, bsDir(ckpt, m))) as Sequential);
  } else {
    models = Array.from({ length: d.numBs }, (_, m) =>
      createMlp(tf, { inputDim: inDim, hiddenDims, outputDim: outDim, leakyAlpha: meta.leakyAlpha, dropout: meta.dropout, seed: opts.seed + m }),
    );
  }
  const parties = models.map((model, m) => new BsParty(tf, model, { bs: m, learningRate: meta.learningRate, weightDecay: meta.weightDecay, seed: opts.seed }));
  if (resuming) for (const p of parties) await loadOptimizer(tf, p.optimizer, path.join(bsDir(ckpt, p.bs), 'adam'));
  const server = new CentralServer(tf, d, opts.rho, !local);

  const batches = Math.floor(nTrain / batchSize);
  let best = meta.curve.length ? Math.min(...meta.curve.map((c) => c.valLoss)) : Infinity;
  let sinceBest = meta.curve.length ? meta.curve.length - 1 - meta.curve.findIndex((c) => c.valLoss === best) : 0;
  let bytesExchanged = 0;
  let stopped: TrainResult['stopped'] = 'finished';
  const t0 = opts.clockS() - meta.trainingTimeS;
  let last = meta.curve.at(-1);
  // The workers build the legacy features from the dataset file: only the rms mode without an SNR spread.
  const pool = local && (opts.workers ?? 1) > 1 && spec.mode === 'rms' && !opts.snrRangeDb ? await startPercellPool(opts, d.numBs) : undefined;

  for (let epoch = meta.epochsDone; epoch < opts.epochs; epoch++) {
    const tEpoch = opts.clockS();
    const rng = streamFor(opts.seed, `vfl:shuffle:${epoch}`);
    const order = Int32Array.from({ length: nTrain }, (_, i) => i);
    for (let i = nTrain - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    parties.forEach((p) => p.reseed(opts.seed, epoch));
    const lr = meta.schedule ? scheduleState(meta.schedule, meta.learningRate, meta.curve).lr : meta.learningRate;
    for (const p of parties) p.optimizer.learningRate = lr;
    let lossSum = 0;
    if (pool) {
      const progress = (batch: number, loss: number) => {
        const el = opts.clockS() - tEpoch;
        opts.onBatch?.({ epoch, epochs: opts.epochs, batch, batches, loss, samplesPerS: (batch * batchSize) / Math.max(el, 1e-9), valRc: last?.valRc ?? NaN, valRs: last?.valRs ?? NaN, bytes: 0 });
      };
      const sum = await percellEpochInWorkers(tf, pool, parties, { ...meta, learningRate: lr, rho: opts.rho, seed: opts.seed, validationShare: opts.validationShare, datasetFile: opts.datasetFile! }, epoch, progress, opts.shouldStop);
      if (sum === undefined) stopped = 'interrupted';
      else lossSum = sum * batches;
    }
    for (let b = 0; b < (pool ? 0 : batches); b++) {
      if (opts.shouldStop?.()) {
        stopped = 'interrupted';
        break;
      }
      const idx = order.subarray(b * batchSize, (b + 1) * batchSize);
      const t = batchTensors(tf, train, trainSplit, idx, inDim);
      const uploads = parties.map((p, m) => p.upload(t.locals[m].x, t.locals[m], !local));
      const { loss, downloads } = server.step(uploads);
      parties.forEach((p, m) => p.update(t.locals[m].x, downloads[m]));
      bytesExchanged += uploads.reduce((s, u) => s + u.bytes, 0) + downloads.reduce((s, g) => s + g.bytes, 0);
      tf.dispose([...uploads.map((u) => u.W), ...downloads.map((g) => g.dW), t.H, t.G, t.I, ...t.locals.flatMap((l) => [l.x, l.H, l.G, l.I])]);
      lossSum += loss;
      const el = opts.clockS() - tEpoch;
      opts.onBatch?.({
        epoch,
        epochs: opts.epochs,
        batch: b + 1,
        batches,
        loss,
        samplesPerS: ((b + 1) * batchSize) / Math.max(el, 1e-9),
        valRc: last?.valRc ?? NaN,
        valRs: last?.valRs ?? NaN,
        bytes: bytesExchanged,
      });
      // A batch is synchronous work (tfjs-wasm): give the event loop a turn so that signal
      // handlers (Ctrl-C → shouldStop) and the progress bar run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (stopped === 'interrupted') break;
    const trainS = opts.clockS() - tEpoch;
    const val = evaluateParties(tf, train, valSplit, parties, server, inDim);
    const point: CurvePoint = {
      epoch: epoch + 1,
      trainLoss: lossSum / batches,
      valLoss: val.loss,
      valRc: val.rc,
      valRs: val.rs,
      samplesPerS: (batches * batchSize) / trainS,
      wallS: opts.clockS() - t0,
    };
    if (meta.schedule) {
      point.lr = lr;
      point.smoothedValLoss = scheduleState(meta.schedule, meta.learningRate, [...meta.curve, point]).smoothed;
    }
    last = point;
    meta.curve.push(point);
    meta.epochsDone = epoch + 1;
    meta.trainingTimeS = opts.clockS() - t0;
    const improved = val.loss < best - 1e-6;
    if (improved) {
      best = val.loss;
      sinceBest = 0;
      meta.bestEpoch = epoch + 1;
      for (const p of parties) await saveLayersModel(tf, p.model, bsDir(opts.outDir, p.bs));
    } else {
      sinceBest++;
    }
    // checkpoint: current models, Adam state, metadata
    for (const p of parties) {
      await saveLayersModel(tf, p.model, bsDir(ckpt, p.bs));
      await saveOptimizer(p.optimizer, path.join(bsDir(ckpt, p.bs), 'adam'));
    }
    writeMetadata(ckpt, meta);
    writeMetadata(opts.outDir, meta);
    opts.onEpoch?.(point, meta);
    if (meta.schedule ? scheduleState(meta.schedule, meta.learningRate, meta.curve).stop : sinceBest >= patience) {
      stopped = 'early-stopping';
      break;
    }
  }
  if (stopped !== 'interrupted') {
    meta.finished = true;
    if (meta.schedule) meta.stoppedBy = stopped === 'early-stopping' ? 'early-stopping' : 'max-epochs';
    meta.trainingTimeS = opts.clockS() - t0;
    writeMetadata(opts.outDir, meta);
    removeDir(ckpt);
  }
  await pool?.close();
  parties.forEach((p) => p.dispose());
  models.forEach((m) => m.dispose());
  return { meta, stopped, bytesExchanged };
}

async function startPercellPool(opts: TrainOptions, numBs: number): Promise<TrainPool> {
  if (!opts.datasetFile) throw new Error('percell training in workers needs the training set as a file (datasetFile)');
  const backend = opts.backend === 'cpu' || opts.backend === 'wasm' ? opts.backend : 'wasm';
  return TrainPool.start({ workers: Math.min(opts.workers ?? 1, numBs), backend });
}

const tensorsOf = (ws: TrainedWeight[], tf: Tf) => ws.map((w) => tf.tensor(w.data, w.shape));

/**
 * One epoch of the per-cell models in the pool's workers (one job per BS, continuing from the
 * parties' weights and Adam state); the parties get the results. Returns the epoch's mean
 * training loss (the sum of the cells' own losses), or undefined when `shouldStop` interrupted it
 * (the workers are terminated, the parties keep the last epoch's state).
 */
async function percellEpochInWorkers(
  tf: Tf,
  pool: TrainPool,
  parties: BsParty[],
  c: Pick<ModelMetadata, 'inputDim' | 'outputDim' | 'hiddenDims' | 'leakyAlpha' | 'dropout' | 'batchSize' | 'learningRate' | 'weightDecay'> & { rho: number; seed: number; validationShare?: number; datasetFile: string },
  epoch: number,
  progress: (batch: number, loss: number) => void,
  shouldStop?: () => boolean,
): Promise<number | undefined> {
  const jobs: TrainJob[] = [];
  for (const p of parties) {
    const state = await p.optimizer.getWeights();
    const optimizer = state.map((w) => ({ name: w.name, shape: [...w.tensor.shape], data: w.tensor.dataSync().slice() as Float32Array }));
    tf.dispose(state.map((w) => w.tensor));
    const weights = p.model.getWeights().map((t, i) => ({ name: p.model.weights[i].originalName, shape: [...t.shape], data: t.dataSync().slice() as Float32Array }));
    jobs.push({
      name: `percell-bs${p.bs}`,
      mlp: { inputDim: c.inputDim, outputDim: c.outputDim, hiddenDims: c.hiddenDims, leakyAlpha: c.leakyAlpha, dropout: c.dropout, seed: c.seed + p.bs },
      data: { kind: 'percell', path: c.datasetFile, bs: p.bs, rho: c.rho, validationShare: c.validationShare },
      epochs: 1,
      batchSize: c.batchSize,
      adam: { learningRate: c.learningRate, weightDecay: c.weightDecay },
      seed: c.seed,
      resume: { startEpoch: epoch, weights, optimizer },
      progressEvery: 5,
    });
  }
  const done = new Array<number>(jobs.length).fill(0);
  const losses = new Array<number>(jobs.length).fill(0);
  let requestStop = () => {};
  const stop = new Promise<'stop'>((resolve) => (requestStop = () => resolve('stop')));
  // polled after every progress message and every 100 ms (a signal handler sets the flag)
  const poll = () => shouldStop?.() && requestStop();
  const timer = setInterval(poll, 100);
  const run = pool.run(jobs, (i, p) => {
    done[i] = p.batch;
    losses[i] = p.loss;
    progress(Math.min(...done), losses.reduce((a, b) => a + b, 0));
    poll();
  });
  try {
    const r = await Promise.race([run, stop]);
    if (r === 'stop') {
      run.catch(() => undefined); // the workers are terminated below: the run rejects
      await pool.close();
      return undefined;
    }
    r.forEach((res, i) => {
      const p = parties[i];
      const w = tensorsOf(res.weights, tf);
      p.model.setWeights(w);
      tf.dispose(w);
    });
    for (const [i, res] of r.entries()) {
      const state = res.optimizer!.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) }));
      await parties[i].optimizer.setWeights(state);
      tf.dispose(state.map((w) => w.tensor));
    }
    return r.reduce((s, res) => s + res.curve[0], 0);
  } finally {
    clearInterval(timer);
  }
}

export type { Tensor };
