/**
 * Convolution kernels that tfjs-backend-wasm 4.22 lacks (or runs slowly), so that conv nets train
 * on wasm with stock autograd and never fall back to the cpu backend.
 *
 * What the wasm backend registers (checked with `tf.getKernelsForBackend('wasm')` against 'cpu'):
 *   present: Conv2D (XNNPACK), FusedConv2D, Conv2DBackpropInput (a naive C++ loop), Conv3D and its
 *            two backprops, DepthwiseConv2dNative, FusedBatchNorm, PadV2, StridedSlice, Transpose,
 *            Reverse, Concat, BatchMatMul (XNNPACK when flag-free).
 *   missing: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 *            DepthwiseConv2dNativeBackpropInput (plus FFT/Complex/Einsum/ragged/string kernels that no
 *            conv net uses). Without Conv2DBackpropFilter, the gradient of every Conv2D/Conv1D weight
 *            throws "'Conv2DBackpropFilter' not yet implemented on the 'wasm' backend".
 *
 * What `registerConvKernels(tf)` registers for backend 'wasm' (NHWC, dilation 1, any stride,
 * 'same' / 'valid' / explicit padding; the wasm backend must be initialised first):
 *
 *   Conv2DBackpropFilter  dW = Xᵀ·dy as one flag-free XNNPACK matrix product, with Xᵀ the
 *                         im2col matrix written directly in the layout the product reads:
 *                         [fh·fw·Ci, B·Ho·Wo], rows in the filter's (kh, kw, ci) order, so the
 *                         product is [fh, fw, Ci, Co] as stored and dy [B·Ho·Wo, Co] is read as
 *                         stored. Xᵀ is built in JavaScript on the wasm heap from xᵀ [Ci, B·H·W]
 *                         (one 2-D transpose): for stride 1 and a same-size output each row is a
 *                         shifted copy of a channel plane (`copyWithin`) with its borders zeroed.
 *                         `{ backpropFilter: 'batch-conv' }` selects the earlier form: one XNNPACK
 *                         Conv2D with the batch as the contracted channel axis (transposes of x
 *                         and dy, the transposed dy packed as a filter).
 *   Conv2DBackpropInput   replaces the naive wasm loop: dy is dilated by the stride (zeros
 *                         inserted with a reshape + PadV2 + reshape), then a stride-1 XNNPACK
 *                         Conv2D with the filter rotated by 180° and its channel axes swapped
 *                         (Reverse + Transpose of the small filter), with explicit padding
 *                         (fh−1−pad_top, …). This is the forward pass of `conv2dTranspose` too.
 *                         Set `{ backpropInput: false }` to keep the stock kernel.
 *
 * and, unless `{ training: false }`, the companion registration of conv-training.ts (a
 * FusedBatchNorm gradient without Tile, the LeakyRelu gradient as dy·step(x, α), and wasm
 * Sum/Mean/SplitV/LeakyRelu/Identity/Cast kernels that move less data).
 *
 * Every intermediate is a wasm tensor made by a wasm kernel (or written by these kernels into a
 * tensor the backend allocated) and freed before the kernel returns; nothing is read back to
 * JavaScript arrays. `unregisterConvKernels` restores the previous registry.
 */
import type { DataId, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { RegistryPatch } from './conv-registry.ts';
import { fastGradientsActive, registerFastGradients, unregisterFastGradients } from '../fast-gradients.ts';
import { convTrainingActive, registerConvTraining, unregisterConvTraining } from './conv-training.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** Raised for inputs these kernels do not handle; the message names the kernel and the cause. */
export class ConvKernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvKernelError';
  }
}

/** How Conv2DBackpropFilter is computed (see the top of this file). */
export type BackpropFilterForm = 'im2col' | 'batch-conv';

export interface ConvKernelOptions {
  /** Replace the wasm backend's naive Conv2DBackpropInput with the XNNPACK-based one (default true). */
  backpropInput?: boolean;
  /** Default 'im2col'; 'batch-conv' is the earlier form, kept for comparison. */
  backpropFilter?: BackpropFilterForm;
  /**
   * Also install conv-training.ts's gradients and kernels, and fast-gradients.ts's matrix-product
   * gradients (Dense layers: the 1D-CNN's fc layers) unless already installed (default true).
   */
  training?: boolean;
}

/** Kernels a training conv net needs that tfjs-backend-wasm 4.22 does not register. */
export const WASM_MISSING_CONV_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
] as const;

const HANDLED = ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const;

/** The registry entries `registerConvKernels` replaced, or null when nothing is registered. */
let patch: RegistryPatch | null = null;
/** The Conv2DBackpropFilter form now registered. */
let filterForm: BackpropFilterForm | null = null;
/** True when `registerConvKernels` installed fast-gradients.ts's registration (and so removes it). */
let ownsFastGradients = false;

interface WasmBackendLike {
  disposeData(dataId: DataId): unknown;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

type PadSpec = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** Conv geometry from tfjs's own `computeConv2DInfo`, so padding rules match Conv2D exactly. */
function geometry(
  tf: Tf,
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: NamedAttrMap,
): ConvGeometry {
  const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs as unknown as {
    strides: number | [number, number];
    pad: PadSpec;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    dilations?: number | [number, number];
  };
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new ConvKernelError(`${kernel} (wasm): dataFormat '${dataFormat}' is not supported, use NHWC`);
  }
  const dil = dilations === undefined ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (dil[0] !== 1 || dil[1] !== 1) {
    throw new ConvKernelError(`${kernel} (wasm): dilations ${String(dil)} are not supported, only 1`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'same',
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: info.padInfo.bottom,
    padRight: info.padInfo.right,
  };
}

/** Runs wasm kernels by name and frees every intermediate it made when `release` is called. */
class KernelRunner {
  private readonly temporaries: TensorInfo[] = [];
  constructor(
    private readonly tf: Tf,
    private readonly backend: unknown,
  ) {}

  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, unknown> = {}): TensorInfo {
    const config = this.tf.getKernel(name, 'wasm');
    if (config === undefined) throw new ConvKernelError(`wasm kernel '${name}' is not registered`);
    const out = config.kernelFunc({
      inputs: inputs as never,
      backend: this.backend as never,
      attrs: attrs as NamedAttrMap,
    }) as TensorInfo;
    this.temporaries.push(out);
    return out;
  }

  /** Takes ownership of a tensor the caller allocated (freed by `release` unless kept). */
  adopt(t: TensorInfo): TensorInfo {
    this.temporaries.push(t);
    return t;
  }

  /** Frees a temporary now (before `release`). */
  free(t: TensorInfo): void {
    const i = this.temporaries.lastIndexOf(t);
    if (i < 0) return;
    this.temporaries.splice(i, 1);
    (this.backend as WasmBackendLike).disposeData(t.dataId);
  }

  /** Marks `t` as the kernel's result: it is not freed by `release`. */
  keep(t: TensorInfo): TensorInfo {
    const i = this.temporaries.lastIndexOf(t);
    if (i >= 0) this.temporaries.splice(i, 1);
    return t;
  }

  release(): void {
    const backend = this.backend as WasmBackendLike;
    for (const t of this.temporaries) backend.disposeData(t.dataId);
    this.temporaries.length = 0;
  }
}

/**
 * Writes the im2col matrix Xᵀ [fh·fw·Ci, B·Ho·Wo] into `out` from xᵀ [Ci, ·, H, W]:
 * Xᵀ[(kh, kw, c), (b, i, j)] = x[b, i·sh + kh − padTop, j·sw + kw − padLeft, c], 0 outside x,
 * for the B = `g.batch` images that start at `src` in channel plane 0; channel plane c starts
 * `planeStride` floats after plane c − 1. `src` and `out` are offsets (in floats) into `heap`.
 */
export function im2colTransposed(heap: Float32Array, src: number, planeStride: number, out: number, g: ConvGeometry): void {
  const { batch: B, inH: H, inW: W, inC: C, outH: Ho, outW: Wo, fh, fw, sh, sw, padTop, padLeft } = g;
  const plane = B * H * W;
  const cols = B * Ho * Wo;
  if (sh === 1 && sw === 1 && Ho === H && Wo === W) {
    // Same-size output: row (kh, kw, c) is channel plane c shifted by dh·W + dw, borders zeroed.
    for (let kh = 0; kh < fh; kh++) {
      const dh = kh - padTop;
      for (let kw = 0; kw < fw; kw++) {
        const dw = kw - padLeft;
        const d = dh * W + dw;
        const lo = Math.max(0, -d);
        const hi = Math.min(plane, plane - d);
        for (let c = 0; c < C; c++) {
          const row = out + ((kh * fw + kw) * C + c) * cols;
          const from = src + c * planeStride;
          if (hi > lo) heap.copyWithin(row + lo, from + lo + d, from + hi + d);
          if (lo > 0) heap.fill(0, row, row + Math.min(lo, plane));
          if (hi < plane) heap.fill(0, row + Math.max(hi, 0), row + plane);
          if (dh !== 0) {
            // Image rows i with i + dh outside [0, H): the first −dh or the last dh rows.
            const zeroFrom = dh < 0 ? 0 : (H - dh) * W;
            const zeroLen = Math.min(H, Math.abs(dh)) * W;
            for (let b = 0, base = row + zeroFrom; b < B; b++, base += H * W) heap.fill(0, base, base + zeroLen);
          }
          if (dw !== 0) {
            // Columns j with j + dw outside [0, W): the first −dw or the last dw of each row.
            const first = dw < 0 ? 0 : Math.max(0, W - dw);
            const len = Math.min(W, Math.abs(dw));
            for (let r = 0, base = row + first; r < B * H; r++, base += W) {
              for (let q = 0; q < len; q++) heap[base + q] = 0;
            }
          }
        }
      }
    }
    return;
  }
  // General case: one run of Wo outputs per (kh, kw, c, b, i).
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      // Output columns j whose input column j·sw + kw − padLeft lies in [0, W).
      const j0 = Math.min(Wo, Math.max(0, Math.ceil((padLeft - kw) / sw)));
      const j1 = Math.max(j0, Math.min(Wo, Math.floor((W - 1 + padLeft - kw) / sw) + 1));
      for (let c = 0; c < C; c++) {
        let o = out + ((kh * fw + kw) * C + c) * cols;
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < Ho; i++, o += Wo) {
            const h = i * sh + kh - padTop;
            if (h < 0 || h >= H) {
              heap.fill(0, o, o + Wo);
              continue;
            }
            const base = src + c * planeStride + (b * H + h) * W + kw - padLeft;
            if (j0 > 0) heap.fill(0, o, o + j0);
            if (sw === 1) heap.copyWithin(o + j0, base + j0, base + j1);
            else for (let j = j0; j < j1; j++) heap[o + j] = heap[base + j * sw];
            if (j1 < Wo) heap.fill(0, o + j1, o + Wo);
          }
        }
      }
    }
  }
}

/**
 * Columns of Xᵀ per matrix product in `Conv2DBackpropFilter`: at least 2048, and enough that the
 * right operand (cols × Co values of dy, which XNNPACK packs for every product; it does not
 * block the contraction) stays near 1 MB. One product over all B·Ho·Wo = 48 000 rows of a U-Net
 * layer (Co = 128–256) ran at 5.9 GMAC/s, packing dy alone a quarter of it; products over 2048 rows
 * at ≈ 11 GMAC/s, the rate of the forward convolution. Narrow layers (Co ≤ 8, the 1D-CNN) get one
 * product: there the per-product overhead dominates.
 */
function filterChunkColumns(outChannels: number): number {
  return Math.max(2048, Math.floor(262144 / Math.max(1, outChannels)));
}

/**
 * dW[kh, kw, ci, co] = Σ_{b,i,j} x_p[b, i·sh + kh, j·sw + kw, ci] · dy[b, i, j, co], with x_p the
 * zero-padded input, as Σ over chunks of images of Xᵀ_q · dy_q: xᵀ = transpose(x as [B·H·W, Ci])
 * (the backend's 2-D transpose), then per chunk Xᵀ_q [fh·fw·Ci, cols] by `im2colTransposed`, dy_q
 * the chunk's rows of dy [B·Ho·Wo, Co] (a contiguous slice), and one BatchMatMul without
 * transpose flags (XNNPACK); the sum is dW [fh, fw, Ci, Co] as stored.
 */
function makeBackpropFilterIm2col(tf: Tf): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const { filterShape } = args.attrs as unknown as { filterShape: [number, number, number, number] };
    const g = geometry(tf, 'Conv2DBackpropFilter', x.shape, filterShape, args.attrs ?? {});
    const backend = args.backend as WasmBackendLike;
    const r = new KernelRunner(tf, args.backend);
    try {
      const rows = g.fh * g.fw * g.inC;
      const perImage = g.outH * g.outW;
      const plane = g.batch * g.inH * g.inW;
      const x2 = r.run('Reshape', { x }, { shape: [plane, g.inC] });
      const xT = r.run('Transpose', { x: x2 }, { perm: [1, 0] }); // [Ci, B·H·W]
      const dy2 = r.run('Reshape', { x: dy }, { shape: [g.batch * perImage, g.outC] });
      const chunk = Math.max(1, Math.min(g.batch, Math.round(filterChunkColumns(g.outC) / Math.max(1, perImage))));
      let sum: TensorInfo | null = null;
      for (let b0 = 0; b0 < g.batch; b0 += chunk) {
        const images = Math.min(chunk, g.batch - b0);
        const cols = images * perImage;
        const patches = r.adopt(backend.makeOutput([rows, cols], 'float32'));
        // The chunk's rows of dy, copied on the heap (wasm Slice reads the whole tensor out first).
        const part = images === g.batch ? dy2 : r.adopt(backend.makeOutput([cols, g.outC], 'float32'));
        // Views after the allocations (the heap's buffer is replaced when it grows).
        const source = backend.typedArrayFromHeap(xT);
        const heap = new Float32Array(source.buffer);
        const srcImage = (source.byteOffset >> 2) + b0 * g.inH * g.inW;
        im2colTransposed(heap, srcImage, plane, backend.typedArrayFromHeap(patches).byteOffset >> 2, { ...g, batch: images });
        if (part !== dy2) {
          const from = (backend.typedArrayFromHeap(dy2).byteOffset >> 2) + b0 * perImage * g.outC;
          heap.copyWithin(backend.typedArrayFromHeap(part).byteOffset >> 2, from, from + cols * g.outC);
        }
        const product = r.run('BatchMatMul', { a: patches, b: part }, { transposeA: false, transposeB: false });
        // Free each chunk's operands at once: only one chunk of Xᵀ is alive at a time.
        r.free(patches);
        if (part !== dy2) r.free(part);
        if (sum === null) sum = product;
        else {
          const next = r.run('Add', { a: sum, b: product });
          r.free(sum);
          r.free(product);
          sum = next;
        }
      }
      if (sum === null) throw new ConvKernelError('Conv2DBackpropFilter (wasm): empty batch');
      return r.keep(r.run('Reshape', { x: sum }, { shape: [g.fh, g.fw, g.inC, g.outC] }));
    } finally {
      r.release();
    }
  };
}

/**
 * The earlier form (`backpropFilter: 'batch-conv'`): one XNNPACK convolution in which the batch
 * axis is the contraction: input xᵀ [Ci, Hp, Wp, B] (Ci images with B channels), filter
 * dyᵀ [Ho, Wo, B, Co], dilation = the forward stride, 'valid' → [Ci, fh, fw, Co], then
 * transposed to [fh, fw, Ci, Co].
 */
function makeBackpropFilterBatchConv(tf: Tf): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const { filterShape } = args.attrs as unknown as { filterShape: [number, number, number, number] };
    const g = geometry(tf, 'Conv2DBackpropFilter', x.shape, filterShape, args.attrs ?? {});
    const r = new KernelRunner(tf, args.backend);
    try {
      // Padded extent the taps read: (Ho − 1)·s + f. Rows past it ('valid' leftovers) are cropped.
      const needH = (g.outH - 1) * g.sh + g.fh;
      const needW = (g.outW - 1) * g.sw + g.fw;
      const bottom = needH - g.inH - g.padTop;
      const right = needW - g.inW - g.padLeft;
      let xc = x;
      if (bottom < 0 || right < 0) {
        xc = r.run('Slice', { x }, { begin: [0, 0, 0, 0], size: [g.batch, g.inH + Math.min(0, bottom), g.inW + Math.min(0, right), g.inC] });
      }
      const xT = r.run('Transpose', { x: xc }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, B]
      const dyT = r.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, B, Co]
      const pad = [[0, 0], [g.padTop, Math.max(0, bottom)], [g.padLeft, Math.max(0, right)], [0, 0]];
      const out = r.run(
        'Conv2D',
        { x: xT, filter: dyT },
        { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [g.sh, g.sw], dimRoundingMode: undefined },
      ); // [Ci, fh, fw, Co]
      return r.keep(r.run('Transpose', { x: out }, { perm: [1, 2, 0, 3] }));
    } finally {
      r.release();
    }
  };
}

/**
 * dx = conv2d(dilate(dy, s), rot180(W) with in/out channels swapped), stride 1, explicit padding
 * (fh − 1 − padTop, chosen bottom so that the output has the input's height; same for width).
 */
function makeBackpropInput(tf: Tf): KernelFunc {
  return (args) => {
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const { inputShape } = args.attrs as unknown as { inputShape: [number, number, number, number] };
    const g = geometry(tf, 'Conv2DBackpropInput', inputShape, filter.shape, args.attrs ?? {});
    const r = new KernelRunner(tf, args.backend);
    try {
      let dyd = dy;
      const dilH = (g.outH - 1) * g.sh + 1;
      const dilW = (g.outW - 1) * g.sw + 1;
      if (g.sh > 1 || g.sw > 1) {
        // Insert (s − 1) zeros after every row/column: [B,Ho,1,Wo,1,C] → pad → [B,Ho·sh,Wo·sw,C].
        const six = r.run('Reshape', { x: dy }, { shape: [g.batch, g.outH, 1, g.outW, 1, g.outC] });
        const padded = r.run(
          'PadV2',
          { x: six },
          { paddings: [[0, 0], [0, 0], [0, g.sh - 1], [0, 0], [0, g.sw - 1], [0, 0]], constantValue: 0 },
        );
        const spread = r.run('Reshape', { x: padded }, { shape: [g.batch, g.outH * g.sh, g.outW * g.sw, g.outC] });
        dyd = r.run('Slice', { x: spread }, { begin: [0, 0, 0, 0], size: [g.batch, dilH, dilW, g.outC] });
      }
      const top = g.fh - 1 - g.padTop;
      const left = g.fw - 1 - g.padLeft;
      const bottom = g.inH - dilH - top + g.fh - 1;
      const right = g.inW - dilW - left + g.fw - 1;
      if (top < 0 || left < 0 || bottom < 0 || right < 0) {
        throw new ConvKernelError(
          `Conv2DBackpropInput (wasm): padding (${g.padTop}, ${g.padLeft}) larger than the filter is not supported`,
        );
      }
      const flipped = r.run('Reverse', { x: filter }, { dims: [0, 1] });
      const swapped = r.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [fh, fw, Co, Ci]
      return r.keep(
        r.run(
          'Conv2D',
          { x: dyd, filter: swapped },
          {
            strides: [1, 1],
            pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
            dataFormat: 'NHWC',
            dilations: [1, 1],
            dimRoundingMode: undefined,
          },
        ),
      );
    } finally {
      r.release();
    }
  };
}

/**
 * Registers the conv kernels described at the top of this file for the 'wasm' backend, and
 * (unless `training: false`) the companion gradients and kernels of conv-training.ts.
 * Idempotent; cheap to call before every model build or load; a later call with other options
 * switches to them. Call it after `initBackend()` (importing tfjs-backend-wasm is what registers
 * the kernels these build on). Returns the conv kernel names now served by this module (empty
 * when the wasm backend is absent).
 */
export function registerConvKernels(tf: Tf, options: ConvKernelOptions = {}): string[] {
  if (tf.getKernel('Conv2D', 'wasm') === undefined) return [];
  const form = options.backpropFilter ?? 'im2col';
  if (form !== 'im2col' && form !== 'batch-conv') {
    throw new ConvKernelError(`registerConvKernels: backpropFilter must be 'im2col' or 'batch-conv', got '${String(form)}'`);
  }
  patch ??= new RegistryPatch(tf, 'isac-twin.convKernels');
  if (filterForm !== form) {
    patch.restoreKernel('Conv2DBackpropFilter');
    filterForm = form;
  }
  patch.kernel('Conv2DBackpropFilter', () => (form === 'im2col' ? makeBackpropFilterIm2col(tf) : makeBackpropFilterBatchConv(tf)));
  if (options.backpropInput === false) patch.restoreKernel('Conv2DBackpropInput');
  else patch.kernel('Conv2DBackpropInput', () => makeBackpropInput(tf));
  if (options.training === false) {
    // fast-gradients.ts saved the companion's LeakyRelu gradient when it registered after it:
    // remove it first, so that the companion then restores tfjs's own.
    if (ownsFastGradients) unregisterFastGradients(tf);
    ownsFastGradients = false;
    unregisterConvTraining(tf);
  } else {
    registerConvTraining(tf);
    if (!fastGradientsActive(tf)) {
      registerFastGradients(tf);
      ownsFastGradients = true;
    }
  }
  return convKernelsActive(tf);
}

/** Restores the wasm kernel and gradient registries as they were before `registerConvKernels`. Idempotent. */
export function unregisterConvKernels(tf: Tf): void {
  if (ownsFastGradients) unregisterFastGradients(tf); // first: see registerConvKernels
  ownsFastGradients = false;
  unregisterConvTraining(tf);
  if (patch === null) return;
  patch.restore();
  patch = null;
  filterForm = null;
}

/** Conv kernel names currently served by this module on 'wasm'. */
export function convKernelsActive(tf: Tf): string[] {
  return patch === null ? [] : HANDLED.filter((name) => (patch as RegistryPatch).servesKernel(name));
}

/** What `registerConvKernels` has installed right now (for logs and benches). */
export function convRegistration(tf: Tf): { kernels: string[]; backpropFilter: BackpropFilterForm | null; training: boolean } {
  const kernels = convKernelsActive(tf);
  return { kernels, backpropFilter: kernels.includes('Conv2DBackpropFilter') ? filterForm : null, training: convTrainingActive(tf) };
}

/** Conv kernels a training conv net needs that the wasm backend does not have right now. */
export function missingWasmConvKernels(tf: Tf): string[] {
  const needed = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedBatchNorm', ...WASM_MISSING_CONV_KERNELS];
  return [...new Set(needed)].filter((name) => tf.getKernel(name, 'wasm') === undefined);
}
