/**
 * Figures of a sweep: a metric against one axis, one curve per policy (or per value of another
 * axis), the 95 % interval across seeds as error bars, one panel per combination of the other
 * axes; and the same for the paired differences to a reference policy, with the zero line.
 * Vega-Lite specs, rendered by the analysis's headless renderer (analysis/plot.ts) to SVG/PNG.
 */
import type { TopLevelSpec } from 'vega-lite';
import { AnalysisInputError } from '../analysis/errors.ts';
import { METRICS } from '../analysis/metrics.ts';
import { specToSvg, svgToPng } from '../analysis/plot.ts';
import { curves, findAxis, pairedDifferences, readSweepData, type CurvePoint, type PairedPoint, type SweepData } from './analysis.ts';
import { EXTRA_METRICS, valueText } from './plan.ts';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** `R_c [bit/s/Hz]` for a catalog metric. */
export function metricTitle(metric: string): string {
  const m = METRICS.find((d) => d.name === metric);
  if (m) return m.unit ? `${m.label} [${m.unit}]` : m.label;
  if (metric in EXTRA_METRICS) return `${metric} share`;
  return metric;
}

export interface SweepPlotOptions {
  x?: string;
  metric?: string;
  /** 'policy' (default) or an axis. */
  by?: string;
  /** Plot differences to this policy (paired across seeds) instead of the values. */
  vs?: string;
  width?: number;
  height?: number;
  title?: string;
  confidence?: number;
}

interface Row {
  facet: string;
  x: number | string;
  group: string;
  y: number;
  lo: number | null;
  hi: number | null;
  n: number;
}

/** The Vega-Lite spec of a sweep figure, and notes (points with one seed: no interval). */
export function sweepPlotSpec(data: SweepData, o: SweepPlotOptions): { spec: TopLevelSpec; notes: string[] } {
  if (!data.axes.length) throw new AnalysisInputError(data.dir, `the sweep ${data.name} has no axes: there is no curve to draw (isac-twin report shows its tables)`);
  const xAxis = findAxis(data, o.x ?? data.axes[0].path, '--x');
  const metric = o.metric ?? data.metrics[0];
  const numeric = xAxis.values.every((v) => typeof v === 'number');
  const toX = (v: unknown) => (numeric ? (v as number) : valueText(v));
  let rows: Row[];
  let groupTitle: string;
  if (o.vs !== undefined) {
    if (o.by !== undefined && o.by !== 'policy') throw new AnalysisInputError('--vs', 'paired differences are between policies: leave out --by (or give --by policy)');
    const pts: PairedPoint[] = pairedDifferences(data, { x: xAxis.path, metric, reference: o.vs, confidence: o.confidence });
    rows = pts.map((p) => ({ facet: p.facet, x: toX(p.x), group: `${p.policy} − ${p.reference}`, y: p.diff, lo: p.lo, hi: p.hi, n: p.n }));
    groupTitle = 'paired difference';
  } else {
    const pts: CurvePoint[] = curves(data, { x: xAxis.path, metric, by: o.by, confidence: o.confidence });
    rows = pts.map((p) => ({ facet: p.facet, x: toX(p.x), group: p.group, y: p.mean, lo: p.lo, hi: p.hi, n: p.n }));
    groupTitle = o.by && o.by !== 'policy' ? findAxis(data, o.by, '--by').short : 'policy';
  }
  if (!rows.length) throw new AnalysisInputError(data.dir, `no completed job of the sweep ${data.name} has ${metric}${o.vs ? ` for ${o.vs} and another policy on the same seeds` : ''}`);
  const notes: string[] = [];
  const single = rows.filter((r) => r.lo === null).length;
  if (single) notes.push(`${single} of ${rows.length} points have one seed only: drawn without an interval`);
  const facets = [...new Set(rows.map((r) => r.facet))];
  const level = `${Math.round(100 * (o.confidence ?? 0.95))} %`;
  const yTitle = o.vs !== undefined ? `Δ ${metricTitle(metric)}` : `mean ${metricTitle(metric)}`;
  const x = { field: 'x', type: numeric ? 'quantitative' : 'ordinal', title: xAxis.short, ...(numeric ? { scale: { zero: false } } : { sort: null }) };
  const color = { field: 'group', type: 'nominal', title: groupTitle, sort: null };
  const y = { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false } };
  const layers: unknown[] = [
    { mark: { type: 'line', strokeWidth: 1.6 }, encoding: { x, y, color: { ...color, legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5 } } } },
    { mark: { type: 'point', filled: true, size: 40 }, encoding: { x, y, color, tooltip: [{ field: 'n', title: 'seeds' }] } },
    { transform: [{ filter: 'datum.lo !== null' }], mark: { type: 'errorbar', ticks: { size: 6 } }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, color } },
  ];
  if (o.vs !== undefined) layers.push({ mark: { type: 'rule', strokeDash: [4, 3], color: '#777' }, encoding: { y: { datum: 0 } } });
  const width = o.width ?? 720;
  const height = o.height ?? 400;
  const panelW = facets.length > 1 ? Math.max(140, Math.floor((width - 120) / facets.length)) : width;
  const title = o.title ?? `${o.vs !== undefined ? `Paired difference in ${metricTitle(metric)} to ${o.vs}` : metricTitle(metric)} vs ${xAxis.short}: sweep ${data.name}`;
  const subtitle = `${xAxis.short === xAxis.path ? '' : `${xAxis.short} = ${xAxis.path}; `}mean over seeds, error bars: ${level} t interval across seeds${o.vs !== undefined ? ' of the per-seed differences (same channels)' : ''}`;
  const config = {
    font: FONT,
    title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' },
    axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e6e6' },
    legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right', labelLimit: 260 },
    header: { labelFontSize: 12, titleFontSize: 12 },
    view: { stroke: '#ccc' },
  };
  const common = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', background: 'white', padding: 12, title: { text: title, subtitle }, config, data: { values: rows } };
  const spec =
    facets.length > 1
      ? { ...common, facet: { column: { field: 'facet', type: 'nominal', title: null, sort: facets } }, spec: { width: panelW, height, layer: layers } }
      : { ...common, width, height, autosize: { type: 'fit', contains: 'padding' }, layer: layers };
  return { spec: spec as unknown as TopLevelSpec, notes };
}

/** Reads a sweep folder and renders a figure. */
export async function renderSweepPlot(dir: string, o: SweepPlotOptions & { format?: 'svg' | 'png'; scale?: number }): Promise<{ data: string | Buffer; notes: string[] }> {
  const data = readSweepData(dir);
  const { spec, notes } = sweepPlotSpec(data, o);
  const svg = await specToSvg(spec);
  return { data: o.format === 'png' ? svgToPng(svg, o.scale ?? 1) : svg, notes };
}
