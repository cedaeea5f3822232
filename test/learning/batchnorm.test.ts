import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../../src/learning/backend.ts';
import { backendFixture } from './backends.ts';
import { batchNormalizationLayer, batchNormGradConfig, batchNormTraining, channelSums } from '../../src/learning/layers/batchnorm.ts';
import { convKernelsActive, registerConvKernels, unregisterConvKernels } from '../../src/learning/layers/conv.ts';
import { RegistryPatch } from '../../src/learning/layers/conv-registry.ts';

const BN = suite('learning/batchnorm');

let tf: Tf;
let convBefore = false;
// wasm has no Conv2DBackpropFilter: the conv kernels alone (not the training companion, whose
// FusedBatchNorm gradient the stock layer would then use).
const fx = backendFixture(BN, {
  setUp: (t) => {
    convBefore = convKernelsActive(t).length > 0;
    registerConvKernels(t, { training: false });
  },
  tearDown: (t) => {
    if (!convBefore) unregisterConvKernels(t);
  },
});
BN.before(() => {
  tf = fx.tf;
});
const onBackends = fx.onBackends;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
const randomArray = (n: number, seed: number, scale = 2, shift = 0): Float64Array => {
  const next = lcg(seed);
  return Float64Array.from({ length: n }, () => scale * next() + shift);
};
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  assert.ok(err <= tol * scale, `${what}: max |Δ| = ${err} > ${tol * scale}`);
}

const EPS = 1e-3;

/** Float64 batch norm in training mode over all axes but the last: y and the loss Σ G·y. */
function naiveTrainingBN(x: Float64Array, gamma: Float64Array, beta: Float64Array, channels: number, eps: number) {
  const n = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels] += x[i] / n;
  for (let i = 0; i < x.length; i++) variance[i % channels] += (x[i] - mean[i % channels]) ** 2 / n;
  const y = Float64Array.from(x, (v, i) => {
    const c = i % channels;
    return (gamma[c] * (v - mean[c])) / Math.sqrt(variance[c] + eps) + beta[c];
  });
  return { y, mean, variance };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Central differences of f at each index of v (float64). */
function finiteDifferences(v: Float64Array, f: () => number, picks?: number[], eps = 1e-4): number[] {
  const idx = picks ?? Array.from(v, (_, i) => i);
  return idx.map((i) => {
    const old = v[i];
    v[i] = old + eps;
    const up = f();
    v[i] = old - eps;
    const down = f();
    v[i] = old;
    return (up - down) / (2 * eps);
  });
}

/** y of batchNormTraining, freeing the moments it hands to the caller. */
function bnY(x: Tensor, gamma: Tensor | null, beta: Tensor | null): Tensor {
  const { y, mean, variance } = batchNormTraining(tf, x, gamma, beta, EPS);
  tf.dispose([mean, variance]);
  return y;
}

const SHAPES: number[][] = [
  [4, 3, 5, 6], // NHWC conv activation
  [6, 7, 3], // Conv1D activation [B, L, C]
  [9, 4], // dense activation
  [5, 1, 11, 2], // 1D conv as tfjs runs it ([B, 1, L, C]), pool window 1 × 11
];

BN('channelSums equals a float64 sum over every axis but the last', async () => {
  await onBackends('channelSums', () => {
    for (const shape of SHAPES) {
      const c = shape[shape.length - 1];
      const xa = randomArray(sizeOf(shape), 1, 4, 0.5);
      const want = new Float64Array(c);
      xa.forEach((v, i) => (want[i % c] += v));
      const got = tf.tidy(() => channelSums(tf, tf.tensor(Float32Array.from(xa), shape)).dataSync());
      assertClose(got, want, 1e-5, `channelSums [${shape}]`);
    }
  });
});

BN('batchNormTraining: forward, batch moments and the closed-form gradient match float64 finite differences', async () => {
  await onBackends('batchNormTraining', () => {
    const before = tf.memory().numTensors;
    SHAPES.forEach((shape, k) => {
      const c = shape[shape.length - 1];
      const x = randomArray(sizeOf(shape), 10 + k, 3, 1.5); // a mean far from 0
      const gamma = randomArray(c, 20 + k, 1, 1);
      const beta = randomArray(c, 30 + k);
      const G = randomArray(x.length, 40 + k);
      const ref = naiveTrainingBN(x, gamma, beta, c, EPS);
      const loss = (): number => dot(G, naiveTrainingBN(x, gamma, beta, c, EPS).y);
      const out = tf.tidy(() => {
        const t = (a: Float64Array, s: number[]) => tf.tensor(Float32Array.from(a), s);
        const res = batchNormTraining(tf, t(x, shape), t(gamma, [c]), t(beta, [c]), EPS);
        const Gt = t(G, shape);
        const grads = tf.grads((xi: Tensor, gi: Tensor, bi: Tensor) => tf.sum(tf.mul(Gt, bnY(xi, gi, bi))));
        const [dx, dg, db] = grads([t(x, shape), t(gamma, [c]), t(beta, [c])]);
        const out = { y: res.y.dataSync(), mean: res.mean.dataSync(), variance: res.variance.dataSync(), dx: dx.dataSync(), dg: dg.dataSync(), db: db.dataSync() };
        tf.dispose([res.mean, res.variance]); // owned by the caller (kept out of tidy)
        return out;
      });
      assertClose(out.y, ref.y, 2e-5, `y [${shape}]`);
      assertClose(out.mean, ref.mean, 2e-5, `mean [${shape}]`);
      assertClose(out.variance, ref.variance, 2e-5, `variance [${shape}]`);
      assertClose(out.dx, finiteDifferences(x, loss), 2e-3, `dL/dx [${shape}]`);
      assertClose(out.dg, finiteDifferences(gamma, loss), 2e-3, `dL/dγ [${shape}]`);
      assertClose(out.db, finiteDifferences(beta, loss), 2e-3, `dL/dβ [${shape}]`);
    });
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
  });
});

BN('batchNormTraining without gamma/beta: gradient of x only, still the closed form', async () => {
  await onBackends('batchNormTraining (no γ, β)', () => {
    const shape = [3, 4, 4, 5];
    const c = 5;
    const x = randomArray(sizeOf(shape), 50, 2, -1);
    const G = randomArray(x.length, 51);
    const ones = new Float64Array(c).fill(1);
    const zeros = new Float64Array(c);
    const loss = (): number => dot(G, naiveTrainingBN(x, ones, zeros, c, EPS).y);
    const dx = tf.tidy(() => {
      const Gt = tf.tensor(Float32Array.from(G), shape);
      return tf.grad((xi: Tensor) => tf.sum(tf.mul(Gt, bnY(xi, null, null))))(tf.tensor(Float32Array.from(x), shape)).dataSync();
    });
    assertClose(dx, finiteDifferences(x, loss), 2e-3, 'dL/dx without γ, β');
  });
});

/** Float64 FusedBatchNorm kernel with mean/variance/scale/offset as free inputs (per channel or scalar). */
function naiveKernelBN(x: Float64Array, mean: Float64Array, variance: Float64Array, scale: Float64Array, offset: Float64Array, eps: number): Float64Array {
  const at = (v: Float64Array, i: number) => v[i % v.length];
  return Float64Array.from(x, (xv, i) => ((xv - at(mean, i)) * at(scale, i)) / Math.sqrt(at(variance, i) + eps) + at(offset, i));
}

BN('registered FusedBatchNorm gradient (no Tile) matches finite differences of the kernel, both forms', async () => {
  await onBackends('FusedBatchNorm gradient', () => {
    const patch = new RegistryPatch(tf, 'test.batchnorm');
    patch.gradient(batchNormGradConfig(tf));
    try {
      const shape = [3, 4, 5, 4];
      const c = 4;
      // Factorised form: all per-channel [C]; general form: scale of shape [1] broadcast.
      for (const scaleLen of [c, 1]) {
        const x = randomArray(sizeOf(shape), 60, 2, 0.3);
        const mean = randomArray(c, 61, 1);
        const variance = randomArray(c, 62, 1, 1.2);
        const scale = randomArray(scaleLen, 63, 1, 1);
        const offset = randomArray(c, 64);
        const G = randomArray(x.length, 65);
        const loss = (): number => dot(G, naiveKernelBN(x, mean, variance, scale, offset, EPS));
        const grads = tf.tidy(() => {
          const t = (a: Float64Array, s: number[]) => tf.tensor(Float32Array.from(a), s);
          const Gt = t(G, shape);
          const f = (xi: Tensor, mi: Tensor, vi: Tensor, si: Tensor, oi: Tensor) =>
            tf.sum(tf.mul(Gt, tf.batchNorm(xi, mi, vi, oi, si, EPS)));
          return tf.grads(f)([t(x, shape), t(mean, [c]), t(variance, [c]), t(scale, [scaleLen]), t(offset, [c])]).map((g) => g.dataSync());
        });
        const what = scaleLen === c ? 'factorised' : 'broadcast scale';
        assertClose(grads[0], finiteDifferences(x, loss), 2e-3, `${what} dL/dx`);
        assertClose(grads[1], finiteDifferences(mean, loss), 2e-3, `${what} dL/dμ`);
        assertClose(grads[2], finiteDifferences(variance, loss), 2e-3, `${what} dL/dσ²`);
        assertClose(grads[3], finiteDifferences(scale, loss), 2e-3, `${what} dL/dγ`);
        assertClose(grads[4], finiteDifferences(offset, loss), 2e-3, `${what} dL/dβ`);
      }
    } finally {
      patch.restore();
    }
  });
});

/** conv → BN → LeakyReLU → dense, with either BN layer; same initial weights for the same seed. */
function smallModel(fast: boolean): LayersModel {
  const input = tf.input({ shape: [5, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input);
  const bnArgs = { momentum: 0.9, betaInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 4 }), gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 5 }) };
  const bn = (fast ? batchNormalizationLayer(tf, bnArgs) : tf.layers.batchNormalization(bnArgs)).apply(conv);
  const act = tf.layers.leakyReLU({ alpha: 0.01 }).apply(bn);
  const flat = tf.layers.flatten().apply(act);
  const out = tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(flat);
  return tf.model({ inputs: input, outputs: out as never });
}

BN('batchNormalizationLayer trains like the stock layer (outputs, gradients, moving statistics)', async () => {
  await onBackends('batchNormalizationLayer', () => {
    const x = tf.tensor(Float32Array.from(randomArray(7 * 5 * 6 * 2, 70, 2, 0.7)), [7, 5, 6, 2]);
    const target = tf.tensor(Float32Array.from(randomArray(7 * 4, 71)), [7, 4]);
    const results = [false, true].map((fast) => {
      const model = smallModel(fast);
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, model.apply(x, { training: true }) as Tensor) as never);
      const out = {
        loss: value.dataSync()[0],
        grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k.replace(/\d+/g, ''), g.dataSync()])),
        // The moving statistics updated by the one training-mode call.
        weights: model.getWeights().map((w) => w.dataSync()),
      };
      tf.dispose([value, ...Object.values(grads)]);
      model.dispose();
      return out;
    });
    const [stock, fast] = results;
    assert.ok(Math.abs(stock.loss - fast.loss) <= 1e-5 * Math.max(1, Math.abs(stock.loss)), `loss ${stock.loss} vs ${fast.loss}`);
    assert.equal(Object.keys(fast.grads).sort(), Object.keys(stock.grads).sort());
    for (const k of Object.keys(stock.grads)) assertClose(fast.grads[k], stock.grads[k], 1e-4, `gradient ${k}`);
    assert.is(fast.weights.length, stock.weights.length);
    stock.weights.forEach((w, i) => assertClose(fast.weights[i], w, 1e-5, `weight ${i} after the call`));
    tf.dispose([x, target]);
  });
});

BN('batchNormalizationLayer saves as a stock BatchNormalization and predicts bit for bit the same after loading', async () => {
  await onBackends('batchNormalizationLayer save/load', async () => {
    const model = smallModel(true);
    const x = tf.tensor(Float32Array.from(randomArray(7 * 5 * 6 * 2, 80)), [7, 5, 6, 2]);
    // One training-mode call moves the moving statistics away from their initial values.
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    let artifacts: import('@tensorflow/tfjs').io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const topology = JSON.stringify((artifacts as unknown as { modelTopology: unknown }).modelTopology);
    assert.ok(topology.includes('"class_name":"BatchNormalization"'), 'stored as a stock BatchNormalization');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as unknown as import('@tensorflow/tfjs').io.ModelArtifacts));
    try {
      const a = tf.tidy(() => (model.predict(x) as Tensor).dataSync());
      const b = tf.tidy(() => (loaded.predict(x) as Tensor).dataSync());
      assert.equal(Array.from(b), Array.from(a), 'inference bit-identical after loading');
    } finally {
      model.dispose();
      loaded.dispose();
      x.dispose();
    }
  });
});

BN.run();
