import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allSync, openDbSync } from '../../src/store/db.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-cli-'));
const BIN = path.resolve('bin/isac-twin.js');
const { FORCE_COLOR: _f, NO_COLOR: _n, ...env } = process.env;
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, env });

test('validate: a good scenario exits 0 with a one-line description', () => {
  const r = cli('validate', path.resolve('scenarios/default.yaml'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /valid · default · 3 BSs × 12 antennas · 6 users · 3 targets · policy vfl/);
});

test('bad input: one message with file, path and line, exit code 2, no database created', () => {
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: bad\ntopology:\n  numTxAnt: 0\n');
  for (const args of [['validate', bad], ['run', bad, '--out', path.join(dir, 'never.sqlite')]]) {
    const r = cli(...args);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `error: ${bad}:3:13: topology.numTxAnt: must be > 0 (got 0)`);
  }
  assert.not.ok(existsSync(path.join(dir, 'never.sqlite')));
  assert.not.ok(existsSync(path.join(dir, 'twin-runs')));
  const missing = cli('validate', path.join(dir, 'nope.yaml'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.yaml: no such file/);
  const badFlag = cli('run', path.resolve('scenarios/default.yaml'), '--slots', '0');
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /--slots <n>.*expected a whole number ≥ 1, got "0"/);
  const badPolicy = cli('run', path.resolve('scenarios/default.yaml'), '--policy', 'nope', '--out', path.join(dir, 'p.sqlite'));
  assert.equal(badPolicy.status, 2);
  assert.match(badPolicy.stderr, /command line: --policy: unknown policy "nope"/);
  assert.not.ok(existsSync(path.join(dir, 'p.sqlite')));
});

test('run writes twin-runs/<time>-<name>.sqlite and prints a summary (the shipped VFL models out of the box)', () => {
  const r = cli('run', path.resolve('scenarios/default.yaml'), '--slots', '150', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /run completed: default · policy vfl · seed 1 · tfjs backend (wasm|tensorflow|cpu)/);
  const files = readdirSync(path.join(dir, 'twin-runs'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^\d{8}-\d{6}-default\.sqlite$/);
});

test('snapshot: JSON with geometry, channels as [re, im], beamformers and metrics', () => {
  const out = path.join(dir, 'snap.json');
  const r = cli('snapshot', path.resolve('scenarios/default.yaml'), '--seed', '7', '--slot', '40', '--policy', 'zf', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const snap = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal([snap.slot, snap.seed, snap.policy.name], [40, 7, 'zf']);
  assert.equal(snap.channels.H.length, 3);
  assert.equal(snap.channels.H[0].length, 6);
  assert.equal(snap.channels.H[0][0].length, 12);
  assert.equal(snap.channels.H[0][0][0].length, 2);
  assert.equal(snap.beamformers[1].length, 2);
  // ZF: no intra-cell interference in the snapshot's own numbers is too strong (stale CSI);
  // but its reported power equals the budget and the metrics are consistent with the beams.
  const p = snap.beamformers.map((W: number[][][]) => W.flat().reduce((s: number, [re, im]: number[]) => s + re * re + im * im, 0));
  p.forEach((x: number, m: number) => assert.ok(Math.abs(x - snap.powerBudgetW[m]) < 1e-9 && Math.abs(x - snap.metrics.bsPowerW[m]) < 1e-12));
});

test('train: a small run writes a loadable model; a failure is one error line and exit 1, not a stack', () => {
  const out = path.join(dir, 'tiny-model');
  const args = ['train', path.resolve('scenarios/default.yaml'), '--method', 'vfl', '--rho', '0.5', '--epochs', '2', '--train-samples', '300', '--test-samples', '20', '--hidden', '16', '--out', out];
  const ok = cli(...args);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /backend: (wasm|tensorflow|cpu)/);
  assert.match(ok.stdout, /finished: 2 epochs · best epoch \d/);
  const meta = JSON.parse(readFileSync(path.join(out, 'metadata.json'), 'utf8')) as { epochsDone: number; method: string; finished: boolean };
  assert.equal([meta.epochsDone, meta.method, meta.finished], [2, 'vfl', true]);
  for (const m of [0, 1, 2]) assert.ok(existsSync(path.join(out, `bs${m}`, 'model.json')), `bs${m}/model.json`);
  // A checkpoint of another method in the way: the trainer refuses it, the CLI says so in one line.
  const other = path.join(dir, 'other-model');
  mkdirSync(path.join(other, 'checkpoint'), { recursive: true });
  writeFileSync(path.join(other, 'checkpoint', 'metadata.json'), JSON.stringify({ ...meta, method: 'percell', finished: false }));
  const bad = cli(...args.slice(0, -1), other);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.trim(), /^error: training failed: .*checkpoint is for percell ρ=0\.5; remove it or choose another --out$/);
  // A finished model is never overwritten without --force (exit 2, files untouched); --force replaces it.
  const before = readFileSync(path.join(out, 'bs0', 'weights.bin'));
  const again = cli(...args.map((a) => (a === '--method' ? '--family' : a)));
  assert.equal(again.status, 2, again.stdout);
  assert.match(again.stderr.trim(), /^error: .*tiny-model already holds a trained model; choose another --out, or add --force to replace it$/);
  assert.ok(readFileSync(path.join(out, 'bs0', 'weights.bin')).equals(before), 'the model is untouched');
  const forced = cli(...args, '--force', '--seed', '9');
  assert.equal(forced.status, 0, forced.stderr);
  const meta2 = JSON.parse(readFileSync(path.join(out, 'metadata.json'), 'utf8')) as { seed: number; family: string; datasetHash: string; codeVersion: string };
  assert.equal([meta2.seed, meta2.family], [9, 'vfl']);
  assert.match(meta2.datasetHash, /^[0-9a-f]{16}$/);
  assert.ok(meta2.codeVersion.length > 0);
  // `models list` names it with its family and dims.
  const list = cli('models', 'list', out);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /tiny-model\s+vfl\s+ρ 0\.5\s+M=3 N_T=12 K=2 J=1\s+default .*270 samples · seed 9\s+2 ep.*curve: too short$/m);
  // A folder of models: a paper-001 network gets its own row; a metadata.json of no known format is unreadable (exit 1).
  const shelf = path.join(dir, 'shelf');
  mkdirSync(path.join(shelf, 'p1'), { recursive: true });
  writeFileSync(path.join(shelf, 'p1', 'metadata.json'), JSON.stringify({ format: 'isac-twin/paper001-nets', family: 'paper001-student', dims: { numAps: 2, inputShape: [6, 16, 2] }, trainingTimeS: 125, backend: 'wasm' }));
  mkdirSync(path.join(shelf, 'junk'));
  writeFileSync(path.join(shelf, 'junk', 'metadata.json'), JSON.stringify({ format: 'something-else' }));
  const shelfList = cli('models', 'list', shelf);
  assert.equal(shelfList.status, 1);
  assert.match(shelfList.stdout, /p1 {2}paper001-student {2}paper001-nets {2}numAps=2 inputShape=6×16×2 {2}2 min wasm/);
  assert.match(shelfList.stderr, /unreadable: .*junk: .*not an isac-twin learned beamformer/);
});

test('SIGINT during a paced run: exit 130, run row interrupted, logged slots intact', async () => {
  const db = path.join(dir, 'sigint.sqlite');
  const child = spawn(process.execPath, [BIN, 'run', path.resolve('scenarios/default.yaml'), '--speed', '0.5', '--out', db], { cwd: dir, env });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  // Wait until the run has started (its banner is printed after the signal handlers are set)
  // and some slots have been simulated, however slow the machine is.
  for (let i = 0; i < 600 && !/R_c/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 130);
  assert.match(stdout, /run interrupted/);
  const handle = openDbSync(db, 'readonly');
  const [run] = allSync(handle, 'SELECT status, slots_done FROM runs');
  const [n] = allSync(handle, 'SELECT count(*) n FROM slots');
  handle.close();
  assert.equal(run.status, 'interrupted');
  assert.ok((n.n as number) > 0 && n.n === run.slots_done, JSON.stringify({ run, n }));
});

test.run();
