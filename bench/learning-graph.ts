/**
 * Training-step benchmark of paper 004's heterogeneous edge GNN (src/learning/layers/graph.ts)
 * on the wasm backend, at the paper's size: M = 5 APs, U = 2 UEs, one target, N_t = 8, four
 * hidden layers of 256 (+ linear output layer), batch 256, Adam (FusedAdam, lr 4e-4).
 *
 *   forward         model.forward (normalised beams), inference, weights unchanged since the
 *                   last call (XNNPACK keeps packed weights)
 *   training step   stock autograd (tf.variableGrads) through the dense GNN with
 *                   registerFastGradients + the coherent-gain loss + FusedAdam
 *   step / forward  target ≤ 3
 *
 * Not registered in bench/index.ts (the lead adds `{ name: 'learning-graph', file:
 * './learning-graph.ts', fn: 'benchGraph' }`). Run alone: node --import tsx bench/learning-graph.ts
 */
import { pathToFileURL } from 'node:url';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { FusedAdam } from '../src/learning/adam.ts';
import { backendName, initBackend, type BackendName } from '../src/learning/backend.ts';
import { fastGradientsActive, registerFastGradients, unregisterFastGradients } from '../src/learning/fast-gradients.ts';
import { coherentGainLoss, gnnTrainStep, HeteroEdgeGnn } from '../src/learning/layers/graph.ts';
import { median, timeMs } from './util.ts';
import type { BenchRow } from './index.ts';

/** One row of `npm run bench` (bench/index.ts). */
export type BenchResult = BenchRow;

const M = 5;
const U = 2;
const NT = 8;
const BATCH = 256;
const HIDDEN = [256, 256, 256, 256];



export async function benchGraph(options: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const repeats = options.quick ? { warmup: 2, steps: 4 } : { warmup: 3, steps: 10 };
  const previousBackend = backendName();
  const { tf } = await initBackend('wasm');
  const wasFast = fastGradientsActive(tf);
  registerFastGradients(tf);
  const model = new HeteroEdgeGnn(tf, { numTxAntennas: NT, hiddenDims: HIDDEN, seed: 1 });
  const adam = new FusedAdam(tf, model.variables, { learningRate: 4e-4 });
  const h = tf.randomNormal([BATCH, M, U, 2 * NT], 0, Math.SQRT1_2, 'float32', 1) as Tensor4D;
  const a = tf.randomNormal([BATCH, M, 2 * NT], 0, 1, 'float32', 2) as Tensor3D;
  const forward = (): void => {
    tf.tidy(() => {
      const out = model.forward({ h, a });
      out.ue.dataSync(); // the wasm backend is synchronous; this only pins the result
    });
  };
  const step = (): void => {
    gnnTrainStep(tf, model, adam, () => coherentGainLoss(tf, h, model.forward({ h, a }).ue));
  };
  try {
    for (let i = 0; i < repeats.warmup; i++) step();
    forward();
    // Interleaved (step, forward after the update, forward again on the same weights) so that
    // a change in machine load shifts all three alike; medians of each.
    const stepSamples: number[] = [];
    const freshSamples: number[] = [];
    const cachedSamples: number[] = [];
    for (let i = 0; i < repeats.steps; i++) {
      stepSamples.push(timeMs(step));
      freshSamples.push(timeMs(forward));
      cachedSamples.push(timeMs(forward));
    }
    const stepMs = median(stepSamples);
    const freshMs = median(freshSamples);
    const forwardMs = median(cachedSamples);
    const ratio = stepMs / forwardMs;
    return [
      { name: `edge GNN M=${M} U=${U} N_t=${NT} 4×256 (wasm), forward, batch ${BATCH}`, value: forwardMs, unit: 'ms' },
      { name: 'same forward right after an update (weights re-packed)', value: freshMs, unit: 'ms' },
      { name: 'training step (autograd + fast gradients + fused Adam)', value: stepMs, unit: 'ms' },
      { name: 'step / forward', value: ratio, unit: '×', target: '≤ 3', ratio: 3 / ratio },
      { name: 'step / forward-after-update', value: stepMs / freshMs, unit: '×' },
      { name: 'training throughput', value: (BATCH * 1000) / stepMs, unit: 'samples/s' },
      { name: 'inference throughput', value: (BATCH * 1000) / forwardMs, unit: 'samples/s' },
      { name: 'parameters', value: model.countParams(), unit: '' },
    ];
  } finally {
    if (!wasFast) unregisterFastGradients(tf);
    adam.dispose();
    model.dispose();
    tf.dispose([h, a]);
    if (previousBackend !== null && previousBackend !== 'wasm') await initBackend(previousBackend as BackendName);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  for (const { name, value, unit, target, ratio } of await benchGraph({ quick })) {
    const t = target ? `  target ${target}  ratio ${ratio?.toFixed(2)}` : '';
    console.log(`${name.padEnd(60)} ${value.toFixed(value < 10 ? 2 : 1).padStart(10)} ${unit}${t}`);
  }
}
