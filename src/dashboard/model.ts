/**
 * The dashboard's view model: a fold over what a run reports (slot records, events, progress),
 * fed either live by the twin's streams or by polling a run database. It never reads a clock,
 * never renders and never does I/O; wall time arrives inside progress samples. The hot path
 * (`slot`, `event`) does constant work per BS, user and target so it can follow a run that
 * simulates thousands of slots per second; `view()` builds the plain object the panels draw and
 * is called at most at the render rate (≤ 10 per second).
 *
 * Aggregation, so the screen stays readable at any pace:
 *   - sparklines: per BS, the mean of each metric over buckets of `bucketSlots` slots; the last
 *     `numBuckets` buckets are kept (a sliding window in simulated time);
 *   - event log: chatty events (pilots, CSI reports, backhaul, decisions) are counted per window
 *     of `logWindowSlots` slots and written as one line per window; the window still open is
 *     shown live as the last line. The first deadline miss and the first occurrence of each
 *     warning in a window get a line of their own (and go to the permanent `notable` list);
 *     repeats are counted in the window's line.
 */
import type { BeampatternSlot } from '../metrics/beampattern-meter.ts';
import type { TwinEvent } from '../sim/events.ts';
import { bitRate, num, toDb } from './format.ts';

/** What the dashboard knows about a run before it starts (from the scenario, or a database's runs row). */
export interface RunInfo {
  scenario: string;
  policy: string;
  seed: number;
  /** tfjs backend name ('none' when no learned policy runs). */
  backend: string;
  shadows: string[];
  slotMs: number;
  durationSlots: number;
  /** Slots between logged records (1 live; logging.everySlots when read from a database). */
  logEvery: number;
  numBs: number;
  numUsers: number;
  numTargets: number;
  /** [numBs, 2] BS positions (m). */
  bsPosM: Float64Array;
  cellRadiusM: number;
  /** [numUsers] serving BS; [numTargets] sensing BS. */
  userBs: Int32Array;
  targetBs: Int32Array;
  /** Nominal CSI feedback delay (slots): a report that arrives later than this counts as late. */
  csiDelaySlots: number;
  dbPath?: string;
  /** Network kind (undefined = multicell, e.g. a database written before cell-free networks). */
  kind?: 'multicell' | 'cell-free';
  /** Cell-free deployment area (m), drawn instead of hexagonal cells. */
  area?: { minM: ArrayLike<number>; maxM: ArrayLike<number> };
  /** [2] position of the central unit / CPU (m). */
  cpuPosM?: ArrayLike<number>;
}

/** True when the run is a cell-free network (APs over an area, no cells). */
export const isCellFree = (info: RunInfo): boolean => info.kind === 'cell-free';

/**
 * The part of a slot record the dashboard reads. The twin's `SlotRecord` is one; a database
 * reader builds them from rows (with `bs.sumRate` / `bs.radarRate` precomputed).
 */
export interface SlotView {
  slot: number;
  tUs: number;
  rc: number;
  rs: number;
  objective: number;
  /** [numUsers] linear SINR, rate (bit/s/Hz), CSI age (slots, −1 = no beam yet), [numUsers, 2] positions (m). */
  userSinr: ArrayLike<number>;
  userRate: ArrayLike<number>;
  userCsiAge: ArrayLike<number>;
  userPosM: ArrayLike<number>;
  /** [numTargets] linear sensing SINR, radar rate, [numTargets, 2] positions (m). */
  targetSinr: ArrayLike<number>;
  targetRate: ArrayLike<number>;
  targetPosM: ArrayLike<number>;
  /**
   * TOA localisation, when the scenario localises targets: per localised target the CRLB
   * C_{x,y} (m², +∞ when not localisable) and [n, 2] the latest position estimates (m).
   */
  loc?: { crlbM2: ArrayLike<number>; estPosM: ArrayLike<number> };
  bs: {
    policy: string[];
    fallback: ArrayLike<number>;
    powerW: ArrayLike<number>;
    /** Main beam azimuth (deg from east, counter-clockwise); NaN when silent. */
    beamAzDeg: ArrayLike<number>;
    /** [numBs] sum rate of the served users and radar rate of the sensed targets, if known. */
    sumRate?: ArrayLike<number>;
    radarRate?: ArrayLike<number>;
  };
  /** [numUsers] primary AP per user and [numTargets] sensing AP per target in this slot (default: the run info's). */
  userBs?: ArrayLike<number>;
  targetBs?: ArrayLike<number>;
  /** Fronthaul bits offered per AP link this slot (AP → CPU, CPU → AP, AP → APs). */
  fronthaul?: { upBits: ArrayLike<number>; downBits: ArrayLike<number>; peerBits: ArrayLike<number> };
  /** Every AP's transmit beampattern and L_r (scenarios with `sensing.beampattern`, on the measured slots). */
  beampattern?: BeampatternSlot;
}

/** A progress sample: how far the run is and when (wall seconds on any monotonic clock). */
export interface ProgressSample {
  slotsDone: number;
  simulatedS: number;
  wallS: number;
}

export type RunState = 'starting' | 'running' | 'paused' | 'completed' | 'interrupted' | 'failed';
export type LogLevel = 'info' | 'note' | 'warn' | 'error';

export interface LogLine {
  id: number;
  slot: number;
  level: LogLevel;
  text: string;
}

/** Sensing metric drawn in the second sparkline of each BS. */
export type SensMetric = 'sinr' | 'rate' | 'crlb';
export const SENS_METRICS: readonly SensMetric[] = ['sinr', 'rate', 'crlb'];

export interface BsView {
  bs: number;
  policy: string;
  fallback: boolean;
  powerDbm: number;
  beamAzDeg: number;
  /** Latest slot: sum rate of the served users, radar rate and mean sensing SINR (dB) of its targets. */
  sumRate: number;
  radarRate: number;
  sensSinrDb: number;
  /** Fronthaul bits per slot of its link (up + down + peer; mean over the newest sparkline bucket), NaN when the record has none; users whose primary AP it is. */
  fronthaulBits: number;
  primaryUsers: number;
  /** L_r of its beams at the latest measured slot (NaN: not measured, no target or no power). */
  lr: number;
  /** The sensing-constraint monitor's μ at that slot (NaN without `beampattern.epsilon`). */
  mu: number;
  /** Bucket means, oldest first, newest last (NaN = no data in that bucket). */
  series: { sumRate: number[]; sinr: number[]; rate: number[] };
}

/** Network-wide rows (the cells panel's aggregate lines): bucket means and the latest slot. */
export interface NetView {
  rcSeries: number[];
  rsSeries: number[];
  /** Fronthaul bits per slot over all links and on the busiest link (means over the newest bucket; NaN without fronthaul data), and its series of totals. */
  fhTotalBits: number;
  fhMaxBits: number;
  /** AP of the busiest link (−1 when no link carried anything). */
  fhMaxAp: number;
  fhSeries: number[];
  /** Handovers seen so far (users and targets) and the association version in force. */
  handovers: number;
  associationVersion: number;
}

/** A localised target: the RMSE bound √C_{x,y} (m) now and its bucket means. */
export interface LocView {
  target: number;
  rmseBoundM: number;
  series: number[];
}

export interface UserRow {
  user: number;
  bs: number;
  sinrDb: number;
  rate: number;
  csiAge: number;
}

export interface DashboardView {
  info: RunInfo;
  state: RunState;
  /** Extra words for the header (the watch command's follow / scrub / replay). */
  mode: string;
  /** Simulated seconds per wall second set for the run (undefined = as fast as possible, null = not known here). */
  pace: number | undefined | null;
  /** Last slot seen (−1 none). */
  slot: number;
  slotsDone: number;
  simulatedS: number;
  fraction: number;
  /** Recent simulated seconds per wall second (NaN before two samples). */
  realTimeFactor: number;
  etaS: number;
  rc: number;
  rs: number;
  rcMean: number;
  rsMean: number;
  bs: BsView[];
  net: NetView;
  users: UserRow[];
  /** Latest positions and beams for the map (empty before the first slot). */
  userPosM: ArrayLike<number>;
  targetPosM: ArrayLike<number>;
  beamAzDeg: ArrayLike<number>;
  /** Localisation estimates for the map ([n, 2] m; empty without localisation). */
  locEstPosM: ArrayLike<number>;
  loc: LocView[];
  hasCrlb: boolean;
  /** The latest measured beampatterns (undefined: the run does not measure them) and their slot. */
  beampattern?: BeampatternSlot;
  beampatternSlot: number;
  /** Closed log lines, oldest first, then the open window's line (if any) as `openLine`. */
  log: LogLine[];
  openLine: LogLine | undefined;
  /** Permanent lines (first misses, warnings, notes) for <Static>, oldest first. */
  notable: LogLine[];
  bucketSlots: number;
  logWindowSlots: number;
}

export interface ModelOptions {
  /** Slots per sparkline bucket (default 100 ms of simulated time, at least logEvery). */
  bucketSlots?: number;
  /** Buckets kept per series (default 200). */
  numBuckets?: number;
  /** Slots per event-log window (default 1 s of simulated time). */
  logWindowSlots?: number;
  /** Log lines kept (default 200). */
  maxLog?: number;
  /** Lines kept for <Static> (default 500; 0 disables the notable list, e.g. when scrubbing a database). */
  maxNotable?: number;
}

/** Per-BS ring of bucket means of one metric. */
class BucketSeries {
  private readonly sum: Float64Array;
  private readonly count: Uint32Array;
  private readonly id: Float64Array;
  constructor(private readonly n: number) {
    this.sum = new Float64Array(n);
    this.count = new Uint32Array(n);
    this.id = new Float64Array(n).fill(-1);
  }
  add(bucket: number, v: number): void {
    if (!Number.isFinite(v)) return;
    const k = bucket % this.n;
    if (this.id[k] !== bucket) {
      this.id[k] = bucket;
      this.sum[k] = 0;
      this.count[k] = 0;
    }
    this.sum[k] += v;
    this.count[k]++;
  }
  /** Means of buckets (last − n, last], oldest first. */
  values(last: number): number[] {
    const out = new Array<number>(this.n);
    for (let i = 0; i < this.n; i++) {
      const b = last - this.n + 1 + i;
      const k = b % this.n;
      out[i] = b >= 0 && this.id[k] === b && this.count[k] > 0 ? this.sum[k] / this.count[k] : NaN;
    }
    return out;
  }
  /** Mean of bucket `last` (NaN when it has no data). */
  latest(last: number): number {
    const k = last % this.n;
    return this.id[k] === last && this.count[k] > 0 ? this.sum[k] / this.count[k] : NaN;
  }
  clear(): void {
    this.id.fill(-1);
  }
}

/** Counts of one event-log window. */
interface LogWindow {
  start: number;
  lastSlot: number;
  pilots: number;
  csi: number;
  csiLate: number;
  bhCsi: number;
  bhBeams: number;
  bhMinUs: number;
  bhMaxUs: number;
  bhBits: number;
  handovers: number;
  associations: number;
  decisions: number;
  computeMsSum: number;
  computeN: number;
  fallbackApplies: number;
  misses: number;
  solves: number;
  solveFailures: number;
  warnings: Map<string, number>;
}

/** The fields of a solver event the log reads. */
interface SolveEvent {
  by: number;
  policy: string;
  status: string;
  fallback: string | null;
}

function newWindow(start: number): LogWindow {
  return {
    start,
    lastSlot: start,
    pilots: 0,
    csi: 0,
    csiLate: 0,
    bhCsi: 0,
    bhBeams: 0,
    bhMinUs: Infinity,
    bhMaxUs: -Infinity,
    bhBits: 0,
    handovers: 0,
    associations: 0,
    decisions: 0,
    computeMsSum: 0,
    computeN: 0,
    fallbackApplies: 0,
    misses: 0,
    solves: 0,
    solveFailures: 0,
    warnings: new Map(),
  };
}

/** Paced speeds that + / − step through (simulated s per wall s). */
export const PACE_LADDER: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * The pace after pressing + (dir 1) or − (dir −1). From as-fast-as-possible (undefined) both
 * switch to a paced speed next to the measured real-time factor (1× when unknown); + past the
 * fastest paced speed returns to as-fast-as-possible; − stops at the slowest.
 */
export function nextSpeed(current: number | undefined, dir: 1 | -1, measuredRtf: number): number | undefined {
  const base = current ?? (Number.isFinite(measuredRtf) && measuredRtf > 0 ? measuredRtf : 1);
  if (dir > 0) {
    // Past the top of the ladder: as fast as possible again.
    return PACE_LADDER.find((s) => s > base * (1 + 1e-9));
  }
  const down = [...PACE_LADDER].reverse().find((s) => s < base * (1 - 1e-9));
  return down ?? PACE_LADDER[0];
}

export class ViewModel {
  readonly bucketSlots: number;
  readonly numBuckets: number;
  readonly logWindowSlots: number;
  private readonly maxLog: number;
  private readonly maxNotable: number;
  private readonly servedUsers: number[][];
  private readonly targetsOf: number[][];
  private readonly series: Array<Record<'sumRate' | 'sinr' | 'rate' | 'fh', BucketSeries>>;
  private readonly locSeries: BucketSeries[] = [];
  private last: SlotView | undefined;
  /** The latest slot that carried beampatterns, and its slot number. */
  private pattern: BeampatternSlot | undefined;
  private patternSlot = -1;
  private lastBucket = -1;
  private lastSums: { sumRate: number; radar: number; sinrDb: number; users: number }[];
  /** Per-slot scratch sums per BS (sum rate, radar rate, target SINR sum, targets, users). */
  private readonly scratch: { sumRate: Float64Array; radar: Float64Array; sinr: Float64Array; targets: Int32Array; users: Int32Array };
  private readonly netSeries: Record<'rc' | 'rs' | 'fh', BucketSeries>;
  private hasFh = false;
  private handovers = 0;
  private associationVersion = 0;
  private rcSum = 0;
  private rsSum = 0;
  private n = 0;
  private hasCrlb = false;
  private window: LogWindow | undefined;
  private log: LogLine[] = [];
  private notable: LogLine[] = [];
  private notableDropped = false;
  private nextId = 1;
  private samples: ProgressSample[] = [];
  private slotsDone = 0;
  private simulatedS = 0;
  private state: RunState = 'starting';
  private mode = '';
  private pace: number | undefined | null;
  /** Highest CSI measurement slot reported per BS (to spot reordered reports). */
  private csiMeasured: Int32Array;
  /** Bumped on every change, so a renderer can skip frames that would be identical. */
  version = 0;

  constructor(
    readonly info: RunInfo,
    opts: ModelOptions = {},
  ) {
    const perMs = 1 / info.slotMs;
    this.bucketSlots = Math.max(1, opts.bucketSlots ?? Math.max(info.logEvery, Math.round(100 * perMs)));
    this.numBuckets = opts.numBuckets ?? 200;
    this.logWindowSlots = Math.max(1, opts.logWindowSlots ?? Math.max(info.logEvery, Math.round(1000 * perMs)));
    this.maxLog = opts.maxLog ?? 200;
    this.maxNotable = opts.maxNotable ?? 500;
    this.servedUsers = Array.from({ length: info.numBs }, () => []);
    info.userBs.forEach((m, u) => this.servedUsers[m]?.push(u));
    this.targetsOf = Array.from({ length: info.numBs }, () => []);
    info.targetBs.forEach((m, i) => this.targetsOf[m]?.push(i));
    this.series = Array.from({ length: info.numBs }, () => ({
      sumRate: new BucketSeries(this.numBuckets),
      sinr: new BucketSeries(this.numBuckets),
      rate: new BucketSeries(this.numBuckets),
      fh: new BucketSeries(this.numBuckets),
    }));
    this.lastSums = Array.from({ length: info.numBs }, () => ({ sumRate: NaN, radar: NaN, sinrDb: NaN, users: 0 }));
    const M = info.numBs;
    this.scratch = { sumRate: new Float64Array(M), radar: new Float64Array(M), sinr: new Float64Array(M), targets: new Int32Array(M), users: new Int32Array(M) };
    this.netSeries = { rc: new BucketSeries(this.numBuckets), rs: new BucketSeries(this.numBuckets), fh: new BucketSeries(this.numBuckets) };
    this.csiMeasured = new Int32Array(info.numBs).fill(-1);
  }

  /** Forgets every slot and event (the run info, pace and mode stay): used before re-reading a range. */
  reset(): void {
    for (const s of this.series) for (const k of Object.values(s)) k.clear();
    for (const s of this.locSeries) s.clear();
    this.last = undefined;
    this.lastBucket = -1;
    for (const s of this.lastSums) Object.assign(s, { sumRate: NaN, radar: NaN, sinrDb: NaN, users: 0 });
    for (const s of Object.values(this.netSeries)) s.clear();
    this.hasFh = false;
    this.handovers = 0;
    this.associationVersion = 0;
    this.rcSum = this.rsSum = this.n = 0;
    this.pattern = undefined;
    this.patternSlot = -1;
    this.window = undefined;
    this.log = [];
    this.csiMeasured.fill(-1);
    this.version++;
  }

  /** Folds in one slot record. */
  slot(r: SlotView): void {
    this.rollWindow(r.slot);
    this.last = r;
    if (r.beampattern) {
      this.pattern = r.beampattern;
      this.patternSlot = r.slot;
    }
    if (this.state === 'starting') this.state = 'running';
    this.n++;
    this.rcSum += r.rc;
    this.rsSum += r.rs;
    const bucket = Math.floor(r.slot / this.bucketSlots);
    if (bucket > this.lastBucket) this.lastBucket = bucket;
    const loc = r.loc;
    if (loc) {
      this.hasCrlb = true;
      for (let i = 0; i < loc.crlbM2.length; i++) {
        this.locSeries[i] ??= new BucketSeries(this.numBuckets);
        this.locSeries[i].add(bucket, Math.sqrt(loc.crlbM2[i]));
      }
    }
    this.netSeries.rc.add(bucket, r.rc);
    this.netSeries.rs.add(bucket, r.rs);
    // Per BS / AP: the users whose primary AP it is and the targets it senses, as of this slot
    // (the record's association when it carries one: it changes with handovers).
    const M = this.info.numBs;
    const sc = this.scratch;
    sc.sumRate.fill(0);
    sc.radar.fill(0);
    sc.sinr.fill(0);
    sc.targets.fill(0);
    sc.users.fill(0);
    if (r.userBs) {
      for (let u = 0; u < r.userBs.length; u++) {
        const m = r.userBs[u];
        if (m < 0 || m >= M) continue;
        sc.users[m]++;
        sc.sumRate[m] += r.userRate[u];
      }
    } else {
      for (let m = 0; m < M; m++) {
        sc.users[m] = this.servedUsers[m].length;
        for (const u of this.servedUsers[m]) sc.sumRate[m] += r.userRate[u];
      }
    }
    const targetBs = r.targetBs ?? this.info.targetBs;
    for (let i = 0; i < targetBs.length; i++) {
      const m = targetBs[i];
      if (m < 0 || m >= M) continue;
      sc.targets[m]++;
      sc.radar[m] += r.targetRate[i];
      sc.sinr[m] += r.targetSinr[i];
    }
    const fh = r.fronthaul;
    let fhTotal = 0;
    for (let m = 0; m < M; m++) {
      const sumRate = r.bs.sumRate ? r.bs.sumRate[m] : sc.sumRate[m];
      const n = sc.targets[m];
      const radar = r.bs.radarRate ? r.bs.radarRate[m] : sc.radar[m];
      // Sensing SINR of a BS: the mean of its targets' SINR, in dB.
      const sinrDb = n ? toDb(sc.sinr[m] / n) : NaN;
      const s = this.series[m];
      s.sumRate.add(bucket, sumRate);
      s.rate.add(bucket, n ? radar : NaN);
      s.sinr.add(bucket, sinrDb);
      const l = this.lastSums[m];
      l.sumRate = sumRate;
      l.radar = n ? radar : NaN;
      l.sinrDb = sinrDb;
      l.users = sc.users[m];
      if (fh) {
        const bits = fh.upBits[m] + fh.downBits[m] + fh.peerBits[m];
        s.fh.add(bucket, bits);
        fhTotal += bits;
      }
    }
    if (fh) {
      this.hasFh = true;
      this.netSeries.fh.add(bucket, fhTotal);
    }
    if (this.window) this.window.lastSlot = Math.max(this.window.lastSlot, r.slot);
    this.version++;
  }

  /** Folds in one event. */
  event(e: TwinEvent): void {
    this.rollWindow(e.slot);
    const w = this.window!;
    w.lastSlot = Math.max(w.lastSlot, e.slot);
    switch (e.kind) {
      case 'pilot':
        w.pilots++;
        break;
      case 'csi-report': {
        w.csi++;
        const prev = this.csiMeasured[e.bs] ?? -1;
        if (e.slot - e.measuredSlot > this.info.csiDelaySlots || e.measuredSlot <= prev) w.csiLate++;
        if (e.measuredSlot > prev) this.csiMeasured[e.bs] = e.measuredSlot;
        break;
      }
      case 'backhaul': {
        if (e.payload === 'csi') w.bhCsi++;
        else w.bhBeams++;
        if (Number.isFinite(e.bits)) w.bhBits += e.bits;
        const lat = e.tUs - e.sentUs;
        if (lat < w.bhMinUs) w.bhMinUs = lat;
        if (lat > w.bhMaxUs) w.bhMaxUs = lat;
        break;
      }
      case 'handover':
        w.handovers++;
        this.handovers++;
        if (e.version > this.associationVersion) this.associationVersion = e.version;
        break;
      case 'association':
        if (e.slot > 0) w.associations++;
        if (e.version > this.associationVersion) this.associationVersion = e.version;
        break;
      case 'decision':
        w.decisions++;
        if (e.computeMs !== null && Number.isFinite(e.computeMs)) {
          w.computeMsSum += e.computeMs;
          w.computeN++;
        }
        break;
      case 'apply':
        if (e.fallback) w.fallbackApplies++;
        break;
      case 'deadline-miss':
        if (w.misses++ === 0) {
          const who = e.by < 0 ? 'central unit' : `BS${e.by}`;
          this.addLine(
            e.slot,
            'error',
            `${this.at(e.slot)} ${who} ${e.policy} missed its deadline (${num(e.latencyUs / 1000)} ms), fallback ${e.fallback}`,
            true,
          );
        }
        break;
      case 'warning': {
        const seen = w.warnings.get(e.message) ?? 0;
        w.warnings.set(e.message, seen + 1);
        if (seen === 0) this.addLine(e.slot, 'warn', `${this.at(e.slot)} warning: ${e.message}`, true);
        break;
      }
      default:
        this.otherEvent(e as { kind: string; slot: number } & Partial<SolveEvent>, w);
    }
    this.version++;
  }

  /**
   * Kinds the switch above does not name: 'solve' (a solver-based decision; counted, and its
   * first failure in a window listed). Read structurally so the dashboard does not depend on
   * how far the solver events have evolved.
   */
  private otherEvent(e: { kind: string; slot: number } & Partial<SolveEvent>, w: LogWindow): void {
    if (e.kind !== 'solve') return;
    w.solves++;
    if (e.fallback) {
      if (w.solveFailures++ === 0) {
        const who = e.by === undefined || e.by < 0 ? 'central unit' : `BS${e.by}`;
        this.addLine(e.slot, 'error', `${this.at(e.slot)} ${who} ${e.policy ?? ''} solve ${e.status ?? 'failed'}, fallback ${e.fallback}`, true);
      }
    }
  }

  /** A progress sample (after each chunk live; after each poll from a database). */
  progress(p: ProgressSample): void {
    this.slotsDone = p.slotsDone;
    this.simulatedS = p.simulatedS;
    if (this.state === 'starting' && p.slotsDone > 0) this.state = 'running';
    const s = this.samples;
    if (s.length && p.wallS < s[s.length - 1].wallS) s.length = 0;
    s.push({ ...p });
    // Keep ~3 s of wall time for the recent real-time factor.
    while (s.length > 2 && s[1].wallS <= p.wallS - 3) s.shift();
    this.version++;
  }

  /** Forgets the progress samples (the real-time factor is unknown until two new ones). */
  resetRate(): void {
    this.samples = [];
    this.version++;
  }

  /** A line from the operator's side (pause, pace, quit …), logged and kept. */
  note(text: string, slot = this.last?.slot ?? -1): void {
    this.addLine(slot, 'note', slot >= 0 ? `${this.at(slot)} ${text}` : text, true);
    this.version++;
  }

  setPaused(paused: boolean): void {
    if (this.state === 'running' || this.state === 'starting' || this.state === 'paused') this.state = paused ? 'paused' : 'running';
    this.version++;
  }

  setPace(speed: number | undefined | null): void {
    this.pace = speed;
    this.version++;
  }

  get currentPace(): number | undefined | null {
    return this.pace;
  }

  setMode(mode: string): void {
    if (mode !== this.mode) {
      this.mode = mode;
      this.version++;
    }
  }

  /** Marks the end of the run; closes the open log window. */
  finish(state: Extract<RunState, 'completed' | 'interrupted' | 'failed'>, detail?: string): void {
    this.closeWindow();
    this.state = state;
    const slot = this.last?.slot ?? -1;
    this.addLine(slot, state === 'failed' ? 'error' : 'note', `run ${state} after ${this.slotsDone} slots${detail ? `: ${detail}` : ''}`, true);
    this.version++;
  }

  get runState(): RunState {
    return this.state;
  }

  /** Recent simulated seconds per wall second (NaN until two samples 0.2 s apart). */
  realTimeFactor(): number {
    const s = this.samples;
    if (s.length < 2) return NaN;
    const a = s[0];
    const b = s[s.length - 1];
    const dt = b.wallS - a.wallS;
    return dt >= 0.2 ? (b.simulatedS - a.simulatedS) / dt : NaN;
  }

  view(): DashboardView {
    const info = this.info;
    const r = this.last;
    const rtf = this.realTimeFactor();
    const remainingS = ((info.durationSlots - this.slotsDone) * info.slotMs) / 1000;
    const bs: BsView[] = [];
    // Fronthaul: the mean bits per slot of the newest bucket (per slot it comes in bursts, e.g. CSI every pilot period).
    const fhNow = (b: BucketSeries) => (this.hasFh && this.lastBucket >= 0 ? b.latest(this.lastBucket) : NaN);
    let fhTotal = NaN;
    let fhMax = NaN;
    let fhMaxAp = -1;
    for (let m = 0; m < info.numBs; m++) {
      const s = this.series[m];
      const l = this.lastSums[m];
      const fh = fhNow(s.fh);
      if (Number.isFinite(fh)) {
        fhTotal = (Number.isFinite(fhTotal) ? fhTotal : 0) + fh;
        if (!(fh <= fhMax)) {
          fhMax = fh;
          if (fh > 0) fhMaxAp = m;
        }
      }
      bs.push({
        bs: m,
        policy: r ? r.bs.policy[m] : 'none',
        fallback: r ? r.bs.fallback[m] === 1 : false,
        powerDbm: r ? toDb(r.bs.powerW[m]) + 30 : NaN,
        beamAzDeg: r ? r.bs.beamAzDeg[m] : NaN,
        sumRate: l.sumRate,
        radarRate: l.radar,
        sensSinrDb: l.sinrDb,
        fronthaulBits: fh,
        primaryUsers: l.users,
        lr: this.pattern ? this.pattern.lr[m] : NaN,
        mu: this.pattern?.mu ? this.pattern.mu[m] : NaN,
        series: {
          sumRate: s.sumRate.values(this.lastBucket),
          sinr: s.sinr.values(this.lastBucket),
          rate: s.rate.values(this.lastBucket),
        },
      });
    }
    const users: UserRow[] = [];
    for (let u = 0; u < info.numUsers; u++) {
      users.push({
        user: u,
        bs: r?.userBs ? r.userBs[u] : info.userBs[u],
        sinrDb: r ? toDb(r.userSinr[u]) : NaN,
        rate: r ? r.userRate[u] : NaN,
        csiAge: r ? r.userCsiAge[u] : -1,
      });
    }
    const done = this.state === 'completed' || this.state === 'interrupted' || this.state === 'failed';
    return {
      info,
      state: this.state,
      mode: this.mode,
      pace: this.pace,
      slot: r ? r.slot : -1,
      slotsDone: this.slotsDone,
      simulatedS: this.simulatedS,
      fraction: info.durationSlots > 0 ? this.slotsDone / info.durationSlots : 0,
      realTimeFactor: rtf,
      etaS: done ? 0 : rtf > 0 ? remainingS / rtf : NaN,
      rc: r ? r.rc : NaN,
      rs: r ? r.rs : NaN,
      rcMean: this.n ? this.rcSum / this.n : NaN,
      rsMean: this.n ? this.rsSum / this.n : NaN,
      bs,
      net: {
        rcSeries: this.netSeries.rc.values(this.lastBucket),
        rsSeries: this.netSeries.rs.values(this.lastBucket),
        fhTotalBits: fhTotal,
        fhMaxBits: fhMax,
        fhMaxAp,
        fhSeries: this.netSeries.fh.values(this.lastBucket),
        handovers: this.handovers,
        associationVersion: this.associationVersion,
      },
      users,
      userPosM: r ? r.userPosM : [],
      targetPosM: r ? r.targetPosM : [],
      beamAzDeg: r ? r.bs.beamAzDeg : [],
      locEstPosM: r?.loc ? r.loc.estPosM : [],
      loc: this.locSeries.map((series, target) => ({
        target,
        rmseBoundM: r?.loc ? Math.sqrt(r.loc.crlbM2[target]) : NaN,
        series: series.values(this.lastBucket),
      })),
      hasCrlb: this.hasCrlb,
      beampattern: this.pattern,
      beampatternSlot: this.patternSlot,
      log: this.log.slice(),
      openLine: this.window ? this.windowLine(this.window, false) : undefined,
      notable: this.notable.slice(),
      bucketSlots: this.bucketSlots,
      logWindowSlots: this.logWindowSlots,
    };
  }

  // ------------------------------------------------------------------ internals

  private at(slot: number): string {
    return `${((slot * this.info.slotMs) / 1000).toFixed(3)} s`;
  }

  private addLine(slot: number, level: LogLevel, text: string, notable: boolean): void {
    const line = { id: this.nextId++, slot, level, text };
    this.log.push(line);
    if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
    if (!notable || this.maxNotable <= 0) return;
    if (this.notable.length < this.maxNotable) this.notable.push(line);
    else if (!this.notableDropped) {
      this.notableDropped = true;
      this.notable.push({ id: this.nextId++, slot, level: 'note', text: `(more than ${this.maxNotable} notable lines: the rest are in the live log and the database only)` });
    }
  }

  /** Closes the open window when `slot` lies past it, and opens the window of `slot`. */
  private rollWindow(slot: number): void {
    const W = this.logWindowSlots;
    if (this.window && slot >= this.window.start + W) this.closeWindow();
    if (!this.window) this.window = newWindow(Math.floor(slot / W) * W);
  }

  private closeWindow(): void {
    const w = this.window;
    if (!w) return;
    this.window = undefined;
    const line = this.windowLine(w, true);
    if (line) {
      this.log.push(line);
      if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
    }
  }

  /** One line summarising a window (undefined when nothing happened in it). */
  private windowLine(w: LogWindow, closed: boolean): LogLine | undefined {
    const parts: string[] = [];
    let level: LogLevel = 'info';
    if (w.misses) {
      parts.push(`${w.misses} deadline miss${w.misses > 1 ? 'es' : ''}`);
      level = 'error';
    }
    let warnings = 0;
    for (const c of w.warnings.values()) warnings += c;
    if (warnings) {
      parts.push(`${warnings} warning${warnings > 1 ? 's' : ''}`);
      if (level === 'info') level = 'warn';
    }
    if (w.csiLate) {
      parts.push(`${w.csiLate} late CSI`);
      if (level === 'info') level = 'warn';
    }
    if (w.pilots) parts.push(`pilots ${w.pilots}`);
    if (w.csi) parts.push(`CSI ${w.csi}`);
    const bh = w.bhCsi + w.bhBeams;
    if (bh) parts.push(`backhaul ${bh} ${num(w.bhMinUs / 1000, 1)}-${num(w.bhMaxUs / 1000, 1)} ms`);
    if (w.bhBits > 0) {
      // Bits per second of simulated time over the window (the open one: so far).
      const slots = closed ? this.logWindowSlots : Math.max(1, w.lastSlot + 1 - w.start);
      parts.push(`fronthaul ${bitRate((w.bhBits * 1000) / (slots * this.info.slotMs))}`);
    }
    if (w.handovers) parts.push(`handovers ${w.handovers}`);
    if (w.associations) parts.push(`re-associations ${w.associations}`);
    if (w.decisions) parts.push(`decisions ${w.decisions}${w.computeN ? ` ${num(w.computeMsSum / w.computeN, 2)} ms` : ''}`);
    if (w.solves) parts.push(`solves ${w.solves}${w.solveFailures ? ` (${w.solveFailures} failed)` : ''}`);
    if (w.solveFailures && level === 'info') level = 'warn';
    if (w.fallbackApplies) parts.push(`fallback ${w.fallbackApplies}`);
    if (!parts.length) return undefined;
    const slotS = this.info.slotMs / 1000;
    const end = closed ? w.start + this.logWindowSlots : w.lastSlot + 1;
    const span = `${(w.start * slotS).toFixed(1)}-${(end * slotS).toFixed(1)} s${closed ? '' : '...'}`;
    return { id: closed ? this.nextId++ : 0, slot: w.start, level, text: `${span} ${parts.join(', ')}` };
  }
}
