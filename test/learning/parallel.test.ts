/**
 * Training in worker threads (src/learning/parallel.ts): jobs trained in 2 workers equal the same
 * jobs trained one after another in this thread, bit for bit (synthetic MSE jobs and the per-cell
 * baseline's one-job-per-BS); the per-cell jobs equal train.ts's percell training after one
 * epoch; a bad job rejects naming the job and the workers are gone afterwards.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sequential } from '@tensorflow/tfjs';
import { initBackend } from '../../src/learning/backend.ts';
import { drawDataset, encodeDataset, inputDim, outputDim } from '../../src/learning/dataset.ts';
import { loadLayersModel } from '../../src/learning/model-store.ts';
import { percellJobs, trainInProcess, trainInWorkers, TrainJobError, TrainPool, type TrainJob, type TrainJobResult } from '../../src/learning/parallel.ts';
import { trainIsac } from '../../src/learning/train.ts';
import { scenario } from '../helpers.ts';

const tinyJob = (i: number, over: Partial<TrainJob> = {}): TrainJob => ({
  name: `tiny-${i}`,
  mlp: { inputDim: 8, hiddenDims: [16], outputDim: 4, seed: 10 + i },
  data: { kind: 'synthetic', seed: 30 + i, samples: 64 },
  epochs: 2,
  batchSize: 16,
  adam: { learningRate: 1e-3 },
  seed: 20 + i,
  ...over,
});

function assertSameWeights(a: TrainJobResult[], b: TrainJobResult[], what: string): void {
  assert.is(a.length, b.length);
  a.forEach((r, i) => {
    assert.is(r.name, b[i].name, `${what}: results in job order`);
    assert.equal(r.curve, b[i].curve, `${what} ${r.name}: the same curve`);
    assert.is(r.weights.length, b[i].weights.length);
    r.weights.forEach((w, k) => {
      assert.equal(w.shape, b[i].weights[k].shape);
      const same = Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).equals(Buffer.from(b[i].weights[k].data.buffer, b[i].weights[k].data.byteOffset, b[i].weights[k].data.byteLength));
      assert.ok(same, `${what} ${r.name}: weight ${w.name} bit for bit`);
    });
  });
}

test('tiny jobs trained in 2 workers equal the in-process training bit for bit', async () => {
  const jobs = [0, 1, 2].map((i) => tinyJob(i));
  const inWorkers = await trainInWorkers(jobs, { workers: 2 });
  const inProcess = await trainInProcess(jobs);
  assert.ok(inWorkers.every((r) => r.backend === 'wasm' && r.steps === 2 * 4));
  assertSameWeights(inWorkers, inProcess, 'workers vs in-process');
  // and the jobs are really different (different seeds → different weights)
  assert.not.equal(Array.from(inProcess[0].weights[0].data), Array.from(inProcess[1].weights[0].data));
});

test('per-cell baseline: one job per BS in 2 workers = in process = train.ts percell (1 epoch)', async () => {
  const tiny = scenario(`
name: tiny
seed: 3
topology: { numCells: 3, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 2 }
targets: { perCell: 2 }
`);
  const dir = mkdtempSync(path.join(tmpdir(), 'parallel-'));
  try {
    const ds = drawDataset(tiny.scenario, tiny.topology, 160, 2, 'train');
    const file = path.join(dir, 'train.bin');
    writeFileSync(file, encodeDataset(ds));
    const base = { rho: 0.5, epochs: 1, seed: 4, hiddenDims: [16], batchSize: 32, adam: { learningRate: 1e-3 } };
    const jobs = percellJobs({ ...base, path: file, numBs: ds.dims.numBs, inputDim: inputDim(ds.dims, true), outputDim: outputDim(ds.dims) });
    const inWorkers = await trainInWorkers(jobs, { workers: 2 });
    const inProcess = await trainInProcess(jobs);
    assertSameWeights(inWorkers, inProcess, 'percell workers vs in-process');
    // train.ts's percell run with the same seeds; after one epoch its best model is the trained one.
    const { tf } = await initBackend('wasm');
    const out = path.join(dir, 'model');
    await trainIsac(tf, ds, { method: 'percell', rho: 0.5, epochs: 1, hiddenDims: [16], batchSize: 32, learningRate: 1e-3, seed: 4, backend: 'wasm', scenario: 'tiny', scenarioHash: 'x', clockS: () => 0, outDir: out });
    for (let m = 0; m < ds.dims.numBs; m++) {
      const model = (await loadLayersModel(tf, path.join(out, `bs${m}`))) as Sequential;
      const theirs = model.getWeights().map((t) => t.dataSync() as Float32Array);
      inWorkers[m].weights.forEach((w, k) => assert.equal(Array.from(w.data), Array.from(theirs[k]), `BS ${m} weight ${w.name}: as train.ts percell`));
      model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train.ts percell with --workers 2 = in process, bit for bit (2 epochs); an interrupted epoch resumes to the same models', async () => {
  const tiny = scenario(`
name: tiny
seed: 5
topology: { numCells: 3, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 2 }
targets: { perCell: 1 }
`);
  const dir = mkdtempSync(path.join(tmpdir(), 'parallel-train-'));
  try {
    const ds = drawDataset(tiny.scenario, tiny.topology, 200, 3, 'train');
    const file = path.join(dir, 'train.bin');
    writeFileSync(file, encodeDataset(ds));
    const { tf } = await initBackend('wasm');
    const base = { method: 'percell' as const, rho: 0.5, epochs: 2, hiddenDims: [16, 16], batchSize: 32, learningRate: 1e-3, seed: 6, backend: 'wasm', scenario: 'tiny', scenarioHash: 'x', clockS: () => 0, datasetFile: file, patience: 10 };
    const weightsOf = async (out: string) => {
      const all: number[][] = [];
      for (let m = 0; m < ds.dims.numBs; m++) {
        const model = (await loadLayersModel(tf, path.join(out, `bs${m}`))) as Sequential;
        all.push(...model.getWeights().map((t) => Array.from(t.dataSync())));
        model.dispose();
      }
      return all;
    };
    const a = await trainIsac(tf, ds, { ...base, outDir: path.join(dir, 'a') });
    const b = await trainIsac(tf, ds, { ...base, outDir: path.join(dir, 'b'), workers: 2 });
    assert.is(b.stopped, 'finished');
    assert.equal(b.meta.curve.map((c) => c.valLoss), a.meta.curve.map((c) => c.valLoss), 'validation curves');
    const wa = await weightsOf(path.join(dir, 'a'));
    assert.equal(await weightsOf(path.join(dir, 'b')), wa, 'workers 2 vs in process');
    // the train losses are the cells' own losses summed (float sums in another order)
    b.meta.curve.forEach((c, i) => assert.ok(Math.abs(c.trainLoss - a.meta.curve[i].trainLoss) < 1e-5 * Math.abs(a.meta.curve[i].trainLoss), `train loss epoch ${i + 1}`));
    // interrupted during epoch 2: epoch 1 is kept; the same call resumes to the same models
    let batchesSeen = 0;
    const c1 = await trainIsac(tf, ds, { ...base, outDir: path.join(dir, 'c'), workers: 2, onBatch: (p) => p.epoch === 1 && batchesSeen++, shouldStop: () => batchesSeen > 0 });
    assert.is(c1.stopped, 'interrupted');
    assert.is(c1.meta.epochsDone, 1);
    const c2 = await trainIsac(tf, ds, { ...base, outDir: path.join(dir, 'c'), workers: 2 });
    assert.is(c2.meta.epochsDone, 2);
    assert.equal(await weightsOf(path.join(dir, 'c')), wa, 'interrupted + resumed vs in process');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The error a promise rejects with (uvu 0.5 has no assert.rejects). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new assert.Assertion({ message: 'expected a rejection', operator: 'rejects', generated: true, actual: 'resolved', expects: 'rejected' });
}

test('a failing job rejects with its name; the workers are terminated', async () => {
  const pool = await TrainPool.start({ workers: 2 });
  const bad = tinyJob(1, { name: 'bad-hidden', mlp: { inputDim: 8, hiddenDims: [-3], outputDim: 4, seed: 1 } });
  const error = await rejection(pool.run([tinyJob(0), bad, tinyJob(2)]));
  assert.instance(error, TrainJobError);
  assert.is((error as TrainJobError).job, 'bad-hidden');
  assert.match((error as Error).message, /train job 'bad-hidden': .*hiddenDims\[0\] must be a positive integer/);
  // the pool closed itself: no worker is left (a live one would keep this process from ending)
  assert.match((await rejection(pool.run([tinyJob(0)]))).message, /closed/);
  const workers = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => /Worker|MessagePort/.test(r));
  assert.equal(workers, [], 'no worker handles left');
  // configuration errors found before any work also name the job
  assert.match((await rejection(trainInWorkers([tinyJob(0, { name: 'bad-epochs', epochs: -1 })]))).message, /train job 'bad-epochs': epochs/);
});

test.run();
