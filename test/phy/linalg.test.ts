import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { besselJ0 } from '../../src/phy/bessel.ts';
import { choleskyInPlace, choleskySolveInPlace, czeros, innerH, NotPositiveDefiniteError } from '../../src/phy/complex.ts';
import { eigHermitian } from '../../src/phy/eig.ts';
import { hexLayout, steeringInto } from '../../src/phy/geometry.ts';
import { close, testRng } from '../helpers.ts';

/** A random n×n Hermitian positive-definite matrix B Bᴴ + n·I. */
function randomHpd(n: number, seed: number): Float64Array {
  const rng = testRng('hpd', seed);
  const B = czeros(n * n);
  rng.complexNormal(B);
  const A = czeros(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        const [ar, ai] = [B[2 * (i * n + k)], B[2 * (i * n + k) + 1]];
        const [br, bi] = [B[2 * (j * n + k)], -B[2 * (j * n + k) + 1]];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      A[2 * (i * n + j)] = re + (i === j ? n : 0);
      A[2 * (i * n + j) + 1] = im;
    }
  }
  return A;
}

test('innerH computes aᴴb (conjugating the left operand)', () => {
  const a = Float64Array.from([1, 2, 3, -1]); // [1+2i, 3−i]
  const b = Float64Array.from([0, 1, 2, 2]); // [i, 2+2i]
  const out = new Float64Array(2);
  innerH(out, a, 0, b, 0, 2);
  // conj(1+2i)·i + conj(3−i)(2+2i) = (2+i) + (4+8i) = 6 + 9i
  assert.equal(Array.from(out), [6, 9]);
});

test('Cholesky solve reproduces the right-hand side (A X = B)', () => {
  const n = 6;
  const A = randomHpd(n, 3);
  const X = czeros(n * 2);
  testRng('rhs').complexNormal(X);
  const B = Float64Array.from(X);
  const L = Float64Array.from(A);
  choleskyInPlace(L, n);
  choleskySolveInPlace(L, n, B, 2); // B ← A⁻¹ X
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 2; c++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        const [ar, ai] = [A[2 * (i * n + k)], A[2 * (i * n + k) + 1]];
        const [br, bi] = [B[2 * (k * 2 + c)], B[2 * (k * 2 + c) + 1]];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      close(re, X[2 * (i * 2 + c)], 1e-10);
      close(im, X[2 * (i * 2 + c) + 1], 1e-10);
    }
  }
});

test('Cholesky refuses an indefinite matrix with a named error', () => {
  const A = Float64Array.from([1, 0, 2, 0, 2, 0, 1, 0]); // [[1,2],[2,1]] has eigenvalue −1
  assert.throws(() => choleskyInPlace(A, 2, 'test matrix'), (e: unknown) => e instanceof NotPositiveDefiniteError && /test matrix/.test((e as Error).message));
});

test('Hermitian eigendecomposition: A V = V Λ, Vᴴ V = I, ascending', () => {
  const n = 12;
  const A = randomHpd(n, 5);
  const { values, vectors: V } = eigHermitian(A, n);
  for (let j = 1; j < n; j++) assert.ok(values[j] >= values[j - 1]);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        const [ar, ai] = [A[2 * (i * n + k)], A[2 * (i * n + k) + 1]];
        const [vr, vi] = [V[2 * (k * n + j)], V[2 * (k * n + j) + 1]];
        re += ar * vr - ai * vi;
        im += ar * vi + ai * vr;
      }
      close(re, values[j] * V[2 * (i * n + j)], 1e-9);
      close(im, values[j] * V[2 * (i * n + j) + 1], 1e-9);
    }
    for (let l = 0; l < n; l++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        const [ar, ai] = [V[2 * (k * n + j)], -V[2 * (k * n + j) + 1]];
        const [br, bi] = [V[2 * (k * n + l)], V[2 * (k * n + l) + 1]];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      close(re, j === l ? 1 : 0, 1e-10);
      close(im, 0, 1e-10);
    }
  }
  // trace is preserved
  let tr = 0;
  for (let i = 0; i < n; i++) tr += A[2 * (i * n + i)];
  close(values.reduce((a, b) => a + b, 0), tr, 1e-10);
});

test('Bessel J0 matches reference values', () => {
  close(besselJ0(0), 1, 1e-8);
  close(besselJ0(1), 0.7651976865579666, 1e-8);
  close(besselJ0(2.404825557695773), 0, 1e-8); // first zero
  close(besselJ0(5), -0.1775967713143383, 1e-8);
  close(besselJ0(10), -0.2459357644513483, 1e-8);
  close(besselJ0(-3), -0.2600519549019334, 1e-8);
});

test('ULA steering vector has unit-modulus entries and the half-wavelength phase progression', () => {
  const a = czeros(8);
  steeringInto(a, 0, 8, Math.PI / 6); // sin = 1/2 → phase step π/2
  for (let n = 0; n < 8; n++) {
    close(Math.hypot(a[2 * n], a[2 * n + 1]), 1, 1e-12);
    close(Math.atan2(a[2 * n + 1], a[2 * n]), Math.atan2(Math.sin((Math.PI / 2) * n), Math.cos((Math.PI / 2) * n)), 1e-12);
  }
});

test('hex layout: 7 cells, the ring at distance √3·R from the centre', () => {
  const c = hexLayout(7, 500);
  assert.equal([c[0], c[1]], [0, 0]);
  for (let i = 1; i < 7; i++) close(Math.hypot(c[2 * i], c[2 * i + 1]), 500 * Math.sqrt(3), 1e-12);
  // the first three cells are mutually adjacent
  close(Math.hypot(c[2] - c[4], c[3] - c[5]), 500 * Math.sqrt(3), 1e-12);
});

test.run();
