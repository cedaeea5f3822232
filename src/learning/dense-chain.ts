/**
 * Explicit forward and backward passes of an MLP made by `createMlp` (Dense → LeakyReLU →
 * Dropout, …, Dense), for training. Shared by the single-model trainer (mlp.ts) and the VFL
 * parties (vfl.ts): each needs "forward, keep what back-propagation needs, later push a gradient
 * of the output back to the weights".
 *
 * Why not tfjs autograd: the tape costs kernels and bookkeeping (Identity, Reshape, op scopes,
 * the customGrad of `tf.fused.matMul`), and its LeakyReLU/dropout gradients are several
 * element-wise kernels per layer. Here a hidden layer is
 *   forward   y = leaky(h·W + b)                one fused kernel (matMul + bias + activation)
 *             gate = leaky'(y)·mask, h' = y·mask in one SIMD pass over y (mask: seeded
 *                                               inverted dropout, `dropoutMask`)
 *   backward  dW = hᵀ·δ, db = Σ_rows δ, δ_prev = (δ·Wᵀ) ⊙ gate_prev
 * and every product is flag-free (`product`, transposes made explicit), which is what XNNPACK
 * runs fast on wasm. leaky'(z) is read off y: for α ≥ 0, y > 0 ⇔ z > 0 (and leaky'(0) = α, as
 * tfjs's step(0) = 0 gives).
 *
 * The numbers equal tfjs autograd through the stock layers with the same masks (tested).
 */
import type { Sequential, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { planTransposedProduct } from './fast-gradients.ts';
import { readTensorInto, tensorFrom, TrainKernels, type Region } from './kernels/train-kernels.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/**
 * Inverted-dropout mask for `size` activations: each entry is 1/(1−ζ) with probability 1−ζ and 0
 * otherwise, drawn with mulberry32 from a 32-bit `seed`. Generating the mask in JS and uploading
 * it costs ~0.1 ms per 128×512 activation on wasm, against ~1 ms for tf.dropout (tfjs draws its
 * uniforms one by one through seedrandom, then runs four kernels).
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  return dropoutMaskInto(new Float32Array(size), rate, seed);
}

/** `dropoutMask` written into `mask` (its length is the size); returns it. */
export function dropoutMaskInto(mask: Float32Array, rate: number, seed: number): Float32Array {
  const keep = 1 / (1 - rate);
  // Keep when the 32-bit draw is ≥ ζ·2³², i.e. with probability 1 − ζ.
  const threshold = Math.min(rate * 4294967296, 4294967295);
  let state = seed | 0;
  for (let i = 0; i < mask.length; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    mask[i] = (t ^ (t >>> 14)) >>> 0 >= threshold ? keep : 0;
  }
  return mask;
}

/** What one training forward keeps for the backward pass (tensors owned by the chain's caller via `release`). */
export interface SavedForward {
  /** Input of each Dense layer ([batch, in]); inputs[0] is the caller's x. */
  inputs: Tensor2D[];
  /** leaky'(y)·mask of each hidden layer [batch, width]. */
  gates: Tensor2D[];
  /** Raw output of the last Dense layer [batch, out]. */
  output: Tensor2D;
}

/** op(a)·op(b) with flag-free `tf.matMul` calls (XNNPACK's fast path on wasm), 2-D operands. */
export function product(tf: Tf, a: Tensor2D, b: Tensor2D, transposeA = false, transposeB = false): Tensor2D {
  if (!transposeA && !transposeB) return tf.matMul(a, b);
  if (planTransposedProduct(a.shape, b.shape, transposeA, transposeB) === 'direct') {
    return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
  }
  // (op(A)·op(B)) = (op(B)ᵀ·op(A)ᵀ)ᵀ
  return tf.transpose(tf.matMul(transposeB ? b : tf.transpose(b), transposeA ? a : tf.transpose(a))) as Tensor2D;
}

export class DenseChain {
  /** Kernel and bias of each Dense layer, in order; `variables` flattens them as the model's trainableWeights. */
  readonly dense: Array<{ kernel: Variable; bias: Variable }>;
  readonly variables: Variable[];
  readonly leakyAlpha: number;
  /** Dropout rate after each hidden layer (0 where there is none). */
  readonly rates: number[];
  private readonly kernels = new TrainKernels();
  private yBuf?: Region;
  private maskBuf?: Region;
  private gateBuf?: Region;

  constructor(
    private readonly tf: Tf,
    private readonly model: Sequential,
  ) {
    const kinds = model.layers.map((l) => l.getClassName());
    if (kinds.some((k) => !['Dense', 'LeakyReLU', 'Dropout'].includes(k))) {
      throw new Error(`DenseChain: the model must be made of Dense, LeakyReLU and Dropout layers (createMlp), got ${kinds.join(', ')}`);
    }
    const denseLayers = model.layers.filter((l) => l.getClassName() === 'Dense');
    this.dense = denseLayers.map((l) => {
      const [kernel, bias] = l.trainableWeights.map((w) => w.read() as Variable);
      if (!kernel || !bias) throw new Error(`DenseChain: layer ${l.name} needs a kernel and a bias`);
      return { kernel, bias };
    });
    this.variables = this.dense.flatMap((d) => [d.kernel, d.bias]);
    const leaky = model.layers.find((l) => l.getClassName() === 'LeakyReLU');
    this.leakyAlpha = leaky ? (leaky.getConfig() as { alpha: number }).alpha : 0.2;
    if (!(this.leakyAlpha >= 0)) throw new Error(`DenseChain: LeakyReLU alpha must be ≥ 0, got ${this.leakyAlpha}`);
    // The layer pattern after each hidden Dense: LeakyReLU, then an optional Dropout.
    this.rates = denseLayers.slice(0, -1).map((l) => {
      const i = model.layers.indexOf(l);
      if (model.layers[i + 1]?.getClassName() !== 'LeakyReLU') throw new Error(`DenseChain: hidden layer ${l.name} must be followed by a LeakyReLU`);
      const next = model.layers[i + 2];
      return next?.getClassName() === 'Dropout' ? (next.getConfig() as { rate: number }).rate : 0;
    });
  }

  /** Number of dropout seeds a forward takes (one per hidden layer). */
  get numHidden(): number {
    return this.rates.length;
  }

  /** Training forward with the given per-hidden-layer dropout seeds; keeps what `backward` needs. */
  forward(x: Tensor2D, seeds: number[]): SavedForward {
    const tf = this.tf;
    const alpha = this.leakyAlpha;
    const inputs: Tensor2D[] = [];
    const gates: Tensor2D[] = [];
    let h = x;
    const last = this.dense.length - 1;
    for (let l = 0; l <= last; l++) {
      inputs.push(h);
      const { kernel, bias } = this.dense[l];
      if (l === last) {
        const output = tf.fused.matMul({ a: h, b: kernel as unknown as Tensor2D, bias }) as Tensor2D;
        return { inputs, gates, output };
      }
      const y = tf.fused.matMul({ a: h, b: kernel as unknown as Tensor2D, bias, activation: 'leakyrelu', leakyreluAlpha: alpha }) as Tensor2D;
      // gate = leaky'(y)·mask and h' = y·mask in one SIMD pass over y (kernels/train-kernels.wat)
      const n = y.size;
      const k = this.kernels;
      this.yBuf = k.ensure(this.yBuf, n);
      this.maskBuf = k.ensure(this.maskBuf, n);
      this.gateBuf = k.ensure(this.gateBuf, n);
      readTensorInto(tf, y, k.view(this.yBuf, n));
      const rate = this.rates[l];
      if (rate > 0) dropoutMaskInto(k.view(this.maskBuf, n), rate, seeds[l]);
      else k.view(this.maskBuf, n).fill(1);
      k.gate(this.yBuf, this.maskBuf, this.gateBuf, n, alpha);
      const shape = y.shape;
      y.dispose();
      gates.push(tensorFrom(tf, k.view(this.gateBuf, n), shape) as Tensor2D);
      h = tensorFrom(tf, k.view(this.yBuf, n), shape) as Tensor2D;
    }
    throw new Error('DenseChain: the model has no Dense layer');
  }

  /**
   * The same training forward through the model's own stock layers, with the same dropout masks:
   * the reference `forward` and `backward` are tested against (tfjs autograd can follow it).
   */
  forwardLayers(x: Tensor, seeds: number[]): Tensor {
    const tf = this.tf;
    let h = x;
    let hidden = -1; // the hidden layer a Dropout follows: one LeakyReLU per hidden layer
    for (const layer of this.model.layers) {
      const kind = layer.getClassName();
      if (kind === 'LeakyReLU') hidden++;
      if (kind !== 'Dropout') h = layer.apply(h, { training: true }) as Tensor;
      else if (this.rates[hidden] > 0) h = tf.mul(h, tf.tensor(dropoutMask(h.size, this.rates[hidden], seeds[hidden]), h.shape, 'float32'));
    }
    return h;
  }

  /**
   * Gradients of sum(output ⊙ dOut) with respect to `variables` (same order), from a `forward`'s
   * saved tensors. The caller owns the returned tensors (run inside `tf.tidy` to free the rest).
   */
  backward(saved: SavedForward, dOut: Tensor2D): Tensor[] {
    const tf = this.tf;
    const grads: Tensor[] = new Array(this.variables.length);
    let delta = dOut;
    for (let l = this.dense.length - 1; l >= 0; l--) {
      grads[2 * l] = product(tf, saved.inputs[l], delta, true, false);
      grads[2 * l + 1] = tf.sum(delta, 0);
      if (l > 0) delta = tf.mul(product(tf, delta, this.dense[l].kernel as unknown as Tensor2D, false, true), saved.gates[l - 1]);
    }
    return grads;
  }

  /** Frees a forward's tensors (not inputs[0], the caller's x). */
  release(saved: SavedForward): void {
    this.tf.dispose([...saved.inputs.slice(1), ...saved.gates, saved.output]);
  }
}
