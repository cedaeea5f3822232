/**
 * Training-step benchmark of paper 001's per-AP U-Net on the wasm backend (conv kernels from
 * src/learning/layers/conv.ts; stock autograd through tf.layers; tf.train.adam).
 *
 * Model (paper-001 notes §4.3, "U-net reading", F3, N = 5, M = 16): input [N+1, M, 2] = [6, 16, 2]
 * (NHWC), encoder conv 3×3 'same' 16, 32, 64, 128 (BN + LeakyReLU 0.01), decoder transposed convs
 * 3×3 'same' to 64, 32, 16, 2 with skips concatenated (cat(e4, e4) = 256 → 64, cat e3 → 128 → 32,
 * cat e2 → 64 → 16, cat e1 → 32 → 2 linear); ≈ 291 k weights. Batch 500 (paper §8).
 *
 * Rows: forward (inference, weights unchanged), training step (forward + backward + Adam),
 * step / forward (target ≤ 3), samples/s. Run alone: node --import tsx bench/learning-conv.ts
 */
import { pathToFileURL } from 'node:url';
import type { LayersModel, Scalar, SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import { backendName, initBackend, type BackendName, type Tf } from '../src/learning/backend.ts';
import { convKernelsActive, registerConvKernels, unregisterConvKernels } from '../src/learning/layers/conv.ts';
import { median, timeMs } from './util.ts';
import type { BenchRow } from './index.ts';

/** One row of `npm run bench` (bench/index.ts). */
export type BenchResult = BenchRow;

const USERS = 6; // N + 1
const ANTENNAS = 16; // M
const BATCH = 500;



/** The F3 U-Net reading of the paper-001 notes; `seed` fixes the initial weights. */
export function paperUnet(tf: Tf, filter = 3, seed = 1): LayersModel {
  let s = seed;
  const block = (x: SymbolicTensor, filters: number, transposed: boolean, last = false): SymbolicTensor => {
    const cfg = { filters, kernelSize: filter, padding: 'same' as const, kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }) };
    const y = (transposed ? tf.layers.conv2dTranspose(cfg) : tf.layers.conv2d(cfg)).apply(x) as SymbolicTensor;
    if (last) return y;
    return tf.layers.leakyReLU({ alpha: 0.01 }).apply(tf.layers.batchNormalization().apply(y)) as SymbolicTensor;
  };
  const cat = (a: SymbolicTensor, b: SymbolicTensor) => tf.layers.concatenate({ axis: -1 }).apply([a, b]) as SymbolicTensor;
  const input = tf.input({ shape: [USERS, ANTENNAS, 2] });
  const e1 = block(input, 16, false);
  const e2 = block(e1, 32, false);
  const e3 = block(e2, 64, false);
  const e4 = block(e3, 128, false);
  const d1 = block(cat(e4, e4), 64, true);
  const d2 = block(cat(d1, e3), 32, true);
  const d3 = block(cat(d2, e2), 16, true);
  const out = block(cat(d3, e1), 2, true, true);
  return tf.model({ inputs: input, outputs: out });
}

export async function benchConv(options: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const repeats = options.quick ? { warmup: 2, steps: 3 } : { warmup: 3, steps: 7 };
  const previousBackend = backendName();
  const { tf } = await initBackend('wasm');
  const hadKernels = convKernelsActive(tf).length > 0;
  registerConvKernels(tf);
  const model = paperUnet(tf);
  const x = tf.randomNormal([BATCH, USERS, ANTENNAS, 2], 0, 1, 'float32', 1);
  const y = tf.randomNormal([BATCH, USERS, ANTENNAS, 2], 0, 1, 'float32', 2);
  const adam = tf.train.adam(0.01);
  const forward = (): void => {
    tf.tidy(() => {
      (model.predict(x) as Tensor).dataSync();
    });
  };
  const step = (): void => {
    tf.tidy(() => {
      adam.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as Tensor) as Scalar);
    });
  };
  try {
    if (tf.getBackend() !== 'wasm') throw new Error(`benchConv: backend is ${tf.getBackend()}, not wasm`);
    for (let i = 0; i < repeats.warmup; i++) step();
    const stepMs = median(Array.from({ length: repeats.steps }, () => timeMs(step)));
    for (let i = 0; i < 2; i++) forward();
    const forwardMs = median(Array.from({ length: repeats.steps }, () => timeMs(forward)));
    const ratio = stepMs / forwardMs;
    const weights = model.countParams();
    return [
      { name: `U-Net F3 [6,16,2] (${(weights / 1000).toFixed(0)} k weights, wasm), forward, batch 500`, value: forwardMs, unit: 'ms' },
      { name: 'U-Net F3 training step (autograd + conv kernels + tf.train.adam)', value: stepMs, unit: 'ms' },
      { name: 'U-Net F3 step / forward', value: ratio, unit: '×', target: '≤ 3', ratio: 3 / ratio },
      { name: 'U-Net F3 training throughput', value: (BATCH * 1000) / stepMs, unit: 'samples/s' },
      { name: 'U-Net F3 inference throughput', value: (BATCH * 1000) / forwardMs, unit: 'samples/s' },
    ];
  } finally {
    adam.dispose();
    model.dispose();
    tf.dispose([x, y]);
    if (!hadKernels) unregisterConvKernels(tf);
    if (previousBackend !== null && previousBackend !== 'wasm') await initBackend(previousBackend as BackendName);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  for (const { name, value, unit } of await benchConv({ quick })) {
    console.log(`${name.padEnd(72)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit}`);
  }
}
