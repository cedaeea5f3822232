/**
 * One-sample inference of the heterogeneous edge GNN (graph.ts) in plain JavaScript, for the
 * twin's per-slot decisions: the same eqs. (13)–(14) and per-AP normalisation as
 * `HeteroEdgeGnn.forward`, with the weights copied once into float32 arrays and float64
 * accumulation. At batch 1 a tfjs forward is ≈ 60 kernel launches; these loops are a few
 * hundred thousand multiply-adds (4 × 64 at M = 5), so they are faster and need no backend.
 * The numbers equal the tfjs forward to float32 rounding (tested).
 */
import type { io } from '@tensorflow/tfjs';
import { configFromTopology, GraphModelError, layerConfigs, type EdgeGnnLayerConfig, type HeteroEdgeGnn } from './graph.ts';

/** One layer's configuration and weights (float32, by name without the `l<i>/` prefix). */
export interface LayerArrays {
  readonly c: EdgeGnnLayerConfig;
  readonly w: ReadonlyMap<string, Float32Array>;
}

/** out[j] = b[j] + Σ_i x[i] W[i, j] for a row x (W row-major [n, cols]). */
export function affine(out: Float64Array, x: ArrayLike<number>, n: number, W: Float32Array, cols: number, b?: Float32Array): void {
  if (b) for (let j = 0; j < cols; j++) out[j] = b[j];
  else out.fill(0, 0, cols);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[j] += xi * W[r + j];
  }
}

export class GnnInference {
  private constructor(
    /** The layers' weights (read-only use: the split variant, gnn-split.ts, runs them vertex by vertex). */
    readonly layers: readonly LayerArrays[],
    readonly numTxAntennas: number,
    readonly epsilon: number,
  ) {}

  /** A copy of a model's current weights (later changes to the model are not seen). */
  static fromModel(model: HeteroEdgeGnn): GnnInference {
    const layers = model.layers.map((l) => {
      const w = new Map<string, Float32Array>();
      l.weightNames.forEach((full, i) => w.set(full.slice(l.prefix.length + 1), Float32Array.from(l.variables[i].dataSync() as Float32Array)));
      return { c: { ...l.config }, w };
    });
    return new GnnInference(layers, model.config.numTxAntennas, model.config.epsilon);
  }

  /**
   * From tf.io ModelArtifacts (`readEdgeGnnArtifacts`), without tfjs: the topology is checked as
   * the loader does (unknown classes and activations are refused, naming them), the weights are
   * read from the float32 little-endian data in manifest order.
   */
  static fromArtifacts(artifacts: io.ModelArtifacts): GnnInference {
    const config = configFromTopology(artifacts.modelTopology);
    const specs = artifacts.weightSpecs ?? [];
    const data = artifacts.weightData;
    if (!(data instanceof ArrayBuffer)) throw new GraphModelError('GnnInference: the artifacts carry no weight buffer');
    const byName = new Map<string, Float32Array>();
    let offset = 0;
    for (const sp of specs) {
      if (sp.dtype !== 'float32' || sp.quantization) throw new GraphModelError(`GnnInference: weight '${sp.name}' is ${sp.quantization ? 'quantised' : sp.dtype}, not float32`);
      const n = sp.shape.reduce((x, y) => x * y, 1);
      if (offset + 4 * n > data.byteLength) throw new GraphModelError(`GnnInference: weight '${sp.name}' runs past the end of the weight data`);
      byName.set(sp.name, new Float32Array(data.slice(offset, offset + 4 * n)));
      offset += 4 * n;
    }
    if (offset !== data.byteLength) throw new GraphModelError(`GnnInference: ${data.byteLength - offset} bytes of weight data are not in the manifest`);
    const cfgs = layerConfigs(config);
    const layers = cfgs.map((c, i) => {
      const prefix = `l${i + 1}/`;
      const w = new Map<string, Float32Array>();
      for (const [name, values] of byName) if (name.startsWith(prefix)) w.set(name.slice(prefix.length), values);
      return { c, w };
    });
    // the same weights, shapes and nothing else as the model this config builds
    const want = new Map<string, number>();
    cfgs.forEach((c, i) => {
      const F = c.edgeIn, D = c.vertexIn, d = c.vertexUnits, k = c.edgeUnits;
      const sizes: Record<string, number> = {
        'vertex_ap/kernel': (2 * F + D) * d, 'vertex_ap/bias': d, 'vertex_ue/kernel': (F + D) * d, 'vertex_ue/bias': d, 'vertex_target/kernel': (F + D) * d, 'vertex_target/bias': d,
        'edge_ue/kernel_ap': d * k, 'edge_ue/kernel_ue': d * k, 'edge_ue/kernel_edge': F * k, 'edge_ue/bias': k,
        'edge_target/kernel_ap': d * k, 'edge_target/kernel_target': d * k, 'edge_target/kernel_edge': F * k, 'edge_target/bias': k,
      };
      for (const [n, size] of Object.entries(sizes)) want.set(`l${i + 1}/${n}`, size);
    });
    for (const [name, size] of want) {
      const got = byName.get(name);
      if (!got) throw new GraphModelError(`GnnInference: weight '${name}' is missing`);
      if (got.length !== size) throw new GraphModelError(`GnnInference: weight '${name}' has ${got.length} values, expected ${size}`);
    }
    const extra = [...byName.keys()].find((n) => !want.has(n));
    if (extra) throw new GraphModelError(`GnnInference: unexpected weight '${extra}'`);
    return new GnnInference(layers, config.numTxAntennas, config.epsilon ?? 1e-12);
  }

  /**
   * Normalised beams of one sample. h [M, U, 2N_t] and a [M, 2N_t] stacked [Re; Im] (graph.ts's
   * inputs without the batch axis), power [M]. Returns ue [M, U, 2N_t] and target [M, 2N_t].
   */
  forward(h: Float32Array, a: Float32Array, M: number, U: number, power: ArrayLike<number>): { ue: Float32Array; target: Float32Array } {
    const F0 = 2 * this.numTxAntennas;
    if (h.length !== M * U * F0 || a.length !== M * F0 || power.length !== M) throw new Error(`GnnInference: inputs of ${h.length}, ${a.length}, ${power.length} values for M = ${M}, U = ${U}, 2N_t = ${F0}`);
    let eU: Float32Array = h; // [M·U, F]
    let eT: Float32Array = a; // [M, F]
    let vA = new Float32Array(0);
    let vU = new Float32Array(0);
    let vT = new Float32Array(0);
    for (const { c, w } of this.layers) {
      const F = c.edgeIn;
      const D = c.vertexIn;
      const d = c.vertexUnits;
      const k = c.edgeUnits;
      const S0 = c.skipDim;
      const sA = c.aggregation === 'mean' ? 1 / U : 1;
      const sM = c.aggregation === 'mean' ? 1 / M : 1;
      const W = (n: string) => w.get(n) as Float32Array;
      // (13) vertex updates
      const nA = new Float32Array(M * d);
      const nU = new Float32Array(U * d);
      const nT = new Float32Array(d);
      const acc = new Float64Array(Math.max(d, k));
      const xA = new Float64Array(2 * F + D);
      for (let m = 0; m < M; m++) {
        xA.fill(0);
        for (let u = 0; u < U; u++) for (let j = 0; j < F; j++) xA[j] += eU[(m * U + u) * F + j];
        for (let j = 0; j < F; j++) {
          xA[j] *= sA;
          xA[F + j] = eT[m * F + j];
        }
        for (let j = 0; j < D; j++) xA[2 * F + j] = vA[m * D + j];
        affine(acc, xA, 2 * F + D, W('vertex_ap/kernel'), d, W('vertex_ap/bias'));
        for (let j = 0; j < d; j++) nA[m * d + j] = acc[j];
      }
      const xU = new Float64Array(F + D);
      for (let u = 0; u < U; u++) {
        xU.fill(0);
        for (let m = 0; m < M; m++) for (let j = 0; j < F; j++) xU[j] += eU[(m * U + u) * F + j];
        for (let j = 0; j < F; j++) xU[j] *= sM;
        for (let j = 0; j < D; j++) xU[F + j] = vU[u * D + j];
        affine(acc, xU, F + D, W('vertex_ue/kernel'), d, W('vertex_ue/bias'));
        for (let j = 0; j < d; j++) nU[u * d + j] = acc[j];
      }
      xU.fill(0);
      for (let m = 0; m < M; m++) for (let j = 0; j < F; j++) xU[j] += eT[m * F + j];
      for (let j = 0; j < F; j++) xU[j] *= sM;
      for (let j = 0; j < D; j++) xU[F + j] = vT[j];
      affine(acc, xU, F + D, W('vertex_target/kernel'), d, W('vertex_target/bias'));
      for (let j = 0; j < d; j++) nT[j] = acc[j];
      // (14) edge updates: W [v_m; v_other; e] as three blocks
      const pA = new Float32Array(M * k);
      const pT = new Float32Array(M * k);
      for (let m = 0; m < M; m++) {
        affine(acc, nA.subarray(m * d, (m + 1) * d), d, W('edge_ue/kernel_ap'), k);
        for (let j = 0; j < k; j++) pA[m * k + j] = acc[j];
        affine(acc, nA.subarray(m * d, (m + 1) * d), d, W('edge_target/kernel_ap'), k);
        for (let j = 0; j < k; j++) pT[m * k + j] = acc[j];
      }
      const qU = new Float32Array(U * k);
      for (let u = 0; u < U; u++) {
        affine(acc, nU.subarray(u * d, (u + 1) * d), d, W('edge_ue/kernel_ue'), k, W('edge_ue/bias'));
        for (let j = 0; j < k; j++) qU[u * k + j] = acc[j];
      }
      affine(acc, nT, d, W('edge_target/kernel_target'), k, W('edge_target/bias'));
      const qT = Float32Array.from(acc.subarray(0, k));
      const leaky = c.activation === 'leakyrelu';
      const alpha = c.leakyAlpha;
      const out = k + S0;
      const nEU = new Float32Array(M * U * out);
      const nET = new Float32Array(M * out);
      for (let m = 0; m < M; m++) {
        for (let u = 0; u < U; u++) {
          const r = m * U + u;
          affine(acc, eU.subarray(r * F, (r + 1) * F), F, W('edge_ue/kernel_edge'), k);
          for (let j = 0; j < k; j++) {
            const z = Math.fround(Math.fround(acc[j] + pA[m * k + j]) + qU[u * k + j]);
            nEU[r * out + j] = leaky && z < 0 ? alpha * z : z;
          }
          for (let j = 0; j < S0; j++) nEU[r * out + k + j] = h[r * F0 + j];
        }
        affine(acc, eT.subarray(m * F, (m + 1) * F), F, W('edge_target/kernel_edge'), k);
        for (let j = 0; j < k; j++) {
          const z = Math.fround(Math.fround(acc[j] + pT[m * k + j]) + qT[j]);
          nET[m * out + j] = leaky && z < 0 ? alpha * z : z;
        }
        for (let j = 0; j < S0; j++) nET[m * out + k + j] = a[m * F0 + j];
      }
      eU = nEU;
      eT = nET;
      vA = nA;
      vU = nU;
      vT = nT;
    }
    // per-AP normalisation: f_ms = √P_m e_ms / √(Σ_s ‖e_ms‖² + ε)
    const ue = new Float32Array(M * U * F0);
    const target = new Float32Array(M * F0);
    for (let m = 0; m < M; m++) {
      let e = 0;
      for (let i = m * U * F0; i < (m + 1) * U * F0; i++) e += eU[i] * eU[i];
      for (let i = m * F0; i < (m + 1) * F0; i++) e += eT[i] * eT[i];
      const s = Math.sqrt(power[m]) / Math.sqrt(e + this.epsilon);
      for (let i = m * U * F0; i < (m + 1) * U * F0; i++) ue[i] = s * eU[i];
      for (let i = m * F0; i < (m + 1) * F0; i++) target[i] = s * eT[i];
    }
    return { ue, target };
  }
}
