/**
 * Bad input: every case is an AnalysisInputError whose message names the file (or option) and
 * says what is wrong; a run still being written is read as far as it is committed, with a note.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { analyzeFile } from '../../src/analysis/analyze.ts';
import { AnalysisInputError } from '../../src/analysis/errors.ts';
import { renderPlot } from '../../src/analysis/plot.ts';
import { execSync, openDbSync, runSync } from '../../src/store/db.ts';
import { handRun, tmp, writeRun } from './synthetic.ts';

const dir = tmp('errors');
const good = path.join(dir, 'good.sqlite');

async function rejects(p: Promise<unknown>, message: string | RegExp): Promise<AnalysisInputError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, AnalysisInputError, `expected AnalysisInputError, got ${(e as Error).stack}`);
    assert.match((e as Error).message, message);
    return e as AnalysisInputError;
  }
  assert.unreachable(`expected an error matching ${message}`);
  throw new Error('unreachable');
}

test.before(async () => {
  await writeRun(good, handRun());
});

test('a missing file, a directory, an empty file, a text file', async () => {
  await rejects(analyzeFile(path.join(dir, 'nope.sqlite')), `${path.join(dir, 'nope.sqlite')}: no such file`);
  await rejects(analyzeFile(dir), `${dir}: is a directory, not a run database`);
  const empty = path.join(dir, 'empty.sqlite');
  writeFileSync(empty, '');
  await rejects(analyzeFile(empty), `${empty}: empty file (0 bytes), not a run database`);
  const text = path.join(dir, 'notes.sqlite');
  writeFileSync(text, 'slot,rc\n0,1.5\n'.repeat(20));
  await rejects(analyzeFile(text), `${text}: not an SQLite database (no "SQLite format 3" header)`);
});

test('a truncated database (cut at a page, and mid-page)', async () => {
  const size = statSync(good).size;
  assert.ok(size >= 4 * 4096, `fixture has ${size} bytes`);
  const cut = path.join(dir, 'cut.sqlite');
  copyFileSync(good, cut);
  truncateSync(cut, size - 2 * 4096);
  await rejects(analyzeFile(cut), new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated: the header records \\d+ pages of 4096 bytes`));
  const mid = path.join(dir, 'mid.sqlite');
  copyFileSync(good, mid);
  truncateSync(mid, 4096 * 2 + 1000);
  await rejects(analyzeFile(mid), `${mid}: truncated`);
  const header = path.join(dir, 'header.sqlite');
  writeFileSync(header, readFileSync(good).subarray(0, 60));
  await rejects(analyzeFile(header), `${header}: truncated: 60 bytes, shorter than an SQLite header`);
});

test('a corrupted database (pages overwritten, size intact)', async () => {
  const bad = path.join(dir, 'corrupt.sqlite');
  copyFileSync(good, bad);
  const fd = openSync(bad, 'r+');
  const junk = Buffer.alloc(statSync(bad).size - 4096, 0xa5);
  writeSync(fd, junk, 0, junk.length, 4096);
  closeSync(fd);
  await rejects(analyzeFile(bad), `${bad}: the database is corrupt or truncated (database disk image is malformed)`);
});

test('an SQLite database that is not a twin run, a foreign kind, a newer schema, no run row', async () => {
  const other = path.join(dir, 'other.sqlite');
  const db = openDbSync(other, 'create');
  execSync(db, 'CREATE TABLE things (x INTEGER)');
  db.close();
  await rejects(analyzeFile(other), `${other}: not an isac-twin run database (no meta table)`);

  const kind = path.join(dir, 'kind.sqlite');
  await writeRun(kind, { ...handRun(), meta: [['kind', 'something-else'], ['schema_version', '1']] });
  await rejects(analyzeFile(kind), `${kind}: not an isac-twin run database (meta kind is "something-else")`);

  const newer = path.join(dir, 'newer.sqlite');
  await writeRun(newer, { ...handRun(), meta: [['kind', 'isac-twin-run'], ['schema_version', '99']] });
  await rejects(analyzeFile(newer), `${newer}: schema version 99 is newer than this isac-twin reads`);

  const norun = path.join(dir, 'norun.sqlite');
  await writeRun(norun, handRun());
  const d2 = openDbSync(norun, 'readwrite');
  runSync(d2, 'DELETE FROM runs');
  d2.close();
  await rejects(analyzeFile(norun), `${norun}: no run recorded (the runs table is empty)`);

  const noTable = path.join(dir, 'notable.sqlite');
  await writeRun(noTable, handRun());
  const d3 = openDbSync(noTable, 'readwrite');
  execSync(d3, 'DROP TABLE user_slots');
  d3.close();
  await rejects(analyzeFile(noTable), `${noTable}: not a complete run database: table user_slots is missing`);
});

test('a run still being written: committed slots are read, uncommitted ones are not, and a note says so', async () => {
  const live = path.join(dir, 'live.sqlite');
  const spec = { ...handRun(), status: 'running' as const };
  const writer = (await writeRun(live, spec, true))!;
  try {
    // The writer is mid-batch: slots 10–14 are inserted but not committed.
    execSync(writer, 'BEGIN');
    for (let t = 10; t < 15; t++) runSync(writer, 'INSERT INTO slots (slot, t_ms, rc, rs, objective) VALUES (?, ?, 100, 0, 50)', [t, t * 0.5]);
    const a = await analyzeFile(live, { createViews: true });
    assert.is(a.run.status, 'running');
    assert.is(a.range.slots, 10);
    assert.is(a.policies[0].metrics.rc!.max, 9);
    assert.equal(a.notes, [
      `${live}: the run is still being written (status running, writer alive); analysing the 10 logged slots committed so far (slots 0–9)`,
    ]);
    execSync(writer, 'COMMIT');
    // A later analysis sees the newly committed slots.
    const b = await analyzeFile(live);
    assert.is(b.range.slots, 15);
    assert.is(b.policies[0].metrics.rc!.max, 100);
  } finally {
    writer.close();
  }
});

test('an unknown metric lists the known ones; a bad plot kind or entity is named', async () => {
  const e = await rejects(renderPlot([good], { kind: 'cdf', metric: 'throughput' }), '--metric: unknown metric "throughput"; known metrics: rc, rs, objective, bs_rate');
  assert.is(e.where, '--metric');
  assert.match(e.message, 'sens_sinr, radar_rate');
  await rejects(renderPlot([good], { kind: 'histogram' as 'cdf', metric: 'rc' }), '--kind: unknown plot kind "histogram"; known kinds: timeseries, cdf, pareto');
  await rejects(renderPlot([good], { kind: 'cdf', metric: 'rate', entity: 7 }), `${good}: has no user 7 (2 users: 0–1)`);
  await rejects(renderPlot([good], { kind: 'cdf', metric: 'rc', entity: 0 }), '--entity: rc is a network metric');
  await rejects(renderPlot([good], { kind: 'pareto', metric: 'rc,rate' }), '--metric: a pareto plot compares network metrics');
  await rejects(renderPlot([good], { kind: 'cdf', metric: 'rc', range: { from: { slot: 50 } } }), `${good}: no logged slots in slots [50, ∞)`);
});

test.run();
