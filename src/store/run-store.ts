/**
 * Writes one run into its SQLite database: the `runs` row, per-slot rows of every table and the
 * events. Rows are buffered and written with multi-row INSERTs inside one transaction per batch
 * of slots (`logging.batchSlots`), in WAL mode; `flush()` commits and resolves when the batch is
 * on disk, which is the backpressure that keeps memory flat. An interrupted run keeps every
 * committed batch; `finish()` flushes the rest and records the final status.
 */
import type { TwinEvent, SlotRecord } from '../sim/events.ts';
import type { Topology } from '../phy/network.ts';
import { closeDb, exec, finalize, openDb, prepare, run, stmtRun, type Db, type Statement } from './db.ts';
import { COLUMNS, SCHEMA_SQL, SCHEMA_VERSION, type TableName } from './schema.ts';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';

export interface RunInfo {
  name: string;
  scenarioFile: string;
  scenarioYaml: string;
  resolved: unknown;
  topology: Topology;
  seed: number;
  policy: string;
  shadows: string[];
  packageVersion: string;
  backend: string;
  startedAt: string;
  slotMs: number;
  durationSlots: number;
  logEvery: number;
}

/** Rows per multi-row INSERT (SQLite allows 32766 parameters; 100 rows × ≤10 columns). */
const CHUNK = 100;

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const db10 = (x: number): number | null => (x > 0 ? 10 * Math.log10(x) : null);
const deg = (rad: number): number | null => (Number.isFinite(rad) ? (rad * 180) / Math.PI : null);

/** Topology as JSON (typed arrays as plain arrays). */
export function topologyJson(topo: Topology): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(topo).map(([k, v]) => [
      k,
      ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : Array.isArray(v) ? v.map((x) => (ArrayBuffer.isView(x) ? Array.from(x as Int32Array) : x)) : v,
    ]),
  );
}

export class RunStore {
  private readonly buffers = new Map<TableName, unknown[]>();
  private readonly bulk = new Map<TableName, Statement>();
  private readonly single = new Map<TableName, Statement>();
  private inTransaction = false;
  private slotsLogged = 0;
  private lastSlot = -1;

  private constructor(
    readonly file: string,
    private readonly db: Db,
    private readonly topo: Topology,
    readonly runId: number,
  ) {}

  /** Creates the database file, its schema and the `running` run row. */
  static async create(file: string, info: RunInfo): Promise<RunStore> {
    const db = await openDb(file, 'create');
    db.serialize();
    await exec(db, 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    await exec(db, SCHEMA_SQL);
    await run(db, 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)', ['schema_version', String(SCHEMA_VERSION), 'kind', 'isac-twin-run']);
    const t = info.topology;
    const { lastID } = await run(
      db,
      `INSERT INTO runs (name, scenario_file, scenario_yaml, resolved_json, topology_json, seed, policy, shadows_json,
        package_version, backend, status, started_at, slot_ms, duration_slots, log_every, num_bs, num_users, num_targets)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
      [
        info.name,
        info.scenarioFile,
        info.scenarioYaml,
        JSON.stringify(info.resolved),
        JSON.stringify(topologyJson(t)),
        info.seed,
        info.policy,
        JSON.stringify(info.shadows),
        info.packageVersion,
        info.backend,
        info.startedAt,
        info.slotMs,
        info.durationSlots,
        info.logEvery,
        t.numBs,
        t.numUsers,
        t.numTargets,
      ],
    );
    const store = new RunStore(file, db, t, lastID);
    for (const table of Object.keys(COLUMNS) as TableName[]) {
      const cols = COLUMNS[table];
      const one = `(${cols.map(() => '?').join(', ')})`;
      const head = `INSERT INTO ${table} (${cols.join(', ')}) VALUES `;
      store.single.set(table, await prepare(db, head + one));
      store.bulk.set(table, await prepare(db, head + Array(CHUNK).fill(one).join(', ')));
      store.buffers.set(table, []);
    }
    return store;
  }

  get slotsWritten(): number {
    return this.slotsLogged;
  }

  private push(table: TableName, ...values: unknown[]): void {
    const buf = this.buffers.get(table)!;
    for (const v of values) buf.push(v);
    const width = COLUMNS[table].length;
    if (buf.length >= CHUNK * width) {
      this.begin();
      const rows = buf.splice(0, CHUNK * width);
      this.bulk.get(table)!.run(rows, (err) => err && this.fail(err));
    }
  }

  private begin(): void {
    if (!this.inTransaction) {
      this.db.run('BEGIN');
      this.inTransaction = true;
    }
  }

  private failure: Error | undefined;
  private fail(err: Error): void {
    this.failure ??= err;
  }

  /** Buffers all rows of one slot record. */
  logSlot(r: SlotRecord): void {
    const t = this.topo;
    const tMs = r.tUs / 1000;
    this.push('slots', r.slot, tMs, r.rc, r.rs, r.objective);
    for (let m = 0; m < t.numBs; m++) {
      let sumRate = 0;
      for (const u of t.servedUsers[m]) sumRate += r.userRate[u];
      let radar = 0;
      for (const i of t.targetsOf[m]) radar += r.targetRate[i];
      this.push(
        'bs_slots',
        r.slot,
        m,
        r.bs.policy[m],
        r.bs.fallback[m],
        sumRate,
        radar,
        r.bs.powerW[m],
        finite(r.bs.beamAzDeg[m]),
        finite(r.bs.decisionMs[m]),
        r.bs.decidedSlot[m] < 0 ? null : r.bs.decidedSlot[m],
      );
    }
    for (let u = 0; u < t.numUsers; u++) {
      const age = r.userCsiAge[u];
      this.push('user_slots', r.slot, u, t.userBs[u], r.userPosM[2 * u], r.userPosM[2 * u + 1], r.userSinr[u], db10(r.userSinr[u]), r.userRate[u], age < 0 ? null : age);
    }
    for (let i = 0; i < t.numTargets; i++) {
      this.push(
        'target_slots',
        r.slot,
        i,
        t.targetBs[i],
        r.targetPosM[2 * i],
        r.targetPosM[2 * i + 1],
        deg(r.targetThetaRad[i]),
        deg(r.targetThetaEstRad[i]),
        r.targetSinr[i],
        db10(r.targetSinr[i]),
        r.targetRate[i],
      );
    }
    for (const s of r.shadows) this.push('shadow_slots', r.slot, s.name, s.rc, s.rs, s.objective);
    this.slotsLogged++;
    this.lastSlot = r.slot;
  }

  /** Buffers one event. */
  logEvent(e: TwinEvent): void {
    // The BS an event concerns goes in its own column; the rest of the event is the detail.
    const { kind, tUs, slot, ...rest } = e as TwinEvent & { bs?: number; by?: number; to?: number; from?: number };
    let bs: number | null = null;
    if (rest.bs !== undefined) {
      bs = rest.bs;
      delete rest.bs;
    } else if (rest.by !== undefined) bs = rest.by >= 0 ? rest.by : null;
    else if (rest.to !== undefined) bs = rest.to >= 0 ? rest.to : (rest.from ?? null);
    this.push('events', slot, tUs / 1000, kind, bs, JSON.stringify(rest));
  }

  /** Writes every buffered row and commits; resolves when it is durable. */
  async flush(slotsDone?: number): Promise<void> {
    for (const [table, buf] of this.buffers) {
      const width = COLUMNS[table].length;
      const st = this.single.get(table)!;
      if (buf.length) this.begin();
      for (let i = 0; i < buf.length; i += width) st.run(buf.slice(i, i + width), (err) => err && this.fail(err));
      buf.length = 0;
    }
    if (slotsDone !== undefined) {
      this.begin();
      this.db.run('UPDATE runs SET slots_done = ? WHERE run_id = ?', [slotsDone, this.runId], (err) => err && this.fail(err));
    }
    if (this.inTransaction) {
      this.inTransaction = false;
      await run(this.db, 'COMMIT');
    }
    if (this.failure) throw this.failure;
  }

  /** Flushes, records the final status (and error), and closes the database. */
  async finish(status: Exclude<RunStatus, 'running'>, endedAt: string, slotsDone: number, error?: string): Promise<void> {
    try {
      await this.flush();
    } finally {
      await run(this.db, 'UPDATE runs SET status = ?, ended_at = ?, slots_done = ?, error = ? WHERE run_id = ?', [status, endedAt, slotsDone, error ?? null, this.runId]);
      for (const st of [...this.bulk.values(), ...this.single.values()]) await finalize(st);
      await exec(this.db, 'PRAGMA wal_checkpoint(TRUNCATE);');
      await closeDb(this.db);
    }
  }

  /** Last slot buffered (-1 none). */
  get lastLoggedSlot(): number {
    return this.lastSlot;
  }
}
