/**
 * Runs a sweep on this machine: the jobs of the plan that the catalog does not hold as completed
 * go to the local pool (one process per core by default), in expansion order; every result is
 * written to the catalog as it arrives, so a stop (Ctrl-C) loses at most the running jobs, which
 * the next `sweep` runs again. A completed job whose database was deleted runs again too.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Catalog } from './catalog.ts';
import { SweepControl, type SweepEvents, type SweepOutcome } from './control.ts';
import { jobDbName, jobSpecOf } from './job.ts';
import type { SweepJob, SweepPlan } from './plan.ts';
import { JobPool } from './pool.ts';

/** The folder of a sweep's run databases. */
export function runsDir(plan: Pick<SweepPlan, 'outDir'>): string {
  return path.join(plan.outDir, 'runs');
}

/**
 * Jobs already done: completed in the catalog, with their database present when it was written
 * on this machine (a database on a queue worker's disk cannot be checked from here).
 */
export function finishedJobs(plan: SweepPlan, catalog: Catalog): Set<string> {
  const host = hostname();
  const done = new Set<string>();
  for (const r of catalog.jobs()) {
    if (r.status !== 'completed') continue;
    const local = !r.worker || r.worker.startsWith(`${host}:`);
    if (local && r.db_path && !existsSync(r.db_path)) continue;
    done.add(r.job_id);
  }
  return new Set(plan.jobs.filter((j) => done.has(j.id)).map((j) => j.id));
}

export interface LocalOptions {
  /** Job processes (default: one per core). */
  workers: number;
  control?: SweepControl;
  events?: SweepEvents;
  /** Called with the pool once it runs (tests: its process ids). */
  onPool?: (pool: JobPool) => void;
}

export async function runLocalSweep(plan: SweepPlan, catalog: Catalog, o: LocalOptions): Promise<SweepOutcome> {
  const control = o.control ?? new SweepControl();
  const done = finishedJobs(plan, catalog);
  const todo = plan.jobs.filter((j) => !done.has(j.id));
  const outcome: SweepOutcome = { total: plan.jobs.length, skipped: done.size, completed: 0, failed: 0, interrupted: 0, stopped: false };
  // Rows a stopped coordinator left as running or queued are not running now.
  const todoIds = new Set(todo.map((j) => j.id));
  catalog.setStatus(
    catalog
      .jobs()
      .filter((r) => (r.status === 'running' || r.status === 'queued') && todoIds.has(r.job_id))
      .map((r) => r.job_id),
    'pending',
  );
  if (!todo.length || control.stopped) {
    outcome.stopped = control.stopped && todo.length > 0;
    outcome.interrupted = control.stopped ? todo.length : 0;
    return outcome;
  }
  const pool = await JobPool.start(Math.min(o.workers, todo.length));
  o.onPool?.(pool);
  control.onStop(() => pool.interrupt());
  const dir = runsDir(plan);
  const one = async (job: SweepJob) => {
    let started = false;
    const r = await pool.run(
      jobSpecOf(plan, job),
      { dbPath: path.join(dir, jobDbName(job.id)) },
      {
        onStart: (worker) => {
          started = true;
          catalog.setStatus([job.id], 'running', { worker });
          o.events?.start?.(job, worker);
        },
        onProgress: (p) => o.events?.progress?.(job, p),
      },
    );
    // A job the stop caught before it started stays pending.
    if (started) catalog.record(r);
    if (r.status === 'completed') outcome.completed++;
    else if (r.status === 'failed') outcome.failed++;
    else outcome.interrupted++;
    if (started || r.status !== 'interrupted') o.events?.done?.(job, r);
  };
  try {
    await Promise.all(todo.map(one));
  } finally {
    await pool.close();
  }
  outcome.stopped = control.stopped && outcome.interrupted > 0;
  return outcome;
}
