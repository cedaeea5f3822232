/**
 * `sweep --queue`: the jobs go to a BullMQ queue on Redis, `isac-twin worker` processes on any
 * machine run them, and this coordinator collects each finished job's summary (its result: status,
 * metrics, wall time, worker and where its database is on that worker's disk) into the catalog.
 * BullMQ does the distribution: a job's id is the sweep job id (so enqueuing twice is a no-op),
 * retries with exponential backoff, stalled-job recovery when a worker dies (its lock expires and
 * another worker takes the job), progress through job.updateProgress.
 *
 * Results are taken from QueueEvents as they happen and, every `pollMs`, from the queue's
 * completed and failed sets (so nothing is lost to a dropped event stream or a coordinator that
 * was stopped: a later `sweep --queue` collects what finished meanwhile). A collected job is
 * removed from Redis only after its catalog row is committed.
 *
 * Databases stay on the workers' disks (their `--runs-dir`); the catalog records the worker and
 * the path. Give every worker a shared folder as --runs-dir to have them all in one place.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Catalog } from './catalog.ts';
import { SweepControl, type SweepEvents, type SweepOutcome } from './control.ts';
import { jobSpecOf, type JobProgress, type JobResult, type JobSpec } from './job.ts';
import { finishedJobs } from './local.ts';
import type { SweepJob, SweepPlan } from './plan.ts';
import { bullConnection, codeVersionKey, probeQueue, QUEUE_PREFIX, QueueInputError, type QueueTarget } from './redis.ts';

/** The data of a BullMQ job. */
export interface QueueJobData {
  spec: JobSpec;
}

/** Progress data a worker reports (JobProgress plus who runs it). */
export type QueueProgress = JobProgress & { worker: string };

/**
 * Checks, before anything is written, that the queue is reachable and not busy with jobs of
 * another code version.
 */
export async function checkSubmit(t: QueueTarget, codeVersion: string): Promise<void> {
  const probe = await probeQueue(t);
  if (probe.codeVersion !== null && probe.codeVersion !== codeVersion && probe.unfinished > 0) {
    throw new QueueInputError(
      `--queue ${t.url}: the queue "${t.name}" still holds ${probe.unfinished} unfinished jobs of code version ${probe.codeVersion}; this is ${codeVersion}: wait for them, or use another --queue-name`,
    );
  }
}

export interface QueueSweepOptions {
  target: QueueTarget;
  control?: SweepControl;
  events?: SweepEvents;
  /** Reconciliation period (ms, default 2000). */
  pollMs?: number;
  /** Called once the jobs are enqueued (how many were added, how many were already queued). */
  onQueued?: (added: number, alreadyQueued: number) => void;
}

const ACTIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children']);

export async function runQueueSweep(plan: SweepPlan, catalog: Catalog, o: QueueSweepOptions): Promise<SweepOutcome> {
  const control = o.control ?? new SweepControl();
  const t = o.target;
  const done = finishedJobs(plan, catalog);
  const todo = plan.jobs.filter((j) => !done.has(j.id));
  const outcome: SweepOutcome = { total: plan.jobs.length, skipped: done.size, completed: 0, failed: 0, interrupted: 0, stopped: false };
  if (!todo.length) return outcome;

  const connection = bullConnection(t);
  const queue = new Queue<QueueJobData, JobResult>(t.name, { prefix: QUEUE_PREFIX, connection });
  const queueEvents = new QueueEvents(t.name, { prefix: QUEUE_PREFIX, connection });
  let redisError: string | undefined;
  const onError = (e: Error) => (redisError = e.message);
  queue.on('error', onError);
  queueEvents.on('error', onError);
  const outstanding = new Map<string, SweepJob>(todo.map((j) => [j.id, j]));
  const startedOn = new Map<string, string>();
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  control.onStop(poke);

  const collect = async (id: string, r: JobResult, attempts?: number) => {
    const job = outstanding.get(id);
    if (!job) return;
    outstanding.delete(id);
    catalog.record({ ...r, id }, { attempts });
    if (r.status === 'completed') outcome.completed++;
    else outcome.failed++;
    o.events?.done?.(job, { ...r, id });
    // Removed from Redis in batches (one round trip per batch, not per job).
    toRemove.push(id);
    if (toRemove.length >= 100 || !outstanding.size) await flushRemovals();
    if (!outstanding.size) poke();
  };
  const toRemove: string[] = [];
  const flushRemovals = async () => {
    const ids = toRemove.splice(0);
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => undefined)));
  };
  const collectFailed = async (j: Job<QueueJobData, JobResult>) => {
    await collect(j.id!, { id: j.id!, status: 'failed', wallS: 0, slots: 0, backend: 'none', error: j.failedReason || 'failed on the queue', metrics: [], worker: j.processedBy }, j.attemptsStarted);
  };
  const started = (id: string, worker: string) => {
    const job = outstanding.get(id);
    if (!job || startedOn.get(id) === worker) return;
    startedOn.set(id, worker);
    catalog.setStatus([id], 'running', { worker });
    o.events?.start?.(job, worker);
  };

  try {
    await queueEvents.waitUntilReady();
    queueEvents.on('progress', ({ jobId, data }) => {
      const p = data as unknown as QueueProgress;
      if (!outstanding.has(jobId) || typeof p !== 'object' || p === null) return;
      if (p.worker) started(jobId, p.worker);
      if (p.durationSlots) o.events?.progress?.(outstanding.get(jobId)!, { slotsDone: p.slotsDone, durationSlots: p.durationSlots });
    });
    queueEvents.on('completed', ({ jobId, returnvalue }) => {
      const r = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult;
      void collect(jobId, r, r.attempts);
    });
    queueEvents.on('failed', ({ jobId }) => {
      void queue.getJob(jobId).then((j) => j && collectFailed(j));
    });

    const client = await queue.client;
    await client.set(codeVersionKey(t), plan.codeVersion);
    // Enqueue what is not there yet; pick up what finished while no coordinator listened.
    const fresh: SweepJob[] = [];
    const already: string[] = [];
    for (const job of todo) {
      const existing = await queue.getJob(job.id);
      if (!existing) {
        fresh.push(job);
        continue;
      }
      const state = await existing.getState();
      if (state === 'completed') await collect(job.id, existing.returnvalue, existing.returnvalue?.attempts ?? existing.attemptsStarted);
      else if (state === 'failed') {
        // A re-run retries failed jobs.
        await existing.remove();
        fresh.push(job);
      } else if (ACTIVE_STATES.has(state)) {
        already.push(job.id);
        if (!startedOn.has(job.id)) catalog.setStatus([job.id], 'queued');
      } else fresh.push(job);
    }
    const opts = { attempts: plan.spec.queue.attempts, backoff: { type: 'exponential' as const, delay: plan.spec.queue.backoffMs }, removeOnComplete: false, removeOnFail: false };
    for (let i = 0; i < fresh.length; i += 500) {
      const chunk = fresh.slice(i, i + 500);
      // Marked before they are added: a worker may start them (and the catalog say so) at once.
      catalog.setStatus(chunk.map((j) => j.id), 'queued');
      await queue.addBulk(chunk.map((job) => ({ name: plan.name, data: { spec: jobSpecOf(plan, job) }, opts: { ...opts, jobId: job.id } })));
    }
    o.onQueued?.(fresh.length, already.length);

    const pollMs = o.pollMs ?? 2000;
    let polls = 0;
    while (outstanding.size && !control.stopped) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
      wake = undefined;
      if (control.stopped || !outstanding.size) break;
      try {
        await flushRemovals();
        for (const j of await queue.getCompleted(0, -1)) if (j && outstanding.has(j.id!)) await collect(j.id!, j.returnvalue, j.returnvalue?.attempts ?? j.attemptsStarted);
        for (const j of await queue.getFailed(0, -1)) if (j && outstanding.has(j.id!)) await collectFailed(j);
        // A job removed from Redis by someone else goes back in (checked every 15th poll).
        if (++polls % 15 === 0) for (const [id, job] of outstanding) {
          if (await queue.getJob(id)) continue;
          await queue.add(plan.name, { spec: jobSpecOf(plan, job) }, { ...opts, jobId: id });
        }
        redisError = undefined;
      } catch (e) {
        // Redis went away: keep waiting (ioredis reconnects), say so in the catalog's error.
        redisError = (e as Error).message;
      }
    }
    await flushRemovals();
  } finally {
    await queueEvents.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
  outcome.interrupted = outstanding.size;
  outcome.stopped = outstanding.size > 0;
  if (redisError && outcome.stopped) outcome.note = `last Redis error: ${redisError}`;
  return outcome;
}
