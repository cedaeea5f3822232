/**
 * Plots: SVG and PNG of the requested size that parse as such; long runs are downsampled to
 * bounded point counts that keep the extremes; report and CSV export are self-contained and
 * exact.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exportFile } from '../../src/analysis/export.ts';
import { plotSpec, renderPlot } from '../../src/analysis/plot.ts';
import { reportFiles } from '../../src/analysis/report.ts';
import { openRuns } from '../../src/analysis/run-db.ts';
import { handRun, tmp, writeRun, type SynthRun } from './synthetic.ts';

const dir = tmp('plot');
const hand = path.join(dir, 'hand.sqlite');
const other = path.join(dir, 'other.sqlite');
const long = path.join(dir, 'long.sqlite');
const LONG = 5000;

/** Root element and its width/height of an SVG document. */
function svgSize(svg: string): { width: number; height: number } {
  const root = /^<svg\b[^>]*>/.exec(svg.trimStart());
  assert.ok(root, `not an SVG document: ${svg.slice(0, 80)}`);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  return { width: Number(/\swidth="([\d.]+)"/.exec(root![0])![1]), height: Number(/\sheight="([\d.]+)"/.exec(root![0])![1]) };
}

/** PNG signature and the IHDR chunk's width and height. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.is(png.toString('latin1', 12, 16), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test.before(async () => {
  await writeRun(hand, handRun());
  await writeRun(other, { ...handRun(), policy: 'zf', seed: 2 });
  // 5000 slots: rc = slot mod 100, with one spike of 1000 at slot 4321.
  const T = Array.from({ length: LONG }, (_, t) => t);
  const spec: SynthRun = { numBs: 1, numUsers: 1, numTargets: 0, slots: T.map((t) => [t, t === 4321 ? 1000 : t % 100, 0.1, 0]), users: T.map((t) => [t, 0, 0, 3, t % 7, 1]) };
  await writeRun(long, spec);
});

test('SVG: an <svg> root with the requested width and height, axis titles with units, a legend', async () => {
  const { data } = await renderPlot([hand, other], { kind: 'timeseries', metric: 'rc', format: 'svg', width: 640, height: 360 });
  const svg = String(data);
  assert.equal(svgSize(svg), { width: 640, height: 360 });
  assert.match(svg, 'R_c [bit/s/Hz]');
  assert.match(svg, 'time [s]');
  assert.match(svg, 'policy');
  for (const label of ['mrt', 'zf', 'zf (shadow)']) assert.match(svg, `>${label}<`);
});

test('PNG: signature and IHDR size, with --scale', async () => {
  for (const [kind, metric] of [
    ['cdf', 'rate'],
    ['pareto', 'rc,rs'],
    ['timeseries', 'sinr'],
  ] as const) {
    const { data } = await renderPlot([hand, other], { kind, metric, format: 'png', width: 500, height: 300 });
    assert.equal(pngSize(data as Buffer), { width: 500, height: 300 }, `${kind}`);
  }
  const { data } = await renderPlot([hand], { kind: 'cdf', metric: 'sens_sinr', format: 'png', width: 400, height: 250, scale: 2 });
  assert.equal(pngSize(data as Buffer), { width: 800, height: 500 });
});

test('a long timeseries is downsampled to ≤ maxBuckets points per series, keeping min and max', async () => {
  const runs = await openRuns([long]);
  try {
    const { spec, notes } = await plotSpec(runs, { kind: 'timeseries', metric: 'rc', maxBuckets: 100 });
    const rows = (spec as unknown as { data: { values: Array<{ t: number; mean: number; min: number; max: number }> } }).data.values;
    assert.is(rows.length, 100);
    // Buckets of 50 slots: rc = t mod 100 runs 0…49 or 50…99 in each; the spike stays visible.
    assert.equal([rows[0].min, rows[0].max, rows[0].mean], [0, 49, 24.5]);
    assert.is(Math.max(...rows.map((r) => r.max)), 1000);
    assert.ok(Math.abs(rows[0].t - 0.0245) < 1e-12, `bucket time ${rows[0].t}`);
    assert.match(notes.join('\n'), 'downsampled to at most 100 buckets per series (50 slots each)');
    const cdf = await plotSpec(runs, { kind: 'cdf', metric: 'rate', maxPoints: 50 });
    const pts = (cdf.spec as unknown as { data: { values: Array<{ x: number; p: number }> } }).data.values;
    assert.is(pts.length, 50);
    assert.equal([pts[0].x, pts[49].x, pts[49].p], [0, 6, 1]);
  } finally {
    for (const r of runs) await r.close();
  }
});

test('report: one self-contained HTML page with tables, inline SVG plots and no URLs', async () => {
  const { html } = await reportFiles([hand, other], { generatedAt: 'test' });
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.not.match(html, /https?:\/\//);
  assert.not.match(html, /<script|<link|src=/);
  assert.is((html.match(/<svg/g) ?? []).length, 8);
  assert.match(html, '<h2>Comparison</h2>');
  assert.match(html, 'Unpaired difference zf − mrt');
  assert.match(html, 'different seeds (1 vs 2)');
  // The hand-computed user-0 outage share and rc mean appear in the tables.
  assert.match(html, '<td class="num">20.00 %</td>');
  assert.match(html, '<td class="num">4.5000</td>');
  assert.match(html, 'Acting policy minus shadow policies');
});

test('export --csv: one file per table, exact values, NULL as empty, quoted text', async () => {
  const out = path.join(dir, 'csv');
  const r = await exportFile(hand, out);
  const names = readdirSync(out).sort();
  for (const t of ['meta', 'runs', 'slots', 'bs_slots', 'user_slots', 'target_slots', 'shadow_slots', 'events']) assert.ok(names.includes(`${t}.csv`), t);
  assert.equal(
    r.files.filter((f) => ['slots', 'user_slots', 'events'].includes(f.table)).map((f) => [f.table, f.rows]),
    [
      ['slots', 10],
      ['user_slots', 20],
      ['events', 6],
    ],
  );
  const slots = readFileSync(path.join(out, 'slots.csv'), 'utf8').trim().split('\n');
  assert.is(slots[0], 'slot,t_ms,rc,rs,objective');
  assert.is(slots[4], '3,1.5,3,0.3,1.65');
  const users = readFileSync(path.join(out, 'user_slots.csv'), 'utf8').split('\n');
  assert.is(users[1], '0,0,0,0,0,0,,0,');
  const ranged = await exportFile(hand, path.join(dir, 'csv-range'), { range: { from: { slot: 8 } } });
  assert.is(ranged.files.find((f) => f.table === 'slots')!.rows, 2);
});

test.run();
