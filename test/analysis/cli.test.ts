/**
 * The analysis commands end to end through commander (registerAnalysisCommands on a fresh
 * program): output on stdout, notes on stderr, result.code, and bad input as AnalysisInputError.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AnalysisInputError } from '../../src/analysis/errors.ts';
import { registerAnalysisCommands } from '../../src/cli/analysis-commands.ts';
import { handRun, tmp, writeRun } from './synthetic.ts';

const dir = tmp('cli');
const hand = path.join(dir, 'hand.sqlite');
const live = path.join(dir, 'live.sqlite');

/** Runs `isac-twin <args>` with the analysis commands; captures stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string; error?: unknown }> {
  const result = { code: -1 };
  const program = new Command('isac-twin').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerAnalysisCommands(program, result);
  let out = '';
  let err = '';
  const w1 = process.stdout.write;
  const w2 = process.stderr.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'isac-twin', ...args]);
    return { code: result.code, out, err };
  } catch (error) {
    return { code: result.code, out, err, error };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

test.before(async () => {
  await writeRun(hand, handRun());
  await writeRun(live, { ...handRun(), status: 'running' });
});

test('analyze --json prints the analysis; result.code is 0', async () => {
  const r = await cli('analyze', hand, '--json', '--outage-rate', '1.5');
  assert.is(r.error, undefined);
  assert.is(r.code, 0);
  const a = JSON.parse(r.out);
  assert.is(a.outageRate, 1.5);
  assert.is(a.users[0].outageShare, 0.6);
  assert.is(a.range.slots, 10);
  assert.is(r.err, '');
});

test('analyze of a run still being written: result on stdout, a note on stderr, code 0', async () => {
  const r = await cli('analyze', live, '--from', '2', '--to', '2.5ms');
  assert.is(r.code, 0);
  assert.match(r.out, 'range     slots 2–4 (3 logged slots');
  assert.match(r.err, `note: ${live}: the run is still being written`);
});

test('compare, plot, report, export write their outputs', async () => {
  const c = await cli('compare', hand, live, '--batches', '2', '--json');
  assert.is(c.code, 0);
  assert.is(JSON.parse(c.out).pairs[0].paired, true);
  const svg = path.join(dir, 'f.svg');
  const p = await cli('plot', hand, '--metric', 'rate', '--kind', 'cdf', '--out', svg, '--width', '300', '--height', '200', '--entity', '0');
  assert.is(p.code, 0);
  assert.match(readFileSync(svg, 'utf8'), /^<svg[^>]* width="300" height="200"/);
  const html = path.join(dir, 'r.html');
  assert.is((await cli('report', hand, '--out', html)).code, 0);
  assert.match(readFileSync(html, 'utf8'), '<!DOCTYPE html>');
  const csv = path.join(dir, 'csv');
  const e = await cli('export', hand, '--csv', csv);
  assert.is(e.code, 0);
  assert.match(e.out, /slots\s+10 rows/);
  assert.ok(existsSync(path.join(csv, 'user_slots.csv')));
});

test('bad input: AnalysisInputError naming the file or option, no output file left behind', async () => {
  const cases: Array<[string[], string]> = [
    [['analyze', path.join(dir, 'missing.sqlite')], `${path.join(dir, 'missing.sqlite')}: no such file`],
    [['analyze', hand, '--from', 'later'], '--from: expected a slot index'],
    [['analyze', hand, '--outage-rate', '-1'], '--outage-rate: expected a rate ≥ 0'],
    [['compare', hand], 'compare: needs at least two run databases, got 1'],
    [['compare', hand, hand, '--batches', '1'], '--batches: expected a whole number ≥ 2'],
    [['plot', hand, '--metric', 'nope', '--kind', 'cdf', '--out', path.join(dir, 'x.svg')], '--metric: unknown metric "nope"; known metrics: rc, rs'],
    [['plot', hand, '--metric', 'rc', '--kind', 'cdf', '--out', path.join(dir, 'x.pdf')], '--out: '],
    [['plot', hand, '--metric', 'rc', '--kind', 'bars', '--out', path.join(dir, 'x.svg')], '--kind: unknown plot kind "bars"'],
    [['analyze', hand, '--from', '100'], `${hand}: no logged slots in slots [100, ∞)`],
  ];
  for (const [args, message] of cases) {
    const r = await cli(...args);
    assert.instance(r.error, AnalysisInputError, args.join(' '));
    assert.match((r.error as Error).message, message);
    assert.is(r.code, -1);
  }
  assert.not.ok(existsSync(path.join(dir, 'x.svg')));
});

test.run();
