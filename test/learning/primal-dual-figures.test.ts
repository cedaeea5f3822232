/**
 * `isac-twin figures primal-dual` (src/app/primal-dual-figures.ts): the stage-1 "Done when"
 * arithmetic on hand-made results, a tiny end-to-end run (every file written, the CSV rows equal
 * results.json, the README carries the checks), the same for a tiny stage-2 run with shipped models,
 * and bad command-line input (exit 2, one message naming the option, nothing written).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkLines, writePrimalDualFigures } from '../../src/app/primal-dual-figures.ts';
import { writeStage2Figures } from '../../src/app/primal-dual-figures-stage2.ts';
import { STAGE2_DEFAULTS } from '../../src/learning/primal-dual/experiment-stage2.ts';
import { wasmOnly } from './wasm-only.ts';
import { stage1Checks, STAGE1_DEFAULTS, type MethodName, type Stage1Result } from '../../src/learning/primal-dual/experiment.ts';
import type { Evaluation } from '../../src/learning/primal-dual/evaluate.ts';
import { paper002Problem } from '../../src/learning/primal-dual/problem.ts';
import { close } from '../helpers.ts';

const wasmTest = wasmOnly(test, { fastGradients: true });

function result(snrDb: number, rows: Partial<Record<MethodName, [number, number]>>): Stage1Result {
  const problem = paper002Problem({ snrDb });
  const ev = (rate: number, lr: number): Evaluation => ({ n: 1, rates: Float64Array.of(rate), lr: Float64Array.of(lr), meanRate: rate, meanLr: lr, meanLr1: lr, meanLr2: 0, maxLr: lr, violationShare: 0 });
  return { snrDb, problem, methods: Object.entries(rows).map(([method, [rate, lr]]) => ({ method: method as MethodName, evaluation: ev(rate, lr) })) };
}

test('stage-1 checks: the WMMSE gap, the mean gain over supervised, L_r vs ε with and without dual', () => {
  const at10 = result(10, { unsupervised: [9.6, 0.155], 'no-dual': [9.7, 0.3], supervised: [9.0, 0.12], wmmse: [9.75, 0.12] });
  const at5 = result(5, { unsupervised: [8.0, 0.15], supervised: [7.2, 0.12] });
  const c = stage1Checks(at10, [at5, at10]);
  close(c.gapToWmmse.gap, 0.15 / 9.75, 1e-12);
  assert.ok(c.gapToWmmse.pass);
  close(c.overSupervised.mean, (0.8 + 0.6) / 2, 1e-12);
  assert.ok(c.overSupervised.pass);
  assert.ok(c.sensing.pass, '0.155 ≤ 1.05·0.15 and 0.3 > 0.15');
  const lines = checkLines(c);
  assert.is(lines.length, 3);
  assert.match(lines[0], 'gap 1.54 %');
  assert.match(lines[1], 'mean 0.700 bit/s/Hz (5 dB +0.800, 10 dB +0.600');
  const failing = stage1Checks(result(10, { unsupervised: [9.0, 0.16], 'no-dual': [9.7, 0.14], wmmse: [9.75, 0.12], supervised: [8.9, 0.12] }), [result(10, { unsupervised: [9.0, 0.16], supervised: [8.9, 0.12] })]);
  assert.not.ok(failing.gapToWmmse.pass);
  assert.not.ok(failing.overSupervised.pass);
  assert.not.ok(failing.sensing.pass, 'L_r 0.16 > 1.05 ε');
  assert.match(checkLines(failing)[2], 'NOT met');
  // the sensing bound is 1.05 ε exactly: 0.157 passes, 0.158 does not (no-dual violating in both)
  const sensing = (lr: number) => stage1Checks(result(10, { unsupervised: [9.6, lr], 'no-dual': [9.7, 0.3], wmmse: [9.75, 0.12] }), []).sensing.pass;
  assert.ok(sensing(0.157));
  assert.not.ok(sensing(0.158));
  assert.throws(() => stage1Checks(result(10, { unsupervised: [1, 0] }), []), /needs unsupervised, no-dual and wmmse/);
});

wasmTest('a tiny end-to-end run writes every figure, and the CSV rows are the results', async (tf) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'pd-figs-'));
  try {
    const settings = { ...STAGE1_DEFAULTS, iterations: 20, evalEvery: 10, evalSamples: 40, labelledSamples: 64 };
    const { checks, lines } = await writePrimalDualFigures(tf, { out, settings, snrsDb: [9, 10] });
    for (const f of ['README.md', 'results.json', 'fig4-se-vs-iteration.csv', 'fig4-se-vs-iteration.svg', 'fig4b-lr-vs-iteration.svg', 'fig5-se-vs-snr.csv', 'fig5-se-vs-snr.svg']) {
      assert.ok(existsSync(path.join(out, f)), f);
      assert.not.ok(existsSync(path.join(out, `${f}.partial`)));
    }
    const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    const fig5 = readFileSync(path.join(out, 'fig5-se-vs-snr.csv'), 'utf8').trim().split('\n');
    assert.is(fig5[0], 'snr_db,method,spectral_efficiency_bit_s_hz,mean_lr,violation_share');
    assert.is(fig5.length, 1 + 2 * 5, 'two SNRs × five methods');
    const wm10 = fig5.find((l) => l.startsWith('10,WMMSE,'))!.split(',');
    const want = json.sweep.find((r: { snrDb: number }) => r.snrDb === 10).methods.find((m: { method: string }) => m.method === 'wmmse').rate;
    close(Number(wm10[2]), want, 1e-7, 'CSV WMMSE at 10 dB');
    close(checks.gapToWmmse.wmmse, want, 1e-12);
    // Fig. 4: 3 curve points per learned method (0, 10, 20) and 2 per baseline
    const fig4 = readFileSync(path.join(out, 'fig4-se-vs-iteration.csv'), 'utf8').trim().split('\n');
    assert.is(fig4.length, 1 + 3 * 3 + 3 * 2);
    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    for (const l of lines) assert.ok(readme.includes(l), `README has: ${l}`);
    assert.match(readme, 'K = 5 users, M_C = 12, M_R = 12');
    assert.match(readFileSync(path.join(out, 'fig5-se-vs-snr.svg'), 'utf8'), '<svg');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

wasmTest('a tiny stage-2 run (--figs 6,9): its files, the Fig. 6 CSV = results-beamforming.json, the README carries the checks, models shipped with metadata', async (tf) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'pd-figs2-'));
  try {
    const s1 = { ...STAGE1_DEFAULTS, evalSamples: 24 };
    const s2 = { ...STAGE2_DEFAULTS, stage1Iterations: 6, iterations: 6, sweepStage1Iterations: 4, sweepIterations: 4, usersIterations: 4, distributedIterations: 4, labelledSamples: 40, evalEvery: 3 };
    const { lines } = await writeStage2Figures(tf, { out, figs: [6, 9], s1, s2, radarAntennas: [10, 12], shipTo: path.join(out, 'models') });
    for (const f of ['README-beamforming.md', 'results-beamforming.json', 'fig6-transfer-vs-direct.csv', 'fig6-transfer-vs-direct.svg', 'fig9-lr-vs-mr.csv', 'fig9-lr-vs-mr.svg']) assert.ok(existsSync(path.join(out, f)), f);
    assert.not.ok(existsSync(path.join(out, 'README.md')), 'the stage-1 README is not touched');
    const json = JSON.parse(readFileSync(path.join(out, 'results-beamforming.json'), 'utf8'));
    const fig6 = readFileSync(path.join(out, 'fig6-transfer-vs-direct.csv'), 'utf8').trim().split('\n');
    // 3 points (0, 3, 6) per stage-2 training, 2 per baseline
    assert.is(fig6.length, 1 + 3 * 3 + 2 * 2);
    const last = fig6.filter((l) => l.startsWith('6,direct unsupervised,'))[0].split(',');
    close(Number(last[2]), json.fig6.find((m: { method: string }) => m.method === 'direct').rate, 1e-7, 'direct final rate');
    assert.is(lines.length, 3, 'transfer check + two L_r-vs-M_R lines');
    const readme = readFileSync(path.join(out, 'README-beamforming.md'), 'utf8');
    for (const l of lines) assert.ok(readme.includes(l), `README has: ${l}`);
    for (const m of ['stage1', 'transfer', 'direct', 'supervised']) {
      const meta = JSON.parse(readFileSync(path.join(out, 'models', `primal-dual-${m}`, 'metadata.json'), 'utf8'));
      assert.is(meta.family, 'primal-dual');
      assert.is(meta.dims.outputDim, m === 'stage1' ? 8 : 240);
      assert.ok(existsSync(path.join(out, 'models', `primal-dual-${m}`, 'weights.bin')));
      assert.ok(Array.isArray(meta.curve) && meta.curve.length > 0);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bad command-line input: exit 2, one message naming the option, nothing written', () => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  const out = path.join(os.tmpdir(), `pd-figs-bad-${process.pid}`);
  for (const [args, msg] of [
    [['--snrs', '5,6'], /--snrs <list>.*must include 10/],
    [['--iterations', '0'], /--iterations <n>.*positive integer/],
    [['--snrs', '5,x'], /--snrs <list>.*comma-separated SNRs/],
    [['--figs', '6,12'], /--figs <list>.*figure numbers among 4 … 11/],
    [['--stage2-scale', '-1'], /--stage2-scale <x>.*positive number/],
  ] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'figures', 'primal-dual', '--out', out, ...args], { cwd: root, encoding: 'utf8' });
    assert.is(r.status, 2, `${args.join(' ')}: exit code`);
    assert.match(r.stderr, msg);
    assert.not.ok(existsSync(out), 'nothing written');
  }
});

test.run();
