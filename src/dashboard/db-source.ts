/**
 * Reads a run database for the dashboard (the `watch` command), read-only, while another process
 * may still be writing it. The writer commits whole batches of slots (WAL mode), so every slot
 * that has its `slots` row has all its other rows too: ranges are bounded by a slot read from
 * `slots` first, and later commits only add rows beyond it.
 */
import { fileMtimeMs } from '../analysis/run-db.ts';
import { stoppedText, writerStopped, type RunsRow } from '../store/schema.ts';
import type { TwinEvent } from '../sim/events.ts';
import { allSync, getSync, type Db } from '../store/db.ts';
import { closeQuietly, openReadOnly } from '../store/read-connection.ts';
import type { RunStatus } from '../store/run-store.ts';
import type { RunInfo, SlotView } from './model.ts';

/** A file that cannot be watched (missing, not a run database); the message names the file. */
export class WatchError extends Error {
  override name = 'WatchError';
}


export interface RunProgress {
  status: RunStatus;
  slotsDone: number;
  error: string | null;
  /**
   * Set for a `running` run whose writer stopped updating it (no heartbeat for more than
   * STALE_AFTER_MS, store/schema.ts: killed or crashed): "stopped unexpectedly (last update …)".
   */
  stopped?: string;
}


export class RunReader {
  private constructor(
    readonly file: string,
    private readonly db: Db,
    readonly runId: number,
    readonly info: RunInfo,
    /** The database has a loc_slots table (runs that localise targets). */
    private readonly hasLoc: boolean,
    /** The database has a link_slots table (per-AP fronthaul bits; older databases do not). */
    private readonly hasLinks: boolean = false,
  ) {}

  static async open(file: string): Promise<RunReader> {
    let db: Db;
    try {
      db = openReadOnly(file);
    } catch (e) {
      throw new WatchError(`${file}: cannot open (${(e as Error).message.replace(/^SQLITE_\w+: /, '')})`);
    }
    try {
      db.pragma('busy_timeout = 2000');
      let kind: { value: string } | undefined;
      try {
        kind = getSync<{ value: string }>(db, "SELECT value FROM meta WHERE key = 'kind'");
      } catch {
        kind = undefined; // no meta table: not a run database
      }
      if (kind?.value !== 'isac-twin-run') throw new WatchError(`${file}: not an isac-twin run database`);
      const row = getSync<RunsRow>(db, 'SELECT * FROM runs ORDER BY run_id DESC LIMIT 1');
      if (!row) throw new WatchError(`${file}: the database holds no run yet`);
      // Databases written before cell-free networks have no kind, area or CPU: multicell.
      const topo = JSON.parse(row.topology_json) as {
        bsPosM: number[];
        cellRadiusM: number;
        userBs: number[];
        targetBs: number[];
        kind?: 'multicell' | 'cell-free';
        area?: { minM: number[]; maxM: number[] };
        cpuPosM?: number[];
      };
      const resolved = JSON.parse(row.resolved_json) as { timing?: { csiFeedbackDelayMs?: number } };
      const info: RunInfo = {
        scenario: row.name,
        policy: row.policy,
        seed: row.seed,
        backend: row.backend,
        shadows: JSON.parse(row.shadows_json) as string[],
        slotMs: row.slot_ms,
        durationSlots: row.duration_slots,
        logEvery: row.log_every,
        numBs: row.num_bs,
        numUsers: row.num_users,
        numTargets: row.num_targets,
        bsPosM: Float64Array.from(topo.bsPosM),
        cellRadiusM: topo.cellRadiusM,
        userBs: Int32Array.from(topo.userBs),
        targetBs: Int32Array.from(topo.targetBs),
        csiDelaySlots: Math.ceil((resolved.timing?.csiFeedbackDelayMs ?? 0) / row.slot_ms - 1e-9),
        dbPath: file,
        kind: topo.kind === 'cell-free' ? 'cell-free' : 'multicell',
        ...(topo.area?.minM && topo.area.maxM ? { area: { minM: topo.area.minM, maxM: topo.area.maxM } } : {}),
        ...(topo.cpuPosM ? { cpuPosM: Float64Array.from(topo.cpuPosM) } : {}),
      };
      const table = (name: string) => getSync(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) !== undefined;
      return new RunReader(file, db, row.run_id, info, table('loc_slots'), table('link_slots'));
    } catch (e) {
      closeQuietly(db); // the error below is what matters
      if (e instanceof WatchError) throw e;
      throw new WatchError(`${file}: not an isac-twin run database (${(e as Error).message})`);
    }
  }

  /** `now`: wall clock in ms since the epoch (tests pass their own). */
  async progress(now = Date.now()): Promise<RunProgress> {
    const r = getSync<{ status: RunStatus; slots_done: number; error: string | null; heartbeat_at?: string | null }>(
      this.db,
      'SELECT * FROM runs WHERE run_id = ?',
      [this.runId],
    )!;
    const beat = r.heartbeat_at === undefined || r.heartbeat_at === null ? fileMtimeMs(this.file) : undefined;
    const live = writerStopped(r, now, beat);
    return { status: r.status, slotsDone: r.slots_done, error: r.error, ...(live?.stopped ? { stopped: stoppedText(live) } : {}) };
  }

  /** [first, last] logged slot, or [−1, −1] when none is committed yet. */
  async slotRange(): Promise<[number, number]> {
    const r = getSync<{ lo: number | null; hi: number | null }>(this.db, 'SELECT MIN(slot) AS lo, MAX(slot) AS hi FROM slots');
    return r && r.hi !== null ? [r.lo!, r.hi] : [-1, -1];
  }

  /**
   * Slot records with from < slot ≤ to, in slot order; with `step` > 1 only slots that are
   * multiples of it (a thinned history for sparklines after a jump).
   */
  async slots(from: number, to: number, step = 1): Promise<SlotView[]> {
    if (to <= from) return [];
    const { numBs, numUsers, numTargets } = this.info;
    const where = step > 1 ? 'slot > ? AND slot <= ? AND slot % ? = 0' : 'slot > ? AND slot <= ?';
    const p = step > 1 ? [from, to, step] : [from, to];
    const [slots, bs, users, targets, locs, links] = [
      allSync<{ slot: number; t_ms: number; rc: number; rs: number; objective: number }>(this.db, `SELECT slot, t_ms, rc, rs, objective FROM slots WHERE ${where} ORDER BY slot`, p),
      allSync<{ slot: number; bs: number; policy: string; fallback: number; sum_rate: number; radar_rate: number; power_w: number; beam_az_deg: number | null }>(
        this.db,
        `SELECT slot, bs, policy, fallback, sum_rate, radar_rate, power_w, beam_az_deg FROM bs_slots WHERE ${where} ORDER BY slot, bs`,
        p,
      ),
      allSync<{ slot: number; user: number; bs: number; x_m: number; y_m: number; sinr: number; rate: number; csi_age_slots: number | null }>(
        this.db,
        `SELECT slot, user, bs, x_m, y_m, sinr, rate, csi_age_slots FROM user_slots WHERE ${where} ORDER BY slot, user`,
        p,
      ),
      allSync<{ slot: number; target: number; bs: number; x_m: number; y_m: number; sens_sinr: number; radar_rate: number }>(
        this.db,
        `SELECT slot, target, bs, x_m, y_m, sens_sinr, radar_rate FROM target_slots WHERE ${where} ORDER BY slot, target`,
        p,
      ),
      this.hasLoc
        ? allSync<{ slot: number; target: number; x_est_m: number | null; y_est_m: number | null; crlb_m2: number | null }>(
            this.db,
            `SELECT slot, target, x_est_m, y_est_m, crlb_m2 FROM loc_slots WHERE ${where} ORDER BY slot, target`,
            p,
          )
        : [],
      this.hasLinks
        ? allSync<{ slot: number; ap: number; up_bits: number; down_bits: number; peer_bits: number }>(
            this.db,
            `SELECT slot, ap, up_bits, down_bits, peer_bits FROM link_slots WHERE ${where} ORDER BY slot, ap`,
            p,
          )
        : [],
    ] as const;
    const out: SlotView[] = [];
    const bySlot = new Map<number, SlotView & { bs: Required<SlotView['bs']> }>();
    for (const s of slots) {
      const v = {
        slot: s.slot,
        tUs: s.t_ms * 1000,
        rc: s.rc,
        rs: s.rs,
        objective: s.objective,
        userSinr: new Float64Array(numUsers),
        userRate: new Float64Array(numUsers),
        userCsiAge: new Int32Array(numUsers).fill(-1),
        userPosM: new Float64Array(2 * numUsers),
        targetSinr: new Float64Array(numTargets),
        targetRate: new Float64Array(numTargets),
        targetPosM: new Float64Array(2 * numTargets),
        // The association of the slot (user_slots.bs, target_slots.bs): it changes with handovers.
        userBs: Int32Array.from(this.info.userBs),
        targetBs: Int32Array.from(this.info.targetBs),
        // Links that carried nothing have no row: zero bits.
        ...(this.hasLinks ? { fronthaul: { upBits: new Float64Array(numBs), downBits: new Float64Array(numBs), peerBits: new Float64Array(numBs) } } : {}),
        bs: {
          policy: new Array<string>(numBs).fill('none'),
          fallback: new Uint8Array(numBs),
          powerW: new Float64Array(numBs),
          beamAzDeg: new Float64Array(numBs).fill(NaN),
          sumRate: new Float64Array(numBs),
          radarRate: new Float64Array(numBs),
        },
      };
      bySlot.set(s.slot, v);
      out.push(v);
    }
    for (const r of bs) {
      const v = bySlot.get(r.slot);
      if (!v || r.bs >= numBs) continue;
      v.bs.policy[r.bs] = r.policy;
      (v.bs.fallback as Uint8Array)[r.bs] = r.fallback;
      (v.bs.powerW as Float64Array)[r.bs] = r.power_w;
      (v.bs.beamAzDeg as Float64Array)[r.bs] = r.beam_az_deg ?? NaN;
      (v.bs.sumRate as Float64Array)[r.bs] = r.sum_rate;
      (v.bs.radarRate as Float64Array)[r.bs] = r.radar_rate;
    }
    for (const r of users) {
      const v = bySlot.get(r.slot);
      if (!v || r.user >= numUsers) continue;
      (v.userSinr as Float64Array)[r.user] = r.sinr;
      (v.userRate as Float64Array)[r.user] = r.rate;
      (v.userCsiAge as Int32Array)[r.user] = r.csi_age_slots ?? -1;
      (v.userBs as Int32Array)[r.user] = r.bs;
      (v.userPosM as Float64Array)[2 * r.user] = r.x_m;
      (v.userPosM as Float64Array)[2 * r.user + 1] = r.y_m;
    }
    for (const r of targets) {
      const v = bySlot.get(r.slot);
      if (!v || r.target >= numTargets) continue;
      (v.targetSinr as Float64Array)[r.target] = r.sens_sinr;
      (v.targetRate as Float64Array)[r.target] = r.radar_rate;
      (v.targetBs as Int32Array)[r.target] = r.bs;
      (v.targetPosM as Float64Array)[2 * r.target] = r.x_m;
      (v.targetPosM as Float64Array)[2 * r.target + 1] = r.y_m;
    }
    for (const r of links) {
      const fh = bySlot.get(r.slot)?.fronthaul;
      if (!fh || r.ap >= numBs) continue;
      (fh.upBits as Float64Array)[r.ap] = r.up_bits;
      (fh.downBits as Float64Array)[r.ap] = r.down_bits;
      (fh.peerBits as Float64Array)[r.ap] = r.peer_bits;
    }
    // Localisation: NULL CRLB means not localisable (+∞).
    let numLoc = 0;
    for (const r of locs) numLoc = Math.max(numLoc, r.target + 1);
    for (const r of locs) {
      const v = bySlot.get(r.slot);
      if (!v) continue;
      const loc = (v.loc ??= { crlbM2: new Float64Array(numLoc).fill(Infinity), estPosM: new Float64Array(2 * numLoc).fill(NaN) });
      (loc.crlbM2 as Float64Array)[r.target] = r.crlb_m2 ?? Infinity;
      (loc.estPosM as Float64Array)[2 * r.target] = r.x_est_m ?? NaN;
      (loc.estPosM as Float64Array)[2 * r.target + 1] = r.y_est_m ?? NaN;
    }
    return out;
  }

  /** Logged events with from < slot ≤ to, in the order they were written. */
  async events(from: number, to: number): Promise<TwinEvent[]> {
    if (to <= from) return [];
    const rows = allSync<{ slot: number; t_ms: number; kind: TwinEvent['kind']; bs: number | null; detail: string | null }>(
      this.db,
      'SELECT slot, t_ms, kind, bs, detail FROM events WHERE slot > ? AND slot <= ? ORDER BY id',
      [from, to],
    );
    return rows.map((r) => eventOfRow(r));
  }

  async close(): Promise<void> {
    closeQuietly(this.db);
  }
}

/** Rebuilds an event from its row (RunStore.logEvent moved `bs` into its own column). */
export function eventOfRow(r: { slot: number; t_ms: number; kind: TwinEvent['kind']; bs: number | null; detail: string | null }): TwinEvent {
  const detail = r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {};
  const e: Record<string, unknown> = { ...detail, kind: r.kind, slot: r.slot, tUs: Math.round(r.t_ms * 1000) };
  if ((r.kind === 'pilot' || r.kind === 'csi-report' || r.kind === 'echo' || r.kind === 'apply') && r.bs !== null) e.bs = r.bs;
  return e as unknown as TwinEvent;
}
