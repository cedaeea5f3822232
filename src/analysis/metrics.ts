/**
 * The metrics the analysis knows: where each lives in a run database, its unit, and at which
 * level it is summarised (network per policy, per BS, per user, per target). Names are what
 * `--metric` accepts.
 */
import { AnalysisInputError } from './errors.ts';
import type { ValueColumn } from './reader.ts';
import type { RunDb } from './run-db.ts';

export type Level = 'network' | 'bs' | 'user' | 'target';

export interface MetricDef {
  name: string;
  level: Level;
  /** Table and column; network metrics come from `slots` (acting) and `shadow_slots`. */
  table: string;
  column: string;
  /** Short label for tables and axes, and the unit ('' when dimensionless). */
  label: string;
  unit: string;
  /**
   * Noun phrase for titles ("user SINR"). The user SINR in dB covers user-slots with power on the
   * stream (SINR ≥ SWITCHED_OFF_SINR_DB); the others are counted as switched off.
   */
  description: string;
  /** Transfer resolution 1/scale (see reader.ts). */
  scale: number;
  /** Transferred as log10 (positive, spanning decades). */
  log?: boolean;
}

/**
 * A user-slot whose SINR is below this (dB), or exactly 0 (sinr_db NULL), has no power on its
 * stream: the user is switched off (a policy gave it zero power; −726 dB is rounding residue, not
 * a channel). `analyze` counts such user-slots apart and as outage, and leaves them out of the
 * SINR statistics in dB.
 */
export const SWITCHED_OFF_SINR_DB = -100;

/** Transfer scales (resolution = 1/scale); see reader.ts: fewer digits read faster. */
const RATE = 1e6; // 1e-6 bit/s/Hz
const RADAR = 1e8; // 1e-8 bit/s/Hz: radar information rates are often 1e-3 … 1e-1
const DB = 1e4; // 1e-4 dB
const MS = 1e6; // 1 ns

export const METRICS: readonly MetricDef[] = [
  { name: 'rc', level: 'network', table: 'slots', column: 'rc', label: 'R_c', unit: 'bit/s/Hz', description: 'network communication rate', scale: RATE },
  { name: 'rs', level: 'network', table: 'slots', column: 'rs', label: 'R_s', unit: 'bit/s/Hz', description: 'network radar information rate', scale: RADAR },
  { name: 'objective', level: 'network', table: 'slots', column: 'objective', label: 'objective', unit: 'bit/s/Hz', description: 'objective ρ·R_c + (1−ρ)·R_s', scale: RATE },
  { name: 'bs_rate', level: 'bs', table: 'bs_slots', column: 'sum_rate', label: 'sum rate', unit: 'bit/s/Hz', description: 'BS sum rate', scale: RATE },
  { name: 'bs_radar_rate', level: 'bs', table: 'bs_slots', column: 'radar_rate', label: 'radar rate', unit: 'bit/s/Hz', description: 'BS radar information rate', scale: RADAR },
  { name: 'decision_ms', level: 'bs', table: 'bs_slots', column: 'decision_ms', label: 'decision time', unit: 'ms', description: 'decision time', scale: MS },
  { name: 'rate', level: 'user', table: 'user_slots', column: 'rate', label: 'rate', unit: 'bit/s/Hz', description: 'user rate', scale: RATE },
  { name: 'sinr', level: 'user', table: 'user_slots', column: 'sinr_db', label: 'SINR', unit: 'dB', description: 'user SINR', scale: DB },
  { name: 'csi_age', level: 'user', table: 'user_slots', column: 'csi_age_slots', label: 'CSI age', unit: 'slots', description: 'CSI age', scale: 1 },
  { name: 'sens_sinr', level: 'target', table: 'target_slots', column: 'sens_sinr_db', label: 'sensing SINR', unit: 'dB', description: 'sensing SINR', scale: DB },
  { name: 'radar_rate', level: 'target', table: 'target_slots', column: 'radar_rate', label: 'radar rate', unit: 'bit/s/Hz', description: 'target radar information rate', scale: RADAR },
];

const UNITS: Record<string, string> = { deg2: 'deg²', rad2: 'rad²', m2: 'm²', deg: 'deg', rad: 'rad', m: 'm', s: 's', ms: 'ms' };

/** Tables every run database has; per-target metrics beyond them are optional (see below). */
const CORE_TABLES = new Set(['meta', 'runs', 'slots', 'bs_slots', 'user_slots', 'target_slots', 'shadow_slots', 'events']);

/**
 * Optional per-target metrics: in any other `*_slots` table keyed by (slot, target) — today
 * loc_slots of localisation runs — the columns `crlb…` (Cramér–Rao lower bounds, read on a log
 * scale), `rmse_bound…` and `est_error…`. The unit comes from the last part of the name
 * (`crlb_x_m2` → m²).
 */
export function optionalMetrics(run: RunDb): MetricDef[] {
  const out: MetricDef[] = [];
  for (const [table, cols] of run.tables) {
    if (CORE_TABLES.has(table) || !table.endsWith('_slots') || !cols.includes('slot') || !cols.includes('target')) continue;
    for (const col of cols) {
      const kind = /^crlb/i.test(col) ? 'crlb' : /^rmse_bound/i.test(col) ? 'rmse' : /^est_error/i.test(col) ? 'error' : null;
      if (!kind) continue;
      const parts = col.toLowerCase().split('_');
      const unit = UNITS[parts[parts.length - 1]] ?? '';
      const middle = parts.slice(kind === 'crlb' ? 1 : 2, unit ? -1 : undefined).join(' ');
      const base = kind === 'crlb' ? 'CRLB' : kind === 'rmse' ? 'RMSE bound' : 'estimate error';
      const label = middle ? `${base} ${middle}` : base;
      out.push({
        name: out.some((m) => m.name === col.toLowerCase()) || METRICS.some((m) => m.name === col.toLowerCase()) ? `${table}.${col}` : col.toLowerCase(),
        level: 'target',
        table,
        column: col,
        label,
        unit,
        description: kind === 'crlb' ? `Cramér–Rao lower bound${middle ? ` (${middle})` : ''}` : kind === 'rmse' ? `RMSE bound${middle ? ` (${middle})` : ''}` : `estimate error${middle ? ` (${middle})` : ''}`,
        scale: 1e6,
        log: kind === 'crlb',
      });
    }
  }
  return out;
}

/** All metrics a run's tables can hold (the fixed ones plus optional CRLB/error columns). */
export function metricsOf(run: RunDb): MetricDef[] {
  return [...METRICS, ...optionalMetrics(run)];
}

/** `label [unit]`. */
export function axisTitle(m: MetricDef): string {
  return m.unit ? `${m.label} [${m.unit}]` : m.label;
}

/** Looks a metric up by name; an unknown name lists the known ones. */
export function findMetric(name: string, runs: RunDb[]): MetricDef {
  const known = new Map<string, MetricDef>();
  for (const m of METRICS) known.set(m.name, m);
  for (const r of runs) for (const m of optionalMetrics(r)) known.set(m.name, m);
  const m = known.get(name);
  if (!m) throw new AnalysisInputError('--metric', `unknown metric "${name}"; known metrics: ${[...known.keys()].join(', ')}`);
  for (const r of runs) {
    if (!r.columns(m.table).includes(m.column)) throw new AnalysisInputError(r.file, `has no ${m.name} (${m.table}.${m.column})`);
  }
  return m;
}

/** Name of one entity: "BS 1", "user 3", "target 0". */
export function entityName(level: Level, id: number): string {
  return level === 'bs' ? `BS ${id}` : `${level} ${id}`;
}

/** The group column of a level's table. */
export function groupColumn(level: Level): string | null {
  return level === 'network' ? null : level;
}

/** Entities of a level in a run. */
export function entityCount(run: RunDb, level: Level): number {
  return level === 'bs' ? run.meta.numBs : level === 'user' ? run.meta.numUsers : level === 'target' ? run.meta.numTargets : 1;
}

/** How the reader fetches a metric of a run. */
export function valueColumn(run: RunDb, m: MetricDef): ValueColumn {
  return { expr: m.column, scale: m.scale, log: m.log, notNull: run.notNull(m.table, m.column) };
}
