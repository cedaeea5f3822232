/**
 * Fast inference of a saved per-BS MLP for the twin's loop: one decision = one input vector.
 *
 * The weights are read synchronously from the tfjs files (model-store.ts) into Dense layers
 * (kernel [in, out] row-major, bias [out]). With an active tfjs backend (normally wasm) each
 * decision is one tidy chain of fused matMul + bias + LeakyReLU kernels (≈ 0.1 ms for 4×512 on
 * wasm); without one, a plain JavaScript loop computes the same (≈ 1 ms), so the policies work
 * wherever they are created. Dropout layers are identities at inference. `runBatch` evaluates many
 * inputs at once (figures).
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
  const topo = json.modelTopology as { config?: { layers?: Array<{ class_name: string; config: { name: string; alpha?: number } }> } };
  const layerDefs = topo.config?.layers ?? [];
  const layers: DenseLayer[] = [];
  let leakyAlpha = 0.2;
  for (const l of layerDefs) {
    if (l.class_name === 'LeakyReLU' && l.config.alpha !== undefined) leakyAlpha = l.config.alpha;
    if (l.class_name !== 'Dense') continue;
    const kernel = arrays.get(`${l.config.name}/kernel`);
    const bias = arrays.get(`${l.config.name}/bias`);
    if (!kernel || !bias) throw new Error(`weights of layer ${l.config.name} are missing`);
    layers.push({ inDim: kernel.shape[0], outDim: kernel.shape[1], kernel: kernel.data, bias: bias.data });
  }
  if (layers.length === 0) throw new Error('the model has no Dense layers');
  return { layers, leakyAlpha };
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
    }
  }

  /** Raw output (before power normalisation) for a batch of inputs [n, inDim] row-major. */
  runBatch(x: Float32Array, n: number): Float32Array {
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
    this.tfWeights?.forEach((w) => {
      w.kernel.dispose();
      w.bias.dispose();
    });
  }
}
