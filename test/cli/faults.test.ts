/**
 * Faults from outside: SIGTERM and kill -9 in the middle of a run. SIGTERM ends the run as
 * `interrupted` (exit 130) with every logged slot kept; kill -9 leaves an intact database whose
 * run row still says `running` — and readers then call it "stopped unexpectedly" once its
 * heartbeat is stale (issue 16, item 9).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-faults-'));
const BIN = path.resolve('bin/isac-twin.js');
const { FORCE_COLOR: _f, NO_COLOR: _n, ...env } = process.env;

/** Starts a paced run and resolves once it has logged slots (its progress shows R_c). */
async function startRun(db: string) {
  const child = spawn(process.execPath, [BIN, 'run', path.resolve('scenarios/default.yaml'), '--policy', 'mrt', '--speed', '0.5', '--no-dashboard', '--out', db], { cwd: dir, env });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  for (let i = 0; i < 600 && !/R_c/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 700));
  return { child, out: () => stdout };
}

const rowsOf = (db: string) => {
  const h = new Database(db, { readonly: true });
  try {
    const integrity = h.pragma('integrity_check', { simple: true });
    const run = h.prepare('SELECT status, slots_done FROM runs').get() as { status: string; slots_done: number };
    const n = (h.prepare('SELECT count(*) n FROM slots').get() as { n: number }).n;
    return { integrity, run, n };
  } finally {
    h.close();
  }
};

test('SIGTERM: exit 130, the run row says interrupted, every logged slot is kept', async () => {
  const db = path.join(dir, 'term.sqlite');
  const { child, out } = await startRun(db);
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('close', r));
  assert.is(code, 130, out());
  const { integrity, run, n } = rowsOf(db);
  assert.is(integrity, 'ok');
  assert.is(run.status, 'interrupted');
  assert.ok(n > 0 && n === run.slots_done, JSON.stringify({ run, n }));
});

test('kill -9: the database is intact, and analyze calls the run stopped unexpectedly once its heartbeat is stale', async () => {
  const db = path.join(dir, 'kill.sqlite');
  const { child } = await startRun(db);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const { integrity, run, n } = rowsOf(db);
  assert.is(integrity, 'ok');
  assert.is(run.status, 'running', 'nobody could write the end of the run');
  assert.ok(n > 0 && run.slots_done <= n, JSON.stringify({ run, n }));
  // The writer beats every 2 s; readers call a run stopped after 10 s of silence.
  await new Promise((r) => setTimeout(r, 11_000));
  const a = spawnSync(process.execPath, [BIN, 'analyze', db], { cwd: dir, env, encoding: 'utf8' });
  assert.is(a.status, 0, a.stderr);
  assert.match(a.stdout, /stopped unexpectedly/);
});

test.run();
