/**
 * Paper 002's distributed mode (src/learning/primal-dual/distributed.ts, train-distributed.ts):
 * the stochastic binarisation is unbiased (E[v̂] = v, Monte Carlo), takes only ±1, sign at
 * inference; the straight-through estimator passes the gradient unchanged; the J-cell rate equals
 * stage 1's eq.-(11) rate when J = 1 and its written-out gradient equals finite differences; the
 * gains follow their laws (own, cross-cell, radar) and the features are standardised; a tiny
 * training is finite and bit-for-bit reproducible.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasmOnly } from './wasm-only.ts';
import { binarise, distributedProblem, distributedSet, interferenceRates, interferenceRateTf, signBits, straightThrough } from '../../src/learning/primal-dual/distributed.ts';
import { evaluateAllocation } from '../../src/learning/primal-dual/evaluate.ts';
import { channelSet, drawChannels, paper002Problem } from '../../src/learning/primal-dual/problem.ts';
import { bitsPerBs, trainDistributed } from '../../src/learning/primal-dual/train-distributed.ts';
import { streamFor } from '../../src/phy/random.ts';
import { close } from '../helpers.ts';

const wasmTest = wasmOnly(test);


test('binarisation (eqs. 28–29): v̂ ∈ {−1, +1}, E[v̂] = v within 4σ/√n for 200 000 draws per value; sign at inference (ties → +1)', () => {
  const rng = streamFor(1, 'pd-binarise');
  const n = 200000;
  for (const v of [-0.9, -0.3, 0, 0.5, 0.95]) {
    const vs = new Float32Array(n).fill(v);
    const u = Float64Array.from({ length: n }, () => rng.uniform());
    const hat = binarise(vs, u);
    assert.ok(hat.every((h) => h === 1 || h === -1), 'only ±1');
    const mean = hat.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(Math.max(1e-12, 1 - Math.fround(v) ** 2) / n);
    assert.ok(Math.abs(mean - Math.fround(v)) < 4 * sd, `v = ${v}: mean ${mean} (σ/√n ${sd})`);
  }
  assert.equal(Array.from(signBits([-0.2, 0, 0.3, -1e-9])), [-1, 1, 1, -1]);
  // the extremes are deterministic
  assert.equal(Array.from(binarise([1, -1], [0.999999, 0])), [1, -1]);
});

wasmTest('straight-through: the forward value is v̂, the gradient w.r.t. v is the upstream one (∂v̂/∂v = 1)', (tf) => {
  const v = tf.tensor2d([0.3, -0.6, 0.9, 0], [2, 2]);
  const hat = Float32Array.of(1, -1, -1, 1);
  const w = tf.tensor2d([2, -3, 0.5, 7], [2, 2]);
  const fwd = straightThrough(tf, v, hat);
  assert.equal(Array.from(fwd.dataSync()).map((x) => Math.round(x * 1e6) / 1e6), [1, -1, -1, 1]);
  const g = tf.grad((x: import('@tensorflow/tfjs').Tensor) => tf.sum(tf.mul(straightThrough(tf, x as import('@tensorflow/tfjs').Tensor2D, hat), w)))(v);
  assert.equal(Array.from(g.dataSync()), [2, -3, 0.5, 7]);
  tf.dispose([v, w, fwd, g]);
});

test('J = 1: the scalar-interference rate equals stage 1\'s eq.-(11) rate on the same gains and powers', () => {
  const pb = paper002Problem();
  const dp = distributedProblem({ targetsDegPerBs: [pb.cfg.targetsDeg] });
  const set = channelSet(pb, drawChannels(pb, 4, 0, 5));
  const { K, P } = pb;
  const S = K + P;
  const gains = new Float64Array(set.n * K * S);
  for (let s = 0; s < set.n; s++) {
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) gains[(s * K + k) * S + l] = set.amplitude[(s * K + k) * K + l] ** 2;
      for (let p = 0; p < P; p++) gains[(s * K + k) * S + K + p] = set.radarGain[(s * K + k) * P + p];
    }
  }
  const rng = streamFor(2, 'pd-j1');
  const p = Float64Array.from({ length: set.n * K }, () => rng.between(0, pb.cfg.powerMaxW));
  const q = Float64Array.from({ length: set.n * P }, () => rng.between(0, 0.01));
  const x = new Float64Array(set.n * S);
  for (let s = 0; s < set.n; s++) {
    x.set(p.subarray(s * K, (s + 1) * K), s * S);
    x.set(q.subarray(s * P, (s + 1) * P), s * S + K);
  }
  const r = interferenceRates(dp, gains, x, set.n);
  const want = evaluateAllocation(pb, set, { p, q }).rates;
  for (let s = 0; s < set.n; s++) close(r.subarray(s * K, (s + 1) * K).reduce((a, b) => a + b, 0), want[s], 1e-12, `sample ${s}`);
});

wasmTest('interferenceRateTf: values equal the float64 rates, the gradient equals central differences', (tf) => {
  const dp = distributedProblem();
  const set = distributedSet(dp, 3, 0, 2);
  const rng = streamFor(5, 'pd-fd');
  const x = Float64Array.from({ length: 2 * dp.S }, (_, i) => (i % (dp.K + dp.P) < dp.K ? rng.between(0.01, 0.1) : rng.between(0.001, 0.01)));
  const w = Float64Array.from({ length: 2 * dp.N }, () => rng.normal());
  const f = (xv: Float64Array) => interferenceRates(dp, set.gains, xv, 2).reduce((a, r, i) => a + r * w[i], 0);
  const xt = tf.tensor2d(Float32Array.from(x), [2, dp.S]);
  const wt = tf.tensor2d(Float32Array.from(w), [2, dp.N]);
  const val = interferenceRateTf(tf, dp, set.gains, xt).dataSync();
  const ref = interferenceRates(dp, set.gains, x, 2);
  for (let i = 0; i < ref.length; i++) close(val[i], ref[i], 1e-5, `rate ${i}`);
  const g = tf.grad((z: import('@tensorflow/tfjs').Tensor) => tf.sum(tf.mul(interferenceRateTf(tf, dp, set.gains, z as import('@tensorflow/tfjs').Tensor2D), wt)))(xt).dataSync();
  for (let i = 0; i < x.length; i++) {
    const h = 1e-6 * Math.max(1e-3, x[i]);
    const a = Float64Array.from(x);
    const b = Float64Array.from(x);
    a[i] += h;
    b[i] -= h;
    const fd = (f(a) - f(b)) / (2 * h);
    assert.ok(Math.abs(g[i] - fd) <= 1e-3 * Math.max(1, Math.abs(fd)), `∂/∂x_${i}: ${g[i]} vs ${fd}`);
  }
  tf.dispose([xt, wt]);
});

test('gains follow their laws (own desired Gamma(M_C, 1), own cross Gamma(1, 1), inter-cell β, radar M_R, inter-cell radar βM_R); features ≈ zero mean, unit variance', () => {
  const dp = distributedProblem();
  const n = 600;
  const set = distributedSet(dp, 8, 0, n);
  const { N, S, K, P, MC, MR } = dp;
  const beta = dp.cfg.crossGain;
  const sums = { own: 0, cross: 0, inter: 0, radar: 0, interRadar: 0 };
  const counts = { own: 0, cross: 0, inter: 0, radar: 0, interRadar: 0 };
  for (let s = 0; s < n; s++) {
    for (let u = 0; u < N; u++) {
      for (let st = 0; st < S; st++) {
        const i = Math.floor(st / (K + P));
        const radar = st % (K + P) >= K;
        const g = set.gains[(s * N + u) * S + st];
        const key = radar ? (i === Math.floor(u / K) ? 'radar' : 'interRadar') : st === dp.desired[u] ? 'own' : i === Math.floor(u / K) ? 'cross' : 'inter';
        sums[key] += g;
        counts[key]++;
      }
    }
  }
  const want = { own: MC, cross: 1, inter: beta, radar: MR, interRadar: beta * MR };
  for (const k of Object.keys(want) as Array<keyof typeof want>) {
    const m = sums[k] / counts[k];
    assert.ok(Math.abs(m / want[k] - 1) < 0.08, `${k}: mean ${m}, law mean ${want[k]}`);
  }
  let mean = 0;
  let sq = 0;
  for (const v of set.features) {
    mean += v;
    sq += v * v;
  }
  mean /= set.features.length;
  const variance = sq / set.features.length - mean * mean;
  assert.ok(Math.abs(mean) < 0.05, `feature mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.1, `feature variance ${variance}`);
  assert.is(bitsPerBs(dp, { kind: 'bits', bits: 16 }), 32, '16 bits to each of the 2 others');
  assert.is(bitsPerBs(dp, { kind: 'none' }), 0);
  assert.is(bitsPerBs(dp, { kind: 'raw' }), 2 * 32 * dp.featureDim);
});

wasmTest('a tiny distributed training (L = 4): finite per-BS curves, μ_j ≥ 0, mean splits sum to P_R/M_R, bit-for-bit reproducible', (tf) => {
  const dp = distributedProblem();
  const evalSet = distributedSet(dp, 9, 0, 8);
  const run = () => trainDistributed(tf, dp, { exchange: { kind: 'bits', bits: 4 }, iterations: 3, batchSize: 8, learningRate: 1e-3, dualStep: 1, logitPenalty: 0.01, pairStride: 8, seed: 3, evalEvery: 3, evalSet });
  const a = run();
  const b = run();
  assert.is(a.curve.length, 2);
  for (const p of a.curve) {
    assert.is(p.rate.length, dp.J);
    assert.ok(p.rate.every((r) => Number.isFinite(r) && r > 0) && p.lr.every((l) => Number.isFinite(l)) && p.mu.every((m) => m >= 0));
    // each BS's mean split is a split: Σ_p q̄_p = P_R/M_R (the softmax head)
    for (const q of p.meanSplit) close(q.reduce((x, y) => x + y, 0), dp.cfg.radarPowerW / dp.MR, 1e-6, 'Σ q̄');
  }
  assert.equal(b.curve, a.curve);
});

test.run();
