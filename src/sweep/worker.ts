/**
 * `isac-twin worker`: a BullMQ worker that runs sweep jobs on this machine, `concurrency` at a
 * time, each in a process of the local pool (pool.ts: the same runner as a local sweep, so the
 * numbers are the same wherever a job runs). It reports progress through BullMQ, returns the
 * job's result (summary metrics, wall time, where its database is), and relies on BullMQ for the
 * rest: retries with backoff for a job whose process died, no retry for a run that failed on its
 * own (the same scenario would fail again), stalled-job recovery for a worker that died (its
 * locks expire after `lockMs` and a live worker's stalled check, every `stalledMs`, puts the job
 * back).
 *
 * Code version: a worker whose code version differs from the queue's refuses to start; a job
 * that carries another version is put back (delayed, no attempt spent) and the worker stops, so
 * jobs only ever run on the code that computed their ids.
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { hostname } from 'node:os';
import path from 'node:path';
import { SweepControl } from './control.ts';
import { jobDbName, type JobPlacement, type JobResult, type JobSpec } from './job.ts';
import { JobPool, type RunHooks } from './pool.ts';
import type { QueueJobData, QueueProgress } from './queue.ts';
import { bullConnection, probeQueue, QUEUE_PREFIX, QueueInputError, type QueueTarget } from './redis.ts';

export type Executor = (spec: JobSpec, placement: JobPlacement, hooks: RunHooks) => Promise<JobResult>;

export interface WorkerOptions {
  target: QueueTarget;
  codeVersion: string;
  concurrency: number;
  /** Run databases go here (default twin-runs/sweep-runs/<sweep>). */
  runsDir?: string;
  lockMs?: number;
  stalledMs?: number;
  /** Exit once the queue has had no job to run for this many seconds. */
  idleExitS?: number;
  control?: SweepControl;
  log?: (line: string) => void;
  /** What runs a job (default: the local pool; the bench passes a stub to time the queue alone). */
  execute?: Executor;
  /** Progress updates per job at most every this many ms (default 1000). */
  progressEveryMs?: number;
}

export interface WorkerOutcome {
  completed: number;
  failed: number;
  /** Why the worker stopped: a signal, idleness, or a job of another code version. */
  reason: 'stopped' | 'idle' | 'code-version';
  message?: string;
}

/** Refuses a worker of another code version than the queue's, before anything starts. */
export async function checkWorker(t: QueueTarget, codeVersion: string): Promise<void> {
  const probe = await probeQueue(t);
  if (probe.codeVersion !== null && probe.codeVersion !== codeVersion) {
    throw new QueueInputError(
      `--queue ${t.url}: the queue "${t.name}" holds jobs of isac-twin ${probe.codeVersion}, this worker runs ${codeVersion}: install the same isac-twin (version and sources) on this machine`,
    );
  }
}

export async function runWorker(o: WorkerOptions): Promise<WorkerOutcome> {
  const log = o.log ?? ((l: string) => console.log(l));
  const control = o.control ?? new SweepControl();
  const name = `${hostname()}:${process.pid}`;
  const pool = o.execute ? undefined : await JobPool.start(o.concurrency);
  const execute: Executor = o.execute ?? ((spec, placement, hooks) => pool!.run(spec, placement, hooks));
  const outcome: WorkerOutcome = { completed: 0, failed: 0, reason: 'stopped' };
  let lastBusyMs = performance.now();
  let active = 0;

  const processor = async (job: Job<QueueJobData, JobResult>, token?: string): Promise<JobResult> => {
    const spec = job.data.spec;
    if (spec.codeVersion !== o.codeVersion) {
      // Not ours to run: back to the queue for a worker of that version, and stop.
      outcome.reason = 'code-version';
      outcome.message = `job ${spec.id} (${spec.sweep}) is for isac-twin ${spec.codeVersion}, this worker runs ${o.codeVersion}: put back on the queue; stopping`;
      await job.moveToDelayed(Date.now() + 1000, token);
      setImmediate(() => control.stop());
      throw new DelayedError();
    }
    active++;
    try {
      const dir = o.runsDir ?? path.join('twin-runs', 'sweep-runs', spec.sweep);
      let worker = name;
      let lastMs = -Infinity;
      const every = o.progressEveryMs ?? 1000;
      const report = (p: QueueProgress) => void job.updateProgress(p as unknown as object).catch(() => undefined);
      const r = await execute(spec, { dbPath: path.join(dir, jobDbName(spec.id)) }, {
        onStart: (w) => {
          worker = w;
          report({ slotsDone: 0, durationSlots: 0, worker: w });
        },
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastMs < every && p.slotsDone < p.durationSlots) return;
          lastMs = now;
          report({ ...p, worker });
        },
      });
      if (r.status === 'completed') return { ...r, worker: r.worker ?? worker, attempts: job.attemptsStarted };
      if (r.status === 'failed' && !r.crashed) throw new UnrecoverableError(r.error ?? 'the run failed');
      throw new Error(r.error ?? 'interrupted: the worker stopped during the job');
    } finally {
      active--;
      lastBusyMs = performance.now();
    }
  };

  const worker = new Worker<QueueJobData, JobResult>(o.target.name, processor, {
    prefix: QUEUE_PREFIX,
    connection: bullConnection(o.target),
    concurrency: o.concurrency,
    lockDuration: o.lockMs ?? 30000,
    stalledInterval: o.stalledMs ?? 30000,
    name,
    autorun: false,
  });
  worker.on('completed', (job, r) => {
    outcome.completed++;
    log(`  completed ${job.data.spec.label} · ${r.wallS.toFixed(1)} s (${r.worker ?? name})`);
  });
  worker.on('failed', (job, err) => {
    if (!job || err instanceof DelayedError || err.name === 'DelayedError') return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
    if (final) outcome.failed++;
    log(`  ${final ? 'failed' : 'will retry'} ${job.data.spec.label}: ${err.message}`);
  });
  worker.on('error', (e) => log(`  queue error: ${e.message}`));

  let idleTimer: NodeJS.Timeout | undefined;
  if (o.idleExitS !== undefined) {
    const queue = new Queue(o.target.name, { prefix: QUEUE_PREFIX, connection: bullConnection(o.target) });
    const idleMs = o.idleExitS * 1000;
    idleTimer = setInterval(() => {
      if (active || performance.now() - lastBusyMs < idleMs) return;
      void queue
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused')
        .then((c) => {
          if (!active && Object.values(c).every((n) => n === 0)) {
            outcome.reason = 'idle';
            control.stop();
          }
        })
        .catch(() => undefined);
    }, Math.min(1000, idleMs));
    control.onStop(() => void queue.close().catch(() => undefined));
  }

  const finished = new Promise<void>((resolve) => control.onStop(resolve));
  void worker.run().catch((e: Error) => {
    log(`  worker error: ${e.message}`);
    control.stop();
  });
  await worker.waitUntilReady();
  log(`worker ${name} · ${o.concurrency} job process${o.concurrency > 1 ? 'es' : ''}${pool ? ` (pids ${pool.pids().join(', ')})` : ''} · code ${o.codeVersion} · queue "${o.target.name}" at ${o.target.url}`);
  await finished;
  if (idleTimer) clearInterval(idleTimer);
  if (active) log(`finishing ${active} running job${active > 1 ? 's' : ''} (Ctrl-C again stops at once: they go back to the queue when their locks expire)`);
  // Lets running jobs end and hands back none it has not started.
  await worker.close();
  await pool?.close();
  return outcome;
}
