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
 *   Conv2DBackpropFilter  one XNNPACK Conv2D with the batch as the contracted channel axis:
 *                         transpose(x) [Ci, H, W, B] convolved with transpose(dy) [Ho, Wo, B, Co]
 *                         as the filter, dilation = stride, explicit padding → [Ci, fh, fw, Co],
 *                         transposed to [fh, fw, Ci, Co]. No im2col matrix, nothing read to JS.
 *   Conv2DBackpropInput   replaces the naive wasm loop: dy is dilated by the stride (zeros
 *                         inserted with a reshape + PadV2 + reshape), then a stride-1 XNNPACK
 *                         Conv2D with the filter rotated by 180° and its channel axes swapped
 *                         (Reverse + Transpose), with explicit padding (fh−1−pad_top, …). This is
 *                         the forward pass of `conv2dTranspose` too. Set
 *                         `{ backpropInput: false }` to keep the stock kernel.
 *
 * Every intermediate is a wasm tensor made by a wasm kernel and freed before the kernel returns;
 * nothing is read back to JavaScript. `unregisterConvKernels` restores the previous registry.
 */
import type { DataId, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

export type Tf = typeof import('@tensorflow/tfjs');

/** Raised for inputs these kernels do not handle; the message names the kernel and the cause. */
export class ConvKernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvKernelError';
  }
}

export interface ConvKernelOptions {
  /** Replace the wasm backend's naive Conv2DBackpropInput with the XNNPACK-based one (default true). */
  backpropInput?: boolean;
}

/** Kernels a training conv net needs that tfjs-backend-wasm 4.22 does not register. */
export const WASM_MISSING_CONV_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
] as const;

const MARK = Symbol.for('isac-twin.convKernels');
const HANDLED = ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const;

/** Registry entries replaced by `registerConvKernels` (undefined: there was none). */
let saved: Map<string, KernelConfig | undefined> | null = null;

interface WasmBackendLike {
  disposeData(dataId: DataId): unknown;
}

type PadSpec = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvGeometry {
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
 * dW[kh, kw, ci, co] = Σ_{b,i,j} x_p[b, i·sh + kh, j·sw + kw, ci] · dy[b, i, j, co], with x_p the
 * zero-padded input, computed as one XNNPACK convolution in which the batch axis is the
 * contraction: input xᵀ [Ci, Hp, Wp, B] (Ci images with B channels), filter dyᵀ [Ho, Wo, B, Co],
 * dilation = the forward stride, 'valid' → [Ci, fh, fw, Co], then transposed to [fh, fw, Ci, Co].
 * (Measured at B·Ho·Wo = 48 000 rows, Ci 128, Co 64: ≈ 0.4 s; the per-tap slice + matMul form
 * took 4.5 s, its slices run in JavaScript and each new right operand is re-packed.)
 */
function makeBackpropFilter(tf: Tf): KernelFunc {
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
 * Registers the conv kernels described at the top of this file for the 'wasm' backend.
 * Idempotent; cheap to call before every model build or load. Call it after
 * `initBackend()` (importing tfjs-backend-wasm is what registers the kernels these build on).
 * Returns the kernel names now served by this module (empty when the wasm backend is absent).
 */
export function registerConvKernels(tf: Tf, options: ConvKernelOptions = {}): string[] {
  if (tf.getKernel('Conv2D', 'wasm') === undefined) return [];
  const wanted: Array<[string, () => KernelFunc]> = [['Conv2DBackpropFilter', () => makeBackpropFilter(tf)]];
  if (options.backpropInput !== false) wanted.push(['Conv2DBackpropInput', () => makeBackpropInput(tf)]);
  if (saved === null) saved = new Map();
  for (const [name, make] of wanted) {
    const current = tf.getKernel(name, 'wasm');
    if (isOurs(current)) continue;
    if (!saved.has(name)) saved.set(name, current);
    if (current !== undefined) tf.unregisterKernel(name, 'wasm');
    const config: KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc: make() };
    Object.defineProperty(config, MARK, { value: true });
    tf.registerKernel(config);
  }
  // A later call with backpropInput: false restores the stock kernel.
  if (options.backpropInput === false && isOurs(tf.getKernel('Conv2DBackpropInput', 'wasm'))) {
    restore(tf, 'Conv2DBackpropInput');
  }
  return HANDLED.filter((name) => isOurs(tf.getKernel(name, 'wasm')));
}

/** Restores the wasm kernel registry as it was before `registerConvKernels`. Idempotent. */
export function unregisterConvKernels(tf: Tf): void {
  if (saved === null) return;
  for (const name of [...saved.keys()]) restore(tf, name);
  saved = null;
}

/** Kernel names currently served by this module on 'wasm'. */
export function convKernelsActive(tf: Tf): string[] {
  return HANDLED.filter((name) => isOurs(tf.getKernel(name, 'wasm')));
}

/** Conv kernels a training conv net needs that the wasm backend does not have right now. */
export function missingWasmConvKernels(tf: Tf): string[] {
  const needed = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedBatchNorm', ...WASM_MISSING_CONV_KERNELS];
  return [...new Set(needed)].filter((name) => tf.getKernel(name, 'wasm') === undefined);
}

function restore(tf: Tf, name: string): void {
  if (saved === null || !saved.has(name)) return;
  const original = saved.get(name);
  if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
  if (original !== undefined) tf.registerKernel(original);
  saved.delete(name);
}

function isOurs(config: object | undefined): boolean {
  return config !== undefined && (config as { [MARK]?: boolean })[MARK] === true;
}
