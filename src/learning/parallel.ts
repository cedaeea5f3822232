/**
 * Training independent MLPs on all cores: a pool of worker threads (node:worker_threads), each
 * with its own tfjs backend (wasm by default), running self-contained `TrainJob`s.
 *
 * Why: tfjs-backend-wasm runs one thread under Node (backend.ts), so one training uses one core.
 * Independent trainings — the M models of the per-cell baseline, seeds of a sweep, the two ρ of a
 * figure — can run side by side, one per worker. A job carries everything it needs (MLP config,
 * data source, epochs, batch size, Adam config, seed), so a worker's result depends on the job
 * only: training a job in a worker gives the same weights, bit for bit, as `runTrainJob` in
 * process (same wasm kernels, same seeded streams; tested).
 *
 *   const results = await trainInWorkers(jobs, { workers: 2 });  // results[i] for jobs[i]
 *   // or keep the workers between batches of jobs:
 *   const pool = await TrainPool.start({ workers: 2 });
 *   await pool.run(jobs); …; await pool.close();
 *
 * Data sources:
 *   synthetic  x ~ N(0, 1) and a fixed random teacher y = tanh(x·A/√inputDim), drawn from the
 *              job's data seed (benchmarks and tests); MSE loss.
 *   percell    BS `bs` of the per-cell DL baseline on a dataset file written by `encodeDataset`
 *              (dataset.ts): own-cell features, the per-cell ISAC loss (vfl.ts `BsParty` +
 *              `CentralServer` with `interCell: false`), the streams of train.ts (shuffle
 *              'vfl:shuffle:<epoch>' of the job seed, dropout 'vfl:dropout:<bs>:<epoch>', weights
 *              of seed + bs when built by `percellJobs`). The other cells' beams are held at zero:
 *              with `interCell: false` they enter neither this cell's loss nor its gradient, so the
 *              reported loss is this cell's own.
 *
 * The worker entry is plain JavaScript (train-worker.mjs): a worker does not inherit the
 * TypeScript loader, so it registers tsx itself (≈ 0.3 s) and imports this module. Workers are
 * terminated when `run` rejects and by `close` / `trainInWorkers`, so nothing keeps Node alive.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Sequential, Tensor } from '@tensorflow/tfjs';
import { initBackend, type BackendName } from './backend.ts';
import { featureScale, inputDim, localFeatureMatrix, outputDim, sizes, decodeDataset, type IsacDataset } from './dataset.ts';
import { createMlp, createMlpTrainer, type MlpConfig } from './mlp.ts';
import { BsParty, CentralServer } from './vfl.ts';
import { streamFor } from '../phy/random.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export type TrainData =
  | { kind: 'synthetic'; /** seed of the inputs and of the teacher */ seed: number; samples: number }
  | {
      kind: 'percell';
      /** dataset file (dataset.ts `encodeDataset`, e.g. a cached training set) */
      path: string;
      /** the BS this job trains */
      bs: number;
      /** ISAC weight ρ of L = ρL_c + (1−ρ)L_s */
      rho: number;
      /** share of the samples held out at the end, as train.ts does (default 0.1; not trained on) */
      validationShare?: number;
    };

export interface TrainJob {
  /** Names the job in errors and results. */
  name: string;
  /** The model; `mlp.seed` drives the weight initialisation. */
  mlp: MlpConfig;
  data: TrainData;
  epochs: number;
  /** Default 128 (paper 000, Table I). */
  batchSize?: number;
  /** Adam with coupled decay; defaults lr 1e-4, decay 1e-6 (Table I). */
  adam?: { learningRate?: number; weightDecay?: number };
  /** Seed of the shuffles and dropout masks. */
  seed: number;
  /**
   * percell only — continue a training: the job trains epochs startEpoch … startEpoch + epochs − 1
   * (their shuffles and dropout masks) from these weights (`model.getWeights()` order) and Adam
   * state (tfjs's layout: 'iter', then `<variable>/m`, `<variable>/v`). train.ts runs one such
   * job per BS and epoch, so its checkpoints, validation and early stopping stay in one place.
   */
  resume?: { startEpoch: number; weights: TrainedWeight[]; optimizer: TrainedWeight[] };
  /** Post a progress message every this many batches (0 or absent: none). */
  progressEvery?: number;
}

/** Progress of a running job (TrainPool.run's onProgress). */
export interface TrainJobProgress {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean loss of the epoch's batches so far. */
  loss: number;
}

export interface TrainedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainJobResult {
  name: string;
  /** The model's weights in `model.getWeights()` order (kernels and biases, layer by layer). */
  weights: TrainedWeight[];
  /** Mean training loss of each epoch. */
  curve: number[];
  steps: number;
  samples: number;
  /** Wall time of the training loop (data and model set up excluded), seconds. */
  trainS: number;
  samplesPerS: number;
  /** tfjs backend the job ran on. */
  backend: string;
  /** Adam state at the end (percell jobs; tfjs's layout, as TrainJob.resume takes it). */
  optimizer?: TrainedWeight[];
}

/** A job that failed; the message starts with the job's name. */
export class TrainJobError extends Error {
  constructor(
    readonly job: string,
    message: string,
  ) {
    super(`train job '${job}': ${message}`);
    this.name = 'TrainJobError';
  }
}

function checkJob(job: TrainJob): void {
  const fail = (m: string) => {
    throw new TrainJobError(job.name, m);
  };
  if (typeof job.name !== 'string' || job.name === '') throw new TrainJobError(String(job.name), 'name must be a non-empty string');
  if (!Number.isInteger(job.epochs) || job.epochs < 0) fail(`epochs must be a non-negative integer, got ${job.epochs}`);
  const batch = job.batchSize ?? 128;
  if (!Number.isInteger(batch) || batch <= 0) fail(`batchSize must be a positive integer, got ${batch}`);
  if (!Number.isFinite(job.seed)) fail(`seed must be a finite number, got ${job.seed}`);
  const d = job.data;
  if (d?.kind === 'synthetic') {
    if (!Number.isInteger(d.samples) || d.samples < batch) fail(`data.samples must be an integer ≥ batchSize (${batch}), got ${d.samples}`);
  } else if (d?.kind !== 'percell') {
    fail(`data.kind must be 'synthetic' or 'percell', got ${String((d as { kind?: unknown })?.kind)}`);
  }
  if (job.resume) {
    if (d.kind !== 'percell') fail('resume is supported for percell jobs only');
    if (!Number.isInteger(job.resume.startEpoch) || job.resume.startEpoch < 0) fail(`resume.startEpoch must be a non-negative integer, got ${job.resume.startEpoch}`);
  }
}

/** Weights of a model as plain arrays (copies). */
function readWeights(model: Sequential): TrainedWeight[] {
  return model.weights.map((w, i) => {
    const t = model.getWeights()[i];
    return { name: w.originalName, shape: [...t.shape], data: t.dataSync().slice() as Float32Array };
  });
}

/** Synthetic regression data of a job: x [n, inputDim] ~ N(0,1), y = tanh(x·A/√inputDim), A ~ N(0,1). */
export function syntheticData(seed: number, samples: number, inDim: number, outDim: number): { x: Float32Array; y: Float32Array } {
  const rx = streamFor(seed, 'learning.parallel.x');
  const ra = streamFor(seed, 'learning.parallel.teacher');
  const x = Float32Array.from({ length: samples * inDim }, () => rx.normal());
  const a = Float64Array.from({ length: inDim * outDim }, () => ra.normal());
  const y = new Float32Array(samples * outDim);
  const s = 1 / Math.sqrt(inDim);
  for (let n = 0; n < samples; n++) {
    for (let o = 0; o < outDim; o++) {
      let acc = 0;
      for (let i = 0; i < inDim; i++) acc += x[n * inDim + i] * a[i * outDim + o];
      y[n * outDim + o] = Math.tanh(acc * s);
    }
  }
  return { x, y };
}

const shuffled = (n: number, seed: number, stream: string): Int32Array => streamFor(seed, stream).permutation(n);

function gatherRows(src: Float32Array, idx: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let r = 0; r < idx.length; r++) out.set(src.subarray(idx[r] * width, (idx[r] + 1) * width), r * width);
  return out;
}

/** Yields to the event loop (so a worker can receive a terminate between steps). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function trainSynthetic(tf: Tf, job: TrainJob, d: Extract<TrainData, { kind: 'synthetic' }>): Promise<Omit<TrainJobResult, 'name' | 'backend'>> {
  const batch = job.batchSize ?? 128;
  const model = createMlp(tf, job.mlp);
  const trainer = createMlpTrainer(tf, model, { learningRate: job.adam?.learningRate, weightDecay: job.adam?.weightDecay, seed: job.seed });
  try {
    const { inputDim: inDim, outputDim: outDim } = job.mlp;
    const { x, y } = syntheticData(d.seed, d.samples, inDim, outDim);
    const batches = Math.floor(d.samples / batch);
    const curve: number[] = [];
    const t0 = performance.now();
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      const order = shuffled(d.samples, job.seed, `learning.parallel.shuffle:${epoch}`);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        const idx = order.subarray(b * batch, (b + 1) * batch);
        const xb = tf.tensor2d(gatherRows(x, idx, inDim), [batch, inDim]);
        const yb = tf.tensor2d(gatherRows(y, idx, outDim), [batch, outDim]);
        try {
          sum += trainer.step(xb, yb);
        } finally {
          tf.dispose([xb, yb]);
        }
      }
      curve.push(sum / batches);
      await turn();
    }
    const trainS = (performance.now() - t0) / 1000;
    const samples = job.epochs * batches * batch;
    return { weights: readWeights(model), curve, steps: trainer.steps, samples, trainS, samplesPerS: samples / trainS };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

async function trainPercell(
  tf: Tf,
  job: TrainJob,
  d: Extract<TrainData, { kind: 'percell' }>,
  onProgress?: (p: TrainJobProgress) => void,
): Promise<Omit<TrainJobResult, 'name' | 'backend'>> {
  const batch = job.batchSize ?? 128;
  let ds: IsacDataset;
  try {
    ds = decodeDataset(readFileSync(d.path));
  } catch (error) {
    throw new TrainJobError(job.name, `cannot read dataset ${d.path}: ${(error as Error).message}`);
  }
  const dims = ds.dims;
  const z = sizes(dims);
  const m = d.bs;
  if (!Number.isInteger(m) || m < 0 || m >= dims.numBs) throw new TrainJobError(job.name, `data.bs must be in 0…${dims.numBs - 1}, got ${m}`);
  const inDim = inputDim(dims, true);
  const outDim = outputDim(dims);
  if (job.mlp.inputDim !== inDim || job.mlp.outputDim !== outDim) {
    throw new TrainJobError(job.name, `mlp is ${job.mlp.inputDim}→${job.mlp.outputDim}, the dataset's per-cell model is ${inDim}→${outDim}`);
  }
  const nVal = Math.max(1, Math.round(ds.numSamples * (d.validationShare ?? 0.1)));
  const nTrain = ds.numSamples - nVal;
  const x = localFeatureMatrix(ds, m, true, featureScale(ds));
  const model = createMlp(tf, job.mlp);
  const party = new BsParty(tf, model, { bs: m, learningRate: job.adam?.learningRate, weightDecay: job.adam?.weightDecay, seed: job.seed });
  const server = new CentralServer(tf, dims, d.rho, false);
  if (job.resume) await restore(tf, job, model, party);
  const startEpoch = job.resume?.startEpoch ?? 0;
  const nt2 = 2 * dims.numTxAnt;
  const J = dims.targetsPerCell;
  try {
    const batches = Math.floor(nTrain / batch);
    if (batches === 0) throw new TrainJobError(job.name, `${nTrain} training samples are fewer than one batch of ${batch}`);
    const zeroW = tf.zeros([batch, outDim]);
    const curve: number[] = [];
    let steps = 0;
    const t0 = performance.now();
    try {
      for (let epoch = startEpoch; epoch < startEpoch + job.epochs; epoch++) {
        const order = shuffled(nTrain, job.seed, `vfl:shuffle:${epoch}`);
        party.reseed(job.seed, epoch);
        let sum = 0;
        for (let b = 0; b < batches; b++) {
          const idx = order.subarray(b * batch, (b + 1) * batch);
          const t = tf.tidy(() => {
            const H = tf.tensor4d(gatherRows(ds.H, idx, z.h), [batch, dims.numBs, z.numUsers, nt2]);
            const G = tf.tensor4d(gatherRows(ds.G, idx, z.g), [batch, z.numTargets, dims.numBs, nt2]);
            const I = tf.tensor4d(gatherRows(ds.I, idx, z.i), [batch, z.numTargets, J, nt2]);
            return {
              x: tf.tensor2d(gatherRows(x, idx, inDim), [batch, inDim]),
              locals: Array.from({ length: dims.numBs }, (_, n) => ({
                H: tf.squeeze(tf.slice(H, [0, n, 0, 0], [batch, 1, z.numUsers, nt2]), [1]),
                G: tf.squeeze(tf.slice(G, [0, 0, n, 0], [batch, z.numTargets, 1, nt2]), [2]),
                I: tf.slice(I, [0, n * J, 0, 0], [batch, J, J, nt2]),
              })),
            };
          });
          const own = party.upload(t.x, t.locals[m], false);
          const uploads = t.locals.map((l, n) => (n === m ? own : { from: n, W: zeroW, H: l.H, G: l.G, I: l.I, bytes: 0 }));
          const { loss, downloads } = server.step(uploads);
          party.update(t.x, downloads[m]);
          tf.dispose([own.W, ...downloads.map((g) => g.dW), t.x, ...t.locals.flatMap((l) => [l.H, l.G, l.I])] as Tensor[]);
          if (!Number.isFinite(loss)) throw new TrainJobError(job.name, `loss is ${loss} at epoch ${epoch}, batch ${b}`);
          sum += loss;
          steps++;
          if (onProgress && job.progressEvery && ((b + 1) % job.progressEvery === 0 || b + 1 === batches)) onProgress({ epoch, batch: b + 1, batches, loss: sum / (b + 1) });
        }
        curve.push(sum / batches);
        await turn();
      }
    } finally {
      zeroW.dispose();
    }
    const trainS = (performance.now() - t0) / 1000;
    const samples = steps * batch;
    const state = await party.optimizer.getWeights();
    const optimizer = state.map((w) => ({ name: w.name, shape: [...w.tensor.shape], data: w.tensor.dataSync().slice() as Float32Array }));
    tf.dispose(state.map((w) => w.tensor));
    return { weights: readWeights(model), optimizer, curve, steps, samples, trainS, samplesPerS: samples / trainS };
  } finally {
    party.dispose();
    model.dispose();
  }
}

/** Sets a percell job's model weights and Adam state from `job.resume`, checking every shape. */
async function restore(tf: Tf, job: TrainJob, model: Sequential, party: BsParty): Promise<void> {
  const r = job.resume!;
  const own = model.getWeights();
  if (r.weights.length !== own.length) throw new TrainJobError(job.name, `resume has ${r.weights.length} weight tensors, the model ${own.length}`);
  r.weights.forEach((w, i) => {
    const want = own[i].shape.join('×');
    if (w.shape.join('×') !== want || w.data.length !== own[i].size) throw new TrainJobError(job.name, `resume weight ${i} (${w.name}) is ${w.shape.join('×')}, the model's is ${want}`);
  });
  const values = r.weights.map((w) => tf.tensor(w.data, w.shape));
  model.setWeights(values);
  tf.dispose(values);
  const state = r.optimizer.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) }));
  try {
    await party.optimizer.setWeights(state);
  } finally {
    tf.dispose(state.map((w) => w.tensor));
  }
}

/**
 * Trains one job on `tf` (in this thread) and returns its weights and curve. Errors are
 * `TrainJobError`s naming the job.
 */
export async function runTrainJob(tf: Tf, job: TrainJob, onProgress?: (p: TrainJobProgress) => void): Promise<TrainJobResult> {
  try {
    checkJob(job);
    const d = job.data;
    const r = d.kind === 'synthetic' ? await trainSynthetic(tf, job, d) : await trainPercell(tf, job, d, onProgress);
    return { name: job.name, backend: tf.getBackend(), ...r };
  } catch (error) {
    if (error instanceof TrainJobError) throw error;
    throw new TrainJobError(job?.name ?? '?', (error as Error)?.message ?? String(error));
  }
}

/** The jobs one after another in this thread, on `backend` (default 'wasm'): the reference for the pool. */
export async function trainInProcess(jobs: TrainJob[], options: { backend?: BackendName } = {}): Promise<TrainJobResult[]> {
  const { tf } = await initBackend(options.backend ?? 'wasm');
  const out: TrainJobResult[] = [];
  for (const job of jobs) out.push(await runTrainJob(tf, job));
  return out;
}

/**
 * One job per BS of the per-cell baseline on a dataset file, with train.ts's seeds: weights of
 * seed + bs, shuffles and dropout of `seed`.
 */
export function percellJobs(o: {
  path: string;
  rho: number;
  epochs: number;
  seed: number;
  numBs: number;
  inputDim: number;
  outputDim: number;
  hiddenDims?: number[];
  dropout?: number;
  leakyAlpha?: number;
  batchSize?: number;
  adam?: TrainJob['adam'];
  validationShare?: number;
}): TrainJob[] {
  return Array.from({ length: o.numBs }, (_, m) => ({
    name: `percell-bs${m}`,
    mlp: { inputDim: o.inputDim, outputDim: o.outputDim, hiddenDims: o.hiddenDims ?? [512, 512, 512, 512], dropout: o.dropout, leakyAlpha: o.leakyAlpha, seed: o.seed + m },
    data: { kind: 'percell', path: o.path, bs: m, rho: o.rho, validationShare: o.validationShare },
    epochs: o.epochs,
    batchSize: o.batchSize,
    adam: o.adam,
    seed: o.seed,
  }));
}

// ------------------------------------------------------------------------------ the pool

export interface PoolOptions {
  /** Number of worker threads (default 2; at most one per job is used by `trainInWorkers`). */
  workers?: number;
  /** tfjs backend of every worker (default 'wasm'). */
  backend?: BackendName;
}

type Reply =
  | { type: 'ready'; backend: string }
  | { type: 'init-error'; error: string }
  | { id: number; progress: TrainJobProgress }
  | { id: number; ok: true; result: TrainJobResult }
  | { id: number; ok: false; error: string };

const WORKER_URL = new URL('./train-worker.mjs', import.meta.url);

/** Worker threads with a tfjs backend each, running `TrainJob`s. */
export class TrainPool {
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    /** Backend each worker reports. */
    readonly backends: string[],
  ) {}

  /** Starts the workers and waits until each has its backend ready. */
  static async start(options: PoolOptions = {}): Promise<TrainPool> {
    const n = options.workers ?? 2;
    if (!Number.isInteger(n) || n < 1) throw new Error(`TrainPool: workers must be a positive integer, got ${n}`);
    const backend = options.backend ?? 'wasm';
    // execArgv []: a worker inherits no --import tsx (train-worker.mjs registers it once).
    const workers = Array.from({ length: n }, () => new Worker(WORKER_URL, { workerData: { backend }, execArgv: [] }));
    try {
      const backends = await Promise.all(
        workers.map(
          (w, i) =>
            new Promise<string>((resolve, reject) => {
              const onExit = (code: number) => reject(new Error(`TrainPool: worker ${i} exited with code ${code} while starting`));
              w.once('error', reject);
              w.once('exit', onExit);
              w.once('message', (m: Reply) => {
                w.off('error', reject);
                w.off('exit', onExit);
                if ('type' in m && m.type === 'ready') resolve(m.backend);
                else reject(new Error(`TrainPool: worker ${i}: ${'error' in m ? m.error : 'unexpected message'}`));
              });
            }),
        ),
      );
      return new TrainPool(workers, backends);
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs the jobs (each worker takes the next job when it is free); results in job order. The
   * first failing job rejects with its `TrainJobError` after every worker has been terminated
   * (the pool is closed then).
   */
  async run(jobs: TrainJob[], onProgress?: (job: number, p: TrainJobProgress) => void): Promise<TrainJobResult[]> {
    if (this.closed) throw new Error('TrainPool: closed');
    jobs.forEach(checkJob); // configuration errors reject before any work
    const results: TrainJobResult[] = new Array(jobs.length);
    let next = 0;
    try {
      await Promise.all(
        this.workers.map(async (w) => {
          for (let i = next++; i < jobs.length; i = next++) results[i] = await this.one(w, i, jobs[i], onProgress && ((p) => onProgress(i, p)));
        }),
      );
    } catch (error) {
      next = jobs.length; // no new jobs
      await this.close();
      throw error;
    }
    return results;
  }

  private one(w: Worker, id: number, job: TrainJob, onProgress?: (p: TrainJobProgress) => void): Promise<TrainJobResult> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const onMessage = (m: Reply) => {
        if (!('id' in m) || m.id !== id) return;
        if ('progress' in m) {
          onProgress?.(m.progress);
          return;
        }
        cleanup();
        if (m.ok) resolve(m.result);
        else reject(new TrainJobError(job.name, m.error));
      };
      const onError = (e: Error) => {
        cleanup();
        reject(new TrainJobError(job.name, `worker failed: ${e.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new TrainJobError(job.name, `worker exited with code ${code}`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ id, job });
    });
  }

  /** Terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Starts a pool of min(workers, jobs) workers, runs the jobs, closes the pool (also on failure). */
export async function trainInWorkers(jobs: TrainJob[], options: PoolOptions = {}): Promise<TrainJobResult[]> {
  if (jobs.length === 0) return [];
  jobs.forEach(checkJob);
  const pool = await TrainPool.start({ ...options, workers: Math.min(options.workers ?? 2, jobs.length) });
  try {
    return await pool.run(jobs);
  } finally {
    await pool.close();
  }
}

/** Body of a worker thread (called by train-worker.mjs): init the backend, then serve jobs. */
export async function serveTrainJobs(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (!parentPort) throw new Error('serveTrainJobs: not in a worker thread');
  const port = parentPort;
  let tf: Tf;
  try {
    tf = (await initBackend((workerData as { backend?: BackendName })?.backend ?? 'wasm')).tf;
  } catch (error) {
    port.postMessage({ type: 'init-error', error: (error as Error).message });
    return;
  }
  port.postMessage({ type: 'ready', backend: tf.getBackend() });
  // One job at a time, in arrival order.
  let queue = Promise.resolve();
  port.on('message', (msg: { id: number; job: TrainJob }) => {
    queue = queue.then(async () => {
      try {
        const result = await runTrainJob(tf, msg.job, (progress) => port.postMessage({ id: msg.id, progress }));
        const buffers = [...result.weights, ...(result.optimizer ?? [])].map((w) => w.data.buffer as ArrayBuffer);
        port.postMessage({ id: msg.id, ok: true, result }, buffers);
      } catch (error) {
        port.postMessage({ id: msg.id, ok: false, error: error instanceof TrainJobError ? error.message.replace(/^train job '[^']*': /, '') : String((error as Error)?.message ?? error) });
      }
    });
  });
}
