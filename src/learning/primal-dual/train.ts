/**
 * Stage-1 training (docs/primal-dual.md): the paper's unsupervised primal–dual learning
 * (Algorithm 1, corrected signs), its "no dual" variant, and the supervised baseline on WMMSE
 * labels — all the same network (network.ts), trained on wasm with the hand-written MLP backward
 * (DenseChain) and the fused Adam (FusedAdam); only the loss's gradient with respect to the
 * network output comes from tfjs autograd.
 *
 * Unsupervised, one iteration t (mini-batch 𝒮_t of B fresh channels, samples tB … tB+B−1 of the
 * seed's stream, problem.ts drawChannels):
 *   primal  ω ← Adam step on ∇_ω [ −mean Σ_k log2(1 + γ_k) + μ (mean L_r − ε) + ρ mean z_k² ]
 *                                                        (μ fixed; ρ: choice C10, default 0)
 *   dual    μ ← [μ + η_d (mean L_r − ε)]_+            (the same batch's mean, before the step)
 * "No dual": μ ≡ 0 (the paper's "the dual variables are not added").
 * Supervised: Adam on the MSE between σ(z_{1…K}) and p_WMMSE/P_max, mini-batches drawn without
 * replacement from the labelled set (a seeded permutation per epoch); its radar is q⋆.
 *
 * Every `evalEvery` iterations the policy is scored in float64 on a held-out set (evaluate.ts):
 * the curve of Fig. 4.
 */
import type { Sequential, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { streamFor } from '../../phy/random.ts';
import { FusedAdam } from '../adam.ts';
import { DenseChain } from '../dense-chain.ts';
import type { LabelledDataset } from '../labels.ts';
import { DualVariable } from './dual.ts';
import { evaluateAllocation, repeatSplit, type Evaluation } from './evaluate.ts';
import { disposeBatch, lagrangianTf, stage1Batch, stage1Constants, supervisedLossTf, type Stage1Constants } from './losses.ts';
import { createPrimalDualNet, predictAll, stage1Allocation, stage1NetConfig } from './network.ts';
import { channelSet, drawChannels, featureDim, featuresOf, type ChannelSet, type FeatureKind, type Paper002Problem } from './problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface CommonTrainOptions {
  iterations: number;
  /** Mini-batch size |𝒮| (32 in the paper). */
  batchSize: number;
  /** Adam step size η. */
  learningRate: number;
  /** Drives the initial weights and the order of the data. */
  seed: number;
  /** Score the policy on `evalSet` every this many iterations (and at 0 and at the end). */
  evalEvery: number;
  evalSet: ChannelSet;
  /** The network's input (default 'channel', the paper's 2MK). */
  features?: FeatureKind;
  widthMultiplier?: number;
  /** Called after each evaluation. */
  onEval?: (p: CurvePoint) => void;
}

export interface UnsupervisedOptions extends CommonTrainOptions {
  /** false: the "no dual" variant (μ ≡ 0). */
  dual: boolean;
  /** η_d of the dual ascent. */
  dualStep: number;
  /** μ⁰ (default 0). */
  mu0?: number;
  /** Seed of the training channels (default `seed`). */
  channelSeed?: number;
  /** ρ of the logit penalty (lagrangianTf; default 0). */
  logitPenalty?: number;
  /**
   * L_r,2 in the training loss from every pairStride-th grid pair, at a uniform random offset per
   * step (an unbiased estimate: losses.ts splitCrossCorrelation); default 1, every pair. The dual
   * update reads the same estimate; evaluation is always exact.
   */
  pairStride?: number;
  /** The channels of training batch [start, start + n) (default: i.i.d. draws of `channelSeed`; the twin's pool: twin-train.ts). */
  batchSet?: (start: number, n: number) => ChannelSet;
}

export interface SupervisedOptions extends CommonTrainOptions {
  /** Labelled set: field 'H' ([K, M] complex per sample), labels p/P_max [K]. */
  dataset: LabelledDataset;
}

export interface CurvePoint {
  iteration: number;
  /** Held-out mean sum rate (bit/s/Hz) and mean L_r. */
  rate: number;
  lr: number;
  violationShare: number;
  /** μ at that iteration (0 for the supervised and no-dual runs). */
  mu: number;
}

export interface TrainResult {
  model: Sequential;
  curve: CurvePoint[];
  /** Per iteration: the training batch's mean L_r and loss, and μ after the step. */
  batchLr: Float64Array;
  batchLoss: Float64Array;
  mu: Float64Array;
  final: Evaluation;
  wallS: number;
}

function checkCommon(o: CommonTrainOptions): void {
  for (const f of ['iterations', 'batchSize', 'evalEvery'] as const) {
    if (!Number.isInteger(o[f]) || o[f] < 1) throw new RangeError(`${f} must be a positive integer, got ${o[f]}`);
  }
  if (!(o.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${o.learningRate}`);
}

/** Held-out scores of a model; `fixedSplit` replaces the network's radar split (supervised). */
export function evaluateModel(tf: Tf, pb: Paper002Problem, model: Sequential, set: ChannelSet, features: FeatureKind, fixedSplit?: Float64Array): Evaluation {
  const z = predictAll(tf, model, featuresOf(set, features), set.n);
  const a = stage1Allocation(pb, z, set.n);
  if (fixedSplit) a.q = repeatSplit(fixedSplit, set.n);
  return evaluateAllocation(pb, set, a);
}

/**
 * One primal step with the loss `lossOf(z)` (a scalar); returns the loss value and any kept side
 * values. `trainable` picks the gradients the optimiser owns (default all: stage 2's transfer
 * trains the head only); `what` names the training in the non-finite-loss error.
 */
export function step(
  tf: Tf,
  chain: DenseChain,
  opt: FusedAdam,
  x: Tensor2D,
  lossOf: (z: Tensor2D, keep: (t: Tensor) => void) => Tensor,
  o: { what?: string; trainable?: (grads: Tensor[]) => Tensor[] } = {},
): { loss: number; kept: number[] } {
  const saved = chain.forward(x, new Array(chain.numHidden).fill(0));
  const kept: Tensor[] = [];
  try {
    let loss = NaN;
    const grads = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((z: Tensor) => lossOf(z as Tensor2D, (t) => kept.push(tf.keep(t))) as import('@tensorflow/tfjs').Scalar)(saved.output);
      loss = value.dataSync()[0];
      if (!Number.isFinite(loss)) return [];
      const all = chain.backward(saved, grad as Tensor2D);
      return o.trainable ? o.trainable(all) : all;
    });
    if (!Number.isFinite(loss)) throw new Error(`primal-dual ${o.what ?? 'training'}: the loss is ${loss} at Adam step ${opt.iterations}`);
    opt.applyGradients(grads);
    tf.dispose(grads);
    return { loss, kept: kept.map((t) => t.dataSync()[0]) };
  } finally {
    tf.dispose(kept);
    chain.release(saved);
  }
}

function setup(tf: Tf, pb: Paper002Problem, o: CommonTrainOptions) {
  checkCommon(o);
  const model = createPrimalDualNet(tf, stage1NetConfig(pb, o.seed, o.features ?? 'channel', o.widthMultiplier));
  const chain = new DenseChain(tf, model);
  const opt = new FusedAdam(tf, chain.variables, { learningRate: o.learningRate, epsilon: 1e-8 });
  const consts = stage1Constants(tf, pb);
  return { model, chain, opt, consts };
}

export function trainUnsupervised(tf: Tf, pb: Paper002Problem, o: UnsupervisedOptions): TrainResult {
  const t0 = performance.now();
  const { model, chain, opt, consts } = setup(tf, pb, o);
  if (!(o.dualStep >= 0)) throw new RangeError(`dualStep must be ≥ 0, got ${o.dualStep}`);
  const dual = new DualVariable(pb.cfg.epsilon, o.dual ? o.dualStep : 0, o.dual ? (o.mu0 ?? 0) : 0);
  const curve: CurvePoint[] = [];
  const batchLr = new Float64Array(o.iterations);
  const batchLoss = new Float64Array(o.iterations);
  const mu = new Float64Array(o.iterations);
  const seed = o.channelSeed ?? o.seed;
  const features = o.features ?? 'channel';
  const stride = o.pairStride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`pairStride must be a positive integer, got ${stride}`);
  const offsets = streamFor(o.seed, 'primal-dual:pair-offsets');
  const score = (iteration: number) => {
    const e = evaluateModel(tf, pb, model, o.evalSet, features);
    const p = { iteration, rate: e.meanRate, lr: e.meanLr, violationShare: e.violationShare, mu: dual.value };
    curve.push(p);
    o.onEval?.(p);
    return e;
  };
  try {
    score(0);
    for (let t = 0; t < o.iterations; t++) {
      const set = o.batchSet ? o.batchSet(t * o.batchSize, o.batchSize) : channelSet(pb, drawChannels(pb, seed, t * o.batchSize, o.batchSize));
      const batch = stage1Batch(tf, pb, set, 0, o.batchSize, features);
      try {
        const m = dual.value;
        const sampling = { stride, offset: stride > 1 ? offsets.int(stride) : 0 };
        const r = step(tf, chain, opt, batch.x, (z, keep) => {
          const l = lagrangianTf(tf, consts, batch, z, m, pb.cfg.epsilon, o.logitPenalty ?? 0, { sampling });
          keep(l.meanLr);
          return l.loss;
        });
        batchLoss[t] = r.loss;
        batchLr[t] = r.kept[0];
        mu[t] = o.dual ? dual.update(r.kept[0]) : 0;
      } finally {
        disposeBatch(tf, batch);
      }
      if ((t + 1) % o.evalEvery === 0 && t + 1 < o.iterations) score(t + 1);
    }
    const final = score(o.iterations);
    return { model, curve, batchLr, batchLoss, mu, final, wallS: (performance.now() - t0) / 1000 };
  } finally {
    consts.dispose();
    opt.dispose();
  }
}

export function trainSupervised(tf: Tf, pb: Paper002Problem, o: SupervisedOptions): TrainResult {
  const t0 = performance.now();
  const { model, chain, opt, consts } = setup(tf, pb, o);
  const ds = o.dataset;
  if (ds.labelSize !== pb.K) throw new RangeError(`trainSupervised: labels of ${ds.labelSize} values, expected K = ${pb.K}`);
  if (ds.n < o.batchSize) throw new RangeError(`trainSupervised: ${ds.n} labelled samples for batches of ${o.batchSize}`);
  const all = channelSet(pb, ds.data.H);
  const features = o.features ?? 'channel';
  const inputs = featuresOf(all, features);
  const inDim = featureDim(pb, features);
  const order = streamFor(o.seed, 'primal-dual:supervised-order');
  const curve: CurvePoint[] = [];
  const batchLoss = new Float64Array(o.iterations);
  const score = (iteration: number) => {
    const e = evaluateModel(tf, pb, model, o.evalSet, features, pb.bestSplit);
    const p = { iteration, rate: e.meanRate, lr: e.meanLr, violationShare: e.violationShare, mu: 0 };
    curve.push(p);
    o.onEval?.(p);
    return e;
  };
  const perEpoch = Math.floor(ds.n / o.batchSize);
  let perm = order.permutation(ds.n);
  const x = new Float32Array(o.batchSize * inDim);
  const y = new Float32Array(o.batchSize * pb.K);
  try {
    score(0);
    for (let t = 0; t < o.iterations; t++) {
      const b = t % perEpoch;
      if (b === 0 && t > 0) perm = order.permutation(ds.n);
      for (let i = 0; i < o.batchSize; i++) {
        const s = perm[b * o.batchSize + i];
        x.set(inputs.subarray(s * inDim, (s + 1) * inDim), i * inDim);
        y.set(ds.labels.subarray(s * pb.K, (s + 1) * pb.K), i * pb.K);
      }
      const xt = tf.tensor2d(x, [o.batchSize, inDim]);
      const yt = tf.tensor2d(y, [o.batchSize, pb.K]);
      try {
        batchLoss[t] = step(tf, chain, opt, xt, (z) => supervisedLossTf(tf, consts as Stage1Constants, z, yt)).loss;
      } finally {
        tf.dispose([xt, yt]);
      }
      if ((t + 1) % o.evalEvery === 0 && t + 1 < o.iterations) score(t + 1);
    }
    const final = score(o.iterations);
    return { model, curve, batchLr: new Float64Array(o.iterations).fill(pb.bestSplitLoss.total), batchLoss, mu: new Float64Array(o.iterations), final, wallS: (performance.now() - t0) / 1000 };
  } finally {
    consts.dispose();
    opt.dispose();
  }
}
