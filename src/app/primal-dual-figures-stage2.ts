/**
 * `isac-twin figures primal-dual --figs 6,7,8,9,10,11`: paper 002's later figures
 * (docs/primal-dual.md §7–8), next to the stage-1 Figs. 4–5 of primal-dual-figures.ts —
 *   Fig. 6   SE vs iteration of the stage-2 networks: transfer (head only), direct, supervised;
 *            MISO WMMSE and MRT flat
 *   Fig. 7   mean beampattern of stage 1 and transfer at {−70°, 0°, 40°} (+ Fig. 7b: L_r vs
 *            iteration of both, the paper's inset)
 *   Fig. 8   the same for the three BSs' angle sets of the paper's Fig. 11 (one single-BS
 *            training per set)
 *   Fig. 9   mean L_r vs M_R = 10 … 20 for stage 1 and transfer (the paper's Fig. 8)
 *   Fig. 10  SE vs K of the stage-1 methods (the paper's Fig. 9)
 *   Fig. 11  distributed mode: per-BS SE vs iteration and SE vs bits exchanged (the paper's Fig. 10)
 * Figure numbers follow issue 13's list; the README maps them to the paper's. Written as CSV + SVG
 * with README-beamforming.md (captions, budgets) and results-beamforming.json; with `ship`, the
 * Fig. 6 networks go to <models>/primal-dual-{stage1,transfer,direct,supervised}/ with metadata.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { BeamformingResult, BeamMethod, Stage2Checks, Stage2Settings } from '../learning/primal-dual/experiment-stage2.ts';
import type { Stage1Result } from '../learning/primal-dual/experiment.ts';
import { featureDim, paper002Problem, type Paper002Config } from '../learning/primal-dual/problem.ts';
import { paperHiddenDims } from '../learning/primal-dual/network.ts';
import type { Stage1Settings } from '../learning/primal-dual/settings.ts';
import { csv, writeText } from './figure-files.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export const STAGE2_FIGS = [6, 7, 8, 9, 10, 11] as const;

export interface Stage2FiguresOptions {
  out: string;
  figs: number[];
  s1: Stage1Settings;
  s2: Stage2Settings;
  /** Ship Fig. 6's networks under this folder (models/primal-dual-*). */
  shipTo?: string;
  /** M_R values of Fig. 9 and K values of Fig. 10. */
  radarAntennas?: number[];
  users?: number[];
  /** L values of Fig. 11. */
  bits?: number[];
  log?: (line: string) => void;
}

/** The three BSs' desired angles (the paper's Fig. 11); BS 2's is the single-BS default. */
export const THREE_BS_ANGLES: readonly number[][] = [
  [-40, 0, 40],
  [-70, 0, 40],
  [-50, 0, 70],
];

const LABEL: Record<BeamMethod, string> = {
  stage1: 'stage 1 (power control, primal–dual)',
  transfer: 'transfer (head only)',
  direct: 'direct unsupervised',
  supervised: 'supervised (WMMSE beams)',
  wmmse: 'MISO WMMSE',
  mrt: 'MRT, full power',
};
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#7f7f7f'];



const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 560, height: 320, background: 'white', config: { legend: { labelLimit: 320 } } } as const;

function colour(rows: Array<{ method: string }>) {
  const present = [...new Set(rows.map((r) => r.method))];
  return { field: 'method', type: 'nominal', title: null, scale: { domain: present, range: present.map((_, i) => PALETTE[i % PALETTE.length]) } };
}

function lineSpec(title: string, subtitle: string, rows: object[], x: { field: string; title: string }, y: { field: string; title: string; zero?: boolean }, point = false, extra: object[] = []): TopLevelSpec {
  const layer = [
    { data: { values: rows }, mark: { type: 'line', point }, encoding: { x: { field: x.field, type: 'quantitative', title: x.title, scale: { zero: false } }, y: { field: y.field, type: 'quantitative', title: y.title, scale: { zero: y.zero ?? false } }, color: colour(rows as Array<{ method: string }>) } },
    ...extra,
  ];
  return { ...base, title: { text: title, subtitle, fontSize: 14 }, layer } as unknown as TopLevelSpec;
}

export function stage2SettingText(s1: Stage1Settings, s2: Stage2Settings, cfg: Partial<Paper002Config> = {}): string {
  const pb = paper002Problem(cfg);
  const c = pb.cfg;
  const trunk = [featureDim(pb, s1.features), ...paperHiddenDims(pb.K, s1.widthMultiplier)].join('→');
  return (
    `single BS, K = ${c.numUsers}, M_C = ${c.numCommAnt}, M_R = ${c.numRadarAnt}, targets {${c.targetsDeg.map((t) => `${t}°`).join(', ')}}, Δ = ${c.beamWidthDeg}°, ` +
    `P_tot = K·P_max = ${(c.numUsers * c.powerMaxW).toFixed(2)} W (beams at full power), P_R = ${c.radarPowerW} W with diag(R) = P_R/M_R by row normalisation, ε = ${c.epsilon}, SNR ${c.snrDb} dB, i.i.d. CN(0, 1); ` +
    `trunk ${trunk} (${s1.features} features) + linear head → 2MK = ${2 * pb.M * pb.K}; Adam ${s1.learningRate}, batch ${s1.batchSize}, η_d = ${s1.dualStep}; ` +
    `stage-1 trunk ${s2.stage1Iterations} iterations, stage-2 trainings ${s2.iterations} iterations, L_r of the stage-2 loss from ${s2.sensingSamples} of each batch's ${s1.batchSize} samples; ` +
    `supervised on ${s2.labelledSamples} MISO-WMMSE labels; WMMSE, MRT and supervised radar on q⋆; scored on ${s1.evalSamples} held-out channels (seed ${s1.seed})`
  );
}

export function stage2CheckLines(c: Partial<Stage2Checks>): string[] {
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines: string[] = [];
  if (c.transfer) {
    const t = c.transfer;
    lines.push(
      `stage 2 — transfer vs direct: direct ${t.direct.toFixed(3)} bit/s/Hz after ${t.directIterations} iterations; transfer reaches 98 % of it (${t.target.toFixed(3)}) ` +
        `${t.reachedAt === undefined ? `never (final ${t.transferFinal.toFixed(3)}, ${((100 * (t.direct - t.transferFinal)) / t.direct).toFixed(2)} % below)` : `at iteration ${t.reachedAt} (${((100 * t.reachedAt) / t.directIterations).toFixed(0)} % of direct's; final ${t.transferFinal.toFixed(3)})`} ` +
        `(≤ 50 % asked: ${mark(t.pass)})`,
    );
  }
  if (c.lrVsMr) {
    const r = c.lrVsMr;
    const row = (v: number[]) => v.map((x, i) => `${r.mr[i]}: ${x.toFixed(4)}`).join(', ');
    lines.push(`stage 1 — mean L_r vs M_R (${row(r.stage1)}): ${r.stage1Falls ? 'falls at every step' : 'does NOT fall at every step'}`);
    lines.push(`stage 2 — mean L_r vs M_R (${row(r.stage2)}): ${r.stage2Falls ? 'falls at every step' : 'does NOT fall at every step'} (both asked: ${mark(r.pass)})`);
  }
  return lines;
}

interface ShipInfo {
  dir: string;
  method: BeamMethod;
}

async function shipModels(tf: Tf, r: BeamformingResult, s1: Stage1Settings, s2: Stage2Settings, to: string): Promise<ShipInfo[]> {
  const { saveLayersModel } = await import('../learning/model-store.ts');
  const pb = r.problem;
  const out: ShipInfo[] = [];
  for (const m of r.methods) {
    if (!m.model) continue;
    const name = m.method === 'stage1' ? 'primal-dual-stage1' : `primal-dual-${m.method}`;
    const dir = path.join(to, name);
    await saveLayersModel(tf, m.model, dir);
    const isStage1 = m.method === 'stage1';
    const meta = {
      format: 'isac-twin/primal-dual',
      version: 1,
      family: 'primal-dual',
      paper: '002',
      stage: isStage1 ? 1 : 2,
      method: m.method,
      problem: pb.cfg,
      dims: { inputDim: featureDim(pb, s1.features), hiddenDims: paperHiddenDims(pb.K, s1.widthMultiplier), outputDim: isStage1 ? pb.K + pb.P : 2 * pb.M * pb.K, K: pb.K, MC: pb.MC, MR: pb.MR, P: pb.P },
      features: s1.features,
      activation: 'relu',
      outputMap: isStage1 ? 'p_k = P_max σ(z_k) on MRT directions; q = (P_R/M_R) softmax(z_{K+1…}) over the target beams' : 'W ∈ C^{M×K} from z (Re | Im halves); radar rows normalised to √(P_R/M_R), R = W̃_R W̃_Rᴴ; comm coefficients in the basis [u_1…u_K | complement], F scaled to K·P_max',
      seed: m.method === 'transfer' ? s1.seed + 5 : s1.seed,
      data: m.dataHash ? { labelledSet: m.dataHash, samples: s2.labelledSamples, labels: 'MISO WMMSE beams (stage2-baselines.ts)' } : { channels: `labels.ts per-sample streams of seed ${s1.seed}, fresh batches of ${s1.batchSize}` },
      training: {
        iterations: isStage1 ? s2.stage1Iterations : s2.iterations,
        batchSize: s1.batchSize,
        learningRate: s1.learningRate,
        dualStep: s1.dualStep,
        logitPenalty: isStage1 ? s1.logitPenalty : 0,
        pairStride: isStage1 ? s1.pairStride : 1,
        sensingSamples: isStage1 ? s1.batchSize : s2.sensingSamples,
        trainedParams: m.trainedParams,
        finalMu: m.mu,
        ...(m.method === 'transfer' ? { from: 'primal-dual-stage1 (hidden layers frozen)' } : {}),
      },
      curve: m.curve,
      heldOut: { samples: s1.evalSamples, seed: s1.seed + 2, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, lr1: m.evaluation.meanLr1, lr2: m.evaluation.meanLr2, violationShare: m.evaluation.violationShare },
      wallS: m.wallS,
      backend: tf.getBackend(),
      date: new Date().toISOString(),
      command: 'isac-twin figures primal-dual --figs 6,7,8,9,10 --ship-models --out docs/figures/primal-dual',
    };
    writeText(path.join(dir, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
    out.push({ dir, method: m.method });
  }
  return out;
}

export async function writeStage2Figures(tf: Tf, o: Stage2FiguresOptions): Promise<{ checks: Partial<Stage2Checks>; lines: string[] }> {
  const { specToSvg } = await import('../analysis/plot.ts');
  const { runBeamforming, stage2Checks } = await import('../learning/primal-dual/experiment-stage2.ts');
  const { runStage1 } = await import('../learning/primal-dual/experiment.ts');
  const log = o.log ?? (() => {});
  const { s1, s2 } = o;
  const want = (f: number) => o.figs.includes(f);
  mkdirSync(o.out, { recursive: true });
  const pbDefault = paper002Problem();
  const grid = Array.from(pbDefault.spec.gridDeg);
  const md: string[] = ['# Paper 002, stage 2 (beamforming) and the sweeps: figures', ''];
  md.push(`Regenerate: \`isac-twin figures primal-dual --figs ${o.figs.join(',')} --out ${o.out}\` (docs/primal-dual.md §7–8). Figure numbers are issue 13's; the paper's are given in each heading.`, '');
  md.push(`Setting (Figs. 6–7): ${stage2SettingText(s1, s2)}.`, '');
  const json: Record<string, unknown> = { s1, s2 };
  const timing: Array<[string, number]> = [];
  const timed = <T>(what: string, f: () => T): T => {
    const t0 = performance.now();
    const v = f();
    timing.push([what, (performance.now() - t0) / 1000]);
    return v;
  };

  // ---- Figs. 6–7 (and BS 2 of Fig. 8)
  let fig6: BeamformingResult | undefined;
  if (want(6) || want(7) || want(8)) {
    const which: BeamMethod[] = want(6) ? ['stage1', 'transfer', 'direct', 'supervised', 'wmmse', 'mrt'] : ['stage1', 'transfer'];
    fig6 = timed('Figs. 6–7: stage 1 + stage 2 at the default setting', () => runBeamforming(tf, {}, s1, s2, { which, stage1Iterations: s2.stage1Iterations, iterations: s2.iterations, keepModels: !!o.shipTo }, log));
    const ev = fig6.methods.map((m) => ({ method: m.method, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, lr1: m.evaluation.meanLr1, lr2: m.evaluation.meanLr2, violationShare: m.evaluation.violationShare, wallS: m.wallS, trainedParams: m.trainedParams, mu: m.mu }));
    json.fig6 = ev;
    if (want(6)) {
      const rows: Array<{ iteration: number; method: string; rate: number; lr: number; mu: number }> = [];
      for (const m of fig6.methods) {
        if (m.method === 'stage1') continue;
        const pts = m.curve ?? [0, s2.iterations].map((iteration) => ({ iteration, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, mu: 0 }));
        for (const p of pts) rows.push({ iteration: p.iteration, method: LABEL[m.method], rate: p.rate, lr: p.lr, mu: p.mu });
      }
      writeText(path.join(o.out, 'fig6-transfer-vs-direct.csv'), csv(['iteration', 'method', 'spectral_efficiency_bit_s_hz', 'mean_lr', 'mu'], rows.map((r) => [r.iteration, r.method, r.rate, r.lr, r.mu])));
      writeText(path.join(o.out, 'fig6-transfer-vs-direct.svg'), await specToSvg(lineSpec('Fig. 6: beamforming SE vs iteration (10 dB)', 'transfer trains only the 2MK head on the frozen stage-1 trunk; WMMSE and MRT flat', rows, { field: 'iteration', title: 'stage-2 iteration (mini-batches of 32)' }, { field: 'rate', title: 'spectral efficiency (bit/s/Hz)' })));
      md.push('## Fig. 6 — transfer vs direct vs supervised (paper Fig. 6; `fig6-transfer-vs-direct.svg`, `.csv`)', '');
      md.push(`Held-out mean Σ_k log2(1 + γ_k) along each stage-2 training (every ${s2.evalEvery} iterations). The transfer curve starts after the stage-1 trunk's ${s2.stage1Iterations} iterations (its cost is in the table).`, '');
      md.push('| method | SE (bit/s/Hz) | mean L_r | L_r > ε | trained parameters | final μ | training |', '| --- | --- | --- | --- | --- | --- | --- |');
      for (const m of fig6.methods) md.push(`| ${LABEL[m.method]} | ${m.evaluation.meanRate.toFixed(3)} | ${m.evaluation.meanLr.toFixed(4)} | ${(100 * m.evaluation.violationShare).toFixed(1)} % | ${m.trainedParams ?? '–'} | ${m.mu?.toFixed(3) ?? '–'} | ${m.wallS === undefined ? '–' : `${m.wallS.toFixed(0)} s`} |`);
      md.push('');
    }
    if (want(7)) {
      const rows: Array<{ theta: number; method: string; pattern: number }> = [];
      for (const m of fig6.methods.filter((x) => x.method === 'stage1' || x.method === 'transfer' || x.method === 'wmmse')) m.pattern.forEach((v, l) => rows.push({ theta: grid[l], method: m.method === 'wmmse' ? 'q⋆ (baselines)' : LABEL[m.method], pattern: v }));
      fig6.problem.spec.desired.forEach((v, l) => rows.push({ theta: grid[l], method: 'desired d(θ)', pattern: v }));
      writeText(path.join(o.out, 'fig7-beampattern.csv'), csv(['theta_deg', 'method', 'mean_pattern'], rows.map((r) => [r.theta, r.method, r.pattern])));
      writeText(path.join(o.out, 'fig7-beampattern.svg'), await specToSvg(lineSpec('Fig. 7: transmit beampattern, targets {−70°, 0°, 40°}', 'mean P̄(θ) = (P/P_R)·aᴴ(θ)Ra(θ) over the held-out channels', rows, { field: 'theta', title: 'θ (degrees)' }, { field: 'pattern', title: 'P̄(θ)', zero: true })));
      const lrRows: Array<{ iteration: number; method: string; lr: number }> = [];
      for (const m of fig6.methods.filter((x) => x.method === 'stage1' || x.method === 'transfer')) for (const p of m.curve ?? []) lrRows.push({ iteration: p.iteration, method: LABEL[m.method], lr: p.lr });
      const eps = fig6.problem.cfg.epsilon;
      writeText(path.join(o.out, 'fig7b-lr-vs-iteration.csv'), csv(['iteration', 'method', 'mean_lr'], lrRows.map((r) => [r.iteration, r.method, r.lr])));
      writeText(
        path.join(o.out, 'fig7b-lr-vs-iteration.svg'),
        await specToSvg(lineSpec('Fig. 7b: L_r vs iteration (the paper\'s inset)', `held-out mean L_r; dashed: ε = ${eps}`, lrRows, { field: 'iteration', title: 'iteration of each stage' }, { field: 'lr', title: 'mean L_r' }, false, [{ data: { values: [{ eps }] }, mark: { type: 'rule', strokeDash: [6, 4], color: 'black' }, encoding: { y: { field: 'eps', type: 'quantitative' } } }])),
      );
      md.push('## Fig. 7 — beampatterns at {−70°, 0°, 40°} (paper Fig. 7; `fig7-beampattern.svg`, `.csv`; inset `fig7b-lr-vs-iteration.svg`)', '');
      md.push('Mean P̄(θ) over the held-out channels of the stage-1 policy (per-channel split over the three target beams) and the transfer policy (its own R per channel), with d(θ) and the baselines\' fixed q⋆. Fig. 7b: held-out mean L_r along each stage\'s training against ε.', '');
    }
  }

  // ---- Fig. 8: the three BSs' angle sets
  if (want(8)) {
    const sets: Array<{ bs: number; angles: number[]; r: BeamformingResult }> = [];
    for (const [i, angles] of THREE_BS_ANGLES.entries()) {
      const isDefault = angles.join() === pbDefault.cfg.targetsDeg.join();
      const r = isDefault && fig6 && s2.sweepIterations === s2.iterations ? fig6 : timed(`Fig. 8: BS ${i + 1} {${angles.join(', ')}}`, () => runBeamforming(tf, { targetsDeg: angles }, s1, s2, { which: ['stage1', 'transfer'], stage1Iterations: s2.sweepStage1Iterations, iterations: s2.sweepIterations }, log));
      sets.push({ bs: i + 1, angles, r });
    }
    const rows: Array<{ bs: string; theta: number; method: string; pattern: number }> = [];
    for (const s of sets) {
      const name = `BS ${s.bs} {${s.angles.join(', ')}}°`;
      for (const m of s.r.methods.filter((x) => x.method === 'stage1' || x.method === 'transfer')) m.pattern.forEach((v, l) => rows.push({ bs: name, theta: grid[l], method: LABEL[m.method], pattern: v }));
      s.r.problem.spec.desired.forEach((v, l) => rows.push({ bs: name, theta: grid[l], method: 'desired d(θ)', pattern: v }));
    }
    writeText(path.join(o.out, 'fig8-beampatterns-three-bs.csv'), csv(['bs', 'theta_deg', 'method', 'mean_pattern'], rows.map((r) => [r.bs, r.theta, r.method, r.pattern])));
    const { width: _w, height: _h, ...facetBase } = base;
    const spec = {
      ...facetBase,
      title: { text: 'Fig. 8: beampatterns for the three BSs\' angle sets', subtitle: 'single-BS trainings per set (stage 1 + transfer); mean P̄(θ) over held-out channels', fontSize: 14 },
      data: { values: rows },
      facet: { row: { field: 'bs', type: 'nominal', title: null } },
      spec: { width: 560, height: 200, mark: { type: 'line' }, encoding: { x: { field: 'theta', type: 'quantitative', title: 'θ (degrees)' }, y: { field: 'pattern', type: 'quantitative', title: 'P̄(θ)' }, color: colour(rows) } },
    } as unknown as TopLevelSpec;
    writeText(path.join(o.out, 'fig8-beampatterns-three-bs.svg'), await specToSvg(spec));
    json.fig8 = sets.map((s) => ({ bs: s.bs, angles: s.angles, methods: s.r.methods.map((m) => ({ method: m.method, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, wallS: m.wallS })) }));
    md.push("## Fig. 8 — the three BSs' angle sets (paper Fig. 11's sets; `fig8-beampatterns-three-bs.svg`, `.csv`)", '');
    md.push(`One single-BS training per angle set (stage 1: ${s2.sweepStage1Iterations} iterations, transfer: ${s2.sweepIterations}; BS 2's set is Figs. 6–7's run${s2.sweepIterations === s2.iterations ? '' : ' retrained at the sweep budget'}); these are single-BS trainings; the distributed mode (quantiser + optimiser networks, inter-cell interference) is Fig. 11 (\`--figs 11\`, README-distributed.md).`, '');
    md.push('| BS | angles | stage-1 SE | stage-1 L_r | transfer SE | transfer L_r |', '| --- | --- | --- | --- | --- | --- |');
    for (const s of sets) {
      const a = s.r.methods.find((m) => m.method === 'stage1')!.evaluation;
      const b = s.r.methods.find((m) => m.method === 'transfer')!.evaluation;
      md.push(`| ${s.bs} | {${s.angles.join(', ')}}° | ${a.meanRate.toFixed(3)} | ${a.meanLr.toFixed(4)} | ${b.meanRate.toFixed(3)} | ${b.meanLr.toFixed(4)} |`);
    }
    md.push('');
  }

  // ---- Fig. 9: L_r vs M_R
  let sweepMr: Array<{ mr: number; stage1: number; stage2: number; best: number; rate1: number; rate2: number }> | undefined;
  if (want(9)) {
    sweepMr = [];
    for (const mr of o.radarAntennas ?? [10, 12, 14, 16, 18, 20]) {
      const r = mr === pbDefault.MR && fig6 && s2.sweepIterations === s2.iterations ? fig6 : timed(`Fig. 9: M_R = ${mr}`, () => runBeamforming(tf, { numRadarAnt: mr }, s1, s2, { which: ['stage1', 'transfer'], stage1Iterations: s2.sweepStage1Iterations, iterations: s2.sweepIterations }, log));
      const a = r.methods.find((m) => m.method === 'stage1')!.evaluation;
      const b = r.methods.find((m) => m.method === 'transfer')!.evaluation;
      sweepMr.push({ mr, stage1: a.meanLr, stage2: b.meanLr, best: r.problem.bestSplitLoss.total, rate1: a.meanRate, rate2: b.meanRate });
    }
    const rows = sweepMr.flatMap((r) => [
      { mr: r.mr, method: LABEL.stage1, lr: r.stage1 },
      { mr: r.mr, method: LABEL.transfer, lr: r.stage2 },
      { mr: r.mr, method: 'least-L_r split q⋆ (reference)', lr: r.best },
    ]);
    writeText(path.join(o.out, 'fig9-lr-vs-mr.csv'), csv(['radar_antennas', 'method', 'mean_lr'], rows.map((r) => [r.mr, r.method, r.lr])));
    const eps = pbDefault.cfg.epsilon;
    writeText(path.join(o.out, 'fig9-lr-vs-mr.svg'), await specToSvg(lineSpec('Fig. 9: sensing loss L_r vs M_R', `held-out mean L_r (M_C = 12, K = 5); dashed: ε = ${eps}`, rows, { field: 'mr', title: 'radar antennas M_R' }, { field: 'lr', title: 'mean L_r' }, true, [{ data: { values: [{ eps }] }, mark: { type: 'rule', strokeDash: [6, 4], color: 'black' }, encoding: { y: { field: 'eps', type: 'quantitative' } } }])));
    json.fig9 = sweepMr;
    md.push('## Fig. 9 — L_r vs M_R (paper Fig. 8; `fig9-lr-vs-mr.svg`, `.csv`)', '');
    md.push(`Stage 1 (${s2.sweepStage1Iterations} iterations) and transfer (${s2.sweepIterations}) trained at each M_R; ε = ${eps} fixed. The q⋆ row is the least L_r of the split family (no training).`, '');
    md.push('| M_R | stage-1 L_r | transfer L_r | q⋆ L_r | stage-1 SE | transfer SE |', '| --- | --- | --- | --- | --- | --- |');
    for (const r of sweepMr) md.push(`| ${r.mr} | ${r.stage1.toFixed(4)} | ${r.stage2.toFixed(4)} | ${r.best.toFixed(4)} | ${r.rate1.toFixed(3)} | ${r.rate2.toFixed(3)} |`);
    md.push('');
  }

  // ---- Fig. 10: SE vs K (stage 1)
  if (want(10)) {
    const Ks = o.users ?? [2, 4, 6, 8, 10];
    const res: Stage1Result[] = [];
    const s1k = { ...s1, iterations: s2.usersIterations, evalEvery: Math.max(1, Math.round(s2.usersIterations / 8)) };
    for (const K of Ks) res.push(timed(`Fig. 10: K = ${K}`, () => runStage1(tf, { numUsers: K }, s1k, ['unsupervised', 'supervised', 'wmmse', 'equal'], log)));
    const name: Record<string, string> = { unsupervised: 'unsupervised (primal–dual)', supervised: 'supervised (WMMSE labels)', wmmse: 'scalar WMMSE', equal: 'equal power' };
    const rows = res.flatMap((r, i) => r.methods.map((m) => ({ K: Ks[i], method: name[m.method], rate: m.evaluation.meanRate, lr: m.evaluation.meanLr })));
    writeText(path.join(o.out, 'fig10-se-vs-k.csv'), csv(['users', 'method', 'spectral_efficiency_bit_s_hz', 'mean_lr'], rows.map((r) => [r.K, r.method, r.rate, r.lr])));
    writeText(path.join(o.out, 'fig10-se-vs-k.svg'), await specToSvg(lineSpec('Fig. 10: spectral efficiency vs number of users (power control, 10 dB)', `networks of widths 2K, 3K, 2K trained ${s2.usersIterations} iterations per K`, rows, { field: 'K', title: 'users K' }, { field: 'rate', title: 'spectral efficiency (bit/s/Hz)' }, true)));
    json.fig10 = rows;
    md.push('## Fig. 10 — SE vs K (paper Fig. 9; `fig10-se-vs-k.svg`, `.csv`)', '');
    md.push(`Stage 1 (power control) at each K: the networks (log-gain input K² + KP, widths 2K, 3K, 2K) trained ${s2.usersIterations} iterations, supervised on ${s1.labelledSamples} scalar-WMMSE labels; the paper does not say which stage its Fig. 9 uses.`, '');
    md.push('| K | unsupervised | supervised | scalar WMMSE | equal | unsupervised / WMMSE |', '| --- | --- | --- | --- | --- | --- |');
    for (const [i, r] of res.entries()) {
      const g = (m: string) => r.methods.find((x) => x.method === m)!.evaluation.meanRate;
      md.push(`| ${Ks[i]} | ${g('unsupervised').toFixed(3)} | ${g('supervised').toFixed(3)} | ${g('wmmse').toFixed(3)} | ${g('equal').toFixed(3)} | ${((100 * g('unsupervised')) / g('wmmse')).toFixed(1)} % |`);
    }
    md.push('');
  }

  // ---- Fig. 11: distributed mode (quantiser + optimiser per BS), exchange sweep
  let distLines: string[] = [];
  const mdDist: string[] = ['# Paper 002, distributed mode: figures', '', `Regenerate: \`isac-twin figures primal-dual --figs 11 --out ${o.out}\` (docs/primal-dual.md §9).`, ''];
  const jsonDist: Record<string, unknown> = { s1, s2 };
  if (want(11)) {
    const { distributedProblem, distributedSet } = await import('../learning/primal-dual/distributed.ts');
    const { runExchangeSweep, exchangeName, bitsPerBs } = await import('../learning/primal-dual/train-distributed.ts');
    const dp = distributedProblem();
    const nEval = Math.min(1000, s1.evalSamples);
    const evalSet = distributedSet(dp, s1.seed + 2, 0, nEval);
    const bits = o.bits ?? [4, 8, 16, 32];
    const evalEvery = Math.max(1, Math.round(s2.distributedIterations / 8));
    const res = timed(`Fig. 11: distributed mode, ${bits.length + 2} trainings`, () =>
      runExchangeSweep(tf, dp, bits, { iterations: s2.distributedIterations, batchSize: s1.batchSize, learningRate: s1.learningRate, dualStep: s1.dualStep, logitPenalty: s1.logitPenalty, pairStride: s1.pairStride, seed: s1.seed, evalEvery, evalSet }, log),
    );
    const conv = res.flatMap((r) => r.curve.flatMap((p) => p.rate.map((rate, j) => ({ exchange: exchangeName(r.exchange), bs: `BS ${j + 1}`, iteration: p.iteration, rate, lr: p.lr[j], mu: p.mu[j] }))));
    writeText(path.join(o.out, 'fig11-distributed-convergence.csv'), csv(['exchange', 'bs', 'iteration', 'spectral_efficiency_bit_s_hz', 'mean_lr', 'mu'], conv.map((r) => [r.exchange, r.bs, r.iteration, r.rate, r.lr, r.mu])));
    const main = res.find((r) => r.exchange.kind === 'bits' && r.exchange.bits === 16) ?? res[0];
    const mainName = exchangeName(main.exchange);
    const mainRows = conv.filter((r) => r.exchange === mainName).map((r) => ({ ...r, method: r.bs }));
    writeText(path.join(o.out, 'fig11-distributed-convergence.svg'), await specToSvg(lineSpec(`Fig. 11: per-BS spectral efficiency vs iteration, distributed mode (${mainName})`, `3 BSs, inter-cell gain β = ${dp.cfg.crossGain}, local CSI + exchanged bits; held-out mean Σ_k log2(1 + γ_jk)`, mainRows, { field: 'iteration', title: 'iteration (mini-batches of 32)' }, { field: 'rate', title: 'spectral efficiency per BS (bit/s/Hz)' })));
    const bitRows = res.map((r) => ({ exchange: exchangeName(r.exchange), bits: bitsPerBs(dp, r.exchange), total: r.final.rate.reduce((a, b) => a + b, 0), lr: r.final.lr.reduce((a, b) => a + b, 0) / dp.J, wallS: r.wallS, params: r.params }));
    writeText(path.join(o.out, 'fig11b-rate-vs-bits.csv'), csv(['exchange', 'bits_sent_per_bs_per_update', 'sum_se_all_bs_bit_s_hz', 'mean_lr', 'training_s', 'parameters'], bitRows.map((r) => [r.exchange, r.bits, r.total, r.lr, r.wallS, r.params])));
    writeText(
      path.join(o.out, 'fig11b-rate-vs-bits.svg'),
      await specToSvg({ ...base, title: { text: 'Fig. 11b: sum SE of the 3 BSs vs bits exchanged', subtitle: 'bits a BS sends per CSI update to the 2 others (0: none; raw: float32 local features)', fontSize: 14 }, data: { values: bitRows.map((r) => ({ ...r, x: Math.max(1, r.bits) })) }, layer: [{ mark: { type: 'line', point: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: 'bits per BS per update (log; "none" drawn at 1)' }, y: { field: 'total', type: 'quantitative', scale: { zero: false }, title: 'sum spectral efficiency (bit/s/Hz)' } } }, { mark: { type: 'text', dy: -10 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'total', type: 'quantitative' }, text: { field: 'exchange' } } }] } as unknown as TopLevelSpec),
    );
    // the paper's Fig. 11 proper: each BS's mean pattern in distributed mode (P̄ is linear in q)
    const { beampatternOfFactor, splitFactor } = await import('../metrics/beampattern.ts');
    const patRows: Array<{ bs: string; theta: number; method: string; pattern: number }> = [];
    dp.specs.forEach((spec, j) => {
      const name = `BS ${j + 1} {${dp.cfg.targetsDegPerBs[j].join(', ')}}°`;
      const P = beampatternOfFactor(spec.A, dp.MR, splitFactor(dp.beams[j], dp.MR, main.final.meanSplit[j]), dp.P);
      Array.from(spec.gridDeg).forEach((theta, l) => {
        patRows.push({ bs: name, theta, method: `distributed (${mainName})`, pattern: spec.scale * P[l] });
        patRows.push({ bs: name, theta, method: 'desired d(θ)', pattern: spec.desired[l] });
      });
    });
    writeText(path.join(o.out, 'fig11c-distributed-beampatterns.csv'), csv(['bs', 'theta_deg', 'method', 'mean_pattern'], patRows.map((r) => [r.bs, r.theta, r.method, r.pattern])));
    {
      const { width: _w, height: _h, ...facetBase } = base;
      const spec = {
        ...facetBase,
        title: { text: `Fig. 11c: beampatterns of the three BSs, distributed mode (${mainName})`, subtitle: 'mean P̄(θ) over held-out channels of each BS\'s split over its own target beams', fontSize: 14 },
        data: { values: patRows },
        facet: { row: { field: 'bs', type: 'nominal', title: null } },
        spec: { width: 560, height: 200, mark: { type: 'line' }, encoding: { x: { field: 'theta', type: 'quantitative', title: 'θ (degrees)' }, y: { field: 'pattern', type: 'quantitative', title: 'P̄(θ)' }, color: colour(patRows) } },
      } as unknown as TopLevelSpec;
      writeText(path.join(o.out, 'fig11c-distributed-beampatterns.svg'), await specToSvg(spec));
    }
    // convergence check (notes §7): each BS's SE changes < 1 % after the mid-point
    const mid = main.curve.find((p) => p.iteration >= s2.distributedIterations / 2) ?? main.curve[0];
    const drift = main.final.rate.map((r, j) => Math.abs(r - mid.rate[j]) / Math.max(1e-12, mid.rate[j]));
    distLines = [
      `distributed (${mainName}) — per-BS SE change from iteration ${mid.iteration} to ${s2.distributedIterations}: ${drift.map((d, j) => `BS ${j + 1} ${(100 * d).toFixed(2)} %`).join(', ')} (< 1 % asked: ${drift.every((d) => d < 0.01) ? 'met' : 'NOT met'})`,
      `distributed — sum SE vs exchange: ${bitRows.map((r) => `${r.exchange} (${r.bits} bits) ${r.total.toFixed(3)}`).join('; ')}`,
    ];
    jsonDist.fig11 = { crossGain: dp.cfg.crossGain, angles: dp.cfg.targetsDegPerBs, rows: bitRows, finals: res.map((r) => ({ exchange: exchangeName(r.exchange), ...r.final })) };
    mdDist.push('## Fig. 11 — distributed mode (paper Figs. 10–11; `fig11-distributed-convergence.svg`, `fig11b-rate-vs-bits.svg`, `fig11c-distributed-beampatterns.svg`, `.csv`)', '');
    mdDist.push(
      `Three BSs with the angle sets of Fig. 8, K = ${dp.K} users each, inter-cell channel entries CN(0, β = ${dp.cfg.crossGain}) in the SINR; stage-1 power control per BS. Each BS: a quantiser (local features ${dp.featureDim} → 2K → L, tanh; stochastic binarisation with straight-through in training, sign at inference) and an optimiser fed its own features and the other BSs' bits; all trained centrally (${s2.distributedIterations} iterations per exchange, one μ per BS), executed locally. References: no message, and the other BSs' full local features as float32 ("raw CSI").`,
      '',
    );
    mdDist.push('| exchange | bits sent per BS per update | SE BS 1 | SE BS 2 | SE BS 3 | sum | mean L_r | training |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [i, r] of res.entries()) mdDist.push(`| ${bitRows[i].exchange} | ${bitRows[i].bits} | ${r.final.rate.map((x) => x.toFixed(3)).join(' | ')} | ${bitRows[i].total.toFixed(3)} | ${bitRows[i].lr.toFixed(4)} | ${r.wallS.toFixed(0)} s |`);
    mdDist.push('');
    mdDist.push(`Fig. 11c: each BS's mean pattern (${mainName}) at its own targets (d = 1 there):`, '');
    mdDist.push('| BS | angles | P̄ at the targets | share of the radar power per beam |', '| --- | --- | --- | --- |');
    dp.specs.forEach((spec, j) => {
      const at = dp.cfg.targetsDegPerBs[j].map((t) => {
        const l = Array.from(spec.gridDeg).findIndex((g) => Math.abs(g - t) < 1e-9);
        return patRows.find((r) => r.bs.startsWith(`BS ${j + 1} `) && r.method.startsWith('distributed') && r.theta === spec.gridDeg[l])?.pattern ?? NaN;
      });
      const q = main.final.meanSplit[j];
      const tot = q.reduce((a, b) => a + b, 0);
      mdDist.push(`| ${j + 1} | {${dp.cfg.targetsDegPerBs[j].join(', ')}}° | ${at.map((v) => v.toFixed(2)).join(' / ')} | ${q.map((v) => ((100 * v) / tot).toFixed(1) + ' %').join(' / ')} |`);
    });
    mdDist.push('');
  }

  const checks = stage2Checks(want(6) ? fig6 : undefined, sweepMr);
  const lines = [...stage2CheckLines(checks), ...distLines];
  json.checks = checks;
  json.timing = timing;
  if (o.shipTo && fig6) {
    const shipped = await shipModels(tf, fig6, s1, s2, o.shipTo);
    json.shipped = shipped.map((x) => x.dir);
    log(`shipped ${shipped.map((x) => x.dir).join(', ')}`);
  }
  fig6?.methods.forEach((m) => m.model?.dispose());
  const wall = (sel: (w: string) => boolean) => ['## Wall time (one core, `nice -n 10`, shared machine)', '', ...timing.filter(([w]) => sel(w)).map(([w, t]) => `- ${w}: ${t.toFixed(0)} s`), ''];
  if (o.figs.some((f) => f >= 6 && f <= 10)) {
    md.push('## Done when (stage 2)', '', ...stage2CheckLines(checks).map((l) => `- ${l}`), '');
    md.push(...wall((w) => !w.startsWith('Fig. 11')));
    writeText(path.join(o.out, 'README-beamforming.md'), md.join('\n'));
    writeText(path.join(o.out, 'results-beamforming.json'), JSON.stringify(json, null, 2) + '\n');
  }
  if (want(11)) {
    mdDist.push('## Checks (distributed)', '', ...distLines.map((l) => `- ${l}`), '', ...wall((w) => w.startsWith('Fig. 11')));
    jsonDist.timing = timing.filter(([w]) => w.startsWith('Fig. 11'));
    writeText(path.join(o.out, 'README-distributed.md'), mdDist.join('\n'));
    writeText(path.join(o.out, 'results-distributed.json'), JSON.stringify(jsonDist, null, 2) + '\n');
  }
  return { checks, lines };
}
