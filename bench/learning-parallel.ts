/**
 * Training on both cores (src/learning/parallel.ts): two independent trainings of the paper's MLP
 * (216→4×512→48, LeakyReLU 0.2, dropout 0.15, batch 128, Adam lr 1e-4, decay 1e-6, MSE on a
 * synthetic teacher) in 1 worker (one after the other) and in 2 workers (side by side), and a
 * reference: the same MLP and optimiser in PyTorch (scripts/ref/torch_mlp.py, Debian's
 * python3-torch via /usr/bin/python3) at torch.set_num_threads(1) and (2), measured in this run.
 *
 *   samples/s total   both jobs' samples / wall time of `pool.run` (workers started and warmed
 *                     beforehand; worker start-up is reported separately)
 *   ours ÷ PyTorch    1 worker vs 1 thread, 2 workers vs 2 threads (target ≥ 1 on all cores)
 *
 * And the product's own use of both cores: `train --family percell` (trainIsac with `workers`), one
 * epoch of the default scenario's 3 per-cell models (4×512) in process vs in 2 workers (the models
 * are the same bit for bit; 3 models on 2 workers bound the speed-up at 1.5×).
 *
 * When /usr/bin/python3 cannot import torch the PyTorch rows say so (value NaN, "not installed"),
 * they are not skipped. Run alone: node --import tsx bench/learning-parallel.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initBackend } from '../src/learning/backend.ts';
import { drawDataset, encodeDataset } from '../src/learning/dataset.ts';
import { TrainPool, type TrainJob } from '../src/learning/parallel.ts';
import { trainIsac } from '../src/learning/train.ts';
import { loadScenario } from '../src/scenario/validate.ts';
import type { BenchRow } from './index.ts';
import { twinPolicies } from '../src/learning/policies.ts';

/** One row of `npm run bench` (bench/index.ts). */
export type BenchResult = BenchRow;

const BATCH = 128;
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('../scripts/ref/torch_mlp.py', import.meta.url));

function job(i: number, steps: number): TrainJob {
  return {
    name: `mlp-${i}`,
    mlp: { inputDim: 216, hiddenDims: [512, 512, 512, 512], outputDim: 48, seed: 1 + i },
    data: { kind: 'synthetic', seed: 100 + i, samples: steps * BATCH },
    epochs: 1,
    batchSize: BATCH,
    adam: { learningRate: 1e-4, weightDecay: 1e-6 },
    seed: 7 + i,
  };
}

interface TorchResult {
  torch: string;
  blas?: string;
  threads: number;
  samplesPerS: number;
  stepMsMedian: number;
}

function torchRun(threads: number, steps: number): TorchResult | { error: string } {
  if (!existsSync(PYTHON)) return { error: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, '--threads', String(threads), '--steps', String(steps), '--warmup', '5'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    const msg = `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim().split('\n').at(-1) ?? 'failed';
    return { error: /No module named 'torch'/.test(msg) ? 'python3-torch not installed (apt-get install python3-torch)' : msg };
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as TorchResult;
  } catch {
    return { error: `unreadable output: ${r.stdout.slice(0, 200)}` };
  }
}

export async function benchParallel(options: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const steps = options.quick ? 40 : 120; // training steps per job
  const torchSteps = options.quick ? 15 : 40;
  const rows: BenchResult[] = [];

  const t0 = performance.now();
  const pool = await TrainPool.start({ workers: 2 });
  const startS = (performance.now() - t0) / 1000;
  let one: number;
  let two: number;
  try {
    // Warm-up: one short job per worker (XNNPACK code paths, JIT).
    await pool.run([job(0, 5), job(1, 5)]);
    const single = await TrainPool.start({ workers: 1 });
    try {
      await single.run([job(0, 5)]);
      const a = performance.now();
      await single.run([job(0, steps), job(1, steps)]);
      one = (2 * steps * BATCH) / ((performance.now() - a) / 1000);
    } finally {
      await single.close();
    }
    const b = performance.now();
    await pool.run([job(0, steps), job(1, steps)]);
    two = (2 * steps * BATCH) / ((performance.now() - b) / 1000);
  } finally {
    await pool.close();
  }
  rows.push(
    { name: 'worker pool start-up, 2 workers (tsx + tfjs wasm each)', value: startS, unit: 's' },
    { name: '2 MLP 216→4×512→48 trainings, 1 worker, total', value: one, unit: 'samples/s' },
    { name: '2 MLP trainings, 2 workers, total', value: two, unit: 'samples/s' },
    { name: 'speed-up 2 workers vs 1', value: two / one, unit: '×', target: '≥ 1.6', ratio: two / one / 1.6 },
  );

  rows.push(...(await percellRows(options.quick ? 1200 : 3000)));

  for (const [threads, ours, label] of [
    [1, one, '1 worker'],
    [2, two, '2 workers'],
  ] as const) {
    const t = torchRun(threads, torchSteps);
    if ('error' in t) {
      rows.push({ name: `PyTorch same MLP, ${threads} thread(s): NOT MEASURED — ${t.error}`, value: NaN, unit: 'samples/s' });
      rows.push({ name: `ours (${label}) ÷ PyTorch (${threads} thread(s)): not measured`, value: NaN, unit: '×' });
      continue;
    }
    const blas = t.blas?.includes('openblas') ? 'OpenBLAS' : t.blas?.includes('/blas/') ? 'reference BLAS' : 'BLAS ?';
    rows.push({ name: `PyTorch ${t.torch} (${blas}) same MLP, set_num_threads(${threads})`, value: t.samplesPerS, unit: 'samples/s' });
    rows.push({ name: `ours (${label}) ÷ PyTorch (${threads} thread${threads > 1 ? 's' : ''})`, value: ours / t.samplesPerS, unit: '×', target: '≥ 1', ratio: ours / t.samplesPerS });
  }
  return rows;
}

/** train --family percell: epoch 2's samples/s in process and in 2 workers (epoch 1 warms up). */
async function percellRows(samples: number): Promise<BenchResult[]> {
  const yamlFile = fileURLToPath(new URL('../scenarios/default.yaml', import.meta.url));
  const { scenario, topology } = loadScenario(readFileSync(yamlFile, 'utf8'), yamlFile, twinPolicies());
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-percell-'));
  try {
    const ds = drawDataset(scenario, topology, samples, 1, 'train');
    const file = path.join(dir, 'train.bin');
    writeFileSync(file, encodeDataset(ds));
    const { tf } = await initBackend('wasm');
    const clockS = () => performance.now() / 1000;
    const base = { method: 'percell' as const, rho: 0.99, epochs: 2, seed: 1, backend: 'wasm', scenario: scenario.name, scenarioHash: 'bench', clockS, datasetFile: file };
    const speed = async (workers: number) => {
      const r = await trainIsac(tf, ds, { ...base, outDir: path.join(dir, `w${workers}`), workers });
      return r.meta.curve[1].samplesPerS;
    };
    const one = await speed(1);
    const two = await speed(2);
    const M = topology.numBs;
    return [
      { name: `train --family percell (${M} BS × 4×512, batch 128), in process`, value: one, unit: 'samples/s' },
      { name: 'train --family percell, --workers 2', value: two, unit: 'samples/s' },
      { name: `percell speed-up 2 workers vs in process (bound ${(M / Math.ceil(M / 2)).toFixed(2)}× for ${M} models)`, value: two / one, unit: '×', target: `≥ ${(0.8 * (M / Math.ceil(M / 2))).toFixed(2)}`, ratio: two / one / (0.8 * (M / Math.ceil(M / 2))) },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchParallel({ quick: process.argv.includes('--quick') });
  for (const { name, value, unit, target, ratio } of results) {
    const t = target ? `  target ${target}` : '';
    const r = ratio !== undefined ? `  ratio ${ratio.toFixed(2)}` : '';
    console.log(`${name.padEnd(64)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit}${t}${r}`);
  }
}
