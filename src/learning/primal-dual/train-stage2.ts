/**
 * Stage-2 training (paper 002 eqs. 23–26, Algorithm 2's "load the model, modify the output layer,
 * update the last layer"; docs/primal-dual.md §7), on the stage-1 machinery (DenseChain + FusedAdam
 * on wasm, the same held-out scoring cadence):
 *   transfer    the stage-1 network's hidden layers (frozen) + a fresh linear head Dense(2K → 2MK);
 *               only the head is trained, with the stage-2 Lagrangian; μ continues from stage 1
 *   direct      the same architecture trained from scratch (every layer), μ⁰ = 0
 *   supervised  the same architecture from scratch on the MSE to WMMSE beams in each sample's
 *               basis (stage2-baselines.ts); its radar is q⋆
 * One iteration = one mini-batch of fresh channels (samples tB … tB+B−1 of the seed's stream).
 */
import type { Sequential, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { streamFor } from '../../phy/random.ts';
import { FusedAdam } from '../adam.ts';
import { DenseChain } from '../dense-chain.ts';
import type { LabelledDataset } from '../labels.ts';
import { DualVariable } from './dual.ts';
import { patternConstants } from './losses.ts';
import { createPrimalDualNet, paperHiddenDims, predictAll, type NetConfig } from './network.ts';
import { channelSet, drawChannels, featureDim, featuresOf, type ChannelSet, type FeatureKind, type Paper002Problem } from './problem.ts';
import { bestSplitRadar } from './stage2-baselines.ts';
import { commBasis, disposeStage2Batch, evaluateBeams, stage2Batch, stage2Constants, stage2Decision, stage2LagrangianTf, stage2OutputDim, stage2SupervisedLossTf, type BeamDecision, type BeamEvaluation } from './stage2.ts';
import { step, type CurvePoint } from './train.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export type Stage2Mode = 'transfer' | 'direct' | 'supervised';

/** The stage-2 network: the stage-1 trunk (input → 2K → 3K → 2K) and a 2MK linear head. */
export function stage2NetConfig(pb: Paper002Problem, seed: number, features: FeatureKind, widthMultiplier = 1): NetConfig {
  return { inputDim: featureDim(pb, features), hiddenDims: paperHiddenDims(pb.K, widthMultiplier), outputDim: stage2OutputDim(pb), seed };
}

/**
 * A stage-2 network whose hidden layers are copies of `stage1`'s (same input and widths) and whose
 * head is fresh (initialised from `seed` as every head of network.ts).
 */
export function transferNet(tf: Tf, pb: Paper002Problem, stage1: Sequential, seed: number, features: FeatureKind, widthMultiplier = 1): Sequential {
  const model = createPrimalDualNet(tf, stage2NetConfig(pb, seed, features, widthMultiplier));
  const src = stage1.layers.filter((l) => l.getClassName() === 'Dense');
  const dst = model.layers.filter((l) => l.getClassName() === 'Dense');
  if (src.length !== dst.length) throw new Error(`transferNet: stage-1 network has ${src.length} dense layers, stage 2 needs ${dst.length}`);
  for (let i = 0; i < dst.length - 1; i++) {
    const w = src[i].getWeights();
    const shapes = dst[i].getWeights().map((t) => t.shape.join('×'));
    if (w.map((t) => t.shape.join('×')).join() !== shapes.join()) throw new Error(`transferNet: layer ${i} is ${w.map((t) => t.shape.join('×')).join(', ')} in stage 1, ${shapes.join(', ')} in stage 2`);
    dst[i].setWeights(w);
  }
  return model;
}

export interface Stage2TrainOptions {
  mode: Stage2Mode;
  iterations: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  evalEvery: number;
  evalSet: ChannelSet;
  features: FeatureKind;
  widthMultiplier?: number;
  /** transfer: the trained stage-1 network. */
  stage1?: Sequential;
  /** transfer: μ⁰ (stage 1's final μ). */
  mu0?: number;
  dualStep: number;
  /** L_r of the training loss from this many samples of each batch (default all). */
  sensingSamples?: number;
  /** supervised: labels c/√P_max [K·2M_C] per sample (misoWmmseLabels). */
  dataset?: LabelledDataset;
  /** Seed of the training channels (default `seed`). */
  channelSeed?: number;
  onEval?: (p: CurvePoint) => void;
}

export interface Stage2TrainResult {
  model: Sequential;
  curve: CurvePoint[];
  batchLr: Float64Array;
  mu: Float64Array;
  final: BeamEvaluation;
  /** The final decision on the held-out set (figures: beampatterns). */
  decision: BeamDecision;
  wallS: number;
  trainedParams: number;
}

/** Held-out beams and scores of a stage-2 network; `fixedRadar` puts the radar on q⋆ (supervised). */
export function evaluateStage2Model(tf: Tf, pb: Paper002Problem, model: Sequential, set: ChannelSet, basis: Float64Array, features: FeatureKind, fixedRadar = false): { decision: BeamDecision; evaluation: BeamEvaluation } {
  const z = predictAll(tf, model, featuresOf(set, features), set.n);
  let decision = stage2Decision(pb, basis, z, set.n);
  if (fixedRadar) decision = { ...decision, radar: bestSplitRadar(pb, set.n), radarRows: pb.P };
  return { decision, evaluation: evaluateBeams(pb, set, decision) };
}

export function trainStage2(tf: Tf, pb: Paper002Problem, o: Stage2TrainOptions): Stage2TrainResult {
  const t0 = performance.now();
  for (const f of ['iterations', 'batchSize', 'evalEvery'] as const) {
    if (!Number.isInteger(o[f]) || o[f] < 1) throw new RangeError(`${f} must be a positive integer, got ${o[f]}`);
  }
  if (!(o.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${o.learningRate}`);
  if (o.mode === 'transfer' && !o.stage1) throw new Error('trainStage2: transfer needs the stage-1 network');
  if (o.mode === 'supervised' && !o.dataset) throw new Error('trainStage2: supervised needs a labelled dataset');
  const model = o.mode === 'transfer' ? transferNet(tf, pb, o.stage1!, o.seed, o.features, o.widthMultiplier) : createPrimalDualNet(tf, stage2NetConfig(pb, o.seed, o.features, o.widthMultiplier));
  const chain = new DenseChain(tf, model);
  // transfer: only the head (the last kernel and bias) is trained
  const trained = o.mode === 'transfer' ? chain.variables.slice(-2) : chain.variables;
  const opt = new FusedAdam(tf, trained, { learningRate: o.learningRate, epsilon: 1e-8 });
  const pattern = patternConstants(tf, pb.spec);
  const consts = stage2Constants(tf, pb, pattern);
  const dual = new DualVariable(pb.cfg.epsilon, o.mode === 'supervised' ? 0 : o.dualStep, o.mode === 'transfer' ? (o.mu0 ?? 0) : 0);
  const evalBasis = commBasis(pb, o.evalSet);
  const curve: CurvePoint[] = [];
  const batchLr = new Float64Array(o.iterations);
  const mu = new Float64Array(o.iterations);
  const seed = o.channelSeed ?? o.seed;
  const fixedRadar = o.mode === 'supervised';
  let last: { decision: BeamDecision; evaluation: BeamEvaluation } | undefined;
  const score = (iteration: number) => {
    last = evaluateStage2Model(tf, pb, model, o.evalSet, evalBasis, o.features, fixedRadar);
    const p = { iteration, rate: last.evaluation.meanRate, lr: last.evaluation.meanLr, violationShare: last.evaluation.violationShare, mu: dual.value };
    curve.push(p);
    o.onEval?.(p);
  };
  const stepOpts = { what: `stage 2 (${o.mode})`, ...(o.mode === 'transfer' ? { trainable: (all: Tensor[]) => all.slice(-2) } : {}) };
  const stepWith = (x: Tensor2D, lossOf: (z: Tensor2D, keep: (t: Tensor) => void) => Tensor): number[] => step(tf, chain, opt, x, lossOf, stepOpts).kept;
  // supervised: inputs and labels of the labelled set
  let sup: { inputs: Float32Array; labels: Float32Array; perm: Int32Array; order: ReturnType<typeof streamFor>; perEpoch: number; inDim: number; labelDim: number } | undefined;
  if (o.mode === 'supervised') {
    const ds = o.dataset!;
    const labelDim = pb.K * 2 * pb.MC;
    if (ds.labelSize !== labelDim) throw new RangeError(`trainStage2: labels of ${ds.labelSize} values, expected K·2M_C = ${labelDim}`);
    if (ds.n < o.batchSize) throw new RangeError(`trainStage2: ${ds.n} labelled samples for batches of ${o.batchSize}`);
    const order = streamFor(o.seed, 'primal-dual:stage2-supervised-order');
    sup = { inputs: featuresOf(channelSet(pb, ds.data.H), o.features), labels: ds.labels, perm: order.permutation(ds.n), order, perEpoch: Math.floor(ds.n / o.batchSize), inDim: featureDim(pb, o.features), labelDim };
  }
  try {
    score(0);
    for (let t = 0; t < o.iterations; t++) {
      if (sup) {
        const b = t % sup.perEpoch;
        if (b === 0 && t > 0) sup.perm = sup.order.permutation(o.dataset!.n);
        const x = new Float32Array(o.batchSize * sup.inDim);
        const y = new Float32Array(o.batchSize * sup.labelDim);
        for (let i = 0; i < o.batchSize; i++) {
          const s = sup.perm[b * o.batchSize + i];
          x.set(sup.inputs.subarray(s * sup.inDim, (s + 1) * sup.inDim), i * sup.inDim);
          y.set(sup.labels.subarray(s * sup.labelDim, (s + 1) * sup.labelDim), i * sup.labelDim);
        }
        const xt = tf.tensor2d(x, [o.batchSize, sup.inDim]);
        const yt = tf.tensor2d(y, [o.batchSize, sup.labelDim]);
        try {
          stepWith(xt, (z) => stage2SupervisedLossTf(tf, consts, z, yt));
        } finally {
          tf.dispose([xt, yt]);
        }
        batchLr[t] = pb.bestSplitLoss.total;
      } else {
        const set = channelSet(pb, drawChannels(pb, seed, t * o.batchSize, o.batchSize));
        const batch = stage2Batch(tf, pb, set, commBasis(pb, set), 0, o.batchSize, o.features);
        try {
          const m = dual.value;
          const r = stepWith(batch.x, (z, keep) => {
            const l = stage2LagrangianTf(tf, consts, batch, z, m, pb.cfg.epsilon, { sensingSamples: o.sensingSamples });
            keep(l.meanLr);
            return l.loss;
          });
          batchLr[t] = r[0];
          mu[t] = dual.update(r[0]);
        } finally {
          disposeStage2Batch(tf, batch);
        }
      }
      if ((t + 1) % o.evalEvery === 0 && t + 1 < o.iterations) score(t + 1);
    }
    score(o.iterations);
    const trainedParams = trained.reduce((a, v) => a + v.size, 0);
    return { model, curve, batchLr, mu, final: last!.evaluation, decision: last!.decision, wallS: (performance.now() - t0) / 1000, trainedParams };
  } finally {
    consts.dispose();
    pattern.dispose();
    opt.dispose();
  }
}
