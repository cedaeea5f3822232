/**
 * `isac-twin figures vfl`: paper 000's evaluation (Figs. 3–5) on the test samples of a scenario,
 * written as a markdown table file, a JSON file and SVG plots (vega-lite).
 *
 * SNR (our definition, documented in docs/vfl.md): the cell-edge SNR
 *   SNR = P_T · β(R) / σ_c²,   β(R) = path gain of the communication law at the cell radius R,
 * swept by changing P_T for every BS with the noise fixed. Every method is evaluated with the
 * metrics of src/metrics/isac.ts on the TRUE channels of each test sample (perfect CSI: this is
 * the paper's static snapshot evaluation; the twin adds ageing and delays).
 * The learned models were trained at the scenario's own P_T; at other SNRs they get the same
 * (training-scale) inputs and their output is scaled to the new P_T — a model used off its
 * training SNR, not the paper's retraining per SNR (see docs/vfl.md). WMMSE is the multi-start of
 * solvers/wmmse-multistart.ts (MRT, nulling, previous SNR point) on every test sample. The paper's
 * own setting (J = 2, SNR 0–30 dB, models trained across SNR) is figures-paper.ts (`--paper`).
 *
 * Pareto (Fig. 5): the VFL models trained at different ρ, at the training SNR, against
 * time-sharing between the two extreme VFL points (ρ = 0.99 and ρ = 0.01): the R_c gain over
 * time-sharing at the same R_s.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { specToSvg } from '../analysis/plot.ts';
import { emptySensingChannels, emptySlotMetrics, evaluateInto, type SensingChannels } from '../metrics/isac.ts';
import { pathGain } from '../phy/channel.ts';

import type { Beamformers, Topology } from '../phy/network.ts';
import { wmmseMultiStart } from '../solvers/wmmse-multistart.ts';
import { streamFor } from '../phy/random.ts';
import { builtinPolicies } from '../policies/registry.ts';
import { decideAllFrom, noApEchoes, type CsiView } from '../policies/types.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import { drawDataset, inputDim, sizes, type IsacDataset } from './dataset.ts';
import { featureSpecOf, featuresInto } from './features.ts';
import { MlpRunner, readDenseLayers } from './inference.ts';
import { bsDir, readMetadata, type ModelMetadata } from './model-store.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface FiguresOptions {
  out: string;
  scenarioFile: string;
  models: string;
  testSamples: number;
  /** Samples for WMMSE (multi-start, slow); default all test samples. */
  wmmseSamples?: number;
  readScenario: (file: string) => LoadedScenario;
  log?: (line: string) => void;
}

export interface Sample {
  H: Float64Array;
  sens: SensingChannels;
  theta: Float64Array;
  alpha: Float64Array;
  G: Float64Array;
}

interface LearnedModel {
  meta: ModelMetadata;
  runners: MlpRunner[];
  /** [numSamples][numBs] raw outputs (training-scale inputs) */
  outputs: Float32Array[][];
}

const db = (x: number) => 10 * Math.log10(x);

/** Loads a model dir and runs it on every test sample (batched). */
function runModel(tf: Tf, dir: string, ds: IsacDataset): LearnedModel {
  const meta = readMetadata(dir);
  const local = meta.localFeatures === 'own-cell';
  const d = ds.dims;
  const z = sizes(d);
  const inDim = inputDim(d, local);
  const spec = featureSpecOf(meta);
  const runners = Array.from({ length: d.numBs }, (_, m) => {
    const { layers, leakyAlpha } = readDenseLayers(bsDir(dir, m));
    return new MlpRunner(layers, leakyAlpha, tf);
  });
  const outputs: Float32Array[][] = Array.from({ length: ds.numSamples }, () => []);
  runners.forEach((r, m) => {
    const x = new Float32Array(ds.numSamples * inDim);
    for (let n = 0; n < ds.numSamples; n++) featuresInto(x, n * inDim, d, m, ds.H, n * z.h, ds.G, n * z.g, local, spec);
    const y = r.runBatch(x, ds.numSamples);
    for (let n = 0; n < ds.numSamples; n++) outputs[n][m] = y.subarray(n * r.outDim, (n + 1) * r.outDim);
  });
  return { meta, runners, outputs };
}

function scaledTopo(topo: Topology, powerW: number): Topology {
  return { ...topo, powerW: new Float64Array(topo.numBs).fill(powerW) };
}

export function viewOf(topo: Topology, s: Sample): CsiView {
  return {
    owner: -1,
    H: s.H,
    known: new Uint8Array(topo.numBs).fill(1),
    measuredSlot: new Int32Array(topo.numBs).fill(0),
    gain: new Float64Array(topo.numBs * topo.numUsers).fill(1),
    targetThetaRad: s.theta,
    targetAlpha: s.alpha,
    targetSlot: new Int32Array(topo.numTargets).fill(0),
    ...noApEchoes(topo),
    sens: s.sens,
  };
}

/** Mean (R_c, R_s) of a method over samples [0, n). */
export function evaluate(topo: Topology, samples: Sample[], n: number, beams: (i: number, s: Sample) => Float64Array[]): { rc: number; rs: number } {
  const out = emptySlotMetrics(topo);
  let rc = 0;
  let rs = 0;
  for (let i = 0; i < n; i++) {
    evaluateInto(out, topo, samples[i].H, samples[i].sens, beams(i, samples[i]), 0.5);
    rc += out.rc;
    rs += out.rs;
  }
  return { rc: rc / n, rs: rs / n };
}

function learnedBeams(topo: Topology, model: LearnedModel, i: number): Float64Array[] {
  return model.outputs[i].map((raw, m) => {
    let p = 0;
    for (const v of raw) p += v * v;
    const s = Math.sqrt(topo.powerW[m] / p);
    return Float64Array.from(raw, (v) => v * s);
  });
}

export function policyBeams(topo: Topology, name: string) {
  const policy = builtinPolicies().resolve({ name, params: {} }, topo);
  const rng = streamFor(1, `figures:${name}`);
  return (_i: number, s: Sample) => decideAllFrom(policy, viewOf(topo, s), { topo, rho: 0.99, slot: 0, rng });
}

/** The test split (seed: the scenario's) as a normalised dataset and as the true physical channels of every sample. */
export function drawTestSamples(s: LoadedScenario['scenario'], topo: Topology, n: number): { ds: IsacDataset; samples: Sample[] } {
  const samples: Sample[] = [];
  const ds = drawDataset(s, topo, n, s.seed, 'test', (_n, st, sens) => {
    const copy = emptySensingChannels(topo);
    copy.g.set(sens.g);
    copy.intra.set(sens.intra);
    samples.push({ H: st.H.slice(), sens: copy, theta: st.targetThetaRad.slice(), alpha: st.targetAlpha.slice(), G: st.G.slice() });
  });
  return { ds, samples };
}

/** Figs. 3–4: R_c or R_s against the cell-edge SNR, one line per method (rows with snrDb, method, rc, rs). */
export function snrLineSpec(values: object[], y: 'rc' | 'rs', title: string | { text: string; subtitle: string[] }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 480,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'snrDb', type: 'quantitative', title: 'cell-edge SNR (dB)' },
      y: { field: y, type: 'quantitative', title: y === 'rc' ? 'R_c (bit/s/Hz)' : 'R_s (bit/s/Hz)' },
      color: { field: 'method', type: 'nominal' },
    },
  };
}

export interface FigureRow {
  figure: 'rc-vs-snr' | 'rs-vs-snr' | 'pareto';
  method: string;
  snrDb: number;
  rho?: number;
  rc: number;
  rs: number;
  samples: number;
}

export async function writeVflFigures(tf: Tf, o: FiguresOptions): Promise<number> {
  const log = o.log ?? ((l: string) => console.log(l));
  const loaded = o.readScenario(o.scenarioFile);
  const s = loaded.scenario;
  const topo = loaded.topology;
  const { ds, samples } = drawTestSamples(s, topo, o.testSamples);
  const edgeGain = pathGain(topo.cellRadiusM, topo.lambdaM, s.channel.commPathLossExp, s.channel.refDistanceM);
  const p0 = topo.powerW[0];
  const snr0 = db((p0 * edgeGain) / topo.noiseCommW);
  const snrs = [-30, -20, -10, 0, 10, 20];
  const nW = Math.min(o.testSamples, o.wmmseSamples ?? o.testSamples);
  let previousW: Beamformers[] | undefined;
  const name = (method: string, rho: number) => path.join(o.models, `${s.name}-${method}-rho${rho}`);
  const models = new Map<string, LearnedModel>();
  const tryModel = (method: string, rho: number) => {
    const dir = name(method, rho);
    if (!existsSync(path.join(dir, 'metadata.json'))) return undefined;
    const key = `${method}:${rho}`;
    if (!models.has(key)) models.set(key, runModel(tf, dir, ds));
    return models.get(key);
  };
  const rows: FigureRow[] = [];
  log(`figures: ${o.testSamples} test samples of ${s.name} (WMMSE on ${nW}); training SNR (cell edge) ${snr0.toFixed(1)} dB`);
  const snrPoints = [...snrs, Math.round(snr0 * 10) / 10].sort((a, b) => a - b);
  for (const snr of snrPoints) {
    const t = scaledTopo(topo, (10 ** (snr / 10) * topo.noiseCommW) / edgeGain);
    const add = (figure: FigureRow['figure'], method: string, r: { rc: number; rs: number }, n: number, rho?: number) =>
      rows.push({ figure, method, snrDb: snr, rho, rc: r.rc, rs: r.rs, samples: n });
    for (const method of ['vfl', 'percell']) {
      const m99 = tryModel(method, 0.99);
      if (m99) add('rc-vs-snr', method, evaluate(t, samples, samples.length, (i) => learnedBeams(t, m99, i)), samples.length, 0.99);
      const m01 = tryModel(method, 0.01);
      if (m01) add('rs-vs-snr', method, evaluate(t, samples, samples.length, (i) => learnedBeams(t, m01, i)), samples.length, 0.01);
    }
    // WMMSE: best of the MRT, nulling and previous-SNR starts (solvers/wmmse-multistart.ts)
    const wm = samples.slice(0, nW).map((smp, i) => wmmseMultiStart(t, smp.H, { maxIterations: 500, tolerance: 1e-6, previous: previousW?.[i] }));
    previousW = wm.map((r) => r.W);
    add('rc-vs-snr', 'wmmse', evaluate(t, samples, nW, (i) => wm[i].W), nW);
    add('rc-vs-snr', 'mrt', evaluate(t, samples, samples.length, policyBeams(t, 'mrt')), samples.length);
    if (topo.numUsers <= topo.numTxAnt) add('rc-vs-snr', 'imt', evaluate(t, samples, samples.length, policyBeams(t, 'imt')), samples.length);
    add('rs-vs-snr', 'cbf', evaluate(t, samples, samples.length, policyBeams(t, 'cbf')), samples.length);
    log(`  SNR ${snr} dB done (WMMSE mean spread across starts ${(wm.reduce((a, r) => a + r.spread, 0) / nW).toFixed(3)} bit/s/Hz)`);
  }
  // Pareto at the training SNR
  const rhos = [0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99];
  for (const rho of rhos) {
    const m = tryModel('vfl', rho);
    if (m) rows.push({ figure: 'pareto', method: 'vfl', snrDb: snr0, rho, ...evaluate(topo, samples, samples.length, (i) => learnedBeams(topo, m, i)), samples: samples.length });
  }
  const pareto = rows.filter((r) => r.figure === 'pareto');
  const comm = pareto.find((r) => r.rho === 0.99);
  const sens = pareto.find((r) => r.rho === 0.01);
  const gains: Array<{ rho: number; rc: number; rs: number; rcTimeSharing: number; gain: number }> = [];
  if (comm && sens && sens.rs !== comm.rs) {
    for (const r of pareto) {
      if (r.rho === 0.99 || r.rho === 0.01) continue;
      const lambda = (r.rs - comm.rs) / (sens.rs - comm.rs);
      const rcTs = (1 - lambda) * comm.rc + lambda * sens.rc;
      gains.push({ rho: r.rho!, rc: r.rc, rs: r.rs, rcTimeSharing: rcTs, gain: r.rc / rcTs - 1 });
    }
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(path.join(o.out, 'vfl-results.json'), JSON.stringify({ scenario: s.name, trainingSnrDb: snr0, snrDefinition: 'P_T·β(cell radius)/σ_c²', rows, gains }, null, 2) + '\n');
  writeFileSync(path.join(o.out, 'vfl-results.md'), tables(rows, gains, snr0));
  const line = (figure: FigureRow['figure'], y: 'rc' | 'rs', title: string) => snrLineSpec(rows.filter((r) => r.figure === figure), y, title);
  writeFileSync(path.join(o.out, 'vfl-rc-vs-snr.svg'), await specToSvg(line('rc-vs-snr', 'rc', 'Fig. 3: R_c vs SNR (ρ = 0.99)')));
  writeFileSync(path.join(o.out, 'vfl-rs-vs-snr.svg'), await specToSvg(line('rs-vs-snr', 'rs', 'Fig. 4: R_s vs SNR (ρ = 0.01)')));
  if (pareto.length) {
    const ts = comm && sens ? [{ method: 'time-sharing', rc: comm.rc, rs: comm.rs }, { method: 'time-sharing', rc: sens.rc, rs: sens.rs }] : [];
    const spec: TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Fig. 5: (R_c, R_s) trade-off, N_T = ${topo.numTxAnt}, SNR ${snr0.toFixed(1)} dB`,
      width: 480,
      height: 300,
      layer: [
        { data: { values: pareto.map((r) => ({ ...r, method: 'vfl' })) }, mark: { type: 'line', point: true }, encoding: { x: { field: 'rs', type: 'quantitative', title: 'R_s (bit/s/Hz)' }, y: { field: 'rc', type: 'quantitative', title: 'R_c (bit/s/Hz)' }, color: { field: 'method', type: 'nominal' }, order: { field: 'rho' } } },
        { data: { values: ts }, mark: { type: 'line', strokeDash: [4, 4] }, encoding: { x: { field: 'rs', type: 'quantitative' }, y: { field: 'rc', type: 'quantitative' }, color: { field: 'method', type: 'nominal' } } },
      ],
    };
    writeFileSync(path.join(o.out, 'vfl-pareto.svg'), await specToSvg(spec));
  }
  for (const m of models.values()) m.runners.forEach((r) => r.dispose());
  log(`wrote ${o.out}/vfl-results.md, vfl-results.json, vfl-rc-vs-snr.svg, vfl-rs-vs-snr.svg${pareto.length ? ', vfl-pareto.svg' : ''}`);
  return 0;
}

function tables(rows: FigureRow[], gains: Array<{ rho: number; rc: number; rs: number; rcTimeSharing: number; gain: number }>, snr0: number): string {
  const out: string[] = ['# VFL results (generated by `isac-twin figures vfl`)', ''];
  for (const [figure, y, title] of [
    ['rc-vs-snr', 'rc', 'R_c (bit/s/Hz) vs cell-edge SNR, ρ = 0.99 (Fig. 3)'],
    ['rs-vs-snr', 'rs', 'R_s (bit/s/Hz) vs cell-edge SNR, ρ = 0.01 (Fig. 4)'],
  ] as const) {
    const sel = rows.filter((r) => r.figure === figure);
    const methods = [...new Set(sel.map((r) => r.method))];
    const snrs = [...new Set(sel.map((r) => r.snrDb))];
    out.push(`## ${title}`, '', `| SNR (dB) | ${methods.join(' | ')} |`, `| --- | ${methods.map(() => '---').join(' | ')} |`);
    for (const snr of snrs) {
      out.push(`| ${snr}${Math.abs(snr - snr0) < 0.05 ? ' (training)' : ''} | ${methods.map((m) => sel.find((r) => r.method === m && r.snrDb === snr)?.[y].toFixed(3) ?? '–').join(' | ')} |`);
    }
    out.push('');
  }
  const pareto = rows.filter((r) => r.figure === 'pareto');
  out.push(`## Pareto points (VFL, SNR ${snr0.toFixed(1)} dB) and R_c gain over time-sharing at equal R_s (Fig. 5)`, '', '| ρ | R_c | R_s | R_c time-sharing | gain |', '| --- | --- | --- | --- | --- |');
  for (const r of pareto) {
    const g = gains.find((x) => x.rho === r.rho);
    out.push(`| ${r.rho} | ${r.rc.toFixed(3)} | ${r.rs.toFixed(3)} | ${g ? g.rcTimeSharing.toFixed(3) : '–'} | ${g ? `${(100 * g.gain).toFixed(1)} %` : '–'} |`);
  }
  out.push('');
  return out.join('\n');
}

