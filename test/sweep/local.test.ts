/**
 * `isac-twin sweep` on the local pool, end to end through the CLI: every job's database and
 * catalog row, the catalog's numbers against the databases' own SQL, a job equal slot for slot to
 * `isac-twin run` of its scenario, resume (nothing new; a deleted database; a grown sweep),
 * Ctrl-C, bad input, and the sweep report and plot.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allSync, getSync, openDbSync } from '../../src/store/db.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-sweep-local-'));
const BIN = path.resolve('bin/isac-twin.js');
const BASE = path.resolve('scenarios/default.yaml');
const { FORCE_COLOR: _f, NO_COLOR: _n, ...rest } = process.env;
// A fixed code version: the sources under test do not change between the runs of this file,
// whatever else is edited meanwhile (docs/sweeps.md, ISAC_TWIN_CODE_VERSION).
const env = { ...rest, ISAC_TWIN_CODE_VERSION: 'test-local' };
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, env });

const sweepText = (seeds: number[]) => `name: tiny
scenario: ${BASE}
set: { durationSlots: 300, shadows: [], users.mobility.pauseS: 0 }
axes:
  - grid: { users.mobility.speedMps: [1.4, 20] }
policies: [mrt, zf]
seeds: [${seeds.join(', ')}]
metrics: [rc, rs, csi_age]
out: out
`;
const file = path.join(dir, 'tiny.yaml');
writeFileSync(file, sweepText([1, 2]));
const out = path.join(dir, 'out');

function catalog<T>(f: (db: ReturnType<typeof openDbSync>) => T): T {
  const db = openDbSync(path.join(out, 'sweep.sqlite'), 'readonly');
  try {
    return f(db);
  } finally {
    db.close();
  }
}

test('a sweep runs every job on the pool: one database each, one catalog row each, numbers as the databases say', () => {
  const r = cli('sweep', file, '--workers', '2');
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /sweep tiny completed: 8 jobs · 8 completed now · 0 already done · 0 failed/);
  const rows = catalog((db) => allSync<{ job_id: string; speedMps: number; policy: string; seed: number; rc: number; rs: number; worker: string }>(db, 'SELECT * FROM v_results'));
  assert.is(rows.length, 8);
  assert.equal(rows.map((x) => `${x.speedMps} ${x.policy} ${x.seed}`), ['1.4 mrt 1', '1.4 zf 1', '1.4 mrt 2', '1.4 zf 2', '20 mrt 1', '20 zf 1', '20 mrt 2', '20 zf 2']);
  // Two processes shared the work.
  assert.is(new Set(rows.map((x) => x.worker)).size, 2);
  assert.equal(readdirSync(path.join(out, 'runs')).filter((f) => !/^[0-9a-f]{20}\.sqlite$/.test(f)), []);
  for (const x of rows) {
    const db = openDbSync(path.join(out, 'runs', `${x.job_id}.sqlite`), 'readonly');
    const s = getSync<{ rc: number; rs: number; n: number }>(db, 'SELECT avg(rc) AS rc, avg(rs) AS rs, count(*) AS n FROM slots')!;
    const run = getSync<{ status: string; seed: number; policy: string }>(db, 'SELECT status, seed, policy FROM runs')!;
    db.close();
    assert.equal([run.status, run.seed, run.policy, s.n], ['completed', x.seed, x.policy, 300]);
    // The catalog reads through the analysis (values at 1e-6 bit/s/Hz, 1e-8 for R_s).
    assert.ok(Math.abs(x.rc - s.rc) < 1e-6, `rc ${x.rc} vs ${s.rc}`);
    assert.ok(Math.abs(x.rs - s.rs) < 1e-8, `rs ${x.rs} vs ${s.rs}`);
  }
  // v_points: per point and policy, the mean over the two seeds.
  const pts = catalog((db) => allSync<{ speedMps: number; policy: string; seeds: number; rc_mean: number; rc_sd: number }>(db, 'SELECT * FROM v_points'));
  assert.is(pts.length, 4);
  for (const p of pts) {
    const v = rows.filter((x) => x.speedMps === p.speedMps && x.policy === p.policy).map((x) => x.rc);
    assert.is(p.seeds, 2);
    assert.ok(Math.abs(p.rc_mean - (v[0] + v[1]) / 2) < 1e-12);
    assert.ok(Math.abs(p.rc_sd - Math.abs(v[0] - v[1]) / Math.SQRT2) < 1e-9);
  }
});

test('a job is the same run as `isac-twin run` of its scenario, slot for slot', () => {
  const job = catalog((db) => getSync<{ job_id: string; scenario_yaml: string }>(db, "SELECT job_id, scenario_yaml FROM jobs WHERE policy = 'zf' AND seed = 2 AND current = 1 ORDER BY position DESC LIMIT 1")!);
  const scen = path.join(dir, 'job.yaml');
  writeFileSync(scen, job.scenario_yaml);
  const r = cli('run', scen, '--quiet', '--out', path.join(dir, 'alone.sqlite'));
  assert.is(r.status, 0, r.stderr);
  const rowsOf = (f: string) => {
    const db = openDbSync(f, 'readonly');
    const rows = allSync(db, 'SELECT * FROM slots ORDER BY slot');
    const users = allSync(db, 'SELECT * FROM user_slots ORDER BY slot, user');
    db.close();
    return { rows, users };
  };
  const a = rowsOf(path.join(out, 'runs', `${job.job_id}.sqlite`));
  const b = rowsOf(path.join(dir, 'alone.sqlite'));
  assert.is(a.rows.length, 300);
  assert.equal(a.rows, b.rows);
  assert.equal(a.users, b.users);
});

test('resume: a second sweep runs nothing; a deleted database runs again; new seeds run only the new jobs', () => {
  const dbs = readdirSync(path.join(out, 'runs'))
    .filter((f) => f.endsWith('.sqlite'))
    .map((f) => path.join(out, 'runs', f));
  const mtimes = dbs.map((f) => statSync(f).mtimeMs);
  const again = cli('sweep', file, '--workers', '2');
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, /8 jobs · 0 completed now · 8 already done · 0 failed/);
  assert.equal(dbs.map((f) => statSync(f).mtimeMs), mtimes);
  rmSync(dbs[3]);
  const one = cli('sweep', file, '--workers', '2');
  assert.match(one.stdout, /8 jobs · 1 completed now · 7 already done/);
  assert.ok(existsSync(dbs[3]));
  writeFileSync(file, sweepText([1, 2, 3]));
  const grown = cli('sweep', file, '--workers', '2', '--quiet');
  assert.is(grown.status, 0, grown.stderr);
  assert.match(grown.stdout, /12 jobs · 4 completed now · 8 already done/);
  assert.equal(catalog((db) => allSync(db, 'SELECT status, jobs FROM v_status')), [{ status: 'completed', jobs: 12 }]);
  // Back to two seeds: nothing to run; the third seed's jobs stay in the catalog, not current.
  writeFileSync(file, sweepText([1, 2]));
  const back = cli('sweep', file, '--quiet');
  assert.match(back.stdout, /8 jobs · 0 completed now · 8 already done/);
  assert.equal(catalog((db) => getSync(db, 'SELECT sum(current) AS cur, count(*) AS n FROM jobs')), { cur: 8, n: 12 });
  const dry = cli('sweep', file, '--dry-run');
  assert.is(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /sweep tiny: 8 jobs \(speedMps × 2; 2 policies × 2 seeds\) · 8 done/);
});

test('Ctrl-C stops cleanly (exit 130, no partial databases, finished jobs kept); the next sweep resumes', async () => {
  const slow = path.join(dir, 'slow.yaml');
  writeFileSync(slow, sweepText([1, 2]).replace('name: tiny', 'name: slow').replace('durationSlots: 300', 'durationSlots: 1000').replace('out: out', 'out: slow-out'));
  const child = spawn(process.execPath, [BIN, 'sweep', slow, '--workers', '1'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (s) => (stdout += s));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let t = 0; t < 60000 && !/\[1\/8\] completed/.test(stdout); t += 50) await new Promise((r) => setTimeout(r, 50));
  assert.match(stdout, /\[1\/8\] completed/);
  child.kill('SIGINT');
  assert.is(await exited, 130, stdout);
  assert.match(stdout, /sweep slow stopped: 8 jobs · \d+ completed now · 0 already done · 0 failed · \d+ not run \(stopped\)/);
  const runs = path.join(dir, 'slow-out', 'runs');
  const files = readdirSync(runs);
  assert.equal(files.filter((f) => !/^[0-9a-f]{20}\.sqlite$/.test(f)), [], 'only finished databases are left');
  const db = openDbSync(path.join(dir, 'slow-out', 'sweep.sqlite'), 'readonly');
  const counts = Object.fromEntries(allSync<{ status: string; jobs: number }>(db, 'SELECT * FROM v_status').map((x) => [x.status, x.jobs]));
  db.close();
  assert.is(counts.completed, files.length);
  assert.ok(counts.completed >= 1 && counts.completed < 8, JSON.stringify(counts));
  assert.is((counts.pending ?? 0) + (counts.interrupted ?? 0), 8 - counts.completed);
  const resumed = cli('sweep', slow, '--workers', '2', '--quiet');
  assert.is(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`8 jobs · ${8 - counts.completed} completed now · ${counts.completed} already done`));
});

test('bad sweep files and folders: one message, exit 2, nothing written', () => {
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, sweepText([1]).replace('users.mobility.speedMps', 'users.mobility.speed').replace('out: out', 'out: never'));
  const r = cli('sweep', bad);
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^error: .*bad\.yaml:5:13: axes\[0\]\.grid\["users\.mobility\.speed"\]: unknown scenario field users\.mobility\.speed/);
  assert.not.ok(existsSync(path.join(dir, 'never')));
  // Another sweep's folder is refused.
  const other = path.join(dir, 'other.yaml');
  writeFileSync(other, sweepText([1]).replace('name: tiny', 'name: other'));
  const o = cli('sweep', other);
  assert.is(o.status, 2);
  assert.match(o.stderr, /out\/sweep\.sqlite: this folder holds the catalog of the sweep "tiny", not "other"/);
});

test('report and plot of the sweep folder: curves with intervals, tables, paired differences', () => {
  const rep = cli('report', out);
  assert.is(rep.status, 0, rep.stderr);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('<h1>isac-twin sweep report: tiny</h1>'));
  assert.is((html.match(/<svg/g) ?? []).length, 3 * 2, 'curves and paired differences of rc, rs, csi_age');
  assert.ok(html.includes('Paired differences to mrt'));
  assert.not.ok(/https?:\/\//.test(html.replace(/<footer>[\s\S]*<\/footer>/, '')), 'no external URL');
  const svg = path.join(dir, 'rc.svg');
  const p = cli('plot', out, '--x', 'speedMps', '--metric', 'rc', '--by', 'policy', '--out', svg);
  assert.is(p.status, 0, p.stderr);
  assert.match(readFileSync(svg, 'utf8'), /^<svg/);
  const png = path.join(dir, 'rc.png');
  assert.is(cli('plot', out, '--metric', 'csi_age', '--vs', 'mrt', '--out', png).status, 0);
  assert.equal([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const bad = cli('plot', out, '--x', 'rho', '--metric', 'rc', '--out', svg);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^error: --x: the sweep has no axis "rho"; its axes: speedMps \(users\.mobility\.speedMps\)/);
});

test.run();
