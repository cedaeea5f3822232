/**
 * Paper 002's tf metrics (src/learning/primal-dual/losses.ts) against the float64 metrics of
 * src/metrics/beampattern.ts on random instances: the beampattern and L_r,1, L_r,2, L_r through
 * the factor path and the split path, the SINR of eq. (11) with the radar leakage, stage 1's
 * output head (p, q, exact diag(R)), and the gradient of the Lagrangian against finite
 * differences of the float64 objective.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import {
  beampatternSpec,
  beampatternOfFactor,
  covarianceOfFactor,
  isacSinrInto,
  radarLeakage,
  sensingLossOfFactor,
  splitFactor,
  sumRate,
} from '../../src/metrics/beampattern.ts';
import { czeros } from '../../src/phy/complex.ts';
import { streamFor } from '../../src/phy/random.ts';
import {
  beampatternTf,
  isacSinrTf,
  lagrangianTf,
  patternConstants,
  radarLeakageTf,
  sensingLossTf,
  splitConstants,
  splitCrossCorrelation,
  splitSensingLossTf,
  stage1Batch,
  stage1Beams,
  stage1Constants,
  stage1Metrics,
  stage1Powers,
  supervisedLossTf,
} from '../../src/learning/primal-dual/losses.ts';
import { stage1Allocation } from '../../src/learning/primal-dual/network.ts';
import { evaluateAllocation } from '../../src/learning/primal-dual/evaluate.ts';
import { channelSet, commChannel, drawChannels, paper002Problem, radarChannel, splitLoss, stage1SinrInto } from '../../src/learning/primal-dual/problem.ts';

let tf: Tf;
test.before(async () => {
  tf = (await initBackend('cpu')).tf;
});

/** max |a − b| / max(floor, |b|) */
function relDev(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  assert.is(a.length, b.length, 'sizes');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(b[i])));
  return d;
}

const spec = beampatternSpec({ numAnt: 8, targetsDeg: [-50, 10, 35], widthDeg: 10, radarPowerW: 0.2 });

function randomFactors(seed: number, B: number, rows: number, M: number, scale = 0.1): Float64Array {
  const rng = streamFor(seed, 'pd-losses-factors');
  const W = czeros(B * rows * M);
  rng.complexNormal(W, scale * scale);
  return W;
}

test('factor path: beampattern and L_r,1, L_r,2, L_r equal the float64 metrics (R̄ = scale·R)', () => {
  const c = patternConstants(tf, spec);
  for (const rows of [1, 3]) {
    const B = 3;
    const W = randomFactors(rows, B, rows, spec.numAnt);
    const Wt = tf.tensor3d(Float32Array.from(W), [B, rows, 2 * spec.numAnt]);
    const P = beampatternTf(tf, c, Wt).dataSync();
    const l = sensingLossTf(tf, c, Wt);
    const loss = [l.patternError.dataSync(), l.crossCorrelation.dataSync(), l.total.dataSync()].map((a) => Float64Array.from(a));
    tf.dispose([l.patternError, l.crossCorrelation, l.total]);
    for (let b = 0; b < B; b++) {
      const Wb = W.subarray(2 * b * rows * spec.numAnt, 2 * (b + 1) * rows * spec.numAnt);
      const want = beampatternOfFactor(spec.A, spec.numAnt, Wb, rows).map((v) => spec.scale * v);
      assert.ok(relDev(P.subarray(b * 181, (b + 1) * 181), want, 1e-3) < 2e-5, `rows ${rows} sample ${b}: pattern`);
      const ref = sensingLossOfFactor(spec, Wb, rows);
      assert.ok(relDev([loss[0][b], loss[1][b], loss[2][b]], [ref.patternError, ref.crossCorrelation, ref.total]) < 2e-5, `rows ${rows} sample ${b}: losses`);
    }
    Wt.dispose();
  }
  c.dispose();
});

test('split path: L_r of Σ q_p b_p b_pᴴ equals the float64 metric and the factor path; its float64 gradient equals finite differences', () => {
  const pb = paper002Problem({ numRadarAnt: 8, targetsDeg: [-50, 10, 35], radarPowerW: 0.2 });
  const sc = splitConstants(tf, pb.spec, pb.beams);
  const pc = patternConstants(tf, pb.spec);
  const rng = streamFor(2, 'pd-split');
  const B = 4;
  const q = Float64Array.from({ length: B * 3 }, () => rng.uniform() * 0.01);
  q[3] = 0; // a beam switched off
  const qt = tf.tensor2d(Float32Array.from(q), [B, 3]);
  const split = splitSensingLossTf(tf, sc, qt);
  const Wr = tf.tensor3d(Float32Array.from({ length: B * 3 * 16 }, (_, i) => {
    const b = Math.floor(i / 48);
    const p = Math.floor((i % 48) / 16);
    return Math.sqrt(q[b * 3 + p]) * pb.beams[(p * 16) + (i % 16)];
  }), [B, 3, 16]);
  const factor = sensingLossTf(tf, pc, Wr);
  for (let b = 0; b < B; b++) {
    const ref = splitLoss(pb.spec, pb.beams, q.subarray(b * 3, b * 3 + 3));
    const got = [split.patternError.dataSync()[b], split.crossCorrelation.dataSync()[b], split.total.dataSync()[b]];
    assert.ok(relDev(got, [ref.patternError, ref.crossCorrelation, ref.total]) < 2e-6, `sample ${b}: split vs float64 ${got} ${JSON.stringify(ref)}`);
    assert.ok(relDev(got, [factor.patternError.dataSync()[b], factor.crossCorrelation.dataSync()[b], factor.total.dataSync()[b]]) < 2e-5, `sample ${b}: split vs factor`);
  }
  // ∂L_r,2/∂q by central differences of the float64 metric
  const { grad } = splitCrossCorrelation(sc, q, B);
  const h = 1e-7;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < 3; p++) {
      const up = Float64Array.from(q.subarray(b * 3, b * 3 + 3));
      const dn = Float64Array.from(up);
      up[p] += h;
      dn[p] = Math.max(0, dn[p] - h);
      const fd = (splitLoss(pb.spec, pb.beams, up).crossCorrelation - splitLoss(pb.spec, pb.beams, dn).crossCorrelation) / (up[p] - dn[p]);
      assert.ok(Math.abs(grad[b * 3 + p] - fd) <= 1e-6 * Math.max(1, Math.abs(fd)), `∂L_r,2/∂q[${b},${p}]: ${grad[b * 3 + p]} vs ${fd}`);
    }
  }
  tf.dispose([qt, Wr, split.patternError, split.crossCorrelation, split.total, factor.patternError, factor.crossCorrelation, factor.total]);
  sc.dispose();
  pc.dispose();
});

test('SINR of eq. (11) and the radar leakage f_kᵀRf_k*: tf equals float64 on random beams', () => {
  const rng = streamFor(9, 'pd-sinr');
  const K = 4;
  const MC = 6;
  const MR = 5;
  const rows = 2;
  const B = 3;
  const G = czeros(B * K * MC);
  const Fr = czeros(B * K * MR);
  const F = czeros(B * K * MC);
  const W = czeros(B * rows * MR);
  rng.complexNormal(G);
  rng.complexNormal(Fr);
  rng.complexNormal(F, 0.01);
  rng.complexNormal(W, 0.004);
  // G2 / Fr2 row layout of losses.ts, built by hand here
  const rowsOf = (X: Float64Array, n: number) => {
    const out = new Float32Array(B * 2 * K * 2 * n);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < n; i++) {
          const re = X[2 * ((b * K + k) * n + i)];
          const im = X[2 * ((b * K + k) * n + i) + 1];
          const o = (b * 2 * K + 2 * k) * 2 * n;
          out.set([re, -im], o + 2 * i);
          out.set([im, re], o + 2 * n + 2 * i);
        }
      }
    }
    return tf.tensor3d(out, [B, 2 * K, 2 * n]);
  };
  const G2 = rowsOf(G, MC);
  const Fr2 = rowsOf(Fr, MR);
  const Ft = tf.tensor3d(Float32Array.from(F), [B, K, 2 * MC]);
  const Wt = tf.tensor3d(Float32Array.from(W), [B, rows, 2 * MR]);
  const noiseW = 0.003;
  const sinr = isacSinrTf(tf, G2 as Tensor3D, Ft, Fr2 as Tensor3D, Wt, noiseW).dataSync();
  const leak = radarLeakageTf(tf, Fr2 as Tensor3D, Wt).dataSync();
  for (let b = 0; b < B; b++) {
    const input = {
      numUsers: K,
      numCommAnt: MC,
      numRadarAnt: MR,
      G: G.subarray(2 * b * K * MC, 2 * (b + 1) * K * MC),
      Fr: Fr.subarray(2 * b * K * MR, 2 * (b + 1) * K * MR),
      F: F.subarray(2 * b * K * MC, 2 * (b + 1) * K * MC),
      radarFactor: { W: W.subarray(2 * b * rows * MR, 2 * (b + 1) * rows * MR), rows },
      noiseW,
    };
    const want = isacSinrInto(new Float64Array(K), input);
    assert.ok(relDev(sinr.subarray(b * K, (b + 1) * K), want) < 2e-6, `sample ${b}: SINR`);
    assert.ok(relDev(leak.subarray(b * K, (b + 1) * K), radarLeakage(input)) < 2e-6, `sample ${b}: leakage`);
  }
  tf.dispose([G2, Fr2, Ft, Wt]);
});

test('stage 1: the scalar SINR form equals eq. (11) on the built beams (float64), and the tf head, beams and rates equal it', () => {
  const pb = paper002Problem({ numUsers: 3, numCommAnt: 6, numRadarAnt: 8 });
  const B = 5;
  const set = channelSet(pb, drawChannels(pb, 4, 0, B));
  const rng = streamFor(5, 'pd-stage1');
  const z = Float32Array.from({ length: B * (pb.K + pb.P) }, () => 2 * rng.normal());
  z[pb.K] = 30; // a softmax that puts (almost) everything on one beam
  const alloc = stage1Allocation(pb, z, B);
  const c = stage1Constants(tf, pb);
  const batch = stage1Batch(tf, pb, set, 0, B);
  const zt = tf.tensor2d(z, [B, pb.K + pb.P]);
  const heads = stage1Powers(tf, c, zt);
  assert.ok(relDev(heads.p.dataSync(), alloc.p) < 1e-6, 'p');
  assert.ok(relDev(heads.q.dataSync(), alloc.q, 1e-9) < 1e-5, 'q');
  const { F, Wr } = stage1Beams(tf, c, batch, zt);
  const Fv = F.dataSync();
  const Wv = Wr.dataSync();
  const m = stage1Metrics(tf, c, batch, zt);
  const rate = m.rate.dataSync();
  const lr = m.sensing.total.dataSync();
  const factorLr = stage1Metrics(tf, c, batch, zt, { sensing: 'factor' }).sensing.total.dataSync();
  const eq11Rate = stage1Metrics(tf, c, batch, zt, { rate: 'eq11' }).rate.dataSync();
  const e = evaluateAllocation(pb, set, alloc);
  for (let s = 0; s < B; s++) {
    // diag(R) = P_R/M_R exactly by construction (float32 beams here)
    const R = covarianceOfFactor(Float64Array.from(Wv.subarray(s * pb.P * 2 * pb.MR, (s + 1) * pb.P * 2 * pb.MR)), pb.P, pb.MR);
    for (let i = 0; i < pb.MR; i++) assert.ok(Math.abs(R[2 * (i * pb.MR + i)] / (pb.cfg.radarPowerW / pb.MR) - 1) < 1e-6, `diag(R)[${i}]`);
    // eq. (11) on F = √p u, R = Σ q b bᴴ, in float64, against the scalar form
    const G = czeros(pb.K * pb.MC);
    const Fr = czeros(pb.K * pb.MR);
    const Fb = czeros(pb.K * pb.MC);
    for (let k = 0; k < pb.K; k++) {
      G.set(commChannel(pb, set.H, s, k), 2 * k * pb.MC);
      Fr.set(radarChannel(pb, set.H, s, k), 2 * k * pb.MR);
      for (let i = 0; i < 2 * pb.MC; i++) Fb[2 * k * pb.MC + i] = Math.sqrt(alloc.p[s * pb.K + k]) * set.U[2 * (s * pb.K + k) * pb.MC + i];
    }
    const W = splitFactor(pb.beams, pb.MR, alloc.q.subarray(s * pb.P, (s + 1) * pb.P));
    const eq11 = isacSinrInto(new Float64Array(pb.K), { numUsers: pb.K, numCommAnt: pb.MC, numRadarAnt: pb.MR, G, Fr, F: Fb, radarFactor: { W, rows: pb.P }, noiseW: pb.noiseW });
    const scalar = stage1SinrInto(new Float64Array(pb.K), pb, set, s, alloc.p, alloc.q, s * pb.K, s * pb.P);
    assert.ok(relDev(scalar, eq11) < 1e-12, `sample ${s}: scalar form vs eq. (11)`);
    assert.ok(relDev(Fv.subarray(s * pb.K * 2 * pb.MC, (s + 1) * pb.K * 2 * pb.MC), Fb, 1e-3) < 1e-5, 'F');
    assert.ok(Math.abs(rate[s] - sumRate(eq11)) < 2e-5 * Math.max(1, sumRate(eq11)), `sample ${s}: rate ${rate[s]} vs ${sumRate(eq11)}`);
    assert.ok(Math.abs(rate[s] - e.rates[s]) < 2e-5 * e.rates[s], 'rate vs evaluateAllocation');
    assert.ok(Math.abs(eq11Rate[s] - e.rates[s]) < 2e-5 * e.rates[s], 'eq. (11) tf path vs evaluateAllocation');
    assert.ok(relDev([lr[s], factorLr[s]], [e.lr[s], e.lr[s]]) < 2e-5, `sample ${s}: L_r`);
  }
  c.dispose();
  tf.dispose([batch.x, batch.G2, batch.Fr2, batch.U, zt]);
});

test('the Lagrangian −mean R + μ(mean L_r − ε) and its gradient in z equal the float64 objective and its finite differences', () => {
  const pb = paper002Problem({ numUsers: 3, numCommAnt: 6, numRadarAnt: 8 });
  const B = 4;
  const set = channelSet(pb, drawChannels(pb, 8, 0, B));
  const c = stage1Constants(tf, pb);
  const batch = stage1Batch(tf, pb, set, 0, B);
  const rng = streamFor(6, 'pd-lagrangian');
  const z = Float64Array.from({ length: B * (pb.K + pb.P) }, () => rng.normal());
  const mu = 3.5;
  const eps = pb.cfg.epsilon;
  const objective = (zz: Float64Array) => {
    const e = evaluateAllocation(pb, set, stage1Allocation(pb, zz, B));
    return -e.meanRate + mu * (e.meanLr - eps);
  };
  const zt = tf.tensor2d(Float32Array.from(z), [B, pb.K + pb.P]);
  const rho = 0.02;
  const withPenalty = (zz: Float64Array) => {
    let pen = 0;
    for (let s = 0; s < B; s++) for (let k = 0; k < pb.K; k++) pen += zz[s * (pb.K + pb.P) + k] ** 2;
    return objective(zz) + (rho * pen) / (B * pb.K);
  };
  for (const rate of ['scalar', 'eq11'] as const) {
    for (const sensing of ['split', 'factor'] as const) {
      const { value, grad } = tf.valueAndGrad((x: Tensor2D) => lagrangianTf(tf, c, batch, x, mu, eps, rho, { rate, sensing }).loss as import('@tensorflow/tfjs').Scalar)(zt);
      const want = withPenalty(z);
      assert.ok(Math.abs(value.dataSync()[0] - want) < 2e-5 * Math.abs(want), `${rate}/${sensing}: value`);
      const g = grad.dataSync();
      const h = 1e-4;
      let worst = 0;
      for (let i = 0; i < z.length; i++) {
        const up = Float64Array.from(z);
        const dn = Float64Array.from(z);
        up[i] += h;
        dn[i] -= h;
        const fd = (withPenalty(up) - withPenalty(dn)) / (2 * h);
        worst = Math.max(worst, Math.abs(g[i] - fd) / Math.max(0.05, Math.abs(fd)));
      }
      assert.ok(worst < 2e-3, `${rate}/${sensing}: worst relative gradient error ${worst}`);
    }
  }
  // supervised loss: MSE of σ(z_{1..K}) against the labels
  const labels = tf.tensor2d(Float32Array.from({ length: B * pb.K }, (_, i) => (i % 3) / 2), [B, pb.K]);
  let mse = 0;
  for (let s = 0; s < B; s++) for (let k = 0; k < pb.K; k++) mse += (1 / (1 + Math.exp(-z[s * (pb.K + pb.P) + k])) - ((s * pb.K + k) % 3) / 2) ** 2;
  assert.ok(Math.abs(supervisedLossTf(tf, c, zt, labels).dataSync()[0] - mse / (B * pb.K)) < 1e-6);
  c.dispose();
  tf.dispose([batch.x, batch.G2, batch.Fr2, batch.U, zt, labels]);
});

test('sampled L_r,2 (training estimate): stride 1 is exact, and the mean over the stride offsets is exactly the full value and gradient', () => {
  const pb = paper002Problem();
  const sc = splitConstants(tf, pb.spec, pb.beams);
  const rng = streamFor(12, 'pd-sampling');
  const B = 3;
  const q = Float64Array.from({ length: B * 3 }, () => rng.uniform() * 0.005);
  const full = splitCrossCorrelation(sc, q, B);
  const one = splitCrossCorrelation(sc, q, B, { stride: 1, offset: 0 });
  assert.equal(Array.from(one.value), Array.from(full.value));
  for (const stride of [2, 7, 8]) {
    const v = new Float64Array(B);
    const g = new Float64Array(B * 3);
    for (let offset = 0; offset < stride; offset++) {
      const e = splitCrossCorrelation(sc, q, B, { stride, offset });
      e.value.forEach((x, i) => (v[i] += x / stride));
      e.grad.forEach((x, i) => (g[i] += x / stride));
    }
    assert.ok(relDev(v, full.value) < 1e-12, `stride ${stride}: value`);
    assert.ok(relDev(g, full.grad) < 1e-12, `stride ${stride}: gradient`);
    // one offset alone is an estimate, not the value
    assert.ok(splitCrossCorrelation(sc, q, B, { stride, offset: 1 }).value[0] !== full.value[0]);
  }
  assert.throws(() => splitCrossCorrelation(sc, q, B, { stride: 4, offset: 4 }), /0 ≤ offset < stride/);
  sc.dispose();
});

test.run();
