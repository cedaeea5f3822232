/**
 * `isac-twin figures gnn` (src/app/gnn-figures.ts, gnn-baselines.ts) on a tiny test set with tiny
 * randomly initialised GNNs: the GNN's beams reach the metrics in the right layout (checked against
 * a naive evaluation of the raw tensors), the aggregates are the sample means, the outputs are
 * written, missing models are named, the cache reproduces the baselines, bad scenarios are refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { HeteroEdgeGnn, saveEdgeGnn } from '../../src/learning/layers/graph.ts';
import { buildTopology } from '../../src/phy/network.ts';
import { axisSteeringInto } from '../../src/phy/paper-channel.ts';
import { evaluateBaselines, problemOfSample, scenarioWithAps, sensingGains, testSamples } from '../../src/app/gnn-baselines.ts';
import { gnnBeams, GnnFiguresError, loadGnnModels, statsOf, writeGnnFigures } from '../../src/app/gnn-figures.ts';
import { cbSensing, cfWmmse, isacValue } from '../../src/solvers/cf-isac.ts';
import { close, scenario } from '../helpers.ts';

const PAPER = readFileSync(new URL('../../scenarios/paper004-m5.yaml', import.meta.url), 'utf8');
const loaded = scenario(PAPER, 'scenarios/paper004-m5.yaml');
let tf: Tf;

test.before(async () => {
  tf = (await initBackend('cpu')).tf;
});

test('statsOf: the sample means of rate, log2(1+SNR), SNR, and SNR in dB both ways', () => {
  const st = statsOf([1, 3], [1, 100]);
  assert.equal(st, { samples: 2, sumRate: 2, sensingRate: (1 + Math.log2(101)) / 2, snr: 50.5, snrDbOfMean: 10 * Math.log10(50.5), meanSnrDb: 10 });
});

test('gnnBeams: the model’s stacked [Re; Im] outputs become the topology’s rows (users, then sensing); P_m kept', async () => {
  const model = new HeteroEdgeGnn(tf, { numTxAntennas: 8, hiddenDims: [8, 8], seed: 11 });
  const s = scenarioWithAps(loaded.scenario, 3);
  const topo = buildTopology(s);
  const samples = testSamples(s, { seed: 4, numAps: 3, samples: 5 });
  const beams = gnnBeams(tf, model, topo, samples, 2);
  assert.is(beams.length, 5);
  // Naive: the raw forward on sample 3 alone, read back with explicit indices.
  const smp = samples[3];
  const h = new Float32Array(3 * 2 * 16);
  const a = new Float32Array(3 * 16);
  const steer = new Float64Array(16);
  for (let m = 0; m < 3; m++) {
    for (let u = 0; u < 2; u++) for (let i = 0; i < 8; i++) [h[(m * 2 + u) * 16 + i], h[(m * 2 + u) * 16 + 8 + i]] = [smp.H[2 * ((m * 2 + u) * 8 + i)], smp.H[2 * ((m * 2 + u) * 8 + i) + 1]];
    axisSteeringInto(steer, 0, 8, smp.thetaRad[m]);
    for (let i = 0; i < 8; i++) [a[m * 16 + i], a[m * 16 + 8 + i]] = [steer[2 * i], steer[2 * i + 1]];
  }
  const out = model.forward({ h: tf.tensor4d(h, [1, 3, 2, 16]), a: tf.tensor3d(a, [1, 3, 16]), power: 1 / 3 });
  const ue = out.ue.dataSync();
  const tg = out.target.dataSync();
  for (let m = 0; m < 3; m++) {
    let p = 0;
    for (let i = 0; i < 8; i++) {
      for (let u = 0; u < 2; u++) {
        close(beams[3][m][2 * (u * 8 + i)], ue[(m * 2 + u) * 16 + i], 1e-6, `Re f_${m}${u}[${i}]`);
        close(beams[3][m][2 * (u * 8 + i) + 1], ue[(m * 2 + u) * 16 + 8 + i], 1e-6, `Im f_${m}${u}[${i}]`);
      }
      close(beams[3][m][2 * (2 * 8 + i)], tg[m * 16 + i], 1e-6, `Re f_${m}q[${i}]`);
      close(beams[3][m][2 * (2 * 8 + i) + 1], tg[m * 16 + 8 + i], 1e-6, `Im f_${m}q[${i}]`);
    }
    for (const x of beams[3][m]) p += x * x;
    close(p, 1 / 3, 1e-5, `AP ${m} power`);
  }
  model.dispose();
});

test('evaluateBaselines: per-sample WMMSE, CB comm, CB sensing (= 80) and the PGA reference on its subset', () => {
  const s = loaded.scenario;
  const r = evaluateBaselines(s, { seed: 2, numAps: 4, samples: 6 }, { from: 1, to: 6 }, { betas: [2], samples: 3 });
  assert.is(r.wmmseRate.length, 5);
  assert.equal(r.cbsSnr.map((x) => Math.round(x * 1e9) / 1e9), [80, 80, 80, 80, 80]);
  assert.equal(r.cbsRate, [0, 0, 0, 0, 0]);
  assert.is(r.pga[0].rate.length, 2, 'samples 1 and 2 are below pgaSamples = 3');
  // Sample 2 of the set, recomputed here.
  const sc = scenarioWithAps(s, 4);
  const topo = buildTopology(sc);
  const smp = testSamples(sc, { seed: 2, numAps: 4, samples: 6 })[2];
  const p = problemOfSample(topo, sensingGains(topo), smp);
  close(r.wmmseRate[1], isacValue(p, cfWmmse(topo, smp.H, { maxIterations: 300, tolerance: 1e-6 }).W, 0).sumRate, 1e-12, 'WMMSE');
  close(isacValue(p, cbSensing(p), 0).snr[0], 80, 1e-12);
  assert.ok(r.pga[0].rate[1] < r.wmmseRate[1] && r.pga[0].snr[1] > r.wmmseSnr[1], 'β_s = 2 trades rate for sensing');
});

test('writeGnnFigures: files, rows, named missing models, cached baselines reproduced', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gnn-figures-'));
  try {
    const models = path.join(dir, 'models');
    const m0 = new HeteroEdgeGnn(tf, { numTxAntennas: 8, hiddenDims: [8], seed: 5 });
    await saveEdgeGnn(m0, path.join(models, 'gnn-beta0'));
    m0.dispose();
    const lines: string[] = [];
    const o = { loaded, out: path.join(dir, 'out'), models, samples: 8, seed: 3, betas: [0, 2], aps: [2, 5], pgaSamples: 2, jobs: 1, cache: path.join(dir, 'cache'), log: (l: string) => lines.push(l) };
    const r = await writeGnnFigures(tf, o);
    assert.equal(r.missing, [2]);
    assert.ok(lines.some((l) => l.includes(`model missing: ${path.join(models, 'gnn-beta2')}`)));
    for (const f of r.files) assert.ok(existsSync(f), f);
    assert.match(r.markdown, /\*\*Models missing\*\*/);
    assert.match(r.markdown, /width 8, \d,\d{3} parameters, epochs not recorded/);
    const csv = readFileSync(path.join(o.out, 'gnn-fig3.csv'), 'utf8').trim().split('\n');
    assert.is(csv[0], 'num_aps,beta,algorithm,subset,samples,sum_rate_bps_hz,log2_1p_snr,snr_linear,snr_db_of_mean,mean_snr_db,objective');
    // M = 5: β 0 → GNN ×2 subsets + 4 baselines ×2; β 2 → PGA + 4 baselines ×2.
    assert.is(csv.length - 1, 10 + 9);
    const cbs = r.rows.find((x) => x.numAps === 5 && x.algorithm === 'CB sensing' && x.subset === 'all')!;
    close(cbs.snr, 80, 1e-12);
    close(cbs.sensingRate, Math.log2(81), 1e-12);
    const crit = r.criteria.find((c) => c.what.startsWith('β_s = 2: GNN log2'))!;
    assert.is(crit.shown, 'model missing');
    assert.is(crit.met, undefined);
    const c0 = r.criteria.find((c) => c.what.startsWith('β_s = 0, M = 5'))!;
    const g = r.rows.find((x) => x.numAps === 5 && x.beta === 0 && x.algorithm === 'GNN' && x.subset === 'all')!;
    const w = r.rows.find((x) => x.numAps === 5 && x.beta === 0 && x.algorithm === 'WMMSE' && x.subset === 'all')!;
    close(c0.value, g.sumRate / w.sumRate, 1e-15);
    // Second run: every M from the cache, the same numbers.
    lines.length = 0;
    const again = await writeGnnFigures(tf, o);
    assert.ok(lines.filter((l) => / cached /.test(l)).length === 2, lines.join('\n'));
    assert.equal(again.rows, r.rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model trained at another β_s or on another problem is refused, naming its metadata', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gnn-models-'));
  try {
    const m = new HeteroEdgeGnn(tf, { numTxAntennas: 8, hiddenDims: [4], seed: 1 });
    await saveEdgeGnn(m, path.join(dir, 'gnn-beta2'));
    m.dispose();
    const meta = path.join(dir, 'gnn-beta2', 'metadata.json');
    const problem = { sumPowerW: 1, noiseW: 0.1, sensingGain: 10 };
    writeFileSync(meta, JSON.stringify({ epochsDone: 3, gnn: { betaS: 2, sumPowerW: 1, noiseW: 0.1, sensingGain: 10 } }));
    const ok = loadGnnModels(tf, dir, [2], problem);
    assert.is(ok.models.get(2)?.info.metadata?.epochsDone, 3);
    ok.models.get(2)?.model.dispose();
    writeFileSync(meta, JSON.stringify({ gnn: { betaS: 10 } }));
    assert.throws(() => loadGnnModels(tf, dir, [2], problem), (e: Error) => e instanceof GnnFiguresError && e.message === `${meta}: trained at β_s = 10, not 2`);
    writeFileSync(meta, JSON.stringify({ gnn: { betaS: 2, noiseW: 1 } }));
    assert.throws(() => loadGnnModels(tf, dir, [2], problem), /trained with noiseW = 1, the scenario has 0\.1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeGnnFigures refuses a geometric scenario and an M list without 5', async () => {
  const geo = scenario(PAPER.replace('  model: paper\n', '').replace(/ {2}paper:\n(?: {4}.*\n)+/, ''), 'geo.yaml');
  const base = { out: '/nonexistent', models: '/nonexistent', samples: 2, seed: 1, betas: [0], pgaSamples: 1, jobs: 1 };
  await writeGnnFigures(tf, { ...base, loaded: geo, aps: [5] }).then(
    () => assert.unreachable(),
    (e) => {
      assert.instance(e, GnnFiguresError);
      assert.match((e as Error).message, /geo\.yaml: channel\.model must be paper/);
    },
  );
  await writeGnnFigures(tf, { ...base, loaded, aps: [2, 3] }).then(
    () => assert.unreachable(),
    (e) => assert.match((e as Error).message, /--aps must include 5/),
  );
});

test.run();
