/**
 * Paper 002 stage 1 (src/learning/primal-dual/): the dual update on a hand-made sequence, the
 * network's structure and initialisation, the baselines (q⋆ against a numpy brute force, WMMSE
 * powers against an independent eq.-(11) path, equal and random power), reproducible WMMSE-labelled
 * datasets, and small trainings on wasm: the loss falls, the trainer's μ is exactly the dual ascent
 * replayed on its own batch means, the dual keeps L_r below the no-dual variant's, and a run is
 * bit-for-bit reproducible from its seed.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasmOnly } from './wasm-only.ts';
import { labelledDataset, sampleField } from '../../src/learning/labels.ts';
import { dualAscent, DualVariable } from '../../src/learning/primal-dual/dual.ts';
import { equalAllocation, randomAllocation, wmmseAllocation, wmmseLabels, WMMSE_OPTIONS } from '../../src/learning/primal-dual/baselines.ts';
import { evaluateAllocation } from '../../src/learning/primal-dual/evaluate.ts';
import { createPrimalDualNet, paperHiddenDims, stage1Allocation, stage1NetConfig } from '../../src/learning/primal-dual/network.ts';
import {
  channelSet,
  commChannel,
  drawChannels,
  featureDim,
  paper002Generator,
  paper002Problem,
  radarChannel,
  splitLoss,
  type Paper002Problem,
} from '../../src/learning/primal-dual/problem.ts';
import { trainSupervised, trainUnsupervised } from '../../src/learning/primal-dual/train.ts';
import { covarianceOfFactor, radarLeakage, splitFactor } from '../../src/metrics/beampattern.ts';
import { czeros } from '../../src/phy/complex.ts';
import { streamFor } from '../../src/phy/random.ts';
import { scalarWmmse } from '../../src/solvers/scalar-wmmse.ts';
import { close } from '../helpers.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/paper002/reference.json', import.meta.url), 'utf8'));

const wasmTest = wasmOnly(test, { fastGradients: true });


test('dual ascent μ ← [μ + η(ĝ − ε)]_+ on a hand-made sequence', () => {
  const eps = 0.15;
  const eta = 2;
  const observed = [0.2, 0.25, 0.1, 0.05, 0.05, 0.3, 0.15];
  // by hand: 0 → 0.1 → 0.3 → 0.2 → 0 (0.2 − 0.2) → 0 (projected from −0.2) → 0.3 → 0.3
  const want = [0, 0.1, 0.3, 0.2, 0, 0, 0.3, 0.3];
  const d = new DualVariable(eps, eta);
  observed.forEach((g) => d.update(g));
  assert.is(d.history.length, want.length);
  d.history.forEach((m, i) => close(m, want[i], 1e-12, `μ after ${i} updates`));
  assert.ok(d.history.every((m) => m >= 0));
  close(dualAscent(1, 0.15, 0.15, 10), 1, 1e-15, 'no violation, no change');
  close(dualAscent(0.5, 0.1, 0.15, 20), 0, 1e-15, 'projection onto μ ≥ 0');
  assert.throws(() => dualAscent(0, NaN, 0.1, 1), /observed constraint value is NaN/);
  assert.throws(() => new DualVariable(0.1, 1, -1), /μ⁰ must be ≥ 0/);
});

test('baselines: q⋆ is the least-L_r split (≤ a numpy brute force over a 0.5 % simplex grid, ≤ 300 random splits)', () => {
  const pb = paper002Problem();
  const total = pb.cfg.radarPowerW / pb.MR;
  close(pb.bestSplit.reduce((a, b) => a + b, 0), total, 1e-12, 'Σ q⋆ = P_R/M_R');
  const grid = ref.beampattern.bestSplitGrid;
  assert.ok(pb.bestSplitLoss.total <= grid.total + 1e-12, `q⋆ ${pb.bestSplitLoss.total} vs grid ${grid.total}`);
  assert.ok(pb.bestSplitLoss.total >= grid.total - 1e-4, 'and close to it');
  for (let p = 0; p < 3; p++) assert.ok(Math.abs(pb.bestSplit[p] - grid.q[p]) < 0.01 * total, `q⋆[${p}] near the grid optimum`);
  const rng = streamFor(1, 'pd-qstar');
  for (let i = 0; i < 300; i++) {
    const w = [rng.uniform(), rng.uniform(), rng.uniform()];
    const s = w[0] + w[1] + w[2];
    assert.ok(splitLoss(pb.spec, pb.beams, w.map((v) => (v / s) * total)).total >= pb.bestSplitLoss.total - 1e-12);
  }
});

test('baselines: WMMSE powers equal scalarWmmse with σ_k² = N_0 + f_kᵀR⋆f_k* from eq. (11); equal = P_max; random ∈ [0, P_max], seeded', () => {
  const pb = paper002Problem();
  const set = channelSet(pb, drawChannels(pb, 3, 0, 6));
  const w = wmmseAllocation(pb, set);
  const R = covarianceOfFactor(splitFactor(pb.beams, pb.MR, pb.bestSplit), pb.P, pb.MR);
  for (let s = 0; s < set.n; s++) {
    const G = czeros(pb.K * pb.MC);
    const Fr = czeros(pb.K * pb.MR);
    for (let k = 0; k < pb.K; k++) {
      G.set(commChannel(pb, set.H, s, k), 2 * k * pb.MC);
      Fr.set(radarChannel(pb, set.H, s, k), 2 * k * pb.MR);
    }
    const leak = radarLeakage({ numUsers: pb.K, numCommAnt: pb.MC, numRadarAnt: pb.MR, G, Fr, F: czeros(pb.K * pb.MC), R, noiseW: pb.noiseW });
    // amplitudes |g_kᵀ u_l| with u_l = conj(g_l)/‖g_l‖, from the channels directly
    const amp = new Float64Array(pb.K * pb.K);
    for (let k = 0; k < pb.K; k++) {
      for (let l = 0; l < pb.K; l++) {
        let re = 0;
        let im = 0;
        let n2 = 0;
        for (let i = 0; i < pb.MC; i++) n2 += G[2 * (l * pb.MC + i)] ** 2 + G[2 * (l * pb.MC + i) + 1] ** 2;
        for (let i = 0; i < pb.MC; i++) {
          const [ar, ai] = [G[2 * (k * pb.MC + i)], G[2 * (k * pb.MC + i) + 1]];
          const [br, bi] = [G[2 * (l * pb.MC + i)], -G[2 * (l * pb.MC + i) + 1]];
          re += ar * br - ai * bi;
          im += ar * bi + ai * br;
        }
        amp[k * pb.K + l] = Math.hypot(re, im) / Math.sqrt(n2);
      }
    }
    const want = scalarWmmse({ numUsers: pb.K, amplitude: amp, noiseW: leak.map((v) => v + pb.noiseW), powerMaxW: pb.cfg.powerMaxW }, WMMSE_OPTIONS).powerW;
    for (let k = 0; k < pb.K; k++) close(w.p[s * pb.K + k], want[k], 1e-9, `sample ${s} user ${k}`);
  }
  const eq = equalAllocation(pb, 4);
  assert.ok(eq.p.every((p) => p === pb.cfg.powerMaxW));
  const r1 = randomAllocation(pb, 400, 5);
  const r2 = randomAllocation(pb, 400, 5);
  assert.equal(Array.from(r1.p), Array.from(r2.p));
  assert.ok(r1.p.every((p) => p >= 0 && p < pb.cfg.powerMaxW));
  const mean = r1.p.reduce((a, b) => a + b, 0) / r1.p.length;
  assert.ok(Math.abs(mean - pb.cfg.powerMaxW / 2) < 0.05 * pb.cfg.powerMaxW, `mean random power ${mean}`);
  // WMMSE beats equal power on average (it starts there and never lowers the rate)
  const ew = evaluateAllocation(pb, set, w);
  const ee = evaluateAllocation(pb, set, equalAllocation(pb, set.n));
  for (let s = 0; s < set.n; s++) assert.ok(ew.rates[s] >= ee.rates[s] - 1e-9, `sample ${s}`);
  assert.ok(Math.abs(ew.meanLr - pb.bestSplitLoss.total) < 1e-12, 'baselines sense with q⋆');
});

test('WMMSE-labelled datasets (labels.ts) are reproducible from the seed and hold scalar WMMSE powers / P_max', () => {
  const pb = paper002Problem({ numUsers: 3, numCommAnt: 6, numRadarAnt: 8 });
  const opts = { generator: paper002Generator(pb), label: wmmseLabels(pb), n: 12, seed: 7 };
  const a = labelledDataset(opts).dataset;
  const b = labelledDataset(opts).dataset;
  assert.is(a.hash, b.hash);
  assert.equal(Array.from(a.labels), Array.from(b.labels));
  assert.equal(Array.from(a.data.H), Array.from(b.data.H));
  // the dataset's channels are the per-sample streams drawChannels reads
  assert.equal(Array.from(a.data.H), Array.from(drawChannels(pb, 7, 0, 12)));
  const other = labelledDataset({ ...opts, seed: 8 }).dataset;
  assert.not.equal(other.hash, a.hash);
  const set = channelSet(pb, a.data.H);
  const w = wmmseAllocation(pb, set);
  for (let i = 0; i < a.n; i++) {
    const lab = a.labels.subarray(i * pb.K, (i + 1) * pb.K);
    for (let k = 0; k < pb.K; k++) close(lab[k], w.p[i * pb.K + k] / pb.cfg.powerMaxW, 1e-6, `label ${i}/${k}`);
    assert.is(sampleField(a, 'H', i).length, 2 * pb.K * pb.M);
  }
});

wasmTest('the network: 2K → 3K → 2K hidden ReLU layers, head K + P, truncated-normal kernels (|w| ≤ 2σ), biases 0.01, seeded', (tf) => {
  const pb = paper002Problem();
  assert.equal(paperHiddenDims(5), [10, 15, 10]);
  assert.equal(paperHiddenDims(5, 4), [40, 60, 40]);
  const cfg = stage1NetConfig(pb, 3);
  assert.is(cfg.inputDim, 240);
  assert.is(stage1NetConfig(pb, 3, 'gains').inputDim, featureDim(pb, 'gains'));
  assert.is(featureDim(pb, 'gains'), 25 + 15);
  assert.is(cfg.outputDim, 8);
  const m = createPrimalDualNet(tf, cfg);
  assert.equal(m.layers.map((l) => l.getClassName()), ['Dense', 'LeakyReLU', 'Dense', 'LeakyReLU', 'Dense', 'LeakyReLU', 'Dense']);
  const dense = m.layers.filter((l) => l.getClassName() === 'Dense');
  const fans = [240, 10, 15, 10];
  dense.forEach((l, i) => {
    const [k, b] = l.getWeights();
    const sigma = 1 / Math.sqrt(fans[i]);
    const w = Float32Array.from(k.dataSync());
    assert.ok(w.every((v) => Math.abs(v) <= 2 * sigma * (1 + 1e-6)), `layer ${i}: within 2σ`);
    const sd = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    // a normal truncated at ±2σ has standard deviation 0.88σ
    if (w.length >= 150) assert.ok(Math.abs(sd / sigma - 0.88) < 0.15, `layer ${i}: std ${sd / sigma}σ`);
    assert.ok(b.dataSync().every((v) => Math.abs(v - 0.01) < 1e-7), `layer ${i}: biases 0.01`);
  });
  for (const l of m.layers.filter((l) => l.getClassName() === 'LeakyReLU')) assert.is((l.getConfig() as { alpha: number }).alpha, 0);
  const same = createPrimalDualNet(tf, cfg);
  const other = createPrimalDualNet(tf, stage1NetConfig(pb, 4));
  assert.equal(Array.from(same.getWeights()[0].dataSync()), Array.from(m.getWeights()[0].dataSync()));
  assert.not.equal(Array.from(other.getWeights()[0].dataSync()), Array.from(m.getWeights()[0].dataSync()));
  // head: p ∈ (0, P_max), Σ q = P_R/M_R
  const a = stage1Allocation(pb, Float32Array.from({ length: 16 }, (_, i) => i - 8), 2);
  assert.ok(a.p.every((p) => p > 0 && p < pb.cfg.powerMaxW));
  close(a.q[0] + a.q[1] + a.q[2], pb.cfg.radarPowerW / pb.MR, 1e-12);
});

/** A small problem whose trainings take a few seconds. */
function small(): Paper002Problem {
  return paper002Problem({ numUsers: 3, numCommAnt: 6, numRadarAnt: 8, targetsDeg: [-40, 30], epsilon: 0.2 });
}

wasmTest('unsupervised primal–dual training: the loss falls, μ is the dual ascent on its own batch means, the dual holds L_r where no-dual lets it rise, reproducible', (tf) => {
  const pb = small();
  const evalSet = channelSet(pb, drawChannels(pb, 99, 0, 100));
  const base = { iterations: 200, batchSize: 16, learningRate: 1e-2, seed: 1, evalEvery: 100, evalSet, features: 'gains' as const, logitPenalty: 0.01, dualStep: 2 };
  const dual = trainUnsupervised(tf, pb, { ...base, dual: true });
  const mean = (a: Float64Array, from: number, to: number) => a.subarray(from, to).reduce((x, y) => x + y, 0) / (to - from);
  assert.ok(mean(dual.batchLoss, 150, 200) < mean(dual.batchLoss, 0, 50), `loss falls: ${mean(dual.batchLoss, 0, 50)} → ${mean(dual.batchLoss, 150, 200)}`);
  assert.ok(dual.final.meanRate > dual.curve[0].rate, 'held-out rate rises');
  // μ_t = [μ_{t−1} + η (batch L_r_t − ε)]_+ exactly
  let mu = 0;
  for (let t = 0; t < base.iterations; t++) {
    mu = dualAscent(mu, dual.batchLr[t], pb.cfg.epsilon, base.dualStep);
    assert.is(dual.mu[t], mu, `μ at iteration ${t}`);
  }
  assert.ok(Math.max(...dual.mu) > 0, 'the constraint was active at some point');
  const noDual = trainUnsupervised(tf, pb, { ...base, dual: false });
  assert.ok(noDual.mu.every((m) => m === 0));
  assert.ok(noDual.final.meanLr > dual.final.meanLr, `no dual L_r ${noDual.final.meanLr} > dual ${dual.final.meanLr}`);
  assert.ok(noDual.final.meanLr > pb.cfg.epsilon, 'no dual violates the constraint');
  assert.ok(dual.final.meanLr < 1.05 * pb.cfg.epsilon, `dual meets it: ${dual.final.meanLr}`);
  // the same seed replays the same run: a 40-iteration run is the 200-iteration run's prefix
  const again = trainUnsupervised(tf, pb, { ...base, iterations: 40, evalEvery: 40, dual: true });
  assert.equal(Array.from(again.batchLoss), Array.from(dual.batchLoss.subarray(0, 40)));
  assert.equal(Array.from(again.mu), Array.from(dual.mu.subarray(0, 40)));
  assert.equal(again.curve[0], dual.curve[0]);
});

wasmTest('supervised training on WMMSE labels: the MSE falls and the policy senses with q⋆', (tf) => {
  const pb = small();
  const evalSet = channelSet(pb, drawChannels(pb, 99, 0, 100));
  const dataset = labelledDataset({ generator: paper002Generator(pb), label: wmmseLabels(pb), n: 320, seed: 3 }).dataset;
  const r = trainSupervised(tf, pb, { iterations: 200, batchSize: 32, learningRate: 1e-2, seed: 2, evalEvery: 100, evalSet, features: 'gains', dataset });
  const mean = (a: Float64Array, from: number, to: number) => a.subarray(from, to).reduce((x, y) => x + y, 0) / (to - from);
  assert.ok(mean(r.batchLoss, 150, 200) < 0.7 * mean(r.batchLoss, 0, 20), `MSE ${mean(r.batchLoss, 0, 20)} → ${mean(r.batchLoss, 150, 200)}`);
  close(r.final.meanLr, pb.bestSplitLoss.total, 1e-12, 'radar on q⋆');
  assert.throws(() => trainSupervised(tf, pb, { iterations: 1, batchSize: 32, learningRate: 1e-2, seed: 2, evalEvery: 1, evalSet, dataset: { ...dataset, labelSize: 2 } }), /labels of 2 values/);
});

test.run();
