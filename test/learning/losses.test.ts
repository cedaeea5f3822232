/**
 * The tf losses (src/learning/losses.ts) against the twin's plain metrics (src/metrics/isac.ts):
 * same SINRs on random multicell, cell-free and user-centric instances, with and without sensing
 * rows, monostatic and multistatic; gradients against finite differences of the float64 metrics;
 * per-AP power normalisation against normalisePower; the monostatic ISAC objective against
 * isac-loss.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import {
  apPowerTf,
  carrierMask,
  commSinrTf,
  denseBeams,
  denseFromCellBeams,
  paper000Scene,
  isacObjectiveLoss,
  minSinrLoss,
  monostaticSinrTf,
  multistaticSnrTf,
  normalisePerAp,
  packBeams,
  paper004Loss,
  sceneOf,
  sumRateLoss,
  type LossBatch,
  type LossScene,
} from '../../src/learning/losses.ts';
import { isacRates } from '../../src/learning/isac-loss.ts';
import { sizes, type IsacDims } from '../../src/learning/dataset.ts';
import {
  commSinrInto,
  emptySensingChannels,
  multistaticSensingInto,
  normalisePower,
  sensingChannelsInto,
  sensingSinrInto,
  type SensingChannels,
} from '../../src/metrics/isac.ts';
import { czeros } from '../../src/phy/complex.ts';
import type { Beamformers, Topology } from '../../src/phy/network.ts';
import type { Rng } from '../../src/phy/random.ts';
import { networkTopology, randomChannels, smallTopology, testRng } from '../helpers.ts';

let tf: Tf;
test.before(async () => {
  tf = (await initBackend('cpu')).tf;
});

/** Largest relative deviation seen tf vs plain (reported at the end). */
const worst = { comm: 0, sens: 0, power: 0 };

function relDev(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return d;
}

function randomBeams(topo: Topology, rng: Rng): Beamformers {
  return topo.apStreams.map((rows, m) => {
    const W = czeros(rows.length * topo.numTxAnt);
    rng.complexNormal(W);
    normalisePower(W, topo.powerW[m]);
    return W;
  });
}

/** Random sensing channels of the topology's geometry. */
function randomSensing(topo: Topology, rng: Rng): SensingChannels {
  const sens = emptySensingChannels(topo);
  const { numBs: M, numTargets: T, numRxAnt: nr, numTxAnt: nt } = topo;
  if (topo.sensingGeometry === 'multistatic') {
    const theta = Float64Array.from({ length: M * T }, () => rng.between(-1.2, 1.2));
    const c = Float64Array.from({ length: M * T }, () => rng.between(0.1, 3));
    multistaticSensingInto(sens, topo, theta, c);
  } else {
    const theta = Float64Array.from({ length: T }, () => rng.between(-1.2, 1.2));
    const alpha = czeros(T);
    rng.complexNormal(alpha, 0.05);
    const G = czeros(M * M * nr * nt);
    rng.complexNormal(G, 0.01);
    sensingChannelsInto(sens, topo, theta, alpha, G);
  }
  return sens;
}

interface Instance {
  name: string;
  topo: Topology;
}

function userCentric(numBs: number, U: number, size: number, rng: Rng): Int32Array[] {
  return Array.from({ length: U }, () => {
    const aps = Array.from({ length: numBs }, (_, m) => m);
    for (let i = aps.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [aps[i], aps[j]] = [aps[j], aps[i]];
    }
    return Int32Array.from(aps.slice(0, size));
  });
}

function instances(): Instance[] {
  const rng = testRng('losses-instances');
  const all = (M: number, U: number) => Array.from({ length: U }, () => Int32Array.from({ length: M }, (_, m) => m));
  return [
    { name: 'multicell (monostatic)', topo: smallTopology({ numBs: 3, K: 2, J: 2, nt: 4, nr: 5 }) },
    { name: 'multicell, 1 target/BS', topo: smallTopology({ numBs: 2, K: 3, J: 1, nt: 4 }) },
    {
      name: 'multicell + sensing row (multistatic)',
      topo: networkTopology({ numBs: 3, nt: 4, kind: 'multicell', userAps: [0, 0, 1, 2].map((m) => Int32Array.of(m)), targetBs: Int32Array.of(0, 2), sensingStreams: 1 }),
    },
    { name: 'cell-free all-serving', topo: networkTopology({ numBs: 4, nt: 3, userAps: all(4, 3), targetBs: Int32Array.of(0, 1), sensingStreams: 0 }) },
    { name: 'cell-free all-serving + sensing', topo: networkTopology({ numBs: 4, nt: 3, userAps: all(4, 3), targetBs: Int32Array.of(0), sensingStreams: 1 }) },
    { name: 'user-centric + 2 sensing rows', topo: networkTopology({ numBs: 5, nt: 2, userAps: userCentric(5, 4, 2, rng), targetBs: Int32Array.of(1, 3), sensingStreams: 2 }) },
    { name: 'user-centric, no sensing rows', topo: networkTopology({ numBs: 5, nt: 3, userAps: userCentric(5, 4, 3, rng), targetBs: Int32Array.of(2), sensingStreams: 0 }) },
  ];
}

/** A batch of B random samples of one topology, with the plain metrics of each. */
function batchOf(topo: Topology, B: number, seed: number, layout: 'dense' | 'packed' = 'dense') {
  const rng = testRng('losses-batch', seed);
  const scene = sceneOf(topo, topo.apStreams, layout);
  const { numBs: M, numUsers: U, numTxAnt: N, numTargets: T } = topo;
  // rows per AP: every stream (dense) or the AP's own list padded with zero rows (packed)
  const S = scene.packed?.rowsPerAp ?? scene.numStreams;
  const J = emptySensingChannels(topo).maxTargetsPerBs;
  const H = new Float32Array(B * M * U * 2 * N);
  const G = new Float32Array(B * T * M * 2 * N);
  const I = new Float32Array(B * T * J * 2 * N);
  const W = new Float32Array(B * M * S * 2 * N);
  const commPlain: number[] = [];
  const sensPlain: number[] = [];
  const samples: { H: Float64Array; sens: SensingChannels; W: Beamformers }[] = [];
  for (let b = 0; b < B; b++) {
    const Hb = randomChannels(topo, rng);
    const sens = randomSensing(topo, rng);
    // round to float32 first so both sides see identical inputs
    const H32 = Float32Array.from(Hb);
    const Wb = randomBeams(topo, rng).map((w) => Float64Array.from(Float32Array.from(w)));
    const g32 = Float32Array.from(sens.g);
    const i32 = Float32Array.from(sens.intra);
    const sens64: SensingChannels = { ...sens, g: Float64Array.from(g32), intra: Float64Array.from(i32) };
    H.set(H32, b * H32.length);
    G.set(g32, b * g32.length);
    I.set(i32, b * i32.length);
    if (layout === 'dense') W.set(denseBeams(scene, Wb, topo.apStreams), b * M * S * 2 * N);
    else Wb.forEach((w, m) => W.set(Float32Array.from(w), (b * M + m) * S * 2 * N));
    const H64 = Float64Array.from(H32);
    const c = new Float64Array(U);
    commSinrInto(c, topo, H64, Wb);
    commPlain.push(...c);
    const s = new Float64Array(T);
    sensingSinrInto(s, topo, sens64, Wb);
    sensPlain.push(...s);
    samples.push({ H: H64, sens: sens64, W: Wb });
  }
  const batch: LossBatch = {
    scene,
    H: tf.tensor4d(H, [B, M, U, 2 * N]),
    G: tf.tensor4d(G, [B, T, M, 2 * N]),
    I: tf.tensor4d(I, [B, T, J, 2 * N]),
  };
  return { scene, batch, W: tf.tensor4d(W, [B, M, S, 2 * N]), commPlain, sensPlain, samples };
}

const dispose = (b: { batch: LossBatch; W: Tensor }) => tf.dispose([b.batch.H, b.batch.G!, b.batch.I!, b.W]);

test('dense ↔ packed beams round-trip; carrier mask marks exactly the carried streams', () => {
  const topo = instances()[5].topo;
  const scene = sceneOf(topo);
  const W = randomBeams(topo, testRng('pack'));
  const back = packBeams(scene, denseBeams(scene, W, topo.apStreams), topo.apStreams);
  back.forEach((w, m) => w.forEach((v, i) => assert.ok(Math.abs(v - W[m][i]) < 1e-6)));
  const mask = carrierMask(tf, scene).dataSync();
  topo.apStreams.forEach((rows, m) => {
    for (let s = 0; s < scene.numStreams; s++) assert.is(mask[m * scene.numStreams + s], rows.includes(s) ? 1 : 0);
  });
});

test('commSinrTf equals commSinrInto (multicell, cell-free, user-centric; with/without sensing rows; dense and packed beams)', () => {
  for (const inst of instances()) {
    for (const layout of ['dense', 'packed'] as const) {
      const b = batchOf(inst.topo, 6, 3, layout);
      if (layout === 'packed') assert.is(b.W.shape[2], Math.max(...inst.topo.apStreams.map((r) => r.length)));
      const got = commSinrTf(tf, b.scene, b.batch.H, b.W);
      const dev = relDev(got.dataSync(), b.commPlain);
      worst.comm = Math.max(worst.comm, dev);
      assert.ok(dev < 1e-5, `${inst.name} (${layout}): comm SINR deviates by ${dev}`);
      got.dispose();
      dispose(b);
    }
  }
});

test('packed carrier mask marks exactly the used rows', () => {
  const topo = instances()[5].topo;
  const scene = sceneOf(topo, topo.apStreams, 'packed');
  const R = scene.packed!.rowsPerAp;
  const mask = carrierMask(tf, scene).dataSync();
  topo.apStreams.forEach((rows, m) => {
    for (let r = 0; r < R; r++) assert.is(mask[m * R + r], r < rows.length ? 1 : 0, `AP ${m} row ${r}`);
  });
  assert.ok(topo.apStreams.some((rows) => rows.length < R), 'some AP has unused rows (the check has teeth)');
});

test('sensing SINR / SNR tf equals sensingSinrInto (monostatic and multistatic; dense and packed beams)', () => {
  for (const inst of instances()) for (const layout of ['dense', 'packed'] as const) {
    const b = batchOf(inst.topo, 6, 4, layout);
    const sens = b.scene.sensing!;
    const got = sens.geometry === 'multistatic' ? multistaticSnrTf(tf, b.batch.G!, b.W) : monostaticSinrTf(tf, sens, b.batch.G!, b.batch.I!, b.W);
    const dev = relDev(got.dataSync(), b.sensPlain);
    worst.sens = Math.max(worst.sens, dev);
    assert.ok(dev < 1e-5, `${inst.name}: sensing deviates by ${dev}`);
    got.dispose();
    dispose(b);
  }
});

test('LossSpec values equal the plain objectives (sum rate, min SINR, ρR_c+(1−ρ)R_s, paper 004 J)', () => {
  const inst = instances()[5];
  const B = 5;
  const b = batchOf(inst.topo, B, 5);
  const U = inst.topo.numUsers;
  const T = inst.topo.numTargets;
  const perSample = (i: number) => {
    const c = b.commPlain.slice(i * U, (i + 1) * U);
    const s = b.sensPlain.slice(i * T, (i + 1) * T);
    const rc = c.reduce((a, g) => a + Math.log2(1 + g), 0);
    const rs = s.reduce((a, g) => a + Math.log2(1 + g), 0);
    return { rc, rs, min: Math.min(...c) };
  };
  const mean = (f: (i: number) => number) => Array.from({ length: B }, (_, i) => f(i)).reduce((a, x) => a + x, 0) / B;
  const cases: [string, () => Tensor, number][] = [
    ['sum rate', () => sumRateLoss().evaluate(tf, b.batch, b.W), -mean((i) => perSample(i).rc)],
    ['min sinr', () => minSinrLoss().evaluate(tf, b.batch, b.W), -mean((i) => perSample(i).min)],
    ['isac ρ=0.3', () => isacObjectiveLoss({ rho: 0.3 }).evaluate(tf, b.batch, b.W), -mean((i) => 0.3 * perSample(i).rc + 0.7 * perSample(i).rs)],
    ['paper 004 β=2', () => paper004Loss({ betaS: 2 }).evaluate(tf, b.batch, b.W), -mean((i) => perSample(i).rc + 2 * perSample(i).rs)],
  ];
  for (const [name, f, want] of cases) {
    const v = f();
    assert.equal(v.shape, [], `${name} is a scalar`);
    const got = v.dataSync()[0];
    assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)), `${name}: ${got} vs ${want}`);
    v.dispose();
  }
  const m = isacObjectiveLoss({ rho: 0.5 }).metrics(tf, b.batch, b.W);
  assert.equal(Object.keys(m).sort(), ['objective', 'rc', 'rs']);
  assert.equal(m.rc.shape, [B]);
  tf.dispose(Object.values(m));
  dispose(b);
});

// ------------------------------------------------------------------------------------------
// An independent reference: paper 000's loss written directly on the per-cell layout with
// constant masks (isac-loss.ts before it delegated to losses.ts), kept here to check both the
// dense losses and isac-loss.ts's wiring (denseFromCellBeams, paper000Scene).
/** Per-BS rows → Wc [B·numBs, 2K, 2N_T] (see the module comment). W: [B, numBs, K, N_T·2]. */
function refExpand(tf: Tf, W: Tensor, d: IsacDims): Tensor {
  const B = W.shape[0];
  const nt = d.numTxAnt;
  const K = d.usersPerCell;
  const w = tf.reshape(W, [B * d.numBs, K, nt, 2]);
  const [wr, wi] = tf.split(w, 2, -1);
  const rot = tf.reshape(tf.concat([wi, tf.neg(wr)], -1), [B * d.numBs, K, 2 * nt]);
  return tf.concat([tf.reshape(w, [B * d.numBs, K, 2 * nt]), rot], 1); // [B·numBs, 2K, 2N_T]
}

/** |·|² summed over the (re, im) halves of the 2K axis: [.., 2K] → [.., K]. */
function refPower(tf: Tf, z: Tensor, K: number): Tensor {
  const [re, im] = tf.split(z, [K, K], -1);
  return tf.add(tf.square(re), tf.square(im));
}

/** Constant masks of the topology (uniform cells; user u and target t belong to cell ⌊u/K⌋, ⌊t/J⌋). */
function refMasks(tf: Tf, d: IsacDims, interCell: boolean) {
  const z = sizes(d);
  const K = d.usersPerCell;
  const desired = new Float32Array(d.numBs * z.numUsers * K);
  const interf = new Float32Array(d.numBs * z.numUsers * K);
  for (let m = 0; m < d.numBs; m++) {
    for (let u = 0; u < z.numUsers; u++) {
      for (let k = 0; k < K; k++) {
        const i = (m * z.numUsers + u) * K + k;
        const own = Math.floor(u / K) === m;
        if (own && u % K === k) desired[i] = 1;
        else if (own || interCell) interf[i] = 1;
      }
    }
  }
  const ownT = new Float32Array(d.numBs * z.numTargets);
  const otherT = new Float32Array(d.numBs * z.numTargets);
  for (let m = 0; m < d.numBs; m++) {
    for (let t = 0; t < z.numTargets; t++) {
      if (Math.floor(t / d.targetsPerCell) === m) ownT[m * z.numTargets + t] = 1;
      else if (interCell) otherT[m * z.numTargets + t] = 1;
    }
  }
  return {
    desired: tf.tensor3d(desired, [d.numBs, z.numUsers, K]),
    interf: tf.tensor3d(interf, [d.numBs, z.numUsers, K]),
    ownT: tf.tensor2d(ownT, [d.numBs, z.numTargets]),
    otherT: tf.tensor2d(otherT, [d.numBs, z.numTargets]),
  };
}

/**
 * R_c and R_s per sample for beamformers W [B, numBs, K, N_T·2] (unit power per BS, interleaved).
 */
function perCellRates(tf: Tf, d: IsacDims, batch: { H: Tensor; G: Tensor; I: Tensor }, W: Tensor, interCell = true): { rc: Tensor; rs: Tensor } {
  return tf.tidy(() => {
    const z = sizes(d);
    const B = W.shape[0];
    const M = d.numBs;
    const K = d.usersPerCell;
    const nt2 = 2 * d.numTxAnt;
    const mk = refMasks(tf, d, interCell);
    const Wc = refExpand(tf, W, d); // [B·M, 2K, 2N_T]
    // Communication: P[b, m, u, k] = |h_{m,u}ᴴ w_{m,k}|²
    const Hm = tf.reshape(batch.H, [B * M, z.numUsers, nt2]);
    const P = tf.reshape(refPower(tf, tf.matMul(Hm, Wc, false, true), K), [B, M, z.numUsers, K]);
    const desired = tf.sum(tf.mul(P, mk.desired), [1, 3]); // [B, U]
    const interf = tf.sum(tf.mul(P, mk.interf), [1, 3]); // [B, U]
    const gammaC = tf.div(desired, tf.add(interf, 1));
    const rc = tf.sum(tf.div(tf.log1p(gammaC), Math.LN2), -1);
    // Sensing: E[b, n, t] = ‖g_{t,n}ᴴ W_n‖²
    const Gn = tf.reshape(tf.transpose(batch.G, [0, 2, 1, 3]), [B * M, z.numTargets, nt2]);
    const E = tf.reshape(tf.sum(refPower(tf, tf.matMul(Gn, Wc, false, true), K), -1), [B, M, z.numTargets]);
    const signal = tf.sum(tf.mul(E, mk.ownT), 1); // [B, T]
    const inter = tf.sum(tf.mul(E, mk.otherT), 1); // [B, T]
    // intra-cell leakage Ĩ[t, s] acts on W_{bs(t)}
    // targets are numbered cell by cell (t = m·J + j): repeat each W_m J times by broadcasting
    // (no gather: its gradient has no wasm kernel)
    const J = d.targetsPerCell;
    const Wt = tf.reshape(tf.mul(tf.reshape(Wc, [B, M, 1, 2 * K, nt2]), tf.ones([1, 1, J, 1, 1])), [B * z.numTargets, 2 * K, nt2]);
    const It = tf.reshape(batch.I, [B * z.numTargets, d.targetsPerCell, nt2]);
    const intra = tf.reshape(tf.sum(refPower(tf, tf.matMul(It, Wt, false, true), K), [1, 2]), [B, z.numTargets]);
    const gammaS = tf.div(signal, tf.add(tf.add(inter, intra), 1));
    const rs = tf.sum(tf.div(tf.log1p(gammaS), Math.LN2), -1);
    return { rc, rs };
  });
}


test('monostatic ISAC objective and isac-loss.ts equal a per-cell masked reference (paper 000 multicell, interCell on and off)', () => {
  const d = { numBs: 3, numTxAnt: 4, numRxAnt: 4, usersPerCell: 2, targetsPerCell: 2 };
  const scene = paper000Scene(d);
  // the same scene from a twin topology in normalised units (σ_c² = N_R σ_s² = 1)
  const topo = smallTopology({ numBs: 3, K: 2, J: 2, nt: 4, nr: 4, noiseW: 0.25, powerW: 1 });
  const fromTopo = { ...sceneOf(topo), noiseComm: 1 };
  (fromTopo.sensing as { noiseSens: number }).noiseSens = 1;
  assert.equal(stableScene(scene), stableScene(fromTopo));
  const B = 4;
  const rng = testRng('isac-loss-equal');
  const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
  const H = tf.tensor4d(randn(B * 3 * 6 * 8, 2), [B, 3, 6, 8]);
  const G = tf.tensor4d(randn(B * 6 * 3 * 8, 2), [B, 6, 3, 8]);
  const Iraw = randn(B * 6 * 2 * 8, 0.3);
  for (let b = 0; b < B; b++) for (let t = 0; t < 6; t++) Iraw.fill(0, ((b * 6 + t) * 2 + (t % 2)) * 8, ((b * 6 + t) * 2 + (t % 2) + 1) * 8); // c_{t,t} = 0
  const I = tf.tensor4d(Iraw, [B, 6, 2, 8]);
  const Wk = tf.tensor4d(randn(B * 3 * 2 * 8, 0.3), [B, 3, 2, 8]); // isac-loss layout [B, M, K, 2N]
  // dense: BS m's row k is stream m·K + k
  const dense = new Float32Array(B * 3 * 6 * 8);
  const wk = Wk.dataSync();
  for (let b = 0; b < B; b++) for (let m = 0; m < 3; m++) for (let k = 0; k < 2; k++) for (let i = 0; i < 8; i++) dense[((b * 3 + m) * 6 + m * 2 + k) * 8 + i] = wk[((b * 3 + m) * 2 + k) * 8 + i];
  const W = denseFromCellBeams(tf, d, Wk);
  assert.equal(Array.from(W.dataSync()), Array.from(dense));
  const batch: LossBatch = { scene, H, G, I };
  for (const interCell of [true, false]) {
    const ref = perCellRates(tf, d, { H, G, I }, Wk, interCell);
    const mine = isacObjectiveLoss({ rho: 0.5, interCell }).metrics(tf, batch, W);
    const wired = isacRates(tf, d, { H, G, I }, Wk, interCell);
    for (const [name, got] of [['dense', mine], ['isac-loss', wired]] as const) {
      const dc = relDev(got.rc.dataSync(), ref.rc.dataSync());
      const ds = relDev(got.rs.dataSync(), ref.rs.dataSync());
      assert.ok(dc < 1e-5 && ds < 1e-5, `${name}, interCell ${interCell}: rc dev ${dc}, rs dev ${ds}`);
    }
    tf.dispose([ref.rc, ref.rs, wired.rc, wired.rs, ...Object.values(mine)]);
  }
  tf.dispose([H, G, I, Wk, W]);
});

test('per-AP normalisation meets every budget exactly and equals normalisePower', () => {
  const topo = networkTopology({ numBs: 4, nt: 3, userAps: userCentric(4, 3, 2, testRng('uc-norm')), targetBs: Int32Array.of(0), sensingStreams: 1 });
  topo.powerW.set([0.5, 2, 7.5, 1e-3]);
  const scene = sceneOf(topo);
  const B = 3;
  const { numBs: M, numTxAnt: N } = topo;
  const S = scene.numStreams;
  const rng = testRng('norm');
  const raw = Float32Array.from({ length: B * M * S * 2 * N }, () => rng.normal());
  raw.fill(0, (1 * M + 2) * S * 2 * N, (1 * M + 3) * S * 2 * N); // sample 1, AP 2 all zero
  // sample 2, AP 1 a tiny output (‖·‖² ~ 1e-9): a norm floor like +1e-12 would miss its budget
  for (let i = (2 * M + 1) * S * 2 * N; i < (2 * M + 2) * S * 2 * N; i++) raw[i] *= 1e-5;
  const W = normalisePerAp(tf, scene, tf.mul(tf.tensor4d(raw, [B, M, S, 2 * N]), carrierMask(tf, scene)));
  const p = apPowerTf(tf, W).dataSync();
  const w = W.dataSync();
  for (let b = 0; b < B; b++) {
    for (let m = 0; m < M; m++) {
      if (b === 1 && m === 2) {
        assert.is(p[b * M + m], 0, 'a zero AP stays zero');
        continue;
      }
      const rel = Math.abs(p[b * M + m] - topo.powerW[m]) / topo.powerW[m];
      worst.power = Math.max(worst.power, rel);
      assert.ok(rel < 1e-6, `sample ${b} AP ${m}: power ${p[b * M + m]} vs budget ${topo.powerW[m]}`);
    }
    // the twin's rule on the packed beams of the masked raw output
    const masked = Float32Array.from(raw.subarray(b * M * S * 2 * N, (b + 1) * M * S * 2 * N), (v, i) => v * scene.carries[Math.floor(i / (2 * N))]);
    const packed = packBeams(scene, masked, topo.apStreams);
    packed.forEach((Wm, m) => normalisePower(Wm, topo.powerW[m]));
    const mine = packBeams(scene, w, topo.apStreams, b * M * S * 2 * N);
    mine.forEach((Wm, m) => Wm.forEach((v, i) => assert.ok(Math.abs(v - packed[m][i]) <= 1e-6 * Math.max(1, Math.abs(packed[m][i])), `beam entry ${m}/${i}`)));
    // non-carried streams stay exactly zero
    for (let m = 0; m < M; m++) for (let s = 0; s < S; s++) if (!scene.carries[m * S + s]) for (let i = 0; i < 2 * N; i++) assert.is(w[((b * M + m) * S + s) * 2 * N + i], 0);
  }
  tf.dispose([W]);
});

const stableScene = (s: LossScene) => JSON.stringify(s, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));

/** Plain float64 objective of one sample (dense beams in): R_c + β Σ log2(1+SNR_t). */
function plainObjective(topo: Topology, scene: LossScene, H: Float64Array, sens: SensingChannels, dense: Float64Array, beta: number): number {
  const W = packBeams(scene, dense, topo.apStreams);
  const c = new Float64Array(topo.numUsers);
  commSinrInto(c, topo, H, W);
  const s = new Float64Array(topo.numTargets);
  sensingSinrInto(s, topo, sens, W);
  let v = 0;
  c.forEach((g) => (v += Math.log2(1 + g)));
  s.forEach((g) => (v += beta * Math.log2(1 + g)));
  return v;
}

test('gradients exist, are finite and non-zero, and match finite differences of the float64 metrics', () => {
  for (const inst of [instances()[0], instances()[5]]) {
    const topo = inst.topo;
    const b = batchOf(topo, 1, 9);
    const loss = paper004Loss({ betaS: 0.7 });
    const grad = tf.grad((w: Tensor) => loss.evaluate(tf, b.batch, w));
    const g = grad(b.W).dataSync();
    const mask = Array.from({ length: g.length }, (_, i) => b.scene.carries[Math.floor(i / (2 * topo.numTxAnt))]);
    let nz = 0;
    g.forEach((v, i) => {
      assert.ok(Number.isFinite(v), `gradient entry ${i} is ${v}`);
      if (mask[i]) nz += Math.abs(v) > 0 ? 1 : 0;
    });
    assert.ok(nz > 0.9 * mask.filter(Boolean).length, `${inst.name}: ${nz} non-zero gradient entries`);
    // central differences of −J on the float64 twin metrics
    const w0 = Float64Array.from(b.W.dataSync());
    const { H, sens } = b.samples[0];
    const h = 1e-5;
    let worstRel = 0;
    let gmax = 0;
    g.forEach((v) => (gmax = Math.max(gmax, Math.abs(v))));
    for (let i = 0; i < w0.length; i++) {
      if (!mask[i]) continue;
      const wp = Float64Array.from(w0);
      const wm = Float64Array.from(w0);
      wp[i] += h;
      wm[i] -= h;
      const fd = -(plainObjective(topo, b.scene, H, sens, wp, 0.7) - plainObjective(topo, b.scene, H, sens, wm, 0.7)) / (2 * h);
      worstRel = Math.max(worstRel, Math.abs(fd - g[i]) / gmax);
    }
    assert.ok(worstRel < 1e-3, `${inst.name}: gradient vs finite differences, max deviation ${worstRel} of max |g|`);
    dispose(b);
  }
});

test('min-SINR loss has a finite gradient (hard and soft)', () => {
  const b = batchOf(instances()[3].topo, 2, 11);
  for (const softness of [0, 0.1]) {
    const g = tf.grad((w: Tensor) => minSinrLoss({ softness }).evaluate(tf, b.batch, w))(b.W).dataSync();
    assert.ok(g.every(Number.isFinite));
    assert.ok(g.some((v) => v !== 0));
  }
  dispose(b);
});

test('report the max deviation tf vs plain', () => {
  console.log(`  max relative deviation tf (float32) vs plain: comm SINR ${worst.comm.toExponential(2)}, sensing ${worst.sens.toExponential(2)}, power vs budget ${worst.power.toExponential(2)}`);
});

test.run();
