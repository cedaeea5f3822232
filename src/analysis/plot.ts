/**
 * Plots of run databases as Vega-Lite 5 specifications, rendered headlessly: Vega-Lite compiles
 * the spec to Vega, a Vega View with renderer 'none' writes SVG, and resvg rasterises it to PNG.
 *
 * Kinds:
 * - timeseries: the metric against simulated time. Long runs are cut into at most `maxBuckets`
 *   buckets of consecutive slots and each bucket is drawn as its mean (line) and its min–max
 *   range (band), so a million slots become a thousand points that still show the extremes.
 * - cdf: the empirical CDF, drawn through at most `maxPoints` order statistics (evenly spaced
 *   ranks, always the first and the last).
 * - pareto: mean R_c against mean R_s (or any two network metrics, `--metric x,y`) of every
 *   acting and shadow policy, the means of time windows as a cloud, and the frontier of the
 *   policies no other beats in both.
 * Per-BS/user/target metrics are pooled over the entities unless `entity` picks one (or 'all',
 * one series each).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { AnalysisInputError } from './errors.ts';
import { axisTitle, entityName, findMetric, groupColumn, SWITCHED_OFF_SINR_DB, valueColumn, type MetricDef } from './metrics.ts';
import { scan, type ScanSpec } from './reader.ts';
import { pairing } from './pairing.ts';
import { openRuns, runLabels, type RangeSpec, type RunDb, type SlotRange } from './run-db.ts';
import { mean, Series } from './stats.ts';

export type PlotKind = 'timeseries' | 'cdf' | 'pareto';
export const PLOT_KINDS: readonly PlotKind[] = ['timeseries', 'cdf', 'pareto'];

export interface PlotOptions {
  /** Metric name; for pareto "x,y" (default "rc,rs"). */
  metric?: string;
  kind: PlotKind;
  format?: 'svg' | 'png';
  /** For BS/user/target metrics: one entity, or 'all' (one series each). Default: pooled. */
  entity?: number | 'all';
  range?: RangeSpec;
  /** Size of the whole figure in CSS pixels (default 720 × 400). */
  width?: number;
  height?: number;
  /** PNG pixels per CSS pixel (default 1). */
  scale?: number;
  title?: string;
  /** Include shadow policies for network metrics (default true). */
  shadows?: boolean;
  /** Timeseries: most buckets per series (default 1000). */
  maxBuckets?: number;
  /** CDF: most points per series (default 500). */
  maxPoints?: number;
}

export interface PlotSpec {
  spec: TopLevelSpec;
  notes: string[];
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

function baseSpec(o: PlotOptions, title: string, subtitle: string | undefined): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: o.width ?? 720,
    height: o.height ?? 400,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: 12,
    title: subtitle ? { text: o.title ?? title, subtitle } : { text: o.title ?? title },
    config: {
      font: FONT,
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' },
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right', labelLimit: 260 },
      view: { stroke: '#ccc' },
    },
  };
}

/** One series to read: a run, a table (slots/shadow_slots/...), an optional filter. */
interface Source {
  run: RunDb;
  range: SlotRange;
  label: string;
  table: string;
  where?: ScanSpec['where'];
  /** For a shadow policy: the label of the run it shadows. */
  shadowOf?: string;
}

/**
 * Sources of a metric: per run, the acting policy and (network metrics) its shadows. A shadow
 * policy shared by several runs is labelled "name (shadow)"; series with that label in runs of
 * the same scenario and seed are the same numbers and the callers draw them once.
 */
function sourcesOf(runs: RunDb[], ranges: SlotRange[], m: MetricDef, shadows: boolean): Source[] {
  const labels = runLabels(runs);
  const out: Source[] = [];
  const shadowSources: Source[] = [];
  runs.forEach((run, i) => {
    out.push({ run, range: ranges[i], label: labels[i], table: m.table });
    if (m.level === 'network' && shadows) {
      for (const sh of run.meta.shadows.filter((s) => s !== run.meta.policy)) {
        const same = shadowSources.find((x) => x.where!.params[0] === sh && pairing(x.run, run).paired && x.range.lo === ranges[i].lo && x.range.hi === ranges[i].hi);
        if (same) continue;
        shadowSources.push({ run, range: ranges[i], label: `${sh} (shadow)`, table: 'shadow_slots', where: { sql: 'policy = ?', params: [sh] }, shadowOf: labels[i] });
      }
    }
  });
  // The same shadow policy in runs of different scenarios: name the run.
  for (const s of shadowSources) {
    if (shadowSources.some((x) => x !== s && x.label === s.label)) s.label = `${s.where!.params[0]} (shadow in ${s.shadowOf})`;
  }
  return [...out, ...shadowSources];
}

function entityWhere(m: MetricDef, entity: PlotOptions['entity'], where?: ScanSpec['where']): ScanSpec['where'] {
  if (typeof entity !== 'number' || m.level === 'network') return where;
  const cond = { sql: `${groupColumn(m.level)} = ?`, params: [entity] };
  return where ? { sql: `${where.sql} AND ${cond.sql}`, params: [...where.params, ...cond.params] } : cond;
}

function pooledNote(m: MetricDef, entity: PlotOptions['entity']): string | undefined {
  if (m.level === 'network') return undefined;
  if (entity === undefined) return `pooled over all ${m.level === 'bs' ? 'BSs' : `${m.level}s`}`;
  if (entity === 'all') return undefined;
  return entityName(m.level, entity);
}

/**
 * Reads one source's values of `m`, calling `each(slot, entity, value)` per non-NULL value (with
 * `nullAsMinusInfinity`, NULL — a linear 0 in dB — arrives as −∞).
 */
async function readSource(
  s: Source,
  m: MetricDef,
  entity: PlotOptions['entity'],
  withSlot: boolean,
  each: (slot: number, id: number, x: number) => void,
  nullAsMinusInfinity = false,
): Promise<void> {
  const group = groupColumn(m.level);
  const count = m.level === 'bs' ? s.run.meta.numBs : m.level === 'user' ? s.run.meta.numUsers : m.level === 'target' ? s.run.meta.numTargets : 1;
  await scan(s.run, s.range, [
    {
      table: s.table,
      group,
      where: entityWhere(m, entity, s.where),
      withSlot,
      rowsPerSlot: typeof entity === 'number' ? 1 : Math.max(1, count),
      transient: true, // each() copies the numbers
      values: [{ ...valueColumn(s.run, m), notNull: s.run.notNull(s.table, m.column) }],
      onChunk: (c) => {
        const v = c.values[0];
        for (let i = 0; i < c.rows; i++) {
          const x = v[i] === v[i] ? v[i] : nullAsMinusInfinity ? -Infinity : NaN;
          if (x === x) each(c.slot ? c.slot[i] : 0, c.group ? c.group[i] : 0, x);
        }
      },
    },
  ]);
}

function checkEntity(m: MetricDef, entity: PlotOptions['entity'], runs: RunDb[]): void {
  if (entity === undefined) return;
  if (m.level === 'network') throw new AnalysisInputError('--entity', `${m.name} is a network metric (one value per slot); --entity applies to BS, user and target metrics`);
  if (entity === 'all') return;
  for (const r of runs) {
    const n = m.level === 'bs' ? r.meta.numBs : m.level === 'user' ? r.meta.numUsers : r.meta.numTargets;
    if (!(entity >= 0 && entity < n)) throw new AnalysisInputError(r.file, `has no ${entityName(m.level, entity)} (${n} ${m.level === 'bs' ? 'BSs' : `${m.level}s`}: 0–${n - 1})`);
  }
}

async function timeseriesSpec(runs: RunDb[], ranges: SlotRange[], o: PlotOptions): Promise<PlotSpec> {
  const m = findMetric(o.metric ?? '', runs);
  checkEntity(m, o.entity, runs);
  const maxBuckets = Math.max(10, o.maxBuckets ?? 1000);
  const rows: Array<{ t: number; mean: number; min: number; max: number; series: string }> = [];
  let maxWidth = 1;
  for (const s of sourcesOf(runs, ranges, m, o.shadows ?? true)) {
    const { run, range } = s;
    const span = range.lastSlot - range.firstSlot + 1;
    const width = range.slots <= maxBuckets ? 1 : Math.ceil(span / maxBuckets);
    maxWidth = Math.max(maxWidth, width);
    const nb = Math.ceil(span / width);
    const per = new Map<string, { n: Float64Array; sum: Float64Array; slotSum: Float64Array; min: Float64Array; max: Float64Array }>();
    const bucketsOf = (key: string) => {
      let b = per.get(key);
      if (!b) {
        b = { n: new Float64Array(nb), sum: new Float64Array(nb), slotSum: new Float64Array(nb), min: new Float64Array(nb).fill(Infinity), max: new Float64Array(nb).fill(-Infinity) };
        per.set(key, b);
      }
      return b;
    };
    const perEntity = o.entity === 'all' && m.level !== 'network';
    await readSource(s, m, o.entity, true, (slot, id, x) => {
      const b = bucketsOf(perEntity ? `${s.label} · ${entityName(m.level, id)}` : s.label);
      const k = Math.floor((slot - range.firstSlot) / width);
      b.n[k]++;
      b.sum[k] += x;
      b.slotSum[k] += slot;
      if (x < b.min[k]) b.min[k] = x;
      if (x > b.max[k]) b.max[k] = x;
    });
    const slotS = run.meta.slotMs / 1000;
    for (const [series, b] of [...per].sort((a, c) => a[0].localeCompare(c[0], 'en', { numeric: true }))) {
      for (let k = 0; k < nb; k++) {
        if (!b.n[k]) continue;
        rows.push({ t: (b.slotSum[k] / b.n[k]) * slotS, mean: b.sum[k] / b.n[k], min: b.min[k], max: b.max[k], series });
      }
    }
  }
  const notes: string[] = [];
  const parts = [pooledNote(m, o.entity)];
  if (maxWidth > 1) {
    parts.push(`mean per bucket of ${maxWidth} slots (line) and min–max (band)`);
    notes.push(`downsampled to at most ${maxBuckets} buckets per series (${maxWidth} slots each)`);
  }
  const subtitle = parts.filter(Boolean).join(' · ') || undefined;
  const x = { field: 't', type: 'quantitative', title: 'time [s]' };
  const color = { field: 'series', type: 'nominal', title: 'policy', sort: null };
  // The line layer first: the shared legend takes its symbol from the first layer.
  const layers: unknown[] = [
    {
      mark: { type: 'line', strokeWidth: 1.4, interpolate: 'linear' },
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative', title: axisTitle(m), scale: { zero: false } },
        color: { ...color, legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5 } },
      },
    },
  ];
  if (maxWidth > 1) layers.push({ mark: { type: 'area', fillOpacity: 0.22 }, encoding: { x, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' }, color } });
  const spec = { ...baseSpec(o, `${capitalise(m.description)} over time`, subtitle), data: { values: rows }, layer: layers } as unknown as TopLevelSpec;
  return { spec, notes };
}

/**
 * The lower end of a dB axis: 10 dB below the smallest 1st percentile of the series' meaningful
 * values (≥ SWITCHED_OFF_SINR_DB), or −∞ when nothing lies below that. A switched-off stream
 * (SINR 0, −∞ dB, or rounding residue such as −726 dB) would otherwise stretch the axis over
 * thousands of dB and squeeze the data into a line. `sorted`: each series ascending.
 */
export function dbAxisFloor(sorted: readonly Float64Array[]): { lo: number; below: number } {
  let p1 = Infinity;
  for (const v of sorted) {
    let first = 0;
    while (first < v.length && !(v[first] >= SWITCHED_OFF_SINR_DB)) first++;
    const n = v.length - first;
    if (n > 0) p1 = Math.min(p1, v[first + Math.floor(0.01 * (n - 1))]);
  }
  if (!Number.isFinite(p1)) return { lo: -Infinity, below: 0 };
  const lo = p1 - 10;
  let below = 0;
  for (const v of sorted) for (let i = 0; i < v.length && v[i] < lo; i++) below++;
  return below ? { lo, below } : { lo: -Infinity, below: 0 };
}

async function cdfSpec(runs: RunDb[], ranges: SlotRange[], o: PlotOptions): Promise<PlotSpec> {
  const m = findMetric(o.metric ?? '', runs);
  checkEntity(m, o.entity, runs);
  const maxPoints = Math.max(10, o.maxPoints ?? 500);
  // In dB, NULL is a linear 0 (a switched-off stream): −∞ dB, at the bottom of the CDF.
  const isDb = m.unit === 'dB';
  const series: Array<[string, Float64Array]> = [];
  for (const s of sourcesOf(runs, ranges, m, o.shadows ?? true)) {
    const per = new Map<string, Series>();
    const perEntity = o.entity === 'all' && m.level !== 'network';
    await readSource(
      s,
      m,
      o.entity,
      false,
      (_slot, id, x) => {
        const key = perEntity ? `${s.label} · ${entityName(m.level, id)}` : s.label;
        let a = per.get(key);
        if (!a) per.set(key, (a = new Series(s.range.slots)));
        a.push(x);
      },
      isDb,
    );
    for (const [name, list] of [...per].sort((a, c) => a[0].localeCompare(c[0], 'en', { numeric: true }))) series.push([name, list.values().sort()]);
  }
  const { lo, below } = isDb ? dbAxisFloor(series.map((x) => x[1])) : { lo: -Infinity, below: 0 };
  const rows: Array<{ x: number; p: number; series: string }> = [];
  for (const [name, v] of series) {
    const n = v.length;
    const k = Math.min(n, maxPoints);
    // Values below the axis are drawn at its edge (the CDF keeps their probability).
    for (let j = 0; j < k; j++) {
      const r = k === 1 ? 0 : Math.round((j * (n - 1)) / (k - 1));
      rows.push({ x: Math.max(v[r], lo), p: (r + 1) / n, series: name });
    }
  }
  const notes: string[] = [];
  const clipNote = below ? `axis clipped at ${lo.toFixed(1)} dB (1st percentile − 10 dB): ${below} value${below === 1 ? '' : 's'} below the axis (SINR 0 or near 0: no power), drawn at its edge` : undefined;
  if (clipNote) notes.push(clipNote);
  const layer = {
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axisTitle(m), scale: below ? { zero: false, domainMin: lo, nice: false } : { zero: false } },
      y: { field: 'p', type: 'quantitative', title: `P(${m.label} ≤ x)`, scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: 'policy', sort: null },
    },
  };
  const subtitle = [pooledNote(m, o.entity), clipNote].filter((x): x is string => !!x).join(' · ') || undefined;
  const spec = { ...baseSpec(o, `CDF of ${m.description}`, subtitle), data: { values: rows }, ...layer } as unknown as TopLevelSpec;
  return { spec, notes };
}

async function paretoSpec(runs: RunDb[], ranges: SlotRange[], o: PlotOptions): Promise<PlotSpec> {
  const names = (o.metric && o.metric !== 'pareto' ? o.metric : 'rc,rs').split(',').map((x) => x.trim());
  if (names.length !== 2) throw new AnalysisInputError('--metric', `a pareto plot takes two network metrics "x,y" (default rc,rs), got "${o.metric}"`);
  const [mx, my] = names.map((n) => findMetric(n, runs));
  for (const mm of [mx, my]) {
    if (mm.level !== 'network') throw new AnalysisInputError('--metric', `a pareto plot compares network metrics (rc, rs, objective); ${mm.name} is per ${mm.level}`);
  }
  const windows = 50;
  const points: Array<{ x: number; y: number; series: string; kind: string }> = [];
  const means: Array<{ x: number; y: number; series: string }> = [];
  for (const s of sourcesOf(runs, ranges, mx, o.shadows ?? true)) {
    const span = s.range.lastSlot - s.range.firstSlot + 1;
    const width = Math.max(1, Math.ceil(span / windows));
    const nb = Math.ceil(span / width);
    const sx = new Float64Array(nb);
    const sy = new Float64Array(nb);
    const n = new Float64Array(nb);
    const allX: number[] = [];
    const allY: number[] = [];
    await scan(s.run, s.range, [
      {
        table: s.table,
        group: null,
        where: s.where,
        withSlot: true,
        rowsPerSlot: 1,
        transient: true,
        values: [mx, my].map((mm) => ({ ...valueColumn(s.run, mm), notNull: s.run.notNull(s.table, mm.column) })),
        onChunk: (c) => {
          for (let i = 0; i < c.rows; i++) {
            const x = c.values[0][i];
            const y = c.values[1][i];
            if (x !== x || y !== y) continue;
            const k = Math.floor((c.slot![i] - s.range.firstSlot) / width);
            sx[k] += x;
            sy[k] += y;
            n[k]++;
            allX.push(x);
            allY.push(y);
          }
        },
      },
    ]);
    if (!allX.length) continue;
    const point = { x: mean(allX), y: mean(allY), series: s.label };
    // The same shadow policy in several runs of one scenario gives the same point: draw it once.
    if (means.some((p) => p.series === point.series && p.x === point.x && p.y === point.y)) continue;
    means.push(point);
    for (let k = 0; k < nb; k++) if (n[k]) points.push({ x: sx[k] / n[k], y: sy[k] / n[k], series: s.label, kind: 'window' });
  }
  // Frontier: policies that no other policy beats in both metrics (higher is better).
  const frontier = means
    .filter((p) => !means.some((q) => q !== p && q.x >= p.x && q.y >= p.y && (q.x > p.x || q.y > p.y)))
    .sort((a, b) => a.x - b.x)
    .map((p, i) => ({ ...p, order: i }));
  const x = { field: 'x', type: 'quantitative', title: `mean ${axisTitle(mx)}`, scale: { zero: false } };
  const y = { field: 'y', type: 'quantitative', title: `mean ${axisTitle(my)}`, scale: { zero: false } };
  const color = { field: 'series', type: 'nominal', title: 'policy', sort: null };
  const spec = {
    ...baseSpec(o, `${mx.label} vs ${my.label} trade-off`, `large marks: means over the range; small: means of ${windows} time windows; dashed: Pareto frontier`),
    // Means first (the legend takes its symbols from the first layer), drawn above the cloud by zindex.
    layer: [
      { data: { values: means }, mark: { type: 'point', size: 140, filled: true, opacity: 1, zindex: 2 }, encoding: { x, y, color } },
      { data: { values: points }, mark: { type: 'circle', size: 18, fillOpacity: 0.35 }, encoding: { x, y, color } },
      { data: { values: frontier }, mark: { type: 'line', strokeDash: [5, 4], color: '#666' }, encoding: { x, y, order: { field: 'order' } } },
      { data: { values: means }, mark: { type: 'text', dx: 9, dy: -9, align: 'left', fontSize: 11, zindex: 2 }, encoding: { x, y, text: { field: 'series' } } },
    ],
  } as unknown as TopLevelSpec;
  return { spec, notes: [] };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The Vega-Lite spec of a plot over open runs. */
export async function plotSpec(runs: RunDb[], o: PlotOptions): Promise<PlotSpec> {
  if (!PLOT_KINDS.includes(o.kind)) throw new AnalysisInputError('--kind', `unknown plot kind "${o.kind}"; known kinds: ${PLOT_KINDS.join(', ')}`);
  if (o.kind !== 'pareto' && !o.metric) throw new AnalysisInputError('--metric', `a ${o.kind} plot needs --metric`);
  const ranges: SlotRange[] = [];
  for (const r of runs) ranges.push(await r.range(o.range));
  const built = o.kind === 'timeseries' ? await timeseriesSpec(runs, ranges, o) : o.kind === 'cdf' ? await cdfSpec(runs, ranges, o) : await paretoSpec(runs, ranges, o);
  return { spec: built.spec, notes: [...runs.flatMap((r) => r.notes), ...built.notes] };
}

/** Vega-Lite spec → SVG text (headless Vega view). */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG → PNG bytes (resvg), `scale` pixels per CSS pixel. */
export function svgToPng(svg: string, scale = 1): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return Buffer.from(r.render().asPng());
}

/** Opens the runs, builds and renders the plot. */
export async function renderPlot(files: string[], o: PlotOptions): Promise<{ data: string | Buffer; notes: string[] }> {
  const runs = await openRuns(files);
  try {
    const { spec, notes } = await plotSpec(runs, o);
    const svg = await specToSvg(spec);
    return { data: o.format === 'png' ? svgToPng(svg, o.scale ?? 1) : svg, notes };
  } finally {
    for (const r of runs) await r.close();
  }
}
