import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../../src/learning/backend.ts';
import { backendFixture } from './backends.ts';
import {
  CONV_TRAINING_GRADIENTS,
  CONV_TRAINING_KERNELS,
  convTrainingActive,
  registerConvTraining,
  unregisterConvTraining,
} from '../../src/learning/layers/conv-training.ts';

// The companion registration of registerConvKernels: every wrapped wasm kernel must give the
// values of the kernel it wraps bit for bit (compared with the registration off, on wasm), and
// every gradient must equal tfjs's own (bit for bit where the formula is the same).

const Training = suite('learning/conv-training');

let tf: Tf;
let activeBefore = false;
const fx = backendFixture(Training, {
  setUp: (t) => {
    activeBefore = convTrainingActive(t);
  },
  tearDown: (t) => {
    if (activeBefore) registerConvTraining(t);
    else unregisterConvTraining(t);
  },
});
Training.before(() => {
  tf = fx.tf;
});
const onWasm = fx.onWasm;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
const randomArray = (n: number, seed: number): Float32Array => {
  const next = lcg(seed);
  return Float32Array.from({ length: n }, () => 4 * next());
};
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs `f` with the registration on and off (wasm), returning both results as plain arrays. */
function offOn(f: () => Tensor | Tensor[]): { off: number[][]; on: number[][] } {
  const run = (): number[][] =>
    tf.tidy(() => {
      const out = f();
      return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
    });
  // The wrapped kernels run first, into memory poisoned with NaN: a value they fail to write
  // cannot come out right by reusing what the stock run left in the same heap block.
  registerConvTraining(tf);
  tf.tidy(() => tf.fill([1 << 22], NaN).dataSync());
  const on = run();
  unregisterConvTraining(tf);
  const off = run();
  registerConvTraining(tf);
  return { off, on };
}

/** Bit-for-bit equality, NaN equal to NaN and +0 distinct from −0. */
function assertIdentical(on: number[][], off: number[][], what: string): void {
  assert.is(on.length, off.length, `${what}: number of outputs`);
  on.forEach((values, k) => {
    assert.is(values.length, off[k].length, `${what}: output ${k} length`);
    for (let i = 0; i < values.length; i++) {
      if (!Object.is(values[i], off[k][i])) assert.unreachable(`${what}: output ${k}[${i}] = ${values[i]}, stock ${off[k][i]}`);
    }
  });
}

Training('registration is idempotent and restores exactly the previous kernels and gradients', async () => {
  await onWasm('registration', () => {
    unregisterConvTraining(tf);
    const kernels = CONV_TRAINING_KERNELS.map((k) => tf.getKernel(k, 'wasm'));
    const gradients = CONV_TRAINING_GRADIENTS.map((g) => tf.getGradient(g));
    const first = registerConvTraining(tf);
    assert.equal([...first.kernels].sort(), [...CONV_TRAINING_KERNELS].sort());
    assert.equal([...first.gradients].sort(), [...CONV_TRAINING_GRADIENTS].sort());
    assert.ok(convTrainingActive(tf));
    const wrapped = CONV_TRAINING_KERNELS.map((k) => tf.getKernel(k, 'wasm'));
    wrapped.forEach((w, i) => assert.is.not(w, kernels[i], `${CONV_TRAINING_KERNELS[i]} replaced`));
    registerConvTraining(tf);
    CONV_TRAINING_KERNELS.forEach((k, i) => assert.is(tf.getKernel(k, 'wasm'), wrapped[i], `${k}: second registration is a no-op`));
    unregisterConvTraining(tf);
    unregisterConvTraining(tf);
    assert.not.ok(convTrainingActive(tf));
    CONV_TRAINING_KERNELS.forEach((k, i) => assert.is(tf.getKernel(k, 'wasm'), kernels[i], `${k} restored`));
    CONV_TRAINING_GRADIENTS.forEach((g, i) => assert.is(tf.getGradient(g), gradients[i], `${g} gradient restored`));
  });
});

Training('Sum and Mean over leading axes: the same values as the stock kernels, other axes passed through', async () => {
  await onWasm('Sum/Mean', () => {
    const shape = [6, 5, 7, 9];
    const xa = randomArray(sizeOf(shape), 1);
    const cases: Array<{ axes: number[]; keepDims: boolean }> = [
      { axes: [0, 1, 2], keepDims: false },
      { axes: [0, 1, 2], keepDims: true },
      { axes: [0, 1], keepDims: false },
      { axes: [0], keepDims: true },
      { axes: [1, 2], keepDims: false }, // not leading: the stock kernel
      { axes: [0, 2], keepDims: false },
      { axes: [3], keepDims: false },
      { axes: [0, 1, 2, 3], keepDims: false },
    ];
    for (const { axes, keepDims } of cases) {
      for (const op of ['sum', 'mean'] as const) {
        const { off, on } = offOn(() => {
          const x = tf.tensor(xa, shape);
          const y = op === 'sum' ? tf.sum(x, axes, keepDims) : tf.mean(x, axes, keepDims);
          return [y, tf.tensor(y.shape.map(Number))];
        });
        assertIdentical(on, off, `${op} axes [${axes}] keepDims ${keepDims} (values and shape)`);
      }
    }
    // Rank 3 (a Conv1D activation) and an int32 input (passed through).
    const { off, on } = offOn(() => [tf.sum(tf.tensor(xa.slice(0, 6 * 35 * 9), [6, 35, 9]), [0, 1]), tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0)]);
    assertIdentical(on, off, 'rank 3 and int32 sums');
  });
});

/** Plain JavaScript concatenation along `axis` (the independent reference). */
function concatReference(parts: Array<{ values: Float32Array; shape: number[] }>, axis: number): number[] {
  const outer = sizeOf(parts[0].shape.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const inner = sizeOf(p.shape.slice(axis));
      for (let i = 0; i < inner; i++) out.push(p.values[o * inner + i]);
    }
  }
  return out;
}

Training('SplitV and Concat: the same values as the stock kernels and a plain reference, every axis, uneven parts', async () => {
  await onWasm('SplitV/Concat', () => {
    const shape = [4, 3, 5, 7];
    const xa = randomArray(sizeOf(shape), 2);
    for (const [axis, sizes] of [[-1, [3, 4]], [3, [1, 2, 4]], [1, [2, 1]], [0, [1, 3]], [2, [5]]] as Array<[number, number[]]>) {
      const { off, on } = offOn(() => tf.split(tf.tensor(xa, shape), sizes, axis));
      assertIdentical(on, off, `split axis ${axis} sizes [${sizes}]`);
      assert.is(on.length, sizes.length);
      // The parts, concatenated back in JavaScript, are the input.
      const ax = (axis + 4) % 4;
      const parts = on.map((values, k) => ({ values: Float32Array.from(values), shape: shape.map((d, i) => (i === ax ? sizes[k] : d)) }));
      assert.equal(concatReference(parts, ax), Array.from(xa), `split axis ${axis}: parts reassemble the input`);
    }
    for (const axis of [-1, 0, 1, 2]) {
      const ax = (axis + 4) % 4;
      const bShape = shape.map((d, i) => (i === ax ? d + 2 : d));
      const ba = randomArray(sizeOf(bShape), 3);
      const { off, on } = offOn(() => tf.concat([tf.tensor(xa, shape), tf.tensor(ba, bShape), tf.tensor(xa, shape)], axis));
      assertIdentical(on, off, `concat axis ${axis}`);
      const parts = [{ values: xa, shape }, { values: ba, shape: bShape }, { values: xa, shape }];
      assert.equal(on[0], concatReference(parts, ax), `concat axis ${axis} vs plain reference`);
    }
    // An empty part and int32 tensors go to the stock kernel.
    const { off, on } = offOn(() => [tf.concat([tf.tensor([1, 2], [1, 2]), tf.zeros([1, 0])], 1), tf.concat([tf.tensor([1], [1, 1], 'int32'), tf.tensor([2], [1, 1], 'int32')], 1)]);
    assertIdentical(on, off, 'empty and int32 concat');
  });
});

Training('LeakyRelu kernel and gradient: bit for bit the stock values, with ±0, ±Inf (and NaN forward)', async () => {
  await onWasm('LeakyRelu', () => {
    const special = [0, -0, Infinity, -Infinity, 1e-38, -1e-38, 3.5, -3.5];
    const xa = Float32Array.from([...special, ...randomArray(200, 4)]);
    const withNaN = Float32Array.from([NaN, ...xa]);
    for (const alpha of [0.01, 0.2, 0, 1.5]) {
      const { off, on } = offOn(() => {
        const x = tf.tensor(xa);
        const dy = tf.tensor(randomArray(xa.length, 5));
        const grad = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, alpha), dy)))(x);
        return [tf.leakyRelu(tf.tensor(withNaN), alpha), grad];
      });
      assertIdentical(on, off, `leakyRelu α = ${alpha} (forward with NaN, gradient)`);
    }
    // At a NaN input the gradient dy·step(x, α) is NaN (tfjs's where(x > 0, dy, α·dy) gives α·dy).
    const g = tf.tidy(() => tf.grad((t: Tensor) => tf.sum(tf.leakyRelu(t, 0.01)))(tf.tensor([NaN, 2, -2])).dataSync());
    assert.ok(Number.isNaN(g[0]) && g[1] === 1 && Math.abs(g[2] - 0.01) < 1e-9, `gradient at NaN, 2, −2: ${Array.from(g)}`);
  });
});

Training('Mean and Sum gradients: bit for bit the stock gradients (ones from Fill)', async () => {
  await onWasm('Mean/Sum gradients', () => {
    const shape = [5, 4, 6, 3];
    const xa = randomArray(sizeOf(shape), 6);
    for (const axes of [[0, 1, 2], [1], [0, 3], [0, 1, 2, 3]]) {
      const { off, on } = offOn(() => {
        const x = tf.tensor(xa, shape);
        const g = tf.tensor(randomArray(sizeOf(tf.mean(x, axes).shape), 7), tf.mean(x, axes).shape);
        const dMean = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.mean(t, axes), g)))(x);
        const dSum = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.sum(t, axes), g)))(x);
        return [dMean, dSum];
      });
      assertIdentical(on, off, `d mean / d sum, axes [${axes}]`);
    }
  });
});

Training('Identity and same-dtype Cast share the data; the copy stays valid after the original is freed', async () => {
  await onWasm('Identity/Cast', () => {
    registerConvTraining(tf);
    const xa = randomArray(64, 8);
    const x = tf.tensor(xa, [8, 8]);
    const clone = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    const toInt = tf.cast(x, 'int32');
    assert.is(clone.dataId, x.dataId, 'clone shares the data');
    assert.is(cast.dataId, x.dataId, 'same-dtype cast shares the data');
    assert.is.not(toInt.dataId, x.dataId, 'a dtype change copies');
    x.dispose();
    assert.equal(Array.from(clone.dataSync()), Array.from(xa));
    assert.equal(Array.from(cast.dataSync()), Array.from(xa));
    assert.equal(Array.from(toInt.dataSync()), Array.from(xa, (v) => Math.trunc(v)));
    tf.dispose([clone, cast, toInt]);
  });
});

Training.run();
