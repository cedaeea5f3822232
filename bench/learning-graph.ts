/**
 * Training-step benchmark of paper 004's heterogeneous edge GNN on the wasm backend: M = 5 APs,
 * U = 2 UEs, one target, N_t = 8, four hidden layers, batch 256, the paper-004 loss (β_s = 2),
 * Adam (FusedAdam, lr 4e-4), at the paper's width d = 256 and at d = 64 (the shipped models').
 *
 *   forward        model.forward (normalised beams: the serving path), weights unchanged since
 *                  the last call (XNNPACK keeps packed weights)
 *   fast step      the hand-written training pass (layers/graph-train.ts: SIMD element-wise
 *                  kernels, collapsed products) + the closed-form ∇J (gnn-loss.ts) + FusedAdam
 *   stock step     tfjs autograd (tf.variableGrads) through model.forward and losses.ts's
 *                  paper004Loss, with registerFastGradients, + FusedAdam: the path before
 *   step / forward target ≤ 3 (fast step)
 *
 * Measurements are interleaved (stock step, fast step, forward after the update, forward again)
 * so that a change in machine load shifts all alike; medians of each. Run alone:
 * node --import tsx bench/learning-graph.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Scalar, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { FusedAdam } from '../src/learning/adam.ts';
import { backendName, initBackend, type BackendName, type Tf } from '../src/learning/backend.ts';
import { fastGradientsActive, registerFastGradients, unregisterFastGradients } from '../src/learning/fast-gradients.ts';
import { gatherBatch, gnnArrays, gnnDataset, PAPER004_SETTING } from '../src/learning/gnn-data.ts';
import { paper004LossScene } from '../src/learning/gnn-loss.ts';
import { paper004TrainStep } from '../src/learning/gnn-train.ts';
import { EdgeGnnTrainer } from '../src/learning/layers/graph-train.ts';
import { gnnTrainStep, HeteroEdgeGnn, saveEdgeGnn } from '../src/learning/layers/graph.ts';
import { gnnPolicy, loadGnnBeamformer, loadGnnModel, readGnn } from '../src/learning/gnn-family.ts';
import { gnnSplitPolicy } from '../src/learning/gnn-split.ts';
import { initialGnnMetadata } from '../src/learning/gnn-train.ts';
import { writeMetadata } from '../src/learning/model-store.ts';
import { streamFor } from '../src/phy/random.ts';
import { loadScenario } from '../src/scenario/validate.ts';
import { readFileSync } from 'node:fs';
import { decideAllFrom, type CsiView } from '../src/policies/types.ts';
import { paper004Loss } from '../src/learning/losses.ts';
import { median, timeMs } from './util.ts';
import type { BenchRow } from './index.ts';
import { twinPolicies } from '../src/learning/policies.ts';

/** One row of `npm run bench` (bench/index.ts). */
export type BenchResult = BenchRow;

const BATCH = 256;
const BETA = 2;

export async function benchWidth(tf: Tf, d: number, repeats: { warmup: number; steps: number; stock: number }): Promise<BenchResult[]> {
  const s = PAPER004_SETTING;
  const { numAps: M, numUsers: U, numTxAnt: N } = s;
  const x = gnnArrays(s, gnnDataset(s, BATCH, 1).dataset);
  const batch = gatherBatch(s, x, Array.from({ length: BATCH }, (_, i) => i));
  const model = new HeteroEdgeGnn(tf, { numTxAntennas: N, hiddenDims: [d, d, d, d], seed: 1 });
  const trainer = new EdgeGnnTrainer(tf, model);
  const adam = new FusedAdam(tf, model.variables, { learningRate: 4e-4 });
  const h = tf.tensor4d(batch.h, [BATCH, M, U, 2 * N]) as Tensor4D;
  const a = tf.tensor3d(batch.a, [BATCH, M, 2 * N]) as Tensor3D;
  // The stock path's loss inputs: losses.ts's interleaved layout, beams permuted by a constant product.
  const lossBatch = { scene: paper004LossScene(M, U, N, new Float64Array(M).fill(1 / M)), H: tf.tensor4d(batch.H, [BATCH, M, U, 2 * N]), G: tf.tensor4d(batch.G, [BATCH, 1, M, 2 * N]) };
  const perm = new Float32Array(4 * N * N);
  for (let i = 0; i < N; i++) {
    perm[i * 2 * N + 2 * i] = 1;
    perm[(N + i) * 2 * N + 2 * i + 1] = 1;
  }
  const P = tf.tensor2d(perm, [2 * N, 2 * N]);
  const spec = paper004Loss({ betaS: BETA });
  const forward = (): void => {
    tf.tidy(() => {
      model.forward({ h, a }).ue.dataSync();
    });
  };
  const fast = (): void => {
    paper004TrainStep(tf, trainer, adam, s, BETA, batch);
  };
  const stock = (): void => {
    gnnTrainStep(tf, model, adam, () => {
      const o = model.forward({ h, a, power: 1 / M });
      const W = tf.concat([o.ue, tf.reshape(o.target, [BATCH, M, 1, 2 * N])], 2);
      const Wi = tf.reshape(tf.matMul(tf.reshape(W, [-1, 2 * N]), P), [BATCH, M, U + 1, 2 * N]);
      return spec.evaluate(tf, lossBatch, Wi) as Scalar;
    });
  };
  try {
    for (let i = 0; i < repeats.warmup; i++) fast();
    stock();
    forward();
    const fastSamples: number[] = [];
    const stockSamples: number[] = [];
    const freshSamples: number[] = [];
    const cachedSamples: number[] = [];
    for (let i = 0; i < repeats.steps; i++) {
      if (i < repeats.stock) stockSamples.push(timeMs(stock));
      fastSamples.push(timeMs(fast));
      freshSamples.push(timeMs(forward));
      cachedSamples.push(timeMs(forward));
    }
    const fastMs = median(fastSamples);
    const stockMs = median(stockSamples);
    const forwardMs = median(cachedSamples);
    const ratio = fastMs / forwardMs;
    const w = `d=${d}`;
    return [
      { name: `edge GNN ${w} M=${M} U=${U} N_t=${N} 4×${d} (wasm), forward, batch ${BATCH}`, value: forwardMs, unit: 'ms' },
      { name: `${w}: same forward right after an update (weights re-packed)`, value: median(freshSamples), unit: 'ms' },
      { name: `${w}: training step, hand-written pass + closed-form ∇J + fused Adam`, value: fastMs, unit: 'ms' },
      { name: `${w}: step / forward`, value: ratio, unit: '×', target: '≤ 3', ratio: 3 / ratio },
      { name: `${w}: training throughput`, value: (BATCH * 1000) / fastMs, unit: 'samples/s' },
      { name: `${w}: before — stock autograd step (paper004Loss, fast gradients)`, value: stockMs, unit: 'ms' },
      { name: `${w}: before — stock step / forward`, value: stockMs / forwardMs, unit: '×' },
      { name: `${w}: before — training throughput`, value: (BATCH * 1000) / stockMs, unit: 'samples/s' },
      { name: `${w}: speed-up of the step`, value: stockMs / fastMs, unit: '×' },
      { name: `${w}: inference throughput`, value: (BATCH * 1000) / forwardMs, unit: 'samples/s' },
      { name: `${w}: parameters`, value: model.countParams(), unit: '' },
    ];
  } finally {
    adam.dispose();
    model.dispose();
    tf.dispose([h, a, lossBatch.H, lossBatch.G, P]);
  }
}

/** p-quantile of the samples (nearest rank). */
function quantile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/**
 * The `gnn` policy's decision time at the CPU (one sample: inputs, forward, beams per AP) on a
 * paper-mode network of M APs × N_t = 8, U = 2, the shipped width 4 × 64 (weights do not change
 * the time), p50 and p99 over `n` decisions on random views: on the wasm backend (what the twin
 * uses when a backend is up) and in plain JavaScript (layers/graph-infer.ts, no backend).
 */
export async function benchDecision(tf: Tf, numAps: number, n: number, engine: 'tfjs' | 'js' | 'split'): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gnn-bench-'));
  try {
    const hidden = [64, 64, 64, 64];
    const model = new HeteroEdgeGnn(tf, { numTxAntennas: 8, hiddenDims: hidden, seed: 1 });
    await saveEdgeGnn(model, dir);
    const meta = initialGnnMetadata(tf, model, {
      setting: PAPER004_SETTING, betaS: 0, hiddenDims: hidden, epochs: 1, trainSamples: 0, validationSamples: 0, seed: 1, backend: 'wasm', scenario: 'bench', scenarioHash: '', batchSize: 256, learningRate: 4e-4, aggregation: 'sum', datasetHash: '', validationSeed: 0,
    });
    writeMetadata(dir, meta);
    model.dispose();
    const yaml = readFileSync('scenarios/paper004-m5.yaml', 'utf8').replace(/numAps: 5 /, `numAps: ${numAps} `);
    const topo = loadScenario(yaml, 'bench.yaml', twinPolicies()).topology;
    const loaded = engine === 'tfjs' ? loadGnnModel(tf, dir) : undefined;
    const central = gnnPolicy('gnn', loaded ?? loadGnnBeamformer(dir), topo);
    // the split variant (gnn-split.ts): every AP's part and the CPU's, one after the other, no fronthaul time
    const split = engine === 'split' ? gnnSplitPolicy('gnn-split', meta, readGnn(dir).inference, topo) : undefined;
    const policy = { decideAll: (v: CsiView, c: never) => (split ? decideAllFrom(split, v, c) : central.decideAll(v, c)) };
    const rng = streamFor(2, `gnn-decision-${numAps}`);
    const { numBs: M, numUsers: U, numTxAnt: N } = topo;
    const view = (): CsiView =>
      ({
        H: Float64Array.from({ length: 2 * M * U * N }, () => rng.normal()),
        targetApThetaRad: Float64Array.from({ length: M }, () => rng.between(0, Math.PI / 2)),
        targetApSlot: new Int32Array(M),
      }) as unknown as CsiView;
    const ctx = { topo } as never;
    for (let i = 0; i < 20; i++) policy.decideAll(view(), ctx);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = view();
      times.push(timeMs(() => policy.decideAll(v, ctx)));
    }
    loaded?.dispose();
    const how = engine === 'tfjs' ? 'wasm, batch 1' : 'plain JavaScript, no backend';
    if (split) {
      return [
        { name: `gnn-split decision, all ${M} APs + CPU in sequence, U=${U} N_t=${N} 4×64 (plain JavaScript), p50`, value: quantile(times, 0.5), unit: 'ms' },
        { name: `gnn-split decision, M=${M}, p99`, value: quantile(times, 0.99), unit: 'ms' },
      ];
    }
    return [
      { name: `gnn policy decision at the CPU, M=${M} U=${U} N_t=${N} 4×64 (${how}), p50`, value: quantile(times, 0.5), unit: 'ms' },
      { name: `gnn policy decision, M=${M} (${how}), p99`, value: quantile(times, 0.99), unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchGraph(options: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const previousBackend = backendName();
  const { tf } = await initBackend('wasm');
  const wasFast = fastGradientsActive(tf);
  registerFastGradients(tf);
  try {
    const rows: BenchResult[] = [];
    rows.push(...(await benchWidth(tf, 256, options.quick ? { warmup: 2, steps: 4, stock: 2 } : { warmup: 3, steps: 10, stock: 4 })));
    rows.push(...(await benchWidth(tf, 64, options.quick ? { warmup: 3, steps: 8, stock: 4 } : { warmup: 5, steps: 20, stock: 10 })));
    for (const M of [5, 16]) for (const engine of ['tfjs', 'js', 'split'] as const) rows.push(...(await benchDecision(tf, M, options.quick ? 50 : 200, engine)));
    return rows;
  } finally {
    if (!wasFast) unregisterFastGradients(tf);
    if (previousBackend !== null && previousBackend !== 'wasm') await initBackend(previousBackend as BackendName);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  for (const { name, value, unit, target, ratio } of await benchGraph({ quick })) {
    const t = target ? `  target ${target}  ratio ${ratio?.toFixed(2)}` : '';
    console.log(`${name.padEnd(72)} ${value.toFixed(value < 10 ? 2 : 1).padStart(10)} ${unit}${t}`);
  }
}
