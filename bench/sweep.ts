/**
 * Sweeps (src/sweep/): how well a local sweep uses the cores, and what the queue costs per job.
 *
 *   throughput, 1 and 2 local workers   jobs/s of runLocalSweep over the same jobs (the default
 *                                       scenario with MRT, no shadows, 2500 slots, different
 *                                       seeds), from the call to its end: pool start included
 *   scaling 2 vs 1                      ratio of the two (target ≥ 1.8 on 2 cores)
 *   queue overhead per job              wall time of `sweep --queue` through BullMQ on a loopback
 *                                       redis-server, jobs that do nothing (a stub executor in
 *                                       the worker), one worker running one job at a time: enqueue,
 *                                       fetch, lock, complete, the completion event, the catalog
 *                                       row and the job's removal — per job (target ≤ 5 ms); and
 *                                       the same with the worker running 8 jobs at once (the
 *                                       submitter and the worker share this one process here)
 *
 * The ratios are measured within this run. When redis-server is not installed the queue row
 * says so (value NaN). Run alone: node --import tsx bench/sweep.ts [--quick]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Catalog } from '../src/sweep/catalog.ts';
import { SweepControl } from '../src/sweep/control.ts';
import { runLocalSweep } from '../src/sweep/local.ts';
import { readSweep, type SweepPlan } from '../src/sweep/plan.ts';
import { runQueueSweep } from '../src/sweep/queue.ts';
import { parseQueueTarget, QUEUE_PREFIX } from '../src/sweep/redis.ts';
import { runWorker } from '../src/sweep/worker.ts';
import { testRedis } from '../test/sweep/redis-server.ts';
import type { BenchRow } from './index.ts';

const BASE = path.resolve('scenarios/default.yaml');

function planOf(dir: string, name: string, slots: number, seeds: number): SweepPlan {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nscenario: ${BASE}\nset: { durationSlots: ${slots}, shadows: [] }\npolicies: [mrt]\nseeds: { from: 1, count: ${seeds} }\nmetrics: [rc]\nout: ${name}-out\n`);
  return readSweep(file, { codeVersion: `bench-${name}` });
}

async function localThroughput(dir: string, workers: number, slots: number, jobs: number): Promise<number> {
  const plan = planOf(dir, `local${workers}`, slots, jobs);
  const catalog = Catalog.openForPlan(plan);
  try {
    const t0 = performance.now();
    const out = await runLocalSweep(plan, catalog, { workers });
    const s = (performance.now() - t0) / 1000;
    if (out.completed !== jobs) throw new Error(`local sweep: ${out.completed} of ${jobs} jobs completed`);
    return jobs / s;
  } finally {
    catalog.close();
  }
}

async function queueOverheadMs(dir: string, jobs: number, concurrency: number): Promise<number | string> {
  const redis = await testRedis();
  if ('skip' in redis) return redis.skip;
  const name = `bench${process.pid}c${concurrency}`;
  const target = parseQueueTarget(redis.url, name);
  const plan = planOf(dir, `queue${concurrency}`, 100, jobs);
  const catalog = Catalog.openForPlan(plan);
  const stop = new SweepControl();
  try {
    const worker = runWorker({
      target,
      codeVersion: plan.codeVersion,
      concurrency,
      control: stop,
      log: () => undefined,
      execute: async (spec) => ({ id: spec.id, status: 'completed', wallS: 0, slots: 0, backend: 'none', metrics: [{ metric: 'rc', n: 1, mean: 1, p5: 1, p50: 1, p95: 1 }], worker: 'stub' }),
    });
    // Let the worker connect before the clock starts.
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    const out = await runQueueSweep(plan, catalog, { target });
    const ms = (performance.now() - t0) / jobs;
    if (out.completed !== jobs) throw new Error(`queue sweep: ${out.completed} of ${jobs} jobs completed`);
    stop.stop();
    await worker;
    return ms;
  } finally {
    catalog.close();
    const { Queue } = await import('bullmq');
    const q = new Queue(name, { prefix: QUEUE_PREFIX, connection: target.connection });
    await q.obliterate({ force: true }).catch(() => undefined);
    await (await q.client).del(`${QUEUE_PREFIX}:${name}:code-version`);
    await q.close();
    await redis.stop();
  }
}

export async function benchSweep(o: { quick: boolean }): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'twin-bench-sweep-'));
  try {
    const slots = o.quick ? 1000 : 2500;
    const jobs = o.quick ? 6 : 12;
    const one = await localThroughput(dir, 1, slots, jobs);
    const two = await localThroughput(dir, 2, slots, jobs);
    const scaling = two / one;
    const overhead = await queueOverheadMs(dir, o.quick ? 100 : 300, 1);
    const overhead8 = await queueOverheadMs(dir, o.quick ? 100 : 300, 8);
    const rows: BenchRow[] = [
      { name: `local sweep, 1 worker (${jobs} MRT jobs × ${slots} slots)`, value: one, unit: 'jobs/s' },
      { name: `local sweep, 2 workers`, value: two, unit: 'jobs/s' },
      { name: 'scaling 2 workers vs 1', value: scaling, unit: '×', target: '≥ 1.8', ratio: scaling / 1.8 },
    ];
    rows.push(
      typeof overhead === 'number'
        ? { name: 'queue overhead per job (BullMQ, loopback Redis, 1 worker)', value: overhead, unit: 'ms', target: '≤ 5', ratio: 5 / overhead }
        : { name: `queue overhead per job: ${overhead}`, value: NaN, unit: 'ms', target: '≤ 5' },
    );
    if (typeof overhead8 === 'number') rows.push({ name: 'queue overhead per job, worker concurrency 8', value: overhead8, unit: 'ms' });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchSweep({ quick: process.argv.includes('--quick') })) console.log(r);
}
