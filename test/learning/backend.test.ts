import { createRequire } from 'node:module';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendError, backendName, initBackend } from '../../src/learning/backend.ts';

const Backend = suite('learning/backend');

/** Whether the optional native backend package can be resolved on this machine. */
function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** Naive float64 product of row-major [m, k] and [k, n] matrices. */
function naiveMatMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** A fixed, exactly representable test matrix: entries (i·7 + j·3) mod 11 − 5, scaled by 1/4. */
function fixedMatrix(rows: number, cols: number, salt: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = (((i * 7 + j * 3 + salt) % 11) - 5) / 4;
  }
  return out;
}

async function checkMatMul(): Promise<void> {
  const { tf } = await initBackend();
  const [m, k, n] = [9, 13, 6];
  const a = fixedMatrix(m, k, 1);
  const b = fixedMatrix(k, n, 4);
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
  const got = product.dataSync();
  product.dispose();
  const want = naiveMatMul(a, b, m, k, n);
  // Entries are multiples of 1/16 with |·| ≤ 13·25/16, so float32 sums are exact.
  assert.equal(Array.from(got), Array.from(want));
}

Backend('picks the native backend if installed, else wasm, and stays idempotent', async () => {
  const first = await initBackend();
  const expected = tfjsNodeInstalled() ? 'tensorflow' : 'wasm';
  assert.is(first.name, expected);
  assert.is(first.tf.getBackend(), expected);
  assert.is(backendName(), expected);
  const second = await initBackend();
  assert.ok(second === first, 'a second call returns the same object');
  await checkMatMul();
});

Backend('forcing cpu switches to the cpu backend; an unforced call or forcing back restores the best one', async () => {
  const auto = await initBackend();
  const cpu = await initBackend('cpu');
  assert.is(cpu.name, 'cpu');
  assert.is(cpu.tf.getBackend(), 'cpu');
  assert.is(backendName(), 'cpu');
  await checkMatMul();
  const again = await initBackend();
  assert.ok(again === auto, 'without a preference the best backend comes back, not the forced one');
  assert.is(again.tf.getBackend(), auto.name);
  assert.is(backendName(), auto.name);
  await initBackend('cpu');
  const back = await initBackend(auto.name as 'tensorflow' | 'wasm' | 'cpu');
  assert.ok(back === auto, 're-forcing a loaded backend returns its original object');
  assert.is(back.tf.getBackend(), auto.name);
});

// Meaningful only where tfjs-node is absent: skipped visibly (and counted as skipped) elsewhere.
const NATIVE = tfjsNodeInstalled();
if (NATIVE) console.log('SKIP: learning/backend "forcing an absent backend fails" — @tensorflow/tfjs-node is installed here');
(NATIVE ? Backend.skip : Backend)(`forcing an absent backend fails with a message naming it${NATIVE ? ' (skipped: tfjs-node is installed)' : ''}`, async () => {
  const before = backendName();
  try {
    await initBackend('tensorflow');
    assert.unreachable('tfjs-node is not installed here');
  } catch (error) {
    assert.instance(error, BackendError);
    assert.is((error as BackendError).backend, 'tensorflow');
    assert.match((error as Error).message, /^Backend 'tensorflow' could not be loaded: /);
  }
  assert.is(backendName(), before, 'a failed load leaves the active backend alone');
});

Backend('an unknown backend name is refused', async () => {
  try {
    await initBackend('webgl' as unknown as 'cpu');
    assert.unreachable('webgl is not offered');
  } catch (error) {
    assert.instance(error, BackendError);
    assert.is((error as Error).message, "Unknown backend 'webgl': expected one of tensorflow, wasm, cpu");
  }
});

Backend.run();
