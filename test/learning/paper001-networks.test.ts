/**
 * Paper 001's network teachers and student (src/learning/paper001/networks.ts,
 * src/app/paper001-train.ts): the per-AP inputs (13)/(14) hold exactly the float64 channels of
 * system.ts; the power normalisation (17)/(18) per AP against a plain JavaScript one on the raw
 * outputs; the network loss (10)/(11) equal to system.ts's float64 metrics on the same beams; the
 * conv layers' shapes for N = 2, 5, 8; the adaptive λ (12) driving the student's training, batch
 * by batch, by the formula written out here; the §8.3 selection unchanged by pruning dominated
 * epochs; a checkpointed run resumed bit for bit. wasm (skipped visibly where it cannot load).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { backendName, initBackend, type BackendName, type Tf } from '../../src/learning/backend.ts';
import { convKernelsActive, registerConvKernels, unregisterConvKernels } from '../../src/learning/layers/conv.ts';
import { instanceOfSample, paper001Samples } from '../../src/learning/paper001/data.ts';
import {
  apInput,
  beamsOfOutput,
  buildPaper001Nets,
  forwardBeams,
  inferenceNet,
  lossOf,
  recalibrateBatchNorm,
  scoresTf,
  trainPaper001Nets,
  undominatedEpochs,
  validate,
  type Paper001Data,
} from '../../src/learning/paper001/networks.ts';
import { selectEpoch } from '../../src/learning/paper001/student.ts';
import { beamsFromDense, paper001Config, Paper001Evaluator } from '../../src/learning/paper001/system.ts';
import { paper001Scene } from '../../src/learning/paper001/teachers.ts';
import { runPaper001Job, type Paper001Job } from '../../src/app/paper001-train.ts';
import { streamFor } from '../../src/phy/random.ts';
import { close } from '../helpers.ts';

const T = suite('learning/paper001-networks');

let wasmError: string | null = null;
try {
  await initBackend('wasm');
} catch (error) {
  wasmError = (error as Error).message;
  console.warn(`paper001-networks: wasm backend unavailable, tests skipped: ${wasmError}`);
}
const wasmTest = wasmError === null ? T : T.skip;

let tf: Tf;
let before: BackendName | null = null;
let convBefore = false;
const dirs: string[] = [];
T.before(async () => {
  before = backendName() as BackendName | null;
  if (wasmError === null) {
    tf = (await initBackend('wasm')).tf;
    convBefore = convKernelsActive(tf).length > 0;
    registerConvKernels(tf);
  }
});
T.after(async () => {
  if (wasmError === null && !convBefore) unregisterConvKernels(tf);
  if (before) await initBackend(before);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const dataOf = (N: number, layout: 'pos-1' | 'pos-2', n: number, seed: number, over = {}) => {
  const cfg = paper001Config(N, over);
  const ds = paper001Samples(cfg, layout, n, seed);
  return { cfg, ds, data: { H: ds.data.H, G: ds.data.G, n: ds.n } as Paper001Data };
};

const tensors = (tfx: Tf, cfg: ReturnType<typeof paper001Config>, data: Paper001Data) => {
  const { numAps: L, numUsers: N, numTxAnt: M } = cfg;
  return { H: tfx.tensor4d(data.H, [data.n, L, N, 2 * M]), G: tfx.tensor4d(data.G, [data.n, 1, L, 2 * M]) };
};

wasmTest('inputs (13)/(14): AP l sees h_l1 … h_lN, a(θ_l) of system.ts, nothing of the other AP', () => {
  const { cfg, ds, data } = dataOf(3, 'pos-2', 4, 7);
  const { numUsers: N, numTxAnt: M } = cfg;
  const { H, G } = tensors(tf, cfg, data);
  for (let l = 0; l < cfg.numAps; l++) {
    const x2 = apInput(tf, cfg, 'unet', H, G, l);
    const x1 = apInput(tf, cfg, 'cnn1d', H, G, l);
    assert.equal(x2.shape, [4, N + 1, M, 2]);
    assert.equal(x1.shape, [4, 2 * M * (N + 1)]);
    const v2 = x2.dataSync();
    const v1 = x1.dataSync();
    for (let b = 0; b < 4; b++) {
      const inst = instanceOfSample(cfg, ds, b);
      for (let q = 0; q <= N; q++) {
        for (let m = 0; m < M; m++) {
          // the float64 channel of (4): h_lq for a user, a(θ_l) for the target
          const re = q < N ? inst.H[2 * ((l * N + q) * M + m)] : inst.A[2 * (l * M + m)];
          const im = q < N ? inst.H[2 * ((l * N + q) * M + m) + 1] : inst.A[2 * (l * M + m) + 1];
          close(v2[((b * (N + 1) + q) * M + m) * 2], re, 2e-6, `unet re b${b} l${l} q${q} m${m}`);
          close(v2[((b * (N + 1) + q) * M + m) * 2 + 1], im, 2e-6, `unet im b${b} l${l} q${q} m${m}`);
          // (13): every real part first (agent by agent), then every imaginary part
          close(v1[b * 2 * M * (N + 1) + q * M + m], re, 2e-6, 'cnn1d re');
          close(v1[b * 2 * M * (N + 1) + M * (N + 1) + q * M + m], im, 2e-6, 'cnn1d im');
        }
      }
    }
    // the output layout is the input's: beamsOfOutput(input) gives the channels as beams, row q interleaved
    for (const [kind, x] of [['unet', x2], ['cnn1d', x1]] as const) {
      const w = beamsOfOutput(tf, cfg, kind, x).dataSync();
      for (let q = 0; q <= N; q++) for (let k = 0; k < 2 * M; k++) assert.is(w[q * 2 * M + k], v2[q * 2 * M + k], `${kind} beams row ${q}`);
    }
  }
  H.dispose();
  G.dispose();
});

wasmTest('(17)/(18): every AP radiates exactly P_l, its beams the raw outputs scaled by one factor', () => {
  for (const N of [2, 5]) {
    const { cfg, data } = dataOf(N, 'pos-1', 6, 3, { powerW: 2.5 });
    const { numAps: L, numTxAnt: M } = cfg;
    const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 11 });
    const { H, G } = tensors(tf, cfg, data);
    const W = forwardBeams(tf, cfg, paper001Scene(cfg), 'unet', nets, H, G, false).dataSync();
    const per = (N + 1) * 2 * M;
    for (let l = 0; l < L; l++) {
      const raw = (nets[l].predict(apInput(tf, cfg, 'unet', H, G, l)) as Tensor).dataSync();
      for (let b = 0; b < 6; b++) {
        let norm2 = 0;
        for (let k = 0; k < per; k++) norm2 += raw[b * per + k] ** 2;
        const scale = Math.sqrt(2.5 / norm2);
        let p = 0;
        let shares = 0;
        for (let k = 0; k < per; k++) {
          const w = W[(b * L + l) * per + k];
          p += w * w;
          close(w, raw[b * per + k] * scale, 2e-5, `N=${N} b${b} l${l} k${k}`);
        }
        close(p, 2.5, 1e-5, `AP ${l} power`);
        // the split over the N+1 beams is the network's (not equal): the largest beam's share
        for (let q = 0; q <= N; q++) {
          let s = 0;
          for (let k = 0; k < 2 * M; k++) s += W[(b * L + l) * per + q * 2 * M + k] ** 2;
          shares = Math.max(shares, s / 2.5);
        }
        assert.ok(shares > 1.05 / (N + 1), `N=${N}: a learned split (largest share ${shares})`);
      }
    }
    H.dispose();
    G.dispose();
    nets.forEach((n) => n.dispose());
  }
});

wasmTest('losses (10)/(11) equal the float64 metrics of system.ts on the same beams', () => {
  const { cfg, ds, data } = dataOf(5, 'pos-2', 12, 5);
  const ev = new Paper001Evaluator(cfg);
  const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 2 });
  const { H, G } = tensors(tf, cfg, data);
  const scene = paper001Scene(cfg);
  const Wt = forwardBeams(tf, cfg, scene, 'unet', nets, H, G, false);
  const W = Wt.dataSync();
  const per = cfg.numAps * 6 * 2 * cfg.numTxAnt;
  let m1 = 0;
  let m2 = 0;
  for (let b = 0; b < 12; b++) {
    const v = ev.evaluate(instanceOfSample(cfg, ds, b), beamsFromDense(cfg, W, b * per));
    m1 += v.ssnr / 12;
    m2 += v.minSinr / 12;
  }
  const { ssnr, minSinr } = scoresTf(tf, scene, H, G, Wt);
  for (const beta of [0, 0.3, 1]) close(lossOf(tf, { role: 'teacher', beta }, 0, ssnr, minSinr).dataSync()[0], -((1 - beta) * m1 + beta * m2), 2e-5, `teacher β=${beta}`);
  const gMax: [number, number] = [3.2, 7.5];
  for (const lambda of [0, 0.42, 1]) {
    close(lossOf(tf, { role: 'student', gMax, lambda0: 0.5, epsilon: 0.01 }, lambda, ssnr, minSinr).dataSync()[0], -((1 - lambda) * (m1 / 3.2) + lambda * (m2 / 7.5)), 2e-5, `student λ=${lambda}`);
  }
  const v = validate(tf, cfg, 'unet', nets, data, { role: 'teacher', beta: 1 }, 0, 5); // chunks of 5, 5, 2
  close(v.ssnr, m1, 2e-5, 'validation SSNR');
  close(v.minSinr, m2, 2e-5, 'validation min-SINR');
  assert.ok(m1 > 0.01 && m2 > 1e-4, `non-trivial values (${m1}, ${m2})`);
  H.dispose();
  G.dispose();
  nets.forEach((n) => n.dispose());
});

wasmTest('conv layers for N = 2, 5, 8: [N+1, M, 2] in and out, per-AP beams [B, L, N+1, 2M]', () => {
  const params: Record<number, number> = {};
  for (const N of [2, 5, 8]) {
    const { cfg, data } = dataOf(N, 'pos-2', 3, 1);
    const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 1 });
    assert.is(nets.length, 2);
    for (const net of nets) {
      assert.equal(net.inputs[0].shape, [null, N + 1, 16, 2]);
      assert.equal(net.outputs[0].shape, [null, N + 1, 16, 2]);
      const convs = net.layers.filter((x) => x.getClassName() === 'Conv2D' || x.getClassName() === 'Conv2DTranspose');
      assert.is(convs.length, 8);
      for (const c of convs) assert.equal((c.output as { shape: number[] }).shape.slice(1, 3), [N + 1, 16], `${c.name} keeps the [N+1, M] map`);
    }
    params[N] = nets[0].countParams();
    const { H, G } = tensors(tf, cfg, data);
    assert.equal(forwardBeams(tf, cfg, paper001Scene(cfg), 'unet', nets, H, G, false).shape, [3, 2, N + 1, 32]);
    H.dispose();
    G.dispose();
    nets.forEach((n) => n.dispose());
  }
  // 'same' f×f convolutions: the weights do not depend on N (293 k at F3, docs/learning-conv.md)
  assert.is(params[2], 292930);
  assert.is(params[5], 292930);
  assert.is(params[8], 292930);
});

wasmTest("eq. (12) drives the student's training: λ^(i) from the batch's own gaps, the loss at λ^(i)", async () => {
  const { cfg, data } = dataOf(2, 'pos-2', 30, 9);
  const val = dataOf(2, 'pos-2', 6, 2024).data;
  // ĝ₂ small: the SINR gap below the SSNR gap, λ falls; ĝ₂ large: λ rises
  for (const [gMax, direction] of [[[3.2, 0.05], -1], [[3.2, 500], 1]] as const) {
    const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 4 });
    const mode = { role: 'student' as const, gMax: [gMax[0], gMax[1]] as [number, number], lambda0: 0.5, epsilon: 0.01 };
    const { state } = await trainPaper001Nets(tf, { config: cfg, kind: 'unet', nets, mode, train: data, val, epochs: 2, batchSize: 10, learningRate: 0.01, plateau: { patience: 10, factor: 10 }, seed: 3, clockS: () => 0 });
    let lambda = 0.5;
    const trace: number[] = [];
    for (const e of state.curve) {
      assert.is(e.lambdas.length, 3);
      e.batchMeans!.forEach(([s1, s2, loss], i) => {
        const G1 = (gMax[0] - s1) / gMax[0];
        const G2 = (gMax[1] - s2) / gMax[1];
        lambda = Math.min(1, Math.max(0, G2 >= G1 ? lambda + 0.01 * G2 : lambda - 0.01 * G1));
        close(e.lambdas[i], lambda, 1e-6, `λ of batch ${i} of epoch ${e.epoch}`);
        close(loss, -((1 - lambda) * (s1 / gMax[0]) + lambda * (s2 / gMax[1])), 2e-5, `loss at λ^(i), batch ${i}`);
        trace.push(lambda);
      });
      close(e.lambda, lambda, 1e-12, 'epoch λ = the last batch');
    }
    assert.ok(direction * (trace[5] - 0.5) > 0.005, `λ moves ${direction > 0 ? 'up' : 'down'}: ${trace.join(', ')}`);
    nets.forEach((n) => n.dispose());
  }
});

wasmTest('the SSNR teacher (β = 0) learns: validation SSNR rises toward the bound 3.2 in 12 steps', async () => {
  const { cfg, data } = dataOf(2, 'pos-1', 40, 1);
  const val = dataOf(2, 'pos-1', 20, 2024).data;
  const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 1 });
  const v0 = validate(tf, cfg, 'unet', nets, val, { role: 'teacher', beta: 0 }, 0);
  const { state } = await trainPaper001Nets(tf, { config: cfg, kind: 'unet', nets, mode: { role: 'teacher', beta: 0 }, train: data, val, epochs: 6, batchSize: 20, learningRate: 0.01, plateau: { patience: 10, factor: 10 }, seed: 1, clockS: () => 0 });
  const last = state.curve.at(-1)!;
  assert.ok(last.ssnr > v0.ssnr + 0.3 && last.ssnr <= 3.2 + 1e-4, `SSNR ${v0.ssnr} → ${last.ssnr}`);
  assert.is(state.stopped, 'finished');
  nets.forEach((n) => n.dispose());
});

wasmTest("inferenceNet: the U-Net with Conv2D for its transposed convolutions gives the network's outputs", async () => {
  const { cfg, data } = dataOf(2, 'pos-2', 20, 6);
  const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 8 });
  // two steps, so the BatchNorm moving statistics and every weight are no longer their initial values
  await trainPaper001Nets(tf, { config: cfg, kind: 'unet', nets, mode: { role: 'teacher', beta: 1 }, train: data, val: data, epochs: 1, batchSize: 10, learningRate: 0.01, plateau: { patience: 10, factor: 10 }, seed: 1, clockS: () => 0 });
  const { H, G } = tensors(tf, cfg, data);
  for (let l = 0; l < 2; l++) {
    const copy = await inferenceNet(tf, nets[l]);
    assert.ok(copy !== nets[l]);
    assert.is(copy.layers.filter((x) => x.getClassName() === 'Conv2DTranspose').length, 0);
    const x = apInput(tf, cfg, 'unet', H, G, l);
    const want = (nets[l].predict(x) as Tensor).dataSync();
    const got = (copy.predict(x) as Tensor).dataSync();
    let err = 0;
    let scale = 0;
    for (let i = 0; i < want.length; i++) {
      err = Math.max(err, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    assert.ok(err <= 1e-5 * scale && scale > 0.01, `AP ${l}: max |Δ| ${err} of ${scale}`);
    copy.dispose();
  }
  // a network without 'same' stride-1 transposed convolutions is returned as it is
  const cae = buildPaper001Nets(tf, paper001Config(5), { kind: 'cae', seed: 1 })[0];
  assert.ok((await inferenceNet(tf, cae)) === cae);
  H.dispose();
  G.dispose();
  nets.forEach((n) => n.dispose());
});

wasmTest('recalibrateBatchNorm: the moving statistics become the batches\' mean, inference then equals batch statistics', async () => {
  const { cfg, data } = dataOf(2, 'pos-2', 20, 12);
  const nets = buildPaper001Nets(tf, cfg, { kind: 'unet', filter: 3, seed: 3 });
  // a few steps without recalibration: moving statistics lag (momentum 0.99)
  await trainPaper001Nets(tf, { config: cfg, kind: 'unet', nets, mode: { role: 'teacher', beta: 1 }, train: data, val: data, epochs: 2, batchSize: 10, learningRate: 0.01, plateau: { patience: 10, factor: 10 }, seed: 1, clockS: () => 0, recalibrateBatches: 0 });
  const scene = paper001Scene(cfg);
  const { H, G } = tensors(tf, cfg, data);
  const train = forwardBeams(tf, cfg, scene, 'unet', nets, H, G, true).dataSync(); // batch statistics of all 20
  const infer = () => forwardBeams(tf, cfg, scene, 'unet', nets, H, G, false).dataSync();
  const gap = (a: ArrayLike<number>) => {
    let e = 0;
    for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - train[i]));
    return e;
  };
  const before = gap(infer());
  // one batch of all 20 samples: the moving statistics are exactly that batch's
  recalibrateBatchNorm(tf, cfg, 'unet', nets, data, 20, 1);
  const after = gap(infer());
  assert.ok(before > 0.05 && after < 1e-4, `inference vs batch statistics: ${before} before, ${after} after`);
  // two batches of 10: the plain mean of the two batches' means (first BN layer, against tf.moments of its input)
  const bn = nets[0].layers.find((x) => x.getClassName() === 'BatchNormalization')!;
  const momentum = (bn as unknown as { momentum: number }).momentum;
  recalibrateBatchNorm(tf, cfg, 'unet', nets, data, 10, 2);
  assert.is((bn as unknown as { momentum: number }).momentum, momentum, 'momentum restored');
  const conv = nets[0].layers[nets[0].layers.indexOf(bn) - 1];
  const sub = tf.model({ inputs: nets[0].inputs, outputs: conv.output as never });
  const x = apInput(tf, cfg, 'unet', H, G, 0);
  const z = sub.predict(x) as Tensor;
  const m1 = tf.moments(tf.slice(z, 0, 10), [0, 1, 2]).mean.dataSync();
  const m2 = tf.moments(tf.slice(z, 10, 10), [0, 1, 2]).mean.dataSync();
  const moving = (bn.getWeights()[2] as Tensor).dataSync();
  for (let c = 0; c < moving.length; c++) close(moving[c], (m1[c] + m2[c]) / 2, 1e-5, `moving mean ${c}`);
  H.dispose();
  G.dispose();
  nets.forEach((n) => n.dispose());
});

T('pruning dominated epochs never changes the §8.3 selection', () => {
  const rng = streamFor(5, 'paper001-networks:selection');
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + rng.int(30);
    // coarse values, so ties in both scores occur
    const curve = Array.from({ length: n }, (_, i) => ({ epoch: i + 1, minSinr: rng.int(8) / 4, ssnr: rng.int(8) / 4 }));
    const kept = undominatedEpochs(curve);
    for (const theta of [0.94, 1, 0.5]) {
      const full = selectEpoch(curve, theta);
      const pruned = selectEpoch(curve.filter((e) => kept.has(e.epoch)), theta);
      assert.is(pruned.selected.epoch, full.selected.epoch, `trial ${trial} θ=${theta}`);
      assert.is(pruned.best, full.best);
    }
  }
  // the paper's N = 8 example: epoch 222 (1.4802, 1.9338) survives beside a better-SINR, worse-SSNR epoch
  const k = undominatedEpochs([{ epoch: 1, minSinr: 1.5743, ssnr: 1.2 }, { epoch: 2, minSinr: 1.0, ssnr: 1.0 }, { epoch: 222, minSinr: 1.4802, ssnr: 1.9338 }]);
  assert.equal([...k].sort((a, b) => a - b), [1, 222]);
});

wasmTest('a checkpointed job resumed after an interruption repeats the uninterrupted run bit for bit', async () => {
  const job: Paper001Job = { id: 't', role: 'student', layout: 'pos-2', users: 2, net: { kind: 'unet', filter: 3, seed: 1 }, trainSamples: 30, trainSeed: 1, valSamples: 10, valSeed: 2024, epochs: 3, batchSize: 10, learningRate: 0.01, teacherSamples: 4 };
  const a = mkdtempSync(path.join(tmpdir(), 'p001a-'));
  const b = mkdtempSync(path.join(tmpdir(), 'p001b-'));
  dirs.push(a, b);
  const o = { backend: 'wasm', clockS: () => 0 };
  const whole = await runPaper001Job(tf, job, { ...o, modelsDir: a });
  await runPaper001Job(tf, job, {
    ...o,
    modelsDir: b,
    log: (line) => {
      if (line.includes('epoch 2/3')) throw new Error('interrupted');
    },
  }).then(
    () => assert.unreachable('the interruption should stop the first run'),
    (e: Error) => assert.match(e.message, /interrupted/),
  );
  const resumed = await runPaper001Job(tf, job, { ...o, modelsDir: b });
  const strip = (m: typeof whole) => m.state.curve.map((e) => [e.trainLoss, e.minSinr, e.ssnr, e.lambda, ...e.lambdas]);
  assert.equal(strip(resumed), strip(whole));
  assert.equal(resumed.selection, whole.selection);
  assert.is(resumed.state.epochsDone, 3);
  const again = await runPaper001Job(tf, { ...job }, { ...o, modelsDir: b });
  assert.equal(again.state.curve.length, 3, 'a finished job is skipped');
  await runPaper001Job(tf, { ...job, trainSamples: 40 }, { ...o, modelsDir: b }).then(
    () => assert.unreachable('another job in the same folder'),
    (e: Error) => assert.match(e.message, /remove the folder to retrain/),
  );
  // round-robin: capped at 1, then 2 epochs (unfinished, a provisional selection each time), then
  // the rest — the same run again; a finished job given more epochs continues from its checkpoint
  const c = mkdtempSync(path.join(tmpdir(), 'p001c-'));
  dirs.push(c);
  const short = { ...job, epochs: 2 };
  const r1 = await runPaper001Job(tf, short, { ...o, modelsDir: c, epochCap: 1 });
  assert.is(r1.state.stopped, 'running');
  assert.is(r1.selection?.provisional, true);
  const r2 = await runPaper001Job(tf, short, { ...o, modelsDir: c, epochCap: 5 });
  assert.is(r2.state.stopped, 'finished');
  assert.is(r2.selection?.provisional, false);
  const r3 = await runPaper001Job(tf, job, { ...o, modelsDir: c });
  assert.equal(strip(r3), strip(whole), 'capped, extended = uninterrupted');
  assert.equal(r3.selection, whole.selection);
});

T.run();
