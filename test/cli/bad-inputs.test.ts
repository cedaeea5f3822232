/**
 * The scripted set of bad inputs and faults (issue 16): scenario fields, YAML, files, command-line
 * flags, output paths and databases. Every case must end in exit code 2 (or the documented code),
 * exactly one line on stderr naming the place (file:line:col, or the flag), nothing on stdout that
 * looks like a stack trace, and nothing written. Most cases run in-process (through loadScenario,
 * readScenario or the CLI's main()); a subset runs the real command in a child process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readScenario } from '../../src/cli/args.ts';
import { main } from '../../src/cli/main.ts';
import { ScenarioError } from '../../src/scenario/load.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-bad-'));
const BIN = path.resolve('bin/isac-twin.js');
const DEFAULT = path.resolve('scenarios/default.yaml');
const { FORCE_COLOR: _f, NO_COLOR: _n, ...env } = process.env;
const isRoot = process.getuid?.() === 0;
const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;
let counted = 0;

/**
 * Every file below `root` (relative paths), to check that a refused command wrote nothing
 * (SQLite's -wal/-shm side files of an input database included).
 */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(root, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Scenario fields, YAML and files: in-process through loadScenario / readScenario.

/** [what, yaml, expected message after "bad.yaml:" — a regex on "line:col: path: reason"] */
const SCENARIO_CASES: Array<[string, string, RegExp]> = [
  // bounds (issue 16 item 3)
  ['txPowerDbm 1e6 (was NaN beams)', 'topology: { txPowerDbm: 1e6 }', /^1:\d+: topology\.txPowerDbm: must be ≤ 80 \(got 1000000\)$/],
  ['txPowerDbm −1000', 'topology: { txPowerDbm: -1000 }', /^1:\d+: topology\.txPowerDbm: must be ≥ -100 \(got -1000\)$/],
  ['numTxAnt 100000 (was invalid typed-array length)', 'topology: { numTxAnt: 100000 }', /^1:\d+: topology\.numTxAnt: must be ≤ 1024 \(got 100000\)$/],
  ['numRxAnt 0', 'topology: { numRxAnt: 0 }', /^1:\d+: topology\.numRxAnt: must be > 0 \(got 0\)$/],
  ['numCells 2000', 'topology: { numCells: 2000 }', /^1:\d+: topology\.numCells: must be ≤ 1024/],
  ['numAps 5000', 'topology: { kind: cell-free, cellFree: { numAps: 5000 } }', /^1:\d+: topology\.cellFree\.numAps: must be ≤ 1024/],
  ['users per cell 5000', 'users: { perCell: 5000 }', /^1:\d+: users\.perCell: must be ≤ 4096/],
  ['targets per cell −1', 'targets: { perCell: -1 }', /^1:\d+: targets\.perCell: must be ≥ 0 \(got -1\)$/],
  ['slotMs 0', 'timing: { slotMs: 0 }', /^1:\d+: timing\.slotMs: must be ≥ 0\.001 \(got 0\)$/],
  ['slotMs 5000', 'timing: { slotMs: 5000 }', /^1:\d+: timing\.slotMs: must be ≤ 1000/],
  ['durationSlots 1e12', 'durationSlots: 1e12', /^1:\d+: durationSlots: must be ≤ 1000000000/],
  ['durationSlots 0', 'durationSlots: 0', /^1:\d+: durationSlots: must be > 0/],
  ['carrierHz 1e20', 'channel: { carrierHz: 1e20 }', /^1:\d+: channel\.carrierHz: must be ≤ 10000000000000/],
  ['path-loss exponent 50', 'channel: { commPathLossExp: 50 }', /^1:\d+: channel\.commPathLossExp: must be ≤ 10/],
  ['ricianK −1', 'channel: { ricianK: -1 }', /^1:\d+: channel\.ricianK: must be ≥ 0/],
  ['noise 500 dBm', 'channel: { noise: { commDbm: 500 } }', /^1:\d+: channel\.noise\.commDbm: must be ≤ 80/],
  ['csiNmseDb 1000', 'timing: { csiNmseDb: 1000 }', /^1:\d+: timing\.csiNmseDb: must be ≤ 20/],
  ['cellRadiusM 1e9', 'topology: { cellRadiusM: 1e9 }', /^1:\d+: topology\.cellRadiusM: must be ≤ 100000/],
  ['speedMps 1e5', 'users: { mobility: { model: constant-velocity, speedMps: 1e5 } }', /^1:\d+: users\.mobility\.speedMps: must be ≤ 1000/],
  ['rho 2', 'rho: 2', /^1:\d+: rho: must be ≤ 1 \(got 2\)$/],
  ['fading sinusoids 1000', 'channel: { fading: { sinusoids: 1000 } }', /^1:\d+: channel\.fading\.sinusoids: must be ≤ 256/],
  ['csiQuantBits 17', 'timing: { csiQuantBits: 17 }', /^1:\d+: timing\.csiQuantBits: must be ≤ 16/],
  ['seed −1', 'seed: -1', /^1:\d+: seed: must be ≥ 0/],
  ['seed 1.5', 'seed: 1.5', /^1:\d+: seed: must be a whole number, got 1\.5$/],
  ['a coordinate 1e9 m away', 'topology: { layout: explicit, numCells: 1, bsPositionsM: [[1e9, 0]] }', /^1:\d+: topology\.bsPositionsM\[0\]\[0\]: must be ≤ 1000000/],
  ['memory: 1024 cells × 1024 antennas', 'topology: { numCells: 1024, numTxAnt: 1024 }\nusers: { perCell: 64 }', /^1:1: topology: the channel state would need about \d+ GiB .*more than the 4\.0 GiB limit: reduce topology\.numCells = 1024, users\.perCell = 64, topology\.numTxAnt = 1024/],
  ['memory: cell-free 1024 APs', 'topology: { kind: cell-free, numTxAnt: 64, cellFree: { numAps: 1024 } }\nusers: { perCell: 400 }', /^1:1: topology: the channel state would need .*topology\.cellFree\.numAps = 1024/],
  // wrong types and values (item 12)
  ['a word for a number', 'topology: { numTxAnt: twelve }', /^1:\d+: topology\.numTxAnt: must be a number, got string "twelve"$/],
  ['.nan', 'seed: .nan', /^1:7: seed: must be a number, got NaN$/],
  ['.inf', 'rho: .inf', /^1:6: rho: must be a finite number, got Infinity$/],
  ['a number for a section', 'topology: 5', /^1:11: topology: must be a mapping, got number 5$/],
  ['a list for a section', 'users: [1, 2]', /^1:8: users: must be a mapping, got a list$/],
  ['a number for the name', 'name: 5', /^1:7: name: must be a string, got number 5$/],
  ['an empty name', 'name: ""', /^1:7: name: must not be empty$/],
  ['a point of one number', 'topology: { layout: explicit, bsPositionsM: [[1]] }', /^1:\d+: topology\.bsPositionsM\[0\]: must have at least 2 items \(got 1\)$/],
  ['a word for a heading', 'users: { mobility: { model: constant-velocity, headingDeg: up } }', /^1:\d+: users\.mobility\.headingDeg: must be a number or "random", got string "up"$/],
  ['a string for a boolean', 'topology: { kind: cell-free, cellFree: { wrapAround: "yes" } }', /^1:\d+: topology\.cellFree\.wrapAround: must be true or false, got string "yes"$/],
  ['an unknown enum value', 'timing: { decision: { latency: fast } }', /^1:\d+: timing\.decision\.latency: must be one of "none", "fixed", "measured" \(got "fast"\)$/],
  ['an unknown mobility model', 'users: { mobility: { model: teleport } }', /^1:\d+: users\.mobility(\.model)?: unknown or missing "model"/],
  // unknown keys
  ['unknown topology field', 'topology:\n  numAntennas: 4', /^2:3: topology\.numAntennas: unknown field "numAntennas"$/],
  ['unknown top-level field', 'name: x\nfoo: 1', /^2:1: foo: unknown field "foo"$/],
  ['unknown nested field', 'channel: { fading: { speed: 3 } }', /^1:\d+: channel\.fading\.speed: unknown field "speed"$/],
  // policies
  ['policy: 42', 'policy: 42', /^1:9: policy: must be a policy name \(isac-twin policies\) or \{ name, params \}, got number 42$/],
  ['policy: a list', 'policy: [mrt]', /^1:9: policy: must be a policy name .* got a list$/],
  ['unknown policy', 'policy: magic', /^1:9: policy\.name: unknown policy "magic" \(known: mrt, /],
  ['policy without a name', 'policy: { params: {} }', /^1:\d+: policy(\.name)?: /],
  ['unknown parameter', 'policy: { name: wmmse, params: { iters: 3 } }', /^1:\d+: policy\.params\.iters: unknown parameter "iters" of wmmse$/],
  ['unknown shadow', 'shadows: [nope]', /^1:\d+: shadows\[0\]\.name: unknown policy "nope"/],
  ['centralised fallback', 'timing: { decision: { fallback: wmmse } }', /^1:\d+: timing\.decision\.fallback: the fallback acts at each BS on its own CSI/],
  ['a missing model is blamed on params.model', 'policy: { name: vfl, params: { model: no-such-model } }', /^1:\d+: policy\.params\.model: no model at no-such-model/],
  ['an empty model name', 'policy: { name: vfl, params: { model: "" } }', /^1:\d+: policy\.params\.model: must not be empty$/],
  ['zf with more users than antennas', 'topology: { numTxAnt: 4 }\nusers: { perCell: 5 }\npolicy: zf', /^3:9: policy\.name: zf needs users per BS \(5\) ≤ numTxAnt \(4\)$/],
  // cross-field (item 11)
  ['speed spread above the speed', 'users:\n  mobility: { model: random-waypoint, speedMps: 1, speedSpreadMps: 2 }', /^2:\d+: users\.mobility\.speedSpreadMps: must be below speedMps \(1 m\/s\)/],
  ['speed spread equal to the speed (targets)', 'targets:\n  mobility: { model: random-waypoint, speedMps: 3, speedSpreadMps: 3 }', /^2:\d+: targets\.mobility\.speedSpreadMps: must be below speedMps/],
  ['CSI delay ≥ the run', 'durationSlots: 10\ntiming: { csiFeedbackDelayMs: 20 }', /^2:\d+: timing\.csiFeedbackDelayMs: the first CSI report arrives in slot 20 .*CSI would never arrive$/],
  ['CSI delay not a whole slot', 'timing: { slotMs: 0.5, csiFeedbackDelayMs: 1.25 }', /^1:\d+: timing\.csiFeedbackDelayMs: 1\.25 ms is not a multiple of the slot/],
  ['explicit layout without positions', 'topology: { layout: explicit }', /^1:\d+: topology\.layout: layout "explicit" needs topology\.bsPositionsM$/],
  ['min distance above the radius', 'users: { placement: { model: uniform-in-cell, minDistanceM: 600 } }', /^1:\d+: users\.placement\.minDistanceM: must be below the maximum distance \(500 m\)$/],
  ['localised targets in a cell frame', 'localization:\n  targets: { positionsM: [[0, 0]], mobility: { model: lane, roadM: [[0, 0], [1, 1]], frame: cell } }\n  tmtPositionsM: [[0, 0], [5, 5]]', /^2:\d+: localization\.targets\.mobility\.frame: localised targets belong to no cell/],
  // YAML (item 4, item 11)
  ['YAML syntax error', 'topology:\n  numCells: [1, 2\n', /^\d+:\d+: YAML syntax: /],
  ['duplicate key', 'name: a\nname: b', /^2:1: YAML syntax: Map keys must be unique$/],
  ['alias bomb', ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`)].join('\n'), /^2:\d+: YAML aliases expand to too many nodes \(more than 100\)/],
  ['a list, not a mapping', '- name: x', /^1:1: a scenario must be a YAML mapping of fields$/],
  ['a scalar, not a mapping', 'hello', /^1:1: a scenario must be a YAML mapping of fields$/],
];

test(`scenario fields and YAML: ${SCENARIO_CASES.length} bad scenarios, each one line naming file:line:col and the field`, () => {
  for (const [what, yaml, expected] of SCENARIO_CASES) {
    let err: unknown;
    try {
      loadScenario(yaml + '\n', 'bad.yaml', twinPolicies());
    } catch (e) {
      err = e;
    }
    assert.instance(err, ScenarioError, `${what}: expected a ScenarioError, got ${String(err)}`);
    const msg = (err as Error).message;
    assert.not.match(msg, /\n/, `${what}: one line`);
    assert.ok(msg.startsWith('bad.yaml:'), `${what}: names the file: ${msg}`);
    assert.match(msg.slice('bad.yaml:'.length), expected, `${what}: ${msg}`);
    assert.not.match(msg, /Invalid input|expected number, got number null/, `${what}: zod's default wording: ${msg}`);
    counted++;
  }
});

test('files: empty, comment-only, /dev/null, a directory, a missing file, an unreadable file', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['empty file', write('empty.yaml', ''), /empty\.yaml: empty scenario file: write at least a name/],
    ['comments only', write('comments.yaml', '# nothing yet\n\n'), /comments\.yaml: empty scenario file/],
    ['/dev/null', '/dev/null', /^\/dev\/null: empty scenario file/],
    ['a directory', dir, /: is a directory, not a scenario file$/],
    ['a missing file', path.join(dir, 'nope.yaml'), /nope\.yaml: no such file$/],
  ];
  for (const [what, file, expected] of cases) {
    assert.throws(() => readScenario(file), (e: Error) => e instanceof ScenarioError && expected.test(e.message) && !e.message.includes('\n'), what);
    counted++;
  }
  const locked = write('locked.yaml', 'name: x\n');
  chmodSync(locked, 0o000);
  if (isRoot) {
    console.log('  (skipped: an unreadable file — root reads mode-000 files)');
  } else {
    assert.throws(() => readScenario(locked), /locked\.yaml: cannot read: permission denied \(EACCES\)$/);
    counted++;
  }
  chmodSync(locked, 0o644);
});

// ---------------------------------------------------------------------------------------------
// The command line, in-process: main() with stdout and stderr captured.

async function inProcess(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    const status = await main(['node', 'isac-twin', ...args]);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

/** One bad invocation: exit `code`, one stderr line matching `expected`, no stack, nothing new under `dir`. */
function expectRefusal(what: string, r: { status: number | null; stdout: string; stderr: string }, expected: RegExp, before: string[], code = 2) {
  assert.equal(r.status, code, `${what}: exit ${r.status}; stderr: ${r.stderr}; stdout: ${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], expected, what);
  assert.not.match(r.stdout, STACK, `${what}: a stack on stdout`);
  assert.not.match(r.stderr, STACK, `${what}: a stack on stderr`);
  assert.equal(listing(dir), before, `${what}: nothing written`);
  counted++;
}

// Fixtures: a regular file to put paths under, a junk database, an empty one, a truncated run.
const plain = write('plain.txt', 'not a directory, not a database\n');
const emptyDb = write('empty.sqlite', '');
const small = write('small.yaml', 'name: small\ndurationSlots: 40\n');
const goodDb = path.join(dir, 'good.sqlite');
const truncated = path.join(dir, 'truncated.sqlite');

test('fixtures: a short run database and a truncated copy', async () => {
  const r = await inProcess('run', small, '--out', goodDb, '--quiet', '--no-dashboard');
  assert.equal(r.status, 0, r.stderr);
  copyFileSync(goodDb, truncated);
  truncateSync(truncated, Math.floor(statSync(goodDb).size / 3));
});

test('command-line flags and output paths (in-process): exit 2, one line naming the flag, nothing written', async () => {
  const before = listing(dir);
  const cases: Array<[string, string[], RegExp]> = [
    ['--slots 1e12', ['run', small, '--slots', '1e12'], /--slots <n>.*expected a whole number ≤ 1000000000, got "1e12"/],
    ['--slots abc', ['run', small, '--slots', 'abc'], /--slots <n>.*expected a whole number ≥ 1, got "abc"/],
    ['--slots empty', ['run', small, '--slots', ''], /--slots <n>.*expected a whole number ≥ 1, got ""/],
    ['--slots shorter than the CSI delay', ['run', DEFAULT, '--slots', '2'], /command line: --slots: 2 slots end before the first CSI report arrives/],
    ['--seed -1', ['run', small, '--seed', '-1'], /--seed <n>.*expected a whole number ≥ 0/],
    ['--speed 0', ['run', small, '--speed', '0'], /--speed <x>.*expected a positive number, got "0"/],
    ['--speed Infinity', ['run', small, '--speed', 'Infinity'], /--speed <x>.*expected a positive number/],
    ['--log-every 0', ['run', small, '--log-every', '0'], /--log-every <n>.*expected a whole number ≥ 1/],
    ['unknown flag', ['run', small, '--fast'], /unknown option '--fast'/],
    ['missing argument', ['run'], /missing required argument 'scenario'/],
    ['unknown command', ['runn', small], /unknown command 'runn'/],
    ['--policy nope', ['run', small, '--policy', 'nope'], /command line: --policy: unknown policy "nope"/],
    ['--shadow nope', ['run', small, '--shadow', 'nope'], /command line: --shadow: unknown policy "nope"/],
    ['--shadow a centralised policy needing more antennas', ['run', write('few-ant.yaml', 'name: f\ntopology: { numTxAnt: 2 }\nusers: { perCell: 1 }\n'), '--shadow', 'imt'], /command line: --shadow: imt needs/],
    ['--out under a regular file', ['run', small, '--out', path.join(plain, 'x.sqlite')], /--out .*plain\.txt\/x\.sqlite: .*plain\.txt is a file, not a directory$/],
    ['--out in a missing folder', ['run', small, '--out', path.join(dir, 'no-such-dir', 'x.sqlite')], /--out .*no-such-dir\/x\.sqlite: the folder .*no-such-dir does not exist; create it first/],
    ['--out an existing database', ['run', small, '--out', goodDb], /--out .*good\.sqlite: the file exists; choose another name$/],
    ['--out a directory', ['snapshot', small, '--slot', '1', '--out', dir], /--out .*: is a directory; give a file name$/],
    ['--out under /proc', ['run', small, '--out', '/proc/isac-twin-test.sqlite'], /--out \/proc\/isac-twin-test\.sqlite: cannot create files in \/proc: /],
    ['schema --out under a file', ['schema', '--out', path.join(plain, 'schema.json')], /--out .*plain\.txt\/schema\.json: .*is a file, not a directory$/],
    ['schema --out under /proc', ['schema', '--out', '/proc/self/isac-schema.json'], /--out \/proc\/self\/isac-schema\.json: cannot create files in \/proc\/self/],
    ['snapshot --out under a file', ['snapshot', small, '--slot', '1', '--out', path.join(plain, 's.json')], /--out .*: .*is a file, not a directory$/],
    ['snapshot --slot past the end', ['snapshot', small, '--slot', '40', '--out', path.join(dir, 's.json')], /--slot 40: the scenario lasts 40 slots \(0 … 39\)$/],
    ['snapshot without --out', ['snapshot', small, '--slot', '1'], /required option '--out <file>' not specified/],
    ['export --csv under a file', ['export', goodDb, '--csv', path.join(plain, 'csv')], /--csv .*plain\.txt\/csv: a part of the path is a file|--csv .*: .*is a file, not a directory/],
    ['plot --out .txt', ['plot', goodDb, '--kind', 'cdf', '--out', path.join(dir, 'x.txt')], /--out: .*x\.txt: the file name must end in \.svg or \.png$/],
    ['plot --out under a file', ['plot', goodDb, '--kind', 'cdf', '--out', path.join(plain, 'x.svg')], /--out .*: .*is a file, not a directory$/],
    ['plot --kind nope', ['plot', goodDb, '--kind', 'nope', '--out', path.join(dir, 'x.svg')], /--kind: unknown plot kind "nope"/],
    ['report --out in a missing folder', ['report', goodDb, '--out', path.join(dir, 'nope', 'r.html')], /--out .*nope\/r\.html: the folder .* does not exist; create it first/],
    ['figures <unknown> (item 5)', ['figures', 'nope'], /^error: figures nope: unknown figure set \(known: vfl/],
    ['conflicting --family and --method', ['train', small, '--family', 'vfl', '--method', 'percell', '--out', path.join(dir, 'm')], /--family vfl and --method percell \(its old name\) disagree/],
    ['train --rho 2', ['train', small, '--rho', '2'], /--rho <ρ>.*expected ρ in \[0, 1\], got "2"/],
    ['train --snr-range 30,0', ['train', small, '--snr-range', '30,0'], /--snr-range <lo,hi>.*expected "lo,hi" in dB with lo ≤ hi \(cell-edge SNR\), got "30,0"/],
    ['train --min-delta 2', ['train', small, '--min-delta', '2'], /--min-delta <x>.*expected a relative change in \[0, 1\), got "2"/],
    ['train --features nope', ['train', small, '--features', 'nope'], /--features <mode>.*Allowed choices are rms, log-gain/],
    ['figures vfl --vfl-snrs x', ['figures', 'vfl', '--paper', '--vfl-snrs', '0,x'], /--vfl-snrs <list>.*expected comma-separated SNRs in dB \(−50 … 60\), got "0,x"/],
    ['compare one run', ['compare', goodDb], /compare: needs at least two run databases, got 1/],
    ['analyze --outage-rate -1', ['analyze', goodDb, '--outage-rate', '-1'], /--outage-rate: expected a rate ≥ 0/],
    ['analyze --from junk', ['analyze', goodDb, '--from', 'soon'], /--from/],
    ['watch --poll-ms 0', ['watch', goodDb, '--poll-ms', '0'], /--poll-ms <n>.*expected a whole number ≥ 1/],
    ['localization figures without a localization section', ['localization', 'figures', '--scenario', small, '--out', path.join(dir, 'figs')], /small\.yaml: the scenario has no localization: section$/],
    ['localization figures --drops 0', ['localization', 'figures', '--drops', '0'], /--drops <n>.*expected a whole number ≥ 1/],
    ['validate an alias bomb', ['validate', write('bomb.yaml', SCENARIO_CASES.find((c) => c[0] === 'alias bomb')![1])], /bomb\.yaml:2:\d+: YAML aliases expand to too many nodes/],
  ];
  const after = listing(dir); // the fixtures written by the cases themselves (few-ant.yaml, bomb.yaml)
  void before;
  const runsHere = () => (existsSync('twin-runs') ? listing('twin-runs') : []); // the default --out of run
  const runsBefore = runsHere();
  for (const [what, args, expected] of cases) expectRefusal(what, await inProcess(...args), expected, after);
  assert.equal(runsHere(), runsBefore, 'no default database written');
  assert.not.ok(existsSync('/proc/isac-twin-test.sqlite'));
});

test('databases: a text file, an empty file, a truncated run for analyze, compare, plot, export, watch', async () => {
  const before = listing(dir);
  const cases: Array<[string, string[], RegExp]> = [
    ['analyze a text file', ['analyze', plain], /plain\.txt/],
    ['analyze an empty file', ['analyze', emptyDb], /empty\.sqlite/],
    ['analyze a truncated run', ['analyze', truncated], /truncated\.sqlite/],
    ['analyze a missing file', ['analyze', path.join(dir, 'nope.sqlite')], /nope\.sqlite/],
    ['compare with a text file', ['compare', goodDb, plain], /plain\.txt/],
    ['compare with a truncated run', ['compare', goodDb, truncated], /truncated\.sqlite/],
    ['plot an empty file', ['plot', emptyDb, '--kind', 'cdf', '--out', path.join(dir, 'p.svg')], /empty\.sqlite/],
    ['plot a truncated run', ['plot', truncated, '--kind', 'cdf', '--out', path.join(dir, 'p.svg')], /truncated\.sqlite/],
    ['export a text file', ['export', plain, '--csv', path.join(dir, 'csv')], /plain\.txt/],
    ['export a truncated run', ['export', truncated, '--csv', path.join(dir, 'csv')], /truncated\.sqlite/],
    ['watch a text file', ['watch', plain, '--plain'], /plain\.txt/],
    ['watch an empty file', ['watch', emptyDb, '--plain'], /empty\.sqlite/],
  ];
  for (const [what, args, expected] of cases) expectRefusal(what, await inProcess(...args), expected, before);
});

// ---------------------------------------------------------------------------------------------
// The real command in child processes (a subset: each costs ~0.5 s).

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, env });

test('child processes (the real command, a subset: each costs ~2 s here): one line and exit 2', () => {
  const big = write('big-power.yaml', 'name: p\ntopology: { txPowerDbm: 1e6 }\n');
  const ants = write('big-ant.yaml', 'name: a\ntopology: { numTxAnt: 100000 }\n');
  const before = listing(dir);
  const cases: Array<[string, string[], RegExp]> = [
    ['run txPowerDbm 1e6', ['run', big, '--out', path.join(dir, 'x.sqlite')], /big-power\.yaml:2:\d+: topology\.txPowerDbm: must be ≤ 80/],
    ['run numTxAnt 100000', ['run', ants, '--out', path.join(dir, 'x.sqlite')], /big-ant\.yaml:2:\d+: topology\.numTxAnt: must be ≤ 1024/],
    ['validate an alias bomb', ['validate', path.join(dir, 'bomb.yaml')], /bomb\.yaml:2:\d+: YAML aliases expand/],
    ['figures nope', ['figures', 'nope'], /figures nope: unknown figure set \(known: vfl/],
    ['run --out under a file', ['run', small, '--out', 'plain.txt/x.sqlite'], /--out plain\.txt\/x\.sqlite: .*is a file, not a directory/],
    ['run --out in a missing root folder', ['run', small, '--out', '/nonexistent-isac-twin-dir/x.sqlite'], /the folder \/nonexistent-isac-twin-dir does not exist; create it first/],
    ['schema --out under /proc', ['schema', '--out', '/proc/isac-schema.json'], /--out \/proc\/isac-schema\.json: cannot create files in \/proc/],
    ['compare a truncated run', ['compare', goodDb, truncated], /truncated\.sqlite/],
  ];
  for (const [what, args, expected] of cases) expectRefusal(what, cli(...args), expected, before);
  assert.not.ok(existsSync('/nonexistent-isac-twin-dir'), 'a missing --out folder is not created');
});

test('read-only and immutable output folders, in-process (root: chattr +i; skipped visibly where unavailable)', async () => {
  const ro = path.join(dir, 'ro');
  mkdirSync(ro);
  const targets = (d: string): Array<[string, string[], RegExp]> => [
    ['run', ['run', small, '--out', path.join(d, 'x.sqlite')], /--out .*x\.sqlite: cannot create files in .*ro: /],
    ['snapshot', ['snapshot', small, '--slot', '1', '--out', path.join(d, 's.json')], /--out .*s\.json: cannot create files in /],
    ['schema', ['schema', '--out', path.join(d, 'schema.json')], /--out .*schema\.json: cannot create files in /],
    ['export --csv', ['export', goodDb, '--csv', path.join(d, 'csv')], /--csv .*csv: cannot create files in /],
  ];
  let locked: 'chmod' | 'chattr' | undefined;
  if (!isRoot) {
    chmodSync(ro, 0o555);
    locked = 'chmod';
  } else if (spawnSync('chattr', ['+i', ro]).status === 0) {
    locked = 'chattr';
  }
  try {
    if (!locked) {
      console.log('  (skipped: read-only folder — running as root and chattr +i is not available here)');
      return;
    }
    const before = listing(dir);
    for (const [what, args, expected] of targets(ro)) expectRefusal(`${what} into a ${locked === 'chmod' ? 'read-only' : 'immutable'} folder`, await inProcess(...args), expected, before);
    assert.equal(readdirSync(ro), []);
  } finally {
    if (locked === 'chmod') chmodSync(ro, 0o755);
    if (locked === 'chattr') spawnSync('chattr', ['-i', ro]);
  }
});

test('the count of bad inputs and faults', () => {
  console.log(`  ${counted} bad inputs and faults refused`);
  assert.ok(counted >= 60, `${counted} cases`);
  void readFileSync;
});

test.run();
