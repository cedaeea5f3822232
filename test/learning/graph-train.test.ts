/**
 * The GNN's hand-written training pass (src/learning/layers/graph-train.ts), its closed-form loss
 * gradient (src/learning/gnn-loss.ts) and the training loop (src/learning/gnn-train.ts), against
 * independent references:
 *  - the power normalisation's backward against central differences of its float64 forward;
 *  - the closed-form ∇J against tfjs autograd through losses.ts's paper004Loss (the reference
 *    formulas), and its value against losses.ts;
 *  - the network's forward and backward against the stock model (graph.ts, whose autograd
 *    graph.test.ts checks against float64 finite differences), on cpu and wasm, with the SIMD
 *    kernels and with the JavaScript loops, collapsed and direct products, sum and mean;
 *  - one full training step against the stock-autograd step (same updated weights);
 *  - an interrupted and resumed training against an uninterrupted one (bit for bit).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Scalar, Tensor, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { FusedAdam } from '../../src/learning/adam.ts';
import { initBackend, type BackendName, type Tf } from '../../src/learning/backend.ts';
import { fastGradientsActive, registerFastGradients, unregisterFastGradients } from '../../src/learning/fast-gradients.ts';
import { gatherBatch, gnnArrays, gnnDataset, PAPER004_SETTING, type GnnSetting } from '../../src/learning/gnn-data.ts';
import { deinterleaveBeams, interleaveBeams, Paper004Objective, paper004Gradient, paper004LossScene } from '../../src/learning/gnn-loss.ts';
import { cosineLearningRate, paper004TrainStep, trainGnn } from '../../src/learning/gnn-train.ts';
import { embeddedKernelsSource } from '../../src/learning/layers/graph-kernels.ts';
import { readFileSync } from 'node:fs';
import { EdgeGnnTrainer, normaliseBeams, normaliseBeamsBackward, type CollapseMode, type KernelMode } from '../../src/learning/layers/graph-train.ts';
import { gnnTrainStep, HeteroEdgeGnn, loadEdgeGnn, type EdgeGnnConfig } from '../../src/learning/layers/graph.ts';
import { paper004Loss } from '../../src/learning/losses.ts';
import { streamFor } from '../../src/phy/random.ts';
import { relativeError } from '../helpers.ts';

const G = suite('learning/graph-train');

let wasmError: string | null = null;
try {
  await initBackend('wasm');
} catch (error) {
  wasmError = (error as Error).message;
  console.warn(`learning/graph-train: wasm backend unavailable, wasm tests skipped: ${wasmError}`);
}
const wasmTest = wasmError === null ? G : G.skip;

let tf: Tf;
let autoBackend: BackendName;
let activeBefore = false;
G.before(async () => {
  const loaded = await initBackend();
  tf = loaded.tf;
  autoBackend = loaded.name as BackendName;
  activeBefore = fastGradientsActive(tf);
  registerFastGradients(tf);
});
G.after(async () => {
  if (!activeBefore) unregisterFastGradients(tf);
  await initBackend(autoBackend);
});

async function onBackend<T>(backend: BackendName, body: () => T | Promise<T>): Promise<T> {
  await initBackend(backend);
  try {
    return await body();
  } finally {
    await initBackend(autoBackend);
  }
}

const normals = (name: string, n: number, scale = 1) => {
  const rng = streamFor(11, name);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
};

// ------------------------------------------------------------------ power normalisation

G('normaliseBeams: every AP at exactly P_m; its backward equals central differences of the float64 forward', () => {
  const dims = { B: 2, M: 3, U: 2 };
  const W = 6;
  const ru = normals('ru', 2 * 3 * 2 * W);
  const rt = normals('rt', 2 * 3 * W);
  const power = Float64Array.from({ length: 6 }, (_, i) => 0.2 + 0.3 * i);
  const eps = 1e-12;
  const n = normaliseBeams(ru, rt, dims, W, power, eps);
  for (let r = 0; r < 6; r++) {
    let e = 0;
    for (let i = 0; i < 2 * W; i++) e += n.ue[r * 2 * W + i] ** 2;
    for (let i = 0; i < W; i++) e += n.target[r * W + i] ** 2;
    assert.ok(Math.abs(e - power[r]) < 1e-6 * power[r], `AP row ${r}: power ${e}, budget ${power[r]}`);
  }
  const gu = normals('gu', ru.length);
  const gt = normals('gt', rt.length);
  // L = Σ g ⊙ f in float64 (the normalisation written again, independently)
  const loss = (u: Float64Array, t: Float64Array) => {
    let l = 0;
    for (let r = 0; r < 6; r++) {
      let e = eps;
      for (let i = 0; i < 2 * W; i++) e += u[r * 2 * W + i] ** 2;
      for (let i = 0; i < W; i++) e += t[r * W + i] ** 2;
      const s = Math.sqrt(power[r] / e);
      for (let i = 0; i < 2 * W; i++) l += gu[r * 2 * W + i] * s * u[r * 2 * W + i];
      for (let i = 0; i < W; i++) l += gt[r * W + i] * s * t[r * W + i];
    }
    return l;
  };
  const d = normaliseBeamsBackward(ru, rt, n, gu, gt, dims, W);
  const u64 = Float64Array.from(ru);
  const t64 = Float64Array.from(rt);
  const h = 1e-6;
  const fd = (x: Float64Array) =>
    Float64Array.from(x, (v, i) => {
      x[i] = v + h;
      const up = loss(u64, t64);
      x[i] = v - h;
      const down = loss(u64, t64);
      x[i] = v;
      return (up - down) / (2 * h);
    });
  assert.ok(relativeError(d.ue, fd(u64)) < 1e-5, `δ ue ${relativeError(d.ue, fd(u64))}`);
  assert.ok(relativeError(d.target, fd(t64)) < 1e-5, `δ target ${relativeError(d.target, fd(t64))}`);
});

// ------------------------------------------------------------------ loss

G('paper 004 objective: the closed-form J and ∇J equal losses.ts’s paper004Loss and its tfjs autograd', () => {
  const B = 3;
  const M = 4;
  const U = 3;
  const N = 3;
  const ue = normals('lu', B * M * U * 2 * N, 0.3);
  const target = normals('lt', B * M * 2 * N, 0.3);
  const batch = { B, H: normals('lh', B * M * U * 2 * N, Math.SQRT1_2), G: normals('lg', B * M * 2 * N, 2) };
  for (const beta of [0, 2.5]) {
    const ref = new Paper004Objective(tf, beta).valueAndGrad(ue, target, batch, M, U, N);
    const got = paper004Gradient(ue, target, batch, M, U, N, beta, 0.1);
    assert.ok(Math.abs(got.loss - ref.loss) < 1e-5 * Math.abs(ref.loss), `β=${beta}: loss ${got.loss} vs ${ref.loss}`);
    assert.ok(relativeError(got.rc, ref.rc) < 1e-5, `β=${beta}: Σ R_u`);
    assert.ok(relativeError(got.rs, ref.rs) < 1e-5, `β=${beta}: R_s`);
    assert.ok(relativeError(got.dUe, ref.dUe) < 1e-4, `β=${beta}: δ ue ${relativeError(got.dUe, ref.dUe)}`);
    assert.ok(relativeError(got.dTarget, ref.dTarget) < 1e-4, `β=${beta}: δ target ${relativeError(got.dTarget, ref.dTarget)}`);
  }
  // The interleaved layout round-trips, and the scene is paper 004's (S = U + 1, multistatic, one target).
  const W = interleaveBeams(ue, target, B, M, U, N);
  const back = deinterleaveBeams(W, B, M, U, N);
  assert.equal(Array.from(back.ue), Array.from(ue));
  assert.equal(Array.from(back.target), Array.from(target));
  const scene = paper004LossScene(M, U, N, [0.25, 0.25, 0.25, 0.25]);
  assert.is(scene.numStreams, U + 1);
  assert.equal(scene.sensing, { geometry: 'multistatic', numTargets: 1 });
  // Closed form at a point: one AP, one user, f = h/‖h‖·√P, no sensing beam: R = log2(1 + P‖h‖²/σ²).
  const h1 = Float32Array.from([0.6, -0.2, 0.1, 0.5]); // [re, im] × 2 antennas
  const p = 0.8;
  const nrm = Math.sqrt(h1.reduce((s, x) => s + x * x, 0));
  const f1 = Float32Array.from([h1[0], h1[2], h1[1], h1[3]].map((x) => (x * Math.sqrt(p)) / nrm)); // stacked [Re; Im]
  const one = paper004Gradient(f1, new Float32Array(4), { B: 1, H: h1, G: new Float32Array(4) }, 1, 1, 2, 0, 0.1, false);
  assert.ok(Math.abs(one.rc[0] - Math.log2(1 + (p * nrm * nrm) / 0.1)) < 1e-6, `MRT rate ${one.rc[0]}`);
});

// ------------------------------------------------------------------ the network's pass

interface Case {
  cfg: EdgeGnnConfig;
  collapse: CollapseMode;
  kernels: KernelMode;
}

/** The hand-written forward and backward against the stock model's forward and autograd. */
function checkAgainstStock(c: Case, expectSimd: boolean, expectCollapsed: boolean[]): void {
  const model = new HeteroEdgeGnn(tf, c.cfg);
  const tr = new EdgeGnnTrainer(tf, model, { collapse: c.collapse, kernels: c.kernels });
  assert.is(tr.usesSimd, expectSimd, 'kernel path');
  assert.equal(tr.collapsed, expectCollapsed, 'collapsed layers');
  const B = 3;
  const M = 3;
  const U = 2;
  const F = 2 * c.cfg.numTxAntennas;
  const h = tf.tensor4d(normals('h', B * M * U * F), [B, M, U, F]) as Tensor4D;
  const a = tf.tensor3d(normals('a', B * M * F), [B, M, F]) as Tensor3D;
  const power = Float32Array.from({ length: B * M }, (_, i) => 0.1 + 0.05 * i);
  const gU = normals('gU', B * M * U * F);
  const gT = normals('gT', B * M * F);
  const ref = tf.tidy(() => {
    const p = tf.tensor2d(power, [B, M]) as Tensor2D;
    const out = model.forward({ h, a, power: p });
    const tgU = tf.tensor4d(gU, [B, M, U, F]);
    const tgT = tf.tensor3d(gT, [B, M, F]);
    const { grads } = tf.variableGrads(() => {
      const o = model.forward({ h, a, power: p });
      return tf.add(tf.sum(tf.mul(o.ue, tgU)), tf.sum(tf.mul(o.target, tgT))) as Scalar;
    }, model.variables);
    return { ue: out.ue.dataSync(), target: out.target.dataSync(), grads: model.variables.map((v) => grads[v.name].dataSync()) };
  });
  const before = tf.memory().numTensors;
  const tape = tr.forward(h, a);
  const ru = tape.rawUe.dataSync() as Float32Array;
  const rt = tape.rawTarget.dataSync() as Float32Array;
  const n = normaliseBeams(ru, rt, { B, M, U }, F, power, model.config.epsilon);
  const d = normaliseBeamsBackward(ru, rt, n, gU, gT, { B, M, U }, F);
  const grads = tr.backward(tape, d.ue, d.target);
  tr.disposeTape(tape);
  const what = `${JSON.stringify(c.cfg.hiddenDims)} ${c.cfg.aggregation ?? 'sum'} ${c.collapse} ${c.kernels} [${tf.getBackend()}]`;
  assert.ok(relativeError(n.ue, ref.ue) < 1e-5, `${what}: forward ue ${relativeError(n.ue, ref.ue)}`);
  assert.ok(relativeError(n.target, ref.target) < 1e-5, `${what}: forward target ${relativeError(n.target, ref.target)}`);
  assert.is(grads.length, model.variables.length);
  grads.forEach((g, i) => {
    assert.equal(g.shape, model.variables[i].shape, `${what}: shape of δ ${model.weightNames[i]}`);
    const err = relativeError(g.dataSync(), ref.grads[i]);
    assert.ok(err < 1e-4, `${what}: δ ${model.weightNames[i]} relative error ${err}`);
  });
  assert.is(tf.memory().numTensors - before, grads.length, `${what}: the pass leaves only the gradients`);
  tf.dispose([...grads, h, a]);
  model.dispose();
}

for (const backend of ['cpu', 'wasm'] as const) {
  (backend === 'wasm' ? wasmTest : G)(`forward and backward equal the stock model and its autograd [${backend}]`, async () => {
    await onBackend(backend, () => {
      const simd = backend === 'wasm';
      // widths not multiples of 4: the JavaScript loops on either backend
      checkAgainstStock({ cfg: { numTxAntennas: 3, hiddenDims: [5, 7], seed: 3 }, collapse: 'auto', kernels: 'auto' }, false, [false, false, false]);
      for (const kernels of ['auto', 'js'] as const) {
        // layer 1 collapsed (its x_A is 2·2N_t = 8 < 12 wide), layer 2 direct, output collapsed (2k = 8 < 16)
        checkAgainstStock({ cfg: { numTxAntennas: 2, hiddenDims: [12, 16], seed: 4 }, collapse: 'auto', kernels }, simd && kernels === 'auto', [true, false, true]);
        checkAgainstStock({ cfg: { numTxAntennas: 2, hiddenDims: [12, 16], seed: 4 }, collapse: 'never', kernels }, simd && kernels === 'auto', [false, false, false]);
        checkAgainstStock({ cfg: { numTxAntennas: 2, hiddenDims: [16, 8, 12], aggregation: 'mean', leakyAlpha: 0.2, seed: 5 }, collapse: 'auto', kernels }, simd && kernels === 'auto', [true, false, false, true]);
      }
    });
  });
}

// ------------------------------------------------------------------ training

const TINY: GnnSetting = { ...PAPER004_SETTING, numAps: 3, numTxAnt: 4 };

wasmTest('one fast training step equals one stock-autograd step (paper 004 loss, same Adam): same weights after it', async () => {
  await onBackend('wasm', () => {
    const s = TINY;
    const x = gnnArrays(s, gnnDataset(s, 64, 3).dataset);
    const batch = gatherBatch(s, x, Array.from({ length: 64 }, (_, i) => i));
    const cfg: EdgeGnnConfig = { numTxAntennas: 4, hiddenDims: [16, 16], seed: 6 };
    const fast = new HeteroEdgeGnn(tf, cfg);
    const stock = new HeteroEdgeGnn(tf, cfg);
    const beta = 2;
    const fastLoss = paper004TrainStep(tf, new EdgeGnnTrainer(tf, fast), new FusedAdam(tf, fast.variables, { learningRate: 1e-2 }), s, beta, batch);
    // stock: model.forward (its own normalisation) + losses.ts paper004Loss, tfjs autograd
    const { numAps: M, numUsers: U, numTxAnt: N } = s;
    const B = 64;
    const spec = paper004Loss({ betaS: beta });
    const stockLoss = tf.tidy(() => {
      const h = tf.tensor4d(batch.h, [B, M, U, 2 * N]) as Tensor4D;
      const a = tf.tensor3d(batch.a, [B, M, 2 * N]) as Tensor3D;
      const lb = { scene: paper004LossScene(M, U, N, new Float64Array(M).fill(1 / M)), H: tf.tensor4d(batch.H, [B, M, U, 2 * N]), G: tf.tensor4d(batch.G, [B, 1, M, 2 * N]) };
      // stacked [Re; Im] → interleaved with a constant permutation product (differentiable)
      const perm = new Float32Array(4 * N * N);
      for (let i = 0; i < N; i++) {
        perm[i * 2 * N + 2 * i] = 1;
        perm[(N + i) * 2 * N + 2 * i + 1] = 1;
      }
      const P = tf.tensor2d(perm, [2 * N, 2 * N]);
      return gnnTrainStep(tf, stock, new FusedAdam(tf, stock.variables, { learningRate: 1e-2 }), () => {
        const o = stock.forward({ h, a, power: 1 / M });
        const W = tf.concat([o.ue, tf.reshape(o.target, [B, M, 1, 2 * N])], 2);
        const Wi = tf.reshape(tf.matMul(tf.reshape(W, [-1, 2 * N]), P), [B, M, U + 1, 2 * N]);
        return spec.evaluate(tf, lb, Wi) as Scalar;
      });
    });
    assert.ok(Math.abs(fastLoss - stockLoss) < 1e-5 * Math.abs(stockLoss), `loss ${fastLoss} vs ${stockLoss}`);
    fast.variables.forEach((v, i) => {
      const err = relativeError(v.dataSync(), stock.variables[i].dataSync());
      assert.ok(err < 1e-5, `${fast.weightNames[i]} after the step: ${err}`);
    });
    fast.dispose();
    stock.dispose();
  });
});

wasmTest('a tiny GNN trains on wasm: −J falls; interrupted and resumed training equals uninterrupted training bit for bit', async () => {
  await onBackend('wasm', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gnn-train-'));
    try {
      const base = { setting: TINY, betaS: 1, hiddenDims: [16, 16], epochs: 3, trainSamples: 512, validationSamples: 128, batchSize: 64, learningRate: 3e-3, seed: 2, backend: 'wasm', scenario: 't', scenarioHash: 'h' };
      let t = 0;
      const clockS = () => (t += 1);
      const straight = await trainGnn(tf, { ...base, outDir: path.join(dir, 'a'), clockS });
      assert.is(straight.stopped, 'finished');
      assert.is(tf.getBackend(), 'wasm');
      const c = straight.meta.curve;
      assert.ok(c[2].trainLoss < c[0].trainLoss - 0.5, `train loss ${c.map((p) => p.trainLoss.toFixed(3))}`);
      assert.ok(c[2].valLoss < c[0].valLoss, `validation loss ${c.map((p) => p.valLoss.toFixed(3))}`);
      assert.equal(straight.meta.gnn.learningRates, [0, 1, 2].map((e) => cosineLearningRate(3e-3, 0, 3, e)));
      // interrupt during the second epoch (after 1 full epoch and 3 batches), then resume
      let batches = 0;
      const stopped = await trainGnn(tf, { ...base, outDir: path.join(dir, 'b'), clockS, shouldStop: () => ++batches > 8 + 3 });
      assert.is(stopped.stopped, 'interrupted');
      assert.is(stopped.meta.epochsDone, 1);
      const resumed = await trainGnn(tf, { ...base, outDir: path.join(dir, 'b'), clockS });
      assert.is(resumed.stopped, 'finished');
      assert.equal(resumed.meta.curve.map((p) => p.valLoss), c.map((p) => p.valLoss));
      const wa = loadEdgeGnn(tf, path.join(dir, 'a'));
      const wb = loadEdgeGnn(tf, path.join(dir, 'b'));
      wa.variables.forEach((v, i) => assert.equal(Array.from(wb.variables[i].dataSync()), Array.from(v.dataSync()), wa.weightNames[i]));
      wa.dispose();
      wb.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

G('cosine schedule: η₀ at epoch 0, η₀/2 at T/2, η_min at T', () => {
  assert.is(cosineLearningRate(4e-4, 0, 60, 0), 4e-4);
  assert.ok(Math.abs(cosineLearningRate(4e-4, 0, 60, 30) - 2e-4) < 1e-18);
  assert.ok(Math.abs(cosineLearningRate(4e-4, 1e-5, 60, 60) - 1e-5) < 1e-18);
  assert.ok(Math.abs(cosineLearningRate(4e-4, 0, 60, 15) - 2e-4 * (1 + Math.SQRT1_2)) < 1e-18);
});

G('the embedded graph kernels are graph-kernels-wat.ts compiled (regenerate: see that file)', async () => {
  const want = await embeddedKernelsSource();
  assert.is(readFileSync(new URL('../../src/learning/layers/graph-kernels.wasm.ts', import.meta.url), 'utf8'), want);
});

G.run();
