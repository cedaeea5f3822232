/**
 * The gradient of tfjs's `FusedBatchNorm` kernel, y = γ·(x − μ)·r + β with r = 1/√(σ² + ε),
 * written with broadcasting per-channel vectors and two reductions.
 *
 * tfjs-core's own gradient (gradients/FusedBatchNorm_grad.ts) tiles r to the full activation
 * shape for dL/dx (`tile(reshape(r, [1, 1, 1, C]), [B, H, W, 1])`, ≈ 1.2 s of a 7 s U-Net step
 * on wasm) and runs four reductions over the activation. Here, with S₀ = Σ dy and
 * S₁ = Σ dy·(x − μ) over the axes μ is broadcast along:
 *
 *   dL/dx  = dy · γr                 (one broadcasting multiply)
 *   dL/dβ  = S₀
 *   dL/dγ  = r · S₁
 *   dL/dμ  = −γr · S₀
 *   dL/dσ² = −½ · γr³ · S₁
 *
 * These are the partial derivatives of the kernel itself (μ and σ² are inputs), exactly as the
 * stock gradient: when μ and σ² are the batch moments (tf.layers.batchNormalization in training),
 * autograd adds their paths through `tf.moments` as before, so the result is the full batch-norm
 * gradient. The factorised form needs μ, σ² and γ of one shape (what every tfjs caller passes);
 * otherwise each term is reduced element-wise (still no Tile).
 *
 * S₀ and S₁ are computed when the gradient is requested (not lazily per input): every one of μ, σ²,
 * γ, β needs one of them, and a lazily computed shared tensor would be freed by the engine's
 * per-input tidy before the next input reads it.
 *
 * That registered gradient serves stock `tf.layers.batchNormalization` layers (e.g. of a model
 * loaded from disk), whose training forward still runs tf.moments + FusedBatchNorm and whose
 * backward still runs through tf.moments' Mean/Sub/Square kernels (≈ 25 passes over each
 * activation per step). `batchNormalizationLayer` below is the same layer (same class name, config
 * and weights; its inference path is untouched, so saved models load as stock layers and
 * predict bit for bit the same) whose training-mode call is one op with the closed-form batch-norm
 * gradient (`batchNormTraining`): ≈ 9 passes.
 */
import type { GradConfig, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './conv-registry.ts';

/** Keyword arguments of a layer's call (tfjs-layers `Kwargs`). */
type Kwargs = Record<string, unknown>;
/** tfjs-layers `BatchNormalizationLayerArgs`. */
export type BatchNormalizationArgs = NonNullable<Parameters<Tf['layers']['batchNormalization']>[0]>;

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Sums `t` (shaped like x) down to `shape` (broadcastable to x) and reshapes to it. */
function reduceTo(tf: Tf, t: Tensor, shape: readonly number[]): Tensor {
  const axes = tf.backend_util.getReductionAxes(shape as number[], t.shape);
  const summed = axes.length > 0 ? tf.sum(t, axes) : t;
  return tf.reshape(summed, shape as number[]);
}

export function batchNormGradConfig(tf: Tf): GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as Tensor;
      const [x, mean, variance, scaleOrNull] = saved;
      const scale = scaleOrNull ?? undefined;
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const gr = scale === undefined ? r : tf.mul(scale, r);
      const factorised = sameShape(mean.shape, variance.shape) && (scale === undefined || sameShape(scale.shape, mean.shape));
      if (factorised) {
        const s0 = reduceTo(tf, dy, mean.shape);
        const s1 = tf.tidy(() => reduceTo(tf, tf.mul(dy, tf.sub(x, mean)), mean.shape));
        return {
          x: () => tf.mul(dy, gr),
          offset: () => s0,
          scale: () => tf.mul(r, s1),
          mean: () => tf.neg(tf.mul(gr, s0)),
          variance: () => tf.mul(tf.mul(tf.mul(gr, tf.square(r)), tf.scalar(-0.5)), s1),
        };
      }
      // General broadcasting: each term element-wise, then reduced to its input's shape.
      const dyXc = tf.mul(dy, tf.sub(x, mean));
      return {
        x: () => tf.mul(dy, gr),
        offset: () => reduceTo(tf, dy, mean.shape),
        scale: () => reduceTo(tf, tf.mul(dyXc, r), (scale ?? mean).shape),
        mean: () => reduceTo(tf, tf.neg(tf.mul(dy, gr)), mean.shape),
        variance: () => reduceTo(tf, tf.mul(dyXc, tf.mul(tf.mul(gr, tf.square(r)), tf.scalar(-0.5))), variance.shape),
      };
    },
  };
}

/**
 * Σ of `t` over every axis but the last, shaped [C]. For rank 3 and 4 the sums over the spatial
 * axes are an XNNPACK average pool (times the window size) and only the batch axis is left to a
 * Sum: 2.5–3.5× faster than Sum over [0, 1, 2] on wasm (which transposes), equal to it up to
 * float32 rounding (the pool divides by the window and this multiplies back).
 */
export function channelSums(tf: Tf, t: Tensor): Tensor {
  return tf.tidy(() => {
    if (t.rank === 3 || t.rank === 4) {
      const t4 = t.rank === 4 ? t : tf.reshape(t, [t.shape[0], 1, t.shape[1] as number, t.shape[2] as number]);
      const [, h, w, c] = t4.shape;
      if (h * w > 1) {
        const pooled = tf.avgPool(t4 as never, [h, w], [h, w], 'valid');
        return tf.reshape(tf.sum(tf.mul(pooled, tf.scalar(h * w)), [0, 1, 2]), [c]);
      }
    }
    const axes = Array.from({ length: t.rank - 1 }, (_, i) => i);
    return tf.sum(t, axes);
  });
}

export interface BatchNormTrainingResult {
  /** γ·(x − μ)/√(σ² + ε) + β. */
  y: Tensor;
  /**
   * Batch mean μ over all axes but the last, [C] (not differentiable: for the moving average).
   * Kept out of every tidy (the op's forward runs in the engine's own tidy): the caller disposes it.
   */
  mean: Tensor;
  /** Biased batch variance σ², [C] (as tf.moments); the caller disposes it. */
  variance: Tensor;
}

/**
 * Batch normalisation in training mode over every axis but the last (the statistics of
 * `tf.layers.batchNormalization` with axis −1), as one differentiable op with the closed-form
 * gradient, n = the number of values per channel, x̂ = (x − μ)·r, r = 1/√(σ² + ε):
 *
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γr·(dy − Σdy/n − x̂·Σ(dy·x̂)/n)
 *
 * Forward: μ and σ² = mean((x − μ)²) by `channelSums`, y = (x − μ)·γr + β; x − μ is kept for the
 * backward. Backward: two `channelSums` and five element-wise passes. `gamma` / `beta` may be
 * null (scale / center off); their gradients are then not computed. The values equal tfjs's
 * moments + FusedBatchNorm up to float32 rounding (other summation order).
 */
export function batchNormTraining(tf: Tf, x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number): BatchNormTrainingResult {
  if (x.rank < 2) throw new Error(`batchNormTraining: x must have rank ≥ 2, got shape [${x.shape.join(', ')}]`);
  const channels = x.shape[x.rank - 1];
  for (const [name, v] of [['gamma', gamma], ['beta', beta]] as const) {
    if (v !== null && (v.rank !== 1 || v.shape[0] !== channels)) {
      throw new Error(`batchNormTraining: ${name} must have shape [${channels}], got [${v.shape.join(', ')}]`);
    }
  }
  const n = x.size / channels;
  let mean: Tensor | undefined;
  let variance: Tensor | undefined;
  const inputs = [x, ...(gamma !== null ? [gamma] : []), ...(beta !== null ? [beta] : [])];
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[inputs.length] as (tensors: Tensor[]) => void;
    const [xIn, ...params] = args.slice(0, inputs.length) as Tensor[];
    const g = gamma !== null ? params[0] : null;
    const b = beta !== null ? params[gamma !== null ? 1 : 0] : null;
    mean = tf.div(channelSums(tf, xIn), tf.scalar(n));
    const centred = tf.sub(xIn, mean);
    variance = tf.div(channelSums(tf, tf.square(centred)), tf.scalar(n));
    const r = tf.rsqrt(tf.add(variance, tf.scalar(epsilon)));
    // y = (x − μ)·γr + β with the binary kernels (wasm's FusedBatchNorm is a scalar loop with a
    // division per value, ≈ 2.5× slower than the two SIMD passes).
    const scaled = tf.mul(centred, g !== null ? tf.mul(g, r) : r);
    const y = b !== null ? tf.add(scaled, b) : scaled;
    save(g !== null ? [centred, r, g] : [centred, r]);
    tf.keep(mean);
    tf.keep(variance);
    return {
      value: y,
      gradFunc: (dyIn: Tensor | Tensor[], saved: Tensor[]) => {
        const dy = dyIn as Tensor;
        const [xc, rs, gs] = saved;
        const gr = gs !== undefined ? tf.mul(gs, rs) : rs;
        const s0 = channelSums(tf, dy);
        const s1 = channelSums(tf, tf.mul(dy, xc)); // Σ dy·(x − μ) = Σ dy·x̂ / r
        const first = tf.mul(tf.sub(dy, tf.div(s0, tf.scalar(n))), gr); // γr·(dy − Σdy/n)
        // γr · x̂·Σ(dy·x̂)/n = (x − μ) · γr³·S₁/n
        const k = tf.div(tf.mul(tf.mul(gr, tf.square(rs)), s1), tf.scalar(n));
        const dx = tf.sub(first, tf.mul(xc, k));
        const grads: Tensor[] = [dx];
        if (gs !== undefined) grads.push(tf.mul(rs, s1));
        if (beta !== null) grads.push(s0);
        return grads;
      },
    };
  });
  const y = op(...inputs) as Tensor;
  return { y, mean: mean as Tensor, variance: variance as Tensor };
}

/** The parts of tfjs-layers' BatchNormalization this module reads (private in its typings). */
interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: { read(): Tensor } | null;
  beta: { read(): Tensor } | null;
  movingMean: { read(): Tensor; write(t: Tensor): void };
  movingVariance: { read(): Tensor; write(t: Tensor): void };
  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[];
}

/**
 * `tf.layers.batchNormalization(args)` whose training-mode call (axis −1, the default) is
 * `batchNormTraining` plus tfjs's moving-average update (m ← m − (m − μ)·(1 − momentum), same for
 * σ²). Everything else — inference, build, config, weights, serialisation (class name
 * 'BatchNormalization') — is the stock layer's, so a saved model needs no custom class.
 */
export function batchNormalizationLayer(tf: Tf, args: BatchNormalizationArgs = {}): ReturnType<Tf['layers']['batchNormalization']> {
  const layer = tf.layers.batchNormalization(args);
  const internals = layer as unknown as BatchNormInternals;
  const stockCall = internals.call.bind(layer);
  internals.call = (inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] => {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const axis = internals.axis < 0 ? internals.axis + input.rank : internals.axis;
    if (kwargs?.training !== true || axis !== input.rank - 1 || (Array.isArray(inputs) && inputs.length !== 1)) {
      return stockCall(inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(tf, input, internals.gamma?.read() ?? null, internals.beta?.read() ?? null, internals.epsilon);
      try {
        const decay = 1 - internals.momentum;
        for (const [variable, value] of [[internals.movingMean, mean], [internals.movingVariance, variance]] as const) {
          tf.tidy(() => {
            const previous = variable.read();
            variable.write(tf.sub(previous, tf.mul(tf.sub(previous, value), decay)));
          });
        }
      } finally {
        tf.dispose([mean, variance]);
      }
      return y;
    });
  };
  return layer;
}
