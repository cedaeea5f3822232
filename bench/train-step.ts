/**
 * Training-step benchmark of the paper's beamforming MLP on the wasm backend.
 *
 * Model (paper 000, Table I): input 2·N_T·(M·K + M) = 2·12·(3·2 + 3) = 216, four hidden layers of
 * 512 with LeakyReLU(0.2) and dropout 0.15, output N_T·K·2 = 12·2·2 = 48; batch 128; Adam lr 1e-4,
 * weight decay 1e-6. Reported, all in one run, after warm-up, as medians of several repeats:
 *
 *   forward                  model.apply(x) in inference mode, weights unchanged since the last
 *                            call (XNNPACK keeps its packed weights between calls)
 *   forward after an update  the same right after a training step: every weight matrix is new
 *                            and XNNPACK packs it again — the forward cost inside a training step
 *   training step            forward + backward + weight decay + Adam, three ways:
 *                              stock tfjs: autograd through the layers + tf.train.adam, with
 *                                tfjs's own gradients and with registerFastGradients;
 *                              the product's trainer (createMlpTrainer): hand-written backward
 *                                (dense-chain.ts) + fused Adam (adam.ts)
 *   step / forward           the ratios (target ≤ 3 for the product's step); samples/s = 128 / step
 *   kernel shares            where the product's step spends its kernel time: forward products
 *                            (_FusedMatMul), backward products (BatchMatMul), the rest

 * Run alone: node --import tsx bench/train-step.ts
 */
import { pathToFileURL } from 'node:url';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { backendName, initBackend, type BackendName } from '../src/learning/backend.ts';
import { fastGradientsActive, registerFastGradients, unregisterFastGradients } from '../src/learning/fast-gradients.ts';
import { createMlp, createMlpTrainer } from '../src/learning/mlp.ts';
import { median, timeMs } from './util.ts';
import type { BenchRow } from './index.ts';

/** One row of `npm run bench` (bench/index.ts). */
export type BenchResult = BenchRow;

const NUM_TX_ANT = 12; // N_T
const NUM_BS = 3; // M
const NUM_USERS = 2; // K
const INPUT_DIM = 2 * NUM_TX_ANT * (NUM_BS * NUM_USERS + NUM_BS); // 216
const OUTPUT_DIM = NUM_TX_ANT * NUM_USERS * 2; // 48
const HIDDEN_DIMS = [512, 512, 512, 512];
const BATCH = 128;



/** `quick` (used by `npm run bench -- --quick`) halves the repeats. */
export async function benchTrainStep(options: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const repeats = options.quick ? { defaultSteps: 3, warmup: 10, fastSteps: 15 } : { defaultSteps: 5, warmup: 20, fastSteps: 30 };
  const previousBackend = backendName();
  const { tf } = await initBackend('wasm');
  const wasFast = fastGradientsActive(tf);

  const model = createMlp(tf, { inputDim: INPUT_DIM, hiddenDims: HIDDEN_DIMS, outputDim: OUTPUT_DIM, seed: 1 });
  const trainer = createMlpTrainer(tf, model, { learningRate: 1e-4, weightDecay: 1e-6, seed: 1 });
  const x = tf.randomNormal([BATCH, INPUT_DIM], 0, 1, 'float32', 1); // [batch, inputDim]
  const y = tf.randomNormal([BATCH, OUTPUT_DIM], 0, 1, 'float32', 2); // [batch, outputDim]
  const forward = (): void => {
    tf.tidy(() => {
      model.apply(x);
    });
  };
  const step = (): void => {
    trainer.step(x, y);
  };
  // What a plain tfjs training loop does: autograd through the layers, tfjs's Adam.
  const stockAdam = tf.train.adam(1e-4, 0.9, 0.999, 1e-8);
  const stockStep = (): void => {
    tf.tidy(() => {
      stockAdam.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as Tensor) as Scalar);
    });
  };

  try {
    // Stock tfjs with its own gradients: each step is slow, so few repeats.
    unregisterFastGradients(tf);
    for (let i = 0; i < 2; i++) stockStep();
    const stepDefault = median(Array.from({ length: repeats.defaultSteps }, () => timeMs(stockStep)));
    registerFastGradients(tf);
    for (let i = 0; i < 3; i++) stockStep();
    const stepStockFast = median(Array.from({ length: repeats.defaultSteps }, () => timeMs(stockStep)));

    // The product's trainer: each step is followed by a forward on the freshly updated weights.
    for (let i = 0; i < repeats.warmup; i++) step();
    const stepSamples: number[] = [];
    const freshSamples: number[] = [];
    for (let i = 0; i < repeats.fastSteps; i++) {
      stepSamples.push(timeMs(step));
      freshSamples.push(timeMs(forward));
    }
    const stepFast = median(stepSamples);
    const forwardFresh = median(freshSamples);

    // Inference forward on unchanged weights.
    for (let i = 0; i < 5; i++) forward();
    const forwardCached = median(Array.from({ length: repeats.fastSteps }, () => timeMs(forward)));

    // Where the product's step spends its kernel time.
    const profile = await tf.profile(() => {
      step();
    });
    // The forward products run as _FusedMatMul, the backward ones as BatchMatMul.
    let forwardProductsMs = 0;
    let backwardProductsMs = 0;
    let totalMs = 0;
    for (const kernel of profile.kernels) {
      if (kernel.name.endsWith('__op')) continue; // op scopes wrap kernels already counted
      const ms = kernel.kernelTimeMs as number;
      totalMs += ms;
      if (kernel.name === '_FusedMatMul') forwardProductsMs += ms;
      if (kernel.name === 'BatchMatMul') backwardProductsMs += ms;
    }

    const ratioFast = stepFast / forwardCached;
    return [
      { name: 'MLP 216→4×512→48 (wasm), forward, batch 128', value: forwardCached, unit: 'ms' },
      { name: 'same forward right after an update (weights re-packed)', value: forwardFresh, unit: 'ms' },
      { name: 'training step, stock tfjs (autograd + tf.train.adam)', value: stepDefault, unit: 'ms' },
      { name: 'training step, stock tfjs + fast gradients', value: stepStockFast, unit: 'ms' },
      { name: 'training step, product trainer (chain + fused Adam)', value: stepFast, unit: 'ms' },
      { name: 'step / forward, stock tfjs', value: stepDefault / forwardCached, unit: '×' },
      { name: 'step / forward, stock tfjs + fast gradients', value: stepStockFast / forwardCached, unit: '×' },
      { name: 'step / forward, product trainer', value: ratioFast, unit: '×', target: '≤ 3', ratio: 3 / ratioFast },
      { name: 'step / forward-after-update, product trainer', value: stepFast / forwardFresh, unit: '×' },
      { name: 'training step speed-up, product vs stock tfjs', value: stepDefault / stepFast, unit: '×' },
      { name: 'training throughput, product trainer', value: (BATCH * 1000) / stepFast, unit: 'samples/s' },
      { name: 'step kernel time: forward products', value: (100 * forwardProductsMs) / totalMs, unit: '%' },
      { name: 'step kernel time: backward products', value: (100 * backwardProductsMs) / totalMs, unit: '%' },
      { name: 'backward / forward matrix products (kernel time; arithmetic 1.9)', value: backwardProductsMs / forwardProductsMs, unit: '×' },
    ];
  } finally {
    if (wasFast) registerFastGradients(tf);
    else unregisterFastGradients(tf);
    trainer.dispose();
    stockAdam.dispose();
    model.dispose();
    tf.dispose([x, y] as Tensor[]);
    if (previousBackend !== null && previousBackend !== 'wasm') await initBackend(previousBackend as BackendName);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchTrainStep();
  for (const { name, value, unit } of results) {
    console.log(`${name.padEnd(56)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit}`);
  }
}
