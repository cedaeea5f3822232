import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LayersModel, Scalar, SymbolicTensor, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { backendFixture } from './backends.ts';
import {
  convKernelsActive,
  convRegistration,
  missingWasmConvKernels,
  registerConvKernels,
  unregisterConvKernels,
} from '../../src/learning/layers/conv.ts';
import { applyConv1DTranspose } from '../../src/learning/layers/conv1d-transpose.ts';

const Conv = suite('learning/conv');

let tf: Tf;
let activeBefore: string[] = [];
/** Gradient and wasm kernel entries before this file registered anything (null: it found them registered). */
const GRADIENTS = ['FusedBatchNorm', 'LeakyRelu', 'Mean', 'Sum', 'BatchMatMul'];
const KERNELS = ['Sum', 'Concat', 'Identity', 'BatchMatMul', 'LeakyRelu'];
let stockGradients: unknown[] | null = null;
let stockKernels: unknown[] | null = null;
const fx = backendFixture(Conv, {
  setUp: (t) => {
    activeBefore = convKernelsActive(t);
    if (activeBefore.length === 0) {
      stockGradients = GRADIENTS.map((k) => t.getGradient(k));
      stockKernels = KERNELS.map((k) => t.getKernel(k, 'wasm'));
    }
    registerConvKernels(t);
  },
  tearDown: (t) => {
    if (activeBefore.length === 0) unregisterConvKernels(t);
  },
});
Conv.before(() => {
  tf = fx.tf;
});
/** Runs `body` on wasm; prints a visible SKIP line instead when wasm is not available. */
const onWasm = fx.onWasm;

// ---------------------------------------------------------------------------------------------
// Deterministic data and a float64 reference convolution (NHWC, dilation 1).
// ---------------------------------------------------------------------------------------------

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
function randomArray(n: number, seed: number): Float32Array {
  const next = lcg(seed);
  return Float32Array.from({ length: n }, () => 2 * next());
}
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number | [number, number];
  p: 'same' | 'valid';
}
const CASES: Case[] = [
  { x: [2, 6, 16, 3], f: [3, 3, 3, 4], s: 1, p: 'same' }, // U-Net F3 layer
  { x: [2, 7, 9, 3], f: [3, 2, 3, 5], s: 2, p: 'same' }, // odd sizes, stride 2
  { x: [2, 8, 10, 3], f: [3, 3, 3, 2], s: 2, p: 'valid' }, // 'valid' with a leftover row/column
  { x: [3, 1, 20, 4], f: [1, 5, 4, 2], s: [1, 3], p: 'valid' }, // Conv1D as tfjs runs it
  { x: [2, 1, 12, 2], f: [1, 11, 2, 3], s: 1, p: 'valid' }, // paper 1D-CNN filter (1, 11)
  { x: [1, 5, 5, 2], f: [2, 2, 2, 3], s: 2, p: 'same' }, // even filter, asymmetric 'same' pad
];

/** y = conv2d(x, w) in float64 with tfjs's padding rule (from computeConv2DInfo). */
function conv2dRef(x: Float64Array, w: Float64Array, c: Case): { y: Float64Array; shape: number[] } {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.p);
  const [B, H, W, Ci] = c.x;
  const [fh, fw, , Co] = c.f;
  const { outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const y = new Float64Array(B * Ho * Wo * Co);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let kh = 0; kh < fh; kh++) {
          const h = i * sh + kh - top;
          if (h < 0 || h >= H) continue;
          for (let kw = 0; kw < fw; kw++) {
            const v = j * sw + kw - left;
            if (v < 0 || v >= W) continue;
            for (let ci = 0; ci < Ci; ci++) {
              const xv = x[((b * H + h) * W + v) * Ci + ci];
              for (let co = 0; co < Co; co++) y[((b * Ho + i) * Wo + j) * Co + co] += xv * w[((kh * fw + kw) * Ci + ci) * Co + co];
            }
          }
        }
  return { y, shape: [B, Ho, Wo, Co] };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// float32 tolerance: absolute 2e-5 per unit of the reference's largest magnitude (sums of ≤ 300
// products of O(1) values; observed errors ≤ 1e-5).
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const err = maxAbsDiff(actual, expected);
  assert.ok(err <= 2e-5 * scale, `${what}: max |Δ| = ${err} > ${2e-5 * scale}`);
}

const caseName = (c: Case): string => `x ${c.x.join('×')} f ${c.f.join('×')} s ${String(c.s)} ${c.p}`;

// ---------------------------------------------------------------------------------------------

Conv('wasm lacks Conv2DBackpropFilter without registration; registration is idempotent and reversible', async () => {
  await onWasm('registration', () => {
    unregisterConvKernels(tf);
    assert.ok(missingWasmConvKernels(tf).includes('Conv2DBackpropFilter'));
    if (stockGradients === null || stockKernels === null) {
      console.log('  SKIP registry restoration check: conv kernels were registered before this file');
    }
    const gradientsNow = GRADIENTS.map((k) => tf.getGradient(k));
    const kernelsNow = KERNELS.map((k) => tf.getKernel(k, 'wasm'));
    if (stockGradients !== null && stockKernels !== null) {
      GRADIENTS.forEach((k, i) => assert.is(gradientsNow[i], (stockGradients as unknown[])[i], `${k} gradient as before registration`));
      KERNELS.forEach((k, i) => assert.is(kernelsNow[i], (stockKernels as unknown[])[i], `${k} kernel as before registration`));
    }
    assert.not.ok(missingWasmConvKernels(tf).includes('Conv2DBackpropInput'), 'wasm has a (naive) Conv2DBackpropInput');
    const stockInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
    assert.equal(registerConvKernels(tf), ['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    assert.equal(registerConvKernels(tf), ['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    assert.is.not(tf.getKernel('Conv2DBackpropInput', 'wasm'), stockInput);
    assert.equal(missingWasmConvKernels(tf).filter((k) => k.startsWith('Conv2D')), []);
    assert.ok(convRegistration(tf).training, 'companion installed by default');
    unregisterConvKernels(tf);
    unregisterConvKernels(tf);
    assert.is(tf.getKernel('Conv2DBackpropInput', 'wasm'), stockInput, 'stock kernel restored');
    GRADIENTS.forEach((k, i) => assert.is(tf.getGradient(k), gradientsNow[i], `${k} gradient restored`));
    KERNELS.forEach((k, i) => assert.is(tf.getKernel(k, 'wasm'), kernelsNow[i], `${k} kernel restored`));
    registerConvKernels(tf);
    registerConvKernels(tf, { training: false });
    assert.not.ok(convRegistration(tf).training);
    GRADIENTS.forEach((k, i) => assert.is(tf.getGradient(k), gradientsNow[i], `${k} gradient as before with training: false`));
    unregisterConvKernels(tf);
    assert.is(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    assert.equal(registerConvKernels(tf, { backpropInput: false }), ['Conv2DBackpropFilter']);
    assert.is(tf.getKernel('Conv2DBackpropInput', 'wasm'), stockInput);
    registerConvKernels(tf);
    assert.equal(convKernelsActive(tf), ['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
  });
});

for (const c of CASES) {
  Conv(`kernels match the cpu backend's stock kernels [${caseName(c)}]`, async () => {
    const xa = randomArray(sizeOf(c.x), 1);
    const wa = randomArray(sizeOf(c.f), 2);
    const attrs = (extra: object) => ({ strides: c.s, pad: c.p, dataFormat: 'NHWC', ...extra });
    let results: { dw: Float32Array; dx: Float32Array; y: Float32Array } | null = null;
    let dyShape: number[] = [];
    let dya: Float32Array = new Float32Array(0);
    await onWasm(caseName(c), () => {
      tf.tidy(() => {
        const x = tf.tensor4d(xa, c.x);
        const w = tf.tensor4d(wa, c.f);
        const y = tf.conv2d(x, w, c.s, c.p);
        dyShape = y.shape;
        dya = randomArray(y.size, 3);
        const dy = tf.tensor(dya, y.shape);
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs({ filterShape: c.f })) as Tensor;
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs({ inputShape: c.x })) as Tensor;
        results = { dw: dw.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
      });
    });
    if (results === null) return;
    const r = results as { dw: Float32Array; dx: Float32Array; y: Float32Array };
    await initBackend('cpu');
    try {
      tf.tidy(() => {
        const x = tf.tensor4d(xa, c.x);
        const w = tf.tensor4d(wa, c.f);
        const dy = tf.tensor(dya, dyShape);
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs({ filterShape: c.f })) as Tensor;
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs({ inputShape: c.x })) as Tensor;
        assert.equal(dw.shape, c.f);
        assert.equal(dx.shape, c.x);
        assertClose(r.dw, dw.dataSync(), 'Conv2DBackpropFilter vs cpu');
        assertClose(r.dx, dx.dataSync(), 'Conv2DBackpropInput vs cpu');
        assertClose(r.y, tf.conv2d(x, w, c.s, c.p).dataSync(), 'Conv2D forward vs cpu');
      });
    } finally {
      await initBackend();
    }
  });

  Conv(`autograd on wasm matches float64 finite differences [${caseName(c)}]`, async () => {
    await onWasm(caseName(c), () => {
      const xa = randomArray(sizeOf(c.x), 4);
      const wa = randomArray(sizeOf(c.f), 5);
      const x64 = Float64Array.from(xa);
      const w64 = Float64Array.from(wa);
      const { y: y0, shape } = conv2dRef(x64, w64, c);
      const ga = Float64Array.from(randomArray(y0.length, 6));
      // L(x, w) = Σ G ⊙ conv2d(x, w)
      const loss = (x: Float64Array, w: Float64Array): number => {
        const { y } = conv2dRef(x, w, c);
        let s = 0;
        for (let i = 0; i < y.length; i++) s += ga[i] * y[i];
        return s;
      };
      const [gx, gw] = tf.tidy(() => {
        const G = tf.tensor(Float32Array.from(ga), shape);
        const grads = tf.grads((x: Tensor, w: Tensor) => tf.sum(tf.mul(G, tf.conv2d(x as Tensor4D, w as Tensor4D, c.s, c.p))));
        return grads([tf.tensor4d(xa, c.x), tf.tensor4d(wa, c.f)]).map((t) => t.dataSync() as Float32Array);
      });
      const eps = 1e-3;
      const fd = (v: Float64Array, i: number, f: () => number): number => {
        const old = v[i];
        v[i] = old + eps;
        const up = f();
        v[i] = old - eps;
        const down = f();
        v[i] = old;
        return (up - down) / (2 * eps);
      };
      const fdW = Float64Array.from(w64, (_, i) => fd(w64, i, () => loss(x64, w64)));
      assertClose(gw, fdW, 'dL/dW vs finite differences');
      const picks = Array.from({ length: Math.min(40, x64.length) }, (_, k) => Math.floor((k * x64.length) / 40));
      assertClose(
        picks.map((i) => gx[i]),
        picks.map((i) => fd(x64, i, () => loss(x64, w64))),
        'dL/dx vs finite differences',
      );
    });
  });
}

// Batches large enough that the im2col filter gradient runs several products (≥ 2048 columns
// each, see filterChunkColumns) and sums them; and the earlier 'batch-conv' form.
const CHUNKED: Array<Case & { form: 'im2col' | 'batch-conv' }> = [
  { x: [48, 6, 16, 3], f: [3, 3, 3, 130], s: 1, p: 'same', form: 'im2col' }, // 3 products (21, 21, 6 images)
  { x: [250, 7, 9, 3], f: [3, 3, 3, 130], s: 2, p: 'same', form: 'im2col' }, // strided: the general im2col path, 3 products
  { x: [30, 1, 120, 2], f: [1, 11, 2, 3], s: 1, p: 'valid', form: 'im2col' }, // Conv1D, one product (narrow Co)
  { x: [6, 6, 16, 3], f: [3, 3, 3, 5], s: 1, p: 'same', form: 'batch-conv' },
  { x: [3, 8, 10, 3], f: [3, 3, 3, 2], s: 2, p: 'valid', form: 'batch-conv' },
];
for (const c of CHUNKED) {
  Conv(`Conv2DBackpropFilter '${c.form}' matches the cpu backend [${caseName(c)}]`, async () => {
    const xa = randomArray(sizeOf(c.x), 21);
    const attrs = { strides: c.s, pad: c.p, dataFormat: 'NHWC', filterShape: c.f };
    let dw: Float32Array | null = null;
    let dyShape: number[] = [];
    let dya: Float32Array = new Float32Array(0);
    await onWasm(caseName(c), () => {
      registerConvKernels(tf, { backpropFilter: c.form });
      try {
        tf.tidy(() => {
          const x = tf.tensor4d(xa, c.x);
          const y = tf.conv2d(x, tf.zeros(c.f) as Tensor4D, c.s, c.p);
          dyShape = y.shape;
          dya = randomArray(y.size, 22);
          dw = (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: tf.tensor(dya, y.shape) }, attrs) as Tensor).dataSync() as Float32Array;
        });
      } finally {
        registerConvKernels(tf);
      }
    });
    if (dw === null) return;
    await initBackend('cpu');
    try {
      tf.tidy(() => {
        const ref = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(xa, c.x), dy: tf.tensor(dya, dyShape) }, attrs) as Tensor;
        assertClose(dw as Float32Array, ref.dataSync(), `Conv2DBackpropFilter ${c.form} vs cpu`);
      });
    } finally {
      await initBackend();
    }
  });
}

Conv('conv2dTranspose: forward and both gradients on wasm match the cpu backend', async () => {
  const dyShape: [number, number, number, number] = [2, 4, 5, 3]; // transposed-conv input
  const f: [number, number, number, number] = [3, 3, 2, 3]; // [fh, fw, outC, inC]
  const outShape: [number, number, number, number] = [2, 8, 10, 2];
  const inA = randomArray(sizeOf(dyShape), 7);
  const wA = randomArray(sizeOf(f), 8);
  const gA = randomArray(sizeOf(outShape), 9);
  const run = (): Float32Array[] =>
    tf.tidy(() => {
      const G = tf.tensor4d(gA, outShape);
      const fn = (a: Tensor, w: Tensor) => tf.sum(tf.mul(G, tf.conv2dTranspose(a as Tensor4D, w as Tensor4D, outShape, 2, 'same')));
      const y = tf.conv2dTranspose(tf.tensor4d(inA, dyShape), tf.tensor4d(wA, f), outShape, 2, 'same');
      const [ga, gw] = tf.grads(fn)([tf.tensor4d(inA, dyShape), tf.tensor4d(wA, f)]);
      return [y, ga, gw].map((t) => t.dataSync() as Float32Array);
    });
  let wasm: Float32Array[] | null = null;
  await onWasm('conv2dTranspose', () => {
    wasm = run();
  });
  if (wasm === null) return;
  await initBackend('cpu');
  try {
    const cpu = run();
    const names = ['forward', 'd/d input', 'd/d filter'];
    cpu.forEach((ref, i) => assertClose((wasm as Float32Array[])[i], ref, `conv2dTranspose ${names[i]}`));
  } finally {
    await initBackend();
  }
});

// ---------------------------------------------------------------------------------------------
// Tiny models train on wasm (fixed synthetic regression, tf.train.adam).
// ---------------------------------------------------------------------------------------------

const L = 16; // sequence length (e.g. antennas)
const C = 4; // features per position
const BATCH = 32;

/** Fixed synthetic task: y[b, l, :2] = smooth local mix of x (learnable by small convs). */
function regressionData(): { x: Tensor; y: Tensor } {
  return tf.tidy(() => {
    const x = tf.tensor3d(randomArray(BATCH * L * C, 11), [BATCH, L, C]);
    const mix = tf.tensor3d(randomArray(3 * C * 2, 12), [3, C, 2]);
    const y = tf.tanh(tf.conv1d(x as never, mix as never, 1, 'same'));
    return { x, y };
  });
}

function trainLosses(model: LayersModel, steps: number): number[] {
  const { x, y } = regressionData();
  const adam = tf.train.adam(0.01);
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const loss = tf.tidy(() =>
        adam.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as Tensor) as Scalar, true) as Scalar,
      ) as Scalar;
      assert.is(tf.getBackend(), 'wasm');
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
  } finally {
    adam.dispose();
    tf.dispose([x, y]);
  }
  return losses;
}

function assertLossFalls(losses: number[], what: string): void {
  for (const l of losses) assert.ok(Number.isFinite(l), `${what}: loss ${l} is finite`);
  const first = losses[0];
  const last = Math.min(...losses.slice(-3));
  assert.ok(last < 0.7 * first, `${what}: loss should fall by 30 %: ${first} → ${last} (${losses.map((v) => v.toFixed(3)).join(' ')})`);
}

Conv('1D-CNN (conv1d → BN → LeakyReLU ×2 → dense) trains on wasm with Adam; loss falls', async () => {
  await onWasm('1D-CNN training', () => {
    const before = tf.memory().numTensors;
    const model = tf.sequential();
    model.add(tf.layers.conv1d({ inputShape: [L, C], filters: 6, kernelSize: 5, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.leakyReLU({ alpha: 0.01 }));
    model.add(tf.layers.conv1d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.leakyReLU({ alpha: 0.01 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: L * 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
    model.add(tf.layers.reshape({ targetShape: [L, 2] }));
    try {
      assertLossFalls(trainLosses(model, 40), '1D-CNN');
    } finally {
      model.dispose();
    }
    assert.ok(tf.memory().numTensors <= before + 2, `no tensor leak: ${before} → ${tf.memory().numTensors}`);
  });
});

/** conv → conv stride 2 → transposed conv (stride 2) → concatenate skip → conv; BN in the encoder. */
function tinyUnet(): LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [L, C] });
  const e1 = tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1), name: 'e1' }).apply(input) as SymbolicTensor;
  const b1 = tf.layers.leakyReLU({ alpha: 0.01 }).apply(tf.layers.batchNormalization().apply(e1)) as SymbolicTensor;
  const e2 = tf.layers.conv1d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(2), name: 'e2' }).apply(b1) as SymbolicTensor;
  const b2 = tf.layers.leakyReLU({ alpha: 0.01 }).apply(tf.layers.batchNormalization().apply(e2)) as SymbolicTensor;
  const d1 = applyConv1DTranspose(tf, b2, { filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'd1', seed: 3 });
  const skip = tf.layers.concatenate({ axis: -1 }).apply([tf.layers.leakyReLU({ alpha: 0.01 }).apply(d1) as SymbolicTensor, b1]) as SymbolicTensor;
  const out = tf.layers.conv1d({ filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: init(4), name: 'head' }).apply(skip) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

Conv('U-Net-like functional model (stride-2 conv, transposed conv, concatenate skip) trains on wasm', async () => {
  await onWasm('U-Net training', () => {
    const model = tinyUnet();
    try {
      assert.equal(model.outputs[0].shape, [null, L, 2]);
      assertLossFalls(trainLosses(model, 40), 'U-Net');
    } finally {
      model.dispose();
    }
  });
});

Conv('U-Net-like model saves and loads (stock layers only) and gives the same output on wasm', async () => {
  await onWasm('U-Net save/load', async () => {
    const model = tinyUnet();
    let artifacts: import('@tensorflow/tfjs').io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    assert.ok(artifacts !== null);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as unknown as import('@tensorflow/tfjs').io.ModelArtifacts));
    const { x } = regressionData();
    try {
      const a = tf.tidy(() => (model.predict(x) as Tensor).dataSync());
      const b = tf.tidy(() => (loaded.predict(x) as Tensor).dataSync());
      assert.ok(maxAbsDiff(a, b) < 1e-6);
    } finally {
      tf.dispose(x);
      model.dispose();
      loaded.dispose();
    }
  });
});

Conv.run();
