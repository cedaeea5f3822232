/**
 * Reading a run database leaves nothing next to it: no -wal/-shm files after a refused or a
 * successful analyze, compare, plot, report or export (the databases are WAL-mode, and SQLite
 * keeps those files when the last connection to close is a read-only one).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeFile } from '../../src/analysis/analyze.ts';
import { compareFiles } from '../../src/analysis/compare.ts';
import { AnalysisInputError } from '../../src/analysis/errors.ts';
import { exportFile } from '../../src/analysis/export.ts';
import { renderPlot } from '../../src/analysis/plot.ts';
import { reportFiles } from '../../src/analysis/report.ts';
import Database from 'better-sqlite3';
import { RunReader } from '../../src/dashboard/db-source.ts';
import { handRun, tmp, writeRun } from './synthetic.ts';

const dir = tmp('side-files');
const inputs = path.join(dir, 'in');
mkdirSync(inputs, { recursive: true });
const good = path.join(inputs, 'good.sqlite');
const other = path.join(inputs, 'other.sqlite');
const junk = path.join(inputs, 'junk.txt');
const NAMES = ['good.sqlite', 'junk.txt', 'other.sqlite'];

test.before(async () => {
  await writeRun(good, handRun());
  copyFileSync(good, other);
  writeFileSync(junk, 'junk\n');
});

const listing = () => readdirSync(inputs).sort();

async function refused(p: Promise<unknown>, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, AnalysisInputError, `${what}: ${(e as Error).stack}`);
    return;
  }
  assert.unreachable(`${what}: expected a refusal`);
}

test('refused commands leave no -wal/-shm next to the good input', async () => {
  assert.equal(listing(), NAMES, 'the inputs start without side files');
  await refused(compareFiles([good, junk], { createViews: true }), 'compare good junk');
  assert.equal(listing(), NAMES, 'compare good junk');
  await refused(compareFiles([good, other, junk], { createViews: true }), 'compare good other junk');
  assert.equal(listing(), NAMES, 'compare good other junk');
  await refused(reportFiles([good, junk], { createViews: true }), 'report good junk');
  assert.equal(listing(), NAMES, 'report good junk');
  await refused(renderPlot([good, junk], { kind: 'cdf', metric: 'rc' }), 'plot good junk');
  assert.equal(listing(), NAMES, 'plot good junk');
  await refused(analyzeFile(good, { range: { from: { slot: 500 } }, createViews: true }), 'analyze an empty range');
  assert.equal(listing(), NAMES, 'analyze an empty range');
});

test('successful commands leave no -wal/-shm either (also with the same file twice)', async () => {
  await analyzeFile(good, { createViews: true });
  assert.equal(listing(), NAMES, 'analyze');
  await compareFiles([good, other], { createViews: true });
  assert.equal(listing(), NAMES, 'compare good other');
  await compareFiles([good, good], { createViews: true });
  assert.equal(listing(), NAMES, 'compare good good');
  await reportFiles([good, other], { createViews: true });
  assert.equal(listing(), NAMES, 'report');
  await renderPlot([good, other], { kind: 'cdf', metric: 'rc' });
  assert.equal(listing(), NAMES, 'plot');
  await exportFile(good, path.join(dir, 'csv'), { createViews: true });
  assert.equal(listing(), NAMES, 'export');
});

test("the dashboard's reader (watch, replay) leaves no -wal/-shm either", async () => {
  const folder = path.join(dir, 'watch');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'watched.sqlite');
  copyFileSync(good, file);
  // the topology the dashboard reads (2 BSs, user u at BS u, target 0 at BS 0, as handRun)
  const db = new Database(file);
  db.prepare('UPDATE runs SET topology_json = ?').run(JSON.stringify({ bsPosM: [0, 0, 500, 0], cellRadiusM: 250, userBs: [0, 1], targetBs: [0] }));
  db.close();
  assert.equal(readdirSync(folder), ['watched.sqlite'], 'no side files to start with');
  const reader = await RunReader.open(file);
  const [from, to] = await reader.slotRange();
  assert.ok((await reader.slots(from, to)).length > 0, 'it read slots');
  await reader.close();
  assert.equal(readdirSync(folder), ['watched.sqlite'], 'watch');
});

test("a writer's own -wal/-shm are left to it", async () => {
  const live = path.join(dir, 'live.sqlite');
  const writer = (await writeRun(live, { ...handRun(), status: 'running' as const }, true))!;
  try {
    assert.ok(existsSync(`${live}-wal`));
    await analyzeFile(live, { createViews: true });
    assert.ok(existsSync(`${live}-wal`) && existsSync(`${live}-shm`), 'the writer still has its WAL');
  } finally {
    writer.close();
  }
  assert.not.ok(existsSync(`${live}-wal`), 'the writer removed its WAL on close');
});

test.run();
