/**
 * Small run databases with the real schema (src/store/schema.ts) and hand-chosen rows, for tests
 * whose expected statistics are computed by hand. Files go to a fresh temp directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execSync, openDbSync, runSync, type Db } from '../../src/store/db.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from '../../src/store/schema.ts';

export const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), `twin-analysis-${prefix}-`));

type N = number | null;

export interface SynthRun {
  numBs: number;
  numUsers: number;
  numTargets: number;
  slotMs?: number;
  logEvery?: number;
  policy?: string;
  shadows?: string[];
  seed?: number;
  status?: 'running' | 'completed' | 'interrupted' | 'failed';
  packageVersion?: string;
  resolved?: Record<string, unknown>;
  /** [slot, rc, rs, objective] */
  slots: Array<[number, number, number, number]>;
  /** [slot, bs, fallback, sum_rate, radar_rate, decision_ms] */
  bs?: Array<[number, number, number, number, number, N]>;
  /** [slot, user, bs, sinr_db, rate, csi_age_slots] (sinr stored as 10^(dB/10), 0 when dB is null) */
  users?: Array<[number, number, number, N, number, N]>;
  /** [slot, target, bs, sens_sinr_db, radar_rate] */
  targets?: Array<[number, number, number, N, number]>;
  /** [slot, policy, rc, rs, objective] */
  shadowRows?: Array<[number, string, number, number, number]>;
  /** [slot, kind, bs] */
  events?: Array<[number, string, N]>;
  meta?: Array<[string, string]>;
}

/** Multi-row INSERTs of up to 100 rows. */
async function insert(db: Db, table: string, cols: string[], rows: unknown[][]): Promise<void> {
  const one = `(${cols.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += 100) {
    const part = rows.slice(i, i + 100);
    runSync(db, `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${part.map(() => one).join(', ')}`, part.flat());
  }
}

/** Writes the rows of `s` into a new database at `file` (journal mode WAL like the twin's). */
export async function writeRun(file: string, s: SynthRun, keepOpen = false): Promise<Db | undefined> {
  const db = openDbSync(file, 'create');
  execSync(db, 'PRAGMA journal_mode = WAL;');
  execSync(db, SCHEMA_SQL);
  await insert(db, 'meta', ['key', 'value'], s.meta ?? [
    ['schema_version', String(SCHEMA_VERSION)],
    ['kind', 'isac-twin-run'],
  ]);
  const slotMs = s.slotMs ?? 1;
  const resolved = s.resolved ?? { name: 'synthetic', seed: s.seed ?? 1, rho: 0.5, topology: { numCells: s.numBs }, policy: { name: s.policy ?? 'mrt', params: {} } };
  runSync(
    db,
    `INSERT INTO runs (name, scenario_file, scenario_yaml, resolved_json, topology_json, seed, policy, shadows_json, package_version, backend, status,
      started_at, ended_at, slot_ms, duration_slots, slots_done, log_every, num_bs, num_users, num_targets)
     VALUES ('synthetic', 'synthetic.yaml', 'name: synthetic', ?, '{}', ?, ?, ?, ?, 'none', ?, '2025-01-01T00:00:00.000Z', NULL, ?, ?, ?, ?, ?, ?, ?)`,
    [
      JSON.stringify(resolved),
      s.seed ?? 1,
      s.policy ?? 'mrt',
      JSON.stringify(s.shadows ?? []),
      s.packageVersion ?? 'test',
      s.status ?? 'completed',
      slotMs,
      s.slots.length,
      s.slots.length,
      s.logEvery ?? 1,
      s.numBs,
      s.numUsers,
      s.numTargets,
    ],
  );
  execSync(db, 'BEGIN');
  await insert(db, 'slots', ['slot', 't_ms', 'rc', 'rs', 'objective'], s.slots.map(([t, rc, rs, o]) => [t, t * slotMs, rc, rs, o]));
  await insert(
    db,
    'bs_slots',
    ['slot', 'bs', 'policy', 'fallback', 'sum_rate', 'radar_rate', 'power_w', 'beam_az_deg', 'decision_ms', 'decided_slot'],
    (s.bs ?? []).map(([t, m, fb, sr, rr, d]) => [t, m, s.policy ?? 'mrt', fb, sr, rr, 1, null, d, t]),
  );
  await insert(
    db,
    'user_slots',
    ['slot', 'user', 'bs', 'x_m', 'y_m', 'sinr', 'sinr_db', 'rate', 'csi_age_slots'],
    (s.users ?? []).map(([t, u, m, db10, rate, age]) => [t, u, m, 0, 0, db10 === null ? 0 : 10 ** (db10 / 10), db10, rate, age]),
  );
  await insert(
    db,
    'target_slots',
    ['slot', 'target', 'bs', 'x_m', 'y_m', 'theta_deg', 'theta_est_deg', 'sens_sinr', 'sens_sinr_db', 'radar_rate'],
    (s.targets ?? []).map(([t, i, m, db10, rr]) => [t, i, m, 0, 0, 10, 10.5, db10 === null ? 0 : 10 ** (db10 / 10), db10, rr]),
  );
  await insert(db, 'shadow_slots', ['slot', 'policy', 'rc', 'rs', 'objective'], s.shadowRows ?? []);
  await insert(db, 'events', ['slot', 't_ms', 'kind', 'bs', 'detail'], (s.events ?? []).map(([t, k, m]) => [t, t * slotMs, k, m, '{}']));
  execSync(db, 'COMMIT');
  if (keepOpen) return db;
  db.close();
  return undefined;
}

/**
 * The hand-computed fixture (expected values in analyze.test.ts): 10 slots of 0.5 ms, 2 BSs,
 * user 0 at BS 0 and user 1 at BS 1, target 0 at BS 0, shadow policy zf.
 */
export function handRun(): SynthRun {
  const T = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const rate0 = [0, 0.05, 0.2, 1, 1, 1, 2, 2, 3, 4];
  const sinr0: N[] = [null, -10, -5, 0, 0, 0, 3, 3, 5, 7];
  const age: N[] = [null, null, 2, 3, 2, 3, 2, 3, 2, 3];
  const dec0: N[] = [null, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 10];
  return {
    numBs: 2,
    numUsers: 2,
    numTargets: 1,
    slotMs: 0.5,
    policy: 'mrt',
    shadows: ['zf'],
    slots: T.map((t) => [t, t, t / 10, 0.5 * t + 0.05 * t]),
    shadowRows: T.map((t) => [t, 'zf', 2 * t, t / 10, t + 0.05 * t]),
    bs: T.flatMap((t) => [
      [t, 0, t >= 8 ? 1 : 0, rate0[t], t / 10, dec0[t]],
      [t, 1, 0, 2, 0, t === 0 ? null : 1],
    ]) as SynthRun['bs'],
    users: T.flatMap((t) => [
      [t, 0, 0, sinr0[t], rate0[t], age[t]],
      [t, 1, 1, 5, 2, age[t]],
    ]) as SynthRun['users'],
    targets: T.map((t) => [t, 0, 0, -20 + 2 * t, t / 10]),
    events: [
      [0, 'pilot', 0],
      [0, 'pilot', 1],
      [5, 'pilot', 0],
      [5, 'pilot', 1],
      [2, 'csi-report', 0],
      [7, 'csi-report', 0],
    ],
  };
}
