/**
 * `isac-twin report <sweep folder>`: one self-contained HTML page (no scripts, no external URLs)
 * with the sweep's metadata and job status, and for every metric of the sweep the curves against
 * the first axis (or --x) with 95 % intervals across seeds, the paired differences of every
 * policy to the reference policy (the first), and the numbers behind both as tables.
 */
import { escapeHtml, htmlPage, inlineSvg, metaTable } from '../analysis/html.ts';
import { specToSvg } from '../analysis/plot.ts';
import { fmt, fmtSigned } from '../analysis/format.ts';
import { curves, findAxis, pairedDifferences, readSweepData, type SweepData } from './analysis.ts';
import { metricTitle, sweepPlotSpec } from './plot.ts';
import { duration } from './progress.ts';
import { valueText } from './plan.ts';

export interface SweepReportOptions {
  x?: string;
  /** Reference policy of the paired differences (default: the first). */
  vs?: string;
  metrics?: string[];
  title?: string;
  confidence?: number;
  generatedAt?: string;
}

function table(headers: string[], rows: string[][], numericFrom = 1): string {
  const cls = (j: number) => (j >= numericFrom ? ' class="num"' : '');
  return `<table>\n<thead><tr>${headers.map((h, j) => `<th${cls(j)}>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows
    .map((r) => `<tr>${r.map((c, j) => `<td${cls(j)}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n')}\n</tbody>\n</table>`;
}

const ci = (lo: number | null, hi: number | null, signed = false) => (lo === null || hi === null ? '–' : signed ? `[${fmtSigned(lo)}, ${fmtSigned(hi)}]` : `[${fmt(lo)}, ${fmt(hi)}]`);

/** The report of a sweep's catalog (read already). */
export async function buildSweepReport(data: SweepData, o: SweepReportOptions = {}): Promise<{ html: string; notes: string[] }> {
  const notes: string[] = [];
  const count = (s: string) => data.jobs.filter((j) => j.status === s).length;
  const completed = count('completed');
  const failed = data.jobs.filter((j) => j.status === 'failed');
  const open = data.jobs.length - completed - failed.length;
  if (open) notes.push(`${open} of ${data.jobs.length} jobs are not finished (pending, queued, running or interrupted): the numbers cover the completed ones`);
  if (failed.length) notes.push(`${failed.length} jobs failed (listed below)`);
  const level = `${Math.round(100 * (o.confidence ?? 0.95))} %`;
  const reference = o.vs ?? data.policies[0];
  const metrics = o.metrics ?? data.metrics;
  const workers = new Set(data.jobs.filter((j) => j.worker).map((j) => j.worker));
  const wall = data.jobs.reduce((s, j) => s + (j.status === 'completed' ? (j.wallS ?? 0) : 0), 0);
  const meta: Array<[string, string]> = [
    ['sweep', `${data.name}${data.description ? ` — ${data.description}` : ''}`],
    ['sweep file', data.sweepFile],
    ['base scenario', data.baseScenario],
    ['axes', data.axes.map((a) => `${a.path} ∈ {${a.values.map(valueText).join(', ')}}`).join(' × ') || '–'],
    ['policies', data.policies.join(', ')],
    ['seeds per point', String(new Set(data.jobs.map((j) => j.seed)).size)],
    ['jobs', `${data.jobs.length}: ${completed} completed, ${failed.length} failed, ${open} not finished`],
    ['compute', `${duration(wall)} of job wall time on ${workers.size} worker process${workers.size === 1 ? '' : 'es'}`],
    ['code version', data.codeVersion],
  ];
  const sections: string[] = [];
  for (const metric of metrics) {
    sections.push(`<h2>${escapeHtml(metricTitle(metric))}</h2>`);
    if (!data.axes.length) {
      // No axes: one point per policy.
      const rows = data.policies.map((p) => {
        const vals = data.jobs.filter((j) => j.policy === p && j.status === 'completed' && typeof j.metrics[metric] === 'number').map((j) => j.metrics[metric] as number);
        return [p, String(vals.length), vals.length ? fmt(vals.reduce((a, b) => a + b, 0) / vals.length) : '–'];
      });
      sections.push(table(['policy', 'seeds', 'mean'], rows));
      continue;
    }
    const x = findAxis(data, o.x ?? data.axes[0].path, '--x');
    for (const fig of [{ vs: undefined as string | undefined }, ...(data.policies.length > 1 ? [{ vs: reference }] : [])]) {
      try {
        const { spec, notes: n } = sweepPlotSpec(data, { x: x.path, metric, vs: fig.vs, width: 900, height: 320, confidence: o.confidence });
        if (!fig.vs) for (const t of n) notes.push(`${metric}: ${t}`);
        sections.push(`<figure aria-label="${escapeHtml(`${metric} vs ${x.short}${fig.vs ? ` minus ${fig.vs}` : ''}`)}">\n${inlineSvg(await specToSvg(spec))}\n</figure>`);
      } catch (e) {
        sections.push(`<p class="note">${escapeHtml((e as Error).message)}</p>`);
      }
    }
    const pts = curves(data, { x: x.path, metric, confidence: o.confidence });
    sections.push(`<h3>Means across seeds <span class="sub">(${level} t interval; n = seeds)</span></h3>`);
    sections.push(
      table(
        ['panel', x.short, 'policy', 'n', 'mean', 'sd', `${level} CI`],
        pts.map((p) => [p.facet || '–', valueText(p.x), p.group, String(p.n), fmt(p.mean), p.sd === null ? '–' : fmt(p.sd), ci(p.lo, p.hi)]),
        3,
      ),
    );
    if (data.policies.length > 1) {
      const diffs = pairedDifferences(data, { x: x.path, metric, reference, confidence: o.confidence });
      sections.push(`<h3>Paired differences to ${escapeHtml(reference)} <span class="sub">(per seed on the same channels; ${level} t interval; * the interval excludes 0)</span></h3>`);
      sections.push(
        table(
          ['panel', x.short, 'policy', 'pairs', `Δ ${metric}`, `${level} CI`, ''],
          diffs.map((d) => [d.facet || '–', valueText(d.x), `${d.policy} − ${d.reference}`, `${d.n}${d.unpaired ? ` (+${d.unpaired} unpaired)` : ''}`, fmtSigned(d.diff), ci(d.lo, d.hi, true), d.lo !== null && (d.lo > 0 || d.hi! < 0) ? '*' : '']),
          3,
        ),
      );
    }
  }
  if (failed.length) {
    sections.push('<h2>Failed jobs</h2>');
    sections.push(table(['job', 'label', 'worker', 'error'], failed.map((j) => [j.id, j.label, j.worker ?? '–', j.error ?? '–']), 99));
  }
  sections.push(`<details><summary>Sweep file as written (${escapeHtml(data.sweepFile)})</summary><pre>${escapeHtml(data.sweepYaml)}</pre></details>`);
  const title = o.title ?? `isac-twin sweep report: ${data.name}`;
  const html = htmlPage({
    title,
    intro: metaTable(meta),
    notes,
    body: sections.join('\n'),
    footer: `Each job contributes the mean of the metric over its run. Intervals across seeds: mean ± t<sub>n−1, 0.975</sub>·s/√n over the n seeds of a point. Paired differences: jobs of two policies with the same seed and scenario see the same channel realisations; the interval is that of the per-seed differences. Generated ${escapeHtml(o.generatedAt ?? new Date().toISOString())} from ${escapeHtml(data.dir)}.`,
    maxWidthPx: 1150,
    tableFontEm: 0.88,
  });
  return { html, notes };
}

export async function reportSweep(dir: string, o: SweepReportOptions = {}): Promise<{ html: string; notes: string[] }> {
  return buildSweepReport(readSweepData(dir), o);
}
