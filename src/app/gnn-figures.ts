/**
 * `isac-twin figures gnn`: paper 004's evaluation on its test set (docs/gnn.md).
 *
 *   Fig. 3  the communication/sensing trade-off over β_s at M = 5: sum rate and log2(1 + SNR) of the
 *           GNN trained at each β_s against WMMSE (β_s = 0), CB comm, CB sensing (the sensing bound)
 *           and the PGA reference of (8a) at the same β_s (the "% of optimal" denominator);
 *   Fig. 4  the M = 5 models (β_s = 0 and 2) at M = 2…10 without retraining, against WMMSE, CB comm,
 *           CB sensing and the PGA reference at β_s = 2.
 * Written as CSV, SVG (vega-lite), a markdown file with the captions and the issue's "Done when"
 * table (printed too), and a JSON file of every aggregate.
 *
 * Test set: `samples` i.i.d. draws of the paper channel per M from stream `paper004/test/M=<M>` of
 * a fixed seed (gnn-baselines.ts). Every value is metrics/isac.ts's on the sample's true channel.
 * Means are over samples; a ratio "x % of WMMSE" is the ratio of the means. SNR is reported three
 * ways (the issue's note): log2(1 + SNR) (the unit of the 85 % criterion), linear, and dB
 * (10 log10 of the mean linear SNR, and the mean of the per-sample dB).
 *
 * The baselines (minutes of WMMSE and PGA) are cached per M under `cache` (a JSON file named by a
 * hash of everything they depend on); the GNN's (seconds) are not. Missing GNN models
 * (`<models>/gnn-beta<β>`) are named in the output and their rows left out; the baselines are still
 * drawn.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { specToSvg } from '../analysis/plot.ts';
import { gnnInputsInto } from '../learning/gnn-data.ts';
import { loadEdgeGnn, type HeteroEdgeGnn } from '../learning/layers/graph.ts';
import { buildTopology, type Beamformers, type Topology } from '../phy/network.ts';
import { axisToBroadsideRad, resolvePaperChannel, type PaperSample } from '../phy/paper-channel.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import { isacValue, sensingBound } from '../solvers/cf-isac.ts';
import {
  DEFAULT_BASELINE_SETTINGS,
  FIG4_BETAS,
  evaluateBaselines,
  figureSettingProblem,
  mergeChunks,
  problemOfSample,
  scenarioWithAps,
  sensingGains,
  testSamples,
  WMMSE_CHECKPOINTS,
  type BaselineChunk,
  type BaselineSettings,
  type TestSetSpec,
} from './gnn-baselines.ts';

export type Tf = typeof import('@tensorflow/tfjs');
export { DEFAULT_APS, DEFAULT_BETAS, FIG4_BETAS } from './gnn-baselines.ts';


export interface GnnFiguresOptions {
  loaded: LoadedScenario;
  out: string;
  /** Folder of the models `gnn-beta<β>`. */
  models: string;
  samples: number;
  seed: number;
  betas: number[];
  aps: number[];
  /** The PGA reference runs on the first pgaSamples samples of each test set. */
  pgaSamples: number;
  jobs: number;
  /** Cache folder of the baselines (undefined: no cache). */
  cache?: string;
  settings?: BaselineSettings;
  log?: (line: string) => void;
}

export class GnnFiguresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GnnFiguresError';
  }
}

// ------------------------------------------------------------------ baselines (cached, in workers)

function chunkRanges(samples: number, size: number): Array<{ from: number; to: number }> {
  const out: Array<{ from: number; to: number }> = [];
  for (let from = 0; from < samples; from += size) out.push({ from, to: Math.min(samples, from + size) });
  return out;
}

const CACHE_VERSION = 2;

function cacheKey(o: GnnFiguresOptions, spec: TestSetSpec, pga: { betas: number[]; samples: number }, settings: BaselineSettings): string {
  const s = o.loaded.scenario;
  const setting = { v: CACHE_VERSION, U: s.users.perCell, N: s.topology.numTxAnt, NR: s.topology.numRxAnt, paper: resolvePaperChannel(s.channel.paper), rx: s.sensing.receiveArrayGain, spec, pga, settings };
  return createHash('sha256').update(JSON.stringify(setting)).digest('hex').slice(0, 16);
}

type Job = { spec: TestSetSpec; range: { from: number; to: number }; pga: { betas: number[]; samples: number } };

/**
 * Runs the jobs (in this thread, or in `o.jobs` worker threads taking them in order); `done(i, r)`
 * is called as each finishes.
 */
async function runJobs(o: GnnFiguresOptions, jobs: Job[], settings: BaselineSettings, done: (i: number, r: BaselineChunk) => void): Promise<void> {
  const log = o.log ?? (() => undefined);
  let count = 0;
  const finish = (i: number, r: BaselineChunk, t0: number) => {
    count++;
    const j = jobs[i];
    log(`  baselines M=${j.spec.numAps} samples ${j.range.from}–${j.range.to - 1}: ${((performance.now() - t0) / 1000).toFixed(1)} s (${count}/${jobs.length})`);
    done(i, r);
  };
  if (o.jobs <= 1) {
    jobs.forEach((j, i) => {
      const t0 = performance.now();
      finish(i, evaluateBaselines(o.loaded.scenario, j.spec, j.range, j.pga, settings), t0);
    });
    return;
  }
  const queue = jobs.map((_, i) => i);
  await Promise.all(
    Array.from({ length: Math.min(o.jobs, jobs.length) }, async () => {
      const worker = new Worker(new URL('./gnn-worker.mjs', import.meta.url));
      try {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const t0 = performance.now();
          const j = jobs[i];
          const r = await new Promise<BaselineChunk>((resolve, reject) => {
            worker.once('message', (m: { ok: boolean; result?: BaselineChunk; error?: string }) => (m.ok ? resolve(m.result!) : reject(new Error(m.error))));
            worker.once('error', reject);
            worker.postMessage({ text: o.loaded.text, file: o.loaded.file, ...j, settings });
          });
          finish(i, r, t0);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
}

/**
 * Baselines of every M: from the cache where present, else computed — M = 5 first (Fig. 3), the
 * others by size — and each M cached as soon as its last chunk is done (an interrupted run keeps
 * the finished M).
 */
async function baselinesFor(o: GnnFiguresOptions, plan: Array<{ numAps: number; pgaBetas: number[] }>, settings: BaselineSettings): Promise<Map<number, BaselineChunk>> {
  const log = o.log ?? (() => undefined);
  const out = new Map<number, BaselineChunk>();
  const todo: Array<{ numAps: number; file?: string; pga: { betas: number[]; samples: number }; spec: TestSetSpec }> = [];
  for (const { numAps, pgaBetas } of plan) {
    const spec: TestSetSpec = { seed: o.seed, numAps, samples: o.samples };
    const pga = { betas: pgaBetas, samples: Math.min(o.pgaSamples, o.samples) };
    const file = o.cache ? path.join(o.cache, `gnn-baselines-M${numAps}-${cacheKey(o, spec, pga, settings)}.json`) : undefined;
    if (file && existsSync(file)) {
      out.set(numAps, JSON.parse(readFileSync(file, 'utf8')) as BaselineChunk);
      log(`  baselines M=${numAps}: cached (${file})`);
    } else todo.push({ numAps, file, pga, spec });
  }
  todo.sort((a, b) => (a.numAps === 5 ? -1 : b.numAps === 5 ? 1 : a.numAps - b.numAps));
  const jobs: Job[] = todo.flatMap((t) => chunkRanges(o.samples, 100).map((range) => ({ spec: t.spec, range, pga: t.pga })));
  const pending = new Map(todo.map((t) => [t.numAps, { t, left: chunkRanges(o.samples, 100).length, chunks: [] as BaselineChunk[] }]));
  await runJobs(o, jobs, settings, (i, r) => {
    const p = pending.get(jobs[i].spec.numAps)!;
    p.chunks.push(r);
    if (--p.left > 0) return;
    const merged = mergeChunks(p.chunks);
    out.set(p.t.numAps, merged);
    if (p.t.file) {
      mkdirSync(path.dirname(p.t.file), { recursive: true });
      writeFileSync(`${p.t.file}.tmp`, JSON.stringify(merged));
      renameSync(`${p.t.file}.tmp`, p.t.file);
    }
  });
  return out;
}

// ------------------------------------------------------------------ the GNN

export interface GnnModelInfo {
  beta: number;
  dir: string;
  /** Hidden widths from the model file. */
  hiddenDims: number[];
  parameters: number;
  /** What metadata.json tells (when present): epochs, samples, wall time … */
  metadata?: Record<string, unknown>;
}

/** The folder of the β_s model: gnn-beta0, gnn-beta0.5, gnn-beta2, … */
export const modelDirName = (beta: number): string => `gnn-beta${beta}`;

/**
 * Loads the models present; returns the β_s without one. A model whose metadata says it was trained
 * at another β_s, or on another problem (Σ P, σ², c_m) than the scenario's, is refused.
 */
export function loadGnnModels(
  tf: Tf,
  dir: string,
  betas: number[],
  problem?: { sumPowerW: number; noiseW: number; sensingGain: number },
): { models: Map<number, { model: HeteroEdgeGnn; info: GnnModelInfo }>; missing: number[] } {
  const models = new Map<number, { model: HeteroEdgeGnn; info: GnnModelInfo }>();
  const missing: number[] = [];
  for (const beta of betas) {
    const d = path.join(dir, modelDirName(beta));
    if (!existsSync(path.join(d, 'model.json'))) {
      missing.push(beta);
      continue;
    }
    const model = loadEdgeGnn(tf, d);
    const metaFile = path.join(d, 'metadata.json');
    const metadata = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>) : undefined;
    const g = metadata?.gnn as { betaS?: number; sumPowerW?: number; noiseW?: number; sensingGain?: number } | undefined;
    if (g?.betaS !== undefined && g.betaS !== beta) throw new GnnFiguresError(`${metaFile}: trained at β_s = ${g.betaS}, not ${beta}`);
    if (g && problem) {
      for (const k of ['sumPowerW', 'noiseW', 'sensingGain'] as const) {
        if (g[k] !== undefined && Math.abs(g[k]! - problem[k]) > 1e-12 * Math.abs(problem[k])) throw new GnnFiguresError(`${metaFile}: trained with ${k} = ${g[k]}, the scenario has ${problem[k]}`);
      }
    }
    models.set(beta, { model, info: { beta, dir: d, hiddenDims: model.config.hiddenDims, parameters: model.countParams(), ...(metadata ? { metadata } : {}) } });
  }
  return { models, missing };
}

/**
 * The GNN's beams on every sample (batches of `batch`), as the topology's Beamformers (rows u, then
 * sensing). Inputs through learning/gnn-data.ts `gnnInputsInto` (the trainer's and the policy's own
 * function) with scale 1: the models are checked to be trained on the scenario's ΣP and σ².
 */
export function gnnBeams(tf: Tf, model: HeteroEdgeGnn, topo: Topology, samples: PaperSample[], batch = 250): Beamformers[] {
  const { numBs: M, numUsers: U, numTxAnt: N } = topo;
  const out: Beamformers[] = [];
  for (let b0 = 0; b0 < samples.length; b0 += batch) {
    const part = samples.slice(b0, b0 + batch);
    const B = part.length;
    const h = new Float32Array(B * M * U * 2 * N);
    const s = new Float32Array(B * M * 2 * N);
    part.forEach((smp, b) => gnnInputsInto(h, s, b, M, U, N, smp.H, Float64Array.from(smp.thetaRad, axisToBroadsideRad), 1));
    const [ue, target] = tf.tidy(() => {
      const r = model.forward({ h: tf.tensor4d(h, [B, M, U, 2 * N]), a: tf.tensor3d(s, [B, M, 2 * N]), power: topo.powerW[0] });
      return [r.ue.dataSync(), r.target.dataSync()];
    });
    for (let b = 0; b < B; b++) {
      out.push(
        topo.apStreams.map((rows, m) => {
          const W = new Float64Array(2 * rows.length * N);
          rows.forEach((st, r) => {
            const src = st < U ? ue : target;
            const o = st < U ? ((b * M + m) * U + st) * 2 * N : (b * M + m) * 2 * N;
            for (let i = 0; i < N; i++) {
              W[2 * (r * N + i)] = src[o + i];
              W[2 * (r * N + i) + 1] = src[o + N + i];
            }
          });
          return W;
        }),
      );
    }
  }
  return out;
}

// ------------------------------------------------------------------ aggregates

export interface Stats {
  samples: number;
  /** Mean Σ_u log2(1 + SINR_u), bit/s/Hz. */
  sumRate: number;
  /** Mean log2(1 + SNR). */
  sensingRate: number;
  /** Mean linear SNR, and 10 log10 of it. */
  snr: number;
  snrDbOfMean: number;
  /** Mean of 10 log10 SNR per sample (−∞ when a sample has SNR 0). */
  meanSnrDb: number;
}

export function statsOf(rate: ArrayLike<number>, snr: ArrayLike<number>): Stats {
  const n = rate.length;
  if (snr.length !== n) throw new Error(`statsOf: ${n} rates, ${snr.length} SNRs`);
  let r = 0;
  let l = 0;
  let s = 0;
  let d = 0;
  for (let i = 0; i < n; i++) {
    r += rate[i];
    l += Math.log2(1 + snr[i]);
    s += snr[i];
    d += 10 * Math.log10(snr[i]);
  }
  return { samples: n, sumRate: r / n, sensingRate: l / n, snr: s / n, snrDbOfMean: 10 * Math.log10(s / n), meanSnrDb: d / n };
}

export interface Row extends Stats {
  /** Fig. 3: the β_s the row belongs to; Fig. 4: the GNN's/PGA's β_s (baselines: their own, 0 for WMMSE). */
  beta: number;
  numAps: number;
  algorithm: string;
  /** 'all' samples of the test set, or 'pga' (the first pgaSamples, where the PGA reference ran). */
  subset: 'all' | 'pga';
  /** sumRate + β_s · sensingRate of the means (the mean of (8a)). */
  objective: number;
}

const ALG = { gnn: 'GNN', pga: 'PGA reference', wmmse: 'WMMSE', cbUe: 'CB comm', cbAp: 'CB comm (AP norm)', cbs: 'CB sensing' } as const;

function row(numAps: number, beta: number, algorithm: string, subset: Row['subset'], st: Stats): Row {
  return { numAps, beta, algorithm, subset, ...st, objective: st.sumRate + beta * st.sensingRate };
}

interface SetResult {
  numAps: number;
  topo: Topology;
  bound: number;
  baselines: BaselineChunk;
  /** β_s → per-sample GNN rate and SNR. */
  gnn: Map<number, { rate: number[]; snr: number[] }>;
}

function rowsOf(r: SetResult, betas: number[], pgaSamples: number): Row[] {
  const b = r.baselines;
  const n = Math.min(pgaSamples, b.wmmseRate.length);
  const rows: Row[] = [];
  for (const beta of betas) {
    const g = r.gnn.get(beta);
    if (g) {
      rows.push(row(r.numAps, beta, ALG.gnn, 'all', statsOf(g.rate, g.snr)));
      rows.push(row(r.numAps, beta, ALG.gnn, 'pga', statsOf(g.rate.slice(0, n), g.snr.slice(0, n))));
    }
    const p = b.pga.find((x) => x.beta === beta);
    if (p && p.rate.length) rows.push(row(r.numAps, beta, ALG.pga, 'pga', statsOf(p.rate, p.snr)));
    // WMMSE is the β_s = 0 reference; its sensing SNR is that of its comm beams (sensing rows 0).
    for (const subset of ['all', 'pga'] as const) {
      const k = subset === 'all' ? b.wmmseRate.length : n;
      rows.push(row(r.numAps, beta, ALG.wmmse, subset, statsOf(b.wmmseRate.slice(0, k), b.wmmseSnr.slice(0, k))));
      rows.push(row(r.numAps, beta, ALG.cbUe, subset, statsOf(b.cbUeRate.slice(0, k), b.cbUeSnr.slice(0, k))));
      rows.push(row(r.numAps, beta, ALG.cbAp, subset, statsOf(b.cbApRate.slice(0, k), b.cbApSnr.slice(0, k))));
      rows.push(row(r.numAps, beta, ALG.cbs, subset, statsOf(b.cbsRate.slice(0, k), b.cbsSnr.slice(0, k))));
    }
  }
  return rows;
}

// ------------------------------------------------------------------ output

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');

function csv(rows: Row[]): string {
  const head = 'num_aps,beta,algorithm,subset,samples,sum_rate_bps_hz,log2_1p_snr,snr_linear,snr_db_of_mean,mean_snr_db,objective';
  return [head, ...rows.map((r) => [r.numAps, r.beta, `"${r.algorithm}"`, r.subset, r.samples, r.sumRate, r.sensingRate, r.snr, r.snrDbOfMean, r.meanSnrDb, r.objective].join(','))].join('\n') + '\n';
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Colours per series (the same algorithm has the same colour in both figures). */
const COLOURS: Record<string, string> = {
  GNN: '#d62728',
  'GNN β_s=0': '#d62728',
  'GNN β_s=2': '#ff7f0e',
  'PGA reference': '#2ca02c',
  'PGA reference β_s=2': '#2ca02c',
  WMMSE: '#1f77b4',
  'CB comm': '#9467bd',
  'CB sensing': '#7f7f7f',
};

function colour(names: string[]): Record<string, unknown> {
  const domain = Object.keys(COLOURS).filter((k) => names.includes(k));
  return { field: 'algorithm', type: 'nominal', title: null, scale: { domain, range: domain.map((k) => COLOURS[k]) } };
}

/** Learned and optimised methods solid, the fixed baselines dashed. */
const DASH = { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['method', 'baseline'], range: [[1, 0], [5, 3]] } };

type Datum = { algorithm: string; kind: 'method' | 'baseline'; x: number; y: number; beta: number };

function panel(title: string, data: Datum[], xTitle: string, yTitle: string, xOrdinal: boolean, names: string[]): Record<string, unknown> {
  return {
    title,
    width: 280,
    height: 220,
    data: { values: data },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: xOrdinal ? 'ordinal' : 'quantitative', title: xTitle, ...(xOrdinal ? { sort: 'ascending', axis: { labelAngle: 0 } } : { scale: { zero: false } }) },
      y: { field: 'y', type: 'quantitative', title: yTitle },
      color: colour(names),
      strokeDash: DASH,
    },
  };
}

/** The trade-off plane: one point per (method, β_s), labelled with β_s; baselines as points. */
function planePanel(data: Datum[], names: string[]): Record<string, unknown> {
  const enc = { x: { field: 'x', type: 'quantitative', title: 'log2(1 + SNR)' }, y: { field: 'y', type: 'quantitative', title: 'sum rate (bit/s/Hz)' }, color: colour(names) };
  return {
    title: 'trade-off (labels: β_s)',
    width: 280,
    height: 220,
    data: { values: data },
    layer: [
      { mark: { type: 'point', filled: true, size: 50 }, encoding: enc },
      { transform: [{ filter: "datum.kind === 'method'" }], mark: { type: 'text', dx: 9, dy: -7, fontSize: 9 }, encoding: { ...enc, text: { field: 'beta', type: 'nominal' } } },
    ],
  };
}

function figure(title: string, subtitle: string[], panels: Array<Record<string, unknown>>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle, anchor: 'start' },
    background: 'white',
    padding: 12,
    hconcat: panels,
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
    config: { font: FONT, title: { fontSize: 14, subtitleFontSize: 10, subtitleColor: '#555' }, axis: { grid: true, gridColor: '#e6e6e6' }, legend: { orient: 'bottom', columns: 4, labelLimit: 260 } },
  } as unknown as TopLevelSpec;
}

const isMethod = (r: Row) => r.algorithm === ALG.gnn || r.algorithm === ALG.pga;
const label = (r: Row) => `${r.algorithm}${r.subset === 'pga' && r.algorithm === ALG.gnn ? ' (PGA subset)' : ''}`;
const datum = (r: Row, name: string, x: number, y: number): Datum => ({ algorithm: name, kind: isMethod(r) ? 'method' : 'baseline', x, y, beta: r.beta });

/** Fig. 3's rows: M = 5, the whole test set (the PGA reference on its subset), CB comm in the 'UE' normalisation. */
const fig3Pick = (rows: Row[]) => rows.filter((r) => r.numAps === 5 && (r.algorithm === ALG.pga || (r.subset === 'all' && r.algorithm !== ALG.cbAp)));

function fig3Spec(rows: Row[], caption: string[]): TopLevelSpec {
  const pick = fig3Pick(rows);
  const rate = pick.map((r) => datum(r, r.algorithm, r.beta, r.sumRate));
  const sens = pick.map((r) => datum(r, r.algorithm, r.beta, r.sensingRate));
  const plane = pick.filter((r) => isMethod(r) || r.beta === 0).map((r) => datum(r, r.algorithm, r.sensingRate, r.sumRate));
  const names = [...rate, ...sens].map((d) => d.algorithm);
  return figure('Paper 004, Fig. 3: communication/sensing trade-off over β_s (M = 5)', caption, [
    panel('sum rate', rate, 'β_s', 'Σ_u log2(1 + SINR_u) (bit/s/Hz)', true, names),
    panel('sensing', sens, 'β_s', 'log2(1 + SNR)', true, names),
    planePanel(plane, names),
  ]);
}

function fig4Spec(rows: Row[], caption: string[]): TopLevelSpec {
  const pick = rows.filter((r) => r.subset === 'all' || r.algorithm === ALG.pga);
  const name = (r: Row) => (isMethod(r) ? `${r.algorithm} β_s=${r.beta}` : r.algorithm);
  const methods = (r: Row) => (r.algorithm === ALG.gnn && FIG4_BETAS.includes(r.beta)) || (r.algorithm === ALG.pga && r.beta === 2);
  const rate = pick.filter((r) => methods(r) || ((r.algorithm === ALG.wmmse || r.algorithm === ALG.cbUe) && r.beta === 0)).map((r) => datum(r, name(r), r.numAps, r.sumRate));
  const sens = pick.filter((r) => methods(r) || ((r.algorithm === ALG.cbs || r.algorithm === ALG.wmmse) && r.beta === 0)).map((r) => datum(r, name(r), r.numAps, r.sensingRate));
  const names = [...rate, ...sens].map((d) => d.algorithm);
  return figure('Paper 004, Fig. 4: the M = 5 models at other numbers of APs (no retraining)', caption, [
    panel('sum rate', rate, 'M (APs)', 'Σ_u log2(1 + SINR_u) (bit/s/Hz)', false, names),
    panel('sensing', sens, 'M (APs)', 'log2(1 + SNR)', false, names),
  ]);
}

function describeModel(i: GnnModelInfo): string {
  const m = i.metadata ?? {};
  const pick = (...keys: string[]) => keys.map((k) => m[k]).find((v) => v !== undefined);
  const epochs = pick('epochsDone', 'epochs');
  const budget = (m.gnn as { budget?: { fractionOfPaperSamplePasses?: number } } | undefined)?.budget?.fractionOfPaperSamplePasses;
  const samples = pick('trainSamples', 'samples');
  const wall = pick('trainingTimeS', 'wallS');
  return [
    `width ${i.hiddenDims.join('×')}`,
    `${i.parameters.toLocaleString('en-US')} parameters`,
    epochs !== undefined ? `${String(epochs)} epochs` : 'epochs not recorded',
    ...(samples !== undefined ? [`${String(samples)} training samples`] : []),
    ...(typeof wall === 'number' ? [`${(wall / 60).toFixed(0)} min training`] : []),
    ...(typeof budget === 'number' ? [`${pct(budget)} of the paper's sample passes`] : []),
    ...(m.finished === false ? ['TRAINING UNFINISHED'] : []),
  ].join(', ');
}

interface Criterion {
  what: string;
  unit: string;
  value: number;
  /** Display of the value. */
  shown: string;
  threshold: string;
  met: boolean | undefined;
  reference?: string;
}

function criteria(rows: Row[], bound: number, aps: number[]): Criterion[] {
  const get = (M: number, beta: number, alg: string, subset: Row['subset'] = 'all') => rows.find((r) => r.numAps === M && r.beta === beta && r.algorithm === alg && r.subset === subset);
  const logBound = Math.log2(1 + bound);
  const dbBound = 10 * Math.log10(bound);
  const out: Criterion[] = [];
  const add = (what: string, unit: string, value: number | undefined, shown: (v: number) => string, threshold: string, ok: (v: number) => boolean, reference?: string) =>
    out.push({ what, unit, value: value ?? NaN, shown: value === undefined || !Number.isFinite(value) ? 'model missing' : shown(value), threshold, met: value === undefined || !Number.isFinite(value) ? undefined : ok(value), ...(reference ? { reference } : {}) });
  const w5 = get(5, 0, ALG.wmmse)!;
  const g0 = get(5, 0, ALG.gnn);
  add('β_s = 0, M = 5: GNN sum rate / WMMSE', 'ratio of mean sum rates', g0 && g0.sumRate / w5.sumRate, pct, '≥ 97 %', (v) => v >= 0.97);
  const g2 = get(5, 2, ALG.gnn);
  const p2 = get(5, 2, ALG.pga, 'pga');
  const w5p = get(5, 2, ALG.wmmse, 'pga')!;
  add(
    'β_s = 2: GNN log2(1+SNR) / CB-sensing bound',
    `mean log2(1+SNR) / log2(1+${f(bound, 0)})`,
    g2 && g2.sensingRate / logBound,
    (v) => `${pct(v)} (linear ${pct(g2!.snr / bound)}, ${f(g2!.snrDbOfMean - dbBound, 2)} dB)`,
    '≥ 85 %',
    (v) => v >= 0.85,
    p2 && `PGA ${pct(p2.sensingRate / logBound)} (linear ${pct(p2.snr / bound)})`,
  );
  add('β_s = 2: GNN sum rate / WMMSE', 'ratio of mean sum rates', g2 && g2.sumRate / w5.sumRate, pct, '≥ 90 %', (v) => v >= 0.9, p2 && `PGA ${pct(p2.sumRate / w5p.sumRate)}`);
  const g10 = get(5, 10, ALG.gnn);
  const cb5 = get(5, 10, ALG.cbUe)!;
  const p10 = get(5, 10, ALG.pga, 'pga');
  add('β_s = 10: GNN sum rate − CB comm', 'bit/s/Hz', g10 && g10.sumRate - cb5.sumRate, (v) => `${v >= 0 ? '+' : ''}${f(v, 3)} (GNN ${f(g10!.sumRate)}, CB comm ${f(cb5.sumRate)})`, '> 0', (v) => v > 0, p10 && `PGA ${f(p10.sumRate)}`);
  add(
    'β_s = 10: CB-sensing bound − GNN SNR',
    'dB, 10 log10 of the mean linear SNR',
    g10 && dbBound - g10.snrDbOfMean,
    (v) => `${f(v, 2)} dB (mean of per-sample dB: ${f(dbBound - g10!.meanSnrDb, 2)} dB)`,
    '≤ 1 dB',
    (v) => v <= 1,
    p10 && `PGA ${f(dbBound - p10.snrDbOfMean, 2)} dB`,
  );
  // "% of optimal": the GNN's (8a) against the reference's on the same samples (β_s = 0: WMMSE).
  for (const beta of [...new Set(rows.filter((r) => r.numAps === 5 && r.algorithm === ALG.gnn).map((r) => r.beta))]) {
    const g = get(5, beta, ALG.gnn, 'pga');
    const ref = beta === 0 ? get(5, 0, ALG.wmmse, 'pga') : get(5, beta, ALG.pga, 'pga');
    if (!g || !ref) continue;
    add(`β_s = ${beta}, M = 5: GNN (8a) / ${beta === 0 ? 'WMMSE' : 'PGA reference'} (% of optimal)`, `mean (8a) at β_s, ${g.samples} samples`, g.objective / ref.objective, pct, '—', () => true);
  }
  for (const M of aps.filter((m) => m !== 5)) {
    const w = get(M, 0, ALG.wmmse);
    const g = get(M, 0, ALG.gnn);
    if (!w) continue;
    add(`M = ${M}, β_s = 0 (model of M = 5): GNN sum rate / WMMSE`, 'ratio of mean sum rates', g && g.sumRate / w.sumRate, pct, '≥ 95 %', (v) => v >= 0.95);
  }
  for (const M of aps) {
    const g = get(M, 2, ALG.gnn);
    const p = get(M, 2, ALG.pga, 'pga');
    const at5 = get(5, 2, ALG.gnn);
    add(
      `M = ${M}, β_s = 2 (model of M = 5): GNN log2(1+SNR) / bound`,
      `mean log2(1+SNR) / log2(1+${f(bound, 0)})`,
      g && g.sensingRate / logBound,
      (v) => `${pct(v)} (sum rate ${f(g!.sumRate)})`,
      'roughly flat: within 5 % of M = 5',
      (v) => at5 !== undefined && Math.abs(v - at5.sensingRate / logBound) <= 0.05 * (at5.sensingRate / logBound),
      p && `PGA ${pct(p.sensingRate / logBound)}`,
    );
  }
  return out;
}

function criteriaTable(cs: Criterion[]): string {
  return [
    '| criterion | unit | measured | threshold | met | reference (PGA, same samples) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...cs.map((c) => `| ${c.what} | ${c.unit} | ${c.shown} | ${c.threshold} | ${c.met === undefined || c.threshold === '—' ? '–' : c.met ? 'yes' : 'no'} | ${c.reference ?? ''} |`),
  ].join('\n');
}

function rowsTable(rows: Row[], key: 'beta' | 'numAps'): string {
  const lines = [
    `| ${key === 'beta' ? 'β_s' : 'M'} | algorithm | samples | sum rate | log2(1+SNR) | SNR (linear) | SNR (dB of mean) | (8a) at β_s |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) lines.push(`| ${key === 'beta' ? r.beta : `${r.numAps} (β_s ${r.beta})`} | ${label(r)} | ${r.samples} | ${f(r.sumRate)} | ${f(r.sensingRate)} | ${f(r.snr, 2)} | ${f(r.snrDbOfMean, 2)} | ${f(r.objective)} |`);
  return lines.join('\n');
}

export interface GnnFiguresResult {
  markdown: string;
  table: string;
  criteria: Criterion[];
  rows: Row[];
  missing: number[];
  files: string[];
}

/** Caption lines of at most ~120 characters (SVG subtitles do not wrap). */
export function wrapLines(parts: string[], width = 120): string[] {
  const out: string[] = [];
  for (const part of parts) {
    let line = '';
    for (const piece of part.split(/(?<=[,;]) /)) {
      if (line && line.length + piece.length + 1 > width) {
        out.push(line);
        line = piece;
      } else line = line ? `${line} ${piece}` : piece;
    }
    if (line) out.push(line);
  }
  return out;
}

/** Computes and writes Figs. 3 and 4 (module comment). */
export async function writeGnnFigures(tf: Tf, o: GnnFiguresOptions): Promise<GnnFiguresResult> {
  const log = o.log ?? (() => undefined);
  const s = o.loaded.scenario;
  const bad = figureSettingProblem(s);
  if (bad) throw new GnnFiguresError(`${o.loaded.file}: ${bad}`);
  if (!o.aps.includes(5)) throw new GnnFiguresError('--aps must include 5 (the models are trained at M = 5; Fig. 3 is at M = 5)');
  const settings = o.settings ?? DEFAULT_BASELINE_SETTINGS;
  const t0 = performance.now();
  const ch0 = resolvePaperChannel(s.channel.paper);
  const topo5 = buildTopology(scenarioWithAps(s, 5));
  const { models, missing } = loadGnnModels(tf, o.models, o.betas, { sumPowerW: ch0.sumPowerW, noiseW: ch0.noiseW, sensingGain: sensingGains(topo5)[0] });
  for (const b of missing) log(`model missing: ${path.join(o.models, modelDirName(b))} (β_s = ${b}: its GNN rows are left out)`);
  const pgaBetas = (M: number) => (M === 5 ? o.betas.filter((b) => b > 0) : o.betas.filter((b) => b > 0 && FIG4_BETAS.includes(b)));
  log(`baselines: ${o.samples} samples per M at M = ${o.aps.join(', ')}; PGA reference on the first ${Math.min(o.pgaSamples, o.samples)} (β_s ${pgaBetas(5).join(', ')} at M = 5, ${pgaBetas(2).join(', ') || 'none'} elsewhere)${o.jobs > 1 ? ` · ${o.jobs} worker threads` : ''}`);
  const baselines = await baselinesFor(o, o.aps.map((numAps) => ({ numAps, pgaBetas: pgaBetas(numAps) })), settings);
  const sets: SetResult[] = [];
  for (const numAps of o.aps) {
    const sc = scenarioWithAps(s, numAps);
    const topo = buildTopology(sc);
    const c = sensingGains(topo);
    const samples = testSamples(sc, { seed: o.seed, numAps, samples: o.samples });
    const problems = samples.map((smp) => problemOfSample(topo, c, smp));
    const bound = sensingBound(problems[0]);
    const gnn = new Map<number, { rate: number[]; snr: number[] }>();
    for (const beta of numAps === 5 ? o.betas : o.betas.filter((b) => FIG4_BETAS.includes(b))) {
      const m = models.get(beta);
      if (!m) continue;
      const t = performance.now();
      const beams = gnnBeams(tf, m.model, topo, samples);
      const v = beams.map((W, i) => isacValue(problems[i], W, beta));
      gnn.set(beta, { rate: v.map((x) => x.sumRate), snr: v.map((x) => x.snr[0]) });
      log(`  GNN β_s=${beta} at M=${numAps}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    sets.push({ numAps, topo, bound, baselines: baselines.get(numAps)!, gnn });
  }
  for (const { model } of models.values()) model.dispose();
  const bound = sets.find((x) => x.numAps === 5)!.bound;
  const rows = sets.flatMap((r) => rowsOf(r, r.numAps === 5 ? o.betas : o.betas.filter((b) => FIG4_BETAS.includes(b) || b === 0), o.pgaSamples));
  const cs = criteria(rows, bound, o.aps);
  const ch = resolvePaperChannel(s.channel.paper);
  const n = Math.min(o.pgaSamples, o.samples);
  const w5 = baselines.get(5)!;
  const modelLines = [...models.values()].map(({ info }) => `β_s = ${info.beta}: \`${info.dir}\` (${describeModel(info)})`);
  const setting = [
    `i.i.d. Rayleigh h ~ CN(0, I), N_t = ${s.topology.numTxAnt}, U = ${s.users.perCell}, P_m = ${ch.sumPowerW}/M, σ² = ${ch.noiseW} (the paper's "10 dB" = ΣP_m/σ²), θ_m ~ U[${((ch.angleRad[0] * 180) / Math.PI).toFixed(0)}°, ${((ch.angleRad[1] * 180) / Math.PI).toFixed(0)}°) from the array axis`,
    `sensing SNR eq. (7) with ζ² = ${ch.echoGain}, ς² = ${ch.radarNoiseW}${s.sensing.receiveArrayGain ? `, × N_r = ${s.topology.numRxAnt}` : ' (no N_r factor)'}: bound N_t Σ c_m P_m = ${f(bound, 2)} (${f(10 * Math.log10(bound), 2)} dB, log2(1+SNR) = ${f(Math.log2(1 + bound))})`,
    `${o.samples} test samples per M (seed ${o.seed}, stream paper004/test/M=<M>); PGA reference on the first ${n}; WMMSE ≤ ${settings.wmmseIterations} iterations, tolerance ${settings.wmmseTolerance}; PGA 7 starts, ≤ ${settings.pgaIterations} steps, tolerance ${settings.pgaTolerance}`,
    models.size ? `GNN models (trained at M = 5, U = ${s.users.perCell}): ${[...models.values()].map(({ info }) => `β_s ${info.beta} ${describeModel(info)}`).join('; ')}` : 'no GNN model found',
  ];
  mkdirSync(o.out, { recursive: true });
  const file = (name: string) => path.join(o.out, name);
  const fig3Rows = rows.filter((r) => r.numAps === 5);
  const fig4Rows = rows.filter((r) => FIG4_BETAS.includes(r.beta));
  writeFileSync(file('gnn-fig3.csv'), csv(fig3Rows));
  writeFileSync(file('gnn-fig4.csv'), csv(fig4Rows));
  writeFileSync(file('gnn-fig3.svg'), await specToSvg(fig3Spec(rows, wrapLines(setting))));
  writeFileSync(file('gnn-fig4.svg'), await specToSvg(fig4Spec(rows, wrapLines(setting))));
  const fractions = WMMSE_CHECKPOINTS.map((k, j) => `${k}: ${pct(w5.wmmseFraction[j].reduce((a, b) => a + b, 0) / w5.wmmseFraction[j].length)}`).join(', ');
  const meanIts = w5.wmmseIterations.reduce((a, b) => a + b, 0) / w5.wmmseIterations.length;
  const table = criteriaTable(cs);
  const md = [
    '# Paper 004 figures (generated by `isac-twin figures gnn`)',
    '',
    `Scenario \`${o.loaded.file}\`. Setting: ${setting.join('; ')}. Computed in ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
    '',
    ...(missing.length ? [`**Models missing**: ${missing.map((b) => `\`${path.join(o.models, modelDirName(b))}\``).join(', ')} — their GNN rows and criteria are left out.`, ''] : []),
    ...(modelLines.length ? ['Models:', '', ...modelLines.map((l) => `- ${l}`), ''] : []),
    '## "Done when" (issue 11)',
    '',
    'Means over the test samples; "x % of WMMSE" is the ratio of the mean sum rates. Sensing in log2(1 + SNR) (the criterion’s unit: even the PGA reference stays far from 85 % in linear SNR), with linear and dB beside it.',
    '',
    table,
    '',
    `WMMSE at M = 5: ${f(meanIts, 0)} iterations on average to tolerance ${settings.wmmseTolerance}; rate after k iterations as a share of its final rate: ${fractions}.`,
    '',
    '## Fig. 3 — trade-off over β_s (M = 5): `gnn-fig3.svg`, `gnn-fig3.csv`',
    '',
    `Caption: sum rate and log2(1 + SNR) of the GNN trained for each β_s, the PGA reference of (8a) at the same β_s (first ${n} samples), WMMSE (β_s = 0, sensing rows silent), CB comm ([C6] 'UE' normalisation; the 'AP' one in the table) and CB sensing (the bound). ${setting.join('; ')}.`,
    '',
    rowsTable(fig3Rows.filter((r) => r.subset === 'all' || r.algorithm === ALG.pga), 'beta'),
    '',
    '## Fig. 4 — the M = 5 models at other M: `gnn-fig4.svg`, `gnn-fig4.csv`',
    '',
    `Caption: the models trained at M = 5 (β_s = 0 and 2) run unchanged at M = ${o.aps.join(', ')} with P_m = ${ch.sumPowerW}/M; WMMSE, CB comm, CB sensing and the PGA reference at β_s = 2 on the same samples. ${setting.join('; ')}.`,
    '',
    rowsTable(
      rows.filter((r) => (r.subset === 'all' || r.algorithm === ALG.pga) && ((r.beta === 0 && r.algorithm !== ALG.pga) || (r.beta === 2 && (r.algorithm === ALG.gnn || r.algorithm === ALG.pga)))),
      'numAps',
    ),
    '',
  ].join('\n');
  writeFileSync(file('gnn-figures.md'), md);
  writeFileSync(file('gnn-results.json'), JSON.stringify({ setting, bound, missing, models: [...models.values()].map((m) => m.info), criteria: cs, rows }, null, 1));
  return { markdown: md, table, criteria: cs, rows, missing, files: ['gnn-fig3.svg', 'gnn-fig3.csv', 'gnn-fig4.svg', 'gnn-fig4.csv', 'gnn-figures.md', 'gnn-results.json'].map(file) };
}
