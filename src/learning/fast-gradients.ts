/**
 * Fast back-propagation through matrix products on tfjs-backend-wasm.
 *
 * Why: the wasm backend sends a matrix product to XNNPACK only when neither operand carries a
 * transpose flag (and the batch is 1); any `transposeA`/`transposeB` falls back to a naive blocked
 * loop. Measured on a 2-core machine, 128×512 · 512×512 costs 1.9 ms plain, 24 ms with
 * transposeB and 51 ms with transposeA, while a 512×512 transpose costs 1.6 ms. tfjs's stock
 * gradient of `BatchMatMul` (and the customGrad closure inside `tf.fused.matMul`, used by every
 * `tf.layers.dense`) is written with transpose flags, so a training step of a 4×512 MLP cost
 * ~30× its forward pass.
 *
 * What `registerFastGradients(tf)` installs (all reversible with `unregisterFastGradients`):
 *
 *  1. Gradient config for 'BatchMatMul' (every backend): each backward product is a plain,
 *     flag-free `tf.matMul` on explicitly transposed operands, in whichever of the two
 *     equivalent forms moves fewer elements (see `planTransposedProduct`). Batch dimensions that
 *     were broadcast in the forward pass are summed out.
 *  2. Gradient config for '_FusedMatMul' (every backend): correct for bias and for the
 *     activations linear, relu, relu6, leakyrelu, elu and sigmoid (prelu is refused with a
 *     message). NOTE: `tf.fused.matMul` does not reach it — it records its own gradient with
 *     `customGrad` under the scope name 'fusedMatMul__op', and the engine consults the gradient
 *     registry by that scope name, not by the kernel name. It serves callers that run the kernel
 *     directly (`tf.engine().runKernel('_FusedMatMul', …)`), e.g. a graph executor.
 *  3. The lever that reaches `tf.fused.matMul` / `tf.layers.dense`: on the wasm backend, the
 *     'BatchMatMul' and '_FusedMatMul' kernels are wrapped so that a call with transpose flags
 *     transposes its operands explicitly (wasm Transpose kernel) and runs the XNNPACK path. The
 *     customGrad closure's `matMul(dy, b, false, true)` therefore runs fast, and so does any
 *     forward product written with transpose flags (e.g. Gram matrices H·Hᴴ). Numerically this
 *     is the same product; only the summation order inside XNNPACK differs (float32 rounding).
 *  4. Gradient config for 'LeakyRelu' (every backend): dy·step(x, α) instead of tfjs's
 *     where(x > 0, dy, α·dy), whose Greater+Select pair is slow on wasm.
 */
import type {
  DataId,
  GradConfig,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  Tensor,
  TensorInfo,
} from '@tensorflow/tfjs';

export type Tf = typeof import('@tensorflow/tfjs');

/** Activations the fused kernel accepts (tfjs `fused.Activation`). */
export type FusedActivation = 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';

/** How to evaluate op(A)·op(B) with flag-free products. */
export type ProductPlan =
  /** matMul(op(A), op(B)) with op(·) materialised by transposes. */
  | 'direct'
  /** transpose(matMul(op(B)ᵀ, op(A)ᵀ)) — pays one transpose of the result instead. */
  | 'swapped';

/** Raised by the fast `_FusedMatMul` gradient for inputs it does not handle; fixed messages. */
export class FastGradientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FastGradientError';
  }
}

const GRADIENT_KERNELS = ['BatchMatMul', '_FusedMatMul', 'LeakyRelu'] as const;
const WASM_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
/** Marks the configs installed here, so that registration is idempotent. */
const FAST_MARK = Symbol.for('isac-twin.fastGradients');

interface SavedRegistry {
  gradients: Map<string, GradConfig | undefined>;
  kernels: Map<string, KernelConfig>;
}
let saved: SavedRegistry | null = null;

/** Product of the dimensions of a shape (1 for a scalar shape). */
function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Permutation that swaps the last two axes of a tensor of the given rank (rank ≥ 2). */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * Chooses how to evaluate C = op(A)·op(B) with flag-free products, by counting the float32
 * elements that must be copied: explicit transposes, plus the packing of the right-hand operand
 * that XNNPACK performs for every new weight tensor. Measured on wasm (128×512 activations,
 * 512×512 weights): dy·Wᵀ costs 4.0 ms 'direct' and 2.6 ms 'swapped'; xᵀ·dy costs 2.1 ms
 * 'direct' and 3.4 ms 'swapped' — both as this count predicts.
 *
 * @param shapeA shape of A as stored, rank ≥ 2 (`[..., rows, cols]`)
 * @param shapeB shape of B as stored, rank ≥ 2
 */
export function planTransposedProduct(
  shapeA: readonly number[],
  shapeB: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): ProductPlan {
  if (!transposeA && !transposeB) return 'direct';
  const rankA = shapeA.length;
  const rankB = shapeB.length;
  const sizeA = sizeOf(shapeA);
  const sizeB = sizeOf(shapeB);
  const rowsC = transposeA ? shapeA[rankA - 1] : shapeA[rankA - 2];
  const colsC = transposeB ? shapeB[rankB - 2] : shapeB[rankB - 1];
  const batch = Math.max(sizeOf(shapeA.slice(0, -2)), sizeOf(shapeB.slice(0, -2)));
  const sizeC = batch * rowsC * colsC;
  const direct = (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0) + sizeB;
  const swapped = (transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + sizeC + sizeA;
  return swapped < direct ? 'swapped' : 'direct';
}

/** op(a)·op(b) computed with flag-free `tf.matMul` calls only. */
function plainProduct(tf: Tf, a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  if (!transposeA && !transposeB) return tf.matMul(a, b);
  const t = (x: Tensor): Tensor => tf.transpose(x, swapLastTwo(x.rank));
  if (planTransposedProduct(a.shape, b.shape, transposeA, transposeB) === 'direct') {
    return tf.matMul(transposeA ? t(a) : a, transposeB ? t(b) : b);
  }
  // (op(A)·op(B)) = (op(B)ᵀ · op(A)ᵀ)ᵀ
  return t(tf.matMul(transposeB ? b : t(b), transposeA ? a : t(a)));
}

/**
 * Sums a gradient over the batch axes that were broadcast in the forward pass, then reshapes it
 * to the input's shape. A no-op when the shapes already agree.
 */
function reduceToShape(tf: Tf, grad: Tensor, shape: readonly number[]): Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, [...shape]);
}

/**
 * Gradients of C = op(A)·op(B) given dC, as lazily evaluated thunks (tfjs only evaluates the
 * inputs that lie on a path to the variables). Same algebra as tfjs-core's
 * `gradients/BatchMatMul_grad.ts`, with every product flag-free:
 *   (A·B)     dA = dC·Bᵀ    dB = Aᵀ·dC
 *   (A·Bᵀ)    dA = dC·B     dB = dCᵀ·A
 *   (Aᵀ·B)    dA = B·dCᵀ    dB = A·dC
 *   (Aᵀ·Bᵀ)   dA = Bᵀ·dCᵀ   dB = dCᵀ·Aᵀ
 */
function productGradients(
  tf: Tf,
  dc: Tensor,
  a: Tensor,
  b: Tensor,
  transposeA: boolean,
  transposeB: boolean,
): { a: () => Tensor; b: () => Tensor } {
  let gradA: () => Tensor;
  let gradB: () => Tensor;
  if (!transposeA && !transposeB) {
    gradA = () => plainProduct(tf, dc, b, false, true);
    gradB = () => plainProduct(tf, a, dc, true, false);
  } else if (!transposeA && transposeB) {
    gradA = () => plainProduct(tf, dc, b, false, false);
    gradB = () => plainProduct(tf, dc, a, true, false);
  } else if (transposeA && !transposeB) {
    gradA = () => plainProduct(tf, b, dc, false, true);
    gradB = () => plainProduct(tf, a, dc, false, false);
  } else {
    gradA = () => plainProduct(tf, b, dc, true, true);
    gradB = () => plainProduct(tf, dc, a, true, true);
  }
  return {
    a: () => reduceToShape(tf, gradA(), a.shape),
    b: () => reduceToShape(tf, gradB(), b.shape),
  };
}

/**
 * dL/dz for y = act(z), written in terms of the saved output y (the fused kernel does not keep
 * z). Each form is exact wherever the activation is differentiable; at kinks it follows tfjs
 * (relu'(0) = 0, leakyrelu'(0) = α).
 */
function activationGradient(
  tf: Tf,
  dy: Tensor,
  y: Tensor,
  activation: FusedActivation,
  leakyAlpha: number,
): Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(y, 0));
    case 'relu6':
      return tf.mul(dy, tf.mul(tf.step(y, 0), tf.cast(tf.less(y, 6), 'float32')));
    case 'leakyrelu':
      // For α ≥ 0, y > 0 exactly when z > 0, so the slope can be read off y.
      if (!(leakyAlpha >= 0)) {
        throw new FastGradientError(`fast _FusedMatMul gradient: leakyreluAlpha must be ≥ 0, got ${leakyAlpha}`);
      }
      return tf.mul(dy, tf.step(y, leakyAlpha));
    case 'elu':
      // y = eᶻ − 1 for z ≤ 0, so dy/dz = y + 1 there and 1 above: min(y, 0) + 1.
      return tf.mul(dy, tf.add(tf.minimum(y, 0), 1));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'prelu':
      throw new FastGradientError(
        "fast _FusedMatMul gradient: activation 'prelu' is not supported (its weights are not saved)",
      );
    default:
      throw new FastGradientError(`fast _FusedMatMul gradient: unknown activation '${String(activation)}'`);
  }
}

function makeGradientConfigs(tf: Tf): GradConfig[] {
  const batchMatMul: GradConfig = {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, savedTensors, attrs) => {
      const [a, b] = savedTensors;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      return productGradients(tf, dy as Tensor, a, b, transposeA, transposeB);
    },
  };
  const fusedMatMul: GradConfig = {
    kernelName: '_FusedMatMul',
    // The bias is not saved: its gradient only needs dC. (It is optional, and tfjs cannot save
    // an absent input.) The output y is saved to differentiate the activation.
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, savedTensors, attrs) => {
      const [a, b, y] = savedTensors;
      const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
        activation?: FusedActivation;
        leakyreluAlpha?: number;
      };
      const dz = activationGradient(tf, dy as Tensor, y, activation ?? 'linear', leakyreluAlpha ?? 0.2);
      const grads = productGradients(tf, dz, a, b, transposeA, transposeB);
      // The wasm kernel accepts only a rank-1 bias [N]; tfjs checks the returned shape.
      const bias = (): Tensor => {
        const lastAxis = dz.rank - 1;
        const axes = Array.from({ length: lastAxis }, (_, i) => i);
        return tf.sum(dz, axes);
      };
      return { ...grads, bias };
    },
  };
  const leakyRelu: GradConfig = {
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, savedTensors, attrs) => {
      const [x] = savedTensors;
      const { alpha } = attrs as unknown as { alpha: number };
      return { x: () => tf.mul(dy as Tensor, tf.step(x, alpha)) };
    },
  };
  for (const config of [batchMatMul, fusedMatMul, leakyRelu]) {
    Object.defineProperty(config, FAST_MARK, { value: true });
  }
  return [batchMatMul, fusedMatMul, leakyRelu];
}

/** The subset of the wasm backend object that the kernel wrappers use. */
interface WasmBackendLike {
  disposeData(dataId: DataId): unknown;
}

/**
 * Wraps a wasm matrix-product kernel so that transpose flags become explicit transposes and the
 * product itself takes XNNPACK's flag-free path. Batched products (batch > 1) are passed through:
 * the wasm backend runs those on its naive loop whatever the flags, so a transpose would not pay.
 * `allowSwapped` is false for the fused kernel, whose bias/prelu broadcast along the last axis
 * and would not survive computing the transposed result.
 */
function wrapProductKernel(original: KernelFunc, transpose: KernelFunc, allowSwapped: boolean): KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as WasmBackendLike;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    if ((!transposeA && !transposeB) || sizeOf(a.shape.slice(0, -2)) !== 1 || sizeOf(b.shape.slice(0, -2)) !== 1) {
      return original(args);
    }
    const temporaries: TensorInfo[] = [];
    const t = (x: TensorInfo): TensorInfo => {
      const out = transpose({ inputs: { x }, backend: args.backend, attrs: { perm: swapLastTwo(x.shape.length) } });
      temporaries.push(out as TensorInfo);
      return out as TensorInfo;
    };
    const flagFree = { ...attrs, transposeA: false, transposeB: false } as NamedAttrMap;
    try {
      const plan = allowSwapped ? planTransposedProduct(a.shape, b.shape, transposeA, transposeB) : 'direct';
      if (plan === 'direct') {
        const operands: NamedTensorInfoMap = { ...inputs, a: transposeA ? t(a) : a, b: transposeB ? t(b) : b };
        return original({ inputs: operands, backend: args.backend, attrs: flagFree });
      }
      const operands: NamedTensorInfoMap = { a: transposeB ? b : t(b), b: transposeA ? a : t(a) };
      const resultT = original({ inputs: operands, backend: args.backend, attrs: flagFree }) as TensorInfo;
      temporaries.push(resultT);
      return transpose({ inputs: { x: resultT }, backend: args.backend, attrs: { perm: swapLastTwo(resultT.shape.length) } });
    } finally {
      for (const tmp of temporaries) backend.disposeData(tmp.dataId);
    }
  };
}

/**
 * Installs the fast gradients (and, when the wasm backend's kernels are registered, the wasm
 * kernel wrappers) described at the top of this file. Idempotent. Call it after `initBackend`
 * (importing tfjs-backend-wasm registers the kernels this wraps).
 */
export function registerFastGradients(tf: Tf): void {
  if (saved === null) {
    saved = { gradients: new Map(), kernels: new Map() };
    for (const name of GRADIENT_KERNELS) saved.gradients.set(name, tf.getGradient(name));
    for (const config of makeGradientConfigs(tf)) tf.registerGradient(config);
  }
  // Wrap the wasm kernels if they were not present (or not yet wrapped) at an earlier call.
  const transposeConfig = tf.getKernel('Transpose', 'wasm');
  if (transposeConfig === undefined) return;
  for (const name of WASM_KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (original === undefined || isFast(original)) continue;
    saved.kernels.set(name, original);
    const wrapped: KernelConfig = {
      ...original,
      kernelFunc: wrapProductKernel(original.kernelFunc, transposeConfig.kernelFunc, name === 'BatchMatMul'),
    };
    Object.defineProperty(wrapped, FAST_MARK, { value: true });
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(wrapped);
  }
}

/** Restores tfjs's own gradient configs and wasm kernels. Idempotent. */
export function unregisterFastGradients(tf: Tf): void {
  if (saved === null) return;
  for (const [name, original] of saved.gradients) {
    if (original !== undefined) tf.registerGradient(original);
    else if (tf.getGradient(name) !== undefined) tf.unregisterGradient(name);
  }
  for (const [name, original] of saved.kernels) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  saved = null;
}

/** True while the fast gradients are installed. */
export function fastGradientsActive(tf: Tf): boolean {
  return isFast(tf.getGradient('BatchMatMul'));
}

function isFast(config: object | undefined): boolean {
  return config !== undefined && (config as { [FAST_MARK]?: boolean })[FAST_MARK] === true;
}
