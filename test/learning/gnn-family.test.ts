/**
 * The `gnn` model family (src/learning/gnn-family.ts): its dimension rule, strict loading, the
 * save → load → forward round trip, the train/serve parity of its inputs in the twin, the power
 * budgets of its beams, and `train --family gnn` refusing what it cannot train on.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { builtinFamilies, twinPolicies } from '../../src/learning/policies.ts';
import { gnnArrays, gnnInputsInto, inputScale, PAPER004_SETTING, type GnnSetting } from '../../src/learning/gnn-data.ts';
import { paper004Gradient } from '../../src/learning/gnn-loss.ts';
import { gnnFamily, gnnProblem, loadGnnBeamformer, loadGnnModel, trainedSetting } from '../../src/learning/gnn-family.ts';
import { initialGnnMetadata, type GnnMetadata } from '../../src/learning/gnn-train.ts';
import { GnnInference } from '../../src/learning/layers/graph-infer.ts';
import { HeteroEdgeGnn, readEdgeGnnArtifacts, saveEdgeGnn } from '../../src/learning/layers/graph.ts';
import type { LabelledDataset } from '../../src/learning/labels.ts';
import { readMetadata, writeMetadata } from '../../src/learning/model-store.ts';
import { streamFor } from '../../src/phy/random.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { Twin } from '../../src/sim/twin.ts';
import { relativeError } from '../helpers.ts';

const G = suite('learning/gnn-family');

let tf: Tf;
G.before(async () => {
  tf = (await initBackend()).tf;
});
/** The twin's registry with the learned policies on the test's backend. */
const policies = () => twinPolicies({ inferenceTf: tf });

const dirs: string[] = [];
G.after.each(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A model directory holding an untrained GNN (random weights: enough for the family's plumbing). */
async function modelDir(setting: GnnSetting, hidden: number[], seed = 3): Promise<{ dir: string; model: HeteroEdgeGnn; meta: GnnMetadata }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gnn-family-'));
  dirs.push(dir);
  const model = new HeteroEdgeGnn(tf, { numTxAntennas: setting.numTxAnt, hiddenDims: hidden, seed });
  const meta = initialGnnMetadata(tf, model, {
    setting,
    betaS: 2,
    hiddenDims: hidden,
    epochs: 1,
    trainSamples: 0,
    validationSamples: 0,
    seed,
    backend: tf.getBackend(),
    scenario: 'test',
    scenarioHash: 'none',
    batchSize: 256,
    learningRate: 4e-4,
    aggregation: 'sum',
    datasetHash: 'none',
    validationSeed: 0,
  });
  await saveEdgeGnn(model, dir);
  writeMetadata(dir, { ...meta, finished: true });
  return { dir, model, meta };
}

const CELLFREE = readFileSync('scenarios/cellfree.yaml', 'utf8');

/** cellfree.yaml with the given replacements (each must apply). */
function cellfree(edits: Array<[RegExp, string]>): string {
  let y = CELLFREE;
  for (const [re, to] of edits) {
    assert.match(y, re, `edit ${re}`);
    y = y.replace(re, to);
  }
  return y;
}

const ONE_TARGET: [RegExp, string] = [/^targets:\n {2}perCell: 2$/m, 'targets:\n  perCell: 1'];

G('dimension rule: any M and U; refuses another N_t, two targets, or no sensing stream, naming them', async () => {
  const { dir, meta } = await modelDir({ ...PAPER004_SETTING, numTxAnt: 4 }, [8, 8]);
  const topo = (edits: Array<[RegExp, string]>) => loadScenario(cellfree([...edits, [/policy: \{ name: crzf.*$/m, 'policy: mrt']]), 'cf.yaml', policies()).topology;
  // runs: M = 16 (cellfree), 4 or 9 APs; U = 8, 1 or 3 users; N_t = 4 as trained
  for (const [aps, users] of [
    [16, 8],
    [4, 1],
    [9, 3],
  ]) {
    const t = topo([ONE_TARGET, [/numAps: 16/, `numAps: ${aps}`], [/perCell: 8 {17}#/, `perCell: ${users}  #`]]);
    assert.is(t.numBs, aps);
    assert.is(t.numUsers, users);
    assert.is(gnnProblem(meta, dir, t), undefined, `M=${aps} U=${users}`);
  }
  const nt = gnnProblem(meta, dir, topo([ONE_TARGET, [/numTxAnt: 4 /, 'numTxAnt: 8 ']]));
  assert.equal(typeof nt === 'object' && nt.path, ['params', 'model']);
  assert.match(typeof nt === 'object' ? nt.message : '', /trained for N_t = 4 antennas per AP but this scenario has 8/);
  assert.match(String(gnnProblem(meta, dir, topo([]))), /gnn senses one target .*this scenario has 2/);
  assert.match(String(gnnProblem(meta, dir, topo([ONE_TARGET, [/streams: 1 /, 'streams: 0 ']]))), /set sensing.streams to 1 \(it is 0\)/);
  // a foreign metadata file is the model's fault
  const foreign = gnnProblem({ ...meta, family: 'vfl', gnn: undefined } as never, dir, topo([ONE_TARGET]));
  assert.equal(typeof foreign === 'object' && foreign.path, ['params', 'model']);
});

G('strict loading: a model file with an unknown layer class is refused, naming it (family requirement and loader)', async () => {
  const { dir } = await modelDir({ ...PAPER004_SETTING, numTxAnt: 4 }, [8, 8]);
  const t = loadScenario(cellfree([ONE_TARGET]), 'cf.yaml', policies()).topology;
  const meta = readMetadata(dir);
  assert.is(gnnFamily.problem(meta, dir, t), undefined);
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  json.modelTopology.config.layers[1].class_name = 'GraphConv';
  writeFileSync(file, JSON.stringify(json));
  const p = gnnFamily.problem(meta, dir, t);
  assert.equal(typeof p === 'object' && p.path, ['params', 'model']);
  assert.match(typeof p === 'object' ? p.message : '', /layer 2 has unknown class_name 'GraphConv'/);
  assert.throws(() => loadGnnModel(tf, dir), /unknown class_name 'GraphConv'/);
  // and through a scenario: the policy's requirement points at params.model
  const yaml = cellfree([ONE_TARGET, [/policy: \{ name: crzf.*$/m, `policy: { name: gnn, params: { model: ${JSON.stringify(dir)} } }`]]);
  assert.throws(() => loadScenario(yaml, 'cf.yaml', policies()), /policy\.params\.model.*GraphConv/s);
  assert.ok(builtinFamilies().names().includes('gnn'), 'registered in builtinFamilies');
});

G('save → load → forward: bit for bit from the files (JavaScript beamformer and tfjs model); the beams equal the tfjs forward and meet every budget', async () => {
  const setting = { ...PAPER004_SETTING, numTxAnt: 4 };
  const { dir, model } = await modelDir(setting, [12, 8, 8]);
  const loaded = loadGnnModel(tf, dir);
  const M = 5;
  const U = 3;
  const N = 4;
  const rng = streamFor(9, 'gnn-family-save');
  const H = Float64Array.from({ length: 2 * M * U * N }, () => rng.normal() * Math.SQRT1_2);
  const theta = Float64Array.from({ length: M }, () => rng.between(0, Math.PI / 2));
  const power = [0.1, 0.3, 0.2, 0.25, 0.15];
  const got = loaded.beams(H, theta, power);
  // the same through the model that was saved, with the inputs built by hand (paper units: s = 1)
  const h = new Float32Array(M * U * 2 * N);
  const a = new Float32Array(M * 2 * N);
  for (let m = 0; m < M; m++) {
    for (let u = 0; u < U; u++) for (let i = 0; i < N; i++) {
      h[(m * U + u) * 2 * N + i] = H[2 * ((m * U + u) * N + i)];
      h[(m * U + u) * 2 * N + N + i] = H[2 * ((m * U + u) * N + i) + 1];
    }
    // a(θ)_k = e^{jπ k cos θ}, θ from the array axis
    for (let k = 0; k < N; k++) {
      a[m * 2 * N + k] = Math.cos(Math.PI * k * Math.cos(theta[m]));
      a[m * 2 * N + N + k] = Math.sin(Math.PI * k * Math.cos(theta[m]));
    }
  }
  const [ue, tg] = tf.tidy(() => {
    const o = model.forward({ h: tf.tensor4d(h, [1, M, U, 2 * N]) as Tensor4D, a: tf.tensor3d(a, [1, M, 2 * N]) as Tensor3D, power: tf.tensor2d(power, [1, M]) as Tensor2D });
    return [o.ue.dataSync(), o.target.dataSync()];
  });
  const want = new Float32Array(M * (U + 1) * 2 * N);
  for (let m = 0; m < M; m++) for (let s = 0; s <= U; s++) for (let i = 0; i < N; i++) {
    const src = s < U ? ue : tg;
    const o = s < U ? (m * U + s) * 2 * N : m * 2 * N;
    want[(m * (U + 1) + s) * 2 * N + 2 * i] = src[o + i];
    want[(m * (U + 1) + s) * 2 * N + 2 * i + 1] = src[o + N + i];
  }
  // The steering vectors above are computed as the paper writes them (cos θ), the loader's through
  // the twin's broadside convention (sin(π/2 − θ)): equal to float32 rounding.
  assert.ok(relativeError(got, want) < 1e-5, `beams vs the saved model ${relativeError(got, want)}`);
  // Bit for bit: the beamformer read from the files equals the one built from the model in memory,
  // and the loaded tfjs model's forward equals the saved model's.
  const hb = new Float32Array(M * U * 2 * N);
  const ab = new Float32Array(M * 2 * N);
  gnnInputsInto(hb, ab, 0, M, U, N, H, Float64Array.from(theta, (t) => Math.PI / 2 - t), 1);
  const mem = GnnInference.fromModel(model).forward(hb, ab, M, U, power);
  const file = GnnInference.fromArtifacts(readEdgeGnnArtifacts(dir)).forward(hb, ab, M, U, power);
  assert.equal(Array.from(file.ue), Array.from(mem.ue), 'JavaScript inference: files vs memory');
  assert.equal(Array.from(file.target), Array.from(mem.target));
  const fwd = (m: HeteroEdgeGnn) =>
    tf.tidy(() => {
      const o = m.forward({ h: tf.tensor4d(hb, [1, M, U, 2 * N]) as Tensor4D, a: tf.tensor3d(ab, [1, M, 2 * N]) as Tensor3D, power: tf.tensor2d(power, [1, M]) as Tensor2D });
      return [...Array.from(o.ue.dataSync()), ...Array.from(o.target.dataSync())];
    });
  const saved = fwd(model);
  assert.equal(fwd(loaded.model), saved, 'tfjs forward: loaded vs saved, bit for bit');
  // …and the beams are those forwards, rearranged: loadGnnModel's from the tfjs one, loadGnnBeamformer's from the JavaScript one.
  const js = loadGnnBeamformer(dir).beams(H, theta, power);
  const T0 = M * U * 2 * N;
  for (let m = 0; m < M; m++) for (let st = 0; st <= U; st++) for (let i = 0; i < N; i++) {
    const o = st < U ? (m * U + st) * 2 * N : T0 + m * 2 * N;
    const at = (m * (U + 1) + st) * 2 * N + 2 * i;
    assert.ok(got[at] === saved[o + i] && got[at + 1] === saved[o + N + i], `AP ${m} stream ${st} antenna ${i}: beams vs the saved model's forward`);
    const jo = st < U ? (m * U + st) * 2 * N : m * 2 * N;
    const jsrc = st < U ? mem.ue : mem.target;
    assert.ok(js[at] === jsrc[jo + i] && js[at + 1] === jsrc[jo + N + i], `AP ${m} stream ${st} antenna ${i}: JavaScript beamformer vs inference`);
  }
  assert.ok(relativeError(js, got) < 1e-5, `JavaScript vs tfjs beams ${relativeError(js, got)}`);
  const again = loadGnnModel(tf, dir);
  assert.equal(Array.from(again.beams(H, theta, power)), Array.from(got), 'a second load gives the same beams bit for bit');
  const trained = new HeteroEdgeGnn(tf, { numTxAntennas: 4, hiddenDims: [12, 8, 8], seed: 3 });
  trained.variables.forEach((v, i) => assert.equal(Array.from(loaded.model.variables[i].dataSync()), Array.from(v.dataSync()), loaded.model.weightNames[i]));
  for (let m = 0; m < M; m++) {
    let e = 0;
    for (let i = 0; i < (U + 1) * 2 * N; i++) e += got[m * (U + 1) * 2 * N + i] ** 2;
    assert.ok(Math.abs(e - power[m]) < 1e-6 * power[m], `AP ${m}: ${e} vs P_m ${power[m]}`);
  }
  assert.equal(trainedSetting(loaded.meta).numTxAnt, 4);
  for (const x of [loaded, again]) x.dispose();
  trained.dispose();
  model.dispose();
});

G('train/serve parity in the twin (cell-free geometry, perfect instant CSI): the policy’s beams are the model on the training inputs of the true channel', async () => {
  const setting = { ...PAPER004_SETTING, numTxAnt: 4 };
  const { dir, model } = await modelDir(setting, [16, 16]);
  const yaml = cellfree([
    ONE_TARGET,
    [/^durationSlots: .*$/m, 'durationSlots: 40'],
    [/^shadows: .*$/m, 'shadows: []'],
    [/policy: \{ name: crzf.*$/m, `policy: { name: gnn, params: { model: ${JSON.stringify(dir)} } }`],
    [/pilotPeriodSlots: 10/, 'pilotPeriodSlots: 1'],
    [/csiFeedbackDelayMs: 1/, 'csiFeedbackDelayMs: 0'],
    [/csiNmseDb: -20/, 'csiNmseDb: -300'],
    [/delayMs: 1\n {4}jitterMs: 0.2/, 'delayMs: 0\n    jitterMs: 0'],
    [/echo: \{ periodSlots: 1, angleStdDeg: 0.5, alphaNmseDb: -20 \}/, 'echo: { periodSlots: 1, angleStdDeg: 0, alphaNmseDb: -300 }'],
    [/mobility: \{ model: random-waypoint, speedMps: 1.4, speedSpreadMps: 0.3, pauseS: 2 \}/, 'mobility: { model: static }'],
    [/mobility: \{ model: random-waypoint, speedMps: 15 \}/, 'mobility: { model: static }'],
  ]);
  const twin = new Twin(loadScenario(yaml, 'parity.yaml', policies()));
  twin.slots$.subscribe(() => undefined);
  twin.runSlots(30);
  const topo = twin.topo;
  const { numBs: M, numUsers: U, numTxAnt: N } = topo;
  const truth = twin.truth.channel;
  // The training path: a dataset holding the true channel in training units (s·H) and the true
  // angles as the paper's θ from the array axis, through gnnArrays (the trainer's inputs).
  let sumP = 0;
  for (const p of topo.powerW) sumP += p;
  const s = inputScale(setting, sumP, topo.noiseCommW);
  assert.ok(s > 1e3, `a geometric network's scale ${s}`);
  const ds: LabelledDataset = {
    hash: '',
    n: 1,
    fields: [],
    data: { H: Float32Array.from(truth.H, (x) => s * x), thetaRad: Float32Array.from({ length: M }, (_, m) => Math.PI / 2 - truth.apTargetThetaRad[m]) },
    labelSource: 'none',
    labelSize: 0,
    labels: new Float32Array(0),
  };
  const x = gnnArrays({ ...setting, numAps: M, numUsers: U }, ds);
  const toTrain = setting.channel.sumPowerW / sumP;
  const [ue, tg] = tf.tidy(() => {
    const o = model.forward({
      h: tf.tensor4d(x.h, [1, M, U, 2 * N]) as Tensor4D,
      a: tf.tensor3d(x.a, [1, M, 2 * N]) as Tensor3D,
      power: tf.tensor2d(Float32Array.from(topo.powerW, (p) => p * toTrain), [1, M]) as Tensor2D,
    });
    return [o.ue.dataSync(), o.target.dataSync()];
  });
  const beams = twin.beamsInForce();
  const back = Math.sqrt(1 / toTrain);
  for (let m = 0; m < M; m++) {
    const rows = topo.apStreams[m];
    assert.is(rows.length, U + 1, 'every AP carries every user and the sensing stream');
    const want = new Float64Array(2 * rows.length * N);
    rows.forEach((st, r) => {
      for (let i = 0; i < N; i++) {
        const src = st < U ? ue : tg;
        const o = st < U ? (m * U + st) * 2 * N : m * 2 * N;
        want[2 * (r * N + i)] = back * src[o + i];
        want[2 * (r * N + i) + 1] = back * src[o + N + i];
      }
    });
    const err = relativeError(beams[m], want);
    assert.ok(err < 1e-5, `AP ${m}: twin beams vs the model on the training inputs: ${err}`);
    const p = beams[m].reduce((acc, v) => acc + v * v, 0);
    assert.ok(Math.abs(p - topo.powerW[m]) < 1e-6 * topo.powerW[m], `AP ${m}: power ${p} vs budget ${topo.powerW[m]}`);
  }
  model.dispose();
});

G('JavaScript one-sample inference equals the tfjs forward at M ∈ {2, 5, 16}, U ∈ {1, 2, 4}, sum and mean; malformed files are refused', async () => {
  for (const cfg of [
    { numTxAntennas: 4, hiddenDims: [16, 12, 8], seed: 4 },
    { numTxAntennas: 3, hiddenDims: [10, 10], aggregation: 'mean' as const, leakyAlpha: 0.2, seed: 5 },
  ]) {
    const model = new HeteroEdgeGnn(tf, cfg);
    const inf = GnnInference.fromModel(model);
    const F = 2 * cfg.numTxAntennas;
    for (const [M, U] of [
      [2, 1],
      [5, 2],
      [16, 4],
    ]) {
      const rng = streamFor(6, `infer-${M}-${U}`);
      const h = Float32Array.from({ length: M * U * F }, () => rng.normal());
      const a = Float32Array.from({ length: M * F }, () => rng.normal());
      const p = Float64Array.from({ length: M }, () => rng.between(0.1, 1));
      const got = inf.forward(h, a, M, U, p);
      const want = tf.tidy(() => {
        const o = model.forward({ h: tf.tensor4d(h, [1, M, U, F]) as Tensor4D, a: tf.tensor3d(a, [1, M, F]) as Tensor3D, power: tf.tensor2d(Float32Array.from(p), [1, M]) as Tensor2D });
        return { ue: o.ue.dataSync(), target: o.target.dataSync() };
      });
      assert.ok(relativeError(got.ue, want.ue) < 1e-5, `${JSON.stringify(cfg.hiddenDims)} M=${M} U=${U}: ue ${relativeError(got.ue, want.ue)}`);
      assert.ok(relativeError(got.target, want.target) < 1e-5, `M=${M} U=${U}: target ${relativeError(got.target, want.target)}`);
    }
    model.dispose();
  }
  const { dir } = await modelDir({ ...PAPER004_SETTING, numTxAnt: 4 }, [8, 8]);
  const art = readEdgeGnnArtifacts(dir);
  const specs = art.weightSpecs ?? [];
  assert.throws(() => GnnInference.fromArtifacts({ ...art, weightSpecs: specs.slice(1) }), /weight 'l1\/vertex_ap\/kernel' is missing|bytes of weight data are not in the manifest/);
  assert.throws(() => GnnInference.fromArtifacts({ ...art, weightSpecs: [...specs.slice(0, -1), { ...specs[specs.length - 1], name: 'l9/extra' }] }), /unexpected weight 'l9\/extra'|is missing/);
  const topo = JSON.parse(JSON.stringify(art.modelTopology));
  topo.config.layers[0].config.activation = 'gelu';
  assert.throws(() => GnnInference.fromArtifacts({ ...art, modelTopology: topo }), /unknown activation 'gelu'/);
});

G('inputScale maps a network’s units onto the training problem’s: the same J for h̃ = s·h, f = f̃·√(ΣP/ΣP_t), σ² for σ_t²', () => {
  const M = 4;
  const U = 2;
  const N = 3;
  const rng = streamFor(5, 'scale');
  const Htrain = Float32Array.from({ length: M * U * 2 * N }, () => rng.normal());
  const fU = Float32Array.from({ length: M * U * 2 * N }, () => rng.normal() * 0.2);
  const fT = Float32Array.from({ length: M * 2 * N }, () => rng.normal() * 0.2);
  const Gs = Float32Array.from({ length: M * 2 * N }, () => rng.normal());
  const train = PAPER004_SETTING;
  const sumP = 3.7e-2; // a network's Σ P_m (W)
  const noise = 2.5e-13; // its σ² (W)
  const s = inputScale(train, sumP, noise);
  const up = Math.sqrt(sumP / train.channel.sumPowerW);
  const J = (H: Float32Array, u: Float32Array, t: Float32Array, n: number) => paper004Gradient(u, t, { B: 1, H, G: Gs }, M, U, N, 0, n, false).rc[0];
  const want = J(Htrain, fU, fT, train.channel.noiseW);
  const got = J(Float32Array.from(Htrain, (x) => x / s), Float32Array.from(fU, (x) => x * up), Float32Array.from(fT, (x) => x * up), noise);
  assert.ok(Math.abs(got - want) < 1e-4 * want, `Σ R_u in the network's units ${got} vs the training problem's ${want}`);
  assert.ok(Math.abs(inputScale(train, 1, 0.1) - 1) < 1e-15, 'paper mode: s = 1');
});

G('train --family gnn refuses a geometric scenario (exit 2, naming channel.model) and overwriting without --force', async () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', ...args], { encoding: 'utf8' });
  const geometric = run(['scenarios/cellfree.yaml', '--family', 'gnn']);
  assert.is(geometric.status, 2, geometric.stderr);
  assert.match(geometric.stderr, /scenarios\/cellfree.yaml: channel.model: the gnn family trains on paper 004's i.i.d. setting/);
  const { dir } = await modelDir(PAPER004_SETTING, [8, 8]);
  const taken = run(['scenarios/paper004-m5.yaml', '--family', 'gnn', '--out', dir]);
  assert.is(taken.status, 2, taken.stderr);
  assert.match(taken.stderr, /already holds a trained model; choose another --out, or add --force/);
});

G.run();
