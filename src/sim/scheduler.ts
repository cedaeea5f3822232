/**
 * The discrete-event kernel: a virtual clock and a binary heap of pending actions keyed by
 * (time, priority, insertion order), in the manner of SimPy's core. It implements RxJS's
 * `SchedulerLike`, so RxJS operators (`delay`, `timer`, `bufferTime`, …) run on virtual time
 * unchanged; unlike RxJS's `VirtualTimeScheduler` it never re-sorts, so it drives millions of
 * slots. It never reads the wall clock: time only moves when `runUntil` pops an action.
 *
 * Time unit: integer microseconds (µs) of simulated time.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** Order of actions that fall on the same microsecond (lower runs first). */
export const Priority = {
  /** Slot start: nodes move and channels evolve to the new slot. */
  mobility: 0,
  /** Messages arriving: CSI reports, backhaul messages, RxJS actions. */
  delivery: 1,
  /** Pilot sounding and echo processing (measure the channel of this slot). */
  sounding: 2,
  /** Policies decide from what each decision-maker knows now. */
  decision: 3,
  /** Decided beamformers take effect. */
  apply: 4,
  /** The slot is evaluated on the true channel and reported. */
  metrics: 5,
} as const;

interface Entry {
  time: number;
  priority: number;
  seq: number;
  run: () => void;
  handle: Subscription;
}

function before(a: Entry, b: Entry): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.seq < b.seq;
}

/** An RxJS scheduler action on virtual time (RxJS reschedules periodic work through it). */
class VirtualAction<T> extends Subscription implements SchedulerAction<T> {
  constructor(
    private readonly scheduler: VirtualScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.scheduler.enqueue(this.scheduler.now() + delay, Priority.delivery, () => this.work.call(this, state), this);
    return this;
  }
}

export class VirtualScheduler implements SchedulerLike {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private time = 0;
  /** Number of actions executed so far. */
  executed = 0;

  /** Current virtual time (µs). */
  now(): number {
    return this.time;
  }

  /** Number of pending (possibly cancelled) actions. */
  get pending(): number {
    return this.heap.length;
  }

  /** RxJS entry point: run `work` after `delay` µs with RxJS's default (delivery) priority. */
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new VirtualAction<T>(this, work).schedule(state, delay);
  }

  /**
   * Runs `fn` at absolute time `timeUs` with the given priority. Returns a handle whose
   * `unsubscribe()` cancels it. Scheduling in the past is a causality bug and throws.
   */
  at(timeUs: number, priority: number, fn: () => void): Subscription {
    const handle = new Subscription();
    this.enqueue(timeUs, priority, fn, handle);
    return handle;
  }

  /** @internal */
  enqueue(timeUs: number, priority: number, run: () => void, handle: Subscription): void {
    if (!(timeUs >= this.time)) throw new Error(`cannot schedule at ${timeUs} µs: the clock is already at ${this.time} µs`);
    const e: Entry = { time: timeUs, priority, seq: this.seq++, run, handle };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  /** Time of the next pending action, or Infinity. */
  peekTime(): number {
    return this.heap.length ? this.heap[0].time : Infinity;
  }

  /**
   * Executes every action due at or before `untilUs` in (time, priority, insertion) order, then
   * leaves the clock at `untilUs`. Returns the number of actions run.
   */
  runUntil(untilUs: number, halted?: () => boolean): number {
    let n = 0;
    while (this.heap.length && this.heap[0].time <= untilUs) {
      const e = this.pop();
      if (e.handle.closed) continue;
      this.time = e.time;
      e.run();
      n++;
      // An action that failed where RxJS would only report it later (inside a subscriber) halts the run here.
      if (halted?.()) {
        this.executed += n;
        return n;
      }
    }
    this.time = Math.max(this.time, untilUs);
    this.executed += n;
    return n;
  }
}
