/**
 * Issue 16, item 9: a run whose writer was killed (kill -9) stays `running` in its row for ever.
 * The writer stamps runs.heartbeat_at with every batch and every HEARTBEAT_MS; readers (analyze,
 * watch, the plain watch) call a `running` run with an old stamp "stopped unexpectedly".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, utimesSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { analyzeFile } from '../../src/analysis/analyze.ts';
import { runScenario } from '../../src/app/run.ts';
import { RunReader } from '../../src/dashboard/db-source.ts';
import { WatchSession } from '../../src/dashboard/watch.ts';
import { watchPlain } from '../../src/dashboard/watch-plain.ts';
import { RunStore } from '../../src/store/run-store.ts';
import { SCHEMA_VERSION, STALE_AFTER_MS, writerStopped } from '../../src/store/schema.ts';
import { scenario } from '../helpers.ts';
import { handRun, tmp, writeRun } from '../analysis/synthetic.ts';

const dir = tmp('heartbeat');
const OLD = '2025-01-01T00:00:00.000Z';
/** The topology the dashboard reads (2 BSs, user u at BS u, target 0 at BS 0, as handRun). */
const TOPO = { bsPosM: [0, 0, 500, 0], cellRadiusM: 250, userBs: [0, 1], targetBs: [0] };

function sql(file: string, statement: string, params: unknown[] = []): void {
  const db = new Database(file);
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

async function runningDb(name: string, heartbeat: string | null): Promise<string> {
  const file = path.join(dir, name);
  await writeRun(file, { ...handRun(), status: 'running' });
  sql(file, 'UPDATE runs SET heartbeat_at = ?, topology_json = ?', [heartbeat, JSON.stringify(TOPO)]);
  return file;
}

test('schema version 3 has runs.heartbeat_at; writerStopped: only running rows, stale after STALE_AFTER_MS', () => {
  assert.ok(SCHEMA_VERSION >= 3);
  const t = Date.parse(OLD);
  assert.is(writerStopped({ status: 'completed', heartbeat_at: OLD }, t + 1e9), null);
  assert.is(writerStopped({ status: 'running', heartbeat_at: OLD }, t + STALE_AFTER_MS)!.stopped, false);
  assert.is(writerStopped({ status: 'running', heartbeat_at: OLD }, t + STALE_AFTER_MS + 1)!.stopped, true);
  // No stamp (files before schema 3): the fallback time (the file's mtime) decides.
  assert.is(writerStopped({ status: 'running' }, t + 1e9, t)!.stopped, true);
  assert.is(writerStopped({ status: 'running', heartbeat_at: null }, t + 1, t)!.stopped, false);
  assert.is(writerStopped({ status: 'running' }, t), null);
});

test('analyze: a running run with an old heartbeat "stopped unexpectedly (last update …)"; a fresh one is still being written', async () => {
  const dead = await runningDb('dead.sqlite', OLD);
  const a = await analyzeFile(dead);
  assert.is(a.run.status, 'running');
  assert.is(a.run.stoppedUnexpectedly, true);
  assert.is(a.run.lastUpdate, OLD);
  assert.is(a.notes.length, 1);
  assert.match(a.notes[0], `${dead}: the run stopped unexpectedly (last update ${OLD}, `);
  assert.match(a.notes[0], 'Analysing the 10 logged slots committed (slots 0–9)');
  const alive = await runningDb('alive.sqlite', new Date().toISOString());
  const b = await analyzeFile(alive);
  assert.is(b.run.stoppedUnexpectedly, false);
  assert.match(b.notes[0], 'the run is still being written');
});

test('an older file without heartbeat_at: the file modification time tells whether its writer stopped', async () => {
  const file = await runningDb('old-schema.sqlite', null);
  sql(file, 'ALTER TABLE runs DROP COLUMN heartbeat_at');
  sql(file, `UPDATE meta SET value = '2' WHERE key = 'schema_version'`);
  assert.is((await analyzeFile(file)).run.stoppedUnexpectedly, false, 'just written: alive');
  const old = new Date(Date.now() - 3600e3);
  for (const f of [file, `${file}-wal`]) if (existsSync(f)) utimesSync(f, old, old);
  const a = await analyzeFile(file);
  assert.is(a.run.stoppedUnexpectedly, true);
  assert.match(a.notes[0], 'stopped unexpectedly (last update ');
  const reader = await RunReader.open(file);
  try {
    assert.match((await reader.progress()).stopped ?? '', 'stopped unexpectedly');
  } finally {
    await reader.close();
  }
});

test('watch: a stopped writer is not followed as "live, running" but shown as stopped unexpectedly', async () => {
  const dead = await runningDb('dead-watch.sqlite', OLD);
  const reader = await RunReader.open(dead);
  try {
    const p = await reader.progress();
    assert.is(p.status, 'running');
    assert.match(p.stopped ?? '', `stopped unexpectedly (last update ${OLD}`);
    const s = new WatchSession(reader, () => 0);
    await s.tick();
    assert.is(s.follow, false);
    assert.is(s.model.runState, 'failed');
    assert.match(s.stopped ?? '', 'stopped unexpectedly');
    const v = s.model.view() as unknown as { mode?: string };
    if (v.mode !== undefined) assert.match(v.mode, 'stopped unexpectedly');
  } finally {
    await reader.close();
  }
  // A live writer is followed.
  const alive = await runningDb('alive-watch.sqlite', new Date().toISOString());
  const r2 = await RunReader.open(alive);
  try {
    assert.is((await r2.progress()).stopped, undefined);
    const s = new WatchSession(r2, () => 0);
    await s.tick();
    assert.is(s.follow, true);
    assert.is(s.model.runState === 'failed', false);
  } finally {
    await r2.close();
  }
  // The plain watch ends instead of polling for ever.
  const lines: string[] = [];
  assert.is(await watchPlain(dead, { pollMs: 10, write: (l) => lines.push(l) }), 0);
  assert.match(lines[lines.length - 1], /^run stopped unexpectedly \(last update /);
});

test('the writer stamps heartbeat_at at creation, with each batch and on its own while the run waits', async () => {
  const loaded = scenario(`
name: beat
durationSlots: 20
topology: { numCells: 1, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 1 }
targets: { perCell: 1 }
`);
  const file = path.join(dir, 'beat.sqlite');
  const s = loaded.scenario;
  const store = await RunStore.create(
    file,
    {
      name: s.name,
      scenarioFile: loaded.file,
      scenarioYaml: loaded.text,
      resolved: s,
      topology: loaded.topology,
      seed: s.seed,
      policy: s.policy.name,
      shadows: [],
      packageVersion: 'test',
      backend: 'none',
      startedAt: new Date().toISOString(),
      slotMs: s.timing.slotMs,
      durationSlots: s.durationSlots,
      logEvery: 1,
    },
    '',
    40,
  );
  const beat = () => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT heartbeat_at FROM runs').get() as { heartbeat_at: string | null }).heartbeat_at;
    } finally {
      db.close();
    }
  };
  try {
    const first = beat();
    assert.ok(first && Math.abs(Date.parse(first) - Date.now()) < 60e3, `stamped at creation: ${first}`);
    await new Promise((r) => setTimeout(r, 250));
    const later = beat()!;
    assert.ok(Date.parse(later) > Date.parse(first!), `the writer beats while no batch comes: ${first} → ${later}`);
  } finally {
    await store.finish('completed', new Date().toISOString(), 0);
  }
  // A whole run: the row is closed, its heartbeat set.
  const f2 = path.join(dir, 'run.sqlite');
  await runScenario(loaded, { dbPath: f2, packageVersion: 'test', measureCompute: false });
  const db = new Database(f2, { readonly: true });
  const row = db.prepare('SELECT status, heartbeat_at FROM runs').get() as { status: string; heartbeat_at: string | null };
  db.close();
  assert.is(row.status, 'completed');
  assert.ok(row.heartbeat_at !== null);
});

test.run();
