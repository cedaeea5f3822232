/**
 * The element-wise training kernels of train-kernels.wat (WebAssembly SIMD), with the memory they
 * work in. One instance per optimiser or chain: its memory holds that owner's persistent arrays
 * (Adam moments) and grow-only scratch areas, so a training step allocates no JavaScript memory
 * for them — large typed arrays allocated per step were what made the JavaScript versions slow
 * (garbage collection of external memory), more than the arithmetic.
 *
 * Tensors are read without a copy on the wasm backend (a view on its heap, `readTensorInto`) and
 * through `dataSync` elsewhere.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { WASM_BASE64 } from './train-kernels.wasm.ts';

export type Tf = typeof import('@tensorflow/tfjs');

interface Exports {
  memory: WebAssembly.Memory;
  adam(w: number, g: number, m: number, v: number, n: number, wd: number, b1: number, a1: number, b2: number, a2: number, c1: number, c2: number, lr: number, eps: number): void;
  gate(y: number, mask: number, gate: number, n: number, alpha: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** A region of the kernels' memory: byte offset and capacity in floats (a multiple of 4). */
export interface Region {
  offset: number;
  capacity: number;
}

export class TrainKernels {
  private readonly k: Exports;
  private top = 16; // keep offset 0 free: a zero offset is never a valid region

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    this.k = new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
  }

  /** A new region for `n` floats (rounded up to a multiple of 4, 16-byte aligned, zeroed). */
  alloc(n: number): Region {
    const capacity = Math.ceil(n / 4) * 4;
    const offset = this.top;
    this.top += 4 * capacity;
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) this.k.memory.grow(Math.ceil((this.top - have) / 65536));
    return { offset, capacity };
  }

  /** `r` if it holds `n` floats, else a new region that does (for grow-only scratch). */
  ensure(r: Region | undefined, n: number): Region {
    return r && r.capacity >= n ? r : this.alloc(Math.max(n, 2 * (r?.capacity ?? 0)));
  }

  /** A view of the first `n` floats of a region (taken anew: the memory's buffer changes when it grows). */
  view(r: Region, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, r.offset, n);
  }

  /** Adam with coupled decay in place on w, m, v (see the .wat); `g` is read, and changed. */
  adam(w: Region, g: Region, m: Region, v: Region, n: number, p: { weightDecay: number; beta1: number; beta2: number; c1: number; c2: number; learningRate: number; epsilon: number }): void {
    this.k.adam(w.offset, g.offset, m.offset, v.offset, n, p.weightDecay, p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.c1, p.c2, p.learningRate, p.epsilon);
  }

  /** gate ← (y > 0 ? 1 : α)·mask and y ← y·mask, over n floats. */
  gate(y: Region, mask: Region, gate: Region, n: number, alpha: number): void {
    this.k.gate(y.offset, mask.offset, gate.offset, n, alpha);
  }
}

/** The parts of tfjs-backend-wasm's backend used to read a tensor in place. */
interface WasmHeapReader {
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: string }): Float32Array;
}

/** Copies a float32 tensor's values into `dst` (a view of the same length): in place on wasm, via dataSync elsewhere. */
export function readTensorInto(tf: Tf, t: Tensor, dst: Float32Array): void {
  if (t.size !== dst.length) throw new Error(`readTensorInto: tensor has ${t.size} values, destination ${dst.length}`);
  const backend = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as Partial<WasmHeapReader>) : undefined;
  if (backend && typeof backend.typedArrayFromHeap === 'function' && t.dtype === 'float32') {
    dst.set(backend.typedArrayFromHeap(t as unknown as { dataId: object; shape: number[]; dtype: string }));
  } else {
    dst.set(t.dataSync() as Float32Array);
  }
}

/**
 * A tensor holding a copy of `values` (a view on kernel memory). The wasm backend copies into its
 * heap on creation; other backends may keep the array they are given, so they get a copy.
 */
export function tensorFrom(tf: Tf, values: Float32Array, shape: number[]): Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape, 'float32');
}
