/**
 * `report`: one self-contained HTML page to share — run metadata, summary tables, the paired
 * comparison when there are several runs, and the plots as inline SVG. No scripts, no fonts,
 * no external URLs: it opens offline and prints.
 */
import { analyzeRange, type Analysis, type MetricSummaries } from './analyze.ts';
import { compareRuns, type Comparison } from './compare.ts';
import { fmt, fmtPercent, fmtSigned, sideBySideRows } from './format.ts';
import { plotSpec, specToSvg, type PlotOptions } from './plot.ts';
import { openRuns, runLabels, type RangeSpec, type RunDb } from './run-db.ts';
import { viewSelect } from '../store/views.ts';
import type { Summary } from './stats.ts';
import { escapeHtml, htmlPage, inlineSvg, metaTable as metaRows } from './html.ts';

export interface ReportOptions {
  range?: RangeSpec;
  outageRate?: number;
  batches?: number;
  title?: string;
  /** Shown in the footer (default: now). */
  generatedAt?: string;
}

function table(headers: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const th = headers.map((h, j) => `<th${numeric.has(j) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, j) => `<td${numeric.has(j) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody>\n</table>`;
}

const STATS: Array<keyof Summary> = ['n', 'mean', 'p5', 'p50', 'p95', 'min', 'max'];
const NUM = new Set([2, 3, 4, 5, 6, 7, 8]);

function statRows(a: Analysis, head: string, metrics: MetricSummaries): string[][] {
  return Object.entries(metrics).map(([name, s], i) => {
    const d = a.metrics[name];
    return [i === 0 ? head : '', d.unit ? `${d.label} [${d.unit}]` : d.label, ...STATS.map((f) => (s ? (f === 'n' ? String(s.n) : fmt(s[f])) : '–'))];
  });
}

function metaTable(a: Analysis): string {
  const r = a.run;
  const rows: Array<[string, string]> = [
    ['file', a.file],
    ['scenario', `${r.name} (${r.scenarioFile})`],
    ['policy', r.policy],
    ['shadow policies', r.shadows.join(', ') || '–'],
    ['seed', String(r.seed)],
    ['ρ', r.rho === null ? '–' : String(r.rho)],
    ['status', (r.stoppedUnexpectedly ? `running, but stopped unexpectedly (last update ${r.lastUpdate})` : r.status) + (r.error ? ` (${r.error})` : '')],
    ['slots done', `${r.slotsDone} of ${r.durationSlots} (slot ${r.slotMs} ms, logged every ${r.logEvery})`],
    ['network', `${r.numBs} BSs · ${r.numUsers} users · ${r.numTargets} targets`],
    ['analysed', `slots ${a.range.fromSlot}–${a.range.toSlot}: ${a.range.slots} logged slots, ${fmt(a.range.fromS, 3)}–${fmt(a.range.toS, 3)} s`],
    ['written by', `isac-twin ${r.packageVersion} · backend ${r.backend}`],
    ['started / ended', `${r.startedAt} / ${r.endedAt ?? '–'}`],
  ];
  return metaRows(rows);
}

function runSection(a: Analysis, label: string, run: RunDb, shadowGaps: string): string {
  const parts = [`<h2>Run ${escapeHtml(label)}</h2>`, metaTable(a)];
  for (const n of a.notes) parts.push(`<p class="note">${escapeHtml(n)}</p>`);
  parts.push('<h3>Network, per policy</h3>');
  parts.push(table(['policy', 'metric', ...STATS], a.policies.flatMap((p) => statRows(a, `${p.policy} (${p.role})`, p.metrics)), NUM));
  if (shadowGaps) parts.push(shadowGaps);
  parts.push('<h3>Per BS</h3>');
  parts.push(
    table(
      ['BS', 'metric', ...STATS],
      [...a.bs.flatMap((b) => [...statRows(a, `BS ${b.bs}`, b.metrics), ['', 'fallback share', fmtPercent(b.fallbackShare), '', '', '', '', '', '']]), ...statRows(a, 'all', a.pooled.bs)],
      NUM,
    ),
  );
  parts.push(`<h3>Per user <span class="sub">(outage: rate &lt; ${escapeHtml(String(a.outageRate))} bit/s/Hz)</span></h3>`);
  parts.push(
    table(
      ['user', 'metric', ...STATS],
      [
        ...a.users.flatMap((u) => [...statRows(a, `user ${u.user} (BS ${u.bs ?? '–'})`, u.metrics), ['', 'outage', fmtPercent(u.outageShare), '', '', '', '', '', '']]),
        ...statRows(a, 'all', a.pooled.user),
        ['', 'outage', fmtPercent(a.network.outageShare), '', '', '', '', '', ''],
      ],
      NUM,
    ),
  );
  parts.push('<h3>Per target</h3>');
  parts.push(table(['target', 'metric', ...STATS], [...a.targets.flatMap((t) => statRows(a, `target ${t.target} (BS ${t.bs ?? '–'})`, t.metrics)), ...statRows(a, 'all', a.pooled.target)], NUM));
  if (a.network.csiAgeVsRate.length) {
    parts.push('<h3>CSI age vs rate</h3>');
    parts.push(table(['CSI age [slots]', 'user-slots', 'mean rate [bit/s/Hz]'], a.network.csiAgeVsRate.map((e) => [String(e.ageSlots), String(e.n), fmt(e.meanRate)]), new Set([0, 1, 2])));
  }
  if (a.network.events.length) {
    parts.push('<h3>Events</h3>');
    parts.push(table(['kind', 'count'], a.network.events.map((e) => [e.kind, String(e.n)]), new Set([1])));
  }
  parts.push(`<details><summary>Scenario as written (${escapeHtml(a.run.scenarioFile)})</summary><pre>${escapeHtml(run.meta.scenarioYaml)}</pre></details>`);
  return parts.join('\n');
}

/** Acting minus shadow per slot, from the v_shadow_gaps view's definition, over the range. */
async function shadowGapTable(run: RunDb, a: Analysis): Promise<string> {
  if (!a.policies.some((p) => p.role === 'shadow')) return '';
  const rows = await run.all<{ shadow: string; n: number; rc: number; rs: number; obj: number; better: number }>(
    `SELECT shadow, count(*) AS n, avg(rc_gap) AS rc, avg(rs_gap) AS rs, avg(objective_gap) AS obj, avg(objective_gap > 0) AS better
     FROM (${viewSelect('v_shadow_gaps')}) WHERE slot >= ? AND slot <= ? GROUP BY shadow ORDER BY shadow`,
    [a.range.fromSlot, a.range.toSlot],
  );
  if (!rows.length) return '';
  return (
    `<h3>Acting policy minus shadow policies <span class="sub">(per slot, same slots and information)</span></h3>\n` +
    table(
      ['shadow', 'slots', 'R_c gap', 'R_s gap', 'objective gap', 'slots acting better'],
      rows.map((r) => [r.shadow, String(r.n), fmtSigned(r.rc), fmtSigned(r.rs), fmtSigned(r.obj), fmtPercent(r.better)]),
      new Set([1, 2, 3, 4, 5]),
    )
  );
}

function comparisonSection(c: Comparison): string {
  const parts = ['<h2>Comparison</h2>'];
  parts.push(table(['metric', ...c.labels], sideBySideRows(c).map(([l, v]) => [l, ...v]), new Set(c.labels.map((_l, i) => i + 1))));
  const level = `${Math.round(100 * c.confidence)} %`;
  for (const p of c.pairs) {
    const la = c.labels[p.a];
    const lb = c.labels[p.b];
    parts.push(`<h3>${p.paired ? 'Paired' : 'Unpaired'} difference ${escapeHtml(lb)} − ${escapeHtml(la)}</h3>`);
    parts.push(`<p class="${p.paired ? 'sub' : 'note'}">${escapeHtml(p.reason)}; ${p.paired ? `${p.slotsA} common slots` : `${p.slotsA} and ${p.slotsB} slots`}.</p>`);
    parts.push(
      table(
        ['metric', `mean ${la}`, `mean ${lb}`, `${lb} − ${la}`, `${level} CI`],
        Object.entries(p.metrics).map(([name, s]) => {
          const d = c.analyses[0].metrics[name];
          return [`${d.label} [${d.unit}]`, fmt(s.meanA), fmt(s.meanB), fmtSigned(s.diff), s.lo === null || s.hi === null ? '–' : `[${fmtSigned(s.lo)}, ${fmtSigned(s.hi)}]`];
        }),
        new Set([1, 2, 3]),
      ),
    );
    parts.push(
      `<p class="sub">${
        p.paired
          ? `Per-slot differences; interval from k = ${p.batches} non-overlapping batch means of ${p.batchSize} slots (mean ± t<sub>k−1</sub>·s/√k), which accounts for the autocorrelation of consecutive slots.`
          : `Welch interval on k = ${p.batches} batch means per run; the runs do not share channel realisations.`
      }</p>`,
    );
  }
  return parts.join('\n');
}

/** The report of open runs. */
export async function buildReport(runs: RunDb[], opts: ReportOptions = {}): Promise<{ html: string; notes: string[] }> {
  const labels = runLabels(runs);
  const analyses: Analysis[] = [];
  let comparison: Comparison | undefined;
  if (runs.length > 1) {
    comparison = await compareRuns(runs, opts);
    analyses.push(...comparison.analyses);
  } else {
    analyses.push(await analyzeRange(runs[0], await runs[0].range(opts.range), opts));
  }
  const notes = comparison ? comparison.notes : [...analyses[0].notes];
  const figures: string[] = [];
  const plots: Array<[string, PlotOptions]> = [
    ['Objective over time', { kind: 'timeseries', metric: 'objective' }],
    ['R_c over time', { kind: 'timeseries', metric: 'rc' }],
    ['R_s over time', { kind: 'timeseries', metric: 'rs' }],
    ['R_c vs R_s', { kind: 'pareto', metric: 'rc,rs' }],
    ['User rate CDF', { kind: 'cdf', metric: 'rate' }],
    ['User SINR CDF', { kind: 'cdf', metric: 'sinr' }],
    ['Sensing SINR CDF', { kind: 'cdf', metric: 'sens_sinr' }],
    ['Decision time CDF', { kind: 'cdf', metric: 'decision_ms' }],
  ];
  for (const [caption, o] of plots) {
    const { spec } = await plotSpec(runs, { ...o, range: opts.range, width: 860, height: 360 });
    figures.push(`<figure aria-label="${escapeHtml(caption)}">\n${inlineSvg(await specToSvg(spec))}\n</figure>`);
  }
  const sections: string[] = [];
  for (let i = 0; i < runs.length; i++) sections.push(runSection(analyses[i], labels[i], runs[i], await shadowGapTable(runs[i], analyses[i])));
  const title = opts.title ?? `isac-twin report: ${labels.join(' vs ')}`;
  const html = htmlPage({
    title,
    intro: `<p class="sub">${runs.length} run${runs.length > 1 ? 's' : ''}: ${runs.map((r, i) => `${escapeHtml(labels[i])} = ${escapeHtml(r.file)}`).join(' · ')}</p>`,
    notes,
    body: `${comparison ? comparisonSection(comparison) : ''}\n<h2>Plots</h2>\n${figures.join('\n')}\n${sections.join('\n')}`,
    footer: `Percentiles interpolate linearly between order statistics (type 7, as NumPy and pandas), over values read at 1e-6 bit/s/Hz, 1e-8 bit/s/Hz (radar rates), 1e-4 dB and 1 ns resolution. Generated ${escapeHtml(opts.generatedAt ?? new Date().toISOString())}.`,
    maxWidthPx: 1100,
    tableFontEm: 0.9,
  });
  return { html, notes };
}

/** Opens the runs, builds the report, closes them. */
export async function reportFiles(files: string[], opts: ReportOptions & { createViews?: boolean } = {}): Promise<{ html: string; notes: string[] }> {
  const runs = await openRuns(files, { createViews: opts.createViews });
  try {
    return await buildReport(runs, opts);
  } finally {
    for (const r of runs) await r.close();
  }
}
