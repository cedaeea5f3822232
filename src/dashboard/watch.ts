/**
 * `isac-twin watch <run.sqlite>`: the dashboard over a run database, read-only, from any
 * terminal. A running run is followed live (polling the committed batches); a finished one
 * opens on its last slot with a cursor to scrub (← →, home / end) or replay (p, + / −).
 * Without a TTY it prints plain progress lines until the run ends.
 */
import type { DashboardControls } from './App.tsx';
import { RunReader } from './db-source.ts';
import { pace } from './format.ts';
import { nextSpeed, PACE_LADDER, ViewModel, type SlotView } from './model.ts';
import { mountDashboard } from './screen.tsx';
import { DashboardStore } from './store.ts';
import type { TwinEvent } from '../sim/events.ts';

export interface WatchOptions {
  /** Database poll period (ms, default 250). */
  pollMs?: number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  maxFps?: number;
  size?: { cols: number; rows: number };
  /** Monotonic wall clock in seconds (default performance.now() / 1000). */
  clock?: () => number;
}

/** Slots of history read after a jump (thinned to about `HISTORY_READ` slot records). */
const HISTORY_BUCKETS = 120;
const HISTORY_READ = 1500;
/** Log windows of events read after a jump. */
const LOG_WINDOWS = 5;

/** Feeds events and slot records to the model merged in slot order (events of a slot first, as live). */
function feed(model: ViewModel, slots: SlotView[], events: TwinEvent[]): void {
  let k = 0;
  for (const s of slots) {
    while (k < events.length && events[k].slot <= s.slot) model.event(events[k++]);
    model.slot(s);
  }
  while (k < events.length) model.event(events[k++]);
}

/**
 * The cursor logic of `watch`, separate from the screen: follow the live end, replay at a pace,
 * or stay on a slot. `tick()` polls the database once and brings the model to the cursor.
 */
export class WatchSession {
  readonly model: ViewModel;
  readonly store: DashboardStore;
  follow = false;
  playing = false;
  replaySpeed = 1;
  /** Slot the model shows (−1 none yet). */
  cursor = -1;
  private fedTo = -1;
  private first = -1;
  private last = -1;
  private lastWall = NaN;
  private finalSeen = false;
  /** "stopped unexpectedly (last update …)" when the run's writer stopped without closing it. */
  stopped: string | undefined;
  private busy: Promise<void> | undefined;
  private pending: { to: 'back' | 'forward' | 'back-far' | 'forward-far' | 'start' | 'end' }[] = [];

  constructor(
    readonly reader: RunReader,
    private readonly clock: () => number,
  ) {
    this.model = new ViewModel(reader.info, { maxNotable: 0 });
    this.store = new DashboardStore(this.model);
  }

  /** One poll: the run's status, the committed range, then the model brought to the cursor. */
  tick(): Promise<void> {
    this.busy ??= this.poll().finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async poll(): Promise<void> {
    const info = this.reader.info;
    const p = await this.reader.progress();
    [this.first, this.last] = await this.reader.slotRange();
    const now = this.clock();
    const first = this.cursor < 0 && this.fedTo < 0;
    // A run whose writer stopped without closing it (kill -9) is over: not followed as live.
    const running = p.status === 'running' && !p.stopped;
    if (first) this.follow = running;
    let target = this.cursor;
    if (first && !this.follow) target = this.last;
    for (const j of this.pending.splice(0)) target = this.jump(target, j.to);
    if (this.follow) target = this.last;
    else if (this.playing && Number.isFinite(this.lastWall)) {
      const advance = (this.replaySpeed * (now - this.lastWall) * 1000) / info.slotMs;
      target = Math.min(this.last, Math.floor(target + advance));
      if (target >= this.last && !running) this.playing = false;
    }
    this.lastWall = now;
    await this.goTo(target);
    const slotsDone = this.follow ? p.slotsDone : this.cursor + 1;
    // The real-time factor is the run's while following; scrubbing or replaying, it is not.
    if (!this.follow) this.model.resetRate();
    this.model.progress({ slotsDone, simulatedS: (slotsDone * info.slotMs) / 1000, wallS: now });
    // The header's pace: the replay pace when replaying (the run's own pace is not in the database).
    this.model.setPace(this.playing ? this.replaySpeed : null);
    if (!running && !this.finalSeen) {
      this.finalSeen = true;
      // The model knows completed / interrupted / failed; a stopped writer is a failure, said so.
      if (p.status === 'running') this.model.finish('failed', p.stopped);
      else this.model.finish(p.status, p.error ?? undefined);
      this.follow = false;
    }
    this.stopped = p.stopped;
    this.model.setMode(this.modeText());
    this.store.changed();
  }

  private modeText(): string {
    if (this.follow) return '◉ live';
    if (this.stopped && !this.playing) return `${this.stopped} · cursor ${Math.max(0, this.cursor)}`;
    if (this.playing) return `replay ${pace(this.replaySpeed)}`;
    return `cursor ${Math.max(0, this.cursor)}`;
  }

  private jump(from: number, to: 'back' | 'forward' | 'back-far' | 'forward-far' | 'start' | 'end'): number {
    const info = this.reader.info;
    const step = Math.max(info.logEvery, Math.round(info.durationSlots / 100));
    const far = 10 * step;
    const clamp = (s: number) => Math.max(this.first, Math.min(this.last, s));
    this.follow = false;
    switch (to) {
      case 'back':
        return clamp(from - step);
      case 'forward':
        return clamp(from + step);
      case 'back-far':
        return clamp(from - far);
      case 'forward-far':
        return clamp(from + far);
      case 'start':
        return this.first;
      case 'end':
        return this.last;
    }
  }

  /** Brings the model to `target`: incrementally when just ahead, else re-read around it. */
  private async goTo(target: number): Promise<void> {
    if (target < 0 || target === this.fedTo) {
      this.cursor = target < 0 ? this.cursor : target;
      return;
    }
    const m = this.model;
    const history = m.bucketSlots * HISTORY_BUCKETS;
    if (target > this.fedTo && this.fedTo >= 0 && target - this.fedTo <= history) {
      const [slots, events] = await Promise.all([this.reader.slots(this.fedTo, target), this.reader.events(this.fedTo, target)]);
      feed(m, slots, events);
    } else {
      m.reset();
      const from = Math.max(-1, target - history);
      const info = this.reader.info;
      // Thin the older history to about HISTORY_READ records (a multiple of the logging step).
      const step = Math.max(1, Math.ceil((target - from) / HISTORY_READ / info.logEvery)) * info.logEvery;
      const recent = Math.max(from, target - LOG_WINDOWS * m.logWindowSlots);
      const [old, slots, events] = await Promise.all([
        step > info.logEvery ? this.reader.slots(from, recent, step) : this.reader.slots(from, recent),
        this.reader.slots(recent, target),
        this.reader.events(recent, target),
      ]);
      feed(m, old, []);
      feed(m, slots, events);
    }
    this.fedTo = target;
    this.cursor = target;
  }

  controls(quit: () => void): DashboardControls {
    const wake = () => void this.tick();
    return {
      quit,
      togglePause: () => {
        if (this.follow || this.playing) {
          this.follow = false;
          this.playing = false;
        } else if (this.cursor >= this.last && !this.finalSeen) {
          this.follow = true;
        } else {
          if (this.cursor >= this.last) this.pending.push({ to: 'start' });
          this.playing = true;
          this.lastWall = this.clock();
        }
        wake();
      },
      faster: () => {
        this.replaySpeed = nextSpeed(this.replaySpeed, 1, NaN) ?? PACE_LADDER[PACE_LADDER.length - 1];
        wake();
      },
      slower: () => {
        this.replaySpeed = nextSpeed(this.replaySpeed, -1, NaN) ?? PACE_LADDER[0];
        wake();
      },
      scrub: (to) => {
        this.pending.push({ to });
        this.playing = false;
        wake();
      },
    };
  }
}

/** Runs the watch dashboard until q; resolves with the exit code. */
export async function watchDashboard(file: string, opts: WatchOptions = {}): Promise<number> {
  const reader = await RunReader.open(file);
  const clock = opts.clock ?? (() => performance.now() / 1000);
  const session = new WatchSession(reader, clock);
  await session.tick();
  let quit!: () => void;
  const done = new Promise<void>((r) => (quit = r));
  const screen = mountDashboard({
    source: session.store,
    controls: session.controls(() => quit()),
    kind: 'watch',
    maxFps: opts.maxFps,
    stdout: opts.stdout,
    stdin: opts.stdin,
    stderr: opts.stderr,
    size: opts.size,
  });
  const timer = setInterval(() => void session.tick().catch(() => undefined), opts.pollMs ?? 250);
  try {
    await done;
  } finally {
    clearInterval(timer);
    await session.tick().catch(() => undefined);
    await screen.close();
    await reader.close();
  }
  return 0;
}
