/**
 * Sweep analysis over the catalog: metric-vs-parameter curves with confidence intervals across
 * seeds, and paired differences between policies.
 *
 * Each completed job contributes one number per metric: the mean of the metric over its run (the
 * catalog's job_metrics). At one point of the sweep (the x value, the curve's group — a policy —
 * and the values of the other axes, which become facets) the seeds are independent replications,
 * so the interval is Student's t over them: mean ± t_{n−1, 1−α/2} · s / √n, s the sample standard
 * deviation of the n per-seed means (no interval for n < 2).
 *
 * Paired differences: two jobs with the same channel key (job-id.ts: same scenario apart from the
 * policy, same seed, same code) saw the same channel realisations, so policy P minus the reference
 * R is taken seed by seed, d_i = P_i − R_i, and the interval is the t interval of the d_i — far
 * narrower than the difference of two unpaired intervals when the seeds vary more than the
 * policies do. Seeds run for one policy only are left out of the pairs (and counted).
 */
import { AnalysisInputError } from '../analysis/errors.ts';
import { mean, studentTQuantile } from '../analysis/stats.ts';
import { Catalog } from './catalog.ts';
import { valueText } from './plan.ts';

export interface SweepDataAxis {
  path: string;
  short: string;
  /** Column name in the catalog's views. */
  column: string;
  values: unknown[];
}

export interface SweepDataJob {
  id: string;
  policy: string;
  seed: number;
  point: Record<string, unknown>;
  channelKey: string;
  status: string;
  wallS: number | null;
  worker: string | null;
  error: string | null;
  label: string;
  metrics: Record<string, number | null>;
}

export interface SweepData {
  dir: string;
  name: string;
  description: string;
  sweepFile: string;
  sweepYaml: string;
  baseScenario: string;
  codeVersion: string;
  axes: SweepDataAxis[];
  policies: string[];
  metrics: string[];
  /** Current jobs, in expansion order. */
  jobs: SweepDataJob[];
}

/** Reads the current jobs of a sweep folder's catalog. */
export function readSweepData(dir: string): SweepData {
  let c: Catalog;
  try {
    c = Catalog.openExisting(dir);
  } catch (e) {
    throw new AnalysisInputError(dir, `not a readable sweep folder: ${(e as Error).message}`);
  }
  try {
    const axes = c.db.prepare('SELECT axis, short, values_json FROM axes ORDER BY position').all() as Array<{ axis: string; short: string; values_json: string }>;
    const policies = (c.db.prepare('SELECT label FROM policies ORDER BY position').all() as Array<{ label: string }>).map((r) => r.label);
    const metrics = (c.db.prepare('SELECT metric FROM metrics ORDER BY position').all() as Array<{ metric: string }>).map((r) => r.metric);
    const values = new Map<string, Record<string, number | null>>();
    for (const r of c.db.prepare('SELECT m.job_id, m.metric, m.mean FROM job_metrics m JOIN jobs j USING (job_id) WHERE j.current = 1').all() as Array<{ job_id: string; metric: string; mean: number | null }>) {
      let o = values.get(r.job_id);
      if (!o) values.set(r.job_id, (o = {}));
      o[r.metric] = r.mean;
    }
    const shortOf = (a: { axis: string; short: string }) => {
      const segs = a.axis.split(/\.|\[/);
      const last = segs[segs.length - 1].replace(/\]$/, '');
      return axes.filter((b) => b.axis.split(/\.|\[/).pop()!.replace(/\]$/, '') === last).length === 1 ? last : a.axis;
    };
    return {
      dir,
      name: c.meta('sweep') ?? '',
      description: c.meta('description') ?? '',
      sweepFile: c.meta('sweep_file') ?? '',
      sweepYaml: c.meta('sweep_yaml') ?? '',
      baseScenario: c.meta('base_scenario') ?? '',
      codeVersion: c.meta('code_version') ?? '',
      axes: axes.map((a) => ({ path: a.axis, short: shortOf(a), column: a.short, values: JSON.parse(a.values_json) as unknown[] })),
      policies,
      metrics,
      jobs: c.jobs().map((r) => ({
        id: r.job_id,
        policy: r.policy,
        seed: r.seed,
        point: JSON.parse(r.point_json) as Record<string, unknown>,
        channelKey: r.channel_key,
        status: r.status,
        wallS: r.wall_s,
        worker: r.worker,
        error: r.error,
        label: r.label,
        metrics: values.get(r.job_id) ?? {},
      })),
    };
  } finally {
    c.close();
  }
}

/** An axis by its path, its column name or a unique last part (`speedMps`). */
export function findAxis(data: SweepData, name: string, option: string): SweepDataAxis {
  const exact = data.axes.find((a) => a.path === name || a.column === name || a.short === name);
  if (exact) return exact;
  const suffix = data.axes.filter((a) => a.path.endsWith(`.${name}`));
  if (suffix.length === 1) return suffix[0];
  const known = data.axes.map((a) => (a.short === a.path ? a.path : `${a.short} (${a.path})`)).join(', ');
  throw new AnalysisInputError(option, data.axes.length ? `the sweep has no axis "${name}"${suffix.length > 1 ? ' (several end so: give the whole path)' : ''}; its axes: ${known}` : `the sweep ${data.name} has no axes`);
}

export function checkMetric(data: SweepData, metric: string, option = '--metric'): void {
  if (!data.metrics.includes(metric)) throw new AnalysisInputError(option, `the sweep ${data.name} has no metric "${metric}"; its metrics: ${data.metrics.join(', ')}`);
}

export interface SeedInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for n < 2. */
  sd: number | null;
  /** Half-width of the t interval; null for n < 2. */
  halfWidth: number | null;
}

/** Mean and Student-t interval of independent replications at level `confidence`. */
export function seedInterval(values: readonly number[], confidence = 0.95): SeedInterval {
  const n = values.length;
  if (n === 0) throw new RangeError('no values');
  const m = mean(values);
  if (n < 2) return { n, mean: m, sd: null, halfWidth: null };
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  const sd = Math.sqrt(ss / (n - 1));
  return { n, mean: m, sd, halfWidth: (studentTQuantile(1 - (1 - confidence) / 2, n - 1) * sd) / Math.sqrt(n) };
}

/** The dimensions of a curve: x, the grouping (policy or an axis) and the facets (the other axes). */
interface Dims {
  x: SweepDataAxis;
  by: SweepDataAxis | 'policy';
  facets: SweepDataAxis[];
}

function dims(data: SweepData, x: string, by: string): Dims {
  const xa = findAxis(data, x, '--x');
  const ba = by === 'policy' ? 'policy' : findAxis(data, by, '--by');
  if (ba !== 'policy' && ba.path === xa.path) throw new AnalysisInputError('--by', `${by} is the x axis already: group by policy or by another axis`);
  return { x: xa, by: ba, facets: data.axes.filter((a) => a.path !== xa.path && (ba === 'policy' || a.path !== ba.path)) };
}

export interface CurvePoint {
  /** `pilotPeriodSlots 5 · policy vfl`: the other dimensions' values ('' when none). */
  facet: string;
  x: unknown;
  /** The curve: a policy, or a value of the --by axis. */
  group: string;
  n: number;
  mean: number;
  sd: number | null;
  lo: number | null;
  hi: number | null;
  halfWidth: number | null;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Sorts a dimension's values: numbers ascending, anything else in the sweep file's order. */
function orderedValues(axis: SweepDataAxis): unknown[] {
  return axis.values.every((v) => typeof v === 'number') ? [...axis.values].sort((a, b) => (a as number) - (b as number)) : [...axis.values];
}

function facetCombos(data: SweepData, d: Dims): Array<{ label: string; match: (j: SweepDataJob) => boolean }> {
  let combos: Array<{ label: string[]; match: Array<(j: SweepDataJob) => boolean> }> = [{ label: [], match: [] }];
  const parts: Array<{ name: string; values: unknown[]; get: (j: SweepDataJob) => unknown }> = d.facets.map((a) => ({ name: a.short, values: orderedValues(a), get: (j) => j.point[a.path] }));
  if (d.by !== 'policy') parts.push({ name: 'policy', values: data.policies, get: (j) => j.policy });
  for (const p of parts) {
    combos = combos.flatMap((c) => p.values.map((v) => ({ label: [...c.label, `${p.name} ${valueText(v)}`], match: [...c.match, (j: SweepDataJob) => sameValue(p.get(j), v)] })));
  }
  return combos.map((c) => ({ label: c.label.join(' · '), match: (j) => c.match.every((m) => m(j)) }));
}

/** Completed jobs with a value of the metric. */
function usable(data: SweepData, metric: string): SweepDataJob[] {
  return data.jobs.filter((j) => j.status === 'completed' && typeof j.metrics[metric] === 'number' && Number.isFinite(j.metrics[metric]));
}

/** Mean and interval across seeds of `metric` at every (facet, x, group). */
export function curves(data: SweepData, o: { x: string; metric: string; by?: string; confidence?: number }): CurvePoint[] {
  checkMetric(data, o.metric);
  const d = dims(data, o.x, o.by ?? 'policy');
  const jobs = usable(data, o.metric);
  const groups: Array<{ name: string; match: (j: SweepDataJob) => boolean }> =
    d.by === 'policy' ? data.policies.map((p) => ({ name: p, match: (j) => j.policy === p })) : orderedValues(d.by).map((v) => ({ name: valueText(v), match: (j) => sameValue(j.point[(d.by as SweepDataAxis).path], v) }));
  const out: CurvePoint[] = [];
  for (const f of facetCombos(data, d)) {
    for (const g of groups) {
      for (const x of orderedValues(d.x)) {
        const vals = jobs.filter((j) => f.match(j) && g.match(j) && sameValue(j.point[d.x.path], x)).map((j) => j.metrics[o.metric] as number);
        if (!vals.length) continue;
        const s = seedInterval(vals, o.confidence ?? 0.95);
        out.push({ facet: f.label, x, group: g.name, n: s.n, mean: s.mean, sd: s.sd, halfWidth: s.halfWidth, lo: s.halfWidth === null ? null : s.mean - s.halfWidth, hi: s.halfWidth === null ? null : s.mean + s.halfWidth });
      }
    }
  }
  return out;
}

export interface PairedPoint {
  facet: string;
  x: unknown;
  policy: string;
  reference: string;
  /** Seeds with both policies. */
  n: number;
  /** Seeds with only one of them (left out). */
  unpaired: number;
  diff: number;
  sd: number | null;
  halfWidth: number | null;
  lo: number | null;
  hi: number | null;
}

/** Paired differences policy − reference at every (facet, x), over jobs sharing a channel key. */
export function pairedDifferences(data: SweepData, o: { x: string; metric: string; reference?: string; confidence?: number }): PairedPoint[] {
  checkMetric(data, o.metric);
  const reference = o.reference ?? data.policies[0];
  if (!data.policies.includes(reference)) throw new AnalysisInputError('--vs', `the sweep ${data.name} has no policy "${reference}"; its policies: ${data.policies.join(', ')}`);
  const d = dims(data, o.x, 'policy');
  const jobs = usable(data, o.metric);
  const out: PairedPoint[] = [];
  for (const f of facetCombos(data, d)) {
    for (const policy of data.policies.filter((p) => p !== reference)) {
      for (const x of orderedValues(d.x)) {
        const at = jobs.filter((j) => f.match(j) && sameValue(j.point[d.x.path], x));
        const ref = new Map(at.filter((j) => j.policy === reference).map((j) => [j.channelKey, j.metrics[o.metric] as number]));
        const mine = at.filter((j) => j.policy === policy);
        const diffs: number[] = [];
        for (const j of mine) {
          const r = ref.get(j.channelKey);
          if (r !== undefined) diffs.push((j.metrics[o.metric] as number) - r);
        }
        const unpaired = mine.length + ref.size - 2 * diffs.length;
        if (!diffs.length) continue;
        const s = seedInterval(diffs, o.confidence ?? 0.95);
        out.push({ facet: f.label, x, policy, reference, n: s.n, unpaired, diff: s.mean, sd: s.sd, halfWidth: s.halfWidth, lo: s.halfWidth === null ? null : s.mean - s.halfWidth, hi: s.halfWidth === null ? null : s.mean + s.halfWidth });
      }
    }
  }
  return out;
}
