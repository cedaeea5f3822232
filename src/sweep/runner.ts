/**
 * Runs one sweep job in this process, exactly as `isac-twin run` would run its scenario: the
 * same loader, the same tfjs backend choice, the same run loop and run database. The database is
 * written under a `.partial.sqlite` name and renamed when the run completes, so a finished
 * database name always means a completed run; an interrupted job leaves nothing (it re-runs
 * from the start), a failed one keeps its database as `<id>.failed.sqlite` for inspection.
 * The job's metrics are then read back from the database with the analysis of `isac-twin
 * analyze` (the catalog's numbers are the ones `analyze` prints).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeFile, type Analysis } from '../analysis/analyze.ts';
import { METRICS } from '../analysis/metrics.ts';
import { runScenario, RunControl, type RunSummary } from '../app/run.ts';
import { withInferenceBackend } from '../cli/train-commands.ts';
import { twinPolicies } from '../learning/policies.ts';
import { loadScenario } from '../scenario/validate.ts';
import type { JobMetric, JobPlacement, JobProgress, JobResult, JobSpec } from './job.ts';
import { packageVersionAt } from './code-version.ts';

/** `x.sqlite` → `x.partial.sqlite` (and the like). */
export function siblingDb(dbPath: string, tag: string): string {
  return dbPath.replace(/\.sqlite$/, '') + `.${tag}.sqlite`;
}

/** Removes a database and its WAL side files. */
export function removeDb(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

/** The catalog's summary of each metric, from the run's analysis and summary. */
export function jobMetrics(names: readonly string[], a: Analysis, s: RunSummary): JobMetric[] {
  const share = (metric: string, v: number | null): JobMetric => ({ metric, n: null, mean: v, p5: null, p50: null, p95: null });
  return names.map((name) => {
    if (name === 'outage') return share(name, a.network.outageShare);
    if (name === 'fallback') return share(name, s.fallbackShare);
    const def = METRICS.find((m) => m.name === name);
    const level = def?.level ?? 'target';
    const summary = level === 'network' ? a.policies.find((p) => p.role === 'acting')?.metrics[name] : a.pooled[level][name];
    if (!summary) return { metric: name, n: 0, mean: null, p5: null, p50: null, p95: null };
    return { metric: name, n: summary.n, mean: summary.mean, p5: summary.p5, p50: summary.p50, p95: summary.p95 };
  });
}

export interface RunJobOptions {
  control?: RunControl;
  onProgress?: (p: JobProgress) => void;
}

/** Runs one job to its database at `placement.dbPath`; never throws for a job's own failure. */
export async function runJob(job: JobSpec, placement: JobPlacement, o: RunJobOptions = {}): Promise<JobResult> {
  const t0 = performance.now();
  const wall = () => (performance.now() - t0) / 1000;
  const partial = siblingDb(placement.dbPath, 'partial');
  const failedDb = siblingDb(placement.dbPath, 'failed');
  let backend = 'none';
  try {
    const started = await withInferenceBackend(loadScenario(job.scenarioText, job.scenarioFile, twinPolicies()));
    const loaded = started.loaded;
    backend = started.backend;
    mkdirSync(path.dirname(path.resolve(placement.dbPath)), { recursive: true });
    removeDb(partial);
    const summary = await runScenario(
      loaded,
      {
        dbPath: partial,
        packageVersion: packageVersionAt(),
        backend,
        onProgress: o.onProgress ? (p) => o.onProgress!({ slotsDone: p.slotsDone, durationSlots: p.durationSlots }) : undefined,
      },
      o.control ?? new RunControl(),
    );
    if (summary.status === 'interrupted') {
      removeDb(partial);
      return { id: job.id, status: 'interrupted', wallS: wall(), slots: summary.slots, backend, metrics: [] };
    }
    if (summary.status === 'failed') {
      removeDb(failedDb);
      if (existsSync(partial)) renameSync(partial, failedDb);
      return { id: job.id, status: 'failed', wallS: wall(), slots: summary.slots, backend, error: summary.error ?? 'the run failed', dbPath: path.resolve(failedDb), metrics: [] };
    }
    const analysis = await analyzeFile(partial, {});
    const metrics = jobMetrics(job.metrics, analysis, summary);
    removeDb(placement.dbPath);
    removeDb(failedDb);
    renameSync(partial, placement.dbPath);
    return { id: job.id, status: 'completed', wallS: wall(), slots: summary.slots, backend, dbPath: path.resolve(placement.dbPath), metrics };
  } catch (e) {
    removeDb(partial);
    return { id: job.id, status: 'failed', wallS: wall(), slots: 0, backend, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), metrics: [] };
  }
}
