/**
 * `analyze`: summaries of one run database. For the acting policy and every shadow policy
 * (network R_c, R_s, objective per slot), every BS, user and target: count, mean, min, p5, p50,
 * p95, max of each metric over the logged slots of a range, the outage share of each user (rate
 * below a threshold), CSI age against rate, event counts, and the run's metadata.
 *
 * Cost: one pass over each per-slot table through reader.ts (values at 1e-9 resolution, see
 * there), then selection for the percentiles; memory is 8 bytes per value read.
 */
import { METRICS, metricsOf, SWITCHED_OFF_SINR_DB, valueColumn, type Level, type MetricDef } from './metrics.ts';
import { scan, type ScanOptions, type ScanSpec } from './reader.ts';
import { RunDb, type RangeSpec, type RunMeta, type SlotRange } from './run-db.ts';
import { summarize, type Summary } from './stats.ts';

/** Default outage threshold on a user's rate (bit/s/Hz). */
export const DEFAULT_OUTAGE_RATE = 0.1;

export interface AnalyzeOptions {
  range?: RangeSpec;
  /** A user-slot is in outage when its rate is below this (bit/s/Hz). */
  outageRate?: number;
  /** How the per-slot tables are read (in-process or with query threads; reader.ts). */
  scan?: ScanOptions;
}

export type MetricSummaries = Record<string, Summary | null>;

export interface PolicyStats {
  policy: string;
  role: 'acting' | 'shadow';
  metrics: MetricSummaries;
}

export interface BsStats {
  bs: number;
  metrics: MetricSummaries;
  /** Share of the BS's logged slots served by the fallback policy. */
  fallbackShare: number | null;
}

export interface UserStats {
  user: number;
  bs: number | null;
  metrics: MetricSummaries;
  /** Share of the user's logged slots in outage: rate below the threshold, or switched off. */
  outageShare: number | null;
  /**
   * Logged slots in which the user was switched off (SINR 0 or below SWITCHED_OFF_SINR_DB: no
   * power on its stream). They count as outage and are left out of the SINR statistics in dB.
   */
  switchedOffSlots: number;
}

export interface TargetStats {
  target: number;
  bs: number | null;
  metrics: MetricSummaries;
}

export interface RunInfoJson extends Omit<RunMeta, 'scenarioYaml' | 'resolved'> {
  file: string;
  rho: number | null;
}

export interface Analysis {
  file: string;
  run: RunInfoJson;
  range: { fromSlot: number; toSlot: number; slots: number; fromS: number; toS: number };
  outageRate: number;
  /** Notes for the reader (a run still being written …), also printed on stderr by the CLI. */
  notes: string[];
  /** Metric definitions used (name → label, unit, level). */
  metrics: Record<string, { label: string; unit: string; level: Level; description: string }>;
  policies: PolicyStats[];
  bs: BsStats[];
  users: UserStats[];
  targets: TargetStats[];
  /** Each level's metrics over all its entities together (e.g. the 5th-percentile user rate). */
  pooled: { bs: MetricSummaries; user: MetricSummaries; target: MetricSummaries };
  network: {
    /** Share of all user-slots in outage (switched-off user-slots included). */
    outageShare: number | null;
    /** User-slots with the user switched off (SINR 0 or below SWITCHED_OFF_SINR_DB). */
    switchedOffUserSlots: number;
    /** Per CSI age (slots): user-slots and their mean rate. */
    csiAgeVsRate: Array<{ ageSlots: number; n: number; meanRate: number }>;
    /** Event counts by kind in the range. */
    events: Array<{ kind: string; n: number }>;
  };
}

/** Run info for reports and JSON (without the long scenario text). */
export function runInfo(run: RunDb): RunInfoJson {
  const { scenarioYaml: _y, resolved, ...rest } = run.meta;
  const rho = typeof resolved.rho === 'number' ? resolved.rho : null;
  return { file: run.file, ...rest, rho };
}

/** Count and sum per small non-negative integer key (entity, CSI age), in growable arrays. */
class Counts {
  n = new Float64Array(16);
  sum = new Float64Array(16);
  add(key: number, x: number): void {
    if (key >= this.n.length) {
      if (!(key < 1 << 20)) throw new RangeError(`index ${key} is implausibly large for a BS, user, target or CSI age`);
      const size = Math.max(key + 1, 2 * this.n.length);
      const n = new Float64Array(size);
      const sum = new Float64Array(size);
      n.set(this.n);
      sum.set(this.sum);
      this.n = n;
      this.sum = sum;
    }
    this.n[key]++;
    this.sum[key] += x;
  }
  ids(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.n.length; k++) if (this.n[k]) out.push(k);
    return out;
  }
  mean(key: number): number | null {
    return key < this.n.length && this.n[key] ? this.sum[key] / this.n[key] : null;
  }
}

/** Per entity (index) and metric, the values read. */
class EntitySeries {
  /** metric → [entity] → values, and how many are filled. */
  private readonly bufs = new Map<string, Float64Array[]>();
  private readonly lens = new Map<string, number[]>();
  /** `capacity`: values expected per entity (one per logged slot). */
  constructor(private readonly capacity: number) {}

  /** Makes room for `extra` more values of entity `id`. */
  private reserve(bufs: Float64Array[], lens: number[], id: number, extra: number): void {
    const old = bufs[id];
    const len = lens[id] ?? 0;
    if (old !== undefined && len + extra <= old.length) return;
    let size = old ? old.length : Math.max(16, this.capacity);
    while (size < len + extra) size *= 2;
    const next = new Float64Array(size);
    if (old) next.set(old.subarray(0, len));
    bufs[id] = next;
    lens[id] = len;
  }

  /**
   * Appends the non-NaN values of `col` to each row's entity (entity 0 when ids is null), in row
   * order. Room is made once per entity and chunk, so the copy loop does no checks.
   */
  push(metric: string, ids: Float64Array | null, col: Float64Array, rows: number): void {
    if (!this.bufs.has(metric)) {
      this.bufs.set(metric, []);
      this.lens.set(metric, []);
    }
    const bufs = this.bufs.get(metric)!;
    const lens = this.lens.get(metric)!;
    if (ids === null) {
      this.reserve(bufs, lens, 0, rows);
      const b = bufs[0];
      let k = lens[0];
      for (let i = 0; i < rows; i++) {
        const x = col[i];
        if (x === x) b[k++] = x;
      }
      lens[0] = k;
      return;
    }
    // Rows per entity in this chunk (entity indices are small: BSs, users, targets).
    let maxId = 0;
    for (let i = 0; i < rows; i++) if (ids[i] > maxId) maxId = ids[i];
    const counts = new Int32Array((maxId | 0) + 1);
    for (let i = 0; i < rows; i++) counts[ids[i] | 0]++;
    const pos = new Int32Array(counts.length);
    for (let id = 0; id < counts.length; id++) {
      if (counts[id] === 0) continue;
      this.reserve(bufs, lens, id, counts[id]);
      pos[id] = lens[id];
    }
    for (let i = 0; i < rows; i++) {
      const x = col[i];
      if (x !== x) continue;
      const id = ids[i] | 0;
      bufs[id][pos[id]++] = x;
    }
    for (let id = 0; id < counts.length; id++) if (counts[id] > 0) lens[id] = pos[id];
  }

  ids(): number[] {
    const ids = new Set<number>();
    for (const bufs of this.bufs.values()) bufs.forEach((_b, id) => ids.add(id));
    return [...ids].sort((a, b) => a - b);
  }

  values(id: number, metric: string): Float64Array | null {
    const b = this.bufs.get(metric)?.[id];
    return b ? b.subarray(0, this.lens.get(metric)![id]) : null;
  }

  /** Summaries of all entities' values together. */
  pooled(metrics: MetricDef[]): MetricSummaries {
    const out: MetricSummaries = {};
    for (const m of metrics) {
      const parts = this.ids().flatMap((id) => {
        const v = this.values(id, m.name);
        return v ? [v] : [];
      });
      out[m.name] = summarize(parts);
    }
    return out;
  }

  summaries(id: number, metrics: MetricDef[]): MetricSummaries {
    const out: MetricSummaries = {};
    for (const m of metrics) {
      const v = this.values(id, m.name);
      out[m.name] = v ? summarize(v) : null;
    }
    return out;
  }
}

/**
 * The metrics of a run that have data in the range: all core ones, and the optional ones (CRLB
 * and localisation errors, metrics.ts) whose table has rows there.
 */
export async function metricsWithData(run: RunDb, range: SlotRange): Promise<MetricDef[]> {
  const out: MetricDef[] = [];
  const has = new Map<string, boolean>();
  for (const m of metricsOf(run)) {
    if (METRICS.includes(m)) {
      out.push(m);
      continue;
    }
    if (!has.has(m.table)) has.set(m.table, (await run.all(`SELECT 1 FROM "${m.table}" WHERE slot >= ? AND slot < ? LIMIT 1`, [range.lo, range.hi])).length > 0);
    if (has.get(m.table)) out.push(m);
  }
  return out;
}

/** Summaries of one open run. */
export async function analyzeRun(run: RunDb, opts: AnalyzeOptions = {}): Promise<Analysis> {
  const range = await run.range(opts.range);
  return analyzeRange(run, range, opts);
}

/** Summaries of one open run over a resolved range. */
export async function analyzeRange(run: RunDb, range: SlotRange, opts: AnalyzeOptions = {}): Promise<Analysis> {
  const outageRate = opts.outageRate ?? DEFAULT_OUTAGE_RATE;
  const all = await metricsWithData(run, range);
  const byLevel = (level: Level) => all.filter((m) => m.level === level);
  const levelSeries = {
    bs: new EntitySeries(range.slots),
    user: new EntitySeries(range.slots),
    target: new EntitySeries(range.slots),
  };
  const policySeries = new Map<string, EntitySeries>();
  const specs: ScanSpec[] = [];

  // Network metrics of the acting policy and of each shadow policy.
  const networkMetrics = byLevel('network');
  const networkSpec = (policy: string, table: string, where?: ScanSpec['where']): ScanSpec => {
    const target = new EntitySeries(range.slots);
    policySeries.set(policy, target);
    return {
      table,
      group: null,
      where,
      rowsPerSlot: 1,
      transient: true,
      values: networkMetrics.map((m) => ({ ...valueColumn(run, m), notNull: run.notNull(table, m.column) })),
      onChunk: (c) => networkMetrics.forEach((m, j) => target.push(m.name, null, c.values[j], c.rows)),
    };
  };
  specs.push(networkSpec(run.meta.policy, 'slots'));
  const shadows = run.meta.shadows.filter((s) => s !== run.meta.policy);
  for (const sh of shadows) specs.push(networkSpec(sh, 'shadow_slots', { sql: 'policy = ?', params: [sh] }));

  // Per BS, with the fallback flag.
  const bsMetrics = byLevel('bs');
  const fallback = new Counts();
  specs.push({
    table: 'bs_slots',
    group: 'bs',
    rowsPerSlot: Math.max(1, run.meta.numBs),
    transient: true,
    values: [...bsMetrics.map((m) => valueColumn(run, m)), { expr: 'fallback', scale: 1, notNull: true }],
    onChunk: (c) => {
      bsMetrics.forEach((m, j) => levelSeries.bs.push(m.name, c.group, c.values[j], c.rows));
      const fb = c.values[bsMetrics.length];
      const ids = c.group!;
      for (let i = 0; i < c.rows; i++) fallback.add(ids[i] | 0, fb[i] > 0 ? 1 : 0);
    },
  });

  // Per user, with outage and CSI age vs rate.
  const userMetrics = byLevel('user');
  const rateIdx = userMetrics.findIndex((m) => m.name === 'rate');
  const ageIdx = userMetrics.findIndex((m) => m.name === 'csi_age');
  const sinrIdx = userMetrics.findIndex((m) => m.name === 'sinr');
  const outage = new Counts();
  const off = new Counts();
  const ageRate = new Counts();
  specs.push({
    table: 'user_slots',
    group: 'user',
    rowsPerSlot: Math.max(1, run.meta.numUsers),
    transient: true,
    values: userMetrics.map((m) => valueColumn(run, m)),
    onChunk: (c) => {
      const rate = c.values[rateIdx];
      const age = c.values[ageIdx];
      const ids = c.group!;
      // Switched off: SINR exactly 0 (sinr_db NULL) or residue far below any channel. Counted, and
      // taken out of the dB statistics (the chunk's arrays are ours for the call).
      const sinr = sinrIdx >= 0 ? c.values[sinrIdx] : null;
      const isOff = new Uint8Array(c.rows);
      if (sinr) {
        for (let i = 0; i < c.rows; i++) {
          const x = sinr[i];
          if (!(x >= SWITCHED_OFF_SINR_DB)) {
            isOff[i] = 1;
            sinr[i] = NaN;
          }
        }
      }
      userMetrics.forEach((m, j) => levelSeries.user.push(m.name, c.group, c.values[j], c.rows));
      for (let i = 0; i < c.rows; i++) {
        off.add(ids[i] | 0, isOff[i]);
        outage.add(ids[i] | 0, isOff[i] || rate[i] < outageRate ? 1 : 0);
        const a = age[i];
        if (a >= 0 && a < 65536) ageRate.add(a | 0, rate[i]);
      }
    },
  });

  // Per target (CRLB may live in target_slots or in its own table).
  const targetMetrics = byLevel('target');
  for (const table of new Set(targetMetrics.map((m) => m.table))) {
    const ms = targetMetrics.filter((m) => m.table === table);
    specs.push({
      table,
      group: 'target',
      rowsPerSlot: Math.max(1, run.meta.numTargets),
      transient: true,
      values: ms.map((m) => valueColumn(run, m)),
      onChunk: (c) => ms.forEach((m, j) => levelSeries.target.push(m.name, c.group, c.values[j], c.rows)),
    });
  }

  await scan(run, range, specs, opts.scan);

  // Serving BS of each user and target (fixed by the topology; read from the first slot).
  const servingOf = async (table: string, col: string) =>
    new Map((await run.all<{ id: number; bs: number }>(`SELECT ${col} AS id, bs FROM ${table} WHERE slot = ?`, [range.firstSlot])).map((r) => [r.id, r.bs]));
  const userBs = await servingOf('user_slots', 'user');
  const targetBs = await servingOf('target_slots', 'target');
  const events = await run.all<{ kind: string; n: number }>('SELECT kind, count(*) AS n FROM events WHERE slot >= ? AND slot < ? GROUP BY kind ORDER BY kind', [range.lo, range.hi]);

  const outN = outage.ids().reduce((t, id) => t + outage.n[id], 0);
  const outK = outage.ids().reduce((t, id) => t + outage.sum[id], 0);
  const slotS = run.meta.slotMs / 1000;
  return {
    file: run.file,
    run: runInfo(run),
    range: { fromSlot: range.firstSlot, toSlot: range.lastSlot, slots: range.slots, fromS: range.firstSlot * slotS, toS: (range.lastSlot + 1) * slotS },
    outageRate,
    notes: [...run.notes],
    metrics: Object.fromEntries(all.map((m) => [m.name, { label: m.label, unit: m.unit, level: m.level, description: m.description }])),
    policies: [run.meta.policy, ...shadows].map((p, i) => ({
      policy: p,
      role: i === 0 ? 'acting' : 'shadow',
      metrics: policySeries.get(p)!.summaries(0, networkMetrics),
    })),
    bs: levelSeries.bs.ids().map((id) => ({ bs: id, metrics: levelSeries.bs.summaries(id, bsMetrics), fallbackShare: fallback.mean(id) })),
    users: levelSeries.user.ids().map((id) => ({
      user: id,
      bs: userBs.get(id) ?? null,
      metrics: levelSeries.user.summaries(id, userMetrics),
      outageShare: outage.mean(id),
      switchedOffSlots: id < off.sum.length ? off.sum[id] : 0,
    })),
    targets: levelSeries.target.ids().map((id) => ({ target: id, bs: targetBs.get(id) ?? null, metrics: levelSeries.target.summaries(id, targetMetrics) })),
    pooled: { bs: levelSeries.bs.pooled(bsMetrics), user: levelSeries.user.pooled(userMetrics), target: levelSeries.target.pooled(targetMetrics) },
    network: {
      outageShare: outN ? outK / outN : null,
      switchedOffUserSlots: off.ids().reduce((t, id) => t + off.sum[id], 0),
      csiAgeVsRate: ageRate.ids().map((ageSlots) => ({ ageSlots, n: ageRate.n[ageSlots], meanRate: ageRate.mean(ageSlots)! })),
      events,
    },
  };
}

/** Opens, analyses and closes one run database. */
export async function analyzeFile(file: string, opts: AnalyzeOptions & { createViews?: boolean } = {}): Promise<Analysis> {
  const run = await RunDb.open(file, { createViews: opts.createViews });
  try {
    return await analyzeRun(run, opts);
  } finally {
    await run.close();
  }
}
