/**
 * Opening a run database for analysis: checks that the file is a whole SQLite database written
 * by isac-twin, reads the run row, and fixes the committed slot range so that every later query
 * (on any connection) sees the same slots even while the twin is still appending to the file.
 *
 * Databases are only read (see openReadOnly for how that leaves no -wal/-shm files behind; the
 * one write is `createViews`, on a finished run). A run still being written (status `running`, WAL mode) is
 * read as far as it is committed, with a note saying so. Every SQLite error that means "this
 * file is damaged" becomes an AnalysisInputError naming the file.
 */
import type { RunsRow } from '../store/schema.ts';
import { allSync, execSync, getSync, openDbSync, type Db } from '../store/db.ts';
import { closeQuietly, openReadOnly } from '../store/read-connection.ts';
import { SCHEMA_VERSION, stoppedText, writerStopped } from '../store/schema.ts';
import { VIEWS_SQL } from '../store/views.ts';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { AnalysisInputError } from './errors.ts';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';

/** The `runs` row, decoded. */
export interface RunMeta {
  runId: number;
  name: string;
  scenarioFile: string;
  scenarioYaml: string;
  /** The scenario after command-line overrides, as the twin ran it. */
  resolved: Record<string, unknown>;
  seed: number;
  policy: string;
  shadows: string[];
  packageVersion: string;
  backend: string;
  status: RunStatus;
  error: string | null;
  startedAt: string;
  endedAt: string | null;
  slotMs: number;
  durationSlots: number;
  slotsDone: number;
  logEvery: number;
  numBs: number;
  numUsers: number;
  numTargets: number;
  schemaVersion: number;
  /**
   * A `running` run whose writer stopped updating the run row (kill -9, a crash): no heartbeat
   * for more than STALE_AFTER_MS (schema.ts; the file's modification time in files before schema 3).
   */
  stoppedUnexpectedly: boolean;
  /** When the writer last updated a `running` run (ISO-8601), null otherwise or when unknown. */
  lastUpdate: string | null;
}

/**
 * The newest modification time of a database and its WAL file (ms), NaN when unreadable. An empty
 * WAL file does not count: opening the database to read it creates one, stamped with the time of
 * that reading, not of a write.
 */
export function fileMtimeMs(file: string): number {
  let t = NaN;
  for (const f of [file, `${file}-wal`]) {
    try {
      const st = statSync(f);
      if (f !== file && st.size === 0) continue;
      const m = st.mtimeMs;
      if (!(m <= t)) t = m;
    } catch {
      // no WAL file
    }
  }
  return t;
}

/** Logged slots the analysis covers: slot numbers in [lo, hi). */
export interface SlotRange {
  lo: number;
  hi: number;
  /** Logged slots in the range, and the first and last of them. */
  slots: number;
  firstSlot: number;
  lastSlot: number;
}

/** A bound given on the command line: a slot index, or a time. */
export type Bound = { slot: number } | { ms: number };

export interface RangeSpec {
  from?: Bound;
  to?: Bound;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Tables and columns the analysis reads; every run database since schema version 1 has them.
 * Tables added later (loc_slots …) are optional and looked up by metrics.ts.
 */
const REQUIRED: Record<string, readonly string[]> = {
  runs: ['run_id', 'name', 'scenario_file', 'scenario_yaml', 'resolved_json', 'seed', 'policy', 'shadows_json', 'status', 'slot_ms', 'log_every'],
  slots: ['slot', 't_ms', 'rc', 'rs', 'objective'],
  bs_slots: ['slot', 'bs', 'fallback', 'sum_rate', 'radar_rate', 'decision_ms'],
  user_slots: ['slot', 'user', 'bs', 'sinr_db', 'rate', 'csi_age_slots'],
  target_slots: ['slot', 'target', 'bs', 'sens_sinr_db', 'radar_rate'],
  shadow_slots: ['slot', 'policy', 'rc', 'rs', 'objective'],
  events: ['slot', 'kind'],
};

/** Turns SQLite's "this file is damaged" errors into AnalysisInputError; rethrows the rest. */
export function asInputError(file: string, e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  const msg = e instanceof Error ? e.message.replace(/^SQLITE_\w+: /, '') : String(e);
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_IOERR')) {
    return new AnalysisInputError(file, `the database is corrupt or truncated (${msg})`);
  }
  if (code === 'SQLITE_NOTADB') return new AnalysisInputError(file, `not an SQLite database (${msg})`);
  if (code === 'SQLITE_CANTOPEN') return new AnalysisInputError(file, `cannot open (${msg})`);
  return e;
}

/** Parses `--from`/`--to`: `1200` is a slot, `1.5s` or `1500ms` a simulated time. */
export function parseBound(text: string, option: string): Bound {
  const t = text.trim();
  const time = /^(\d+(?:\.\d*)?|\.\d+)(ms|s)$/.exec(t);
  if (time) {
    const v = Number(time[1]);
    return { ms: time[2] === 's' ? v * 1000 : v };
  }
  if (/^\d+$/.test(t)) return { slot: Number(t) };
  throw new AnalysisInputError(option, `expected a slot index (e.g. 1200) or a time (e.g. 1.5s, 200ms), got "${text}"`);
}

function formatBound(b: Bound): string {
  return 'slot' in b ? `slot ${b.slot}` : `${b.ms} ms`;
}

/** Checks the file before SQLite sees it: exists, long enough, SQLite magic, not truncated. */
function checkFile(file: string): void {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new AnalysisInputError(file, 'is a directory, not a run database');
    size = st.size;
  } catch (e) {
    if (e instanceof AnalysisInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new AnalysisInputError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
  }
  if (size === 0) throw new AnalysisInputError(file, 'empty file (0 bytes), not a run database');
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let got: number;
  try {
    got = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (got < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    if (header.toString('latin1', 0, Math.min(got, 16)) === SQLITE_MAGIC.slice(0, Math.min(got, 16))) {
      throw new AnalysisInputError(file, `truncated: ${size} bytes, shorter than an SQLite header`);
    }
    throw new AnalysisInputError(file, 'not an SQLite database (no "SQLite format 3" header)');
  }
  const rawPage = header.readUInt16BE(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  const changeCounter = header.readUInt32BE(24);
  const pages = header.readUInt32BE(28);
  const validFor = header.readUInt32BE(92);
  // The page count in the header is reliable when "version-valid-for" matches the change counter.
  if (validFor === changeCounter && pages > 0 && size < pages * pageSize) {
    throw new AnalysisInputError(file, `truncated: the header records ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes) but the file holds ${size}`);
  }
  if (size % pageSize !== 0) {
    throw new AnalysisInputError(file, `truncated: ${size} bytes is not a whole number of ${pageSize}-byte pages`);
  }
}


export class RunDb {

  private constructor(
    readonly file: string,
    readonly db: Db,
    readonly meta: RunMeta,
    /** Columns of every table in the file. */
    readonly tables: ReadonlyMap<string, readonly string[]>,
    /** `table.column` of the columns declared NOT NULL (or primary key). */
    private readonly notNullColumns: ReadonlySet<string>,
    /** Logged slots committed when the file was opened (the snapshot every query keeps to). */
    readonly committed: { slots: number; firstSlot: number; lastSlot: number },
    /** Things the reader should know (a run still being written, an interrupted run …). */
    readonly notes: string[],
  ) {}

  /**
   * Opens and checks a run database. With `createViews`, a finished run in a writable file
   * gets the views of src/store/views.ts (skipped silently when that is not possible).
   */
  static async open(file: string, opts: { createViews?: boolean } = {}): Promise<RunDb> {
    checkFile(file);
    if (opts.createViews) tryCreateViews(file);
    let db: Db;
    try {
      db = openReadOnly(file);
    } catch (e) {
      throw asInputError(file, e);
    }
    try {
      return RunDb.inspect(file, db);
    } catch (e) {
      closeQuietly(db);
      throw asInputError(file, e);
    }
  }

  private static inspect(file: string, db: Db): RunDb {
    const names = allSync<{ name: string }>(db, `SELECT name FROM sqlite_master WHERE type = 'table'`);
    const tableSet = new Set(names.map((r) => r.name));
    if (!tableSet.has('meta')) throw new AnalysisInputError(file, 'not an isac-twin run database (no meta table)');
    const metaRows = allSync<{ key: string; value: string }>(db, 'SELECT key, value FROM meta');
    const meta = new Map(metaRows.map((r) => [r.key, r.value]));
    if (meta.get('kind') !== 'isac-twin-run') {
      throw new AnalysisInputError(file, `not an isac-twin run database (meta kind is ${meta.has('kind') ? `"${meta.get('kind')}"` : 'missing'})`);
    }
    const schemaVersion = Number(meta.get('schema_version'));
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
      throw new AnalysisInputError(file, `bad schema_version "${meta.get('schema_version')}" in the meta table`);
    }
    if (schemaVersion > SCHEMA_VERSION) {
      throw new AnalysisInputError(file, `schema version ${schemaVersion} is newer than this isac-twin reads (${SCHEMA_VERSION}); upgrade isac-twin`);
    }
    const tables = new Map<string, string[]>();
    const notNull = new Set<string>();
    for (const name of tableSet) {
      const cols = allSync<{ name: string; notnull: number; pk: number }>(db, `SELECT name, "notnull", pk FROM pragma_table_info(?)`, [name]);
      tables.set(
        name,
        cols.map((c) => c.name),
      );
      for (const c of cols) if (c.notnull || c.pk) notNull.add(`${name}.${c.name}`);
    }
    for (const [table, cols] of Object.entries(REQUIRED)) {
      const have = tables.get(table);
      if (!have) throw new AnalysisInputError(file, `not a complete run database: table ${table} is missing`);
      const missing = cols.filter((c) => !have.includes(c));
      if (missing.length) throw new AnalysisInputError(file, `not a complete run database: table ${table} lacks column ${missing.join(', ')}`);
    }
    const runs = allSync<RunsRow>(db, 'SELECT * FROM runs ORDER BY run_id');
    if (runs.length === 0) throw new AnalysisInputError(file, 'no run recorded (the runs table is empty)');
    if (runs.length > 1) throw new AnalysisInputError(file, `holds ${runs.length} runs; a run database holds one`);
    const r = runs[0];
    const parseJson = <T>(text: string, what: string): T => {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new AnalysisInputError(file, `the run's ${what} is not valid JSON`);
      }
    };
    const m: RunMeta = {
      runId: r.run_id,
      name: r.name,
      scenarioFile: r.scenario_file,
      scenarioYaml: r.scenario_yaml,
      resolved: parseJson<Record<string, unknown>>(r.resolved_json, 'resolved_json'),
      seed: r.seed,
      policy: r.policy,
      shadows: parseJson<string[]>(r.shadows_json, 'shadows_json'),
      packageVersion: r.package_version,
      backend: r.backend,
      status: r.status,
      error: r.error,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      slotMs: r.slot_ms,
      durationSlots: r.duration_slots,
      slotsDone: r.slots_done,
      logEvery: Math.max(1, r.log_every),
      numBs: r.num_bs,
      numUsers: r.num_users,
      numTargets: r.num_targets,
      schemaVersion,
      stoppedUnexpectedly: false,
      lastUpdate: null,
    };
    const liveness = writerStopped(r, Date.now(), r.heartbeat_at === undefined || r.heartbeat_at === null ? fileMtimeMs(file) : undefined);
    if (liveness) {
      m.stoppedUnexpectedly = liveness.stopped;
      m.lastUpdate = liveness.lastUpdate;
    }
    const c = getSync<{ n: number; lo: number | null; hi: number | null }>(db, 'SELECT count(*) AS n, min(slot) AS lo, max(slot) AS hi FROM slots')!;
    const committed = { slots: c.n, firstSlot: c.lo ?? 0, lastSlot: c.hi ?? -1 };
    const notes: string[] = [];
    if (m.status === 'running' && liveness?.stopped) {
      notes.push(
        `${file}: the run ${stoppedText(liveness)} after ${m.slotsDone} of ${m.durationSlots} slots; its writer never closed it (killed or crashed). ` +
          `Analysing the ${committed.slots} logged slots committed` +
          (committed.slots ? ` (slots ${committed.firstSlot}–${committed.lastSlot})` : ''),
      );
    } else if (m.status === 'running') {
      notes.push(
        `${file}: the run is still being written (status running, writer alive); analysing the ${committed.slots} logged slots committed so far` +
          (committed.slots ? ` (slots ${committed.firstSlot}–${committed.lastSlot})` : ''),
      );
    } else if (m.status === 'interrupted') {
      notes.push(`${file}: the run was interrupted after ${m.slotsDone} of ${m.durationSlots} slots`);
    } else if (m.status === 'failed') {
      notes.push(`${file}: the run failed after ${m.slotsDone} of ${m.durationSlots} slots${m.error ? ` (${m.error})` : ''}`);
    }
    return new RunDb(file, db, m, tables, notNull, committed, notes);
  }

  /** Runs a query on the main connection; damage in the file becomes an AnalysisInputError. */
  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return allSync<T>(this.db, sql, params);
    } catch (e) {
      throw asInputError(this.file, e);
    }
  }

  /** Columns of a table ([] when the table does not exist). */
  columns(table: string): readonly string[] {
    return this.tables.get(table) ?? [];
  }

  /** Whether a column is declared NOT NULL (then readers skip the NULL handling). */
  notNull(table: string, column: string): boolean {
    return this.notNullColumns.has(`${table}.${column}`);
  }

  /** Slot index of a bound: times round up to the next slot start. */
  private slotOf(b: Bound): number {
    return 'slot' in b ? b.slot : Math.ceil(b.ms / this.meta.slotMs - 1e-9);
  }

  /**
   * The logged slots in [from, to) within the committed snapshot. An empty range is an
   * AnalysisInputError that says which slots the run has.
   */
  async range(spec: RangeSpec = {}): Promise<SlotRange> {
    const lo = spec.from ? this.slotOf(spec.from) : 0;
    const hi = Math.min(spec.to ? this.slotOf(spec.to) : Infinity, this.committed.lastSlot + 1);
    const has = this.committed.slots
      ? `the run has logged slots ${this.committed.firstSlot}–${this.committed.lastSlot} (${this.committed.slots} slots, every ${this.meta.logEvery}, ${this.meta.slotMs} ms each)`
      : 'the run has no logged slots yet';
    if (spec.from && spec.to && this.slotOf(spec.to) <= lo) {
      throw new AnalysisInputError(this.file, `empty range: --from ${formatBound(spec.from)} is not before --to ${formatBound(spec.to)}`);
    }
    const c = hi > lo ? (await this.all<{ n: number; a: number | null; b: number | null }>('SELECT count(*) AS n, min(slot) AS a, max(slot) AS b FROM slots WHERE slot >= ? AND slot < ?', [lo, hi]))[0] : { n: 0, a: null, b: null };
    if (c.n === 0 || c.a === null || c.b === null) {
      const asked = spec.from || spec.to ? `slots [${lo}, ${spec.to ? this.slotOf(spec.to) : '∞'})` : 'the whole run';
      throw new AnalysisInputError(this.file, `no logged slots in ${asked}: ${has}`);
    }
    return { lo, hi: c.b + 1, slots: c.n, firstSlot: c.a, lastSlot: c.b };
  }

  async close(): Promise<void> {
    closeQuietly(this.db);
  }
}

/** Creates the views in a finished, writable run database; any failure leaves the file alone. */
function tryCreateViews(file: string): void {
  let db: Db | undefined;
  try {
    db = openDbSync(file, 'readwrite');
    execSync(db, 'PRAGMA busy_timeout = 100');
    const kind = getSync<{ value: string }>(db, `SELECT value FROM meta WHERE key = 'kind'`);
    const row = getSync<{ status: string }>(db, 'SELECT status FROM runs LIMIT 1');
    // Never take a write lock on a database the twin may still be writing.
    if (kind?.value === 'isac-twin-run' && row && row.status !== 'running') {
      execSync(db, 'BEGIN');
      try {
        execSync(db, VIEWS_SQL);
        execSync(db, 'COMMIT');
      } catch {
        try {
          execSync(db, 'ROLLBACK');
        } catch {
          // no transaction left to roll back
        }
      }
    }
  } catch {
    // Read-only file or directory, locked, damaged, not a run database: open() reports what matters.
  } finally {
    if (db) closeQuietly(db);
  }
}

/** Opens several runs; closes the ones already open when one fails. */
export async function openRuns(files: string[], opts: { createViews?: boolean } = {}): Promise<RunDb[]> {
  const out: RunDb[] = [];
  try {
    for (const f of files) out.push(await RunDb.open(f, opts));
  } catch (e) {
    for (const r of out) await r.close();
    throw e;
  }
  return out;
}

/** Labels for runs in tables and legends: the policy, with the file name when policies repeat. */
export function runLabels(runs: RunDb[]): string[] {
  const policies = runs.map((r) => r.meta.policy);
  const labels = runs.map((r, i) => (policies.filter((p) => p === r.meta.policy).length > 1 ? `${r.meta.policy} (${path.basename(r.file)})` : policies[i]));
  return labels.map((l, i) => (labels.indexOf(l) !== i ? `${l} #${i + 1}` : l));
}
