/**
 * The local pool: one long-lived child process per core (job-process.ts), each running one job
 * at a time, so the twin's single-threaded simulation uses every core and the cost of starting
 * Node, tsx and tfjs is paid once per process, not once per job. Jobs beyond the free processes
 * wait in order. A process that dies during a job (killed, out of memory) fails that job with the
 * reason and is replaced for the next jobs.
 *
 *   const pool = await JobPool.start(2);
 *   const result = await pool.run(job, { dbPath }, { onStart, onProgress });
 *   pool.interrupt();   // Ctrl-C: running jobs stop (status interrupted), waiting ones too
 *   await pool.close();
 */
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import type { JobPlacement, JobProgress, JobResult, JobSpec } from './job.ts';

const ENTRY = new URL('./job-process.mjs', import.meta.url);

export interface RunHooks {
  /** The job left the waiting line and runs on `worker` (host:pid). */
  onStart?: (worker: string) => void;
  onProgress?: (p: JobProgress) => void;
}

interface Waiting {
  job: JobSpec;
  placement: JobPlacement;
  hooks: RunHooks;
  resolve: (r: JobResult) => void;
}

class Slot {
  child!: ChildProcess;
  ready!: Promise<void>;
  busy?: Waiting;
  stderrTail = '';
  /** Whether the current process said it is ready (one that dies before is not restarted). */
  started = false;
  constructor(private readonly onGone: (slot: Slot, why: string) => void) {
    this.spawn();
  }
  get worker(): string {
    return `${hostname()}:${this.child.pid}`;
  }
  spawn(): void {
    // execArgv []: the entry registers tsx itself (a second loader would compile twice).
    const child = fork(ENTRY, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    this.stderrTail = '';
    this.started = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => (this.stderrTail = (this.stderrTail + s).slice(-2000)));
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: { type: string }) => {
        if (m.type !== 'ready') return;
        child.off('message', onMsg);
        this.started = true;
        resolve();
      };
      child.on('message', onMsg);
      child.once('exit', (code, signal) => reject(new Error(`a job process did not start (${signal ?? `exit code ${code}`}): ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}`)));
    });
    this.ready.catch(() => undefined);
    child.on('message', (m: { type: string; id?: string; result?: JobResult } & JobProgress) => {
      const w = this.busy;
      if (!w) return;
      if (m.type === 'progress' && m.id === w.job.id) w.hooks.onProgress?.({ slotsDone: m.slotsDone, durationSlots: m.durationSlots });
      else if (m.type === 'done' && m.result?.id === w.job.id) {
        this.busy = undefined;
        w.resolve({ ...m.result, worker: this.worker });
        this.onGone(this, '');
      }
    });
    child.once('exit', (code, signal) => {
      const w = this.busy;
      this.busy = undefined;
      const why = signal ? `the job process ${child.pid} was killed (${signal})` : `the job process ${child.pid} exited with code ${code}`;
      if (w) {
        const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
        w.resolve({ id: w.job.id, status: 'failed', wallS: 0, slots: 0, backend: 'none', error: tail ? `${why}: ${tail}` : why, metrics: [], worker: this.worker, crashed: true });
      }
      this.onGone(this, why || 'exited');
    });
  }
}

export class JobPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiting[] = [];
  private closing = false;
  private interrupted = false;
  private readonly dead = new Set<Slot>();

  private constructor(size: number) {
    for (let i = 0; i < size; i++) this.slots.push(new Slot((slot, why) => this.freed(slot, why)));
  }

  /** Starts `size` job processes and waits until each is ready (about a second). */
  static async start(size: number): Promise<JobPool> {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`a pool needs at least one process, got ${size}`);
    const pool = new JobPool(size);
    try {
      await Promise.all(pool.slots.map((s) => s.ready));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** PIDs of the job processes (tests, diagnostics). */
  pids(): number[] {
    return this.slots.map((s) => s.child.pid!);
  }

  /** Runs a job on the next free process; resolves with its result (never rejects for a job's failure). */
  run(job: JobSpec, placement: JobPlacement, hooks: RunHooks = {}): Promise<JobResult> {
    if (this.interrupted || this.closing) return Promise.resolve(notStarted(job));
    return new Promise((resolve) => {
      this.waiting.push({ job, placement, hooks, resolve });
      this.dispatch();
    });
  }

  /** Interrupts every running job and resolves the waiting ones as interrupted. */
  interrupt(): void {
    this.interrupted = true;
    for (const w of this.waiting.splice(0)) w.resolve(notStarted(w.job));
    for (const s of this.slots) if (s.busy && s.child.connected) s.child.send({ type: 'stop' });
  }

  /** Stops the processes (after their running jobs end, which `interrupt` hastens). */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiting.splice(0)) w.resolve(notStarted(w.job));
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            s.child.once('exit', () => resolve());
            if (!s.busy && s.child.connected) s.child.disconnect();
          }),
      ),
    );
  }

  /** Kills every process at once (a second Ctrl-C). */
  kill(): void {
    this.closing = true;
    for (const s of this.slots) s.child.kill('SIGKILL');
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (!this.waiting.length) return;
      if (s.busy || !s.child.connected || this.dead.has(s)) continue;
      const w = this.waiting.shift()!;
      s.busy = w;
      void s.ready.then(
        () => {
          if (s.busy !== w) return;
          w.hooks.onStart?.(s.worker);
          s.child.send({ type: 'run', job: w.job, placement: w.placement });
        },
        () => undefined,
      );
    }
  }

  /** A slot finished its job (why = '') or its process ended (why says how). */
  private freed(slot: Slot, why: string): void {
    if (why) {
      if (this.closing) return;
      if (!slot.started) {
        // It never came up: restarting would loop. The pool goes on with the others, if any.
        this.dead.add(slot);
        if (this.dead.size === this.slots.length) {
          const tail = slot.stderrTail.trim().split('\n').slice(-3).join(' | ');
          for (const w of this.waiting.splice(0)) w.resolve({ ...notStarted(w.job), status: 'failed', error: `no job process could start: ${why}${tail ? `: ${tail}` : ''}` });
        }
        return;
      }
      slot.spawn();
    }
    if (this.closing) {
      if (!slot.busy && slot.child.connected) slot.child.disconnect();
      return;
    }
    this.dispatch();
  }
}

function notStarted(job: JobSpec): JobResult {
  return { id: job.id, status: 'interrupted', wallS: 0, slots: 0, backend: 'none', metrics: [] };
}
