/**
 * Faster versions of wasm kernels that a conv net's training step runs on large activations,
 * each giving the same values as the kernel it replaces (bit for bit: same arithmetic, same
 * summation order, only the data movement differs). Installed by `registerConvTraining`
 * (conv-training.ts); every wrapper hands the cases it does not cover to the original kernel.
 *
 * Measured in one U-Net step (paper 001, batch 500, activations [500, 6, 16, C ≤ 256]) with
 * tfjs-backend-wasm 4.22's own kernels:
 *
 *   Sum / Mean   over the leading axes (per-channel statistics and bias/BatchNorm gradients):
 *                the backend transposes [B, H, W, C] → [C, B, H, W] with its generic 4-D
 *                transpose, 10–20 ns per value. Viewing the input as [B·H·W, C] first gives the
 *                same transposed layout through the backend's 2-D transpose (3–7× faster) and
 *                then the same row sums in the same order.
 *   SplitV       (the gradient of every skip concatenation) slices element by element in
 *                JavaScript; here each part is copied row by row with `copyWithin` on the heap.
 *   Concat       copies each row with `subarray` + `set` (an allocation per row and input);
 *                here with `copyWithin` on the heap.
 *   LeakyRelu    a scalar C++ loop, 7 ns per value; x · step(x, α) (two SIMD kernels) is the same
 *                value: x·1 for x > 0, x·α otherwise (also for ±0 and NaN).
 *   Identity, Cast to the same dtype
 *                copy the tensor; tfjs clones every tensor a gradient saves (≈ 250 per step).
 *                Here the output shares the input's data (reference-counted, as the backend's
 *                Reshape and the cpu backend's Identity do). Safe because no wasm kernel writes
 *                into an existing tensor.
 */
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { Tf } from './conv-registry.ts';

/** The parts of tfjs-backend-wasm's backend object these kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A view of `t` sharing its data with another shape (reference-counted, like wasm Reshape). */
function sharedView(backend: WasmBackend, t: TensorInfo, shape: number[], dtype = t.dtype): TensorInfo {
  backend.incRef(t.dataId);
  return { dataId: t.dataId, shape, dtype };
}

/** Sorted, de-duplicated, non-negative axes. */
function normaliseAxes(tf: Tf, axis: number | number[] | undefined, shape: readonly number[]): number[] {
  const all = axis === undefined || axis === null ? shape.map((_, i) => i) : axis;
  return [...new Set(tf.util.parseAxisParam(all, shape as number[]))].sort((a, b) => a - b);
}

/**
 * Sum or Mean over leading axes [0, k) of a float32 tensor of rank ≥ 3 with k < rank: the input
 * is viewed as [R, C] (R = the product of the reduced extents) and reduced over axis 0, which
 * the backend does with its 2-D transpose. Anything else goes to the original kernel.
 */
export function leadingAxesReduction(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis?: number | number[]; keepDims?: boolean };
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 3) return original(args);
    const axes = normaliseAxes(tf, axis, x.shape);
    const k = axes.length;
    if (k === 0 || k === rank || axes.some((a, i) => a !== i)) return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const kept = x.shape.slice(k);
    const flat = sharedView(backend, x, [sizeOf(x.shape.slice(0, k)), sizeOf(kept)]);
    try {
      const out = original({ inputs: { x: flat }, backend: args.backend, attrs: { axis: [0], keepDims: false } as unknown as NamedAttrMap }) as TensorInfo;
      out.shape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept;
      return out;
    } finally {
      backend.disposeData(flat.dataId);
    }
  };
}

/** SplitV of a float32 tensor: each part copied in contiguous runs with `copyWithin`. */
export function fastSplitV(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== 'float32') return original(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax) as number[];
    const backend = args.backend as unknown as WasmBackend;
    const outer = sizeOf(x.shape.slice(0, ax));
    const inner = sizeOf(x.shape.slice(ax + 1));
    const rowIn = x.shape[ax] * inner;
    const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === ax ? s : d)), 'float32'));
    // Views are taken after every allocation: the heap's buffer changes when it grows.
    const src = backend.typedArrayFromHeap(x);
    const heap = new Float32Array(src.buffer);
    const srcBase = src.byteOffset >> 2;
    let offset = 0;
    sizes.forEach((s, k) => {
      const len = s * inner;
      const dstBase = backend.typedArrayFromHeap(outs[k]).byteOffset >> 2;
      if (len > 0) {
        for (let o = 0; o < outer; o++) {
          const from = srcBase + o * rowIn + offset;
          heap.copyWithin(dstBase + o * len, from, from + len);
        }
      }
      offset += len;
    });
    return outs as unknown as TensorInfo;
  };
}

/** Concat of float32 tensors: each input's rows copied with `copyWithin` on the heap. */
export function fastConcat(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (inputs.length < 2 || inputs.some((t) => t.dtype !== 'float32' || sizeOf(t.shape) === 0)) return original(args);
    const { axis } = args.attrs as unknown as { axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, ax);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(tf.backend_util.computeOutShape(shapes, ax), 'float32');
    const outer = sizeOf(inputs[0].shape.slice(0, ax));
    const inners = inputs.map((t) => sizeOf(t.shape.slice(ax)));
    const total = inners.reduce((a, b) => a + b, 0);
    // Views after the allocation (the heap's buffer changes when it grows).
    const target = backend.typedArrayFromHeap(out);
    const heap = new Float32Array(target.buffer);
    const dst = target.byteOffset >> 2;
    let offset = 0;
    inputs.forEach((t, k) => {
      const len = inners[k];
      const src = backend.typedArrayFromHeap(t).byteOffset >> 2;
      for (let o = 0; o < outer; o++) heap.copyWithin(dst + o * total + offset, src + o * len, src + (o + 1) * len);
      offset += len;
    });
    return out;
  };
}

/** LeakyRelu of a float32 tensor as x · step(x, α) (wasm Step and Multiply, both SIMD). */
export function fastLeakyRelu(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== 'float32') return original(args);
    const { alpha } = args.attrs as unknown as { alpha: number };
    const step = tf.getKernel('Step', 'wasm');
    const multiply = tf.getKernel('Multiply', 'wasm');
    if (step === undefined || multiply === undefined) return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const slope = step.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { alpha } as unknown as NamedAttrMap }) as TensorInfo;
    try {
      return multiply.kernelFunc({ inputs: { a: x, b: slope }, backend: args.backend, attrs: {} }) as TensorInfo;
    } finally {
      backend.disposeData(slope.dataId);
    }
  };
}

/** Identity that shares the input's data instead of copying it (strings keep the original). */
export function sharedIdentity(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original(args);
    return sharedView(args.backend as unknown as WasmBackend, x, x.shape.slice());
  };
}

/** Cast that shares the data when the dtype does not change. */
export function sharedSameDtypeCast(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { dtype } = args.attrs as unknown as { dtype: string };
    if (dtype !== x.dtype || x.dtype === 'string') return original(args);
    return sharedView(args.backend as unknown as WasmBackend, x, x.shape.slice());
  };
}
