import { createRequire } from 'node:module';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { initBackend, type BackendName, type Tf } from '../../src/learning/backend.ts';
import {
  fastGradientsActive,
  planTransposedProduct,
  registerFastGradients,
  unregisterFastGradients,
  type FusedActivation,
} from '../../src/learning/fast-gradients.ts';
import { createMlp, createMlpTrainer, dropoutMask } from '../../src/learning/mlp.ts';
import { streamFor, type Rng } from '../../src/phy/random.ts';
import { relativeError } from '../helpers.ts';

const Fast = suite('learning/fast-gradients');

/** Whether the optional native backend package can be resolved on this machine (then it is picked instead of wasm). */
function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

let tf: Tf;
/** The backend initBackend picks here (wasm without tfjs-node); gradients are also checked on cpu. */
let autoBackend: BackendName;
let activeBefore = false;
Fast.before(async () => {
  const loaded = await initBackend();
  tf = loaded.tf;
  autoBackend = loaded.name as BackendName;
  activeBefore = fastGradientsActive(tf);
  registerFastGradients(tf);
});
Fast.after(() => {
  // Leave the process as we found it for the suites that run after this one.
  if (!activeBefore) unregisterFastGradients(tf);
});

/** Runs `body` with `backend` active, then switches back to the automatic choice. */
async function onBackend(backend: BackendName | 'auto', body: () => void): Promise<void> {
  if (backend !== 'auto') await initBackend(backend);
  try {
    body();
  } finally {
    await initBackend(autoBackend);
  }
}

// ---------------------------------------------------------------------------------------------
// Independent float64 reference: C = op(A)·op(B) (+ bias), Y = act(C), L = Σ G ⊙ Y.
// ---------------------------------------------------------------------------------------------

interface Problem {
  /** Stored shapes, rank 2 or 3 ([batch, rows, cols]). */
  shapeA: number[];
  shapeB: number[];
  transposeA: boolean;
  transposeB: boolean;
}

interface Reference {
  gradA: Float64Array;
  gradB: Float64Array;
  gradBias: Float64Array;
  /** Shape of C: [batch?, M, N]. */
  shapeC: number[];
}

function dims(p: Problem): { batch: number; m: number; k: number; n: number } {
  const [ra, ca] = p.shapeA.slice(-2);
  const [rb, cb] = p.shapeB.slice(-2);
  const batch = p.shapeA.length === 3 ? p.shapeA[0] : 1;
  return { batch, m: p.transposeA ? ca : ra, k: p.transposeA ? ra : ca, n: p.transposeB ? rb : cb };
}

function activate(z: number, activation: FusedActivation, alpha: number): { y: number; slope: number } {
  switch (activation) {
    case 'linear':
      return { y: z, slope: 1 };
    case 'relu':
      return z > 0 ? { y: z, slope: 1 } : { y: 0, slope: 0 };
    case 'relu6':
      return { y: Math.min(Math.max(z, 0), 6), slope: z > 0 && z < 6 ? 1 : 0 };
    case 'leakyrelu':
      return z > 0 ? { y: z, slope: 1 } : { y: alpha * z, slope: alpha };
    case 'elu':
      return z > 0 ? { y: z, slope: 1 } : { y: Math.expm1(z), slope: Math.exp(z) };
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-z));
      return { y: s, slope: s * (1 - s) };
    }
    default:
      throw new Error(`no reference for ${activation}`);
  }
}

function reference(
  p: Problem,
  a: Float32Array,
  b: Float32Array,
  g: Float32Array,
  bias: Float32Array | null,
  activation: FusedActivation,
  alpha: number,
): Reference {
  const { batch, m, k, n } = dims(p);
  const [ra, ca] = p.shapeA.slice(-2);
  const [rb, cb] = p.shapeB.slice(-2);
  const opA = (s: number, i: number, q: number) => (p.transposeA ? a[s * ra * ca + q * ca + i] : a[s * ra * ca + i * ca + q]);
  const opB = (s: number, q: number, j: number) => (p.transposeB ? b[s * rb * cb + j * cb + q] : b[s * rb * cb + q * cb + j]);
  const gradA = new Float64Array(a.length);
  const gradB = new Float64Array(b.length);
  const gradBias = new Float64Array(n);
  for (let s = 0; s < batch; s++) {
    const dz = new Float64Array(m * n); // dL/dz for this batch entry, [m, n]
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let z = bias === null ? 0 : bias[j];
        for (let q = 0; q < k; q++) z += opA(s, i, q) * opB(s, q, j);
        dz[i * n + j] = g[s * m * n + i * n + j] * activate(z, activation, alpha).slope;
        gradBias[j] += dz[i * n + j];
      }
    }
    for (let i = 0; i < m; i++) {
      for (let q = 0; q < k; q++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += dz[i * n + j] * opB(s, q, j);
        gradA[s * ra * ca + (p.transposeA ? q * ca + i : i * ca + q)] = v;
      }
    }
    for (let q = 0; q < k; q++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let i = 0; i < m; i++) v += opA(s, i, q) * dz[i * n + j];
        gradB[s * rb * cb + (p.transposeB ? j * cb + q : q * cb + j)] = v;
      }
    }
  }
  const shapeC = p.shapeA.length === 3 ? [batch, m, n] : [m, n];
  return { gradA, gradB, gradBias, shapeC };
}

/** C = op(A)·op(B) in float64, laid out [batch?, M, N]. */
function naiveProduct(p: Problem, a: Float32Array, b: Float32Array): Float64Array {
  const { batch, m, k, n } = dims(p);
  const [ra, ca] = p.shapeA.slice(-2);
  const [rb, cb] = p.shapeB.slice(-2);
  const c = new Float64Array(batch * m * n);
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let q = 0; q < k; q++) {
          const av = p.transposeA ? a[s * ra * ca + q * ca + i] : a[s * ra * ca + i * ca + q];
          const bv = p.transposeB ? b[s * rb * cb + j * cb + q] : b[s * rb * cb + q * cb + j];
          v += av * bv;
        }
        c[s * m * n + i * n + j] = v;
      }
    }
  }
  return c;
}


function normals(rng: Rng, size: number, scale = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = scale * rng.normal();
  return out;
}

/** Shapes of a problem with op(A) = [M, K], op(B) = [K, N], optional batch. */
function problem(batch: number | null, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): Problem {
  const lead = batch === null ? [] : [batch];
  return {
    shapeA: [...lead, ...(transposeA ? [k, m] : [m, k])],
    shapeB: [...lead, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

const FLAGS: Array<[boolean, boolean]> = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** Fixed shapes (including ones whose wasm plan is 'swapped') plus seeded random ones. */
function problems(seedName: string, rank3Batch: number | null): Problem[] {
  const rng = streamFor(20240611, seedName);
  const out: Problem[] = [];
  for (const [tA, tB] of FLAGS) {
    out.push(problem(rank3Batch, 4, 32, 32, tA, tB));
    out.push(problem(rank3Batch, 32, 4, 24, tA, tB));
    for (let r = 0; r < 3; r++) out.push(problem(rank3Batch, 1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(9), tA, tB));
  }
  return out;
}

function describe(p: Problem): string {
  return `A${JSON.stringify(p.shapeA)} B${JSON.stringify(p.shapeB)} tA=${p.transposeA} tB=${p.transposeB}`;
}

const TOL = 1e-4;

// ---------------------------------------------------------------------------------------------

Fast('planTransposedProduct picks the measured-cheaper form for the MLP products', () => {
  // dX = dY·Wᵀ of a 512→512 layer (batch 128): swapped (2.6 ms) beats direct (4.0 ms).
  assert.is(planTransposedProduct([128, 512], [512, 512], false, true), 'swapped');
  // dW = Xᵀ·dY: direct (2.1 ms) beats swapped (3.4 ms).
  assert.is(planTransposedProduct([128, 512], [128, 512], true, false), 'direct');
  assert.is(planTransposedProduct([128, 512], [512, 512], false, false), 'direct');
  assert.is(planTransposedProduct([4, 32], [32, 32], false, true), 'swapped');
});

Fast('registration is idempotent and reversible', () => {
  const fastConfig = tf.getGradient('BatchMatMul');
  registerFastGradients(tf);
  assert.ok(tf.getGradient('BatchMatMul') === fastConfig, 'a second registration changes nothing');
  unregisterFastGradients(tf);
  assert.not.ok(fastGradientsActive(tf));
  assert.is(tf.getGradient('_FusedMatMul'), undefined, 'tfjs has no _FusedMatMul gradient of its own');
  const stock = tf.getGradient('BatchMatMul');
  unregisterFastGradients(tf);
  assert.ok(tf.getGradient('BatchMatMul') === stock);
  registerFastGradients(tf);
  assert.ok(fastGradientsActive(tf));
});

for (const backend of ['auto', 'cpu'] as const) {
  Fast(`BatchMatMul: forward and gradients match the float64 reference, all transpose flags [${backend}]`, () =>
    onBackend(backend, () => {
      for (const batch of [null, 1, 2]) {
        for (const p of problems(`bmm-${batch}`, batch)) {
          const rng = streamFor(7, describe(p));
          const { m, n, batch: numBatch } = dims(p);
          const a = normals(rng, p.shapeA.reduce((x, y) => x * y));
          const b = normals(rng, p.shapeB.reduce((x, y) => x * y));
          const g = normals(rng, numBatch * m * n);
          const ref = reference(p, a, b, g, null, 'linear', 0);
          const [gotA, gotB, forward] = tf.tidy(() => {
            const ta = tf.tensor(a, p.shapeA);
            const tb = tf.tensor(b, p.shapeB);
            const tg = tf.tensor(g, ref.shapeC);
            const [da, db] = tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.mul(tf.matMul(x, y, p.transposeA, p.transposeB), tg)))([ta, tb]);
            // The forward product goes through the wrapped wasm kernel too.
            const c = tf.matMul(ta, tb, p.transposeA, p.transposeB);
            return [da.dataSync(), db.dataSync(), c.dataSync()];
          });
          assert.ok(relativeError(gotA, ref.gradA) < TOL, `dA ${describe(p)}: ${relativeError(gotA, ref.gradA)}`);
          assert.ok(relativeError(gotB, ref.gradB) < TOL, `dB ${describe(p)}: ${relativeError(gotB, ref.gradB)}`);
          const wantC = naiveProduct(p, a, b);
          assert.ok(relativeError(forward, wantC) < TOL, `C ${describe(p)}: ${relativeError(forward, wantC)}`);
        }
      }
    }),
  );
}

Fast('BatchMatMul with a broadcast batch: the gradient is summed back to the input shape', () => {
  // L = Σ A·B with A [2, 2, 2] and B [2, 2] shared by both batch entries:
  // dL/dA = 1·Bᵀ in each entry, dL/dB = Σ_batches Aᵀ·1. (tfjs's own gradient throws here.)
  const [da, db] = tf.tidy(() =>
    tf
      .grads((x: Tensor, y: Tensor) => tf.sum(tf.matMul(x, y)))([
        tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
        tf.tensor2d([[1, 2], [3, 4]]),
      ])
      .map((t) => Array.from(t.dataSync())),
  );
  assert.equal(da, [3, 7, 3, 7, 3, 7, 3, 7]);
  assert.equal(db, [16, 16, 20, 20]);
});

Fast('BatchMatMul: fast gradients equal tfjs stock gradients', () => {
  const rng = streamFor(11, 'stock-vs-fast');
  for (const [tA, tB] of FLAGS) {
    const p = problem(null, 6, 5, 7, tA, tB);
    const a = tf.tensor(normals(rng, 30), p.shapeA);
    const b = tf.tensor(normals(rng, 35), p.shapeB);
    const g = tf.tensor(normals(rng, 42), [6, 7]);
    const grad = () =>
      tf.tidy(() => tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), g)))([a, b]).map((t) => t.dataSync()));
    const fast = grad();
    unregisterFastGradients(tf);
    const stock = grad();
    registerFastGradients(tf);
    assert.ok(relativeError(fast[0], stock[0]) < TOL, `dA tA=${tA} tB=${tB}`);
    assert.ok(relativeError(fast[1], stock[1]) < TOL, `dB tA=${tA} tB=${tB}`);
    tf.dispose([a, b, g]);
  }
});

for (const backend of ['auto', 'cpu'] as const) {
  Fast(`tf.fused.matMul with bias (linear, relu, leakyrelu): gradients match the reference [${backend}]`, () =>
    onBackend(backend, () => {
      // Under a gradient tape tfjs fuses only 'linear' (customGrad closure → wrapped wasm kernel);
      // relu and leakyrelu run unfused (matMul + add + activation → the fast BatchMatMul/LeakyRelu
      // gradients). Both routes are covered here.
      const activations: FusedActivation[] = ['linear', 'relu', 'leakyrelu'];
      const alpha = 0.2;
      for (const activation of activations) {
        for (const p of problems(`fused-${activation}`, null)) {
          const rng = streamFor(13, `${activation} ${describe(p)}`);
          const { m, n } = dims(p);
          const a = normals(rng, p.shapeA.reduce((x, y) => x * y));
          const b = normals(rng, p.shapeB.reduce((x, y) => x * y));
          const bias = normals(rng, n);
          const g = normals(rng, m * n);
          const ref = reference(p, a, b, g, bias, activation, alpha);
          const got = tf.tidy(() => {
            const tg = tf.tensor(g, ref.shapeC);
            const f = (x: Tensor, y: Tensor, c: Tensor) =>
              tf.sum(
                tf.mul(
                  tf.fused.matMul({ a: x, b: y, bias: c, transposeA: p.transposeA, transposeB: p.transposeB, activation, leakyreluAlpha: alpha }),
                  tg,
                ),
              );
            return tf.grads(f)([tf.tensor(a, p.shapeA), tf.tensor(b, p.shapeB), tf.tensor1d(bias)]).map((t) => t.dataSync());
          });
          const tag = `${activation} ${describe(p)}`;
          assert.ok(relativeError(got[0], ref.gradA) < TOL, `dA ${tag}: ${relativeError(got[0], ref.gradA)}`);
          assert.ok(relativeError(got[1], ref.gradB) < TOL, `dB ${tag}: ${relativeError(got[1], ref.gradB)}`);
          assert.ok(relativeError(got[2], ref.gradBias) < TOL, `dBias ${tag}: ${relativeError(got[2], ref.gradBias)}`);
        }
      }
    }),
  );
}

for (const backend of ['auto', 'cpu'] as const) {
  Fast(`_FusedMatMul kernel run directly: the registered gradient matches the reference [${backend}]`, () =>
    onBackend(backend, () => {
      const activations: FusedActivation[] = ['linear', 'relu', 'relu6', 'leakyrelu', 'elu', 'sigmoid'];
      const alpha = 0.3;
      for (const activation of activations) {
        for (const p of problems(`kernel-${activation}`, 1)) {
          const rng = streamFor(17, `${activation} ${describe(p)}`);
          const { m, n } = dims(p);
          // Scale so that relu6 sees pre-activations on both sides of 0 and 6.
          const a = normals(rng, p.shapeA.reduce((x, y) => x * y), 2);
          const b = normals(rng, p.shapeB.reduce((x, y) => x * y), 2);
          const bias = normals(rng, n);
          const g = normals(rng, m * n);
          const ref = reference(p, a, b, g, bias, activation, alpha);
          const got = tf.tidy(() => {
            const tg = tf.tensor(g, ref.shapeC);
            const attrs = { transposeA: p.transposeA, transposeB: p.transposeB, activation, leakyreluAlpha: alpha };
            const f = (x: Tensor, y: Tensor, c: Tensor) =>
              tf.sum(tf.mul(tf.engine().runKernel('_FusedMatMul', { a: x, b: y, bias: c }, attrs) as Tensor, tg));
            return tf.grads(f)([tf.tensor(a, p.shapeA), tf.tensor(b, p.shapeB), tf.tensor1d(bias)]).map((t) => t.dataSync());
          });
          const tag = `${activation} ${describe(p)}`;
          assert.ok(relativeError(got[0], ref.gradA) < TOL, `dA ${tag}: ${relativeError(got[0], ref.gradA)}`);
          assert.ok(relativeError(got[1], ref.gradB) < TOL, `dB ${tag}: ${relativeError(got[1], ref.gradB)}`);
          assert.ok(relativeError(got[2], ref.gradBias) < TOL, `dBias ${tag}: ${relativeError(got[2], ref.gradBias)}`);
        }
      }
    }),
  );
}

Fast('fused matMul with transposeB and bias: right values (stock tfjs-wasm 4.22 gets them wrong)', () => {
  // The wasm kernel's naive loop, taken for any transpose flag, indexes a rank-1 bias by
  // i·N + j instead of j: stock tfjs-wasm returns [11, 22, 33, 33, 34, 37, 35, 36, 41] here.
  // The wrapped kernel takes XNNPACK's path, which broadcasts the bias correctly.
  const got = tf.tidy(() =>
    tf.fused
      .matMul({
        a: tf.tensor2d([[1, 2], [3, 4], [5, 6]]),
        b: tf.tensor2d([[1, 0], [0, 1], [1, 1]]),
        bias: tf.tensor1d([10, 20, 30]),
        transposeB: true,
      })
      .dataSync(),
  );
  assert.equal(Array.from(got), [11, 22, 33, 13, 24, 37, 15, 26, 41]);
});

Fast('_FusedMatMul gradient refuses prelu with a message', () => {
  const x = tf.ones([1, 2, 2]);
  const w = tf.ones([2]);
  try {
    tf.grads((a: Tensor) =>
      tf.sum(
        tf.engine().runKernel('_FusedMatMul', { a, b: x, preluActivationWeights: w }, {
          transposeA: false,
          transposeB: false,
          activation: 'prelu',
        }) as Tensor,
      ),
    )([x]);
    assert.unreachable('prelu has no fast gradient');
  } catch (error) {
    assert.is(
      (error as Error).message,
      "fast _FusedMatMul gradient: activation 'prelu' is not supported (its weights are not saved)",
    );
  } finally {
    tf.dispose([x, w]);
  }
});

Fast('LeakyRelu gradient: dy on the positive side, α·dy on the negative side', () => {
  const values = [-2, -0.5, 0.25, 3, -1e-3, 7];
  const dy = [1, 2, 3, 4, 5, 6];
  const got = tf.tidy(() =>
    tf.grad((x: Tensor) => tf.sum(tf.mul(tf.leakyRelu(x, 0.1), tf.tensor1d(dy))))(tf.tensor1d(values)).dataSync(),
  );
  const want = values.map((v, i) => (v > 0 ? dy[i] : 0.1 * dy[i]));
  assert.ok(relativeError(got, want) < 1e-6, `${Array.from(got)} vs ${want}`);
});

// The wasm kernel is the automatic backend only without tfjs-node; elsewhere this test is skipped
// visibly (and counted as skipped) rather than passing without checking anything.
const WASM = !tfjsNodeInstalled();
if (!WASM) console.log('SKIP: learning/fast-gradients "never reaches the wasm kernel with transpose flags" — the automatic backend is tfjs-node here, not wasm');
(WASM ? Fast : Fast.skip)(`a Dense-layer training step never reaches the wasm kernel with transpose flags${WASM ? '' : ' (skipped: the backend is not wasm)'}`, () => {
  assert.is(tf.getBackend(), 'wasm', 'the automatic backend without tfjs-node');
  unregisterFastGradients(tf);
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const flagged: string[] = [];
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (transposeA || transposeB) flagged.push(`${transposeA}/${transposeB}`);
      return original.kernelFunc(args);
    },
  });
  try {
    const model = createMlp(tf, { inputDim: 6, hiddenDims: [8, 8], outputDim: 3, seed: 5 });
    const x = tf.ones([4, 6]);
    const y = tf.zeros([4, 3]);
    // tfjs autograd through the stock layers (what a plain tfjs training loop runs)
    const autogradStep = () =>
      tf.tidy(() => {
        tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as Tensor) as import('@tensorflow/tfjs').Scalar);
      });
    autogradStep();
    assert.ok(flagged.length > 0, 'the stock Dense backward uses transpose flags');
    flagged.length = 0;
    // our trainer differentiates the chain by hand with flag-free products, fast gradients or not
    const trainer = createMlpTrainer(tf, model, { seed: 5 });
    trainer.step(x, y);
    assert.equal(flagged, [], 'the trainer never sends a flagged product');
    registerFastGradients(tf); // wraps the spy
    autogradStep();
    assert.equal(flagged, [], 'with fast gradients every product of autograd reaching the kernel is flag-free');
    trainer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  } finally {
    unregisterFastGradients(tf);
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel(original);
    registerFastGradients(tf);
  }
});

// ---------------------------------------------------------------------------------------------
// The MLP building block
// ---------------------------------------------------------------------------------------------

Fast('createMlp: paper architecture, seeded initialisation', () => {
  const config = { inputDim: 216, hiddenDims: [512, 512, 512, 512], outputDim: 48, seed: 3 };
  const model = createMlp(tf, config);
  assert.equal(
    model.layers.map((l) => l.getClassName()),
    [...Array(4).fill(['Dense', 'LeakyReLU', 'Dropout']).flat(), 'Dense'],
  );
  // 216·512 + 3·512·512 + 512·48 weights, 4·512 + 48 biases
  assert.is(model.countParams(), 216 * 512 + 3 * 512 * 512 + 512 * 48 + 4 * 512 + 48);
  const small = { inputDim: 5, hiddenDims: [7], outputDim: 2, seed: 3 };
  const [m1, m2, m3] = [createMlp(tf, small), createMlp(tf, small), createMlp(tf, { ...small, seed: 4 })];
  const w = (m: typeof m1) => Array.from(m.getWeights()[0].dataSync());
  assert.equal(w(m1), w(m2), 'same seed, same weights');
  assert.not.equal(w(m1), w(m3), 'another seed, other weights');
  for (const m of [model, m1, m2, m3]) m.dispose();
});

Fast('createMlp refuses bad configurations with messages naming the field', () => {
  assert.throws(() => createMlp(tf, { inputDim: 0, hiddenDims: [4], outputDim: 2, seed: 1 }), /inputDim must be a positive integer, got 0/);
  assert.throws(() => createMlp(tf, { inputDim: 3, hiddenDims: [4, 2.5], outputDim: 2, seed: 1 }), /hiddenDims\[1\] must be a positive integer/);
  assert.throws(() => createMlp(tf, { inputDim: 3, hiddenDims: [4], outputDim: 2, seed: 1, dropout: 1 }), /dropout must lie in \[0, 1\), got 1/);
});

Fast('dropoutMask: inverted-dropout values, keep rate 1 − ζ, reproducible', () => {
  const rate = 0.15;
  const mask = dropoutMask(20000, rate, 99);
  const keep = 1 / (1 - rate);
  let kept = 0;
  for (const v of mask) {
    assert.ok(v === 0 || v === Math.fround(keep), `value ${v}`);
    if (v !== 0) kept++;
  }
  // Binomial(20000, 0.85): sd ≈ 50, so ±250 is 5 sd.
  assert.ok(Math.abs(kept - 17000) < 250, `kept ${kept}`);
  assert.equal(Array.from(dropoutMask(64, rate, 99)), Array.from(mask.subarray(0, 64)));
  assert.not.equal(Array.from(dropoutMask(64, rate, 100)), Array.from(mask.subarray(0, 64)));
});

/** Loss curve of a small MLP on a fixed teacher-network regression problem. */
function trainTinyMlp(seed: number, steps: number): number[] {
  const rng = streamFor(2024, 'tiny-regression');
  const numSamples = 128;
  const x = normals(rng, numSamples * 8);
  const teacherW = normals(rng, 8 * 4, 0.5);
  const y = new Float32Array(numSamples * 4);
  for (let s = 0; s < numSamples; s++) {
    for (let j = 0; j < 4; j++) {
      let v = 0;
      for (let i = 0; i < 8; i++) v += x[s * 8 + i] * teacherW[i * 4 + j];
      y[s * 4 + j] = Math.tanh(v);
    }
  }
  const model = createMlp(tf, { inputDim: 8, hiddenDims: [32, 32], outputDim: 4, dropout: 0.1, seed });
  const trainer = createMlpTrainer(tf, model, { learningRate: 3e-3, seed });
  const xs = tf.tensor2d(x, [numSamples, 8]);
  const ys = tf.tensor2d(y, [numSamples, 4]);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const start = (step % 4) * 32; // four fixed batches of 32, cycled
    const [bx, by] = tf.tidy(() => [xs.slice([start, 0], [32, 8]), ys.slice([start, 0], [32, 4])]);
    losses.push(trainer.step(bx, by));
    tf.dispose([bx, by]);
  }
  trainer.dispose();
  model.dispose();
  tf.dispose([xs, ys]);
  return losses;
}

Fast('a tiny MLP trained with fast gradients decreases its loss, reproducibly', () => {
  const losses = trainTinyMlp(7, 120);
  const first = losses.slice(0, 4).reduce((s, v) => s + v, 0) / 4; // one pass over the 4 batches
  const last = losses.slice(-4).reduce((s, v) => s + v, 0) / 4;
  assert.ok(first > 0.2, `initial loss ${first}`);
  assert.ok(last < 0.25 * first, `loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
  assert.equal(trainTinyMlp(7, 12), losses.slice(0, 12), 'same seed: the same loss curve, bit for bit');
  assert.not.equal(trainTinyMlp(8, 12), losses.slice(0, 12), 'another seed: another curve');
});

Fast('the MLP round-trips through the standard tfjs model format', async () => {
  const model = createMlp(tf, { inputDim: 5, hiddenDims: [6, 6], outputDim: 2, seed: 9 });
  let artifacts: import('@tensorflow/tfjs').io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(artifacts !== undefined);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const x = tf.tensor2d([[0.1, -0.2, 0.3, -0.4, 0.5]]);
  const want = (model.predict(x) as Tensor).dataSync();
  const got = (loaded.predict(x) as Tensor).dataSync();
  assert.equal(Array.from(got), Array.from(want));
  tf.dispose([x]);
  model.dispose();
  loaded.dispose();
});

Fast.run();
