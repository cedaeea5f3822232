/**
 * Scalar WMMSE (src/solvers/scalar-wmmse.ts) against Sun et al.'s WMMSE_sum_rate in numpy
 * (scripts/ref/paper002_reference.py), against the multicell MISO WMMSE (wmmse.ts) with one
 * antenna and one user per BS (the same iteration), and against its own guarantees: a
 * non-decreasing sum rate, full power without interference, and the KKT conditions of
 * max Σ log2(1 + γ_k) s.t. 0 ≤ p_k ≤ P_max at convergence.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { czeros } from '../../src/phy/complex.ts';
import { streamFor } from '../../src/phy/random.ts';
import { scalarSinr, scalarWmmse, type ScalarWmmseProblem } from '../../src/solvers/scalar-wmmse.ts';
import { wmmse } from '../../src/solvers/wmmse.ts';
import { close, relativeError, smallTopology } from '../helpers.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/paper002/reference.json', import.meta.url), 'utf8'));

function randomProblem(seed: number, K: number, cross = 1, noise: [number, number] = [0.01, 0.06]): ScalarWmmseProblem {
  const rng = streamFor(seed, 'scalar-wmmse-test');
  const amplitude = new Float64Array(K * K);
  for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) amplitude[k * K + l] = Math.hypot(rng.normal(), rng.normal()) * (k === l ? 1 : cross);
  return { numUsers: K, amplitude, noiseW: Float64Array.from({ length: K }, () => rng.between(noise[0], noise[1])), powerMaxW: 0.1 };
}

const sumRate = (pr: ScalarWmmseProblem, p: Float64Array) => scalarSinr(pr, p).reduce((a, g) => a + Math.log2(1 + g), 0);

test('numpy reference (Sun et al. WMMSE_sum_rate, per-user noise): powers and the rate trace', () => {
  for (const [i, inst] of (ref.scalarWmmse as Array<{ amplitude: number[]; noiseW: number[]; powerMaxW: number; powerW: number[]; trace: number[] }>).entries()) {
    const K = inst.noiseW.length;
    const r = scalarWmmse({ numUsers: K, amplitude: Float64Array.from(inst.amplitude), noiseW: Float64Array.from(inst.noiseW), powerMaxW: inst.powerMaxW });
    assert.ok(relativeError(r.powerW, inst.powerW) < 1e-10, `instance ${i}: powers ${Array.from(r.powerW)} vs ${inst.powerW}`);
    assert.is(r.trace.length, inst.trace.length, `instance ${i}: iterations`);
    assert.ok(relativeError(r.trace, inst.trace) < 1e-12, `instance ${i}: trace`);
    assert.ok(r.converged);
  }
});

test('the same iterates as the multicell MISO WMMSE (wmmse.ts) with one antenna and one user per BS', () => {
  const K = 4;
  const pr = randomProblem(5, K, 0.8);
  const noise = pr.noiseW as Float64Array;
  // BS m serves user m; h_{m,u} = a_{u,m}/σ_u (row u scaled by 1/σ_u: same SINR with unit noise)
  const topo = smallTopology({ numBs: K, K: 1, nt: 1, powerW: pr.powerMaxW, noiseW: 1 });
  const H = czeros(K * K);
  for (let m = 0; m < K; m++) for (let u = 0; u < K; u++) H[2 * (m * K + u)] = pr.amplitude[u * K + m] / Math.sqrt(noise[u]);
  for (const n of [1, 3, 12]) {
    const mine = scalarWmmse(pr, { maxIterations: n, tolerance: -Infinity });
    const miso = wmmse(topo, H, { maxIterations: n, tolerance: -1 });
    assert.is(mine.iterations, n);
    const p = Float64Array.from(miso.W, (w) => w[0] ** 2 + w[1] ** 2);
    assert.ok(relativeError(mine.powerW, p) < 1e-9, `${n} iterations: ${Array.from(mine.powerW)} vs ${Array.from(p)}`);
    assert.ok(relativeError(mine.trace, miso.wsrTrace) < 1e-9, 'rate traces');
  }
});

test('the sum rate never decreases; the trace is the true Σ log2(1 + γ) of the iterates', () => {
  for (let seed = 0; seed < 30; seed++) {
    const pr = randomProblem(100 + seed, 2 + (seed % 7), seed % 2 ? 1 : 0.3);
    const r = scalarWmmse(pr, { maxIterations: 60, tolerance: -Infinity });
    for (let i = 1; i < r.trace.length; i++) assert.ok(r.trace[i] >= r.trace[i - 1] - 1e-12, `seed ${seed}: trace falls at ${i}`);
    close(r.trace[r.trace.length - 1], sumRate(pr, r.powerW), 1e-12, `seed ${seed}: last trace value`);
    for (const p of r.powerW) assert.ok(p >= 0 && p <= pr.powerMaxW * (1 + 1e-12));
  }
});

test('closed forms: one user, or no interference, means full power', () => {
  const one = scalarWmmse({ numUsers: 1, amplitude: Float64Array.of(0.7), noiseW: 0.01, powerMaxW: 2 });
  close(one.powerW[0], 2, 1e-12);
  const K = 5;
  const diag = new Float64Array(K * K);
  for (let k = 0; k < K; k++) diag[k * K + k] = 0.2 + k;
  const r = scalarWmmse({ numUsers: K, amplitude: diag, noiseW: 0.05, powerMaxW: 0.1 });
  for (const p of r.powerW) close(p, 0.1, 1e-12);
  assert.throws(() => scalarWmmse({ numUsers: 2, amplitude: new Float64Array(3), noiseW: 1, powerMaxW: 1 }), /amplitude has 3 entries/);
  assert.throws(() => scalarWmmse({ numUsers: 1, amplitude: Float64Array.of(1), noiseW: 0, powerMaxW: 1 }), /noiseW must be 1 values > 0/);
});

test('KKT at convergence: ∂R/∂p_k ≥ 0 at P_max, ≤ 0 near 0, ≈ 0 in between', () => {
  let interior = 0;
  for (let seed = 0; seed < 20; seed++) {
    // weak interference and little noise: some users settle strictly between 0 and P_max
    const pr = randomProblem(300 + seed, 3 + (seed % 4), 0.3, [0.001, 0.01]);
    const r = scalarWmmse(pr, { maxIterations: 20000, tolerance: 1e-13 });
    const K = pr.numUsers;
    const noise = pr.noiseW as Float64Array;
    // ∂/∂p_k Σ_j log2(1 + γ_j) = (1/ln2)[a_kk²/T_k − Σ_{j≠k} a_jk² S_j /(T_j (T_j − S_j))]
    for (let k = 0; k < K; k++) {
      let g = 0;
      for (let j = 0; j < K; j++) {
        let T = noise[j];
        for (let l = 0; l < K; l++) T += pr.amplitude[j * K + l] ** 2 * r.powerW[l];
        const S = pr.amplitude[j * K + j] ** 2 * r.powerW[j];
        if (j === k) g += pr.amplitude[k * K + k] ** 2 / T;
        else g -= (pr.amplitude[j * K + k] ** 2 * S) / (T * (T - S));
      }
      const scale = pr.amplitude[k * K + k] ** 2 / noise[k];
      const p = r.powerW[k] / pr.powerMaxW;
      if (p > 1 - 1e-9) assert.ok(g >= -1e-6 * scale, `seed ${seed} user ${k}: at P_max with ∂ = ${g}`);
      else if (p < 1e-3) assert.ok(g <= 1e-3 * scale, `seed ${seed} user ${k}: near 0 with ∂ = ${g}`);
      else {
        interior++;
        assert.ok(Math.abs(g) <= 1e-4 * scale, `seed ${seed} user ${k}: interior p ${p} with ∂ = ${g}`);
      }
    }
  }
  assert.ok(interior > 0, 'some users end in the interior (the test checks stationarity there)');
});

test.run();
