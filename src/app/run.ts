/**
 * Runs a scenario end to end: the twin in virtual time, its records into SQLite, pacing to the
 * wall clock when asked, a summary at the end. This is the edge where wall-clock time, timers
 * and I/O live; the twin itself stays pure.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Twin } from '../sim/twin.ts';
// Registers the learned policies (vfl, percell): they read model files, so they live outside the core.
import type { SlotRecord, TwinEvent } from '../sim/events.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import { RunStore, type RunStatus } from '../store/run-store.ts';
import { VIEWS_SQL } from '../store/views.ts';

/** Event kinds written to the events table (per-slot decisions are in bs_slots instead). */
const LOGGED_EVENTS: ReadonlySet<TwinEvent['kind']> = new Set(['pilot', 'csi-report', 'backhaul', 'deadline-miss', 'warning', 'solve', 'handover', 'association']);
/** Logged whatever the decimation: the association in force must be known at every slot. */
const ALWAYS_LOGGED: ReadonlySet<TwinEvent['kind']> = new Set(['handover', 'association']);

export interface RunOptions {
  dbPath: string;
  packageVersion: string;
  backend?: string;
  /** Simulated seconds per wall-clock second; undefined = as fast as possible. */
  speed?: number;
  /** Slots simulated between flushes/progress updates (default: logging.batchSlots). */
  chunkSlots?: number;
  /** Called after every chunk. */
  onProgress?: (p: Progress) => void;
  /** Extra subscribers (dashboard): get the twin before it runs. */
  attach?: (twin: Twin) => void;
  /** Measure policies' compute time with the wall clock (default true). */
  measureCompute?: boolean;
  /** Write to SQLite (default true; bench measures the twin alone with false). */
  log?: boolean;
}

export interface Progress {
  slotsDone: number;
  durationSlots: number;
  simulatedS: number;
  wallS: number;
  /** Simulated time / wall time. */
  realTimeFactor: number;
  rcMean: number;
  rsMean: number;
}

export interface RunSummary {
  status: Exclude<RunStatus, 'running'>;
  dbPath: string;
  scenario: string;
  policy: string;
  seed: number;
  /** tfjs backend of learned policies ('none' when no learned policy ran). */
  backend: string;
  slots: number;
  slotsLogged: number;
  wallS: number;
  slotsPerS: number;
  rcMean: number;
  rsMean: number;
  objectiveMean: number;
  /** Share of BS-slots served by the fallback policy. */
  fallbackShare: number;
  meanCsiAgeSlots: number;
  shadows: Array<{ name: string; rcMean: number; rsMean: number; objectiveMean: number; objectiveGap: number }>;
  error?: string;
}

/** A handle to stop a run from outside (Ctrl-C, the dashboard's q). */
export class RunControl {
  stopped = false;
  paused = false;
  speed: number | undefined;
  private resume?: () => void;
  constructor(speed?: number) {
    this.speed = speed;
  }
  stop(): void {
    this.stopped = true;
    this.resume?.();
  }
  togglePause(): void {
    this.paused = !this.paused;
    if (!this.paused) this.resume?.();
  }
  /** Resolves when not paused (or stopped). */
  async waitWhilePaused(): Promise<void> {
    while (this.paused && !this.stopped) await new Promise<void>((r) => (this.resume = r));
  }
}

class Accumulator {
  n = 0;
  rc = 0;
  rs = 0;
  obj = 0;
  fallback = 0;
  bsSlots = 0;
  ageSum = 0;
  ageN = 0;
  shadows = new Map<string, { rc: number; rs: number; obj: number }>();
  add(r: SlotRecord): void {
    this.n++;
    this.rc += r.rc;
    this.rs += r.rs;
    this.obj += r.objective;
    for (let m = 0; m < r.bs.fallback.length; m++) this.fallback += r.bs.fallback[m];
    this.bsSlots += r.bs.fallback.length;
    for (let u = 0; u < r.userCsiAge.length; u++) {
      if (r.userCsiAge[u] >= 0) {
        this.ageSum += r.userCsiAge[u];
        this.ageN++;
      }
    }
    for (const s of r.shadows) {
      const a = this.shadows.get(s.name) ?? { rc: 0, rs: 0, obj: 0 };
      a.rc += s.rc;
      a.rs += s.rs;
      a.obj += s.objective;
      this.shadows.set(s.name, a);
    }
  }
}

export async function runScenario(loaded: LoadedScenario, opts: RunOptions, control = new RunControl(opts.speed)): Promise<RunSummary> {
  const s = loaded.scenario;
  const measure = opts.measureCompute ?? true;
  const twin = new Twin(loaded, measure ? { computeClock: () => performance.now() } : {});
  const log = opts.log ?? true;
  const store = log
    ? await RunStore.create(opts.dbPath, {
        name: s.name,
        scenarioFile: loaded.file,
        scenarioYaml: loaded.text,
        resolved: s,
        topology: loaded.topology,
        seed: s.seed,
        policy: s.policy.name,
        shadows: s.shadows.map((x) => x.name),
        packageVersion: opts.packageVersion,
        backend: opts.backend ?? 'none',
        startedAt: new Date().toISOString(),
        slotMs: s.timing.slotMs,
        durationSlots: s.durationSlots,
        logEvery: s.logging.everySlots,
      }, VIEWS_SQL)
    : undefined;
  const acc = new Accumulator();
  const every = s.logging.everySlots;
  twin.slots$.subscribe((r) => {
    acc.add(r);
    if (store && r.slot % every === 0) store.logSlot(r);
  });
  if (store) twin.events$.subscribe((e) => LOGGED_EVENTS.has(e.kind) && (e.slot % every === 0 || ALWAYS_LOGGED.has(e.kind)) && store.logEvent(e));
  opts.attach?.(twin);

  const chunk = opts.chunkSlots ?? s.logging.batchSlots;
  const t0 = performance.now();
  let pausedMs = 0;
  let status: RunSummary['status'] = 'completed';
  let error: string | undefined;
  const progress = (): Progress => {
    const wallS = (performance.now() - t0 - pausedMs) / 1000;
    const simulatedS = (twin.slotsCompleted * twin.slotUs) / 1e6;
    return {
      slotsDone: twin.slotsCompleted,
      durationSlots: twin.durationSlots,
      simulatedS,
      wallS,
      realTimeFactor: wallS > 0 ? simulatedS / wallS : 0,
      rcMean: acc.n ? acc.rc / acc.n : 0,
      rsMean: acc.n ? acc.rs / acc.n : 0,
    };
  };
  // Pacing reference, reset when the speed changes and after a pause so that +/− act at once.
  let pace = { wallMs: performance.now(), slots: 0, speed: control.speed };
  // Slots per slice between yields to the event loop (keys, signals, the dashboard), adapted so
  // a slice takes about 30 ms whatever the policy costs; rows are flushed every `chunk` slots.
  let slice = 8;
  let sinceFlush = 0;
  const flush = async () => {
    if (store) await store.flush(twin.slotsCompleted);
    sinceFlush = 0;
    opts.onProgress?.(progress());
  };
  try {
    while (!twin.finished) {
      if (control.stopped) {
        status = 'interrupted';
        break;
      }
      if (control.paused) {
        if (sinceFlush) await flush();
        const p0 = performance.now();
        await control.waitWhilePaused();
        pausedMs += performance.now() - p0;
        pace = { wallMs: performance.now(), slots: twin.slotsCompleted, speed: control.speed };
        continue;
      }
      if (control.speed !== pace.speed) pace = { wallMs: performance.now(), slots: twin.slotsCompleted, speed: control.speed };
      // Paced runs advance at most 50 ms of wall time's worth of slots at a time.
      const paceLimit = control.speed ? Math.max(1, Math.round((0.05 * control.speed * 1e6) / twin.slotUs)) : Infinity;
      const n = Math.max(1, Math.min(slice, paceLimit, chunk - sinceFlush));
      const a = performance.now();
      sinceFlush += twin.runSlots(n);
      const took = performance.now() - a;
      slice = Math.max(1, Math.min(chunk, Math.round(took > 0 ? (n * 30) / took : 2 * n)));
      if (sinceFlush >= chunk || twin.finished || control.speed) await flush();
      if (control.speed) {
        const dueMs = pace.wallMs + ((twin.slotsCompleted - pace.slots) * twin.slotUs) / 1000 / control.speed;
        const aheadMs = dueMs - performance.now();
        // Sleep in short steps so q, p and +/− are seen promptly; a run behind its pace still
        // gives the event loop a turn after every slice (≈ 30–50 ms), or keys and signals would
        // wait for the end of the run (flush's await resolves as a microtask, not a turn).
        if (aheadMs > 1) await sleep(Math.min(aheadMs, 100));
        else await new Promise<void>((r) => setImmediate(r));
      } else {
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    if (sinceFlush) await flush();
  } catch (e) {
    status = 'failed';
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const wallS = (performance.now() - t0) / 1000;
  if (store) await store.finish(status, new Date().toISOString(), twin.slotsCompleted, error);
  const n = Math.max(1, acc.n);
  const objectiveMean = acc.obj / n;
  return {
    status,
    dbPath: opts.dbPath,
    scenario: s.name,
    policy: s.policy.name,
    seed: s.seed,
    backend: opts.backend ?? 'none',
    slots: twin.slotsCompleted,
    slotsLogged: store?.slotsWritten ?? 0,
    wallS,
    slotsPerS: twin.slotsCompleted / Math.max(wallS, 1e-9),
    rcMean: acc.rc / n,
    rsMean: acc.rs / n,
    objectiveMean,
    fallbackShare: acc.bsSlots ? acc.fallback / acc.bsSlots : 0,
    meanCsiAgeSlots: acc.ageN ? acc.ageSum / acc.ageN : NaN,
    shadows: [...acc.shadows].map(([name, a]) => ({
      name,
      rcMean: a.rc / n,
      rsMean: a.rs / n,
      objectiveMean: a.obj / n,
      objectiveGap: objectiveMean - a.obj / n,
    })),
    error,
  };
}
