/**
 * A 1D transposed convolution for U-Net decoders, built from stock tf.layers only:
 *
 *   [B, L, C] → reshape [B, 1, L, C] → conv2dTranspose(kernel [1, k], strides [1, s]) → reshape [B, L', F]
 *
 * tfjs has no `conv1dTranspose` layer. Composing stock layers (rather than a custom Layer class)
 * keeps saved models loadable by any tfjs with no class registration; only the kernels of
 * `registerConvKernels` are needed (Conv2DBackpropInput is the forward pass of conv2dTranspose,
 * Conv2DBackpropFilter and Conv2D its backward pass).
 */
import type { SymbolicTensor } from '@tensorflow/tfjs';

export type Tf = typeof import('@tensorflow/tfjs');

export interface Conv1DTransposeConfig {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: 'same' | 'valid';
  activation?: 'linear' | 'relu';
  useBias?: boolean;
  /** Layer-name prefix; the three layers are `<name>_in`, `<name>`, `<name>_out`. */
  name?: string;
  /** Seed for the glorot-uniform kernel initialiser (deterministic models). */
  seed?: number;
}

/** Output length of a 1D transposed convolution (tfjs `deconvLength`). */
export function conv1dTransposeLength(length: number, kernelSize: number, strides: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? length * strides : length * strides + Math.max(kernelSize - strides, 0);
}

/** Applies the transposed 1D convolution to a symbolic [batch, length, channels] tensor. */
export function applyConv1DTranspose(tf: Tf, input: SymbolicTensor, cfg: Conv1DTransposeConfig): SymbolicTensor {
  const [, length, channels] = input.shape;
  if (typeof length !== 'number' || typeof channels !== 'number') {
    throw new Error('applyConv1DTranspose: the input length and channels must be known');
  }
  const strides = cfg.strides ?? 1;
  const padding = cfg.padding ?? 'same';
  const name = cfg.name;
  const outLength = conv1dTransposeLength(length, cfg.kernelSize, strides, padding);
  const as2d = tf.layers.reshape({ targetShape: [1, length, channels], name: name && `${name}_in` }).apply(input) as SymbolicTensor;
  const deconv = tf.layers
    .conv2dTranspose({
      filters: cfg.filters,
      kernelSize: [1, cfg.kernelSize],
      strides: [1, strides],
      padding,
      activation: cfg.activation ?? 'linear',
      useBias: cfg.useBias ?? true,
      kernelInitializer: tf.initializers.glorotUniform({ seed: cfg.seed }),
      name,
    })
    .apply(as2d) as SymbolicTensor;
  return tf.layers.reshape({ targetShape: [outLength, cfg.filters], name: name && `${name}_out` }).apply(deconv) as SymbolicTensor;
}
