/**
 * The MLP building block of the learned beamformers (paper 000, Sec. III-A and Table I):
 * fully connected hidden layers with LeakyReLU and dropout after each activation, a linear
 * output layer, trained with Adam (lr 1e-4, batch 128, weight decay 1e-6).
 *
 *   input [batch, inputDim]
 *     → (Dense(d_i) → LeakyReLU(α) → Dropout(ζ)) for each d_i in hiddenDims
 *     → Dense(outputDim)                                        // [batch, outputDim]
 *
 * The model is a stock `tf.Sequential` made of stock layers, so `model.save(...)` writes the
 * standard model.json + weights and any tfjs can load it without code from this project.
 * Speed comes from `registerFastGradients` (fast-gradients.ts), not from custom layers: the
 * Dense layers' fused matMul is made fast at the wasm kernel level.
 *
 * Randomness: the scenario seed drives both the weight initialisation (stream
 * 'learning.mlp.init') and the dropout masks (stream 'learning.mlp.dropout', drawn by
 * `createMlpTrainer`, which applies its own seeded masks in place of the Dropout layers).
 */
import type { Optimizer, Scalar, Sequential, Tensor, Variable } from '@tensorflow/tfjs';
import { streamFor, type Rng } from '../phy/random.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface MlpConfig {
  /** Length of the real-valued input vector, e.g. 2·N_T·(M·K + M). */
  inputDim: number;
  /** Width of each hidden layer, e.g. [512, 512, 512, 512]. */
  hiddenDims: number[];
  /** Length of the real-valued output vector, e.g. N_T·K·2. */
  outputDim: number;
  /** Negative-side slope of the LeakyReLU activations (default 0.2). */
  leakyAlpha?: number;
  /** Dropout probability ζ after each activation, 0 ≤ ζ < 1 (default 0.15). */
  dropout?: number;
  /** Scenario seed; drives the Glorot-uniform weight initialisation. */
  seed: number;
}

/** Raised for an invalid MLP or trainer configuration; the message names the field. */
export class MlpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlpConfigError';
  }
}

/** Raised when training produces a non-finite loss; the message gives the value and the step. */
export class MlpTrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlpTrainingError';
  }
}

/** A 31-bit non-negative integer seed from a stream (tfjs seeds are plain numbers). */
function nextSeed(rng: Rng): number {
  return rng.int(0x7fffffff);
}

function checkPositiveInt(value: number, field: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new MlpConfigError(`createMlp: ${field} must be a positive integer, got ${value}`);
  }
}

/**
 * Builds the MLP as a `tf.Sequential` (a `tf.LayersModel`). Layer names are fixed
 * ('hidden_0', 'leaky_0', 'dropout_0', …, 'output') so that saved weights are stable.
 */
export function createMlp(tf: Tf, config: MlpConfig): Sequential {
  const { inputDim, hiddenDims, outputDim, seed } = config;
  const leakyAlpha = config.leakyAlpha ?? 0.2;
  const dropout = config.dropout ?? 0.15;
  checkPositiveInt(inputDim, 'inputDim');
  checkPositiveInt(outputDim, 'outputDim');
  hiddenDims.forEach((d, i) => checkPositiveInt(d, `hiddenDims[${i}]`));
  if (!Number.isFinite(seed)) throw new MlpConfigError(`createMlp: seed must be a finite number, got ${seed}`);
  if (!(leakyAlpha >= 0)) throw new MlpConfigError(`createMlp: leakyAlpha must be ≥ 0, got ${leakyAlpha}`);
  if (!(dropout >= 0 && dropout < 1)) {
    throw new MlpConfigError(`createMlp: dropout must lie in [0, 1), got ${dropout}`);
  }

  const init = streamFor(seed, 'learning.mlp.init');
  const model = tf.sequential({ name: 'mlp' });
  hiddenDims.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        name: `hidden_${i}`,
        units,
        ...(i === 0 ? { inputShape: [inputDim] } : {}),
        kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed(init) }),
        biasInitializer: 'zeros',
      }),
    );
    model.add(tf.layers.leakyReLU({ name: `leaky_${i}`, alpha: leakyAlpha }));
    if (dropout > 0) model.add(tf.layers.dropout({ name: `dropout_${i}`, rate: dropout }));
  });
  model.add(
    tf.layers.dense({
      name: 'output',
      units: outputDim,
      ...(hiddenDims.length === 0 ? { inputShape: [inputDim] } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed(init) }),
      biasInitializer: 'zeros',
    }),
  );
  return model;
}

export interface MlpTrainerConfig {
  /** Adam step size η (default 1e-4, Table I). */
  learningRate?: number;
  /** Coupled L2 weight decay λ: each gradient gets +λ·w before Adam (default 1e-6, Table I). */
  weightDecay?: number;
  /** Scenario seed; drives the dropout masks. */
  seed: number;
  /**
   * Training loss of a batch, a scalar. Default: mean squared error over all entries.
   * @param predicted model output [batch, outputDim]
   * @param target    the `target` passed to `step`
   */
  loss?: (predicted: Tensor, target: Tensor) => Scalar;
}

export interface MlpTrainer {
  /**
   * One optimisation step on a batch: forward (dropout active), backward, weight decay, Adam
   * update. Returns the batch loss before the update.
   * @param x      [batch, inputDim]
   * @param target whatever `loss` expects; [batch, outputDim] for the default MSE
   */
  step(x: Tensor, target: Tensor): number;
  /** Number of completed steps. */
  readonly steps: number;
  /** The Adam optimiser (its moment estimates live here). */
  readonly optimizer: Optimizer;
  /** Frees the optimiser's state. The model is left alone. */
  dispose(): void;
}

/**
 * Inverted-dropout mask for `size` activations: each entry is 1/(1−ζ) with probability 1−ζ and 0
 * otherwise, drawn with mulberry32 from a 32-bit `seed`. Generating the mask in JS and uploading
 * it costs ~0.1 ms per 128×512 activation on wasm, against ~1 ms for tf.dropout (tfjs draws its
 * uniforms one by one through seedrandom, then runs four kernels).
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  // Keep when the 32-bit draw is ≥ ζ·2³², i.e. with probability 1 − ζ.
  const threshold = Math.min(rate * 4294967296, 4294967295);
  let state = seed | 0;
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    mask[i] = (t ^ (t >>> 14)) >>> 0 >= threshold ? keep : 0;
  }
  return mask;
}

/** One link of the training-mode forward chain of a sequential model. */
type ChainLink = { kind: 'dropout'; rate: number } | { kind: 'layer'; apply: (h: Tensor) => Tensor };

/**
 * A training loop body for a sequential `model` (normally from `createMlp`): Adam with coupled
 * weight decay, as `torch.optim.Adam(weight_decay=λ)` does it, and seeded dropout.
 *
 * The training forward pass walks `model.layers` itself: every layer is applied with
 * `training: true` except Dropout layers, which are replaced by a seeded inverted-dropout mask
 * (`dropoutMask`, one 32-bit seed per layer and step from the stream 'learning.mlp.dropout').
 * The saved model therefore stays made of stock layers, and tfjs's own dropout — unseeded, or
 * with a fixed seed the SAME mask at every call — is never used. Gradients come from
 * tf.variableGrads, so the fast gradients apply when `registerFastGradients` was called.
 */
export function createMlpTrainer(tf: Tf, model: Sequential, config: MlpTrainerConfig): MlpTrainer {
  const learningRate = config.learningRate ?? 1e-4;
  const weightDecay = config.weightDecay ?? 1e-6;
  if (!(learningRate > 0)) {
    throw new MlpConfigError(`createMlpTrainer: learningRate must be > 0, got ${learningRate}`);
  }
  if (!(weightDecay >= 0)) {
    throw new MlpConfigError(`createMlpTrainer: weightDecay must be ≥ 0, got ${weightDecay}`);
  }
  const lossFn = config.loss ?? ((predicted: Tensor, target: Tensor) => tf.losses.meanSquaredError(target, predicted));
  // Adam as in Kingma & Ba (β1 0.9, β2 0.999, ε 1e-8); tfjs would default ε to 1e-7.
  const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
  const dropoutRng = streamFor(config.seed, 'learning.mlp.dropout');
  const chain: ChainLink[] = model.layers.map((layer) =>
    layer.getClassName() === 'Dropout'
      ? { kind: 'dropout', rate: (layer.getConfig() as { rate: number }).rate }
      : { kind: 'layer', apply: (h: Tensor) => layer.apply(h, { training: true }) as Tensor },
  );
  const variables = model.trainableWeights.map((w) => w.read() as Variable);
  let steps = 0;

  const forward = (x: Tensor, seeds: number[]): Tensor => {
    let h = x;
    let d = 0;
    for (const link of chain) {
      if (link.kind === 'layer') {
        h = link.apply(h);
      } else if (link.rate > 0) {
        h = tf.mul(h, tf.tensor(dropoutMask(h.size, link.rate, seeds[d++]), h.shape, 'float32'));
      }
    }
    return h;
  };
  const numDropout = chain.filter((link) => link.kind === 'dropout').length;

  return {
    step(x: Tensor, target: Tensor): number {
      const seeds = Array.from({ length: numDropout }, () => nextSeed(dropoutRng));
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => lossFn(forward(x, seeds), target), variables);
        optimizer.applyGradients(
          variables.map((v) => ({
            name: v.name,
            tensor: weightDecay > 0 ? tf.add(grads[v.name], tf.mul(v, weightDecay)) : grads[v.name],
          })),
        );
        return value;
      });
      const lossValue = loss.dataSync()[0];
      loss.dispose();
      if (!Number.isFinite(lossValue)) {
        throw new MlpTrainingError(`createMlpTrainer: loss is ${lossValue} at step ${steps}`);
      }
      steps++;
      return lossValue;
    },
    get steps() {
      return steps;
    },
    optimizer,
    dispose(): void {
      optimizer.dispose();
    },
  };
}
