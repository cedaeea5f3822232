/**
 * The companion of `registerConvKernels`: gradients and wasm kernels that make a conv net's
 * training step cheap relative to its forward pass on tfjs-backend-wasm (docs/learning-conv.md
 * has the measurements). `registerConvKernels(tf)` installs these unless `{ training: false }`;
 * `unregisterConvTraining` (or `unregisterConvKernels`) restores tfjs's own entries.
 *
 * Gradients (every backend):
 *   FusedBatchNorm  batchnorm.ts: broadcasting per-channel vectors and two reductions instead of
 *                   tfjs's Tile of rsqrt(σ² + ε) to the activation's shape.
 *   LeakyRelu       dy · step(x, α) — the same values as tfjs's where(x > 0, dy, α·dy), whose
 *                   Greater + Select pair are scalar loops on wasm (except at x = NaN: NaN, not
 *                   α·dy). (fast-gradients.ts installs
 *                   the same formula for the MLP; either registration may be active.)
 *   Mean, Sum       tfjs's own formulas ((dy·1)/n and dy·1 broadcast to x), with the ones made by
 *                   the backend's Fill kernel: tfjs's `ones()` fills a JavaScript array and uploads
 *                   it (≈ 0.2 s per U-Net step, and as much again in garbage collection).
 *                   Mean's division is applied to dy before broadcasting: (dy/n)·1 = (dy·1)/n.
 * Kernels (wasm; conv-train-kernels.ts, same values as the kernels they wrap):
 *   Sum, Mean (leading axes), SplitV, LeakyRelu, Identity, Cast (same dtype).
 */
import type { GradConfig, KernelFunc, Tensor } from '@tensorflow/tfjs';
import { batchNormGradConfig } from './batchnorm.ts';
import { RegistryPatch, type Tf } from './conv-registry.ts';
import { fastConcat, fastLeakyRelu, fastSplitV, leadingAxesReduction, sharedIdentity, sharedSameDtypeCast } from './conv-train-kernels.ts';

/** Gradients this registration installs. */
export const CONV_TRAINING_GRADIENTS = ['FusedBatchNorm', 'LeakyRelu', 'Mean', 'Sum'] as const;
/** wasm kernels this registration wraps. */
export const CONV_TRAINING_KERNELS = ['Sum', 'Mean', 'SplitV', 'Concat', 'LeakyRelu', 'Identity', 'Cast'] as const;

let patch: RegistryPatch | null = null;

function leakyReluGradConfig(tf: Tf): GradConfig {
  return {
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { alpha } = attrs as unknown as { alpha: number };
      return { x: () => tf.mul(dy as Tensor, tf.step(x, alpha)) };
    },
  };
}

/** x's shape with the reduced axes set to 1 (the shape dy is broadcast from). */
function keptShape(tf: Tf, x: Tensor, axis: number | number[]): { shape: number[]; size: number } {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const shape = x.shape.slice();
  let size = 1;
  for (const a of axes) {
    size *= shape[a];
    shape[a] = 1;
  }
  return { shape, size };
}

function reductionGradConfigs(tf: Tf): GradConfig[] {
  const mean: GradConfig = {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { shape, size } = keptShape(tf, x, (attrs as unknown as { axis: number | number[] }).axis);
      return { x: () => tf.mul(tf.div(tf.reshape(dy as Tensor, shape), size), tf.fill(x.shape, 1, 'float32')) };
    },
  };
  const sum: GradConfig = {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { shape } = keptShape(tf, x, (attrs as unknown as { axis: number | number[] }).axis);
      return { x: () => tf.mul(tf.reshape(dy as Tensor, shape), tf.fill(x.shape, 1, 'float32')) };
    },
  };
  return [mean, sum];
}

/**
 * Installs the gradients (always) and the wasm kernels (when the wasm backend's kernels are
 * registered). Idempotent. Returns what is installed.
 */
export function registerConvTraining(tf: Tf): { kernels: string[]; gradients: string[] } {
  patch ??= new RegistryPatch(tf, 'isac-twin.convTraining');
  patch.gradient(batchNormGradConfig(tf));
  patch.gradient(leakyReluGradConfig(tf));
  for (const config of reductionGradConfigs(tf)) patch.gradient(config);
  const wraps: Record<(typeof CONV_TRAINING_KERNELS)[number], (original: KernelFunc) => KernelFunc> = {
    Sum: (o) => leadingAxesReduction(tf, o),
    Mean: (o) => leadingAxesReduction(tf, o),
    SplitV: (o) => fastSplitV(tf, o),
    Concat: (o) => fastConcat(tf, o),
    LeakyRelu: (o) => fastLeakyRelu(tf, o),
    Identity: (o) => sharedIdentity(o),
    Cast: (o) => sharedSameDtypeCast(o),
  };
  for (const name of CONV_TRAINING_KERNELS) {
    if (tf.getKernel(name, 'wasm') === undefined) continue;
    patch.kernel(name, (original) => wraps[name](original as KernelFunc));
  }
  return patch.installed();
}

/** Restores tfjs's own gradients and wasm kernels. Idempotent. */
export function unregisterConvTraining(tf: Tf): void {
  void tf;
  if (patch === null) return;
  patch.restore();
  patch = null;
}

/** True while this registration's gradients are installed. */
export function convTrainingActive(tf: Tf): boolean {
  void tf;
  return patch !== null && patch.installed().gradients.length > 0;
}
