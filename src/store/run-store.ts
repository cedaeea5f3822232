/**
 * Writes one run into its SQLite database: the `runs` row, per-slot rows of every table and the
 * events. The main thread only packs values into Float64Arrays (text as indices into a per-batch
 * string list, NULL as NaN); a dedicated writer thread (writer-worker.mjs) owns the connection
 * and writes each batch with multi-row INSERTs in one transaction, in WAL mode. So the simulation
 * does not wait for SQLite, at most two batches exist at once (memory stays flat), and every
 * acknowledged batch is committed: an interrupted run keeps every slot it logged.
 */
import { Worker } from 'node:worker_threads';
import type { TwinEvent, SlotRecord } from '../sim/events.ts';
import type { Topology } from '../phy/network.ts';
import { COLUMNS, HEARTBEAT_MS, SCHEMA_SQL, SCHEMA_VERSION, TEXT_COLUMNS, type TableName } from './schema.ts';

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

const RAD2DEG = 180 / Math.PI;

/** The current time as ISO-8601 UTC with milliseconds, in SQL (the writer's clock). */
const NOW_SQL = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;

/** Topology as JSON (typed arrays as plain arrays, also inside nested objects such as `localization`). */
export function topologyJson(topo: Topology | Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(topo).map(([k, v]) => [
      k,
      ArrayBuffer.isView(v)
        ? Array.from(v as Float64Array)
        : Array.isArray(v)
          ? v.map((x) => (ArrayBuffer.isView(x) ? Array.from(x as Int32Array) : x))
          : v && typeof v === 'object'
            ? topologyJson(v as Record<string, unknown>)
            : v,
    ]),
  );
}

/** Rows of one table for one batch: numbers in a growing Float64Array, text by index. */
class PackedTable {
  rows = 0;
  data: Float64Array;
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(readonly width: number, capacityRows: number) {
    this.data = new Float64Array(Math.max(16, capacityRows) * width);
  }
  /** Reserves one row; returns the offset of its first value. */
  next(): number {
    const o = this.rows * this.width;
    if (o + this.width > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.rows++;
    return o;
  }
  str(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

type Reply = { id: number; ok: boolean; result?: unknown; error?: string };

export class RunStore {
  private tables!: Record<TableName, PackedTable>;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private inFlight: Promise<unknown> = Promise.resolve();
  private slotsLogged = 0;
  private eventsLogged = 0;
  private rowsHint: Record<TableName, number>;
  runId = 0;

  private constructor(
    readonly file: string,
    private readonly worker: Worker,
    private readonly topo: Topology,
  ) {
    worker.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) w?.resolve(m.result);
      else w?.reject(new Error(`SQLite writer (${this.file}): ${m.error}`));
    });
    worker.on('error', (e) => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    });
    this.rowsHint = { slots: 64, bs_slots: 64, user_slots: 64, target_slots: 64, shadow_slots: 16, loc_slots: 16, associations: 16, link_slots: 16, beam_slots: 16, events: 64 };
    this.fresh();
  }

  private send(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  private fresh(): void {
    const t = {} as Record<TableName, PackedTable>;
    for (const name of Object.keys(COLUMNS) as TableName[]) t[name] = new PackedTable(COLUMNS[name].length, this.rowsHint[name]);
    this.tables = t;
  }

  /** Creates the database file, its schema and the `running` run row. */
  static async create(file: string, info: RunInfo, extraSql = '', heartbeatMs = HEARTBEAT_MS): Promise<RunStore> {
    const worker = new Worker(new URL('./writer-worker.mjs', import.meta.url));
    worker.unref();
    const store = new RunStore(file, worker, info.topology);
    const t = info.topology;
    const tables = Object.fromEntries(
      (Object.keys(COLUMNS) as TableName[]).map((name) => [
        name,
        { columns: [...COLUMNS[name]], text: COLUMNS[name].map((c) => (TEXT_COLUMNS[name] as readonly string[]).includes(c)) },
      ]),
    );
    try {
      store.runId = (await store.send({
        op: 'open',
        file,
        pragmas: 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;',
        schemaSql: SCHEMA_SQL + extraSql,
        meta: [
          ['schema_version', String(SCHEMA_VERSION)],
          ['kind', 'isac-twin-run'],
        ],
        runSql: `INSERT INTO runs (name, scenario_file, scenario_yaml, resolved_json, topology_json, seed, policy, shadows_json,
          package_version, backend, status, started_at, slot_ms, duration_slots, log_every, num_bs, num_users, num_targets, heartbeat_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ${NOW_SQL})`,
        heartbeat: { sql: `UPDATE runs SET heartbeat_at = ${NOW_SQL} WHERE run_id = ?`, everyMs: heartbeatMs },
        runParams: [
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
        tables,
      })) as number;
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return store;
  }

  get slotsWritten(): number {
    return this.slotsLogged;
  }

  /** Packs all rows of one slot record. */
  logSlot(r: SlotRecord): void {
    const t = this.topo;
    const { slots, bs_slots: bs, user_slots: us, target_slots: ts, shadow_slots: sh } = this.tables;
    let o = slots.next();
    let d = slots.data;
    d[o] = r.slot;
    d[o + 1] = r.tUs / 1000;
    d[o + 2] = r.rc;
    d[o + 3] = r.rs;
    d[o + 4] = r.objective;
    // Per AP: the rates of the users whose primary AP it is and of the targets it senses.
    const sumRates = new Float64Array(t.numBs);
    const radarRates = new Float64Array(t.numBs);
    for (let u = 0; u < t.numUsers; u++) sumRates[r.userBs[u]] += r.userRate[u];
    for (let i = 0; i < t.numTargets; i++) radarRates[r.targetBs[i]] += r.targetRate[i];
    for (let m = 0; m < t.numBs; m++) {
      const sumRate = sumRates[m];
      const radar = radarRates[m];
      o = bs.next();
      d = bs.data;
      d[o] = r.slot;
      d[o + 1] = m;
      d[o + 2] = bs.str(r.bs.policy[m]);
      d[o + 3] = r.bs.fallback[m];
      d[o + 4] = sumRate;
      d[o + 5] = radar;
      d[o + 6] = r.bs.powerW[m];
      d[o + 7] = r.bs.beamAzDeg[m]; // NaN → NULL
      d[o + 8] = r.bs.decisionMs[m];
      d[o + 9] = r.bs.decidedSlot[m] < 0 ? NaN : r.bs.decidedSlot[m];
    }
    for (let u = 0; u < t.numUsers; u++) {
      o = us.next();
      d = us.data;
      const sinr = r.userSinr[u];
      d[o] = r.slot;
      d[o + 1] = u;
      d[o + 2] = r.userBs[u];
      d[o + 3] = r.userPosM[2 * u];
      d[o + 4] = r.userPosM[2 * u + 1];
      d[o + 5] = sinr;
      d[o + 6] = sinr > 0 ? 10 * Math.log10(sinr) : NaN;
      d[o + 7] = r.userRate[u];
      d[o + 8] = r.userCsiAge[u] < 0 ? NaN : r.userCsiAge[u];
    }
    for (let i = 0; i < t.numTargets; i++) {
      o = ts.next();
      d = ts.data;
      const sinr = r.targetSinr[i];
      d[o] = r.slot;
      d[o + 1] = i;
      d[o + 2] = r.targetBs[i];
      d[o + 3] = r.targetPosM[2 * i];
      d[o + 4] = r.targetPosM[2 * i + 1];
      d[o + 5] = r.targetThetaRad[i] * RAD2DEG;
      d[o + 6] = r.targetThetaEstRad[i] * RAD2DEG;
      d[o + 7] = sinr;
      d[o + 8] = sinr > 0 ? 10 * Math.log10(sinr) : NaN;
      d[o + 9] = r.targetRate[i];
    }
    if (r.loc) this.logLoc(r.slot, r.loc);
    if (r.beampattern) {
      const b = this.tables.beam_slots;
      for (let m = 0; m < t.numBs; m++) {
        o = b.next();
        d = b.data;
        d[o] = r.slot;
        d[o + 1] = m;
        d[o + 2] = r.beampattern.lr1[m]; // NaN → NULL
        d[o + 3] = r.beampattern.lr2[m];
        d[o + 4] = r.beampattern.lr[m];
        d[o + 5] = r.beampattern.mu ? r.beampattern.mu[m] : NaN;
      }
    }
    this.logLinks(r.slot, r.fronthaul);
    for (const s of r.shadows) {
      o = sh.next();
      d = sh.data;
      d[o] = r.slot;
      d[o + 1] = sh.str(s.name);
      d[o + 2] = s.rc;
      d[o + 3] = s.rs;
      d[o + 4] = s.objective;
    }
    this.slotsLogged++;
  }

  /** Packs one row per AP link that carried anything this slot. */
  private logLinks(slot: number, c: SlotRecord['fronthaul']): void {
    const t = this.tables.link_slots;
    for (let m = 0; m < c.upBits.length; m++) {
      if (c.upMsgs[m] + c.downMsgs[m] + c.peerMsgs[m] === 0) continue;
      const o = t.next();
      const d = t.data;
      d[o] = slot;
      d[o + 1] = m;
      d[o + 2] = c.upBits[m];
      d[o + 3] = c.downBits[m];
      d[o + 4] = c.peerBits[m];
      d[o + 5] = c.upMsgs[m];
      d[o + 6] = c.downMsgs[m];
      d[o + 7] = c.peerMsgs[m];
      d[o + 8] = c.upQueueUs[m] / 1000;
      d[o + 9] = c.downQueueUs[m] / 1000;
    }
  }

  /** The serving sets of a new association: one row per (user, AP). */
  private logAssociation(e: Extract<TwinEvent, { kind: 'association' }>): void {
    const t = this.tables.associations;
    e.userAps.forEach((aps, u) =>
      aps.forEach((m, k) => {
        const o = t.next();
        const d = t.data;
        d[o] = e.version;
        d[o + 1] = e.slot;
        d[o + 2] = u;
        d[o + 3] = m;
        d[o + 4] = k === 0 ? 1 : 0;
      }),
    );
  }

  /** Packs the localisation rows of one slot (non-finite CRLBs, and the error before any estimate, are stored as NULL). */
  private logLoc(slot: number, l: NonNullable<SlotRecord['loc']>): void {
    const t = this.tables.loc_slots;
    const fin = (x: number) => (Number.isFinite(x) ? x : NaN);
    for (let i = 0; i < l.crlbM2.length; i++) {
      const o = t.next();
      const d = t.data;
      const [x, y, xe, ye] = [l.posM[2 * i], l.posM[2 * i + 1], l.estPosM[2 * i], l.estPosM[2 * i + 1]];
      d[o] = slot;
      d[o + 1] = i;
      d[o + 2] = x;
      d[o + 3] = y;
      d[o + 4] = xe;
      d[o + 5] = ye;
      d[o + 6] = l.estSlot[i];
      // No estimate yet (the initial cue, est_slot −1): no error to report (NULL), not 0 m.
      d[o + 7] = l.estSlot[i] < 0 ? NaN : Math.hypot(xe - x, ye - y);
      d[o + 8] = fin(l.crlbM2[i]);
      d[o + 9] = fin(l.crlbXM2[i]);
      d[o + 10] = fin(l.crlbYM2[i]);
      d[o + 11] = fin(Math.sqrt(l.crlbM2[i]));
      d[o + 12] = t.str(l.policy);
      d[o + 13] = l.solverStatus === null ? NaN : t.str(l.solverStatus);
      d[o + 14] = l.solverIterations;
      d[o + 15] = l.rankOneRatio;
      d[o + 16] = l.infeasible ? 1 : 0;
      d[o + 17] = l.decidedSlot < 0 ? NaN : l.decidedSlot;
    }
  }

  /** Packs one event: the BS it concerns in its own column, the rest as JSON detail. */
  logEvent(e: TwinEvent): void {
    if (e.kind === 'association') {
      // The serving sets go to their own table; the event keeps the version and target APs.
      this.logAssociation(e);
      e = { ...e, userAps: [] };
    }
    const { kind, tUs, slot, ...rest } = e as TwinEvent & { bs?: number; by?: number; to?: number; from?: number };
    let bs = NaN;
    if (rest.bs !== undefined) {
      bs = rest.bs;
      delete rest.bs;
    } else if (rest.by !== undefined) bs = rest.by >= 0 ? rest.by : NaN;
    else if (rest.to !== undefined) bs = rest.to >= 0 ? rest.to : (rest.from ?? NaN);
    const ev = this.tables.events;
    const o = ev.next();
    const d = ev.data;
    d[o] = ++this.eventsLogged;
    d[o + 1] = slot;
    d[o + 2] = tUs / 1000;
    d[o + 3] = ev.str(kind);
    d[o + 4] = bs;
    d[o + 5] = ev.str(JSON.stringify(rest));
  }

  /**
   * Hands the packed rows to the writer as one transaction (also recording slots_done) and
   * starts a new batch. Resolves once the previous batch is committed, so at most two batches
   * are alive; `finish()` waits for all.
   */
  async flush(slotsDone?: number): Promise<void> {
    const previous = this.inFlight;
    const tables: Record<string, { rows: number; data: Float64Array; strings: string[] }> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(this.tables) as Array<[TableName, PackedTable]>) {
      if (!t.rows) continue;
      this.rowsHint[name] = Math.max(this.rowsHint[name], t.rows);
      const data = t.data.subarray(0, t.rows * t.width);
      tables[name] = { rows: t.rows, data, strings: t.strings };
      transfer.push(data.buffer as ArrayBuffer);
    }
    this.fresh();
    // The heartbeat is stamped in the same transaction (and by the writer every HEARTBEAT_MS).
    const runUpdate = slotsDone === undefined ? undefined : [`UPDATE runs SET slots_done = ?, heartbeat_at = ${NOW_SQL} WHERE run_id = ?`, [slotsDone, this.runId]];
    this.inFlight = this.send({ op: 'batch', tables, runUpdate }, transfer);
    this.inFlight.catch(() => undefined); // surfaced by the next flush or finish
    await previous;
  }

  /** Flushes, records the final status (and error), and closes the database. */
  async finish(status: Exclude<RunStatus, 'running'>, endedAt: string, slotsDone: number, error?: string): Promise<void> {
    try {
      await this.flush();
      await this.inFlight;
    } finally {
      try {
        await this.send({
          op: 'finish',
          sql: 'UPDATE runs SET status = ?, ended_at = ?, slots_done = ?, error = ? WHERE run_id = ?',
          params: [status, endedAt, slotsDone, error ?? null, this.runId],
        });
      } finally {
        await this.worker.terminate();
      }
    }
  }
}
