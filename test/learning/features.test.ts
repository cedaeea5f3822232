/**
 * Feature modes and the SNR axis of the learned beamformers (issue 14): the per-link phase
 * invariance of paper 000's objective (against src/metrics/isac.ts), the SNR spread as an exact
 * change of P_T, inputs that carry SNR (log-gain) against inputs that do not (rms), the twin's
 * policy building the same features as training, and the schedule / early stopping.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../../src/learning/backend.ts';
import { registerFastGradients } from '../../src/learning/fast-gradients.ts';
import { drawDataset, featureScale, inputDim, sizes } from '../../src/learning/dataset.ts';
import { featureMatrix, featureSpecOf, fitLogGain, type FeatureSpec } from '../../src/learning/features.ts';
import { MlpRunner, readDenseLayers } from '../../src/learning/inference.ts';
import { createLearnedPolicy } from '../../src/learning/policies.ts';
import { scheduleState } from '../../src/learning/schedule.ts';
import { cellEdgeSnrDb, scaleSamples, snrSpread } from '../../src/learning/snr-axis.ts';
import { trainIsac } from '../../src/learning/train.ts';
import { emptySensingChannels, emptySlotMetrics, evaluateInto, type SensingChannels } from '../../src/metrics/isac.ts';
import type { Topology } from '../../src/phy/network.ts';
import { emptyView } from '../../src/sim/csi.ts';
import { close, relativeError, scenario, testRng } from '../helpers.ts';

const yaml = (dbm: number) => `
name: feat
seed: 5
topology: { numCells: 3, numTxAnt: 4, numRxAnt: 4, txPowerDbm: ${dbm} }
users: { perCell: 2 }
targets: { perCell: 2 }
`;
const lo = scenario(yaml(40));
const hi = scenario(yaml(60)); // +20 dB: amplitude ×10

/** Rotates every link (h_{m,u}, g_{t,n}, c_{t,i}) by its own random phase. */
function rotateLinks(topo: Topology, H: Float64Array, sens: SensingChannels, seed: number, wholeLink = true) {
  const rng = testRng('phase', seed);
  const nt = topo.numTxAnt;
  const rot = (a: Float64Array, link: number) => {
    const phi = 2 * Math.PI * rng.uniform();
    const c = Math.cos(phi);
    const s = Math.sin(phi);
    const n = wholeLink ? nt : 1; // control: rotate only the first entry of the link
    for (let i = 0; i < n; i++) {
      const o = 2 * (link * nt + i);
      const re = a[o];
      a[o] = re * c - a[o + 1] * s;
      a[o + 1] = re * s + a[o + 1] * c;
    }
  };
  const Hr = H.slice();
  for (let l = 0; l < topo.numBs * topo.numUsers; l++) rot(Hr, l);
  const sr = emptySensingChannels(topo);
  sr.g.set(sens.g);
  sr.intra.set(sens.intra);
  for (let l = 0; l < sr.g.length / (2 * nt); l++) rot(sr.g, l);
  for (let l = 0; l < sr.intra.length / (2 * nt); l++) rot(sr.intra, l);
  return { Hr, sr };
}

test('the objective is invariant to a phase rotation of any single link (metrics/isac.ts); rotating one antenna entry is not', () => {
  const topo = lo.topology;
  const got: Array<{ H: Float64Array; sens: SensingChannels }> = [];
  drawDataset(lo.scenario, topo, 4, 1, 'phase', (_n, st, sens) => {
    const copy = emptySensingChannels(topo);
    copy.g.set(sens.g);
    copy.intra.set(sens.intra);
    got.push({ H: st.H.slice(), sens: copy });
  });
  const out = emptySlotMetrics(topo);
  let controlMoved = 0;
  got.forEach(({ H, sens }, n) => {
    const rng = testRng('beams', n);
    const W = topo.servedUsers.map((u) => {
      const w = new Float64Array(2 * u.length * topo.numTxAnt);
      rng.complexNormal(w);
      return w;
    });
    evaluateInto(out, topo, H, sens, W, 0.5);
    const ref = { rc: out.rc, rs: out.rs };
    const { Hr, sr } = rotateLinks(topo, H, sens, n);
    evaluateInto(out, topo, Hr, sr, W, 0.5);
    close(out.rc, ref.rc, 1e-12, `sample ${n} R_c`);
    close(out.rs, ref.rs, 1e-12, `sample ${n} R_s`);
    const c = rotateLinks(topo, H, sens, n, false);
    evaluateInto(out, topo, c.Hr, c.sr, W, 0.5);
    controlMoved = Math.max(controlMoved, Math.abs(out.rc - ref.rc) + Math.abs(out.rs - ref.rs));
  });
  assert.ok(controlMoved > 1e-3, `rotating one entry per link changes the objective (${controlMoved})`);
  // and the log-gain features of the rotated channels are those of the originals
  const ds = drawDataset(lo.scenario, topo, 1, 1, 'phase');
  const spec: FeatureSpec = { mode: 'log-gain', ...fitLogGain(ds) };
  const rotated = drawDataset(lo.scenario, topo, 1, 1, 'phase', (_n, st, sens) => {
    const { Hr, sr } = rotateLinks(topo, st.H, sens, 0);
    st.H.set(Hr);
    sens.g.set(sr.g);
    sens.intra.set(sr.intra);
  });
  // drawDataset scales what onSample left in the state: the rotated sample's features
  for (let m = 0; m < topo.numBs; m++) {
    assert.ok(relativeError(featureMatrix(rotated, m, false, spec), featureMatrix(ds, m, false, spec)) < 1e-5, `BS ${m}: features of rotated links`);
  }
});

test('the SNR spread is exactly a change of P_T: a sample scaled by a equals the sample drawn at a²·P_T', () => {
  const a = drawDataset(lo.scenario, lo.topology, 6, 2, 'snr');
  const b = drawDataset(hi.scenario, hi.topology, 6, 2, 'snr');
  close(cellEdgeSnrDb(hi.scenario, hi.topology) - cellEdgeSnrDb(lo.scenario, lo.topology), 20, 1e-12);
  const scaled = scaleSamples(a, new Float64Array(6).fill(10));
  for (const k of ['H', 'G', 'I'] as const) assert.ok(relativeError(scaled[k], b[k]) < 1e-6, `${k}: ${relativeError(scaled[k], b[k])}`);
  // per-sample factors: seeded, uniform in dB over the range, relative to the base SNR
  const s1 = snrSpread(1000, [0, 30], 12, 9, 'train');
  const s2 = snrSpread(1000, [0, 30], 12, 9, 'train');
  assert.equal(Array.from(s1.factors), Array.from(s2.factors));
  s1.snrDb.forEach((snr, n) => close(20 * Math.log10(s1.factors[n]), snr - 12, 1e-9));
  assert.ok(Math.min(...s1.snrDb) >= 0 && Math.max(...s1.snrDb) <= 30);
  const mean = s1.snrDb.reduce((x, y) => x + y, 0) / 1000;
  assert.ok(Math.abs(mean - 15) < 1, `mean SNR ${mean}`);
});

test('rms inputs are the same at two SNRs (the scale cancels P_T); log-gain inputs differ by exactly the SNR step in the gain entries', () => {
  const a = drawDataset(lo.scenario, lo.topology, 5, 2, 'snr');
  const b = drawDataset(hi.scenario, hi.topology, 5, 2, 'snr');
  const d = a.dims;
  const nt = d.numTxAnt;
  for (let m = 0; m < d.numBs; m++) {
    const ra = featureMatrix(a, m, false, { mode: 'rms', scale: featureScale(a) });
    const rb = featureMatrix(b, m, false, { mode: 'rms', scale: featureScale(b) });
    assert.ok(relativeError(rb, ra) < 1e-5, `rms BS ${m}: the model cannot see the SNR`);
    const spec: FeatureSpec = { mode: 'log-gain', ...fitLogGain(a) };
    const la = featureMatrix(a, m, false, spec);
    const lb = featureMatrix(b, m, false, spec);
    let gainSteps = 0;
    for (let o = 0; o < la.length; o += 2 * nt) {
      const span = o % inputDim(d, false) < 2 * nt * sizes(d).numUsers ? spec.h.spanDb : spec.g.spanDb;
      close((lb[o] - la[o]) * span, 20, 1e-4, 'gain entry moves by 20 dB');
      gainSteps++;
      for (let i = 1; i < 2 * nt; i++) close(lb[o + i], la[o + i], 1e-5, 'direction entries do not move');
    }
    assert.is(gainSteps, 5 * (sizes(d).numUsers + sizes(d).numTargets));
  }
});

test('features in the twin’s policy equal the features in training on the same channel (both modes); metadata records the mode and the SNR range', async () => {
  const b = await initBackend();
  registerFastGradients(b.tf);
  const tf = b.tf;
  const topo = lo.topology;
  const ds = drawDataset(lo.scenario, topo, 256, 2, 'train');
  const phys: Array<{ H: Float64Array; sens: SensingChannels }> = [];
  const test = drawDataset(lo.scenario, topo, 3, 2, 'test', (_n, st, sens) => {
    const copy = emptySensingChannels(topo);
    copy.g.set(sens.g);
    copy.intra.set(sens.intra);
    phys.push({ H: st.H.slice(), sens: copy });
  });
  for (const features of ['rms', 'log-gain'] as const) {
    const dir = mkdtempSync(path.join(tmpdir(), `feat-${features}-`));
    try {
      const r = await trainIsac(tf, ds, {
        method: 'vfl', rho: 0.5, epochs: 1, hiddenDims: [16], batchSize: 64, learningRate: 1e-3, seed: 4, backend: tf.getBackend(),
        scenario: 'feat', scenarioHash: 'x', clockS: () => 0, outDir: dir, features,
        ...(features === 'log-gain' ? { snrRangeDb: [0, 30] as [number, number], baseSnrDb: cellEdgeSnrDb(lo.scenario, topo) } : {}),
      });
      const spec = featureSpecOf(r.meta);
      assert.is(spec.mode, features);
      assert.equal(r.meta.snrRangeDb, features === 'log-gain' ? [0, 30] : undefined);
      if (features === 'rms') assert.is(r.meta.features, undefined, 'rms models keep the old metadata');
      const policy = createLearnedPolicy('vfl', dir, topo);
      for (let m = 0; m < topo.numBs; m++) {
        const { layers, leakyAlpha } = readDenseLayers(path.join(dir, `bs${m}`));
        const y = new MlpRunner(layers, leakyAlpha).runBatch(featureMatrix(test, m, false, spec), 3);
        phys.forEach((p, n) => {
          const view = emptyView(topo, m);
          view.H.set(p.H);
          view.known.fill(1);
          view.sens.g.set(p.sens.g);
          view.sens.intra.set(p.sens.intra);
          view.targetSlot.fill(0);
          const W = policy.decide(m, view, { topo, rho: 0.5, slot: 0, rng: testRng('d') });
          const raw = y.subarray(n * r.meta.outputDim, (n + 1) * r.meta.outputDim);
          const s = Math.sqrt(topo.powerW[m] / raw.reduce((x, v) => x + v * v, 0));
          assert.ok(relativeError(W, Float64Array.from(raw, (v) => v * s)) < 1e-4, `${features} BS ${m} sample ${n}: policy ≠ training features`);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('schedule: plateau halves the rate after 3 flat epochs, early stopping triggers on the smoothed loss, cosine ends near lr·r', () => {
  const s = { lrSchedule: 'plateau' as const, plateauFactor: 0.5, plateauPatience: 3, patience: 5, minDelta: 1e-3, smoothing: 0.5, maxEpochs: 100 };
  const curve = [-1, -2, -3, -3.0001, -2.9999, -3.0002, -3.0001, -3, -3.0001].map((valLoss) => ({ valLoss }));
  // smoothed: −1, −1.5, −2.25, −2.625, −2.81, −2.91, −2.955, … improvements > 1e-3·|best| until the EMA settles
  let st = scheduleState(s, 1e-3, curve.slice(0, 3));
  assert.is(st.lr, 1e-3);
  assert.is(st.sinceImprovement, 0);
  close(st.smoothed, -2.25, 1e-12);
  const flat = [...curve, ...Array.from({ length: 12 }, () => ({ valLoss: -3 }))];
  let stopAt = -1;
  for (let e = 1; e <= flat.length; e++) {
    st = scheduleState(s, 1e-3, flat.slice(0, e));
    if (st.stop) {
      stopAt = e;
      break;
    }
  }
  assert.ok(stopAt > 0 && stopAt < flat.length, `early stopping triggered at epoch ${stopAt}`);
  assert.is(st.sinceImprovement, 5);
  assert.ok(st.lr < 1e-3 && st.lr >= 1e-3 / 4, `plateau reduced the rate: ${st.lr}`);
  // a noisy curve that keeps improving on average does not stop
  const noisy = Array.from({ length: 40 }, (_, e) => ({ valLoss: -e * 0.1 + (e % 2 ? 0.05 : -0.05) }));
  assert.not.ok(scheduleState(s, 1e-3, noisy).stop);
  const cos = { ...s, lrSchedule: 'cosine' as const, minLrRatio: 0.01, maxEpochs: 10 };
  close(scheduleState(cos, 1e-3, []).lr, 1e-3, 1e-12);
  close(scheduleState(cos, 1e-3, Array.from({ length: 5 }, () => ({ valLoss: -1 }))).lr, 1e-3 * (0.01 + 0.99 * 0.5), 1e-12);
});

test('a training with a schedule stops early when the smoothed loss stops improving, and records lr, smoothed curve and the reason', async () => {
  const b = await initBackend();
  registerFastGradients(b.tf);
  const tf = b.tf;
  const ds = drawDataset(lo.scenario, lo.topology, 192, 3, 'train');
  const dir = mkdtempSync(path.join(tmpdir(), 'feat-stop-'));
  try {
    // minDelta 0.5: no epoch after the first improves by half of |best| → stops after `patience` more
    const r = await trainIsac(tf, ds, {
      method: 'vfl', rho: 0.5, epochs: 20, hiddenDims: [8], batchSize: 64, learningRate: 1e-3, seed: 4, backend: tf.getBackend(),
      scenario: 'feat', scenarioHash: 'x', clockS: () => 0, outDir: dir, patience: 2,
      schedule: { lrSchedule: 'plateau', plateauFactor: 0.5, plateauPatience: 1, minDelta: 0.5, smoothing: 0.5 },
    });
    assert.is(r.stopped, 'early-stopping');
    assert.is(r.meta.stoppedBy, 'early-stopping');
    assert.is(r.meta.epochsDone, 3);
    assert.equal(r.meta.curve.map((c) => c.lr), [1e-3, 1e-3, 5e-4]);
    r.meta.curve.forEach((c) => assert.ok(Number.isFinite(c.smoothedValLoss)));
    assert.equal(r.meta.schedule?.maxEpochs, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resuming a checkpoint with other features or another SNR range is refused, naming both', async () => {
  const b = await initBackend();
  registerFastGradients(b.tf);
  const tf = b.tf;
  const ds = drawDataset(lo.scenario, lo.topology, 192, 3, 'train');
  const dir = mkdtempSync(path.join(tmpdir(), 'feat-resume-'));
  try {
    const base = {
      method: 'vfl' as const, rho: 0.5, epochs: 3, hiddenDims: [8], batchSize: 64, learningRate: 1e-3, seed: 4, backend: tf.getBackend(),
      scenario: 'feat', scenarioHash: 'x', clockS: () => 0, outDir: dir,
    };
    let batches = 0;
    const r = await trainIsac(tf, ds, { ...base, onBatch: () => batches++, shouldStop: () => batches >= 2 });
    assert.is(r.stopped, 'interrupted');
    try {
      await trainIsac(tf, ds, { ...base, features: 'log-gain', snrRangeDb: [0, 30], baseSnrDb: 40 });
      assert.unreachable('resumed with other features');
    } catch (e) {
      assert.match((e as Error).message, 'the checkpoint was trained with rms features, SNR of the scenario, this run asks for log-gain features, SNR 0–30 dB; use the same options, or --fresh');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
