/**
 * Paper 002 in the twin (src/learning/primal-dual/twin-*.ts, docs/primal-dual.md §10): the
 * single-array mapping against a hand-computed case; the twin head meets the power budget and
 * diag(R) exactly for any output and its tf ops equal the float64 map (train ↔ serve); the
 * `primal-dual` policy's W on a twin view meets P_m and diag(R) exactly; the fallback rule and the
 * policy's fallback trigger exactly at the threshold; a short twin run is deterministic.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { twinPolicies } from '../../src/learning/policies.ts';
import { isacSinrInto } from '../../src/metrics/beampattern.ts';
import { streamFor } from '../../src/phy/random.ts';
import { stage2Batch, commBasis, disposeStage2Batch } from '../../src/learning/primal-dual/stage2.ts';
import { twinBeamsTf, twinDecision, twinHeadConstants, twinOutputDim, evaluateTwin, decisionRows } from '../../src/learning/primal-dual/twin-head.ts';
import { twinChannelScale, twinChannelSet, twinProblem, twinSampleInto, featureMoments, UNIT_MOMENTS, totalSensingLoss } from '../../src/learning/primal-dual/twin-problem.ts';
import { fallbackTriggered, readTwinMeta } from '../../src/learning/primal-dual/twin-policy.ts';
import { patternMatchingSplit } from '../../src/learning/primal-dual/twin-fallback.ts';
import { beampatternOfFactor, beampatternSpec, targetBeams, splitFactor, sensingLossOfFactor } from '../../src/metrics/beampattern.ts';
import { exchangeBits, loadExchangeNets } from '../../src/learning/primal-dual/twin-exchange-policy.ts';
import { twinDistributedSet } from '../../src/learning/primal-dual/twin-exchange-data.ts';
import { drawDataset } from '../../src/learning/dataset.ts';
import { loadLayersModel } from '../../src/learning/model-store.ts';
import type { MultiRoundPolicy } from '../../src/policies/types.ts';
import type { CsiView, DistributedPolicy, DecisionReport } from '../../src/policies/types.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { Twin } from '../../src/sim/twin.ts';

const T = suite('learning/primal-dual-twin');

let tf: Tf;
T.before(async () => {
  tf = (await initBackend('wasm')).tf;
});

const MODEL = 'models/primal-dual-twin';
const YAML = readFileSync(new URL('../../scenarios/paper002-twin.yaml', import.meta.url), 'utf8');

T('single-array mapping (T1–T2), hand-computed: g = conj(h)·√((P_m/σ²)(N_0/P_tot)) in both halves, and the twin SINR |hᴴw|²/(|hᴴs|² + σ²) is the paper-unit eq. (11)', () => {
  // K = 1, N = 2, P = 1: P_max = 0.1, P_R = 0.1 → P_tot = 0.2, N_0 = 0.01; P_m = 2 W, σ² = 0.5 W
  const tp = twinProblem({ numUsers: 1, numTxAnt: 2, targetsDeg: [0], epsilon: 0.3 });
  assert.is(tp.totalPowerW, 0.2);
  const c = twinChannelScale(tp, 2, 0.5);
  assert.ok(Math.abs(c - Math.sqrt(0.2)) < 1e-15, `scale ${c} = √(4 · 0.01 / 0.2) = √0.2`);
  const h = Float64Array.of(1, 2, 3, -1); // h = [1 + 2j, 3 − j]
  const out = new Float32Array(8);
  twinSampleInto(out, 0, tp, h, [0], c);
  const s = Math.sqrt(0.2);
  const want = [1 * s, -2 * s, 3 * s, 1 * s]; // conj(h)·c
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(out[i] - want[i]) < 1e-7, `radar half [${i}] ${out[i]} vs ${want[i]}`);
    assert.ok(Math.abs(out[4 + i] - want[i]) < 1e-7, `comm half [${i}] ${out[4 + i]} vs ${want[i]}`);
  }
  // w = [1, j], s = [1, 1] (twin units): hᴴw = (1 − 2j) + (3 + j)j = j → 1; hᴴs = 4 − j → 17
  // twin SINR = 1/(17 + 0.5); paper units: F = w·√(P_tot/P_m), s' = s·√(P_tot/P_m)
  const back = Math.sqrt(0.2 / 2);
  const F = Float64Array.of(back, 0, 0, back);
  const S = Float64Array.of(back, 0, back, 0);
  const g = Float64Array.from(out.subarray(4, 8));
  const f = Float64Array.from(out.subarray(0, 4));
  const sinr = isacSinrInto(new Float64Array(1), { numUsers: 1, numCommAnt: 2, numRadarAnt: 2, G: g, Fr: f, F, radarFactor: { W: S, rows: 1 }, noiseW: tp.pb.noiseW });
  assert.ok(Math.abs(sinr[0] - 1 / 17.5) < 1e-7, `paper-unit SINR ${sinr[0]} vs 1/17.5`);
});

/** A random twin-problem set: K = 5, N = 12, P = 3 (i.i.d. channels; the mapping is what matters). */
function randomSet(n: number, seed: number) {
  const tp = twinProblem({ numUsers: 5, numTxAnt: 12, targetsDeg: [-70, 0, 40], epsilon: 0.3 });
  const rng = streamFor(seed, 'pd-twin-test');
  const H = new Float32Array(n * 5 * 2 * 24);
  const h = new Float64Array(5 * 12 * 2 * n);
  rng.complexNormal(h);
  for (let s = 0; s < n; s++) twinSampleInto(H, s * 5 * 48, tp, h.subarray(s * 120, (s + 1) * 120), [0, 12, 24, 36, 48], 0.3);
  return { tp, set: twinChannelSet(tp, H, UNIT_MOMENTS) };
}

T('the twin head (T5) for arbitrary outputs: ‖F‖² = K·P_max, diag(R) = (P_R/N)·1 exactly, R = Rᴴ; the tf ops equal the float64 map', () => {
  const n = 6;
  const { tp, set } = randomSet(n, 3);
  const rng = streamFor(5, 'pd-twin-z');
  const D = twinOutputDim(tp);
  assert.is(D, 2 * 12 * (5 + 3));
  const z = Float32Array.from({ length: n * D }, () => 3 * rng.normal());
  const basis = commBasis(tp.pb, set);
  const d = twinDecision(tp, basis, z, n);
  const N = 12;
  for (let s = 0; s < n; s++) {
    let f2 = 0;
    for (let i = 0; i < 5 * N * 2; i++) f2 += d.F[s * 5 * N * 2 + i] ** 2;
    assert.ok(Math.abs(f2 / 0.5 - 1) < 1e-11, `sample ${s}: ‖F‖² ${f2} vs K·P_max 0.5`);
    for (let i = 0; i < N; i++) {
      let r = 0;
      for (let p = 0; p < 3; p++) r += d.radar[2 * ((s * 3 + p) * N + i)] ** 2 + d.radar[2 * ((s * 3 + p) * N + i) + 1] ** 2;
      assert.ok(Math.abs(r / (0.1 / N) - 1) < 1e-11, `sample ${s} antenna ${i}: R_ii ${r} vs P_R/N (to the 1e-12 regulariser of the norm)`);
    }
  }
  // tf = float64
  const batch = stage2Batch(tf, tp.pb, set, basis, 0, n, 'gains');
  const c = twinHeadConstants(tf, tp);
  try {
    const { F, S } = tf.tidy(() => {
      const o = twinBeamsTf(tf, c, batch, tf.tensor2d(z, [n, D]));
      return { F: o.F.dataSync(), S: o.S.dataSync() };
    });
    let e = 0;
    for (let i = 0; i < F.length; i++) e = Math.max(e, Math.abs(F[i] - d.F[i]));
    for (let i = 0; i < S.length; i++) e = Math.max(e, Math.abs(S[i] - d.radar[i]));
    assert.ok(e < 1e-5, `tf vs float64 max |Δ| ${e}`);
  } finally {
    c.dispose();
    disposeStage2Batch(tf, batch);
  }
  // the twin meter's L_r (T4) is the loss of the whole covariance: one coherent beam of all the
  // power at one of the targets gives P̄ = P there
  const ev = evaluateTwin(tp, set, d);
  assert.ok(ev.meanLr > 0 && Number.isFinite(ev.meanRate));
  const one = totalSensingLoss(tp, decisionRows(tp, d, 0), 8);
  assert.ok(Math.abs(one.total - ev.lr[0]) < 1e-15);
});

T('feature moments: the re-standardised pool has mean 0 and s.d. 1 per gain kind (T3)', () => {
  const { tp, set } = randomSet(40, 9);
  const mom = featureMoments(tp, set);
  const again = featureMoments(tp, twinChannelSet(tp, set.H, mom));
  for (const k of ['own', 'cross', 'radar'] as const) {
    assert.ok(Math.abs(again[k][0]) < 1e-5 && Math.abs(again[k][1] - 1) < 1e-5, `${k}: ${again[k]}`);
  }
});

T('the fallback rule triggers exactly past the threshold', () => {
  assert.is(fallbackTriggered([-40, 0, 40], [-40, 0, 45], 5), false, 'offset = threshold: no fallback');
  assert.is(fallbackTriggered([-40, 0, 40], [-40, 0, 45.000001], 5), true);
  assert.is(fallbackTriggered([-40, 0, 40], [-45.000001, 0, 40], 5), true, 'either sign');
  assert.is(fallbackTriggered([-40, 0, 40], [-40, NaN, 40], 0), false, 'a NaN estimate never triggers');
});

T('the fallback design: the least-L_r,1 split over target beams equals a brute force over a 0.25 % simplex grid, and keeps diag(R) exact', () => {
  for (const angles of [[-53.6, -21.8, 17.5], [-75.7, -21.8, 17.5], [-61.2, -21.8, 57.8], [-40, 0, 40]]) {
    const N = 12;
    const total = 0.1 / N;
    const spec = beampatternSpec({ numAnt: N, targetsDeg: angles, widthDeg: 10, radarPowerW: 0.1 });
    const beams = targetBeams(N, angles);
    const r = patternMatchingSplit(spec, beams, total);
    const lr1 = (q: number[]) => sensingLossOfFactor(spec, splitFactor(beams, N, q), 3).patternError;
    // brute force: the pattern is linear in q, P̄ = Σ_p q_p s |aᴴ b_p|² (each beam's pattern by the metric)
    const g = [0, 1, 2].map((p) => beampatternOfFactor(spec.A, N, beams.subarray(2 * p * N, 2 * (p + 1) * N), 1));
    let best = Infinity;
    const steps = 400;
    for (let a = 0; a <= steps; a++) {
      for (let b = 0; a + b <= steps; b++) {
        const q = [a, b, steps - a - b].map((x) => (x / steps) * total);
        let e = 0;
        for (let l = 0; l < spec.desired.length; l++) e += (spec.desired[l] - spec.scale * (q[0] * g[0][l] + q[1] * g[1][l] + q[2] * g[2][l])) ** 2;
        best = Math.min(best, e / spec.desired.length);
      }
    }
    assert.ok(r.patternError <= best + 1e-12, `${angles}: split ${r.patternError} vs grid ${best}`);
    assert.ok(best - r.patternError < 1e-4, `${angles}: the grid comes within 1e-4 (${best - r.patternError})`);
    assert.ok(Math.abs(r.patternError - lr1(Array.from(r.q))) < 1e-12, 'its reported L_r,1 is the metric’s');
    assert.ok(Math.abs(r.q.reduce((x, y) => x + y, 0) / total - 1) < 1e-12, 'Σ q = P_R/N');
    assert.ok(r.q.every((x) => x >= 0));
  }
});

// ------------------------------------------------------------------ with the shipped model

T('primal-dual on a twin view: every W_m has ‖W_m‖² = P_m and its sensing covariance diag(R) = P_m·P_R/(P_tot·N) exactly', () => {
  const meta = readTwinMeta(MODEL);
  const yaml = YAML.replace(/^policy: .*$/m, `policy: { name: primal-dual, params: { model: ${MODEL} } }`);
  const twin = new Twin(loadScenario(yaml, 'paper002-twin.yaml', twinPolicies({ inferenceTf: tf })));
  twin.runSlots(15);
  const W = twin.beamsInForce();
  const N = 12;
  const Pm = 10 ** ((66.5 - 30) / 10);
  assert.is(W.length, meta.dims.numBs);
  for (let m = 0; m < 3; m++) {
    assert.is(W[m].length, 2 * (5 + 3) * N);
    let p = 0;
    for (let i = 0; i < W[m].length; i++) p += W[m][i] ** 2;
    assert.ok(Math.abs(p / Pm - 1) < 1e-12, `BS ${m}: ‖W‖²/P_m − 1 = ${p / Pm - 1}`);
    for (let i = 0; i < N; i++) {
      let r = 0;
      for (let q = 0; q < 3; q++) r += W[m][2 * ((5 + q) * N + i)] ** 2 + W[m][2 * ((5 + q) * N + i) + 1] ** 2;
      const want = (Pm * 0.1) / (0.6 * N);
      assert.ok(Math.abs(r / want - 1) < 1e-12, `BS ${m} antenna ${i}: R_ii/want − 1 = ${r / want - 1}`);
    }
  }
});

T('primal-dual fallbackDeg: the policy reports the fallback exactly when an estimate is more than X° off its trained angle', () => {
  const yaml = YAML.replace(/^policy: .*$/m, `policy: { name: primal-dual, params: { model: ${MODEL}, fallbackDeg: 5 } }`);
  const loaded = loadScenario(yaml, 'paper002-twin.yaml', twinPolicies({ inferenceTf: tf }));
  const policy = loaded.policies.resolve({ name: 'primal-dual', params: { model: MODEL, fallbackDeg: 5 } }, loaded.topology) as DistributedPolicy;
  const topo = loaded;
  const t = topo.topology;
  // a hand-made view of BS 1 (targets 3, 4, 5 trained at −70°, 0°, 40°): channels from a seed
  const rng = streamFor(1, 'pd-twin-view');
  const H = new Float64Array(2 * t.numBs * t.numUsers * t.numTxAnt);
  rng.complexNormal(H);
  for (let i = 0; i < H.length; i++) H[i] *= 1e-5;
  const theta = new Float64Array(t.numTargets);
  const slotOf = new Int32Array(t.numTargets).fill(5);
  const trained = [-40, 0, 40, -70, 0, 40, -50, 0, 70];
  const decide = (offsetDeg: number) => {
    trained.forEach((a, i) => (theta[i] = (a * Math.PI) / 180));
    theta[4] = ((0 + offsetDeg) * Math.PI) / 180;
    const reports: DecisionReport[] = [];
    const view = { owner: 1, H, targetThetaRad: theta, targetSlot: slotOf } as unknown as CsiView;
    const W = policy.decide(1, view, { topo: t, rho: 0.5, slot: 10, rng, report: (r) => void reports.push(r) });
    return { W, fell: reports.some((r) => r.fallback === 'beampattern-split') };
  };
  assert.is(decide(4.999).fell, false, '4.999° off: the network acts');
  assert.is(decide(5.001).fell, true, '5.001° off: the fallback acts');
  assert.is(decide(-5.001).fell, true);
  const a = decide(4.999).W;
  const b = decide(5.001).W;
  let du = 0;
  for (let i = 0; i < 2 * 5 * 12; i++) du = Math.max(du, Math.abs(a[i] - b[i]));
  let ds = 0;
  for (let i = 2 * 5 * 12; i < a.length; i++) ds = Math.max(ds, Math.abs(a[i] - b[i]));
  assert.ok(ds > 1e-6, 'the fallback replaces the sensing rows');
  assert.ok(du < 1e-3 * Math.sqrt(10 ** 3.65), `the user beams barely change between the two estimates (${du})`);
});

T('a short twin run with primal-dual (fallback on) is deterministic, bit for bit', () => {
  const yaml = YAML.replace(/^policy: .*$/m, `policy: { name: primal-dual, params: { model: ${MODEL}, fallbackDeg: 0.5 } }`).replace(/durationSlots: \d+/, 'durationSlots: 40');
  const run = () => {
    const twin = new Twin(loadScenario(yaml, 'paper002-twin.yaml', twinPolicies({ inferenceTf: tf })));
    const out: number[] = [];
    let fallbacks = 0;
    twin.slots$.subscribe((r) => {
      out.push(r.rc, r.rs, ...r.userSinr);
      for (const f of r.bs.fallback) fallbacks += f;
    });
    twin.runSlots(40);
    return { out, W: twin.beamsInForce().map((w) => Array.from(w)), fallbacks };
  };
  const a = run();
  const b = run();
  assert.equal(a.out, b.out);
  assert.equal(a.W, b.W);
  assert.is(a.fallbacks, b.fallbacks);
  assert.ok(a.fallbacks > 0, `the 0.5° threshold with 0.5° s.d. estimates triggers some fallbacks (${a.fallbacks})`);
});

// ------------------------------------------------------------------ the exchange (multi-round)

const EXCHANGE = 'models/primal-dual-twin-exchange-L16';

T('primal-dual-exchange: the bits a BS sends are the offline quantiser’s sign bits on the training features of the same channels (train ↔ serve)', async () => {
  const loaded = loadScenario(YAML, 'paper002-twin.yaml', twinPolicies({ inferenceTf: tf }));
  const topo = loaded.topology;
  const nets = loadExchangeNets(EXCHANGE);
  const ds = drawDataset(loaded.scenario, topo, 6, 77, 'exchange-test');
  const offline = twinDistributedSet(nets.dp, ds.H, nets.meta.moments).set;
  const policy = loaded.policies.resolve({ name: 'primal-dual-exchange', params: { model: EXCHANGE } }, topo) as MultiRoundPolicy;
  const per = ds.H.length / ds.numSamples;
  const F = nets.dp.featureDim;
  const theta = Float64Array.from(nets.meta.targetsDegPerBs.flat(), (a) => (a * Math.PI) / 180);
  let compared = 0;
  for (let j = 0; j < 3; j++) {
    const q = await loadLayersModel(tf, `${EXCHANGE}/q${j}`);
    const x = offline.features.filter((_, i) => Math.floor(i / F) % 3 === j);
    const v = tf.tidy(() => (q.predict(tf.tensor2d(x, [ds.numSamples, F])) as ReturnType<Tf['tensor2d']>).dataSync());
    q.dispose();
    for (let s = 0; s < ds.numSamples; s++) {
      // the view: BS j's unnormalised channels (H̃ / √(P_j/σ_c²)), estimates at the trained angles
      const sc = Math.sqrt(topo.powerW[j] / topo.noiseCommW);
      const H = Float64Array.from(ds.H.subarray(s * per, (s + 1) * per), (h) => h / sc);
      const view = { owner: j, H, measuredSlot: Int32Array.of(0, 0, 0), targetThetaRad: theta, targetSlot: new Int32Array(9).fill(0) } as unknown as CsiView;
      const { up } = policy.start(j, view, { topo, rho: 0.5, slot: 0, rng: streamFor(1, 'x') });
      const served = exchangeBits(nets, topo, j, view);
      for (let b = 0; b < 16; b++) {
        const want = v[s * 16 + b] >= 0 ? 1 : -1;
        assert.is(up[b], want, `BS ${j} sample ${s} bit ${b}: sent ${up[b]}, offline sign(tanh) ${want} (v = ${v[s * 16 + b]})`);
        assert.is(served.bits[b], want);
        compared++;
      }
      for (let f = 0; f < F; f++) assert.ok(Math.abs(served.x[f] - offline.features[(s * 3 + j) * F + f]) < 1e-4, `feature ${f}`);
    }
  }
  assert.is(compared, 3 * 6 * 16);
  // the CPU relays the other BSs' bits in BS order
  const ups = [0, 1, 2].map((j) => Float64Array.from({ length: 16 }, (_, b) => ((b + j) % 3 === 0 ? 1 : -1) * (j + 1)));
  const down = policy.combine(0, ups, { topo, rho: 0.5, slot: 0, rng: streamFor(1, 'x') });
  assert.equal(Array.from(down[0]), [...ups[1], ...ups[2]]);
  assert.equal(Array.from(down[1]), [...ups[0], ...ups[2]]);
  assert.equal(Array.from(down[2]), [...ups[0], ...ups[1]]);
});

T('primal-dual-exchange in the twin (no backhaul delay): each BS uploads L = 16 bits and receives 2L per decision, beyond what L = 0 sends', () => {
  const yamlOf = (L: number) => YAML.replace(/^policy: .*$/m, `policy: { name: primal-dual-exchange, params: { model: models/primal-dual-twin-exchange-L${L} } }`).replace(/backhaul: \{ delayMs: 2, jitterMs: 0.5 \}/, 'backhaul: { delayMs: 0, jitterMs: 0 }');
  const bits = (L: number) => {
    const twin = new Twin(loadScenario(yamlOf(L), 'paper002-twin.yaml', twinPolicies({ inferenceTf: tf })));
    const up = [0, 0, 0];
    const down = [0, 0, 0];
    let stale = 0;
    twin.slots$.subscribe((r) => {
      if (r.slot < 20) return;
      for (let m = 0; m < 3; m++) (up[m] += r.fronthaul.upBits[m]), (down[m] += r.fronthaul.downBits[m]);
      for (const f of r.bs.fallback) stale += f;
    });
    twin.runSlots(40);
    return { up, down, stale };
  };
  const a = bits(16);
  const b = bits(0);
  for (let m = 0; m < 3; m++) {
    assert.is(a.up[m] - b.up[m], 16 * 20, `BS ${m}: 16 more bits up per slot (one decision per slot)`);
    assert.is(a.down[m] - b.down[m], 32 * 20, `BS ${m}: 2 × 16 more bits down`);
  }
  assert.is(a.stale, 0, 'without delay no bits are stale');
});

T.run();
