import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { runScenario, RunControl } from '../../src/app/run.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { allSync, getSync, openDbSync, runSync } from '../../src/store/db.ts';
import { scenario } from '../helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-store-'));
const YAML = `
name: store
seed: 5
durationSlots: 240
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2 }
targets: { perCell: 1 }
shadows: [zf]
logging: { batchSlots: 50 }
`;

async function rows(file: string, sql: string) {
  const db = openDbSync(file, 'readonly');
  try {
    return allSync(db, sql);
  } finally {
    db.close();
  }
}

test('db.ts: booleans bind as 0/1 and undefined as NULL; SQL errors and missing files throw', () => {
  const db = openDbSync(':memory:');
  runSync(db, 'CREATE TABLE t (a, b, c)');
  const r = runSync(db, 'INSERT INTO t VALUES (?, ?, ?)', [true, false, undefined]);
  assert.equal(r, { lastID: 1, changes: 1 });
  assert.equal(getSync(db, 'SELECT a, b, c FROM t'), { a: 1, b: 0, c: null });
  assert.throws(() => allSync(db, 'SELECT * FROM missing'), /no such table: missing/);
  db.close();
  assert.throws(() => openDbSync(path.join(dir, 'absent.sqlite'), 'readonly'), (e: unknown) => e instanceof Error);
});

test('a completed run: runs row, one row per slot/BS/user/target/shadow', async () => {
  const file = path.join(dir, 'a.sqlite');
  const s = await runScenario(scenario(YAML), { dbPath: file, packageVersion: 'test', measureCompute: false });
  assert.equal(s.status, 'completed');
  const [run] = await rows(file, 'SELECT status, slots_done, seed, policy, num_bs, num_users, num_targets FROM runs');
  assert.equal(run, { status: 'completed', slots_done: 240, seed: 5, policy: 'mrt', num_bs: 3, num_users: 6, num_targets: 3 });
  const counts = await rows(
    file,
    `SELECT (SELECT count(*) FROM slots) s, (SELECT count(*) FROM bs_slots) b, (SELECT count(*) FROM user_slots) u,
            (SELECT count(*) FROM target_slots) t, (SELECT count(*) FROM shadow_slots) sh`,
  );
  assert.equal(counts[0], { s: 240, b: 720, u: 1440, t: 720, sh: 240 });
  // per-BS sum rate is the sum of its users' rates
  const [check] = await rows(
    file,
    `SELECT max(abs(b.sum_rate - (SELECT sum(rate) FROM user_slots u WHERE u.slot = b.slot AND u.bs = b.bs))) d FROM bs_slots b`,
  );
  assert.ok((check.d as number) < 1e-12);
  const [mean] = await rows(file, 'SELECT avg(rc) rc FROM slots');
  assert.ok(Math.abs((mean.rc as number) - s.rcMean) < 1e-9);
});

test('same scenario and seed → identical rows in every table', async () => {
  const a = path.join(dir, 'd1.sqlite');
  const b = path.join(dir, 'd2.sqlite');
  await runScenario(scenario(YAML), { dbPath: a, packageVersion: 'test', measureCompute: false });
  await runScenario(scenario(YAML), { dbPath: b, packageVersion: 'test', measureCompute: false });
  for (const table of ['slots', 'bs_slots', 'user_slots', 'target_slots', 'shadow_slots', 'events']) {
    const ra = await rows(a, `SELECT * FROM ${table} ORDER BY 1, 2`);
    const rb = await rows(b, `SELECT * FROM ${table} ORDER BY 1, 2`);
    assert.ok(ra.length > 0);
    assert.equal(ra, rb, table);
  }
});

test('--log-every decimates the slot tables', async () => {
  const file = path.join(dir, 'dec.sqlite');
  const loaded = scenario(YAML.replace('logging: { batchSlots: 50 }', 'logging: { batchSlots: 50, everySlots: 10 }'));
  await runScenario(loaded, { dbPath: file, packageVersion: 'test', measureCompute: false });
  const slots = (await rows(file, 'SELECT slot FROM slots')).map((r) => r.slot);
  assert.equal(slots, Array.from({ length: 24 }, (_, i) => i * 10));
});

test('an interrupted run is marked interrupted and keeps every slot it logged', async () => {
  const file = path.join(dir, 'int.sqlite');
  const control = new RunControl();
  let chunks = 0;
  const s = await runScenario(
    scenario(YAML),
    { dbPath: file, packageVersion: 'test', measureCompute: false, onProgress: () => ++chunks === 2 && control.stop() },
    control,
  );
  assert.equal(s.status, 'interrupted');
  const [run] = await rows(file, 'SELECT status, slots_done FROM runs');
  assert.equal(run, { status: 'interrupted', slots_done: 100 });
  const [n] = await rows(file, 'SELECT count(*) n, max(slot) last FROM slots');
  assert.equal(n, { n: 100, last: 99 });
});

test('a paced run behind its pace still hears a stop within a turn of the event loop (timers, keys, signals)', async () => {
  // Pace 1000× (1000 simulated slots per wall-clock ms): no machine keeps up, so the run never sleeps.
  const control = new RunControl(1000);
  const loaded = scenario(YAML.replace(/durationSlots: \d+/, 'durationSlots: 100000'));
  let stoppedAt = NaN;
  const t0 = performance.now();
  setTimeout(() => {
    stoppedAt = performance.now() - t0;
    control.stop();
  }, 200);
  const s = await runScenario(loaded, { dbPath: '', packageVersion: 'test', log: false, measureCompute: false }, control);
  const endedAt = performance.now() - t0;
  assert.equal(s.status, 'interrupted', 'the timer fired before the run ended');
  assert.ok(s.slots < 100000, `stopped after ${s.slots} slots`);
  assert.ok(endedAt - stoppedAt < 1000, `the run ended ${Math.round(endedAt - stoppedAt)} ms after the stop`);
});

test('a NaN is reported where it arises: the run fails with the message, nothing invalid is written', async () => {
  const policies = builtinPolicies().register({
    name: 'nan-after-50',
    summary: 'test policy that breaks',
    params: z.strictObject({}),
    create: () => ({
      name: 'nan-after-50',
      scope: 'distributed',
      decide: (m, _v, { topo, slot }) => new Float64Array(2 * topo.servedUsers[m].length * topo.numTxAnt).fill(slot >= 50 ? NaN : 0.01),
    }),
  });
  const file = path.join(dir, 'nan.sqlite');
  const loaded = scenario(YAML.replace('shadows: [zf]', 'policy: nan-after-50'), 'inline.yaml', policies);
  const s = await runScenario(loaded, { dbPath: file, packageVersion: 'test', measureCompute: false });
  assert.equal(s.status, 'failed');
  const [run] = await rows(file, 'SELECT status, error, slots_done FROM runs');
  assert.equal(run.status, 'failed');
  assert.equal(run.error, 'NumericalError: beamformer power[0] is NaN at slot 50 (policy nan-after-50)');
  const db = openDbSync(file, 'readonly');
  const bad = getSync<{ n: number }>(db, 'SELECT count(*) n FROM user_slots WHERE NOT (sinr >= 0) OR slot >= 50');
  db.close();
  assert.equal(bad?.n, 0);
});

test('an error where the beams arrive over the fronthaul fails the run with its message (no crash from inside RxJS)', async () => {
  const policies = builtinPolicies().register({
    name: 'over-budget',
    summary: 'test policy: a central unit that sends twice the budget',
    params: z.strictObject({}),
    create: () => ({
      name: 'over-budget',
      scope: 'centralised',
      decideAll: (_v, { topo }) => topo.apStreams.map((rows, m) => new Float64Array(2 * rows.length * topo.numTxAnt).fill(Math.sqrt((2 * topo.powerW[m]) / (2 * rows.length * topo.numTxAnt)))),
    }),
  });
  const file = path.join(dir, 'over.sqlite');
  const loaded = scenario(YAML.replace('shadows: [zf]', 'policy: over-budget'), 'inline.yaml', policies);
  const s = await runScenario(loaded, { dbPath: file, packageVersion: 'test', measureCompute: false });
  assert.equal(s.status, 'failed');
  assert.match(s.error ?? '', /policy over-budget exceeded the power budget of BS 0/);
  const [run] = await rows(file, 'SELECT status, error FROM runs');
  assert.equal(run.status, 'failed');
});

test.run();
