/**
 * The run database schema (one SQLite file per run). Documented for users in docs/database.md;
 * keep the two in step. Every per-slot table is keyed by slot first, so time-range queries are
 * index range scans.
 */
export const SCHEMA_VERSION = 3;

/**
 * Liveness of a run being written. The writer thread stamps `runs.heartbeat_at` with each batch
 * commit and every HEARTBEAT_MS in between (also while the run is paused or a slot is slow: the
 * writer thread does not wait for the simulation). A `running` row whose stamp is older than
 * STALE_AFTER_MS belongs to a writer that stopped without closing the run (kill -9, a crash, a
 * power cut): readers call it "stopped unexpectedly". Files from before schema version 3 have no
 * stamp; readers use the modification time of the database and its WAL file instead.
 */
export const HEARTBEAT_MS = 2000;
export const STALE_AFTER_MS = 5 * HEARTBEAT_MS;

/**
 * For a `running` run: the time of its last sign of life (ms since the epoch; the heartbeat, else
 * `fallbackMs`, e.g. the file's mtime), and whether it is older than STALE_AFTER_MS at `nowMs`.
 * null when the run is not `running` or nothing tells its age.
 */
export function writerStopped(
  row: { status: string; heartbeat_at?: string | null },
  nowMs: number,
  fallbackMs?: number,
): { stopped: boolean; lastUpdateMs: number; lastUpdate: string; ageS: number } | null {
  if (row.status !== 'running') return null;
  const beat = row.heartbeat_at ? Date.parse(row.heartbeat_at) : NaN;
  const last = Number.isFinite(beat) ? beat : (fallbackMs ?? NaN);
  if (!Number.isFinite(last)) return null;
  const ageS = Math.max(0, (nowMs - last) / 1000);
  return { stopped: nowMs - last > STALE_AFTER_MS, lastUpdateMs: last, lastUpdate: new Date(last).toISOString(), ageS };
}

/** "stopped unexpectedly (last update 2025-01-01T00:00:00.000Z, 42 s ago)". */
export function stoppedText(s: { lastUpdate: string; ageS: number }): string {
  const age = s.ageS < 120 ? `${Math.round(s.ageS)} s` : s.ageS < 7200 ? `${Math.round(s.ageS / 60)} min` : `${(s.ageS / 3600).toFixed(1)} h`;
  return `stopped unexpectedly (last update ${s.lastUpdate}, ${age} ago)`;
}

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id          INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  scenario_file   TEXT NOT NULL,
  scenario_yaml   TEXT NOT NULL,
  resolved_json   TEXT NOT NULL,
  topology_json   TEXT NOT NULL,
  seed            INTEGER NOT NULL,
  policy          TEXT NOT NULL,
  shadows_json    TEXT NOT NULL,
  package_version TEXT NOT NULL,
  backend         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
  error           TEXT,
  started_at      TEXT NOT NULL,
  ended_at        TEXT,
  slot_ms         REAL NOT NULL,
  duration_slots  INTEGER NOT NULL,
  slots_done      INTEGER NOT NULL DEFAULT 0,
  log_every       INTEGER NOT NULL,
  num_bs          INTEGER NOT NULL,
  num_users       INTEGER NOT NULL,
  num_targets     INTEGER NOT NULL,
  heartbeat_at    TEXT
);
CREATE TABLE IF NOT EXISTS slots (
  slot      INTEGER PRIMARY KEY,
  t_ms      REAL NOT NULL,
  rc        REAL NOT NULL,
  rs        REAL NOT NULL,
  objective REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS bs_slots (
  slot         INTEGER NOT NULL,
  bs           INTEGER NOT NULL,
  policy       TEXT NOT NULL,
  fallback     INTEGER NOT NULL,
  sum_rate     REAL NOT NULL,
  radar_rate   REAL NOT NULL,
  power_w      REAL NOT NULL,
  beam_az_deg  REAL,
  decision_ms  REAL,
  decided_slot INTEGER,
  PRIMARY KEY (slot, bs)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_slots (
  slot          INTEGER NOT NULL,
  user          INTEGER NOT NULL,
  bs            INTEGER NOT NULL,
  x_m           REAL NOT NULL,
  y_m           REAL NOT NULL,
  sinr          REAL NOT NULL,
  sinr_db       REAL,
  rate          REAL NOT NULL,
  csi_age_slots INTEGER,
  PRIMARY KEY (slot, user)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS target_slots (
  slot          INTEGER NOT NULL,
  target        INTEGER NOT NULL,
  bs            INTEGER NOT NULL,
  x_m           REAL NOT NULL,
  y_m           REAL NOT NULL,
  theta_deg     REAL NOT NULL,
  theta_est_deg REAL,
  sens_sinr     REAL NOT NULL,
  sens_sinr_db  REAL,
  radar_rate    REAL NOT NULL,
  PRIMARY KEY (slot, target)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shadow_slots (
  slot      INTEGER NOT NULL,
  policy    TEXT NOT NULL,
  rc        REAL NOT NULL,
  rs        REAL NOT NULL,
  objective REAL NOT NULL,
  PRIMARY KEY (slot, policy)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS loc_slots (
  slot              INTEGER NOT NULL,
  target            INTEGER NOT NULL,
  x_m               REAL NOT NULL,
  y_m               REAL NOT NULL,
  x_est_m           REAL,
  y_est_m           REAL,
  est_slot          INTEGER NOT NULL,
  est_error_m       REAL,
  crlb_m2           REAL,
  crlb_x_m2         REAL,
  crlb_y_m2         REAL,
  rmse_bound_m      REAL,
  policy            TEXT NOT NULL,
  solver_status     TEXT,
  solver_iterations INTEGER,
  rank_one_ratio    REAL,
  infeasible        INTEGER NOT NULL,
  decided_slot      INTEGER,
  PRIMARY KEY (slot, target)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS associations (
  version   INTEGER NOT NULL,
  slot      INTEGER NOT NULL,
  user      INTEGER NOT NULL,
  ap        INTEGER NOT NULL,
  is_primary INTEGER NOT NULL,
  PRIMARY KEY (version, user, ap)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS link_slots (
  slot          INTEGER NOT NULL,
  ap            INTEGER NOT NULL,
  up_bits       REAL NOT NULL,
  down_bits     REAL NOT NULL,
  peer_bits     REAL NOT NULL,
  up_msgs       INTEGER NOT NULL,
  down_msgs     INTEGER NOT NULL,
  peer_msgs     INTEGER NOT NULL,
  up_queue_ms   REAL NOT NULL,
  down_queue_ms REAL NOT NULL,
  PRIMARY KEY (slot, ap)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS beam_slots (
  slot INTEGER NOT NULL,
  bs   INTEGER NOT NULL,
  lr1  REAL,
  lr2  REAL,
  lr   REAL,
  mu   REAL,
  PRIMARY KEY (slot, bs)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id     INTEGER PRIMARY KEY,
  slot   INTEGER NOT NULL,
  t_ms   REAL NOT NULL,
  kind   TEXT NOT NULL,
  bs     INTEGER,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS events_by_slot ON events (slot);
CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, slot);
`;

/** A row of `runs` as the SQLite driver returns it (readers: analysis, dashboard). */
export interface RunsRow {
  run_id: number;
  name: string;
  scenario_file: string;
  scenario_yaml: string;
  resolved_json: string;
  topology_json: string;
  seed: number;
  policy: string;
  shadows_json: string;
  package_version: string;
  backend: string;
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  error: string | null;
  started_at: string;
  ended_at: string | null;
  slot_ms: number;
  duration_slots: number;
  slots_done: number;
  log_every: number;
  num_bs: number;
  num_users: number;
  num_targets: number;
  /** ISO-8601 time of the writer's last commit or heartbeat (schema ≥ 3; absent in older files). */
  heartbeat_at?: string | null;
}

/** Column lists of the per-slot tables, in insert order. */
export const COLUMNS = {
  slots: ['slot', 't_ms', 'rc', 'rs', 'objective'],
  bs_slots: ['slot', 'bs', 'policy', 'fallback', 'sum_rate', 'radar_rate', 'power_w', 'beam_az_deg', 'decision_ms', 'decided_slot'],
  user_slots: ['slot', 'user', 'bs', 'x_m', 'y_m', 'sinr', 'sinr_db', 'rate', 'csi_age_slots'],
  target_slots: ['slot', 'target', 'bs', 'x_m', 'y_m', 'theta_deg', 'theta_est_deg', 'sens_sinr', 'sens_sinr_db', 'radar_rate'],
  shadow_slots: ['slot', 'policy', 'rc', 'rs', 'objective'],
  loc_slots: [
    'slot',
    'target',
    'x_m',
    'y_m',
    'x_est_m',
    'y_est_m',
    'est_slot',
    'est_error_m',
    'crlb_m2',
    'crlb_x_m2',
    'crlb_y_m2',
    'rmse_bound_m',
    'policy',
    'solver_status',
    'solver_iterations',
    'rank_one_ratio',
    'infeasible',
    'decided_slot',
  ],
  associations: ['version', 'slot', 'user', 'ap', 'is_primary'],
  link_slots: ['slot', 'ap', 'up_bits', 'down_bits', 'peer_bits', 'up_msgs', 'down_msgs', 'peer_msgs', 'up_queue_ms', 'down_queue_ms'],
  // Scenarios with `sensing.beampattern`: every AP on the measured slots (NULL: no target or no power).
  beam_slots: ['slot', 'bs', 'lr1', 'lr2', 'lr', 'mu'],
  // `id` is numbered by the logger in event order (not by SQLite), so it never depends on the
  // order in which the writer's statements happen to run.
  events: ['id', 'slot', 't_ms', 'kind', 'bs', 'detail'],
} as const;

export type TableName = keyof typeof COLUMNS;

/** Columns holding text (all others are numbers or NULL). */
export const TEXT_COLUMNS: Record<TableName, readonly string[]> = {
  slots: [],
  bs_slots: ['policy'],
  user_slots: [],
  target_slots: [],
  shadow_slots: ['policy'],
  loc_slots: ['policy', 'solver_status'],
  associations: [],
  link_slots: [],
  beam_slots: [],
  events: ['kind', 'detail'],
};
