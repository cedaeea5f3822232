/**
 * The sweep catalog, `sweep.sqlite` in the output folder: one row per job (its axis values,
 * policy, seed, status, worker, wall time and database), one row per job and metric (the job's
 * summary), and views for the common questions (docs/sweeps.md):
 *
 *   v_status    jobs per status (current jobs)
 *   v_jobs      every current job: axes, policy, seed, status, worker, wall time, error
 *   v_results   completed jobs, one column per axis and per metric (the job's mean)
 *   v_points    per point and policy: seeds done, and each metric's mean and standard deviation across seeds
 *   v_failed    failed jobs and why
 *   v_workers   per worker: jobs done and wall time
 *
 * "Current" jobs are those of the sweep file as last expanded; jobs of an earlier version of the
 * file (or of other code) stay in the catalog with current = 0 and reappear if the file comes
 * back to them. Only the coordinator (`isac-twin sweep`) writes the catalog; readers may open it
 * at any time (WAL mode).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { allSync, execSync, getSync, openDbSync, runSync, type Db } from '../store/db.ts';
import type { JobResult } from './job.ts';
import type { SweepPlan } from './plan.ts';

export const CATALOG_FILE = 'sweep.sqlite';
export const CATALOG_SCHEMA_VERSION = 1;

export type CatalogStatus = 'pending' | 'queued' | 'running' | 'completed' | 'failed' | 'interrupted';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS axes (
  axis        TEXT PRIMARY KEY,   -- field path as written in the sweep file
  short       TEXT NOT NULL,      -- column name in the views
  position    INTEGER NOT NULL,
  grp         INTEGER NOT NULL,   -- axis group of the sweep file
  kind        TEXT NOT NULL,      -- grid | zip
  values_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS policies (label TEXT PRIMARY KEY, position INTEGER NOT NULL, spec_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics (metric TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  job_id        TEXT PRIMARY KEY,
  position      INTEGER NOT NULL,
  current       INTEGER NOT NULL DEFAULT 1,
  label         TEXT NOT NULL,
  point_json    TEXT NOT NULL,
  policy        TEXT NOT NULL,
  seed          INTEGER NOT NULL,
  channel_key   TEXT NOT NULL,
  code_version  TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'pending',
  attempts      INTEGER NOT NULL DEFAULT 0,
  worker        TEXT,
  queued_at     TEXT,
  started_at    TEXT,
  ended_at      TEXT,
  wall_s        REAL,
  slots         INTEGER,
  backend       TEXT,
  db_path       TEXT,
  error         TEXT,
  scenario_yaml TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_current ON jobs (current, status);
CREATE TABLE IF NOT EXISTS job_axes (
  job_id     TEXT NOT NULL REFERENCES jobs (job_id),
  axis       TEXT NOT NULL,
  value      REAL,          -- numeric values
  value_text TEXT,          -- anything else, as JSON
  PRIMARY KEY (job_id, axis)
);
CREATE TABLE IF NOT EXISTS job_metrics (
  job_id TEXT NOT NULL REFERENCES jobs (job_id),
  metric TEXT NOT NULL,
  n      INTEGER,
  mean   REAL,
  p5     REAL,
  p50    REAL,
  p95    REAL,
  PRIMARY KEY (job_id, metric)
);
`;

export const VIEWS = ['v_status', 'v_jobs', 'v_results', 'v_points', 'v_failed', 'v_workers'];

const quoteId = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Column names the views use for the axes: the short names, unless they clash. */
export function axisColumns(plan: Pick<SweepPlan, 'axes' | 'metrics'>): Map<string, string> {
  const taken = new Set(['job_id', 'position', 'status', 'policy', 'seed', 'worker', 'wall_s', 'error', 'label', 'seeds', 'channel_key', ...plan.metrics]);
  const out = new Map<string, string>();
  for (const a of plan.axes) {
    const name = taken.has(a.short) ? a.path : a.short;
    taken.add(name);
    out.set(a.path, name);
  }
  return out;
}

function viewsSql(plan: Pick<SweepPlan, 'axes' | 'metrics'>): string {
  const cols = axisColumns(plan);
  const axisSel = plan.axes.map((a) => `(SELECT coalesce(value, json_extract(value_text, '$')) FROM job_axes x WHERE x.job_id = j.job_id AND x.axis = ${quoteText(a.path)}) AS ${quoteId(cols.get(a.path)!)}`);
  const metricSel = plan.metrics.map((m) => `(SELECT mean FROM job_metrics k WHERE k.job_id = j.job_id AND k.metric = ${quoteText(m)}) AS ${quoteId(m)}`);
  const axisNames = plan.axes.map((a) => quoteId(cols.get(a.path)!));
  const pointStats = plan.metrics.flatMap((m) => {
    const c = quoteId(m);
    return [
      `avg(${c}) AS ${quoteId(`${m}_mean`)}`,
      `CASE WHEN count(${c}) > 1 THEN sqrt(max(0, (sum(${c} * ${c}) - count(${c}) * avg(${c}) * avg(${c})) / (count(${c}) - 1))) END AS ${quoteId(`${m}_sd`)}`,
    ];
  });
  return `
CREATE VIEW v_status AS
  SELECT status, count(*) AS jobs FROM jobs WHERE current = 1 GROUP BY status ORDER BY status;
CREATE VIEW v_jobs AS
  SELECT j.job_id, j.position, ${[...axisSel, ''].join(', ')}j.policy, j.seed, j.status, j.attempts, j.worker, j.wall_s, j.db_path, j.error
  FROM jobs j WHERE j.current = 1 ORDER BY j.position;
CREATE VIEW v_results AS
  SELECT j.job_id, ${[...axisSel, ''].join(', ')}j.policy, j.seed, ${[...metricSel, ''].join(', ')}j.wall_s, j.worker, j.channel_key, j.position
  FROM jobs j WHERE j.current = 1 AND j.status = 'completed' ORDER BY j.position;
CREATE VIEW v_points AS
  SELECT ${[...axisNames, ''].join(', ')}policy, count(*) AS seeds${pointStats.length ? ', ' + pointStats.join(', ') : ''}
  FROM v_results GROUP BY ${[...axisNames, 'policy'].join(', ')} ORDER BY min(position);
CREATE VIEW v_failed AS
  SELECT job_id, label, attempts, worker, error FROM jobs WHERE current = 1 AND status = 'failed' ORDER BY position;
CREATE VIEW v_workers AS
  SELECT worker, count(*) AS jobs, sum(wall_s) AS wall_s, avg(wall_s) AS mean_wall_s
  FROM jobs WHERE current = 1 AND status = 'completed' GROUP BY worker ORDER BY worker;
`;
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
}

export interface CatalogJobRow {
  job_id: string;
  position: number;
  label: string;
  point_json: string;
  policy: string;
  seed: number;
  channel_key: string;
  status: CatalogStatus;
  attempts: number;
  worker: string | null;
  wall_s: number | null;
  db_path: string | null;
  error: string | null;
}

export class Catalog {
  private constructor(
    readonly file: string,
    readonly db: Db,
  ) {}

  /**
   * Opens (or creates) the catalog of `plan` in its output folder and records the plan's jobs:
   * new ones as pending, the plan's as current and the others as not. Refuses a catalog of
   * another sweep (another name) in the same folder.
   */
  static openForPlan(plan: SweepPlan, now = new Date().toISOString()): Catalog {
    const dir = plan.outDir;
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, CATALOG_FILE);
    const db = openDbSync(file, 'create');
    try {
      db.pragma('journal_mode = WAL');
      // As the run databases: durable against a crash of the process, one fsync per checkpoint.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      execSync(db, SCHEMA_SQL);
      const meta = (k: string) => getSync<{ value: string }>(db, 'SELECT value FROM meta WHERE key = ?', [k])?.value;
      const kind = meta('kind');
      if (kind !== undefined && kind !== 'isac-twin-sweep') throw new CatalogError(`${file}: not an isac-twin sweep catalog (kind ${kind})`);
      const version = meta('schema_version');
      if (version !== undefined && Number(version) !== CATALOG_SCHEMA_VERSION) throw new CatalogError(`${file}: catalog schema version ${version}, this isac-twin writes ${CATALOG_SCHEMA_VERSION}: use another out folder`);
      const name = meta('sweep');
      if (name !== undefined && name !== plan.name) throw new CatalogError(`${file}: this folder holds the catalog of the sweep "${name}", not "${plan.name}": give another out folder (out: in the sweep file, or --out)`);
      db.transaction(() => {
        const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
        const fresh = name === undefined;
        for (const [k, v] of Object.entries({
          kind: 'isac-twin-sweep',
          schema_version: String(CATALOG_SCHEMA_VERSION),
          sweep: plan.name,
          description: plan.description ?? '',
          sweep_file: plan.file,
          sweep_yaml: plan.text,
          base_scenario: plan.baseFile,
          code_version: plan.codeVersion,
          updated_at: now,
          ...(fresh ? { created_at: now } : {}),
        })) {
          setMeta.run(k, v);
        }
        execSync(db, 'DELETE FROM axes; DELETE FROM policies; DELETE FROM metrics;');
        const cols = axisColumns(plan);
        plan.axes.forEach((a, i) => runSync(db, 'INSERT INTO axes VALUES (?, ?, ?, ?, ?, ?)', [a.path, cols.get(a.path)!, i, a.group, a.kind, JSON.stringify(a.values)]));
        plan.policies.forEach((p, i) => runSync(db, 'INSERT INTO policies VALUES (?, ?, ?)', [p.label, i, JSON.stringify(p.spec)]));
        plan.metrics.forEach((m, i) => runSync(db, 'INSERT INTO metrics VALUES (?, ?)', [m, i]));
        runSync(db, 'UPDATE jobs SET current = 0');
        const insert = db.prepare(`INSERT INTO jobs (job_id, position, current, label, point_json, policy, seed, channel_key, code_version, scenario_yaml)
          VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (job_id) DO UPDATE SET current = 1, position = excluded.position, label = excluded.label, point_json = excluded.point_json, policy = excluded.policy`);
        const axis = db.prepare('INSERT OR REPLACE INTO job_axes (job_id, axis, value, value_text) VALUES (?, ?, ?, ?)');
        for (const j of plan.jobs) {
          insert.run(j.id, j.index, j.label, JSON.stringify(j.point), j.policy, j.seed, j.channelKey, plan.codeVersion, j.text);
          for (const a of plan.axes) {
            const v = j.point[a.path];
            axis.run(j.id, a.path, typeof v === 'number' ? v : null, typeof v === 'number' ? null : JSON.stringify(v));
          }
        }
        for (const v of VIEWS) execSync(db, `DROP VIEW IF EXISTS ${v}`);
        execSync(db, viewsSql(plan));
      })();
    } catch (e) {
      db.close();
      throw e;
    }
    return new Catalog(file, db);
  }

  /** Opens an existing catalog (for reports); `dir` is the sweep's output folder. */
  static openExisting(dir: string, mode: 'readonly' | 'readwrite' = 'readonly'): Catalog {
    const file = path.join(dir, CATALOG_FILE);
    const db = openDbSync(file, mode);
    const kind = getSync<{ value: string }>(db, "SELECT value FROM meta WHERE key = 'kind'")?.value;
    if (kind !== 'isac-twin-sweep') {
      db.close();
      throw new CatalogError(`${file}: not an isac-twin sweep catalog`);
    }
    return new Catalog(file, db);
  }

  meta(key: string): string | undefined {
    return getSync<{ value: string }>(this.db, 'SELECT value FROM meta WHERE key = ?', [key])?.value;
  }

  /** Current jobs in expansion order. */
  jobs(): CatalogJobRow[] {
    return allSync<CatalogJobRow>(this.db, 'SELECT job_id, position, label, point_json, policy, seed, channel_key, status, attempts, worker, wall_s, db_path, error FROM jobs WHERE current = 1 ORDER BY position');
  }

  job(id: string): CatalogJobRow | undefined {
    return getSync<CatalogJobRow>(this.db, 'SELECT job_id, position, label, point_json, policy, seed, channel_key, status, attempts, worker, wall_s, db_path, error FROM jobs WHERE job_id = ?', [id]);
  }

  /** Status counts of the current jobs. */
  counts(): Record<CatalogStatus, number> {
    const out: Record<CatalogStatus, number> = { pending: 0, queued: 0, running: 0, completed: 0, failed: 0, interrupted: 0 };
    for (const r of allSync<{ status: CatalogStatus; jobs: number }>(this.db, 'SELECT status, jobs FROM v_status')) out[r.status] = r.jobs;
    return out;
  }

  setStatus(ids: readonly string[], status: CatalogStatus, o: { at?: string; worker?: string | null } = {}): void {
    const at = o.at ?? new Date().toISOString();
    const stmt =
      status === 'queued'
        ? this.db.prepare("UPDATE jobs SET status = 'queued', queued_at = ?, error = NULL WHERE job_id = ?")
        : status === 'running'
          ? this.db.prepare("UPDATE jobs SET status = 'running', started_at = ?, worker = ?, attempts = attempts + 1, error = NULL WHERE job_id = ?")
          : this.db.prepare('UPDATE jobs SET status = ?, ended_at = ? WHERE job_id = ?');
    this.db.transaction(() => {
      for (const id of ids) {
        if (status === 'queued') stmt.run(at, id);
        else if (status === 'running') stmt.run(at, o.worker ?? null, id);
        else stmt.run(status, at, id);
      }
    })();
  }

  /** Records a job's outcome and, when completed, its metrics (one transaction). */
  record(r: JobResult, o: { at?: string; attempts?: number } = {}): void {
    const at = o.at ?? new Date().toISOString();
    const status: CatalogStatus = r.status === 'completed' ? 'completed' : r.status === 'failed' ? 'failed' : 'interrupted';
    this.db.transaction(() => {
      runSync(
        this.db,
        `UPDATE jobs SET status = ?, ended_at = ?, wall_s = ?, slots = ?, backend = ?, db_path = ?, error = ?, worker = coalesce(?, worker)${o.attempts !== undefined ? ', attempts = ?' : ''} WHERE job_id = ?`,
        [status, at, r.wallS, r.slots, r.backend, r.dbPath ?? null, r.error ?? null, r.worker ?? null, ...(o.attempts !== undefined ? [o.attempts] : []), r.id],
      );
      runSync(this.db, 'DELETE FROM job_metrics WHERE job_id = ?', [r.id]);
      if (status === 'completed') {
        const ins = this.db.prepare('INSERT INTO job_metrics (job_id, metric, n, mean, p5, p50, p95) VALUES (?, ?, ?, ?, ?, ?, ?)');
        for (const m of r.metrics) ins.run(r.id, m.metric, m.n, m.mean, m.p5, m.p50, m.p95);
      }
    })();
  }

  close(): void {
    this.db.close();
  }
}
