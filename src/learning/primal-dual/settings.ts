/**
 * The settings of a stage-1 experiment (experiment.ts) and their defaults — the values behind
 * docs/primal-dual.md's results (choices C9–C12 there). A module of its own so that the CLI can
 * show the defaults without loading the trainers.
 */
import type { FeatureKind } from './problem.ts';

export interface Stage1Settings {
  /** Mini-batch iterations of every learned method. */
  iterations: number;
  batchSize: number;
  learningRate: number;
  /** η_d of the dual ascent. */
  dualStep: number;
  /** ρ of the logit penalty (lagrangianTf). */
  logitPenalty: number;
  /** Training estimate of L_r,2 from every pairStride-th grid pair (train.ts; 1: exact). */
  pairStride: number;
  features: FeatureKind;
  widthMultiplier: number;
  /** Held-out channel draws every method is scored on. */
  evalSamples: number;
  /** Curve points: every this many iterations. */
  evalEvery: number;
  /** Labelled samples of the supervised baseline. */
  labelledSamples: number;
  seed: number;
  /** Cache of the labelled datasets (labels.ts); none: drawn each time. */
  cacheDir?: string;
}

/** The settings of docs/primal-dual.md's results (choices C9–C12 there). */
export const STAGE1_DEFAULTS: Readonly<Stage1Settings> = Object.freeze({
  iterations: 6000,
  batchSize: 32,
  learningRate: 1e-3,
  dualStep: 1,
  logitPenalty: 0.01,
  pairStride: 8,
  features: 'gains' as FeatureKind,
  widthMultiplier: 1,
  evalSamples: 1000,
  evalEvery: 250,
  labelledSamples: 20000,
  seed: 2002,
});

