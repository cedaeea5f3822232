/**
 * Paper 001's background job (docs/teacher-student.md §6): the network trainings of
 * src/app/paper001-train.ts PAPER001_JOBS and the benchmark cache of the figures, checkpointing
 * every epoch under models/paper001-<id>/. Run it again to resume; finished steps are skipped.
 *
 *   nohup nice -n 10 node --import tsx scripts/paper001-train.ts > twin-runs/paper001-train.log 2>&1 &
 *
 * Schedule: the SSNR teacher; the benchmark on the validation samples (models/paper001-benchmark/,
 * `figures teacher-student`'s DEFAULT_BENCHMARK_SAMPLES); then the SINR teacher and the three
 * students round-robin, ROUND epochs each per round (env PAPER001_ROUND, default 3), so that every
 * job has a resumable checkpoint and a provisional selection when the job is stopped. Every job
 * step runs in its own process (`--one <id> [--cap n]`, exit 10 while unfinished).
 * PAPER001_MODELS=dir changes the models folder (default models/).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/learning/backend.ts';
import { registerConvKernels } from '../src/learning/layers/conv.ts';
import type { Paper001Layout } from '../src/learning/paper001/data.ts';
import { PAPER001_JOBS, runPaper001Job } from '../src/app/paper001-train.ts';
import { benchmarkFor, DEFAULT_BENCHMARK_SAMPLES } from '../src/app/teacher-student-figures.ts';

const modelsDir = process.env.PAPER001_MODELS ?? 'models';
const round = Number(process.env.PAPER001_ROUND ?? 3);
const t0 = performance.now();
const stamp = () => `[${new Date().toISOString().slice(11, 19)} +${((performance.now() - t0) / 1000).toFixed(0)} s]`;
const log = (line: string) => console.log(`${stamp()} ${line}`);
const UNFINISHED = 10;

// `--one <id> [--cap n]`: one job in this process (exit 10 while unfinished). Each job step runs in
// a fresh process: the wasm heap only grows, and the N = 8 student after the others overran it.
const one = process.argv.indexOf('--one');
if (one >= 0) {
  const job = PAPER001_JOBS.find((j) => j.id === process.argv[one + 1]);
  if (!job) {
    console.error(`paper001-train: unknown job '${process.argv[one + 1]}'; known: ${PAPER001_JOBS.map((j) => j.id).join(', ')}`);
    process.exit(2);
  }
  const capAt = process.argv.indexOf('--cap');
  const { tf, name } = await initBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`paper001-train: needs the wasm backend, got ${tf.getBackend()}`);
  registerConvKernels(tf);
  const meta = await runPaper001Job(tf, job, { modelsDir, backend: name, clockS: () => performance.now() / 1000, log, ...(capAt >= 0 ? { epochCap: Number(process.argv[capAt + 1]) } : {}) });
  process.exit(meta.state.stopped === 'running' ? UNFINISHED : 0);
}

const self = fileURLToPath(import.meta.url);
const step = (id: string, cap?: number): boolean => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', id, ...(cap !== undefined ? ['--cap', String(cap)] : [])], { stdio: 'inherit' });
  if (r.status !== 0 && r.status !== UNFINISHED) throw new Error(`paper001-train: job ${id} failed (exit ${r.status ?? r.signal})`);
  return r.status === 0;
};

const [first, ...rest] = PAPER001_JOBS;
step(first.id);
for (const [key, n] of Object.entries(DEFAULT_BENCHMARK_SAMPLES)) {
  const [layout, N] = key.split(':');
  const tb = performance.now();
  const b = benchmarkFor(path.join(modelsDir, 'paper001-benchmark'), layout as Paper001Layout, Number(N), n, () => performance.now(), log);
  log(`benchmark ${key}: ${b.n} samples (${((performance.now() - tb) / 1000).toFixed(0)} s here), ${b.failures} failures`);
}
const done = new Set<string>();
for (let cap = round; done.size < rest.length; cap += round) {
  for (const job of rest) if (!done.has(job.id) && step(job.id, cap)) done.add(job.id);
}
log('all done');
