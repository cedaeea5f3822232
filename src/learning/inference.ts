/**
 * Fast inference of a saved per-BS MLP for the twin's loop: one decision = one input vector.
 *
 * The weights are read synchronously from the tfjs files (model-store.ts) into Dense layers
 * (kernel [in, out] row-major, bias [out]). Three paths compute the same numbers:
 *  - wasm backend, one input (`run`): the fused matMul + bias + LeakyReLU kernel of
 *    tfjs-backend-wasm (XNNPACK) is called directly, layer after layer, on tensors allocated once
 *    (input, every layer's output). No tensor is created per decision and the tfjs engine is not
 *    involved, so a decision allocates almost nothing: ≈ 0.07 ms for 4×512 and no GC tail.
 *    This uses three internals of the wasm backend (its Emscripten `cwrap`, `dataIdMap` and
 *    `typedArrayFromHeap`, stable across 4.x); where any is missing the engine path is used.
 *  - any other tfjs backend, or batches (`runBatch`, figures): one tidy chain of
 *    `tf.fused.matMul` calls (≈ 0.1 ms per decision on wasm, plus the engine's garbage).
 *  - no tfjs at all: a plain JavaScript loop (≈ 1.8 ms), so the policies work wherever they
 *    are created.
 * Dropout layers are identities at inference.
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { readModelFiles, type ModelJson } from './model-store.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface DenseLayer {
  inDim: number;
  outDim: number;
  /** [inDim, outDim] row-major */ kernel: Float32Array;
  /** [outDim] */ bias: Float32Array;
}

/** The Dense layers of a saved model, in order (LeakyReLU between them, none after the last). */
export function readDenseLayers(dir: string): { layers: DenseLayer[]; leakyAlpha: number } {
  const { json, weightData } = readModelFiles(dir);
  return denseLayersFrom(json, weightData);
}

export function denseLayersFrom(json: ModelJson, weightData: ArrayBuffer): { layers: DenseLayer[]; leakyAlpha: number } {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== 'float32') throw new Error(`${s.name}: unsupported dtype ${s.dtype}`);
    arrays.set(s.name, { shape: s.shape, data: new Float32Array(weightData.slice(off, off + 4 * n)) });
    off += 4 * n;
  }
  const topo = json.modelTopology as {
    class_name?: string;
    config?: { layers?: Array<{ class_name: string; config: { name: string; alpha?: number; activation?: string; use_bias?: boolean } }> };
  };
  if (topo.class_name !== undefined && topo.class_name !== 'Sequential') {
    throw new ModelLoadError(`the MLP loader reads Sequential models; this one is a ${topo.class_name}`);
  }
  const layerDefs = topo.config?.layers ?? [];
  const layers: DenseLayer[] = [];
  let leakyAlpha: number | undefined;
  for (const [i, l] of layerDefs.entries()) {
    const where = `layer ${i} "${l.config.name}"`;
    if (!MLP_LAYER_CLASSES.includes(l.class_name)) {
      throw new ModelLoadError(`${where} is a ${l.class_name}, which the MLP loader does not implement (it reads ${MLP_LAYER_CLASSES.join(', ')})`);
    }
    if (l.class_name === 'LeakyReLU') {
      const alpha = l.config.alpha ?? 0.3; // tfjs's default slope
      if (leakyAlpha !== undefined && alpha !== leakyAlpha) throw new ModelLoadError(`${where}: LeakyReLU slopes differ between layers (${leakyAlpha}, ${alpha})`);
      leakyAlpha = alpha;
      if (layers.length === 0) throw new ModelLoadError(`${where}: a LeakyReLU before the first Dense layer`);
    }
    if (l.class_name !== 'Dense') continue;
    if ((l.config.activation ?? 'linear') !== 'linear') {
      throw new ModelLoadError(`${where}: Dense activation "${l.config.activation}" is not implemented (the MLP loader applies LeakyReLU layers between linear Dense layers)`);
    }
    if (l.config.use_bias === false) throw new ModelLoadError(`${where}: a Dense layer without bias is not implemented`);
    const prev = layerDefs[i - 1];
    if (layers.length > 0 && prev?.class_name !== 'LeakyReLU' && layerDefs[i - 2]?.class_name !== 'LeakyReLU') {
      throw new ModelLoadError(`${where}: two Dense layers without a LeakyReLU between them`);
    }
    const kernel = arrays.get(`${l.config.name}/kernel`);
    const bias = arrays.get(`${l.config.name}/bias`);
    if (!kernel || !bias) throw new Error(`weights of layer ${l.config.name} are missing`);
    layers.push({ inDim: kernel.shape[0], outDim: kernel.shape[1], kernel: kernel.data, bias: bias.data });
  }
  if (layers.length === 0) throw new ModelLoadError('the model has no Dense layers');
  const last = layerDefs[layerDefs.length - 1];
  if (last.class_name !== 'Dense') throw new ModelLoadError(`the last layer "${last.config.name}" is a ${last.class_name}: the MLP loader expects a linear Dense output`);
  for (let k = 1; k < layers.length; k++) {
    if (layers[k].inDim !== layers[k - 1].outDim) throw new ModelLoadError(`Dense layer ${k} takes ${layers[k].inDim} inputs but layer ${k - 1} gives ${layers[k - 1].outDim}`);
  }
  return { layers, leakyAlpha: leakyAlpha ?? 0.2 };
}

/** The layer classes the MLP loader implements (anything else is refused, naming the layer). */
export const MLP_LAYER_CLASSES: readonly string[] = ['Dense', 'LeakyReLU', 'Dropout'];

/** A model file the loader cannot run faithfully; the message names the layer. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** Runs one MLP; `tf` (an initialised backend) makes it fast, without it plain JS is used. */
export class MlpRunner {
  readonly inDim: number;
  readonly outDim: number;
  private readonly tfWeights?: Array<{ kernel: Tensor2D; bias: Tensor }>;
  private readonly buffers: Float32Array[];

  constructor(
    private readonly layers: DenseLayer[],
    private readonly leakyAlpha: number,
    private readonly tf?: Tf,
  ) {
    this.inDim = layers[0].inDim;
    this.outDim = layers[layers.length - 1].outDim;
    this.buffers = layers.map((l) => new Float32Array(l.outDim));
    if (tf) {
      this.tfWeights = layers.map((l) => ({
        kernel: tf.keep(tf.tensor2d(l.kernel, [l.inDim, l.outDim])),
        bias: tf.keep(tf.tensor1d(l.bias)),
      }));
      this.direct = directWasmChain(tf, this.tfWeights, leakyAlpha);
    }
  }

  private readonly direct?: DirectChain;

  /** True when one-input calls go straight to the wasm kernels (see the module comment). */
  get directWasm(): boolean {
    return this.direct !== undefined;
  }

  /** Raw output (before power normalisation) for a batch of inputs [n, inDim] row-major. */
  runBatch(x: Float32Array, n: number): Float32Array {
    if (x.length !== n * this.inDim) throw new Error(`MLP input has ${x.length} values, expected ${n} × ${this.inDim}`);
    if (this.tf && this.tfWeights) {
      const tf = this.tf;
      const w = this.tfWeights;
      const out = tf.tidy(() => {
        let h: Tensor2D = tf.tensor2d(x, [n, this.inDim]);
        w.forEach((l, i) => {
          const last = i === w.length - 1;
          h = tf.fused.matMul({ a: h, b: l.kernel, bias: l.bias, activation: last ? 'linear' : 'leakyrelu', leakyreluAlpha: this.leakyAlpha }) as Tensor2D;
        });
        return h;
      });
      const data = out.dataSync() as Float32Array;
      out.dispose();
      return data;
    }
    const res = new Float32Array(n * this.outDim);
    for (let s = 0; s < n; s++) res.set(this.runJs(x.subarray(s * this.inDim, (s + 1) * this.inDim)), s * this.outDim);
    return res;
  }

  /** Raw output for one input. */
  run(x: Float32Array): Float32Array {
    if (x.length !== this.inDim) throw new Error(`MLP input has ${x.length} values, expected ${this.inDim}`);
    const direct = this.direct?.run(x);
    if (direct) return direct;
    return this.tf ? this.runBatch(x, 1) : this.runJs(x).slice();
  }

  private runJs(x: Float32Array): Float32Array {
    let h = x;
    this.layers.forEach((l, li) => {
      const o = this.buffers[li];
      o.set(l.bias);
      const { kernel, outDim } = l;
      for (let i = 0; i < l.inDim; i++) {
        const xi = h[i];
        if (xi === 0) continue;
        const off = i * outDim;
        for (let j = 0; j < outDim; j++) o[j] += xi * kernel[off + j];
      }
      if (li < this.layers.length - 1) {
        for (let j = 0; j < outDim; j++) if (o[j] < 0) o[j] *= this.leakyAlpha;
      }
      h = o;
    });
    return h;
  }

  dispose(): void {
    this.direct?.dispose();
    this.tfWeights?.forEach((w) => {
      w.kernel.dispose();
      w.bias.dispose();
    });
  }
}

/** The parts of tfjs-backend-wasm's `BackendWasm` the direct path uses. */
interface WasmBackendInternals {
  wasm: { cwrap: (name: string, ret: null, args: string[]) => (...args: unknown[]) => void };
  dataIdMap: { get(dataId: object): { id: number } | undefined };
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: string }): Float32Array;
}

interface DirectChain {
  /** The raw output, or null when the direct path cannot run now (see `directWasmChain`). */
  run(x: Float32Array): Float32Array | null;
  dispose(): void;
}

/** Activation codes of tfjs-backend-wasm's fused kernels (cc/fusable_activations.h). */
const WASM_ACTIVATION = { linear: 0, leakyrelu: 4 } as const;

/**
 * One-input inference straight through the wasm backend's `_FusedMatMul` kernel, or undefined
 * when the active backend is not wasm or does not expose what is needed. The input and each
 * layer's output are tensors kept for the runner's life; a call writes the input into the wasm
 * heap, runs one kernel per layer (weights as 3-D [1, in, out] operands, bias, activation), and
 * copies the last output out. XNNPACK caches its packed weights per weight tensor, as on the
 * engine path.
 */
function directWasmChain(tf: Tf, weights: Array<{ kernel: Tensor2D; bias: Tensor }>, leakyAlpha: number): DirectChain | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<WasmBackendInternals>;
  if (typeof backend.wasm?.cwrap !== 'function' || typeof backend.typedArrayFromHeap !== 'function' || typeof backend.dataIdMap?.get !== 'function') return undefined;
  const b = backend as WasmBackendInternals;
  let fused: (...args: unknown[]) => void;
  try {
    // The signature of FusedMatMul in tfjs-backend-wasm 4.x (kernels/_FusedMatMul.ts).
    fused = b.wasm.cwrap('_FusedMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']);
  } catch {
    return undefined;
  }
  const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);
  const idOf = (t: Tensor) => b.dataIdMap.get(t.dataId)?.id;
  const inDim = weights[0].kernel.shape[0];
  const input = tf.keep(tf.zeros([1, 1, inDim])) as Tensor;
  const outputs = weights.map((w) => tf.keep(tf.zeros([1, 1, w.kernel.shape[1]])) as Tensor);
  const steps = weights.map((w, i) => {
    const [rows, cols] = w.kernel.shape;
    const a = i === 0 ? input : outputs[i - 1];
    return {
      aId: idOf(a),
      aShape: shapeBytes([1, 1, rows]),
      bId: idOf(w.kernel),
      bShape: shapeBytes([1, rows, cols]),
      biasId: idOf(w.bias),
      activation: i === weights.length - 1 ? WASM_ACTIVATION.linear : WASM_ACTIVATION.leakyrelu,
      outId: idOf(outputs[i]),
    };
  });
  if (steps.some((st) => [st.aId, st.bId, st.biasId, st.outId].some((id) => typeof id !== 'number'))) {
    tf.dispose([input, ...outputs]);
    return undefined;
  }
  const last = outputs[outputs.length - 1];
  // tfjs moves a tensor's data to another backend when an op there reads it (and may move it back
  // under a new id): then the ids above are stale and the engine path must run instead.
  const operands = [input, ...outputs, ...weights.flatMap((w) => [w.kernel, w.bias])].map((t) => ({ t, id: idOf(t) }));
  return {
    run(x: Float32Array): Float32Array | null {
      if (x.length !== inDim) throw new Error(`MLP input has ${x.length} values, expected ${inDim}`);
      if (tf.getBackend() !== 'wasm' || operands.some((o) => idOf(o.t) !== o.id)) return null;
      // Views are taken per call: the wasm heap's buffer is replaced when the heap grows.
      b.typedArrayFromHeap(input).set(x);
      for (const st of steps) fused(st.aId, st.aShape, 3, st.bId, st.bShape, 3, false, false, st.activation, st.biasId, 0, leakyAlpha, st.outId);
      return b.typedArrayFromHeap(last).slice();
    },
    dispose(): void {
      tf.dispose([input, ...outputs]);
    },
  };
}
