/**
 * `isac-twin figures primal-dual`: paper 002's stage-1 results (docs/primal-dual.md) regenerated —
 *   Fig. 4  spectral efficiency vs training iteration at 10 dB, every stage-1 method
 *           (+ Fig. 4b: the held-out mean L_r vs iteration with and without the dual, against ε)
 *   Fig. 5  spectral efficiency vs SNR, 5 … 10 dB, every method but "no dual"
 * as CSV + SVG (vega-lite) with captions (README.md in the output folder), a results.json, and
 * the stage-1 "Done when" rows printed. Every learned method is trained here from its seed
 * (src/learning/primal-dual/experiment.ts); nothing is read from disk but the labelled-set cache.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { MethodName, Stage1Checks, Stage1Result } from '../learning/primal-dual/experiment.ts';
import { featureDim, paper002Problem } from '../learning/primal-dual/problem.ts';
import { paperHiddenDims } from '../learning/primal-dual/network.ts';
import { STAGE1_DEFAULTS, type Stage1Settings } from '../learning/primal-dual/settings.ts';
import { csv, writeText } from './figure-files.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface PrimalDualFiguresOptions {
  out: string;
  settings: Stage1Settings;
  /** Fig. 5's SNRs (dB); 10 dB reuses Fig. 4's trainings. */
  snrsDb: number[];
  /** Also run docs/primal-dual.md's ablations of the unsupervised method (10 dB). */
  ablations?: boolean;
  log?: (line: string) => void;
}

const FIG5_METHODS: readonly MethodName[] = ['unsupervised', 'supervised', 'wmmse', 'equal', 'random'];
const LABEL: Record<MethodName, string> = {
  unsupervised: 'unsupervised (primal–dual)',
  'no-dual': 'unsupervised (no dual)',
  supervised: 'supervised (WMMSE labels)',
  wmmse: 'WMMSE',
  equal: 'equal power',
  random: 'random power',
};

/** The setting every caption states. */
export function settingText(s: Stage1Settings): string {
  const pb = paper002Problem();
  const c = pb.cfg;
  const dims = [featureDim(pb, s.features), ...paperHiddenDims(pb.K, s.widthMultiplier), pb.K + pb.P].join('→');
  return (
    `single BS, K = ${c.numUsers} users, M_C = ${c.numCommAnt}, M_R = ${c.numRadarAnt}, targets {${c.targetsDeg.map((t) => `${t}°`).join(', ')}}, ` +
    `Δ = ${c.beamWidthDeg}°, P_max = ${c.powerMaxW} W per user on MRT directions, P_R = ${c.radarPowerW} W split over the target beams, ` +
    `ε = ${c.epsilon}, i.i.d. CN(0, 1) channels, SNR = P_max/N_0; network ${dims} (${s.features} features), Adam ${s.learningRate}, batch ${s.batchSize}, ` +
    `${s.iterations} iterations, η_d = ${s.dualStep}, logit penalty ρ = ${s.logitPenalty}; supervised on ${s.labelledSamples} WMMSE labels; ` +
    `baselines' radar on the least-L_r split q⋆; scored on ${s.evalSamples} held-out channels (seed ${s.seed})`
  );
}



/** A Fig. 4 row (one curve point of one method) and a Fig. 5 row, as in the CSV files. */
export interface Fig4Row {
  iteration: number;
  method: string;
  rate: number;
  lr: number;
  mu: number;
}
export interface Fig5Row {
  snrDb: number;
  method: string;
  rate: number;
  lr: number;
  violation: number;
}

/** One colour per method in every figure (vega's category10, in LABEL order). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd', '#8c564b'];

function colorOf(rows: Array<{ method: string }>) {
  const labels = Object.values(LABEL);
  const present = labels.filter((l) => rows.some((r) => r.method === l));
  return { field: 'method', type: 'nominal', title: null, scale: { domain: present, range: present.map((l) => PALETTE[labels.indexOf(l)]) } };
}

/** The Vega-Lite specs of Figs. 4, 4b and 5 from their CSV rows. */
export function figureSpecs(fig4: Fig4Row[], fig5: Fig5Row[], epsilon: number): { fig4: TopLevelSpec; fig4b: TopLevelSpec; fig5: TopLevelSpec } {
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 560,
    height: 320,
    background: 'white',
    config: { legend: { labelLimit: 320 } },
  } as const;
  const fig4b = fig4.filter((r) => r.method === LABEL.unsupervised || r.method === LABEL['no-dual'] || r.method === LABEL.wmmse);
  return {
    fig4: {
      ...base,
      title: { text: 'Fig. 4: spectral efficiency vs iteration (power control, 10 dB)', subtitle: 'held-out mean Σ_k log2(1 + γ_k); baselines flat', fontSize: 14 },
      data: { values: fig4 },
      mark: { type: 'line', point: false },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'iteration (mini-batches of 32)' },
        y: { field: 'rate', type: 'quantitative', title: 'spectral efficiency (bit/s/Hz)', scale: { zero: false } },
        color: colorOf(fig4),
      },
    } as unknown as TopLevelSpec,
    fig4b: {
      ...base,
      title: { text: 'Fig. 4b: sensing loss L_r vs iteration (10 dB)', subtitle: `held-out mean L_r = L_r,1 + L_r,2; dashed: ε = ${epsilon}; WMMSE & co. on q⋆`, fontSize: 14 },
      layer: [
        { data: { values: fig4b }, mark: { type: 'line' }, encoding: { x: { field: 'iteration', type: 'quantitative', title: 'iteration' }, y: { field: 'lr', type: 'quantitative', title: 'mean L_r' }, color: colorOf(fig4b) } },
        { data: { values: [{ eps: epsilon }] }, mark: { type: 'rule', strokeDash: [6, 4], color: 'black' }, encoding: { y: { field: 'eps', type: 'quantitative' } } },
      ],
    } as unknown as TopLevelSpec,
    fig5: {
      ...base,
      title: { text: 'Fig. 5: spectral efficiency vs SNR (power control)', subtitle: 'SNR = P_max / N_0; one training per SNR', fontSize: 14 },
      data: { values: fig5 },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'snrDb', type: 'quantitative', title: 'SNR (dB)', scale: { zero: false } },
        y: { field: 'rate', type: 'quantitative', title: 'spectral efficiency (bit/s/Hz)', scale: { zero: false } },
        color: colorOf(fig5),
      },
    } as unknown as TopLevelSpec,
  };
}

function defaultsRow(at10: Stage1Result, iterations: number): { name: string; change: string; iterations: number; rate: number; lr: number; violationShare: number; mu: number } {
  const m = at10.methods.find((x) => x.method === 'unsupervised')!;
  return { name: 'defaults', change: 'none (Fig. 4)', iterations, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, violationShare: m.evaluation.violationShare, mu: m.curve?.[m.curve.length - 1]?.mu ?? 0 };
}

/** The defaults' held-out rate at an iteration of Fig. 4's curve (for ablations of another length). */
function defaultsAt(at10: Stage1Result, iteration: number): number | undefined {
  return at10.methods.find((x) => x.method === 'unsupervised')?.curve?.find((p) => p.iteration === iteration)?.rate;
}

export function checkLines(c: Stage1Checks): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `stage 1 — unsupervised vs scalar WMMSE at 10 dB: ${c.gapToWmmse.unsupervised.toFixed(3)} vs ${c.gapToWmmse.wmmse.toFixed(3)} bit/s/Hz, gap ${pct(c.gapToWmmse.gap)} (≤ 2 % asked: ${mark(c.gapToWmmse.pass)})`,
    `stage 1 — unsupervised − supervised over ${c.overSupervised.perSnr.map((r) => r.snrDb).join(', ')} dB: mean ${c.overSupervised.mean.toFixed(3)} bit/s/Hz (${c.overSupervised.perSnr.map((r) => `${r.snrDb} dB ${r.gain >= 0 ? '+' : ''}${r.gain.toFixed(3)}`).join(', ')}; ≥ 0.5 asked: ${mark(c.overSupervised.pass)})`,
    `stage 1 — mean L_r after training: ${c.sensing.dual.toFixed(4)} with the dual (≤ 1.05 ε = ${(1.05 * c.sensing.epsilon).toFixed(4)}), ${c.sensing.noDual.toFixed(4)} without (> ε = ${c.sensing.epsilon} asked): ${mark(c.sensing.pass)}`,
  ];
}

export async function writePrimalDualFigures(tf: Tf, o: PrimalDualFiguresOptions): Promise<{ checks: Stage1Checks; lines: string[] }> {
  // vega and the trainers load only when figures are made (the CLI imports this module at start)
  const { specToSvg } = await import('../analysis/plot.ts');
  const { runAblations, runStage1, stage1Checks } = await import('../learning/primal-dual/experiment.ts');
  const log = o.log ?? (() => {});
  const s = o.settings;
  mkdirSync(o.out, { recursive: true });
  log(`primal-dual stage 1 at 10 dB: ${s.iterations} iterations per learned method`);
  const at10 = runStage1(tf, { snrDb: 10 }, s, ['unsupervised', 'no-dual', 'supervised', 'wmmse', 'equal', 'random'], log);
  const sweep: Stage1Result[] = [];
  for (const snrDb of o.snrsDb) sweep.push(snrDb === 10 ? at10 : runStage1(tf, { snrDb }, s, FIG5_METHODS, log));
  const checks = stage1Checks(at10, sweep);
  const ablations = o.ablations ? runAblations(tf, s, undefined, log) : [];
  if (ablations.length) {
    writeText(
      path.join(o.out, 'ablations.csv'),
      csv(['variant', 'change', 'iterations', 'spectral_efficiency_bit_s_hz', 'mean_lr', 'violation_share', 'final_mu', 'training_s'], ablations.map((a) => [a.name, a.change, a.iterations, a.rate, a.lr, a.violationShare, a.mu, a.wallS])),
    );
  }
  const setting = settingText(s);

  // Fig. 4: curves of the learned methods, the baselines as flat lines
  const T = s.iterations;
  const fig4: Fig4Row[] = [];
  for (const m of at10.methods) {
    const pts = m.curve ?? [0, T].map((iteration) => ({ iteration, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, mu: 0, violationShare: m.evaluation.violationShare }));
    for (const p of pts) fig4.push({ iteration: p.iteration, method: LABEL[m.method], rate: p.rate, lr: p.lr, mu: p.mu });
  }
  writeText(path.join(o.out, 'fig4-se-vs-iteration.csv'), csv(['iteration', 'method', 'spectral_efficiency_bit_s_hz', 'mean_lr', 'mu'], fig4.map((r) => [r.iteration, r.method, r.rate, r.lr, r.mu])));
  const fig5: Fig5Row[] = sweep.flatMap((r) =>
    r.methods.filter((m) => FIG5_METHODS.includes(m.method)).map((m) => ({ snrDb: r.snrDb, method: LABEL[m.method], rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, violation: m.evaluation.violationShare })),
  );
  writeText(path.join(o.out, 'fig5-se-vs-snr.csv'), csv(['snr_db', 'method', 'spectral_efficiency_bit_s_hz', 'mean_lr', 'violation_share'], fig5.map((r) => [r.snrDb, r.method, r.rate, r.lr, r.violation])));

  const specs = figureSpecs(fig4, fig5, at10.problem.cfg.epsilon);
  writeText(path.join(o.out, 'fig4-se-vs-iteration.svg'), await specToSvg(specs.fig4));
  writeText(path.join(o.out, 'fig4b-lr-vs-iteration.svg'), await specToSvg(specs.fig4b));
  writeText(path.join(o.out, 'fig5-se-vs-snr.svg'), await specToSvg(specs.fig5));

  const lines = checkLines(checks);
  const table = (r: Stage1Result) =>
    r.methods.map((m) => `| ${LABEL[m.method]} | ${m.evaluation.meanRate.toFixed(3)} | ${m.evaluation.meanLr.toFixed(4)} | ${(100 * m.evaluation.violationShare).toFixed(1)} % | ${m.wallS === undefined ? '–' : `${m.wallS.toFixed(0)} s`} |`);
  const readme = [
    '# Paper 002, stage 1 (power control): figures',
    '',
    `Regenerate: \`isac-twin figures primal-dual --out ${o.out}\` (docs/primal-dual.md explains every choice).`,
    '',
    `Setting: ${setting}.`,
    '',
    '## Fig. 4 — spectral efficiency vs iteration (`fig4-se-vs-iteration.svg`, `.csv`)',
    'Held-out mean sum rate of each learned method along its training at 10 dB (every ' +
      `${s.evalEvery} iterations); WMMSE, equal and random power do not learn and are flat. ` +
      '`fig4b-lr-vs-iteration.svg`: the held-out mean L_r of the primal–dual and no-dual runs against ε.',
    '',
    '| method (10 dB) | SE (bit/s/Hz) | mean L_r | L_r > ε | training |',
    '| --- | --- | --- | --- | --- |',
    ...table(at10),
    '',
    `## Fig. 5 — spectral efficiency vs SNR (\`fig5-se-vs-snr.svg\`, \`.csv\`)`,
    `Every method but no-dual at SNR ∈ {${o.snrsDb.join(', ')}} dB, the learned ones trained at each SNR.`,
    '',
    `| SNR (dB) | ${FIG5_METHODS.map((m) => LABEL[m]).join(' | ')} |`,
    `| --- | ${FIG5_METHODS.map(() => '---').join(' | ')} |`,
    ...sweep.map((r) => `| ${r.snrDb} | ${FIG5_METHODS.map((m) => r.methods.find((x) => x.method === m)?.evaluation.meanRate.toFixed(3) ?? '–').join(' | ')} |`),
    '',
    ...(ablations.length
      ? [
          '## Ablations of the unsupervised method (10 dB, `ablations.csv`)',
          '',
          '| variant | change | iterations | SE (bit/s/Hz) | defaults there | mean L_r | L_r > ε | final μ |',
          '| --- | --- | --- | --- | --- | --- | --- | --- |',
          ...[defaultsRow(at10, s.iterations), ...ablations].map(
            (a) =>
              `| ${a.name} | ${a.change} | ${a.iterations} | ${a.rate.toFixed(3)} | ${defaultsAt(at10, a.iterations)?.toFixed(3) ?? '–'} | ${a.lr.toFixed(4)} | ${(100 * a.violationShare).toFixed(1)} % | ${a.mu.toFixed(3)} |`,
          ),
          '',
        ]
      : []),
    '## Done when (stage 1)',
    ...lines.map((l) => `- ${l}`),
    '',
  ].join('\n');
  writeText(path.join(o.out, 'README.md'), readme);
  const json = {
    settings: s,
    setting,
    at10: at10.methods.map((m) => ({ method: m.method, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr, lr1: m.evaluation.meanLr1, lr2: m.evaluation.meanLr2, violationShare: m.evaluation.violationShare, wallS: m.wallS })),
    sweep: sweep.map((r) => ({ snrDb: r.snrDb, methods: r.methods.map((m) => ({ method: m.method, rate: m.evaluation.meanRate, lr: m.evaluation.meanLr })) })),
    checks,
    ablations,
    bestSplit: { q: Array.from(at10.problem.bestSplit), loss: at10.problem.bestSplitLoss },
  };
  writeText(path.join(o.out, 'results.json'), JSON.stringify(json, null, 2) + '\n');
  log(`wrote ${o.out}/README.md, results.json, fig4-se-vs-iteration.{svg,csv}, fig4b-lr-vs-iteration.svg, fig5-se-vs-snr.{svg,csv}`);
  return { checks, lines };
}

// ------------------------------------------------------------------------------- CLI glue

const snrList = (value: string): number[] => {
  const xs = value.split(',').map((v) => Number(v.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x < -20 || x > 40)) throw new InvalidArgumentError(`expected comma-separated SNRs in dB (−20 … 40), got "${value}"`);
  if (!xs.includes(10)) throw new InvalidArgumentError(`the SNR list must include 10 (Fig. 4 and the checks are at 10 dB), got "${value}"`);
  return [...new Set(xs)].sort((a, b) => a - b);
};
const positiveInt = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected ${what} (a positive integer), got "${value}"`);
  return n;
};

const figList = (value: string): number[] => {
  const xs = value.split(',').map((v) => Number(v.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 4 || x > 11)) throw new InvalidArgumentError(`expected comma-separated figure numbers among 4 … 11, got "${value}"`);
  return [...new Set(xs)].sort((a, b) => a - b);
};
const positiveNumber = (value: string): number => {
  const x = Number(value);
  if (!(x > 0) || !Number.isFinite(x)) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return x;
};

/** The primal-dual options of `figures` (ignored by the other figure sets). */
export function addPrimalDualFigureOptions(cmd: Command): Command {
  return cmd
    .option('--iterations <n>', `primal-dual: training iterations of every learned method (default ${STAGE1_DEFAULTS.iterations})`, positiveInt('iterations'))
    .option('--snrs <list>', 'primal-dual: the SNRs of Fig. 5 in dB (must include 10; default 5,6,7,8,9,10)', snrList)
    .option('--labelled-samples <n>', `primal-dual: WMMSE-labelled samples of the supervised baseline (default ${STAGE1_DEFAULTS.labelledSamples})`, positiveInt('a sample count'))
    .option('--ablations', "primal-dual: also train docs/primal-dual.md's variants of the unsupervised method (5 more trainings)")
    .option('--figs <list>', 'primal-dual: which figures (4,5: stage 1; 6,7,8,9,10: beamforming and sweeps; 11: distributed mode; docs/primal-dual.md §7–9; default 4,5)', figList)
    .option('--stage2-scale <x>', 'primal-dual: scale every iteration budget of Figs. 6–10 (default 1)', positiveNumber)
    .option('--ship-models', 'primal-dual: write the Fig. 6 networks to <models>/primal-dual-{stage1,transfer,direct,supervised}/');
}

export interface PrimalDualFiguresCliOptions {
  out: string;
  testSamples: number;
  seed?: number;
  cache?: string | false;
  iterations?: number;
  snrs?: number[];
  labelledSamples?: number;
  ablations?: boolean;
  figs?: number[];
  stage2Scale?: number;
  shipModels?: boolean;
  models?: string;
  backend?: string;
}

/** Runs `figures primal-dual` (the output folder is checked by the caller); prints the "Done when" rows. */
export async function commandPrimalDualFigures(o: PrimalDualFiguresCliOptions, startBackend: (name?: string) => Promise<{ tf: Tf }>): Promise<number> {
  const settings: Stage1Settings = {
    ...STAGE1_DEFAULTS,
    evalSamples: o.testSamples,
    ...(o.iterations ? { iterations: o.iterations, evalEvery: Math.max(1, Math.round(o.iterations / 24)) } : {}),
    ...(o.labelledSamples ? { labelledSamples: o.labelledSamples } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.cache ? { cacheDir: o.cache } : {}),
  };
  const figs = o.figs ?? [4, 5];
  const { tf } = await startBackend(o.backend);
  const t0 = performance.now();
  if (figs.includes(4) || figs.includes(5)) {
    const { lines } = await writePrimalDualFigures(tf, { out: o.out, settings, snrsDb: o.snrs ?? [5, 6, 7, 8, 9, 10], ablations: o.ablations, log: (line) => console.log(line) });
    console.log(`\n"Done when" of issue 13, stage 1 (${settings.evalSamples} held-out channels, ${((performance.now() - t0) / 60000).toFixed(1)} min):`);
    for (const l of lines) console.log(`  ${l}`);
  }
  const later = figs.filter((f) => f >= 6);
  if (later.length) {
    const { writeStage2Figures } = await import('./primal-dual-figures-stage2.ts');
    const { STAGE2_DEFAULTS } = await import('../learning/primal-dual/experiment-stage2.ts');
    const k = o.stage2Scale ?? 1;
    const sc = (n: number) => Math.max(2, Math.round(n * k));
    const s2 = {
      ...STAGE2_DEFAULTS,
      stage1Iterations: sc(STAGE2_DEFAULTS.stage1Iterations),
      iterations: sc(STAGE2_DEFAULTS.iterations),
      sweepStage1Iterations: sc(STAGE2_DEFAULTS.sweepStage1Iterations),
      sweepIterations: sc(STAGE2_DEFAULTS.sweepIterations),
      usersIterations: sc(STAGE2_DEFAULTS.usersIterations),
      distributedIterations: sc(STAGE2_DEFAULTS.distributedIterations),
      evalEvery: Math.max(1, Math.round(STAGE2_DEFAULTS.evalEvery * k)),
      ...(o.labelledSamples ? { labelledSamples: o.labelledSamples } : {}),
    };
    const t1 = performance.now();
    const { lines } = await writeStage2Figures(tf, { out: o.out, figs: later, s1: settings, s2, shipTo: o.shipModels ? (o.models ?? 'models') : undefined, log: (line) => console.log(line) });
    console.log(`\n"Done when" of issue 13, stages 2 and later (figures ${later.join(', ')}; ${settings.evalSamples} held-out channels, ${((performance.now() - t1) / 60000).toFixed(1)} min):`);
    for (const l of lines) console.log(`  ${l}`);
  }
  return 0;
}
