/**
 * `compare` on real twin runs: runs of one scenario and seed are paired (and the same policy
 * twice differs by exactly zero: common random numbers), a different seed is unpaired with a
 * warning; the paired interval equals an independent naive batch-means computation on rows read
 * straight from SQLite; analyze's percentiles equal a naive sort of the raw rows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { runScenario } from '../../src/app/run.ts';
import { analyzeFile } from '../../src/analysis/analyze.ts';
import { compareFiles, type Comparison } from '../../src/analysis/compare.ts';
import { formatComparison } from '../../src/analysis/format.ts';
import { studentTQuantile } from '../../src/analysis/stats.ts';
import { withOverrides } from '../../src/scenario/validate.ts';
import { allSync, openDbSync } from '../../src/store/db.ts';
import { scenario } from '../helpers.ts';
import { tmp } from './synthetic.ts';

const dir = tmp('compare');
const YAML = `
name: compare-test
seed: 5
durationSlots: 300
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2 }
targets: { perCell: 1 }
shadows: []
logging: { batchSlots: 100 }
`;
const files = { mrt: path.join(dir, 'mrt.sqlite'), zf: path.join(dir, 'zf.sqlite'), mrtShort: path.join(dir, 'mrt-200.sqlite'), seed6: path.join(dir, 'zf-seed6.sqlite') };
let paired: Comparison;

async function column(file: string, sql: string): Promise<number[]> {
  const db = openDbSync(file, 'readonly');
  try {
    return allSync<{ v: number }>(db, sql).map((r) => r.v);
  } finally {
    db.close();
  }
}

test.before(async () => {
  const base = scenario(YAML);
  const runs: Array<[string, Parameters<typeof withOverrides>[1]]> = [
    [files.mrt, { policy: 'mrt' }],
    [files.zf, { policy: 'zf' }],
    [files.mrtShort, { policy: 'mrt', slots: 200 }],
    [files.seed6, { policy: 'zf', seed: 6 }],
  ];
  for (const [file, o] of runs) {
    const s = await runScenario(withOverrides(base, o), { dbPath: file, packageVersion: 'test', measureCompute: false });
    assert.is(s.status, 'completed');
  }
  paired = await compareFiles([files.mrt, files.zf]);
});

test('same scenario and seed, different policy: paired over all 300 slots', () => {
  const p = paired.pairs[0];
  assert.equal([p.a, p.b, p.paired, p.slotsA, p.slotsB], [0, 1, true, 300, 300]);
  assert.match(p.reason, 'same scenario and seed 5');
  assert.equal(paired.labels, ['mrt', 'zf']);
  assert.equal(paired.notes, []);
});

test('the paired mean difference is mean(zf) − mean(mrt) from SQLite, inside its interval', async () => {
  for (const name of ['rc', 'rs', 'objective']) {
    const [ma] = await column(files.mrt, `SELECT avg(${name}) AS v FROM slots`);
    const [mb] = await column(files.zf, `SELECT avg(${name}) AS v FROM slots`);
    const s = paired.pairs[0].metrics[name];
    assert.ok(Math.abs(s.meanA - ma) < 2e-6 && Math.abs(s.meanB - mb) < 2e-6, `${name} means`);
    assert.ok(Math.abs(s.diff - (mb - ma)) < 2e-6, `${name}: ${s.diff} vs ${mb - ma}`);
    assert.ok(s.halfWidth! > 0 && s.lo! < s.diff && s.diff < s.hi!, `${name} interval`);
  }
});

test('the paired interval equals a naive batch-means computation on the raw rows', async () => {
  const a = await column(files.mrt, 'SELECT rc AS v FROM slots ORDER BY slot');
  const b = await column(files.zf, 'SELECT rc AS v FROM slots ORDER BY slot');
  const d = b.map((x, i) => x - a[i]);
  // 20 batches of 15 slots
  const means = Array.from({ length: 20 }, (_, j) => d.slice(15 * j, 15 * j + 15).reduce((t, x) => t + x, 0) / 15);
  const m = means.reduce((t, x) => t + x, 0) / 20;
  const s = Math.sqrt(means.reduce((t, x) => t + (x - m) ** 2, 0) / 19);
  const hw = (studentTQuantile(0.975, 19) * s) / Math.sqrt(20);
  const got = paired.pairs[0].metrics.rc;
  assert.is(paired.pairs[0].batchSize, 15);
  assert.ok(Math.abs(got.halfWidth! - hw) < 1e-5, `half-width ${got.halfWidth} vs naive ${hw}`);
});

test('the same policy twice differs by exactly zero over the common slots (common random numbers)', async () => {
  const c = await compareFiles([files.mrt, files.mrtShort]);
  const p = c.pairs[0];
  assert.ok(p.paired);
  assert.is(p.slotsA, 200);
  for (const s of Object.values(p.metrics)) {
    assert.is(s.diff, 0);
    assert.is(s.halfWidth, 0);
  }
  assert.equal(c.labels, ['mrt (mrt.sqlite)', 'mrt (mrt-200.sqlite)']);
});

test('a different seed is compared unpaired, with a warning naming both files', async () => {
  const c = await compareFiles([files.mrt, files.seed6]);
  const p = c.pairs[0];
  assert.is(p.paired, false);
  assert.is(p.reason, 'different seeds (5 vs 6)');
  assert.equal([p.slotsA, p.slotsB], [300, 300]);
  assert.ok(p.metrics.rc.df! > 1 && p.metrics.rc.halfWidth! > 0);
  assert.ok(c.notes.some((n) => n.includes(files.seed6) && n.includes(files.mrt) && n.includes('unpaired')));
  assert.match(formatComparison(c), 'UNPAIRED difference zf − mrt (different seeds (5 vs 6)');
});

test('analyze percentiles of a real run equal a naive sort of the raw rows (to the 1e-6 read resolution)', async () => {
  const a = await analyzeFile(files.zf);
  for (const user of [0, 3]) {
    const v = (await column(files.zf, `SELECT rate AS v FROM user_slots WHERE user = ${user}`)).sort((x, y) => x - y);
    const q = (p: number) => {
      const h = (v.length - 1) * p;
      const k = Math.floor(h);
      return v[k] + (h - k) * ((v[k + 1] ?? v[k]) - v[k]);
    };
    const s = a.users[user].metrics.rate!;
    const meanNaive = v.reduce((t, x) => t + x, 0) / v.length;
    for (const [got, want] of [
      [s.mean, meanNaive],
      [s.p5, q(0.05)],
      [s.p50, q(0.5)],
      [s.p95, q(0.95)],
    ]) {
      assert.ok(Math.abs(got - want) <= 1e-6, `user ${user}: ${got} vs ${want}`);
    }
  }
});

test('a scan with query threads gives exactly the in-process numbers, in any chunking', async () => {
  const inProcess = await analyzeFile(files.zf, { scan: { threads: 0 } });
  // 300 slots: far below the threshold, so force the threads, with chunks of a few slots each.
  const threaded = await analyzeFile(files.zf, { scan: { threads: 2, parallelMinRows: 0, chunkRows: 37 } });
  const chunked = await analyzeFile(files.zf, { scan: { threads: 0, chunkRows: 37 } });
  assert.equal(threaded, inProcess);
  assert.equal(chunked, inProcess);
  assert.is(inProcess.users[0].metrics.rate!.n, 300);
  // Query threads that cannot start: the scan reads everything in-process instead, same numbers.
  const dead = new URL('../fixtures/dead-query-thread.mjs', import.meta.url);
  assert.equal(await analyzeFile(files.zf, { scan: { threads: 2, parallelMinRows: 0, chunkRows: 37, worker: dead } }), inProcess);
});

test('the text output names the paired difference and the method', () => {
  const text = formatComparison(paired);
  assert.match(text, 'paired difference zf − mrt (same scenario and seed 5: common random numbers; 300 common slots)');
  assert.match(text, 'k = 20 non-overlapping batch means of 15 slots');
});

test.run();
