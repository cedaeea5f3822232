/**
 * What the coordinators of a sweep (local pool or queue) share: a stop handle for Ctrl-C, the
 * events the progress display listens to, and the outcome they return.
 */
import type { JobProgress, JobResult } from './job.ts';
import type { SweepJob } from './plan.ts';

/** Stops a sweep from outside (Ctrl-C, the dashboard's q). */
export class SweepControl {
  stopped = false;
  private readonly listeners: Array<() => void> = [];
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const f of this.listeners.splice(0)) f();
  }
  onStop(f: () => void): void {
    if (this.stopped) f();
    else this.listeners.push(f);
  }
}

export interface SweepEvents {
  /** A job started on `worker` (host:pid). */
  start?(job: SweepJob, worker: string): void;
  progress?(job: SweepJob, p: JobProgress): void;
  /** A job ended (completed, failed or interrupted). */
  done?(job: SweepJob, r: JobResult): void;
}

export interface SweepOutcome {
  /** Jobs of the sweep. */
  total: number;
  /** Already completed before this call (skipped). */
  skipped: number;
  completed: number;
  failed: number;
  /** Started and stopped, or never started, because of a stop. */
  interrupted: number;
  /** Whether the sweep was stopped before every job ended. */
  stopped: boolean;
  /** Something the summary should say (e.g. the last Redis error). */
  note?: string;
}
