/**
 * `figures vfl --paper` (issue 14): claims judged from the numbers only, time-sharing gains, and a
 * tiny end-to-end run whose INR under MRT moves by exactly the SNR step (INR ∝ P_T for fixed MRT
 * directions), with WMMSE (best of starts) never below MRT.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../../src/learning/backend.ts';
import { registerFastGradients } from '../../src/learning/fast-gradients.ts';
import { drawDataset } from '../../src/learning/dataset.ts';
import { gainVerdict, judgeClaims, seesSnr, timeSharingGains, writePaperFigures, type PaperRow } from '../../src/learning/figures-paper.ts';
import { cellEdgeSnrDb, meanInterCellInr } from '../../src/learning/snr-axis.ts';
import { trainIsac } from '../../src/learning/train.ts';
import type { ModelMetadata } from '../../src/learning/model-store.ts';
import { close, scenario, smallTopology } from '../helpers.ts';

test('inter-cell INR: only other BSs’ beams count, against a hand computation', () => {
  // 2 BSs × 1 user, N_T = 2, σ² = 0.5; H[m, u] = h_{m,u}
  const topo = smallTopology({ numBs: 2, K: 1, nt: 2, powerW: 1, noiseW: 0.5 });
  // h_{0,0} = (1, 0), h_{0,1} = (0, 1j), h_{1,0} = (1, 1), h_{1,1} = (2, 0)
  const H = Float64Array.from([1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 2, 0, 0, 0]);
  const W = [Float64Array.from([1, 0, 0, 0]), Float64Array.from([0, 0, 1, 0])]; // w_0 = e_0, w_1 = e_1
  // user 0 (BS 0): interference from BS 1: |h_{1,0}ᴴ w_1|² = |1|² = 1 → INR 2
  // user 1 (BS 1): interference from BS 0: |h_{0,1}ᴴ w_0|² = 0 → INR 0
  close(meanInterCellInr(topo, H, W), 1, 1e-12);
});

test('time-sharing gain at equal R_s: the chord between the ρ = 0.99 and ρ = 0.01 points', () => {
  const g = timeSharingGains([
    { rho: 0.99, rc: 10, rs: 2 },
    { rho: 0.01, rc: 2, rs: 10 },
    { rho: 0.5, rc: 9, rs: 6 }, // chord at R_s 6: R_c 6 → +50 %
    { rho: 0.9, rc: 11, rs: 1 }, // R_s below the ρ = 0.99 end: no equal-R_s point on the chord
  ]);
  assert.is(g.length, 1);
  close(g[0].rcTimeSharing, 6, 1e-12);
  close(g[0].gain, 0.5, 1e-12);
});

test('claims: verdicts follow the numbers (reproduced / not reproduced with the gap / not measured)', () => {
  assert.is(gainVerdict(0.5, 0.45), 'reproduced');
  assert.is(gainVerdict(0.2, 0.45), 'not reproduced (gap 25.0 points: +20.0 % vs +45.0 %)');
  assert.is(gainVerdict(-0.1, 0.45), 'not reproduced (-10.0 % vs +45.0 %)');
  assert.is(gainVerdict(undefined, 0.45), 'not measured (no model)');
  const row = (figure: PaperRow['figure'], method: string, snrDb: number, rc: number, rs: number): PaperRow => ({ figure, setting: 'N_T = 12', method, snrDb, rc, rs, samples: 1 });
  const rows = [
    row('rc-vs-snr', 'vfl', 0, 10, 0), row('rc-vs-snr', 'wmmse', 0, 9, 0),
    row('rc-vs-snr', 'vfl', 30, 20, 0), row('rc-vs-snr', 'wmmse', 30, 25, 0), row('rc-vs-snr', 'percell', 30, 10, 0),
    row('rs-vs-snr', 'vfl', 0, 0, 3), row('rs-vs-snr', 'cbf', 0, 0, 2), row('rs-vs-snr', 'vfl', 30, 0, 5), row('rs-vs-snr', 'cbf', 30, 0, 5),
  ];
  const c = judgeClaims(rows, new Map([['N_T = 12', [{ rho: 0.5, rc: 7, rs: 3, rcTimeSharing: 5, gain: 0.4 }]]]), [0, 30]);
  assert.is(c[0].verdict, 'not reproduced (worst -20.0 % at 30 dB)');
  assert.is(c[0].measured, '0 dB +11.1 %, 30 dB -20.0 %');
  assert.is(c[1].measured, '+100.0 %');
  assert.is(c[1].verdict, 'reproduced');
  assert.is(c[2].measured, '+50.0 % at 0 dB');
  assert.is(c[2].verdict, 'not reproduced (gap 44.0 points: +50.0 % vs +94.0 %)');
  assert.is(c[3].verdict, 'not reproduced (gap 18.0 points: +40.0 % vs +58.0 %)');
  assert.is(c[4].verdict, 'not measured (no model)');
});

test('seesSnr: legacy rms models get training-scale inputs; models trained across SNR or with log-gain features get the evaluated SNR', () => {
  const m = (x: Partial<ModelMetadata>) => ({ featureScale: { h: 1, g: 1 }, ...x }) as ModelMetadata;
  assert.not.ok(seesSnr(m({})));
  assert.ok(seesSnr(m({ snrRangeDb: [0, 30] })));
  assert.ok(seesSnr(m({ features: { mode: 'log-gain', h: { offsetDb: 0, spanDb: 1 }, g: { offsetDb: 0, spanDb: 1 } } })));
});

test('a tiny --paper run: INR under MRT moves by exactly the SNR step; WMMSE ≥ MRT; tables and claims written', async () => {
  const b = await initBackend();
  registerFastGradients(b.tf);
  const tf = b.tf;
  const dir = mkdtempSync(path.join(tmpdir(), 'paper-figs-'));
  try {
    const yaml = `
name: tinyp
seed: 3
topology: { numCells: 3, numTxAnt: 6, numRxAnt: 4, txPowerDbm: 70 }
users: { perCell: 2 }
targets: { perCell: 2 }
`;
    const file = path.join(dir, 'tinyp.yaml');
    writeFileSync(file, yaml);
    const loaded = scenario(yaml);
    const ds = drawDataset(loaded.scenario, loaded.topology, 128, 2, 'train');
    await trainIsac(tf, ds, {
      method: 'vfl', rho: 0.99, epochs: 1, hiddenDims: [8], batchSize: 64, learningRate: 1e-3, seed: 4, backend: tf.getBackend(),
      scenario: 'tinyp', scenarioHash: 'x', clockS: () => 0, outDir: path.join(dir, 'models', 'tinyp-vfl-rho0.99'),
      features: 'log-gain', snrRangeDb: [0, 30], baseSnrDb: cellEdgeSnrDb(loaded.scenario, loaded.topology),
    });
    const out = path.join(dir, 'figs');
    await writePaperFigures(tf, { out, scenarioFile: file, models: path.join(dir, 'models'), testSamples: 4, snrsDb: [0, 30], wmmseIterations: 50, readScenario: () => loaded, log: () => {} });
    const res = JSON.parse(readFileSync(path.join(out, 'paper000-results.json'), 'utf8'));
    const inr = (method: string, snr: number) => res.inr.find((r: { method: string; snrDb: number }) => r.method === method && r.snrDb === snr).inrDb as number;
    close(inr('mrt', 30) - inr('mrt', 0), 30, 1e-9, 'MRT INR step');
    assert.ok(Number.isFinite(inr('vfl', 30)));
    const rc = (method: string, snr: number) => res.rows.find((r: PaperRow) => r.figure === 'rc-vs-snr' && r.method === method && r.snrDb === snr).rc as number;
    for (const snr of [0, 30]) assert.ok(rc('wmmse', snr) >= rc('mrt', snr) - 1e-9, `WMMSE ≥ MRT at ${snr} dB`);
    assert.is(res.claims.length, 5);
    const md = readFileSync(path.join(out, 'paper000-results.md'), 'utf8');
    assert.match(md, 'cell-edge transmit SNR');
    assert.match(md, 'J = 2');
    assert.match(md, '1 epochs (best 1) × 115 samples, log-gain features, SNR 0–30 dB');
    const csv = readFileSync(path.join(out, 'paper000-inr.csv'), 'utf8').split('\n');
    assert.match(csv[0], /^# SNR = cell-edge transmit SNR .*J = 2.*tinyp-vfl-rho0\.99: 1 epochs/);
    assert.is(csv[1], 'snrDb,method,inrDb');
    assert.is(csv.length, 2 + res.inr.length + 1);
    // A model still training (a programme stopped mid-way) is left out, and said so.
    const wip = path.join(dir, 'models', 'tinyp-vfl-rho0.01');
    cpSync(path.join(dir, 'models', 'tinyp-vfl-rho0.99'), wip, { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(wip, 'metadata.json'), 'utf8'));
    writeFileSync(path.join(wip, 'metadata.json'), JSON.stringify({ ...meta, rho: 0.01, finished: false }));
    const lines: string[] = [];
    await writePaperFigures(tf, { out, scenarioFile: file, models: path.join(dir, 'models'), testSamples: 4, snrsDb: [0], wmmseIterations: 5, readScenario: () => loaded, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => l.includes('tinyp-vfl-rho0.01: still training (epoch 1), left out')), lines.join('\n'));
    assert.not.match(readFileSync(path.join(out, 'paper000-results.md'), 'utf8'), 'rho0.01');
    // The WMMSE cache: the first run writes one file per SNR point, the second reads them (a tampered
    // file shows up in the numbers), and a changed iteration limit misses the cache.
    const cache = path.join(dir, 'cache');
    const run = async (iters: number) => {
      const log: string[] = [];
      await writePaperFigures(tf, { out, scenarioFile: file, models: path.join(dir, 'models'), testSamples: 4, snrsDb: [0, 30], wmmseIterations: iters, cache, readScenario: () => loaded, log: (l) => log.push(l) });
      return { log, res: JSON.parse(readFileSync(path.join(out, 'paper000-results.json'), 'utf8')) };
    };
    const wm = (r: { rows: PaperRow[] }, snr: number) => r.rows.find((x) => x.figure === 'rc-vs-snr' && x.method === 'wmmse' && x.snrDb === snr)!.rc;
    const first = await run(50);
    assert.not.ok(first.log.some((l) => l.includes('from the cache')));
    close(wm(first.res, 30), rc('wmmse', 30), 1e-12, 'cached run = uncached run');
    const files = readdirSync(cache).filter((f) => f.startsWith('paper000-wmmse-'));
    assert.is(files.length, 2);
    const second = await run(50);
    assert.is(second.log.filter((l) => l.includes('from the cache')).length, 2);
    close(wm(second.res, 0), wm(first.res, 0), 1e-12);
    close(wm(second.res, 30), wm(first.res, 30), 1e-12);
    for (const f of files) {
      const c = JSON.parse(readFileSync(path.join(cache, f), 'utf8'));
      c.W = c.W.map((bs: number[][]) => bs.map((w) => w.map(() => 0)));
      writeFileSync(path.join(cache, f), JSON.stringify(c));
    }
    const tampered = await run(50);
    assert.is(wm(tampered.res, 30), 0, 'zeroed cached beams give R_c 0: the file is what is used');
    const other = await run(40);
    assert.not.ok(other.log.some((l) => l.includes('from the cache')), 'another iteration limit is another key');
    assert.is(readdirSync(cache).filter((f) => f.startsWith('paper000-wmmse-')).length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
