/**
 * What travels between the sweep's coordinator and whatever runs its jobs (a local process of
 * the pool, or a BullMQ worker on another machine): plain JSON, so the same objects go through
 * IPC and through Redis.
 */
import type { SweepJob, SweepPlan } from './plan.ts';

/** One job as its runner needs it. */
export interface JobSpec {
  id: string;
  sweep: string;
  label: string;
  /** The job's resolved scenario as YAML, and the name it is validated and stored under. */
  scenarioText: string;
  scenarioFile: string;
  metrics: string[];
  /** The code version the job id was computed with (a runner of another version refuses it). */
  codeVersion: string;
}

/** A job's run database and where the runner writes it. */
export interface JobPlacement {
  /** The finished database; written as `<dbPath minus .sqlite>.partial.sqlite` and renamed on completion. */
  dbPath: string;
}

/** Summary of one metric over one job's run (network metrics: the acting policy; others pooled). */
export interface JobMetric {
  metric: string;
  /** Values summarised (null for shares such as outage). */
  n: number | null;
  mean: number | null;
  p5: number | null;
  p50: number | null;
  p95: number | null;
}

export type JobStatus = 'completed' | 'failed' | 'interrupted';

export interface JobResult {
  id: string;
  status: JobStatus;
  /** Wall time of the job: run, analysis and file moves (s). */
  wallS: number;
  slots: number;
  /** Where the database is on the machine that ran it (undefined when interrupted: nothing kept). */
  dbPath?: string;
  backend: string;
  error?: string;
  metrics: JobMetric[];
  /** host:pid of the process that ran it (set by the pool). */
  worker?: string;
  /** The job's process died (killed, out of memory): worth another try, unlike a failed run. */
  crashed?: boolean;
  /** Queue: tries started, this one included (retries and stalled-job restarts). */
  attempts?: number;
}

/** Progress of a running job, as its runner reports it. */
export interface JobProgress {
  slotsDone: number;
  durationSlots: number;
}

export function jobSpecOf(plan: SweepPlan, job: SweepJob): JobSpec {
  return {
    id: job.id,
    sweep: plan.name,
    label: job.label,
    scenarioText: job.text,
    scenarioFile: `${plan.file}#${job.id}`,
    metrics: plan.metrics,
    codeVersion: plan.codeVersion,
  };
}

/** `<dir>/<id>.sqlite` */
export function jobDbName(id: string): string {
  return `${id}.sqlite`;
}
