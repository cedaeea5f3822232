/**
 * Paper 002's network (Sec. V): a fully connected feed-forward DNN whose hidden layers are 2K, 3K
 * and 2K wide ("The first layer is 2K. The second layer is 3K. The third layer is 2K"), input 2MK
 * (the complex channel's real and imaginary parts), weights from a zero-mean truncated Gaussian,
 * biases 0.01. Activations are not stated: ReLU (choice C8), written as LeakyReLU(α = 0) so the
 * model is the stock Dense/LeakyReLU Sequential that DenseChain trains and any tfjs loads.
 *
 *   x [B, 2MK] → Dense(2K)·ReLU → Dense(3K)·ReLU → Dense(2K)·ReLU → head
 *   stage-1 head: Dense(K + P) linear → p_k = P_max σ(z_k), q = (P_R/M_R) softmax(z_{K+1…K+P})
 *
 * `widthMultiplier` scales the three hidden widths (1 = the paper's; a flagged "wide" variant).
 * Randomness: the seed drives every initialiser (stream 'primal-dual.init').
 */
import type { Sequential } from '@tensorflow/tfjs';
import { streamFor } from '../../phy/random.ts';
import { featureDim, type Allocation, type FeatureKind, type Paper002Problem } from './problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface NetConfig {
  inputDim: number;
  hiddenDims: number[];
  outputDim: number;
  seed: number;
  /** Bias initial value (0.01 in the paper). */
  biasInit?: number;
}

/** Hidden widths 2K, 3K, 2K (times a multiplier, rounded). */
export function paperHiddenDims(numUsers: number, widthMultiplier = 1): number[] {
  if (!(widthMultiplier > 0)) throw new RangeError(`widthMultiplier must be > 0, got ${widthMultiplier}`);
  return [2, 3, 2].map((c) => Math.max(1, Math.round(c * numUsers * widthMultiplier)));
}

/** The stage-1 network of a problem: input (2MK for 'channel') → 2K → 3K → 2K → K + P. */
export function stage1NetConfig(pb: Paper002Problem, seed: number, features: FeatureKind = 'channel', widthMultiplier = 1): NetConfig {
  return { inputDim: featureDim(pb, features), hiddenDims: paperHiddenDims(pb.K, widthMultiplier), outputDim: pb.K + pb.P, seed };
}

/**
 * Builds the network. Kernels: truncated normal, σ = 1/√fan_in, redrawn beyond 2σ (tfjs's
 * truncatedNormal); biases `biasInit`. Layer names 'hidden_i', 'relu_i', 'output'.
 */
export function createPrimalDualNet(tf: Tf, cfg: NetConfig): Sequential {
  const init = streamFor(cfg.seed, 'primal-dual.init');
  const seed = () => init.int(0x7fffffff);
  const bias = cfg.biasInit ?? 0.01;
  const model = tf.sequential({ name: 'primal_dual' });
  let fanIn = cfg.inputDim;
  cfg.hiddenDims.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        name: `hidden_${i}`,
        units,
        ...(i === 0 ? { inputShape: [cfg.inputDim] } : {}),
        kernelInitializer: tf.initializers.truncatedNormal({ mean: 0, stddev: 1 / Math.sqrt(fanIn), seed: seed() }),
        biasInitializer: tf.initializers.constant({ value: bias }),
      }),
    );
    model.add(tf.layers.leakyReLU({ name: `relu_${i}`, alpha: 0 }));
    fanIn = units;
  });
  model.add(
    tf.layers.dense({
      name: 'output',
      units: cfg.outputDim,
      ...(cfg.hiddenDims.length === 0 ? { inputShape: [cfg.inputDim] } : {}),
      kernelInitializer: tf.initializers.truncatedNormal({ mean: 0, stddev: 1 / Math.sqrt(fanIn), seed: seed() }),
      biasInitializer: tf.initializers.constant({ value: bias }),
    }),
  );
  return model;
}

/** Stage 1's head in float64: z [n, K + P] → p [n, K], q [n, P] (the same maps as stage1Powers). */
export function stage1Allocation(pb: Paper002Problem, z: ArrayLike<number>, n: number): Allocation {
  const { K, P } = pb;
  const D = K + P;
  if (z.length !== n * D) throw new RangeError(`stage1Allocation: ${z.length} outputs for ${n} samples of ${D}`);
  const p = new Float64Array(n * K);
  const q = new Float64Array(n * P);
  const total = pb.cfg.radarPowerW / pb.MR;
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < K; k++) p[s * K + k] = pb.cfg.powerMaxW / (1 + Math.exp(-z[s * D + k]));
    let max = -Infinity;
    for (let j = 0; j < P; j++) max = Math.max(max, z[s * D + K + j]);
    let sum = 0;
    for (let j = 0; j < P; j++) sum += Math.exp(z[s * D + K + j] - max);
    for (let j = 0; j < P; j++) q[s * P + j] = (total * Math.exp(z[s * D + K + j] - max)) / sum;
  }
  return { p, q };
}

/** Forward pass of a model over n inputs [n, inDim] in batches: outputs [n, outDim] (float32). */
export function predictAll(tf: Tf, model: Sequential, x: Float32Array, n: number, batch = 1024): Float32Array {
  const inDim = x.length / n;
  const outDim = (model.outputs[0].shape[1] as number) ?? 0;
  const out = new Float32Array(n * outDim);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const y = tf.tidy(() => model.predict(tf.tensor2d(x.subarray(s * inDim, (s + m) * inDim), [m, inDim])) as import('@tensorflow/tfjs').Tensor);
    out.set(y.dataSync(), s * outDim);
    y.dispose();
  }
  return out;
}
