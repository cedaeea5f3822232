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
 * Speed comes from the trainer, not from custom layers: it differentiates the chain by hand
 * (dense-chain.ts) and updates with a fused Adam (adam.ts).
 *
 * Randomness: the scenario seed drives both the weight initialisation (stream
 * 'learning.mlp.init') and the dropout masks (stream 'learning.mlp.dropout', drawn by
 * `createMlpTrainer`, which applies its own seeded masks in place of the Dropout layers).
 */
import type { Scalar, Sequential, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { streamFor, type Rng } from '../phy/random.ts';
import { FusedAdam } from './adam.ts';
import { DenseChain } from './dense-chain.ts';

export { dropoutMask } from './dense-chain.ts';

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
  readonly optimizer: FusedAdam;
  /** Frees the optimiser's state. The model is left alone. */
  dispose(): void;
}

/**
 * A training loop body for a sequential `model` (normally from `createMlp`): explicit forward and
 * backward passes (`DenseChain`: one fused kernel per layer, flag-free products, seeded dropout)
 * and a fused Adam step with coupled weight decay (`FusedAdam`, as
 * `torch.optim.Adam(weight_decay=λ)` does it).
 *
 * Dropout: each hidden layer's mask is a seeded inverted-dropout mask (`dropoutMask`, one 32-bit
 * seed per layer and step from the stream 'learning.mlp.dropout'), so a run is reproducible; the
 * saved model stays made of stock layers. The loss's gradient with respect to the output comes
 * from tfjs autograd on the (small) loss graph only; the MLP itself is differentiated by hand.
 * A non-finite loss stops the step before any weight changes.
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
  const chain = new DenseChain(tf, model);
  // Adam as in Kingma & Ba (β1 0.9, β2 0.999, ε 1e-8); tfjs would default ε to 1e-7.
  const optimizer = new FusedAdam(tf, chain.variables, { learningRate, weightDecay, epsilon: 1e-8 });
  const dropoutRng = streamFor(config.seed, 'learning.mlp.dropout');
  let steps = 0;

  return {
    step(x: Tensor, target: Tensor): number {
      const seeds = chain.rates.map((rate) => (rate > 0 ? nextSeed(dropoutRng) : 0));
      const saved = chain.forward(x as Tensor2D, seeds);
      try {
        let lossValue = NaN;
        const grads = tf.tidy(() => {
          const { value, grad } = tf.valueAndGrad((out: Tensor) => lossFn(out, target))(saved.output);
          lossValue = value.dataSync()[0];
          return Number.isFinite(lossValue) ? chain.backward(saved, grad as Tensor2D) : [];
        });
        if (!Number.isFinite(lossValue)) {
          throw new MlpTrainingError(`createMlpTrainer: loss is ${lossValue} at step ${steps}`);
        }
        optimizer.applyGradients(grads);
        tf.dispose(grads);
        steps++;
        return lossValue;
      } finally {
        chain.release(saved);
      }
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
