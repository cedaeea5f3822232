/**
 * Training the twin's primal-dual models (docs/primal-dual.md §10) on the twin's own geometry:
 * per BS m, a stage-1 trunk (power control, the paper's Algorithm 1 on the single-array problem,
 * twin-problem.ts) and the transfer head of twin-head.ts on the frozen trunk (Algorithm 2), both
 * on a pool of channel snapshots of the scenario (dataset.ts drawDataset: users placed as the twin
 * places them, Rician fading, path loss). Batch t holds pool samples tB … tB+B−1 (mod the pool
 * size): deterministic given the seeds.
 */
import type { Sequential, Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { IsacDataset } from '../dataset.ts';
import { FusedAdam } from '../adam.ts';
import { DenseChain } from '../dense-chain.ts';
import { DualVariable } from './dual.ts';
import { createPrimalDualNet, paperHiddenDims, predictAll } from './network.ts';
import { featureDim, featuresOf, type ChannelSet } from './problem.ts';
import { commBasis, disposeStage2Batch, stage2Batch } from './stage2.ts';
import { step, trainUnsupervised, type CurvePoint } from './train.ts';
import { evaluateTwin, twinDecision, twinHeadConstants, twinLagrangianTf, twinOutputDim, type TwinEvaluation } from './twin-head.ts';
import { featureMoments, twinChannelScale, twinChannelSet, twinSampleInto, type FeatureMoments, type TwinProblem } from './twin-problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/**
 * BS m's paper-unit samples [n, K, 2N] from a dataset of the scenario (H̃ = h·√(P_m/σ_c²), so the
 * channel scale is √(N_0/P_tot) on top: twin-problem.ts T2).
 */
export function bsSamples(tp: TwinProblem, ds: IsacDataset, m: number): Float32Array {
  const { numBs, numTxAnt: N, usersPerCell: K } = ds.dims;
  const U = numBs * K;
  const per = U * numBs * N * 2;
  const size = 2 * K * 2 * N;
  const out = new Float32Array(ds.numSamples * size);
  const offsets = Int32Array.from({ length: K }, (_, k) => (m * U + m * K + k) * N);
  const scale = twinChannelScale(tp, 1, 1);
  for (let s = 0; s < ds.numSamples; s++) twinSampleInto(out, s * size, tp, ds.H.subarray(s * per, (s + 1) * per), offsets, scale);
  return out;
}

/** Pool samples [start, start + n) mod the pool size. */
export function poolSlice(pool: Float32Array, size: number, start: number, n: number): Float32Array {
  const count = pool.length / size;
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const s = (start + i) % count;
    out.set(pool.subarray(s * size, (s + 1) * size), i * size);
  }
  return out;
}

export interface TwinTrainOptions {
  stage1Iterations: number;
  iterations: number;
  batchSize: number;
  learningRate: number;
  dualStep: number;
  logitPenalty: number;
  pairStride: number;
  sensingSamples: number;
  evalEvery: number;
  seed: number;
  onEval?: (what: 'stage1' | 'transfer', p: CurvePoint) => void;
}

export interface TwinTrainResult {
  moments: FeatureMoments;
  stage1: { model: Sequential; curve: CurvePoint[]; mu: number; wallS: number; rate: number; lr: number };
  model: Sequential;
  curve: CurvePoint[];
  mu: number;
  final: TwinEvaluation;
  wallS: number;
  trainedParams: number;
}

/** Held-out scores of a twin model. */
export function evaluateTwinModel(tf: Tf, tp: TwinProblem, model: Sequential, set: ChannelSet, basis = commBasis(tp.pb, set)): TwinEvaluation {
  const z = predictAll(tf, model, featuresOf(set, 'gains'), set.n);
  return evaluateTwin(tp, set, twinDecision(tp, basis, z, set.n));
}

/** Stage 1 then the transfer head for one BS, on `pool` (training) and `held` (held-out) samples. */
export function trainTwinBs(tf: Tf, tp: TwinProblem, pool: Float32Array, held: Float32Array, o: TwinTrainOptions): TwinTrainResult {
  const t0 = performance.now();
  const { pb } = tp;
  const size = 2 * pb.K * pb.M;
  const moments = featureMoments(tp, twinChannelSet(tp, pool, { own: [0, 1], cross: [0, 1], radar: [0, 1] }));
  const evalSet = twinChannelSet(tp, held, moments);
  const batchSet = (start: number, n: number) => twinChannelSet(tp, poolSlice(pool, size, start, n), moments);
  const s1 = trainUnsupervised(tf, pb, {
    iterations: o.stage1Iterations,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    seed: o.seed,
    evalEvery: o.evalEvery,
    evalSet,
    features: 'gains',
    dual: true,
    dualStep: o.dualStep,
    logitPenalty: o.logitPenalty,
    pairStride: o.pairStride,
    batchSet,
    onEval: (p) => o.onEval?.('stage1', p),
  });
  const stage1Mu = s1.mu[s1.mu.length - 1] ?? 0;
  // transfer: the stage-1 hidden layers (frozen) + a fresh head Dense(2K → 2N(K+P))
  const model = createPrimalDualNet(tf, { inputDim: featureDim(pb, 'gains'), hiddenDims: paperHiddenDims(pb.K), outputDim: twinOutputDim(tp), seed: o.seed + 5 });
  const src = s1.model.layers.filter((l) => l.getClassName() === 'Dense');
  const dst = model.layers.filter((l) => l.getClassName() === 'Dense');
  for (let i = 0; i < dst.length - 1; i++) dst[i].setWeights(src[i].getWeights());
  const t1 = performance.now();
  const chain = new DenseChain(tf, model);
  const trained = chain.variables.slice(-2);
  const opt = new FusedAdam(tf, trained, { learningRate: o.learningRate, epsilon: 1e-8 });
  const consts = twinHeadConstants(tf, tp);
  // μ⁰ = 0: stage 1's μ prices a different L_r (the sensing covariance alone) against another ε
  const dual = new DualVariable(tp.epsilon, o.dualStep, 0);
  const evalBasis = commBasis(pb, evalSet);
  const curve: CurvePoint[] = [];
  let last: TwinEvaluation | undefined;
  const score = (iteration: number) => {
    last = evaluateTwinModel(tf, tp, model, evalSet, evalBasis);
    const p = { iteration, rate: last.meanRate, lr: last.meanLr, violationShare: last.violationShare, mu: dual.value };
    curve.push(p);
    o.onEval?.('transfer', p);
  };
  try {
    score(0);
    for (let t = 0; t < o.iterations; t++) {
      // the transfer batches continue the pool after stage 1's
      const set = batchSet((o.stage1Iterations + t) * o.batchSize, o.batchSize);
      const batch = stage2Batch(tf, pb, set, commBasis(pb, set), 0, o.batchSize, 'gains');
      try {
        const m = dual.value;
        const r = step(tf, chain, opt, batch.x, (z: Tensor2D, keep: (t: Tensor) => void) => {
          const l = twinLagrangianTf(tf, consts, batch, z, m, tp.epsilon, o.sensingSamples);
          keep(l.meanLr);
          return l.loss;
        }, { what: 'twin transfer', trainable: (all: Tensor[]) => all.slice(-2) });
        dual.update(r.kept[0]);
      } finally {
        disposeStage2Batch(tf, batch);
      }
      if ((t + 1) % o.evalEvery === 0 && t + 1 < o.iterations) score(t + 1);
    }
    score(o.iterations);
  } finally {
    consts.dispose();
    opt.dispose();
  }
  const s1Final = s1.curve[s1.curve.length - 1];
  return {
    moments,
    stage1: { model: s1.model, curve: s1.curve, mu: stage1Mu, wallS: (t1 - t0) / 1000, rate: s1Final.rate, lr: s1Final.lr },
    model,
    curve,
    mu: dual.value,
    final: last!,
    wallS: (performance.now() - t1) / 1000,
    trainedParams: trained.reduce((a, v) => a + v.size, 0),
  };
}
