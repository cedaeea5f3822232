/**
 * Training speed of paper 001's per-AP networks on the wasm backend (src/learning/layers/):
 * 1D-CNN, CAE and U-Net F3 / F5 at paper size (N = 5, M = 16, batch 500, tf.train.adam(0.01),
 * MSE to a fixed random target), before vs after in one run:
 *
 *   before  stock tf.layers.batchNormalization, `registerConvKernels(tf, { backpropFilter:
 *           'batch-conv', training: false })` — the kernels as they were before this work (the
 *           batch-as-channels filter gradient, the XNNPACK Conv2DBackpropInput; every other
 *           gradient and kernel tfjs's own)
 *   after   `batchNormalizationLayer` (closed-form batch-norm gradient) and `registerConvKernels(tf)`
 *           (im2col filter gradient, conv-training.ts's gradients and kernels)
 *
 * Both models have the same initial weights; the forward (inference, `predict` on the whole batch
 * of 500, the same kernels in both) is measured once. Rounds alternate before / after / forward,
 * and each time is the process's CPU time (user + system), medians over the rounds: this machine's
 * two cores are shared with other jobs, so wall time mostly measures the wait for a core (the wall
 * ratio is printed too). The load average is reported with the rows.
 *
 * Run alone: node --import tsx bench/learning-conv.ts [--quick] [--only cnn1d|cae|unet3|unet5]
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { LayersModel, Optimizer, Scalar, Tensor } from '@tensorflow/tfjs';
import { backendName, initBackend, type BackendName, type Tf } from '../src/learning/backend.ts';
import { apNetInputShape, buildApNet, type ApNetSpec } from '../src/learning/layers/ap-nets.ts';
import { convRegistration, registerConvKernels, unregisterConvKernels, type ConvKernelOptions } from '../src/learning/layers/conv.ts';
import { median } from './util.ts';
import type { BenchRow } from './index.ts';

/** One row of `npm run bench` (bench/index.ts). */
export type BenchResult = BenchRow;

const USERS = 5; // N
const ANTENNAS = 16; // M
const BATCH = 500; // paper §8

const NETS: Array<{ key: string; label: string; spec: Omit<ApNetSpec, 'batchNorm'> }> = [
  { key: 'cnn1d', label: '1D-CNN', spec: { kind: 'cnn1d', users: USERS, antennas: ANTENNAS } },
  { key: 'cae', label: 'CAE', spec: { kind: 'cae', users: USERS, antennas: ANTENNAS } },
  { key: 'unet3', label: 'U-Net F3', spec: { kind: 'unet', users: USERS, antennas: ANTENNAS, filter: 3 } },
  { key: 'unet5', label: 'U-Net F5', spec: { kind: 'unet', users: USERS, antennas: ANTENNAS, filter: 5 } },
];

const BEFORE: ConvKernelOptions = { backpropFilter: 'batch-conv', training: false };
const AFTER: ConvKernelOptions = {};

/** CPU (user + system) and wall milliseconds of `fn`. */
function measure(fn: () => void): { cpu: number; wall: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
}

interface Trainer {
  model: LayersModel;
  optimizer: Optimizer;
  step(): void;
}

function trainer(tf: Tf, model: LayersModel, x: Tensor, y: Tensor): Trainer {
  const optimizer = tf.train.adam(0.01);
  return {
    model,
    optimizer,
    step: () =>
      tf.tidy(() => {
        optimizer.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as Tensor) as Scalar);
      }),
  };
}

async function benchNet(tf: Tf, net: (typeof NETS)[number], rounds: number): Promise<BenchResult[]> {
  const shape = [BATCH, ...apNetInputShape({ ...net.spec })];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const y = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const before = trainer(tf, buildApNet(tf, { ...net.spec, batchNorm: 'stock' }), x, y);
  const after = trainer(tf, buildApNet(tf, { ...net.spec, batchNorm: 'fused' }), x, y);
  const forward = (): void => {
    tf.tidy(() => {
      (after.model.predict(x, { batchSize: BATCH }) as Tensor).dataSync();
    });
  };
  const times = { before: [] as number[], after: [] as number[], forward: [] as number[], beforeWall: [] as number[], afterWall: [] as number[], forwardWall: [] as number[] };
  try {
    // Round 0 warms up (kernel compilation, XNNPACK operators, heap growth) and is not counted.
    for (let r = 0; r <= rounds; r++) {
      registerConvKernels(tf, BEFORE);
      const b = measure(before.step);
      registerConvKernels(tf, AFTER);
      const a = measure(after.step);
      const f = measure(forward);
      if (tf.getBackend() !== 'wasm') throw new Error(`benchConv: backend is ${tf.getBackend()}, not wasm`);
      if (r === 0) continue;
      times.before.push(b.cpu);
      times.after.push(a.cpu);
      times.forward.push(f.cpu);
      times.beforeWall.push(b.wall);
      times.afterWall.push(a.wall);
      times.forwardWall.push(f.wall);
    }
  } finally {
    for (const t of [before, after]) {
      t.optimizer.dispose();
      t.model.dispose();
    }
    tf.dispose([x, y]);
  }
  const fwd = median(times.forward);
  const stepBefore = median(times.before);
  const stepAfter = median(times.after);
  const wallRatio = median(times.afterWall) / median(times.forwardWall);
  const params = buildParamsLabel(tf, net.spec);
  return [
    { name: `${net.label} ${params}: forward, batch 500 (CPU ms)`, value: fwd, unit: 'ms' },
    { name: `${net.label} training step before (stock BN, batch-conv dW)`, value: stepBefore, unit: 'ms' },
    { name: `${net.label} training step after (fused BN, im2col dW, companion)`, value: stepAfter, unit: 'ms' },
    { name: `${net.label} step / forward before`, value: stepBefore / fwd, unit: '×' },
    { name: `${net.label} step / forward after`, value: stepAfter / fwd, unit: '×', target: '≤ 3', ratio: 3 / (stepAfter / fwd) },
    { name: `${net.label} step / forward after, wall clock (loaded machine)`, value: wallRatio, unit: '×' },
    { name: `${net.label} training throughput after (before ${((BATCH * 1000) / stepBefore).toFixed(0)})`, value: (BATCH * 1000) / stepAfter, unit: 'samples/s' },
  ];
}

function buildParamsLabel(tf: Tf, spec: Omit<ApNetSpec, 'batchNorm'>): string {
  const model = buildApNet(tf, { ...spec, batchNorm: 'stock' });
  const n = model.countParams();
  model.dispose();
  return `(${(n / 1000).toFixed(0)} k weights, wasm)`;
}

export async function benchConv(options: { quick?: boolean; only?: string } = {}): Promise<BenchResult[]> {
  const rounds = options.quick ? 2 : 4;
  const previousBackend = backendName();
  const { tf } = await initBackend('wasm');
  const hadKernels = convRegistration(tf).kernels.length > 0;
  const rows: BenchResult[] = [{ name: 'load average (1 min) at start, 2 cores', value: loadavg()[0], unit: '' }];
  try {
    for (const net of NETS) {
      if (options.only !== undefined && net.key !== options.only) continue;
      rows.push(...(await benchNet(tf, net, rounds)));
    }
    rows.push({ name: 'load average (1 min) at end', value: loadavg()[0], unit: '' });
    return rows;
  } finally {
    if (hadKernels) registerConvKernels(tf);
    else unregisterConvKernels(tf);
    if (previousBackend !== null && previousBackend !== 'wasm') await initBackend(previousBackend as BackendName);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  for (const { name, value, unit } of await benchConv({ quick, only })) {
    console.log(`${name.padEnd(76)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit}`);
  }
}
