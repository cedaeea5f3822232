/**
 * The GNN trainer's SIMD kernels (graph-kernels-wat.ts) on the tfjs-wasm heap: the module imports
 * the backend's WebAssembly.Memory, so tensors are read and written in place — no copy in or out.
 * Outputs are fresh tensors (`tf.zeros`, never shared) written by the kernels. Available only on
 * the wasm backend (`GraphKernels.on(tf)` is undefined elsewhere) and for widths that are
 * multiples of 4 floats (the trainer checks; it falls back to its JavaScript loops otherwise).
 */
import type { Tensor } from '@tensorflow/tfjs';
import { GRAPH_KERNELS_BASE64 } from './graph-kernels.wasm.ts';

export type Tf = typeof import('@tensorflow/tfjs');

interface Exports {
  edge_fwd(out: number, y: number, p: number, q: number, gate: number, e0: number, B: number, M: number, U: number, k: number, pStride: number, pOff: number, S0: number, alpha: number): void;
  edge_bwd(dz: number, dP: number, dQ: number, dE: number, dxA: number, dxU: number, gate: number, B: number, M: number, U: number, k: number, pStride: number, pOff: number, wA: number, aOff: number, wU: number, sA: number, sM: number, hasNext: number): void;
  vertex_in(xa: number, xu: number, xt: number, eu: number, et: number, va: number, vu: number, vt: number, B: number, M: number, U: number, F: number, D: number, sA: number, sM: number): void;
  vertex_grad(out: number, from: number, next: number, bias: number, rows: number, d: number, width: number, offset: number): void;
  col_sum(out: number, src: number, rows: number, k: number): void;
}

/** The parts of tfjs-backend-wasm's backend the kernels use. */
interface WasmBackendLike {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

let compiled: WebAssembly.Module | undefined;

export class GraphKernels {
  private constructor(
    readonly k: Exports,
    private readonly backend: WasmBackendLike,
  ) {}

  /** The kernels on tf's active wasm backend, or undefined (another backend, or an unknown wasm build). */
  static on(tf: Tf): GraphKernels | undefined {
    if (tf.getBackend() !== 'wasm') return undefined;
    const be = tf.backend() as unknown as Partial<WasmBackendLike>;
    const memory = be.wasm?.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory) || typeof be.dataIdMap?.get !== 'function') return undefined;
    compiled ??= new WebAssembly.Module(Buffer.from(GRAPH_KERNELS_BASE64, 'base64'));
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    return new GraphKernels(instance.exports as unknown as Exports, be as WasmBackendLike);
  }

  /** Byte offset of a tensor's values on the heap (aligned: the heap allocator returns 16-byte blocks). */
  ptr(t: Tensor): number {
    const d = this.backend.dataIdMap.get(t.dataId as object);
    if (!d) throw new Error('GraphKernels: a tensor of another backend');
    return d.memoryOffset;
  }
}

/** The text compiled with wabt (a devDependency: tests and regeneration only). */
export async function compileKernels(): Promise<Uint8Array> {
  const { GRAPH_KERNELS_WAT } = await import('./graph-kernels-wat.ts');
  const wabt = await (await import('wabt')).default();
  const mod = wabt.parseWat('graph-kernels.wat', GRAPH_KERNELS_WAT, { simd: true, bulk_memory: true });
  try {
    mod.validate();
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

/** The content of graph-kernels.wasm.ts for the current text. */
export async function embeddedKernelsSource(): Promise<string> {
  const b64 = Buffer.from(await compileKernels()).toString('base64');
  const lines = (b64.match(/.{1,100}/g) ?? []).map((l) => `  '${l}' +`).join('\n');
  return `// Generated from graph-kernels-wat.ts: do not edit (see that file to regenerate).\nexport const GRAPH_KERNELS_BASE64 =\n${lines}\n  '';\n`;
}

/** Regenerates graph-kernels.wasm.ts. */
export async function writeEmbeddedKernels(): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(new URL('./graph-kernels.wasm.ts', import.meta.url), await embeddedKernelsSource());
}
