/**
 * Paper 002 stage 2 end to end (docs/primal-dual.md §7–8), the runs behind `figures primal-dual
 * --figs 6,7,8,9,10`:
 *   runBeamforming   at one setting: a stage-1 network (the trunk), then transfer (head only),
 *                    direct (from scratch) and supervised (WMMSE beams) stage-2 networks, MISO
 *                    WMMSE and MRT on q⋆ — Figs. 6 and 7 (and the sweeps' stage 1 + transfer)
 *   stage2Checks     the "Done when" rows of stage 2
 * Seeds as stage 1 (experiment.ts): training channels from `seed`, the labelled set from seed + 1,
 * the held-out set from seed + 2; the stage-2 heads from seed + 5 (transfer) and the direct and
 * supervised networks from `seed`.
 */
import type { Sequential } from '@tensorflow/tfjs';
import { splitFactor } from '../../metrics/beampattern.ts';
import { labelledDataset } from '../labels.ts';
import { evaluateModel, trainUnsupervised, type CurvePoint, type Tf } from './train.ts';
import { channelSet, drawChannels, featuresOf, paper002Generator, paper002Problem, type Paper002Config, type Paper002Problem } from './problem.ts';
import { predictAll, stage1Allocation } from './network.ts';
import type { Stage1Settings } from './settings.ts';
import { misoWmmseDecision, misoWmmseLabels, mrtDecision } from './stage2-baselines.ts';
import { evaluateBeams, meanBeampattern, type BeamDecision, type BeamEvaluation } from './stage2.ts';
import { trainStage2, type Stage2Mode } from './train-stage2.ts';

/** Iteration budgets of stage 2 (the figure run states them in its captions). */
export interface Stage2Settings {
  /** Stage-1 training of the trunk every transfer starts from. */
  stage1Iterations: number;
  /** Stage-2 trainings (transfer, direct, supervised) of Figs. 6–7. */
  iterations: number;
  /** Stage-1 and transfer trainings of each sweep point (Figs. 8–9). */
  sweepStage1Iterations: number;
  sweepIterations: number;
  /** Stage-1 trainings of Fig. 10 (SE vs K). */
  usersIterations: number;
  /** Trainings of the distributed mode (Fig. 11), one per exchange. */
  distributedIterations: number;
  /** L_r of the stage-2 training loss from this many samples per batch. */
  sensingSamples: number;
  /** WMMSE-labelled samples of the stage-2 supervised network. */
  labelledSamples: number;
  evalEvery: number;
}

export const STAGE2_DEFAULTS: Readonly<Stage2Settings> = Object.freeze({
  stage1Iterations: 3000,
  iterations: 3000,
  sweepStage1Iterations: 2000,
  sweepIterations: 1500,
  usersIterations: 2000,
  distributedIterations: 2000,
  sensingSamples: 8,
  labelledSamples: 10000,
  evalEvery: 125,
});

export type BeamMethod = 'stage1' | Stage2Mode | 'wmmse' | 'mrt';

export interface BeamMethodResult {
  method: BeamMethod;
  evaluation: BeamEvaluation;
  /** Mean P̄(θ) over the held-out channels [L]. */
  pattern: Float64Array;
  curve?: CurvePoint[];
  wallS?: number;
  /** Trained parameters (transfer: the head only). */
  trainedParams?: number;
  model?: Sequential;
  /** Final μ. */
  mu?: number;
  /** Supervised: the labelled set's hash. */
  dataHash?: string;
}

export interface BeamformingResult {
  problem: Paper002Problem;
  methods: BeamMethodResult[];
}

/** Stage-1 decisions as beams (MRT directions, the per-sample split's factor √q_p b_p). */
export function stage1AsBeams(pb: Paper002Problem, U: Float64Array, p: Float64Array, q: Float64Array, n: number): BeamDecision {
  const { K, MC, P, MR } = pb;
  const F = new Float64Array(n * K * MC * 2);
  for (let s = 0; s < n; s++) for (let k = 0; k < K; k++) for (let i = 0; i < 2 * MC; i++) F[(s * K + k) * 2 * MC + i] = Math.sqrt(p[s * K + k]) * U[(s * K + k) * 2 * MC + i];
  const radar = new Float64Array(n * P * MR * 2);
  for (let s = 0; s < n; s++) radar.set(splitFactor(pb.beams, MR, q.subarray(s * P, (s + 1) * P)), s * P * MR * 2);
  return { n, F, radar, radarRows: P };
}

export interface BeamformingOptions {
  which: readonly BeamMethod[];
  stage1Iterations: number;
  iterations: number;
  /** Keep the trained networks in the result (to ship them); otherwise they are disposed. */
  keepModels?: boolean;
}

export function runBeamforming(tf: Tf, cfg: Partial<Paper002Config>, s1: Stage1Settings, s2: Stage2Settings, o: BeamformingOptions, log: (line: string) => void = () => {}): BeamformingResult {
  const pb = paper002Problem(cfg);
  const evalSet = channelSet(pb, drawChannels(pb, s1.seed + 2, 0, s1.evalSamples));
  const tag = `K ${pb.K}, M_R ${pb.MR}, {${pb.cfg.targetsDeg.join(', ')}}°`;
  const methods: BeamMethodResult[] = [];
  const keep = (m: Sequential) => (o.keepModels ? m : (m.dispose(), undefined));
  const s1run = trainUnsupervised(tf, pb, {
    iterations: o.stage1Iterations,
    batchSize: s1.batchSize,
    learningRate: s1.learningRate,
    seed: s1.seed,
    evalEvery: s2.evalEvery * 2,
    evalSet,
    features: s1.features,
    widthMultiplier: s1.widthMultiplier,
    dual: true,
    dualStep: s1.dualStep,
    logitPenalty: s1.logitPenalty,
    pairStride: s1.pairStride,
    onEval: (p) => log(`${tag} stage 1 it ${p.iteration}: R ${p.rate.toFixed(3)}, L_r ${p.lr.toFixed(4)}, μ ${p.mu.toFixed(3)}`),
  });
  const mu1 = s1run.mu[o.stage1Iterations - 1];
  {
    const z = predictAll(tf, s1run.model, featuresOf(evalSet, s1.features), evalSet.n);
    const a = stage1Allocation(pb, z, evalSet.n);
    const d = stage1AsBeams(pb, evalSet.U, a.p, a.q, evalSet.n);
    const ev = evaluateModel(tf, pb, s1run.model, evalSet, s1.features);
    const e: BeamEvaluation = { n: ev.n, rates: ev.rates, lr: ev.lr, meanRate: ev.meanRate, meanLr: ev.meanLr, meanLr1: ev.meanLr1, meanLr2: ev.meanLr2, violationShare: ev.violationShare };
    methods.push({ method: 'stage1', evaluation: e, pattern: meanBeampattern(pb, d), curve: s1run.curve, wallS: s1run.wallS, mu: mu1 });
  }
  const common = { iterations: o.iterations, batchSize: s1.batchSize, learningRate: s1.learningRate, evalEvery: s2.evalEvery, evalSet, features: s1.features, widthMultiplier: s1.widthMultiplier, dualStep: s1.dualStep, sensingSamples: s2.sensingSamples };
  for (const method of o.which) {
    if (method === 'stage1') continue;
    if (method === 'transfer' || method === 'direct' || method === 'supervised') {
      let dataset;
      if (method === 'supervised') {
        const r = labelledDataset({ generator: paper002Generator(pb), label: misoWmmseLabels(pb), n: s2.labelledSamples, seed: s1.seed + 1, cacheDir: s1.cacheDir });
        dataset = r.dataset;
        log(`${tag} stage-2 supervised: ${dataset.n} MISO-WMMSE labels${r.cached ? ' (cached)' : ''}`);
      }
      const r = trainStage2(tf, pb, {
        ...common,
        mode: method,
        seed: method === 'transfer' ? s1.seed + 5 : s1.seed,
        channelSeed: s1.seed,
        stage1: s1run.model,
        mu0: mu1,
        dataset,
        onEval: (p) => log(`${tag} ${method} it ${p.iteration}: R ${p.rate.toFixed(3)}, L_r ${p.lr.toFixed(4)}, μ ${p.mu.toFixed(3)}`),
      });
      methods.push({ method, evaluation: r.final, pattern: meanBeampattern(pb, r.decision), curve: r.curve, wallS: r.wallS, trainedParams: r.trainedParams, model: keep(r.model), mu: r.mu[o.iterations - 1], dataHash: dataset?.hash });
    } else {
      const d = method === 'wmmse' ? misoWmmseDecision(pb, evalSet) : mrtDecision(pb, evalSet);
      const e = evaluateBeams(pb, evalSet, d);
      methods.push({ method, evaluation: e, pattern: meanBeampattern(pb, d) });
      log(`${tag} ${method}: R ${e.meanRate.toFixed(3)}, L_r ${e.meanLr.toFixed(4)}`);
    }
  }
  methods[0].model = keep(s1run.model);
  return { problem: pb, methods };
}

/** The iteration at which a curve first reaches `target` (undefined: never). */
export function firstReach(curve: CurvePoint[], target: number): number | undefined {
  return curve.find((p) => p.rate >= target)?.iteration;
}

export interface Stage2Checks {
  /** Transfer reaches 98 % of direct's final rate within half of direct's iterations. */
  transfer: { direct: number; transferFinal: number; target: number; reachedAt?: number; directIterations: number; pass: boolean };
  /** Mean L_r at each M_R for stage 1 and stage 2 (transfer), and whether each falls step by step. */
  lrVsMr: { mr: number[]; stage1: number[]; stage2: number[]; stage1Falls: boolean; stage2Falls: boolean; pass: boolean };
}

const falls = (v: number[]) => v.every((x, i) => i === 0 || x < v[i - 1]);

export function stage2Checks(fig6: BeamformingResult | undefined, sweepMr: Array<{ mr: number; stage1: number; stage2: number }> | undefined): Partial<Stage2Checks> {
  const out: Partial<Stage2Checks> = {};
  if (fig6) {
    const d = fig6.methods.find((m) => m.method === 'direct');
    const t = fig6.methods.find((m) => m.method === 'transfer');
    if (d && t && d.curve && t.curve) {
      const direct = d.evaluation.meanRate;
      const target = 0.98 * direct;
      const reachedAt = firstReach(t.curve, target);
      const directIterations = d.curve[d.curve.length - 1].iteration;
      out.transfer = { direct, transferFinal: t.evaluation.meanRate, target, reachedAt, directIterations, pass: reachedAt !== undefined && reachedAt <= directIterations / 2 };
    }
  }
  if (sweepMr && sweepMr.length > 1) {
    const stage1 = sweepMr.map((r) => r.stage1);
    const stage2 = sweepMr.map((r) => r.stage2);
    out.lrVsMr = { mr: sweepMr.map((r) => r.mr), stage1, stage2, stage1Falls: falls(stage1), stage2Falls: falls(stage2), pass: falls(stage1) && falls(stage2) };
  }
  return out;
}
