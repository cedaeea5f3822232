/**
 * The training step's parts against tfjs's own: the hand-written backward pass of the MLP chain
 * (dense-chain.ts) against autograd through the stock layers, and the fused Adam (adam.ts)
 * against tf.train.adam, including checkpoints exchanged between the two.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { FusedAdam } from '../../src/learning/adam.ts';
import { DenseChain } from '../../src/learning/dense-chain.ts';
import { createMlp } from '../../src/learning/mlp.ts';
import { streamFor } from '../../src/phy/random.ts';

let tf: Tf;
test.before(async () => {
  tf = (await initBackend()).tf;
});

const randn = (n: number, seed: number, scale = 1) => {
  const r = streamFor(seed, 'train-step-test');
  return Float32Array.from({ length: n }, () => scale * r.normal());
};

/** max |a − b| / (|b|∞ + tiny) over two arrays. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

test('DenseChain: forward and hand-written backward equal autograd through the stock layers (same dropout masks)', () => {
  for (const dropout of [0.3, 0]) {
    const model = createMlp(tf, { inputDim: 7, hiddenDims: [16, 12, 9], outputDim: 5, seed: 4, dropout });
    const chain = new DenseChain(tf, model);
    assert.is(chain.variables.length, 8);
    assert.equal(chain.rates, [dropout, dropout, dropout]);
    const B = 6;
    const x = tf.tensor2d(randn(B * 7, 1), [B, 7]);
    const dOut = tf.tensor2d(randn(B * 5, 2), [B, 5]);
    const seeds = [11, 22, 33];
    const saved = chain.forward(x, seeds);
    const grads = tf.tidy(() => chain.backward(saved, dOut));
    // reference: the stock layers in training mode with the same masks in place of Dropout
    const stock = (): Tensor => chain.forwardLayers(x, seeds);
    const want = tf.tidy(() => stock());
    assert.ok(relErr(saved.output.dataSync(), want.dataSync()) < 1e-5, 'forward');
    const ref = tf.variableGrads(() => tf.sum(tf.mul(stock(), dOut)) as Scalar, chain.variables);
    chain.variables.forEach((v, i) => {
      const e = relErr(grads[i].dataSync(), ref.grads[v.name].dataSync());
      assert.ok(e < 1e-5, `dropout ${dropout}: gradient of ${v.name}: relative error ${e}`);
    });
    // some entries were dropped and some kept: the masks did act
    if (dropout > 0) assert.ok(saved.gates[0].dataSync().some((g) => g === 0));
    chain.release(saved);
    tf.dispose([x, dOut, want, ...grads, ...Object.values(ref.grads), ref.value]);
    model.dispose();
  }
});

test('DenseChain refuses models it cannot differentiate, naming the layers', () => {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] }), tf.layers.activation({ activation: 'relu' }), tf.layers.dense({ units: 1 })] });
  assert.throws(() => new DenseChain(tf, m), /must be made of Dense, LeakyReLU and Dropout layers \(createMlp\), got Dense, Activation, Dense/);
  m.dispose();
});

/** Variables with given values (unique names). */
let vid = 0;
const vars = (tfx: Tf, arrays: Float32Array[], shapes: number[][]): Variable[] => arrays.map((a, i) => tfx.variable(tfx.tensor(a, shapes[i]), true, `adam-test-${vid++}`));

test('FusedAdam follows tf.train.adam step for step (coupled weight decay), and their checkpoints are interchangeable', async () => {
  const shapes = [[5, 3], [3]]; // sizes not multiples of the 4 SIMD lanes
  const init = [randn(15, 3), randn(3, 4)];
  const a = vars(tf, init, shapes);
  const b = vars(tf, init, shapes);
  const lr = 1e-2;
  const wd = 1e-2;
  const ours = new FusedAdam(tf, a, { learningRate: lr, weightDecay: wd });
  const theirs = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const stepBoth = (k: number) => {
    const g = [randn(15, 100 + k), randn(3, 200 + k, 3)].map((x, i) => tf.tensor(x, shapes[i]));
    ours.applyGradients(g);
    tf.tidy(() => theirs.applyGradients(b.map((v, i) => ({ name: v.name, tensor: tf.add(g[i], tf.mul(v, wd)) }))));
    tf.dispose(g);
  };
  for (let k = 0; k < 25; k++) stepBoth(k);
  assert.is(ours.iterations, 25);
  a.forEach((v, i) => {
    const e = relErr(v.dataSync(), b[i].dataSync());
    assert.ok(e < 1e-5, `variable ${i}: ${e}`);
  });
  // the weights moved (by about lr per step), so the comparison is not vacuous
  assert.ok(relErr(a[0].dataSync(), init[0]) > 0.05);
  // tfjs's checkpoint into ours, then both continue: still the same
  const saved = await theirs.getWeights();
  assert.equal(saved.map((w) => w.name), ['iter', `${b[0].name}/m`, `${b[1].name}/m`, `${b[0].name}/v`, `${b[1].name}/v`]);
  const mine = await ours.getWeights();
  assert.equal(mine.map((w) => w.name), ['iter', `${a[0].name}/m`, `${a[1].name}/m`, `${a[0].name}/v`, `${a[1].name}/v`]);
  mine.slice(1).forEach((w, i) => assert.ok(relErr(w.tensor.dataSync(), saved[i + 1].tensor.dataSync()) < 1e-5, `moment ${w.name}`));
  const restored = new FusedAdam(tf, a, { learningRate: lr, weightDecay: wd });
  await restored.setWeights(saved);
  assert.is(restored.iterations, 25);
  const g = [randn(15, 999), randn(3, 998)].map((x, i) => tf.tensor(x, shapes[i]));
  restored.applyGradients(g);
  tf.tidy(() => theirs.applyGradients(b.map((v, i) => ({ name: v.name, tensor: tf.add(g[i], tf.mul(v, wd)) }))));
  a.forEach((v, i) => assert.ok(relErr(v.dataSync(), b[i].dataSync()) < 1e-5, `after restore, variable ${i}`));
  await restored.setWeights(mine); // its own state loads back
  await restored.setWeights(mine.slice(0, 3)).then(
    () => assert.unreachable('a short state must be refused'),
    (e: Error) => assert.match(e.message, /expected 'iter' and 4 moment tensors, got 3 tensors/),
  );
  tf.dispose([...g, ...saved.map((w) => w.tensor), ...mine.map((w) => w.tensor), ...a, ...b]);
  theirs.dispose();
});

test('FusedAdam: the first step moves every weight by −η·sign(g) (bias-corrected, ε ≪ |g|)', () => {
  const [w] = vars(tf, [Float32Array.from([1, -2, 3, 0.5])], [[4]]);
  const adam = new FusedAdam(tf, [w], { learningRate: 0.1 });
  const g = tf.tensor1d([0.3, -5, 1e-3, -2e-2]);
  adam.applyGradients([g]);
  const got = w.dataSync();
  [0.9, -1.9, 2.9, 0.6].forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-5, `${i}: ${got[i]} vs ${want}`));
  assert.throws(() => adam.applyGradients([]), /0 gradients for 1 variables/);
  tf.dispose([g, w]);
});

test('the embedded SIMD kernels are the compiled train-kernels.wat (npm run build:kernels)', () => {
  const r = spawnSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test.run();
