/**
 * `isac-twin figures teacher-student`: paper 001's figures from the trained networks
 * (models/paper001-*, scripts/paper001-train.ts; docs/teacher-student.md §6):
 *   Fig. 7   the U-Net SSNR teacher's training / validation SSNR vs epoch, the benchmark dashed (Pos-1, N = 5)
 *   Fig. 8   the U-Net SINR teacher's training / validation min-SINR vs epoch, the benchmark dashed
 *   Fig. 10  the U-Net student (here Pos-2, N = 5): min-SINR, SSNR and λ vs epoch
 *   Fig. 13  the students for N = 2, 5, 8 (Pos-2): validation min-SINR and SSNR vs epoch
 *   Fig. 16  (a) the students after §8.3's selection beside the benchmark, (b) run time per sample,
 *            DL (the slower of the two per-AP networks) vs bisection + SDP
 * as CSV + SVG with captions (README.md), results.json, and the issue's "Done when" lines.
 *
 * Every score reported here is recomputed in float64 by system.ts's Paper001Evaluator on the
 * networks' beams (the curves are the training's float32 values). The benchmark's values and times
 * come from models/paper001-benchmark/ (scripts/paper001-train.ts), computed when missing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { TopLevelSpec } from 'vega-lite';
import { benchmarkSet, type BenchmarkSet } from '../learning/paper001/benchmark-set.ts';
import { instanceOfSample, paper001Samples, type Paper001Layout } from '../learning/paper001/data.ts';
import { meanSe, type MeanSe } from '../learning/paper001/evaluation.ts';
import { apInput, inferenceNet, predictBeams, type Paper001Epoch } from '../learning/paper001/networks.ts';
import { beamsFromDense, paper001Config, Paper001Evaluator, ssnrBound } from '../learning/paper001/system.ts';
import { jobDir, loadNets, PAPER001_JOBS, readNetsMetadata, type Paper001Job, type Paper001NetsMetadata } from './paper001-train.ts';
import { csv, writeText } from './figure-files.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface TeacherStudentFiguresOptions {
  out: string;
  modelsDir: string;
  /** Where the benchmark caches live (default <modelsDir>/paper001-benchmark). */
  benchmarkDir?: string;
  /** Benchmark samples computed when a cache is missing, per layout:N (the background job, scripts/paper001-train.ts, fills the same cache). */
  benchmarkSamples?: Record<string, number>;
  /** Clock in ms (performance.now at the edge). */
  now: () => number;
  /** Forward passes timed per network (median). */
  timingRepeats?: number;
  log?: (line: string) => void;
}

export const DEFAULT_BENCHMARK_SAMPLES: Record<string, number> = { 'pos-1:5': 200, 'pos-2:2': 200, 'pos-2:5': 100, 'pos-2:8': 30 };
const VAL_SEED = 2024;

const f3 = (x: MeanSe) => `${x.mean.toFixed(3)} ± ${x.se.toFixed(3)}`;

/** The benchmark on the first n validation samples of layout:N, from the cache or computed (and cached). */
export function benchmarkFor(dir: string, layout: Paper001Layout, N: number, n: number, now: () => number, log: (l: string) => void): BenchmarkSet {
  if (existsSync(dir)) {
    // the largest cached prefix of seed 2024 that covers n
    const files = readdirSync(dir).filter((f) => f.startsWith(`${layout}-n${N}-seed${VAL_SEED}-`) && f.endsWith('.json'));
    const sized = files.map((f) => ({ f, n: Number(f.slice(f.lastIndexOf('-') + 1, -5)) })).filter((x) => x.n >= n).sort((a, b) => a.n - b.n);
    if (sized.length) {
      const set = JSON.parse(readFileSync(path.join(dir, sized[0].f), 'utf8')) as BenchmarkSet;
      const hash = paper001Samples(paper001Config(N), layout, set.n, VAL_SEED).hash;
      if (set.datasetHash !== hash) throw new Error(`${path.join(dir, sized[0].f)}: computed on other samples (hash ${set.datasetHash.slice(0, 12)}, expected ${hash.slice(0, 12)}); remove it`);
      return set;
    }
  }
  log(`benchmark ${layout} N=${N}: no cache, computing ${n} samples (bisection + SDP, minutes)`);
  const set = benchmarkSet({ layout, numUsers: N, n, seed: VAL_SEED, now });
  mkdirSync(dir, { recursive: true });
  writeText(path.join(dir, `${layout}-n${N}-seed${VAL_SEED}-${n}.json`), JSON.stringify(set) + '\n');
  return set;
}

export interface NetEvaluation {
  job: Paper001Job;
  meta: Paper001NetsMetadata;
  /** Which weights were evaluated: the selected epoch's or (an unfinished job) the last checkpoint's. */
  weights: 'selected' | 'checkpoint';
  epoch: number;
  /** Float64 scores on the whole validation set and on the benchmark's prefix. */
  minSinr: MeanSe;
  ssnr: MeanSe;
  onBenchmark: { n: number; minSinr: MeanSe; ssnr: MeanSe };
  /** Forward time of each AP's network, ms per sample: one sample at a time, and in one batch of the validation set. */
  msPerSampleSingle: number[];
  msPerSampleBatched: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median ms per sample of one AP's network forward (inputs prepared outside the timing). */
export function timeApNet(tf: Tf, net: LayersModel, x: Tensor, repeats: number, now: () => number): number {
  const ts: number[] = [];
  (net.predict(x) as Tensor).dispose(); // warm-up
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    const y = net.predict(x) as Tensor;
    y.dataSync();
    ts.push(now() - t0);
    y.dispose();
  }
  return median(ts) / x.shape[0];
}

async function evaluateJob(tf: Tf, job: Paper001Job, o: TeacherStudentFiguresOptions, bench: BenchmarkSet | null): Promise<NetEvaluation | null> {
  const dir = jobDir(o.modelsDir, job);
  if (!existsSync(path.join(dir, 'metadata.json'))) return null;
  const meta = readNetsMetadata(dir);
  const weights = existsSync(path.join(dir, 'selected')) && meta.selection ? 'selected' : existsSync(path.join(dir, 'checkpoint')) ? 'checkpoint' : null;
  if (!weights) return null;
  const config = paper001Config(job.users);
  const nets = await loadNets(tf, path.join(dir, weights), config.numAps);
  const ds = paper001Samples(config, job.layout, job.valSamples, job.valSeed);
  if (ds.hash !== meta.data.valHash) throw new Error(`${dir}: validation hash ${meta.data.valHash.slice(0, 12)} is not that of ${job.valSamples} samples of seed ${job.valSeed}`);
  const data = { H: ds.data.H, G: ds.data.G, n: ds.n };
  const W = predictBeams(tf, config, job.net.kind, nets, data);
  const ev = new Paper001Evaluator(config);
  const per = config.numAps * (job.users + 1) * 2 * config.numTxAnt;
  const s1: number[] = [];
  const s2: number[] = [];
  for (let i = 0; i < ds.n; i++) {
    const v = ev.evaluate(instanceOfSample(config, ds, i), beamsFromDense(config, W, i * per));
    s1.push(v.ssnr);
    s2.push(v.minSinr);
  }
  const nb = bench ? Math.min(bench.n, ds.n) : 0;
  const repeats = o.timingRepeats ?? 20;
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const H = tf.tensor4d(data.H, [data.n, L, N, 2 * M]);
  const G = tf.tensor4d(data.G, [data.n, 1, L, 2 * M]);
  const single: number[] = [];
  const batched: number[] = [];
  for (let l = 0; l < nets.length; l++) {
    const net = await inferenceNet(tf, nets[l]);
    const xAll = apInput(tf, config, job.net.kind, H, G, l);
    const x1 = tf.slice(xAll, 0, 1);
    single.push(timeApNet(tf, net, x1, repeats, o.now));
    batched.push(timeApNet(tf, net, xAll, Math.max(3, Math.round(repeats / 4)), o.now));
    xAll.dispose();
    x1.dispose();
    if (net !== nets[l]) net.dispose();
  }
  H.dispose();
  G.dispose();
  nets.forEach((n) => n.dispose());
  return {
    job,
    meta,
    weights,
    epoch: weights === 'selected' ? meta.selection!.epoch : meta.state.epochsDone,
    minSinr: meanSe(s2),
    ssnr: meanSe(s1),
    onBenchmark: { n: nb, minSinr: meanSe(s2.slice(0, nb)), ssnr: meanSe(s1.slice(0, nb)) },
    msPerSampleSingle: single,
    msPerSampleBatched: batched,
  };
}

function benchStats(b: BenchmarkSet, n = b.n): { minSinr: MeanSe; ssnr: MeanSe; msPerSample: MeanSe } {
  const ok = (xs: number[]) => xs.slice(0, n).filter((x) => Number.isFinite(x));
  return { minSinr: meanSe(ok(b.minSinr)), ssnr: meanSe(ok(b.ssnr)), msPerSample: meanSe(b.bisectionMs.slice(0, n).map((t, i) => t + b.sdpMs[i])) };
}

const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', background: 'white', config: { legend: { labelLimit: 320 } } } as const;

function curveSpec(title: string, subtitle: string, rows: Array<Record<string, unknown>>, yField: string, yTitle: string, rules: Array<{ label: string; value: number }>): TopLevelSpec {
  return {
    ...BASE,
    width: 560,
    height: 300,
    title: { text: title, subtitle, fontSize: 14 },
    layer: [
      { data: { values: rows }, mark: { type: 'line', point: rows.length < 40 }, encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, y: { field: yField, type: 'quantitative', title: yTitle }, color: { field: 'series', type: 'nominal', title: null } } },
      { data: { values: rules }, mark: { type: 'rule', strokeDash: [6, 4] }, encoding: { y: { field: 'value', type: 'quantitative' }, color: { field: 'label', type: 'nominal', title: null } } },
    ],
  } as unknown as TopLevelSpec;
}

function barSpec(title: string, subtitle: string, rows: Array<Record<string, unknown>>, yField: string, yTitle: string, log = false): TopLevelSpec {
  return {
    ...BASE,
    width: 420,
    height: 280,
    title: { text: title, subtitle, fontSize: 14 },
    data: { values: rows },
    // bars start at 0, which a log axis cannot show: points there
    mark: log ? { type: 'point', filled: true, size: 90 } : { type: 'bar' },
    encoding: {
      x: { field: 'N', type: 'ordinal', title: 'users N', axis: { labelAngle: 0 } },
      xOffset: { field: 'method' },
      y: { field: yField, type: 'quantitative', title: yTitle, ...(log ? { scale: { type: 'log' } } : {}) },
      color: { field: 'method', type: 'nominal', title: null },
    },
  } as unknown as TopLevelSpec;
}

export interface TeacherStudentChecks {
  lines: string[];
  met: Record<string, boolean | null>;
}

/** Writes the figures and returns the "Done when" lines. */
export async function writeTeacherStudentFigures(tf: Tf, o: TeacherStudentFiguresOptions): Promise<TeacherStudentChecks & { results: unknown }> {
  const { specToSvg } = await import('../analysis/plot.ts');
  const log = o.log ?? (() => {});
  const bdir = o.benchmarkDir ?? path.join(o.modelsDir, 'paper001-benchmark');
  const counts = { ...DEFAULT_BENCHMARK_SAMPLES, ...(o.benchmarkSamples ?? {}) };
  mkdirSync(o.out, { recursive: true });
  const benches = new Map<string, BenchmarkSet>();
  for (const key of Object.keys(counts)) {
    const [layout, N] = key.split(':');
    benches.set(key, benchmarkFor(bdir, layout as Paper001Layout, Number(N), counts[key], o.now, log));
  }
  const evals = new Map<string, NetEvaluation>();
  for (const job of PAPER001_JOBS) {
    const e = await evaluateJob(tf, job, o, benches.get(`${job.layout}:${job.users}`) ?? null);
    if (e) evals.set(job.id, e);
    log(e ? `${job.id}: ${e.weights} epoch ${e.epoch}: min-SINR ${f3(e.minSinr)}, SSNR ${f3(e.ssnr)}` : `${job.id}: not trained yet`);
  }
  const b15 = benchStats(benches.get('pos-1:5')!);
  const bound = ssnrBound(paper001Config(5));
  const short = (e: NetEvaluation) => `${e.meta.state.epochsDone}/${e.job.epochs} epochs × ${e.job.trainSamples} training samples, batch ${e.job.batchSize}`;
  const budget = (e: NetEvaluation) => `${short(e)} (${e.meta.budget.paper.split(';')[0]})`;
  const curveRows = (e: NetEvaluation, key: 'ssnr' | 'minSinr') =>
    e.meta.state.curve.flatMap((c: Paper001Epoch) => [
      { epoch: c.epoch, series: 'training', value: key === 'ssnr' ? c.trainSsnr : c.trainMinSinr },
      { epoch: c.epoch, series: 'validation', value: key === 'ssnr' ? c.ssnr : c.minSinr },
    ]);
  const tag = (e: NetEvaluation) => `${e.weights === 'selected' ? 'selected' : 'last'} epoch ${e.epoch}; ${e.meta.state.epochsDone}/${e.job.epochs} epochs trained${e.meta.state.stopped === 'running' ? ', unfinished' : ''}`;
  const recalNote = (e: NetEvaluation) => {
    const first = e.meta.state.curve.find((c) => (c.recalibratedBatches ?? 0) > 0)?.epoch;
    if (first === 1) return 'BatchNorm statistics re-estimated before every validation';
    return first === undefined
      ? 'validation on the BatchNorm moving statistics (momentum 0.99, not re-estimated: they lag at this budget)'
      : `validation of epochs 1–${first - 1} on lagging BatchNorm moving statistics (momentum 0.99), from epoch ${first} on re-estimated before every validation (networks.ts recalibrateBatchNorm)`;
  };
  const files: string[] = [];
  const save = async (name: string, spec: TopLevelSpec, header: string[], rows: Array<Array<string | number>>) => {
    writeText(path.join(o.out, `${name}.csv`), csv(header, rows));
    writeText(path.join(o.out, `${name}.svg`), await specToSvg(spec));
    files.push(name);
  };
  const captions: string[] = [];
  const lines: string[] = [];
  const met: Record<string, boolean | null> = {};

  // Fig. 7
  const ssnrT = evals.get('ssnr-teacher-pos1-n5');
  if (ssnrT) {
    const rows = curveRows(ssnrT, 'ssnr');
    await save('fig7-ssnr-teacher', curveSpec('Fig. 7: U-Net SSNR teacher (β = 0), Pos-1, N = 5', `${short(ssnrT)}; dashed: benchmark [28] JSC (ρ = 0.5) and the bound c·M·ΣP_l`, rows, 'value', 'mean SSNR g₁', [{ label: `JSC benchmark (${b15.ssnr.mean.toFixed(3)})`, value: b15.ssnr.mean }, { label: `bound ${bound}`, value: bound }]), ['epoch', 'series', 'ssnr'], rows.map((r) => [r.epoch, r.series, r.value]));
    captions.push(`**Fig. 7** (\`fig7-ssnr-teacher.svg\`, \`.csv\`): training (mini-batch means, training mode) and validation (${ssnrT.job.valSamples} Pos-1 samples of seed ${VAL_SEED}, inference mode; ${recalNote(ssnrT)}) SSNR of the U-Net F3 SSNR teacher, L = 2, M = 16, N = 5, Adam 0.01, batch 500, ${budget(ssnrT)}; dashed: the benchmark's mean SSNR on the first ${benches.get('pos-1:5')!.n} of those samples and the bound ${bound}.`);
    const gap = (bound - ssnrT.ssnr.mean) / bound;
    met.ssnrTeacher = gap <= 0.02;
    lines.push(`SSNR teacher within 2 % of its bound (σ_s²/σ_a²)·M·Σ_l P_l = ${bound}: validation SSNR ${f3(ssnrT.ssnr)} (float64, ${tag(ssnrT)}), gap ${(100 * gap).toFixed(2)} % — ${met.ssnrTeacher ? 'met' : 'not met'}`);
  } else {
    met.ssnrTeacher = null;
    lines.push('SSNR teacher: not trained yet (scripts/paper001-train.ts)');
  }
  // Fig. 8
  const sinrT = evals.get('sinr-teacher-pos1-n5');
  if (sinrT) {
    const rows = curveRows(sinrT, 'minSinr');
    await save('fig8-sinr-teacher', curveSpec('Fig. 8: U-Net SINR teacher (β = 1), Pos-1, N = 5', `${short(sinrT)}; dashed: benchmark [28] JSC (ρ = 0.5)`, rows, 'value', 'mean min-SINR g₂', [{ label: `JSC benchmark (${b15.minSinr.mean.toFixed(3)})`, value: b15.minSinr.mean }]), ['epoch', 'series', 'min_sinr'], rows.map((r) => [r.epoch, r.series, r.value]));
    captions.push(`**Fig. 8** (\`fig8-sinr-teacher.svg\`, \`.csv\`): training and validation mean min-SINR of the U-Net F3 SINR teacher (early stopping patience 100 on the validation min-SINR), same setting as Fig. 7, ${budget(sinrT)}; ${recalNote(sinrT)}; dashed: the benchmark's mean min-SINR.`);
    met.sinrTeacher = sinrT.minSinr.mean > b15.minSinr.mean;
    lines.push(`U-Net SINR teacher's validation min-SINR above the benchmark's (Pos-1, N = 5): ${f3(sinrT.minSinr)} (${tag(sinrT)}) vs ${f3(b15.minSinr)} — ${met.sinrTeacher ? 'met' : 'not met'} (${(100 * (sinrT.minSinr.mean / b15.minSinr.mean - 1)).toFixed(1)} %)`);
  } else {
    met.sinrTeacher = null;
    lines.push('SINR teacher: not trained yet');
  }
  lines.push(`Benchmark (bisection + SDP, JSC at ρ = 0.5) on ${benches.get('pos-1:5')!.n} Pos-1 N = 5 samples (seed ${VAL_SEED}): mean min-SINR ${f3(b15.minSinr)}, SSNR ${f3(b15.ssnr)}, ${b15.msPerSample.mean.toFixed(0)} ± ${b15.msPerSample.se.toFixed(0)} ms per sample`);

  // Figs. 10, 13, 16
  const students = [2, 5, 8].map((N) => ({ N, e: evals.get(`student-pos2-n${N}`), b: benches.get(`pos-2:${N}`)! }));
  const s5 = students[1].e;
  if (s5) {
    const rows = s5.meta.state.curve.flatMap((c) => [
      { epoch: c.epoch, series: 'training min-SINR', value: c.trainMinSinr },
      { epoch: c.epoch, series: 'validation min-SINR', value: c.minSinr },
      { epoch: c.epoch, series: 'training SSNR', value: c.trainSsnr },
      { epoch: c.epoch, series: 'validation SSNR', value: c.ssnr },
      { epoch: c.epoch, series: 'λ (end of epoch)', value: c.lambda },
    ]);
    const b = benchStats(students[1].b);
    await save('fig10-student', curveSpec('Fig. 10: U-Net student, Pos-2, N = 5 (adaptive λ, ε = 0.01)', `${short(s5)}; dashed: benchmark JSC on ${students[1].b.n} of the validation samples`, rows, 'value', 'mean score / λ', [{ label: `JSC min-SINR (${b.minSinr.mean.toFixed(3)})`, value: b.minSinr.mean }, { label: `JSC SSNR (${b.ssnr.mean.toFixed(3)})`, value: b.ssnr.mean }]), ['epoch', 'series', 'value'], rows.map((r) => [r.epoch, r.series, r.value]));
    captions.push(`**Fig. 10** (\`fig10-student.svg\`, \`.csv\`): the U-Net F3 student on Pos-2, N = 5 (the paper's Fig. 10 is Pos-1; the students here are Pos-2 for Fig. 13/16): training and validation min-SINR and SSNR and λ after each epoch; loss (11) with ĝ = [${s5.meta.teacherScores?.gMax.map((g) => g.toFixed(3)).join(', ')}] (${s5.meta.teacherScores?.source}); ${budget(s5)}; ${recalNote(s5)}.`);
  }
  const trained = students.filter((s) => s.e);
  if (trained.length) {
    const rows = trained.flatMap((s) => s.e!.meta.state.curve.flatMap((c) => [{ epoch: c.epoch, series: `N = ${s.N} min-SINR`, value: c.minSinr }, { epoch: c.epoch, series: `N = ${s.N} SSNR`, value: c.ssnr }]));
    await save('fig13-students', curveSpec('Fig. 13: U-Net students, Pos-2, N = 2, 5, 8', 'validation (inference mode) mean min-SINR and SSNR vs epoch', rows, 'value', 'validation mean', []), ['epoch', 'series', 'value'], rows.map((r) => [r.epoch, r.series, r.value]));
    captions.push(`**Fig. 13** (\`fig13-students.svg\`, \`.csv\`): validation min-SINR and SSNR of the U-Net F3 students on Pos-2 for N = 2, 5, 8 (${trained.map((s) => `N = ${s.N}: ${budget(s.e!)}, ${recalNote(s.e!)}`).join('; ')}).`);
    const sel = trained.flatMap((s) => {
      const b = benchStats(s.b, s.e!.onBenchmark.n);
      return [
        { N: s.N, method: 'student (selected, 94 %)', minSinr: s.e!.onBenchmark.minSinr.mean, minSinrSe: s.e!.onBenchmark.minSinr.se, ssnr: s.e!.onBenchmark.ssnr.mean, ssnrSe: s.e!.onBenchmark.ssnr.se, n: s.e!.onBenchmark.n },
        { N: s.N, method: 'JSC benchmark [28]', minSinr: b.minSinr.mean, minSinrSe: b.minSinr.se, ssnr: b.ssnr.mean, ssnrSe: b.ssnr.se, n: s.e!.onBenchmark.n },
      ];
    });
    writeText(path.join(o.out, 'fig16a-selection.csv'), csv(['N', 'method', 'samples', 'min_sinr', 'min_sinr_se', 'ssnr', 'ssnr_se'], sel.map((r) => [r.N, r.method, r.n, r.minSinr, r.minSinrSe, r.ssnr, r.ssnrSe])));
    writeText(path.join(o.out, 'fig16a-selection-sinr.svg'), await specToSvg(barSpec('Fig. 16a: min-SINR after selection vs benchmark (Pos-2)', 'the same validation samples for both', sel, 'minSinr', 'mean min-SINR g₂')));
    writeText(path.join(o.out, 'fig16a-selection-ssnr.svg'), await specToSvg(barSpec('Fig. 16a: SSNR after selection vs benchmark (Pos-2)', 'the same validation samples for both', sel, 'ssnr', 'mean SSNR g₁')));
    const time = trained.flatMap((s) => {
      const b = benchStats(s.b);
      return [
        { N: s.N, method: 'DL, one sample (max over the 2 U-Nets)', ms: Math.max(...s.e!.msPerSampleSingle) },
        { N: s.N, method: `DL, batch of ${s.e!.job.valSamples} (per sample)`, ms: Math.max(...s.e!.msPerSampleBatched) },
        { N: s.N, method: 'bisection + SDP', ms: b.msPerSample.mean },
      ];
    });
    writeText(path.join(o.out, 'fig16b-runtime.csv'), csv(['N', 'method', 'ms_per_sample'], time.map((r) => [r.N, r.method, r.ms])));
    writeText(path.join(o.out, 'fig16b-runtime.svg'), await specToSvg(barSpec('Fig. 16b: run time per sample (Pos-2)', 'tfjs wasm, one core; benchmark: our interior-point SDP solver at 1e-8', time, 'ms', 'ms per sample (log)', true)));
    files.push('fig16a-selection', 'fig16b-runtime');
    captions.push(
      `**Fig. 16a** (\`fig16a-selection-sinr.svg\`, \`fig16a-selection-ssnr.svg\`, \`fig16a-selection.csv\`): the students after §8.3's selection (the best validation SSNR among the epochs with min-SINR ≥ 0.94·S*), float64 scores on the first n validation samples, beside the benchmark on the same samples (n = ${trained.map((s) => `${s.e!.onBenchmark.n} for N = ${s.N}`).join(', ')}).`,
      `**Fig. 16b** (\`fig16b-runtime.svg\`, \`.csv\`): ms per sample: the slower of the two per-AP U-Nets' forward (tfjs wasm, inferenceNet's copy with the transposed convolutions as Conv2D, median of repeated predicts, one sample and a batch), and bisection + SDP (mean over the benchmark's samples, its run in scripts/paper001-train.ts; the same VM, another time and load).`,
    );
    for (const s of trained) {
      const e = s.e!;
      const b = benchStats(s.b, e.onBenchmark.n);
      const dSinr = 100 * (e.onBenchmark.minSinr.mean / b.minSinr.mean - 1);
      const dSsnr = 100 * (e.onBenchmark.ssnr.mean / b.ssnr.mean - 1);
      lines.push(
        `Student Pos-2 N = ${s.N} after selection (${tag(e)}${e.meta.selection ? `, S* ${e.meta.selection.best.toFixed(3)}, ${e.meta.selection.qualifying} epochs qualify` : ''}): min-SINR ${f3(e.onBenchmark.minSinr)}, SSNR ${f3(e.onBenchmark.ssnr)} vs benchmark ${f3(b.minSinr)}, ${f3(b.ssnr)} on the same ${e.onBenchmark.n} samples (${dSinr >= 0 ? '+' : ''}${dSinr.toFixed(1)} % min-SINR, ${dSsnr >= 0 ? '+' : ''}${dSsnr.toFixed(1)} % SSNR); on all ${e.job.valSamples}: ${f3(e.minSinr)}, ${f3(e.ssnr)}`,
      );
      const ratio = benchStats(s.b).msPerSample.mean / Math.max(...e.msPerSampleSingle);
      lines.push(`Run time N = ${s.N}: DL ${Math.max(...e.msPerSampleSingle).toFixed(2)} ms per sample (one sample; ${Math.max(...e.msPerSampleBatched).toFixed(3)} ms batched) vs bisection + SDP ${benchStats(s.b).msPerSample.mean.toFixed(0)} ms: ${ratio.toFixed(0)}× (target ≥ 1000× — ${ratio >= 1000 ? 'met' : 'not met'})`);
    }
  }
  const readme = [
    '# Paper 001 (cell-free ISAC, teacher–student): figures',
    '',
    `Regenerate: \`isac-twin figures teacher-student --out ${o.out} --models ${o.modelsDir}\` after \`scripts/paper001-train.ts\` (docs/teacher-student.md §6).`,
    '',
    `Setting: paper 001 §7 — L = 2 APs at (25, 0), (75, 0) m, M = 16, P_l = 1 W, σ_n² = σ_a² = 1 W, σ_s² = 0.1, one target; U-Net F3 per AP on its own CSI; validation: the first ${PAPER001_JOBS[0].valSamples} samples of seed ${VAL_SEED} (the benchmark's samples of the docs' table). Budgets are far below the paper's (per figure).`,
    '',
    ...captions.flatMap((c) => [c, '']),
    '## Done when (issue 12)',
    ...lines.map((l) => `- ${l}`),
    '',
  ].join('\n');
  writeText(path.join(o.out, 'README.md'), readme);
  const results = {
    benchmark: Object.fromEntries([...benches].map(([k, b]) => [k, { n: b.n, ...benchStats(b), failures: b.failures }])),
    networks: [...evals.values()].map((e) => ({ id: e.job.id, weights: e.weights, epoch: e.epoch, epochsDone: e.meta.state.epochsDone, minSinr: e.minSinr, ssnr: e.ssnr, onBenchmark: e.onBenchmark, msPerSampleSingle: e.msPerSampleSingle, msPerSampleBatched: e.msPerSampleBatched, selection: e.meta.selection, trainingTimeS: e.meta.trainingTimeS })),
    checks: met,
  };
  writeText(path.join(o.out, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  log(`wrote ${o.out}/README.md, results.json, ${files.join(', ')}`);
  return { lines, met, results };
}
