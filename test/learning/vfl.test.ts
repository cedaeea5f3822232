/**
 * The VFL pipeline of paper 000: the tfjs loss against src/metrics/isac.ts, power normalisation,
 * VFL gradient exchange against the merged model, bytes, a tiny training run, the model store
 * round trip, the dimension check, and dataset determinism.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sequential, Tensor } from '@tensorflow/tfjs';
import { initBackend } from '../../src/learning/backend.ts';
import { registerFastGradients } from '../../src/learning/fast-gradients.ts';
import { createMlp } from '../../src/learning/mlp.ts';
import {
  cachedDataset,
  drawDataset,
  encodeDataset,
  featureScale,
  inputDim,
  localFeatureMatrix,
  outputDim,
  sizes,
  type IsacDataset,
} from '../../src/learning/dataset.ts';
import { isacRates, normalisePowerTf } from '../../src/learning/isac-loss.ts';
import { BsParty, CentralServer, bytesPerBsPerSample, paperUnitsPerSample } from '../../src/learning/vfl.ts';
import { loadLayersModel, saveLayersModel } from '../../src/learning/model-store.ts';
import { trainIsac, type TrainOptions } from '../../src/learning/train.ts';
import { createLearnedPolicy, modelProblem } from '../../src/learning/policies.ts';
import { MlpRunner, readDenseLayers } from '../../src/learning/inference.ts';
import { evaluateInto, emptySlotMetrics, emptySensingChannels, sensingChannelsInto } from '../../src/metrics/isac.ts';
import { ChannelModel } from '../../src/phy/channel.ts';
import { Population } from '../../src/phy/mobility.ts';
import { streamFor } from '../../src/phy/random.ts';
import { Twin } from '../../src/sim/twin.ts';
import { close, scenario } from '../helpers.ts';

const tiny = scenario(`
name: tiny
seed: 3
topology: { numCells: 3, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 2 }
targets: { perCell: 2 }
`);

const boot = async () => {
  const b = await initBackend();
  registerFastGradients(b.tf);
  return b.tf;
};

/** Batch tensors of samples [0, n) of a dataset. */
function batchOf(tf: Awaited<ReturnType<typeof boot>>, ds: IsacDataset, n: number) {
  const d = ds.dims;
  const z = sizes(d);
  const nt2 = 2 * d.numTxAnt;
  return {
    H: tf.tensor4d(ds.H.slice(0, n * z.h), [n, d.numBs, z.numUsers, nt2]),
    G: tf.tensor4d(ds.G.slice(0, n * z.g), [n, z.numTargets, d.numBs, nt2]),
    I: tf.tensor4d(ds.I.slice(0, n * z.i), [n, z.numTargets, d.targetsPerCell, nt2]),
  };
}

test('tfjs R_c and R_s equal src/metrics/isac.ts on random samples (raw channels, random beams)', async () => {
  const tf = await boot();
  const s = tiny.scenario;
  const topo = tiny.topology;
  const rng = streamFor(11, 'loss-check');
  const n = 5;
  const ds = drawDataset(s, topo, n, 11, 'check');
  // Recompute each sample's channels exactly as drawDataset does, and evaluate with isac.ts.
  const drawRng = streamFor(11, 'dataset:check');
  const geo = { cellCentresM: topo.bsPosM, cellRadiusM: topo.cellRadiusM };
  const K = 2;
  const nt = topo.numTxAnt;
  const Wflat = new Float32Array(n * topo.numBs * K * nt * 2);
  const expected: Array<{ rc: number; rs: number }> = [];
  for (let i = 0; i < n; i++) {
    const users = new Population(topo.userBs, geo, s.users.mobility, s.users.placement, drawRng);
    const targets = new Population(topo.targetBs, geo, s.targets.mobility, s.targets.placement, drawRng);
    const ch = new ChannelModel(topo, { ...s.channel, rcsM2: s.targets.rcsM2 }, s.timing.slotMs / 1000, drawRng);
    ch.update(users, targets, 0);
    const sens = emptySensingChannels(topo);
    sensingChannelsInto(sens, topo, ch.state.targetThetaRad, ch.state.targetAlpha, ch.state.G);
    const W = topo.servedUsers.map(() => {
      const w = new Float64Array(2 * K * nt);
      rng.complexNormal(w);
      let p = 0;
      for (const v of w) p += v * v;
      return w.map((v) => v * Math.sqrt(topo.powerW[0] / p));
    });
    W.forEach((w, m) => w.forEach((v, j) => (Wflat[((i * topo.numBs + m) * K * nt) * 2 + j] = v / Math.sqrt(topo.powerW[m]))));
    const out = evaluateInto(emptySlotMetrics(topo), topo, ch.state.H, sens, W, 0.5);
    expected.push({ rc: out.rc, rs: out.rs });
  }
  const batch = batchOf(tf, ds, n);
  const { rc, rs } = isacRates(tf, ds.dims, batch, tf.tensor4d(Wflat, [n, topo.numBs, K, 2 * nt]));
  const rcv = rc.dataSync();
  const rsv = rs.dataSync();
  for (let i = 0; i < n; i++) {
    close(rcv[i], expected[i].rc, 2e-4, `R_c sample ${i}`);
    close(rsv[i], expected[i].rs, 2e-4, `R_s sample ${i}`);
  }
  assert.ok(expected.some((e) => e.rs > 1e-3), 'sensing rates are not all ~0 (the check has teeth)');
  tf.dispose([rc, rs, batch.H, batch.G, batch.I]);
});

test('power normalisation (eq. 11): every output row has unit power', async () => {
  const tf = await boot();
  const raw = tf.randomNormal([7, 16], 0, 3, 'float32', 5);
  const p = tf.sum(tf.square(normalisePowerTf(tf, raw)), -1).dataSync();
  for (const v of p) close(v, 1, 1e-5, 'tr(WWᴴ)');
  raw.dispose();
});

/** Parties of a tiny VFL setup with small hidden layers. */
function setup(tf: Awaited<ReturnType<typeof boot>>, ds: IsacDataset, hidden = [16, 16]) {
  const d = ds.dims;
  const inDim = inputDim(d, false);
  const scale = featureScale(ds);
  const xs = Array.from({ length: d.numBs }, (_, m) => localFeatureMatrix(ds, m, false, scale));
  const models = Array.from({ length: d.numBs }, (_, m) => createMlp(tf, { inputDim: inDim, hiddenDims: hidden, outputDim: outputDim(d), seed: 5 + m }));
  const parties = models.map((model, m) => new BsParty(tf, model, { bs: m, seed: 9 }));
  return { d, inDim, xs, models, parties };
}

/** trainIsac options of the tiny training runs below; each test names what it varies. */
function tinyTraining(tf: Awaited<ReturnType<typeof boot>>, outDir: string, o: Pick<TrainOptions, 'method' | 'epochs' | 'hiddenDims'> & Partial<TrainOptions>): TrainOptions {
  return { rho: 0.5, batchSize: 64, learningRate: 1e-3, seed: 4, backend: tf.getBackend(), scenario: 'tiny', scenarioHash: 'x', clockS: () => 0, outDir, ...o };
}

test('VFL gradient exchange equals the gradient of the merged model (same dropout masks)', async () => {
  const tf = await boot();
  const ds = drawDataset(tiny.scenario, tiny.topology, 8, 1, 'grad');
  const { d, inDim, xs, parties } = setup(tf, ds);
  const B = 8;
  const batch = batchOf(tf, ds, B);
  const z = sizes(d);
  const nt2 = 2 * d.numTxAnt;
  const J = d.targetsPerCell;
  const x = xs.map((a) => tf.tensor2d(a.slice(0, B * inDim), [B, inDim]));
  const locals = Array.from({ length: d.numBs }, (_, m) => ({
    H: tf.squeeze(tf.slice(batch.H, [0, m, 0, 0], [B, 1, z.numUsers, nt2]), [1]),
    G: tf.squeeze(tf.slice(batch.G, [0, 0, m, 0], [B, z.numTargets, 1, nt2]), [2]),
    I: tf.slice(batch.I, [0, m * J, 0, 0], [B, J, J, nt2]),
  }));
  const server = new CentralServer(tf, d, 0.6);
  const uploads = parties.map((p, m) => p.upload(x[m], locals[m]));
  const { downloads } = server.step(uploads);
  const vflGrads = parties.map((p, m) => p.gradients(x[m], downloads[m].dW));
  // merged model: one tape over every party's variables, with the same dropout seeds
  const seeds = parties.map((p) => (p as unknown as { pendingSeeds: number[] }).pendingSeeds);
  const vars = parties.flatMap((p) => p.model.trainableWeights.map((w) => w.read())) as import('@tensorflow/tfjs').Variable[];
  const { grads } = tf.variableGrads(() => {
    const W = tf.reshape(tf.stack(parties.map((p, m) => p.forwardTrain(x[m], seeds[m])), 1), [B, d.numBs, d.usersPerCell, nt2]);
    const { rc, rs } = isacRates(tf, d, batch, W);
    return tf.neg(tf.mean(tf.add(tf.mul(rc, 0.6), tf.mul(rs, 0.4)))) as import('@tensorflow/tfjs').Scalar;
  }, vars);
  let k = 0;
  let maxAbs = 0;
  parties.forEach((_, m) => {
    vflGrads[m].forEach((g) => {
      const a = g.dataSync();
      const b = grads[vars[k++].name].dataSync();
      for (let i = 0; i < a.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(b[i]));
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * Math.max(1e-3, Math.abs(b[i])) + 1e-6, `party ${m} grad ${i}: ${a[i]} vs ${b[i]}`);
      }
    });
  });
  assert.ok(maxAbs > 1e-6, 'gradients are not all zero');
  // bytes: upload W̃_m, H_m, G_m, Ĩ_m; download ∂L/∂W̃_m (float32 complex = 8 bytes)
  const per = bytesPerBsPerSample(d);
  assert.is(uploads[0].bytes, B * per.upload);
  assert.is(downloads[0].bytes, B * per.download);
  assert.is(per.upload, (2 + 6 + 6 + 4) * 4 * 8);
  assert.is(paperUnitsPerSample(d), (3 + 1) * 2 * 4);
  parties.forEach((p) => p.dispose());
});

test('a tiny training run decreases the loss; save → load gives identical outputs; dims are checked', async () => {
  const tf = await boot();
  const dir = mkdtempSync(path.join(tmpdir(), 'vfl-'));
  try {
    const ds = drawDataset(tiny.scenario, tiny.topology, 640, 2, 'train');
    const r = await trainIsac(tf, ds, tinyTraining(tf, dir, { method: 'vfl', epochs: 4, hiddenDims: [32, 32], patience: 10 }));
    const c = r.meta.curve;
    assert.ok(c.at(-1)!.valLoss < c[0].valLoss, `validation loss ${c.map((p) => p.valLoss.toFixed(3)).join(' → ')}`);
    assert.ok(c.at(-1)!.trainLoss < c[0].trainLoss, 'training loss decreases');
    assert.ok(r.bytesExchanged > 0);
    // round trip: the stored model in tfjs and in the JS runner give the same outputs
    const model = (await loadLayersModel(tf, path.join(dir, 'bs1'))) as Sequential;
    const inDim = inputDim(ds.dims, false);
    const x = localFeatureMatrix(ds, 1, false, r.meta.featureScale).slice(0, 3 * inDim);
    const viaTf = (model.predict(tf.tensor2d(x, [3, inDim])) as Tensor).dataSync();
    const { layers, leakyAlpha } = readDenseLayers(path.join(dir, 'bs1'));
    const viaJs = new MlpRunner(layers, leakyAlpha).runBatch(x, 3);
    const runner = new MlpRunner(layers, leakyAlpha, tf);
    const viaWasm = runner.runBatch(x, 3);
    for (let i = 0; i < viaTf.length; i++) {
      close(viaJs[i], viaTf[i], 1e-4, `JS runner ${i}`);
      close(viaWasm[i], viaTf[i], 1e-4, `tf runner ${i}`);
    }
    // one input at a time: straight through the wasm kernels (no engine), same numbers; the
    // reused input/output tensors carry nothing from one call to the next
    assert.is(runner.directWasm, tf.getBackend() === 'wasm');
    for (const s of [2, 0, 1, 2]) {
      const one = runner.run(x.subarray(s * inDim, (s + 1) * inDim));
      assert.is(one.length, ds.dims.numTxAnt * ds.dims.usersPerCell * 2);
      one.forEach((v, i) => close(v, viaTf[s * one.length + i], 1e-4, `direct runner, sample ${s}, output ${i}`));
    }
    const numTensors = tf.memory().numTensors;
    runner.run(x.subarray(0, inDim));
    assert.is(tf.memory().numTensors, numTensors, 'a direct call creates no tensor');
    assert.throws(() => runner.run(x.subarray(0, inDim - 1)), /input has \d+ values, expected/);
    // weights read by an op on another backend move there: the runner falls back to the engine
    if (tf.getBackend() === 'wasm') {
      await initBackend('cpu');
      const onCpu = runner.runBatch(x.subarray(0, inDim), 1);
      await initBackend('wasm');
      const after = runner.run(x.subarray(0, inDim));
      onCpu.forEach((v, i) => close(v, viaTf[i], 1e-4, `cpu batch ${i}`));
      after.forEach((v, i) => close(v, viaTf[i], 1e-4, `after the move, output ${i}`));
    }
    runner.dispose();
    // save again and reload: identical weights and outputs
    await saveLayersModel(tf, model, path.join(dir, 'again'));
    const again = (await loadLayersModel(tf, path.join(dir, 'again'))) as Sequential;
    assert.equal(Array.from((again.predict(tf.tensor2d(x, [3, inDim])) as Tensor).dataSync()), Array.from(viaTf));
    assert.ok(JSON.parse(readFileSync(path.join(dir, 'bs1', 'model.json'), 'utf8')).weightsManifest[0].paths[0] === 'weights.bin');
    // the policy accepts this topology and refuses another, naming both dimensions
    assert.is(modelProblem('vfl', dir, tiny.topology), undefined);
    const other = scenario(`
name: other
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2 }
targets: { perCell: 2 }
`);
    assert.is(
      modelProblem('vfl', dir, other.topology),
      `model ${dir} was trained for M=3, N_T=4, N_R=4, K=2, J=2 but this scenario has M=3, N_T=8, N_R=8, K=2, J=2: an MLP runs only at its trained dimensions; train a model for it with \`isac-twin train <scenario> --family vfl\``,
    );
    assert.match(modelProblem('percell', dir, tiny.topology) ?? '', 'is of family vfl, not percell');
    const policy = createLearnedPolicy('vfl', dir, tiny.topology);
    assert.is(policy.scope, 'distributed');
    // in the twin: BSs learn other cells' target angles over the backhaul only for learned policies
    const inTwin = (pol: string) => {
      const twin = new Twin(
        scenario(`
name: tiny-twin
seed: 3
durationSlots: 40
topology: { numCells: 3, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 2 }
targets: { perCell: 2 }
policy: ${pol}
`),
      );
      twin.runSlots(40);
      return twin.viewOf(0).targetSlot;
    };
    const shared = inTwin(`{ name: vfl, params: { model: ${JSON.stringify(dir)} } }`);
    const notShared = inTwin('mrt');
    assert.ok(shared[2] >= 0 && shared[5] >= 0, `BS 0 knows other cells' targets with vfl: ${Array.from(shared)}`);
    assert.ok(shared[2] < 39, 'and they are stale (from an earlier report)');
    assert.is(notShared[2], -1, 'no sharing with mrt (other policies unchanged)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an interrupted training (stop requested from a timer, mid-epoch) resumes to exactly the uninterrupted run', async () => {
  const tf = await boot();
  const root = mkdtempSync(path.join(tmpdir(), 'vfl-resume-'));
  try {
    const ds = drawDataset(tiny.scenario, tiny.topology, 384, 2, 'train');
    const base = { method: 'vfl' as const, epochs: 3, hiddenDims: [16] };
    // No tensor outlives its batch, evaluation or checkpoint (a leak of 6 tensors per batch and the
    // optimiser state per checkpoint once filled the 4 GB wasm heap after ~50 epochs).
    const before = tf.memory().numTensors;
    const perEpochTensors: number[] = [];
    const whole = await trainIsac(tf, ds, { ...tinyTraining(tf, path.join(root, 'whole'), base), onEpoch: () => perEpochTensors.push(tf.memory().numTensors) });
    assert.is(whole.stopped, 'finished');
    assert.is(new Set(perEpochTensors).size, 1, `tensors after each epoch: ${perEpochTensors.join(', ')}`);
    assert.is(tf.memory().numTensors, before, 'every tensor of the run is disposed');
    // The stop flag is set by a macrotask, as a signal handler would: the loop must yield to see it.
    let stop = false;
    let batches = 0;
    let perEpoch = 0;
    const first = await trainIsac(tf, ds, {
      ...tinyTraining(tf, path.join(root, 'resumed'), base),
      shouldStop: () => stop,
      onBatch: (p) => {
        perEpoch = p.batches;
        if (++batches === p.batches + 2) setImmediate(() => (stop = true)); // two batches into epoch 2
      },
    });
    assert.is(first.stopped, 'interrupted');
    assert.is(first.meta.epochsDone, 1);
    assert.ok(batches === perEpoch + 2 || batches === perEpoch + 3, `stopped after ${batches} batches (${perEpoch} per epoch)`);
    const beforeResume = tf.memory().numTensors;
    const resumed = await trainIsac(tf, ds, tinyTraining(tf, path.join(root, 'resumed'), base));
    assert.is(resumed.stopped, 'finished');
    assert.is(tf.memory().numTensors, beforeResume, 'resuming (checkpoint and optimiser state loaded) leaks nothing');
    const strip = (c: typeof whole.meta.curve) => c.map(({ epoch, trainLoss, valLoss, valRc, valRs }) => ({ epoch, trainLoss, valLoss, valRc, valRs }));
    assert.equal(strip(resumed.meta.curve), strip(whole.meta.curve), 'the same curve, bit for bit');
    for (const m of [0, 1, 2]) {
      const w = (dir: string) => readFileSync(path.join(root, dir, `bs${m}`, 'weights.bin'));
      assert.ok(w('resumed').equals(w('whole')), `BS ${m}: the same weights`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('per-cell DL: own-cell inputs, no bytes exchanged, its own loss decreases', async () => {
  const tf = await boot();
  const dir = mkdtempSync(path.join(tmpdir(), 'percell-'));
  try {
    const ds = drawDataset(tiny.scenario, tiny.topology, 384, 2, 'train');
    const r = await trainIsac(tf, ds, tinyTraining(tf, dir, { method: 'percell', epochs: 3, hiddenDims: [32] }));
    assert.is(r.bytesExchanged, 0);
    assert.is(r.meta.localFeatures, 'own-cell');
    assert.is(r.meta.inputDim, 2 * 4 * (2 + 2));
    assert.ok(r.meta.curve.at(-1)!.trainLoss < r.meta.curve[0].trainLoss, 'training loss decreases');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('datasets are deterministic: same seed → same bytes (and the cache returns them)', () => {
  const a = encodeDataset(drawDataset(tiny.scenario, tiny.topology, 20, 5, 'train'));
  const b = encodeDataset(drawDataset(tiny.scenario, tiny.topology, 20, 5, 'train'));
  const c = encodeDataset(drawDataset(tiny.scenario, tiny.topology, 20, 6, 'train'));
  assert.ok(a.equals(b));
  assert.not.ok(a.equals(c));
  const dir = mkdtempSync(path.join(tmpdir(), 'ds-'));
  try {
    const first = cachedDataset(tiny.scenario, tiny.topology, 20, 5, 'train', dir);
    const second = cachedDataset(tiny.scenario, tiny.topology, 20, 5, 'train', dir);
    assert.is(first.cached, false);
    assert.is(second.cached, true);
    assert.ok(encodeDataset(second.dataset).equals(a));
    assert.ok(readFileSync(first.file).equals(a));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
