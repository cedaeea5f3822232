/**
 * Paper 002 stage 2 (src/learning/primal-dual/stage2*.ts, train-stage2.ts, experiment-stage2.ts):
 * the head's diag(R) = P_R/M_R exact (float64 and tf), R Hermitian PSD; the communication basis
 * (MRT directions + an orthonormal complement) and its inverse; MRT as the constant output; the tf
 * rate and L_r equal the float64 ones; MISO WMMSE with the leakage folded into the channels equals
 * its solver's own rate and beats MRT; transfer trains only the head; the "Done when" arithmetic.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasmOnly } from './wasm-only.ts';
import { stage2Checks, type BeamformingResult } from '../../src/learning/primal-dual/experiment-stage2.ts';
import { patternConstants } from '../../src/learning/primal-dual/losses.ts';
import { channelSet, commChannel, drawChannels, featuresOf, paper002Problem, radarChannel } from '../../src/learning/primal-dual/problem.ts';
import { MISO_WMMSE_OPTIONS, misoWmmseDecision, mrtDecision } from '../../src/learning/primal-dual/stage2-baselines.ts';
import {
  coefficientsOf,
  commBasis,
  disposeStage2Batch,
  evaluateBeams,
  radarCovariance,
  stage2Batch,
  stage2BeamsTf,
  stage2Constants,
  stage2Decision,
  stage2LagrangianTf,
  stage2OutputDim,
  stage2RateTf,
} from '../../src/learning/primal-dual/stage2.ts';
import { trainStage2 } from '../../src/learning/primal-dual/train-stage2.ts';
import { trainUnsupervised } from '../../src/learning/primal-dual/train.ts';
import { eigHermitian } from '../../src/phy/eig.ts';
import { covarianceOfFactor, radarLeakage, sensingLossOfFactor, splitFactor } from '../../src/metrics/beampattern.ts';
import { jtWmmse } from '../../src/solvers/jt-wmmse.ts';
import { streamFor } from '../../src/phy/random.ts';
import { close } from '../helpers.ts';

const wasmTest = wasmOnly(test, { fastGradients: true });


const pb = paper002Problem();
const set = channelSet(pb, drawChannels(pb, 11, 0, 6));
const basis = commBasis(pb, set);
function randomOutputs(n: number, seed: number): Float64Array {
  const rng = streamFor(seed, 'pd-stage2-z');
  return Float64Array.from({ length: n * stage2OutputDim(pb) }, () => rng.normal() * 3);
}

test('head: diag(R) = P_R/M_R exactly, R = Rᴴ ⪰ 0, and Σ‖F_k‖² = K·P_max for arbitrary outputs', () => {
  const z = randomOutputs(set.n, 1);
  const d = stage2Decision(pb, basis, z, set.n);
  const want = pb.cfg.radarPowerW / pb.MR;
  for (let s = 0; s < set.n; s++) {
    const R = radarCovariance(pb, d, s);
    for (let i = 0; i < pb.MR; i++) {
      close(R[2 * (i * pb.MR + i)], want, 1e-14, `sample ${s} R_${i}${i}`);
      assert.is(R[2 * (i * pb.MR + i) + 1], 0, 'real diagonal');
      for (let j = 0; j < pb.MR; j++) {
        close(R[2 * (i * pb.MR + j)], R[2 * (j * pb.MR + i)], 1e-15, 'Hermitian (re)');
        close(R[2 * (i * pb.MR + j) + 1], -R[2 * (j * pb.MR + i) + 1], 1e-15, 'Hermitian (im)');
      }
    }
    const ev = eigHermitian(R, pb.MR).values;
    assert.ok(Math.min(...ev) > -1e-15, `PSD: least eigenvalue ${Math.min(...ev)}`);
    let f2 = 0;
    for (let i = 0; i < pb.K * pb.MC * 2; i++) f2 += d.F[s * pb.K * pb.MC * 2 + i] ** 2;
    close(f2, pb.K * pb.cfg.powerMaxW, 1e-12, 'full per-BS power');
  }
});

test('basis: rows 1…K are the MRT directions, the rest orthonormal and ⟂ span(u); coefficientsOf inverts F = Σ_j c_j b_j', () => {
  const { K, MC } = pb;
  const row = (s: number, j: number) => basis.subarray((s * MC + j) * MC * 2, (s * MC + j + 1) * MC * 2);
  const inner = (a: Float64Array, b: Float64Array) => {
    let re = 0;
    let im = 0;
    for (let i = 0; i < MC; i++) {
      re += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
      im += a[2 * i] * b[2 * i + 1] - a[2 * i + 1] * b[2 * i];
    }
    return [re, im];
  };
  const rng = streamFor(3, 'pd-stage2-F');
  for (let s = 0; s < set.n; s++) {
    for (let k = 0; k < K; k++) for (let i = 0; i < 2 * MC; i++) assert.is(row(s, k)[i], set.U[(s * K + k) * 2 * MC + i]);
    for (let j = K; j < MC; j++) {
      for (let l = 0; l < MC; l++) {
        const [re, im] = inner(row(s, l), row(s, j));
        if (l === j) close(re, 1, 1e-12, `‖b_${j}‖`);
        else if (l < K || l > j) {
          close(re, 0, 1e-12, `b_${l}ᴴ b_${j} (re)`);
          close(im, 0, 1e-12, `b_${l}ᴴ b_${j} (im)`);
        }
      }
    }
    const F = Float64Array.from({ length: K * MC * 2 }, () => rng.normal());
    const c = coefficientsOf(pb, basis, s, F);
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < MC; i++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < MC; j++) {
          const [cr, ci] = [c[2 * (k * MC + j)], c[2 * (k * MC + j) + 1]];
          const [br, bi] = [row(s, j)[2 * i], row(s, j)[2 * i + 1]];
          re += cr * br - ci * bi;
          im += cr * bi + ci * br;
        }
        close(re, F[2 * (k * MC + i)], 1e-10, 'reconstruction (re)');
        close(im, F[2 * (k * MC + i) + 1], 1e-10, 'reconstruction (im)');
      }
    }
  }
});

test('head: the constant output c_k = e_k is MRT at P_max per user (the mrt baseline, built independently)', () => {
  const { K, M, MR } = pb;
  const z = randomOutputs(set.n, 2);
  for (let s = 0; s < set.n; s++) {
    for (let k = 0; k < K; k++) {
      for (let i = MR; i < M; i++) {
        z[s * 2 * M * K + k * M + i] = i - MR === k ? 1 : 0;
        z[s * 2 * M * K + M * K + k * M + i] = 0;
      }
    }
  }
  const d = stage2Decision(pb, basis, z, set.n);
  const mrt = mrtDecision(pb, set);
  for (let i = 0; i < d.F.length; i++) close(d.F[i], mrt.F[i], 1e-12, `F[${i}]`);
});

wasmTest('tf head and loss equal the float64 decision and scores (rate of eq. 11, L_r of each R, diag(R) in float32)', (tf) => {
  const z = randomOutputs(set.n, 4);
  const d = stage2Decision(pb, basis, z, set.n);
  const ev = evaluateBeams(pb, set, d);
  const pattern = patternConstants(tf, pb.spec);
  const c = stage2Constants(tf, pb, pattern);
  const batch = stage2Batch(tf, pb, set, basis, 0, set.n, 'gains');
  try {
    const zt = tf.tensor2d(Float32Array.from(z), [set.n, stage2OutputDim(pb)]);
    const { F, Wr } = stage2BeamsTf(tf, c, batch, zt);
    const Fv = F.dataSync();
    const Wv = Wr.dataSync();
    for (let i = 0; i < Fv.length; i++) assert.ok(Math.abs(Fv[i] - d.F[i]) < 1e-5, `F[${i}] ${Fv[i]} vs ${d.F[i]}`);
    for (let i = 0; i < Wv.length; i++) assert.ok(Math.abs(Wv[i] - d.radar[i]) < 1e-6, `W̃_R[${i}]`);
    const rate = stage2RateTf(tf, c, batch, zt).dataSync();
    for (let s = 0; s < set.n; s++) close(rate[s], ev.rates[s], 1e-4, `rate of sample ${s}`);
    const l = stage2LagrangianTf(tf, c, batch, zt, 0, pb.cfg.epsilon);
    close(l.meanRate.dataSync()[0], ev.meanRate, 1e-4, 'mean rate');
    close(l.meanLr.dataSync()[0], ev.meanLr, 1e-4, 'mean L_r');
    // an independent L_r: the float64 factor path on the tf factor
    for (let s = 0; s < set.n; s++) close(sensingLossOfFactor(pb.spec, Float64Array.from(Wv.subarray(s * pb.K * pb.MR * 2, (s + 1) * pb.K * pb.MR * 2)), pb.K).total, ev.lr[s], 1e-5, `L_r of sample ${s}`);
    tf.dispose([zt, F, Wr, l.loss, l.meanRate, l.meanLr]);
  } finally {
    disposeStage2Batch(tf, batch);
    c.dispose();
    pattern.dispose();
  }
});

test('MISO WMMSE (leakage folded into the channels): its eq.-(11) rate is the solver\'s own rate on the folded problem, above MRT on every sample, within K·P_max', () => {
  const w = misoWmmseDecision(pb, set);
  const m = mrtDecision(pb, set);
  const ew = evaluateBeams(pb, set, w);
  const em = evaluateBeams(pb, set, m);
  for (let s = 0; s < set.n; s++) {
    assert.ok(ew.rates[s] > em.rates[s], `sample ${s}: WMMSE ${ew.rates[s]} vs MRT ${em.rates[s]}`);
    let f2 = 0;
    for (let i = 0; i < pb.K * pb.MC * 2; i++) f2 += w.F[s * pb.K * pb.MC * 2 + i] ** 2;
    assert.ok(f2 <= pb.K * pb.cfg.powerMaxW * (1 + 1e-9), `budget: ${f2}`);
  }
  // the radar of both is q⋆ (the split family's least L_r)
  close(ew.meanLr, pb.bestSplitLoss.total, 1e-12, 'L_r of q⋆');
  // the folding: WMMSE run here on h_k = conj(g_k)·√(N_0/σ_k²), σ_k² = N_0 + f_kᵀR⋆f_k* from the
  // channels directly; its own weighted sum rate must equal the eq.-(11) rate of the module's beams
  const R = covarianceOfFactor(splitFactor(pb.beams, pb.MR, pb.bestSplit), pb.P, pb.MR);
  for (let s = 0; s < set.n; s++) {
    const H = new Float64Array(2 * pb.K * pb.MC);
    const G = new Float64Array(2 * pb.K * pb.MC);
    const Fr = new Float64Array(2 * pb.K * pb.MR);
    for (let k = 0; k < pb.K; k++) {
      G.set(commChannel(pb, set.H, s, k), 2 * k * pb.MC);
      Fr.set(radarChannel(pb, set.H, s, k), 2 * k * pb.MR);
    }
    const leak = radarLeakage({ numUsers: pb.K, numCommAnt: pb.MC, numRadarAnt: pb.MR, G, Fr, F: new Float64Array(2 * pb.K * pb.MC), R, noiseW: pb.noiseW });
    for (let k = 0; k < pb.K; k++) {
      const a = Math.sqrt(pb.noiseW / (pb.noiseW + leak[k]));
      for (let i = 0; i < pb.MC; i++) {
        H[2 * (k * pb.MC + i)] = a * G[2 * (k * pb.MC + i)];
        H[2 * (k * pb.MC + i) + 1] = -a * G[2 * (k * pb.MC + i) + 1];
      }
    }
    const r = jtWmmse({ numAps: 1, numUsers: pb.K, numTxAnt: pb.MC, H, serving: new Uint8Array(pb.K).fill(1), powerW: Float64Array.of(pb.K * pb.cfg.powerMaxW), noiseW: pb.noiseW }, MISO_WMMSE_OPTIONS);
    close(ew.rates[s], r.wsrTrace[r.wsrTrace.length - 1], 1e-9, `sample ${s}: eq.-(11) rate of the WMMSE beams vs the solver's own`);
  }
});

wasmTest('transfer trains only the head (hidden weights bit-identical to stage 1), direct trains every layer; L_r and rate finite', (tf) => {
  const evalSet = channelSet(pb, drawChannels(pb, 7, 0, 16));
  const s1 = trainUnsupervised(tf, pb, { iterations: 3, batchSize: 8, learningRate: 1e-3, seed: 5, evalEvery: 3, evalSet, features: 'gains', dual: true, dualStep: 1, logitPenalty: 0.01, pairStride: 8 });
  const before = s1.model.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.getWeights().map((t) => Array.from(t.dataSync())));
  const common = { iterations: 3, batchSize: 8, learningRate: 1e-2, seed: 6, evalEvery: 3, evalSet, features: 'gains' as const, dualStep: 1, sensingSamples: 4 };
  const t = trainStage2(tf, pb, { ...common, mode: 'transfer', stage1: s1.model, mu0: 0.5 });
  const dense = t.model.layers.filter((l) => l.getClassName() === 'Dense');
  for (let i = 0; i < dense.length - 1; i++) {
    const w = dense[i].getWeights().map((x) => Array.from(x.dataSync()));
    assert.equal(w, before[i], `hidden layer ${i} unchanged`);
  }
  assert.is(t.trainedParams, 10 * stage2OutputDim(pb) + stage2OutputDim(pb), 'head parameters 2K·2MK + 2MK');
  assert.ok(t.curve.every((p) => Number.isFinite(p.rate) && Number.isFinite(p.lr)));
  close(t.curve[0].mu, 0.5, 1e-15, 'μ⁰ from stage 1');
  const d = trainStage2(tf, pb, { ...common, mode: 'direct' });
  assert.is(d.trainedParams, d.model.countParams());
  // the transfer head's input is the stage-1 trunk: the same features through the same hidden layers
  const x = tf.tensor2d(featuresOf(evalSet, 'gains').subarray(0, 40), [1, 40]);
  const h1 = tf.tidy(() => {
    let h: import('@tensorflow/tfjs').Tensor = x;
    for (const l of s1.model.layers.slice(0, -1)) h = l.apply(h) as import('@tensorflow/tfjs').Tensor;
    return Array.from(h.dataSync());
  });
  const h2 = tf.tidy(() => {
    let h: import('@tensorflow/tfjs').Tensor = x;
    for (const l of t.model.layers.slice(0, -1)) h = l.apply(h) as import('@tensorflow/tfjs').Tensor;
    return Array.from(h.dataSync());
  });
  assert.equal(h2, h1);
  tf.dispose(x);
  [s1.model, t.model, d.model].forEach((m) => m.dispose());
});

test('"Done when" arithmetic: transfer vs direct (98 % of direct within half its iterations) and L_r falling with M_R', () => {
  const curve = (pts: Array<[number, number]>) => pts.map(([iteration, rate]) => ({ iteration, rate, lr: 0.15, violationShare: 0, mu: 1 }));
  const ev = (rate: number) => ({ n: 1, rates: new Float64Array(1), lr: new Float64Array(1), meanRate: rate, meanLr: 0.15, meanLr1: 0, meanLr2: 0, violationShare: 0 });
  const mk = (t: Array<[number, number]>, d: Array<[number, number]>): BeamformingResult => ({
    problem: pb,
    methods: [
      { method: 'transfer', evaluation: ev(t[t.length - 1][1]), pattern: new Float64Array(0), curve: curve(t) },
      { method: 'direct', evaluation: ev(d[d.length - 1][1]), pattern: new Float64Array(0), curve: curve(d) },
    ],
  });
  // direct 10 at 1000; transfer 9.79 at 500 (< 9.8), 9.8 at 600 → 600 > 500: not met
  let c = stage2Checks(mk([[0, 1], [500, 9.79], [600, 9.8], [1000, 9.9]], [[0, 1], [500, 9], [1000, 10]]), undefined);
  assert.is(c.transfer!.reachedAt, 600);
  close(c.transfer!.target, 9.8, 1e-12);
  assert.is(c.transfer!.pass, false);
  c = stage2Checks(mk([[0, 1], [500, 9.8], [1000, 9.9]], [[0, 1], [500, 9], [1000, 10]]), undefined);
  assert.is(c.transfer!.reachedAt, 500);
  assert.is(c.transfer!.pass, true);
  c = stage2Checks(mk([[0, 1], [1000, 9.7]], [[0, 1], [1000, 10]]), undefined);
  assert.is(c.transfer!.reachedAt, undefined);
  assert.is(c.transfer!.pass, false);
  const sweep = (a: number[], b: number[]) => a.map((x, i) => ({ mr: 10 + 2 * i, stage1: x, stage2: b[i] }));
  assert.is(stage2Checks(undefined, sweep([0.3, 0.2, 0.1], [0.4, 0.3, 0.2])).lrVsMr!.pass, true);
  const bad = stage2Checks(undefined, sweep([0.3, 0.2, 0.1], [0.4, 0.3, 0.3])).lrVsMr!;
  assert.is(bad.stage1Falls, true);
  assert.is(bad.stage2Falls, false);
  assert.is(bad.pass, false);
});

test.run();
