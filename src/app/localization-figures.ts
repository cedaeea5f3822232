/**
 * `isac-twin localization figures`: paper 003's results (Figs. 2–4) regenerated from a scenario
 * (scenarios/localization.yaml): the CRLB sum C_{x,y} versus the SINR threshold Γ (Fig. 2) and
 * versus the transmit power P (Fig. 3) for crlb-sdp, radar-only, zf and beampattern, averaged over
 * random user drops, and the beampattern of BS 1 (Fig. 4). Written as CSV, a markdown file and
 * SVG plots (vega-lite). The computations are in localization-drops.ts (drops run in worker
 * threads with --jobs). Feasibility of SINR ≥ Γ under the power budget is the same for crlb-sdp and beampattern (same
 * constraints): a drop infeasible at a point is left out of that point for every algorithm, and
 * the number of drops kept is reported.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { LoadedScenario } from '../scenario/validate.ts';
import { ALGORITHMS, beampatternFigure, evaluateDrop, type Algorithm, type DropResult, type FigureGrid, type PatternRow, type PointResult } from './localization-drops.ts';

export * from './localization-drops.ts';

// ------------------------------------------------------------------ aggregation

export interface SeriesRow {
  x: number;
  algorithm: Algorithm;
  /** Mean and median of C_{x,y} (m²) over the drops kept (SDP feasible at this point). */
  meanCrlbM2: number;
  medianCrlbM2: number;
  dropsKept: number;
  drops: number;
  /** Mean share of users with SINR ≥ Γ, mean interior-point iterations and solve time. */
  usersMeetingGamma: number;
  meanIterations: number;
  meanSolveMs: number;
  minRankOneRatio: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Rows per (x, algorithm): a drop counts at x when crlb-sdp solved it there. */
export function aggregate(points: Array<{ x: number; results: PointResult[] }[]>): SeriesRow[] {
  // points[drop][i] = results of the drop at the i-th x
  const rows: SeriesRow[] = [];
  const numX = points[0]?.length ?? 0;
  for (let i = 0; i < numX; i++) {
    const x = points[0][i].x;
    const kept = points.filter((d) => d[i].results.find((r) => r.algorithm === 'crlb-sdp')?.status === 'optimal').map((d) => d[i].results);
    for (const a of ALGORITHMS) {
      const rs = kept.map((res) => res.find((r) => r.algorithm === a)!).filter(Boolean);
      const crlb = rs.map((r) => r.crlbM2);
      const mean = (f: (r: PointResult) => number) => (rs.length ? rs.reduce((s, r) => s + f(r), 0) / rs.length : NaN);
      rows.push({
        x,
        algorithm: a,
        meanCrlbM2: mean((r) => r.crlbM2),
        medianCrlbM2: median(crlb),
        dropsKept: rs.length,
        drops: points.length,
        usersMeetingGamma: mean((r) => r.usersMeetingGamma),
        meanIterations: mean((r) => r.iterations),
        meanSolveMs: mean((r) => r.solveMs),
        minRankOneRatio: rs.reduce((m, r) => (Number.isFinite(r.rankOneRatio) ? Math.min(m, r.rankOneRatio) : m), Infinity),
      });
    }
  }
  return rows;
}

// ------------------------------------------------------------------ output

const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? x.toPrecision(digits) : '–');

function toSvg(spec: TopLevelSpec): Promise<string> {
  return new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' }).toSVG();
}

function seriesSpec(rows: SeriesRow[], xTitle: string, title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 300,
    data: { values: rows.filter((r) => Number.isFinite(r.meanCrlbM2)).map((r) => ({ x: r.x, algorithm: r.algorithm, crlb: r.meanCrlbM2 })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'crlb', type: 'quantitative', title: 'CRLB C_xy (m², mean over drops)', scale: { type: 'log' } },
      color: { field: 'algorithm', type: 'nominal', sort: [...ALGORITHMS] },
    },
  };
}

function patternSpec(rows: PatternRow[], targetDeg: number, gammaDb: number): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Beampattern of BS 1, Γ = ${gammaDb} dB (target at ${targetDeg.toFixed(1)}°)`,
    width: 480,
    height: 300,
    layer: [
      {
        data: { values: rows.map((r) => ({ ...r, gainDb: Math.max(r.gainDb, -40) })) },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'thetaDeg', type: 'quantitative', title: 'θ (deg from broadside)', scale: { domain: [-90, 90] } },
          y: { field: 'gainDb', type: 'quantitative', title: 'Σ_k |a(θ)ᴴ f_1k|² / P (dB)', scale: { domain: [-40, 15] } },
          color: { field: 'algorithm', type: 'nominal', sort: [...ALGORITHMS] },
        },
      },
      { data: { values: [{ t: targetDeg }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { field: 't', type: 'quantitative' } } },
    ],
  };
}

function seriesCsv(rows: SeriesRow[], xName: string): string {
  const head = `${xName},algorithm,mean_crlb_m2,median_crlb_m2,drops_kept,drops,users_meeting_gamma,mean_iterations,mean_solve_ms,min_rank_one_ratio`;
  return [
    head,
    ...rows.map((r) =>
      [r.x, r.algorithm, r.meanCrlbM2, r.medianCrlbM2, r.dropsKept, r.drops, r.usersMeetingGamma, r.meanIterations, r.meanSolveMs, Number.isFinite(r.minRankOneRatio) ? r.minRankOneRatio : ''].join(','),
    ),
  ].join('\n') + '\n';
}

function seriesTable(rows: SeriesRow[], xName: string): string {
  const xs = [...new Set(rows.map((r) => r.x))];
  const cell = (x: number, a: Algorithm) => rows.find((r) => r.x === x && r.algorithm === a)!;
  const lines = [
    `| ${xName} | drops kept | ${ALGORITHMS.map((a) => `${a} mean (median)`).join(' | ')} | zf users ≥ Γ | radar-only users ≥ Γ |`,
    `| --- | --- | ${ALGORITHMS.map(() => '---').join(' | ')} | --- | --- |`,
  ];
  for (const x of xs) {
    const c = cell(x, 'crlb-sdp');
    lines.push(
      `| ${x} | ${c.dropsKept}/${c.drops} | ${ALGORITHMS.map((a) => `${fmt(cell(x, a).meanCrlbM2)} (${fmt(cell(x, a).medianCrlbM2)})`).join(' | ')} | ${fmt(100 * cell(x, 'zf').usersMeetingGamma, 3)} % | ${fmt(100 * cell(x, 'radar-only').usersMeetingGamma, 3)} % |`,
    );
  }
  return lines.join('\n');
}

export interface LocalizationFiguresOptions {
  out: string;
  /** Random drops (seeds firstSeed … firstSeed + drops − 1). */
  drops: number;
  firstSeed: number;
  grid: FigureGrid;
  /** Parallel worker threads (1: in this thread). */
  jobs: number;
  log?: (line: string) => void;
}

/** Runs the drops, in worker threads when jobs > 1 (each worker re-reads the scenario text). */
async function runDrops(loaded: LoadedScenario, o: LocalizationFiguresOptions): Promise<DropResult[]> {
  const seeds = Array.from({ length: o.drops }, (_, i) => o.firstSeed + i);
  const log = o.log ?? (() => undefined);
  const results = new Map<number, DropResult>();
  if (o.jobs <= 1) {
    for (const seed of seeds) {
      const t0 = performance.now();
      results.set(seed, evaluateDrop(loaded, seed, o.grid));
      log(`drop ${seed}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } else {
    const queue = [...seeds];
    await Promise.all(
      Array.from({ length: Math.min(o.jobs, seeds.length) }, async () => {
        const worker = new Worker(new URL('./localization-worker.mjs', import.meta.url));
        try {
          for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
            const t0 = performance.now();
            const r = await new Promise<DropResult>((resolve, reject) => {
              worker.once('message', (m: { ok: boolean; result?: DropResult; error?: string }) => (m.ok ? resolve(m.result!) : reject(new Error(m.error))));
              worker.once('error', reject);
              worker.postMessage({ text: loaded.text, file: loaded.file, seed, grid: o.grid });
            });
            results.set(seed, r);
            log(`drop ${seed}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          }
        } finally {
          await worker.terminate();
        }
      }),
    );
  }
  return seeds.map((s) => results.get(s)!);
}

/** Computes and writes Figs. 2–4; returns the markdown summary. */
export async function writeLocalizationFigures(loaded: LoadedScenario, o: LocalizationFiguresOptions): Promise<string> {
  const t0 = performance.now();
  const drops = await runDrops(loaded, o);
  const vsGamma = aggregate(drops.map((d) => d.gamma.map((p) => ({ x: p.gammaDb, results: p.results }))));
  const vsPower = aggregate(drops.map((d) => d.power.map((p) => ({ x: p.powerDbm, results: p.results }))));
  const patterns = o.grid.patternGammasDb.map((g) => ({ gammaDb: g, ...beampatternFigure(loaded, o.firstSeed, o.grid, g) }));
  mkdirSync(o.out, { recursive: true });
  const file = (name: string) => path.join(o.out, name);
  writeFileSync(file('localization-crlb-vs-gamma.csv'), seriesCsv(vsGamma, 'gamma_db'));
  writeFileSync(file('localization-crlb-vs-power.csv'), seriesCsv(vsPower, 'power_dbm'));
  const thetas = [...new Set(patterns[0].rows.map((r) => r.thetaDeg))];
  writeFileSync(
    file('localization-beampattern.csv'),
    [
      'theta_deg,' + patterns.flatMap((p) => ALGORITHMS.map((a) => `${a}_g${p.gammaDb}db`)).join(','),
      ...thetas.map((th) => [th, ...patterns.flatMap((p) => ALGORITHMS.map((a) => p.rows.find((r) => r.thetaDeg === th && r.algorithm === a)?.gainDb ?? ''))].join(',')),
    ].join('\n') + '\n',
  );
  writeFileSync(file('localization-crlb-vs-gamma.svg'), await toSvg(seriesSpec(vsGamma, 'SINR threshold Γ (dB)', `CRLB vs Γ (P = ${o.grid.powerDbm} dBm)`)));
  writeFileSync(file('localization-crlb-vs-power.svg'), await toSvg(seriesSpec(vsPower, 'transmit power P (dBm)', `CRLB vs P (Γ = ${o.grid.gammaDb} dB)`)));
  for (const [i, p] of patterns.entries()) {
    const name = i === 0 ? 'localization-beampattern.svg' : `localization-beampattern-g${p.gammaDb}db.svg`;
    writeFileSync(file(name), await toSvg(patternSpec(p.rows, p.targetDeg, p.gammaDb)));
  }
  const g = o.grid;
  const md = [
    '# Paper 003 figures (generated by `isac-twin localization figures`)',
    '',
    `Scenario \`${loaded.file}\`, ${o.drops} random user drops (seeds ${o.firstSeed}…${o.firstSeed + o.drops - 1}), perfect CSI, C_xy in m².`,
    `Beampattern baseline: main lobe ${g.mainLobeDeg}°, grid ${g.gridDeg}°. Solver tolerance ${g.tolerance}. Computed in ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
    '',
    `## Fig. 2 — CRLB vs Γ (P = ${g.powerDbm} dBm)`,
    '',
    seriesTable(vsGamma, 'Γ (dB)'),
    '',
    `## Fig. 3 — CRLB vs P (Γ = ${g.gammaDb} dB)`,
    '',
    seriesTable(vsPower, 'P (dBm)'),
    '',
    `## Fig. 4 — beampattern of BS 1 (drop ${o.firstSeed}, P = ${g.powerDbm} dBm)`,
    '',
    `Target at ${patterns[0].targetDeg.toFixed(2)}° from BS 1's broadside. Gain Σ_k |a(θ)ᴴ f_1k|² / P in dB (12.04 dB = all power toward θ).`,
    '',
    '| Γ (dB) | algorithm | main-lobe (peak) direction | peak gain (dB) | gain toward the target (dB) |',
    '| --- | --- | --- | --- | --- |',
    ...patterns.flatMap((p) =>
      ALGORITHMS.map((a) => {
        const rs = p.rows.filter((r) => r.algorithm === a);
        if (rs.length === 0) return `| ${p.gammaDb} | ${a} | – | – | – |`;
        const at = rs.reduce((b, r) => (Math.abs(r.thetaDeg - p.targetDeg) < Math.abs(b.thetaDeg - p.targetDeg) ? r : b), rs[0]);
        return `| ${p.gammaDb} | ${a} | ${p.peaks[a]}° | ${fmt(Math.max(...rs.map((r) => r.gainDb)))} | ${fmt(at.gainDb)} |`;
      }),
    ),
    '',
    'Files: `localization-crlb-vs-gamma.{csv,svg}`, `localization-crlb-vs-power.{csv,svg}`, `localization-beampattern.{csv,svg}` (the first Γ) and `localization-beampattern-g<Γ>db.svg` (the others).',
    '',
  ].join('\n');
  writeFileSync(file('localization-figures.md'), md);
  return md;
}
