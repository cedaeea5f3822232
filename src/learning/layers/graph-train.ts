/**
 * Hand-written training pass of paper 004's heterogeneous edge GNN (graph.ts): forward with what
 * back-propagation needs kept, then the backward of every layer, the per-AP power normalisation
 * and a fused Adam step — the GNN's counterpart of dense-chain.ts. Same weights (the model's
 * tf.variables), same function as `HeteroEdgeGnn.forward` up to float32 rounding (tested).
 *
 * Why not tfjs autograd: the tape's gradients of the broadcast adds (Sum kernels over middle axes),
 * the concatenations (SplitV/Concat), LeakyReLU (several element-wise kernels) and the products'
 * transposes made a step 4.4–5× its forward on wasm. Here every big array is touched once per
 * direction: one pass forms a layer's vertex inputs (aggregation and concatenation at once), one
 * pass per edge type its edge outputs (the three broadcast terms, the activation, its slope and
 * the e⁰ skip), and in the backward one pass per edge type combines the three incoming gradients
 * (the next layer's edge product and both aggregations), applies the slope and sums the broadcast
 * terms' gradients. On the wasm backend these passes are SIMD kernels working in place on the
 * tfjs heap (graph-kernels.ts); elsewhere, or for widths that are not multiples of 4, the same
 * passes run as JavaScript loops. The products are flag-free 2-D `tf.matMul`s (`product`,
 * XNNPACK's path).
 *
 * Layout: 2-D row-major tensors, rows ordered (b, m, u) for AP–UE edges [R_u = B·M·U, F],
 * (b, m) for AP–target edges and AP vertices [R_m = B·M, ·], (b, u) for UE vertices [B·U, ·],
 * b for the target vertex [B, ·]. One layer (graph.ts's notation, agg = Σ or mean):
 *
 *   x_A = [agg_u e_U ; e_T ; v_A]   x_U = [agg_m e_U ; v_U]   x_T = [agg_m e_T ; v_T]
 *   v_A' = x_A W_A + b_A            v_U' = x_U W_U + b_U      v_T' = x_T W_T + b_T
 *   P = v_A' [K_ap | K_tap]  (one product, [R_m, 2k])
 *   z_U(b,m,u) = e_U K_e + P(b,m)[:k] + (v_U' K_ue + b_ue)(b,u)
 *   z_T(b,m)   = e_T K_te + P(b,m)[k:] + (v_T' K_tt + b_t)(b)
 *   e_U' = [act(z_U) ; e⁰_U]        e_T' = [act(z_T) ; e⁰_T]
 *
 * Collapsed products: when a layer's vertex input is narrower than its vertex state (layer 1:
 * 2·2N_t against d), or when its vertex state feeds nothing else (the output layer, 2k < d), the
 * edges' vertex terms come from x through combined matrices — P = x_A (W_A [K_ap|K_tap]) +
 * b_A [K_ap|K_tap] instead of (x_A W_A + b_A)[K_ap|K_tap], and likewise q_U, q_T: the same
 * function for a fraction of the FLOPs (≈ 1/8 of the output layer's at d = 256, k = 16).
 *
 * Backward (δ = ∂L/∂·; s_A, s_M the aggregation scales 1 or 1/U, 1/M):
 *   δe_U(b,m,u) = δ(e_U K'_e)(b,m,u) + s_A δx_A(b,m)[e] + s_M δx_U(b,u)[e]   (e: the e' columns)
 *   δz_U = δe_U ⊙ act'(z_U);  δP(b,m)[:k] = Σ_u δz_U;  δq_U(b,u) = Σ_m δz_U    (one pass)
 *   δv_A' = δP [K_ap|K_tap]ᵀ + δx_A^{next}[v columns], …;  δW_A = x_Aᵀ δv_A', δx_A = δv_A' W_Aᵀ, …
 * The first layer's inputs are data: nothing is propagated below it.
 */
import type { Tensor, Tensor2D, Tensor3D, Tensor4D, Variable } from '@tensorflow/tfjs';
import { product } from '../dense-chain.ts';
import { tensorFrom } from '../kernels/train-kernels.ts';
import { GraphKernels } from './graph-kernels.ts';
import { GraphModelError, type EdgeGnnLayerConfig, type HeteroEdgeGnn, type HeteroEdgeGnnLayer, type Tf } from './graph.ts';

/** Per-AP power P_m: one number for every AP, or [B·M] (row (b, m)). */
export type PowerSpec = number | ArrayLike<number>;

/** Sizes of one batch. */
interface Dims {
  B: number;
  M: number;
  U: number;
}

/** The variables of one layer by role (graph.ts's names without the `l<i>/` prefix). */
interface LayerWeights {
  WA: Variable;
  bA: Variable;
  WU: Variable;
  bU: Variable;
  WT: Variable;
  bT: Variable;
  Kap: Variable;
  Kue: Variable;
  Ke: Variable;
  bue: Variable;
  Ktap: Variable;
  Ktt: Variable;
  Kte: Variable;
  bt: Variable;
}

const ROLE_OF: Record<string, keyof LayerWeights> = {
  'vertex_ap/kernel': 'WA',
  'vertex_ap/bias': 'bA',
  'vertex_ue/kernel': 'WU',
  'vertex_ue/bias': 'bU',
  'vertex_target/kernel': 'WT',
  'vertex_target/bias': 'bT',
  'edge_ue/kernel_ap': 'Kap',
  'edge_ue/kernel_ue': 'Kue',
  'edge_ue/kernel_edge': 'Ke',
  'edge_ue/bias': 'bue',
  'edge_target/kernel_ap': 'Ktap',
  'edge_target/kernel_target': 'Ktt',
  'edge_target/kernel_edge': 'Kte',
  'edge_target/bias': 'bt',
};

/** What one layer's forward keeps for its backward (tensors freed with the tape). */
interface LayerTape {
  /** Layer inputs: e_U [R_u, Fin], e_T [R_m, Fin] (the previous layer's outputs, or e⁰). */
  eU: Tensor2D;
  eT: Tensor2D;
  /** Vertex-update inputs. */
  xA: Tensor2D;
  xU: Tensor2D;
  xT: Tensor2D;
  /** Vertex-update outputs (absent at the output layer, whose vertices feed only its own edges). */
  vA?: Tensor2D;
  vU?: Tensor2D;
  vT?: Tensor2D;
  /** act'(z) of the edges (hidden layers), [R_u, k] and [R_m, k]: a tensor (SIMD kernels) or an array (JavaScript loops). */
  gateU?: Float32Array | Tensor2D;
  gateT?: Float32Array | Tensor2D;
  /** [K_ap | K_tap] of this step. */
  Kcat: Tensor2D;
  /** The edges' vertex terms were computed from x through the combined matrices W_A Kcat, W_U K_ue, W_T K_tt. */
  collapsed?: { WKA: Tensor2D; WKU: Tensor2D; WKT: Tensor2D };
}

/** A training forward: raw output edges e^L and the tape. */
export interface GnnTape {
  dims: Dims;
  layers: LayerTape[];
  /** e^L of the AP–UE edges [R_u, 2N_t] and of the AP–target edges [R_m, 2N_t]. */
  rawUe: Tensor2D;
  rawTarget: Tensor2D;
}

/** Normalised beams and what their backward needs (plain arrays; rows as the raw output). */
export interface NormalisedBeams {
  /** [R_u, 2N_t] f_mu = √P_m e_mu / √(Σ_s ‖e_ms‖² + ε), stacked [Re; Im]. */
  ue: Float32Array;
  /** [R_m, 2N_t] f_mq. */
  target: Float32Array;
  /** [B·M] the scale √P_m / n_m and n_m² = Σ_s ‖e_ms‖² + ε of every AP. */
  scale: Float64Array;
  norm2: Float64Array;
}

/** Reads a float32 tensor's values: a view on the wasm heap (valid until the next allocation) or dataSync. */
function values(tf: Tf, t: Tensor): Float32Array {
  if (tf.getBackend() === 'wasm') {
    const be = tf.backend() as unknown as { typedArrayFromHeap?: (x: Tensor) => Float32Array };
    if (typeof be.typedArrayFromHeap === 'function') return be.typedArrayFromHeap(t);
  }
  return t.dataSync() as Float32Array;
}

/**
 * Per-AP power normalisation of raw output edges (graph.ts's forward, in float64 arithmetic on
 * float32 data): f_ms = √P_m e_ms / √(Σ_{s ∈ U ∪ {q}} ‖e_ms‖² + ε).
 */
export function normaliseBeams(rawUe: Float32Array, rawTarget: Float32Array, dims: { B: number; M: number; U: number }, width: number, power: PowerSpec, epsilon: number): NormalisedBeams {
  const { B, M, U } = dims;
  const R = B * M;
  const ue = new Float32Array(R * U * width);
  const target = new Float32Array(R * width);
  const scale = new Float64Array(R);
  const norm2 = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let e = 0;
    const u0 = r * U * width;
    for (let i = u0; i < u0 + U * width; i++) e += rawUe[i] * rawUe[i];
    const t0 = r * width;
    for (let i = t0; i < t0 + width; i++) e += rawTarget[i] * rawTarget[i];
    const n2 = e + epsilon;
    const p = typeof power === 'number' ? power : power[r];
    const s = Math.sqrt(p) / Math.sqrt(n2);
    scale[r] = s;
    norm2[r] = n2;
    for (let i = u0; i < u0 + U * width; i++) ue[i] = s * rawUe[i];
    for (let i = t0; i < t0 + width; i++) target[i] = s * rawTarget[i];
  }
  return { ue, target, scale, norm2 };
}

/**
 * Backward of `normaliseBeams`: δe_ms = s_m (δf_ms − e_ms (Σ_s e_ms·δf_ms) / n_m²), per AP m over
 * its U + 1 beams (the gradient of f = √P e / n with n = √(Σ‖e‖² + ε)).
 */
export function normaliseBeamsBackward(
  rawUe: Float32Array,
  rawTarget: Float32Array,
  norm: NormalisedBeams,
  dUe: Float32Array,
  dTarget: Float32Array,
  dims: { B: number; M: number; U: number },
  width: number,
): { ue: Float32Array; target: Float32Array } {
  const { B, M, U } = dims;
  const R = B * M;
  const ue = new Float32Array(R * U * width);
  const target = new Float32Array(R * width);
  for (let r = 0; r < R; r++) {
    const u0 = r * U * width;
    const t0 = r * width;
    let dot = 0;
    for (let i = u0; i < u0 + U * width; i++) dot += rawUe[i] * dUe[i];
    for (let i = t0; i < t0 + width; i++) dot += rawTarget[i] * dTarget[i];
    const s = norm.scale[r];
    const c = dot / norm.norm2[r];
    for (let i = u0; i < u0 + U * width; i++) ue[i] = s * (dUe[i] - rawUe[i] * c);
    for (let i = t0; i < t0 + width; i++) target[i] = s * (dTarget[i] - rawTarget[i] * c);
  }
  return { ue, target };
}

/** Grow-only float32 scratch arrays by site name (reused across steps; tensors copy out of them). */
class Scratch {
  private readonly arrays = new Map<string, Float32Array>();

  get(name: string, n: number, zero = false): Float32Array {
    let a = this.arrays.get(name);
    if (!a || a.length < n) {
      a = new Float32Array(Math.max(n, Math.ceil(1.25 * (a?.length ?? 0))));
      this.arrays.set(name, a);
    } else if (zero) {
      a.fill(0, 0, n);
    }
    return a.length === n ? a : a.subarray(0, n);
  }
}

/** How a layer computes its edges' vertex terms P = v_A [K_ap|K_tap], q_U, q_T (see the module comment). */
export type CollapseMode = 'auto' | 'never';

/** Which element-wise passes: the SIMD kernels when they apply (wasm, widths multiple of 4), or the JavaScript loops. */
export type KernelMode = 'auto' | 'js';

/**
 * The GNN's training pass. Holds no weights of its own: it reads the model's variables at every
 * call. `forward` → (`normaliseBeams`, loss gradient, `normaliseBeamsBackward`) → `backward`. The
 * caller disposes what `forward` / `backward` return (`disposeTape`, the gradient tensors).
 */
export class EdgeGnnTrainer {
  readonly variables: Variable[];
  private readonly weights: LayerWeights[];
  private readonly configs: EdgeGnnLayerConfig[];
  private readonly scratch = new Scratch();
  /** Per layer: whether its edges' vertex terms come from x through combined matrices. */
  readonly collapsed: boolean[];
  private readonly kernelMode: KernelMode;
  private kernels?: GraphKernels;

  constructor(
    private readonly tf: Tf,
    readonly model: HeteroEdgeGnn,
    options: { collapse?: CollapseMode; kernels?: KernelMode } = {},
  ) {
    this.kernelMode = options.kernels ?? 'auto';
    this.variables = model.variables;
    this.configs = model.layers.map((l) => l.config);
    this.weights = model.layers.map((l) => weightsOf(l));
    const last = this.configs.length - 1;
    // Per row: direct costs wA·d (v) + d·2k (P from v); collapsed wA·2k (+ wA·d when v is needed
    // by the next layer). So collapse when wA < d (v needed) or 2k < d (output layer).
    this.collapsed = this.configs.map((c, l) => {
      if (options.collapse === 'never') return false;
      const wA = 2 * c.edgeIn + c.vertexIn;
      return l < last ? wA < c.vertexUnits : 2 * c.edgeUnits < c.vertexUnits;
    });
  }

  /** The SIMD kernels when they apply now (the backend may change between calls), else undefined. */
  private simd(): GraphKernels | undefined {
    if (this.kernelMode === 'js' || this.tf.getBackend() !== 'wasm') return undefined;
    const widths = this.configs.flatMap((c) => [c.edgeIn, c.vertexIn, c.vertexUnits, c.edgeUnits, c.skipDim]);
    if (widths.some((w) => w % 4 !== 0)) return undefined;
    this.kernels ??= GraphKernels.on(this.tf);
    return this.kernels;
  }

  /** Whether the next forward/backward runs the SIMD kernels (else the JavaScript loops). */
  get usesSimd(): boolean {
    return this.simd() !== undefined;
  }

  /** Training forward of inputs h [B, M, U, 2N_t], a [B, M, 2N_t]: raw output edges and the tape. */
  forward(h: Tensor4D, a: Tensor3D): GnnTape {
    const tf = this.tf;
    const f0 = 2 * this.model.config.numTxAntennas;
    if (h.rank !== 4 || h.shape[3] !== f0) throw new GraphModelError(`EdgeGnnTrainer: h must be [B, M, U, ${f0}], got [${h.shape.join(', ')}]`);
    const [B, M, U] = h.shape;
    if (a.rank !== 3 || a.shape[0] !== B || a.shape[1] !== M || a.shape[2] !== f0) throw new GraphModelError(`EdgeGnnTrainer: a must be [${B}, ${M}, ${f0}], got [${a.shape.join(', ')}]`);
    const dims = { B, M, U };
    const e0U = tf.reshape(h, [B * M * U, f0]) as Tensor2D;
    const e0T = tf.reshape(a, [B * M, f0]) as Tensor2D;
    let eU = e0U;
    let eT = e0T;
    let vA: Tensor2D | undefined;
    let vU: Tensor2D | undefined;
    let vT: Tensor2D | undefined;
    const layers: LayerTape[] = [];
    const last = this.configs.length - 1;
    const M2 = (x: Variable | Tensor) => x as unknown as Tensor2D;
    for (let l = 0; l <= last; l++) {
      const c = this.configs[l];
      const w = this.weights[l];
      const { xA, xU, xT } = this.vertexInputs(c, dims, eU, eT, vA, vU, vT);
      const Kcat = tf.concat([w.Kap, w.Ktap], 1) as Tensor2D; // [d, 2k]
      const tape: LayerTape = { eU, eT, xA, xU, xT, Kcat };
      // v feeds the next layer's vertex update, and this layer's edges unless they are collapsed.
      if (l < last || !this.collapsed[l]) {
        vA = tf.fused.matMul({ a: xA, b: M2(w.WA), bias: w.bA }) as Tensor2D;
        vU = tf.fused.matMul({ a: xU, b: M2(w.WU), bias: w.bU }) as Tensor2D;
        vT = tf.fused.matMul({ a: xT, b: M2(w.WT), bias: w.bT }) as Tensor2D;
        tape.vA = vA;
        tape.vU = vU;
        tape.vT = vT;
      }
      let P: Tensor2D;
      let qU: Tensor2D;
      let qT: Tensor2D;
      const transient: Tensor[] = [];
      if (this.collapsed[l]) {
        const WKA = tf.matMul(M2(w.WA), Kcat) as Tensor2D;
        const WKU = tf.matMul(M2(w.WU), M2(w.Kue)) as Tensor2D;
        const WKT = tf.matMul(M2(w.WT), M2(w.Ktt)) as Tensor2D;
        // The combined biases as fresh rank-1 tensors (the wasm fused kernel checks the rank of the
        // stored data, which a reshape does not change).
        const [bKA, bKU, bKT] = tf
          .tidy(() => {
            const row = (b: Variable) => tf.reshape(b, [1, -1]) as Tensor2D;
            return [tf.matMul(row(w.bA), Kcat), tf.add(tf.matMul(row(w.bU), M2(w.Kue)), w.bue), tf.add(tf.matMul(row(w.bT), M2(w.Ktt)), w.bt)].map(
              (x) => x.dataSync() as Float32Array,
            );
          })
          .map((x) => tf.tensor1d(x, 'float32'));
        P = tf.fused.matMul({ a: xA, b: WKA, bias: bKA }) as Tensor2D;
        qU = tf.fused.matMul({ a: xU, b: WKU, bias: bKU }) as Tensor2D;
        qT = tf.fused.matMul({ a: xT, b: WKT, bias: bKT }) as Tensor2D;
        transient.push(bKA, bKU, bKT);
        tape.collapsed = { WKA, WKU, WKT };
      } else {
        P = tf.matMul(tape.vA as Tensor2D, Kcat) as Tensor2D;
        qU = tf.fused.matMul({ a: tape.vU as Tensor2D, b: M2(w.Kue), bias: w.bue }) as Tensor2D;
        qT = tf.fused.matMul({ a: tape.vT as Tensor2D, b: M2(w.Ktt), bias: w.bt }) as Tensor2D;
      }
      const yU = tf.matMul(eU, M2(w.Ke)) as Tensor2D; // [R_u, k]
      const yT = tf.matMul(eT, M2(w.Kte)) as Tensor2D; // [R_m, k]
      const out = this.edgeOutputs(c, dims, yU, yT, P, qU, qT, e0U, e0T);
      tf.dispose([...transient, P, qU, qT, yU, yT]);
      tape.gateU = out.gateU;
      tape.gateT = out.gateT;
      layers.push(tape);
      eU = out.eU;
      eT = out.eT;
    }
    return { dims, layers, rawUe: eU, rawTarget: eT };
  }

  /** x_A = [agg_u e_U ; e_T ; v_A], x_U = [agg_m e_U ; v_U], x_T = [agg_m e_T ; v_T] in one pass. */
  private vertexInputs(c: EdgeGnnLayerConfig, dims: Dims, eU: Tensor2D, eT: Tensor2D, vA?: Tensor2D, vU?: Tensor2D, vT?: Tensor2D): { xA: Tensor2D; xU: Tensor2D; xT: Tensor2D } {
    const tf = this.tf;
    const { B, M, U } = dims;
    const F = c.edgeIn;
    const D = c.vertexIn;
    const sA = c.aggregation === 'mean' ? 1 / U : 1;
    const sM = c.aggregation === 'mean' ? 1 / M : 1;
    const wA = 2 * F + D;
    const wU = F + D;
    const K = this.simd();
    if (K) {
      if (D > 0 && (!vA || !vU || !vT)) throw new GraphModelError(`EdgeGnnTrainer: layer with vertexIn ${D} got no vertex states`);
      const xA = tf.zeros([B * M, wA]) as Tensor2D;
      const xU = tf.zeros([B * U, wU]) as Tensor2D;
      const xT = tf.zeros([B, wU]) as Tensor2D;
      const v = (t?: Tensor) => (D > 0 && t ? K.ptr(t) : 0);
      K.k.vertex_in(K.ptr(xA), K.ptr(xU), K.ptr(xT), K.ptr(eU), K.ptr(eT), v(vA), v(vU), v(vT), B, M, U, F, D, sA, sM);
      return { xA, xU, xT };
    }
    const xa = this.scratch.get('xA', B * M * wA);
    const xu = this.scratch.get('xU', B * U * wU, true);
    const xt = this.scratch.get('xT', B * wU, true);
    {
      const eu = values(tf, eU);
      const et = values(tf, eT);
      for (let b = 0; b < B; b++) {
        for (let m = 0; m < M; m++) {
          const r = b * M + m;
          const o = r * wA;
          const e0 = r * U * F;
          // agg_u e_U(b, m, ·) and Σ_m into the UE rows (scaled below)
          for (let j = 0; j < F; j++) {
            let s = 0;
            for (let u = 0; u < U; u++) {
              const x = eu[e0 + u * F + j];
              s += x;
              xu[(b * U + u) * wU + j] += x;
            }
            xa[o + j] = s * sA;
          }
          const t0 = r * F;
          const tdst = b * wU;
          for (let j = 0; j < F; j++) {
            const x = et[t0 + j];
            xa[o + F + j] = x;
            xt[tdst + j] += x;
          }
        }
        if (sM !== 1) {
          for (let i = b * U * wU; i < (b + 1) * U * wU; i++) xu[i] *= sM; // v columns are still 0
          for (let j = 0; j < F; j++) xt[b * wU + j] *= sM;
        }
      }
      if (D > 0) {
        if (!vA || !vU || !vT) throw new GraphModelError(`EdgeGnnTrainer: layer with vertexIn ${D} got no vertex states`);
        const va = values(tf, vA);
        const vu = values(tf, vU);
        const vt = values(tf, vT);
        for (let r = 0; r < B * M; r++) for (let j = 0; j < D; j++) xa[r * wA + 2 * F + j] = va[r * D + j];
        for (let r = 0; r < B * U; r++) for (let j = 0; j < D; j++) xu[r * wU + F + j] = vu[r * D + j];
        for (let r = 0; r < B; r++) for (let j = 0; j < D; j++) xt[r * wU + F + j] = vt[r * D + j];
      }
    }
    return {
      xA: tensorFrom(tf, xa, [B * M, wA]) as Tensor2D,
      xU: tensorFrom(tf, xu, [B * U, wU]) as Tensor2D,
      xT: tensorFrom(tf, xt, [B, wU]) as Tensor2D,
    };
  }

  /**
   * e_U' = [act(y_U + P[:k] + q_U) ; e⁰_U], e_T' = [act(y_T + P[k:] + q_T) ; e⁰_T] and the
   * activation's slopes, in one pass per edge type (branch-free slopes: α + (1−α)·[z > 0]).
   */
  private edgeOutputs(c: EdgeGnnLayerConfig, dims: Dims, yU: Tensor2D, yT: Tensor2D, P: Tensor2D, qU: Tensor2D, qT: Tensor2D, e0U: Tensor2D, e0T: Tensor2D) {
    const tf = this.tf;
    const { B, M, U } = dims;
    const k = c.edgeUnits;
    const S0 = c.skipDim;
    const wOut = k + S0;
    const leaky = c.activation === 'leakyrelu';
    const alpha = leaky ? c.leakyAlpha : 1;
    const beta = 1 - alpha;
    const K = this.simd();
    if (K) {
      const eU = tf.zeros([B * M * U, wOut]) as Tensor2D;
      const eT = tf.zeros([B * M, wOut]) as Tensor2D;
      const gateU = tf.zeros([B * M * U, k]) as Tensor2D; // linear layers: all ones, dropped below
      const gateT = tf.zeros([B * M, k]) as Tensor2D;
      const e0u = S0 > 0 ? K.ptr(e0U) : 0;
      const e0t = S0 > 0 ? K.ptr(e0T) : 0;
      K.k.edge_fwd(K.ptr(eU), K.ptr(yU), K.ptr(P), K.ptr(qU), K.ptr(gateU), e0u, B, M, U, k, 2 * k, 0, S0, alpha);
      K.k.edge_fwd(K.ptr(eT), K.ptr(yT), K.ptr(P), K.ptr(qT), K.ptr(gateT), e0t, B, M, 1, k, 2 * k, k, S0, alpha);
      if (!leaky) {
        tf.dispose([gateU, gateT]);
        return { eU, eT, gateU: undefined, gateT: undefined };
      }
      return { eU, eT, gateU, gateT };
    }
    const outU = this.scratch.get('eU', B * M * U * wOut);
    const outT = this.scratch.get('eT', B * M * wOut);
    // Slopes are kept for the backward (linear layers: all ones, not stored).
    const gateU = leaky ? new Float32Array(B * M * U * k) : undefined;
    const gateT = leaky ? new Float32Array(B * M * k) : undefined;
    const gu = gateU ?? this.scratch.get('gU', B * M * U * k);
    const gt = gateT ?? this.scratch.get('gT', B * M * k);
    {
      const yu = values(tf, yU);
      const yt = values(tf, yT);
      const p = values(tf, P);
      const qu = values(tf, qU);
      const qt = values(tf, qT);
      for (let rm = 0; rm < B * M; rm++) {
        const b = (rm / M) | 0;
        const pu = rm * 2 * k;
        for (let u = 0; u < U; u++) {
          const r = rm * U + u;
          const q0 = (b * U + u) * k;
          const o = r * wOut;
          const y0 = r * k;
          for (let j = 0; j < k; j++) {
            const z = yu[y0 + j] + p[pu + j] + qu[q0 + j];
            const g = alpha + beta * +(z > 0);
            gu[y0 + j] = g;
            outU[o + j] = z * g;
          }
        }
        const o = rm * wOut;
        const y0 = rm * k;
        const q0 = b * k;
        for (let j = 0; j < k; j++) {
          const z = yt[y0 + j] + p[pu + k + j] + qt[q0 + j];
          const g = alpha + beta * +(z > 0);
          gt[y0 + j] = g;
          outT[o + j] = z * g;
        }
      }
      if (S0 > 0) {
        const hu = values(tf, e0U);
        const ht = values(tf, e0T);
        for (let r = 0; r < B * M * U; r++) for (let j = 0; j < S0; j++) outU[r * wOut + k + j] = hu[r * S0 + j];
        for (let r = 0; r < B * M; r++) for (let j = 0; j < S0; j++) outT[r * wOut + k + j] = ht[r * S0 + j];
      }
    }
    return {
      eU: tensorFrom(tf, outU, [B * M * U, wOut]) as Tensor2D,
      eT: tensorFrom(tf, outT, [B * M, wOut]) as Tensor2D,
      gateU,
      gateT,
    };
  }

  /**
   * Gradients of Σ (e^L ⊙ δe^L) with respect to `variables` (the model's order), given δ of the raw
   * output edges ([R_u, 2N_t] and [R_m, 2N_t], the rows of `tape.rawUe` / `rawTarget`). The
   * caller owns the returned tensors.
   */
  backward(tape: GnnTape, dRawUe: Float32Array, dRawTarget: Float32Array): Tensor[] {
    const tf = this.tf;
    return tf.tidy(() => {
      const M2 = (x: Variable | Tensor) => x as unknown as Tensor2D;
      const last = this.configs.length - 1;
      const grads: Tensor[][] = [];
      // The gradient arriving at layer l's output edges, in pieces (see the module comment).
      let incoming: Incoming = { dEU: dRawUe, dET: dRawTarget };
      for (let l = last; l >= 0; l--) {
        const c = this.configs[l];
        const w = this.weights[l];
        const t = tape.layers[l];
        const k = c.edgeUnits;
        const d = c.vertexUnits;
        const { dZU, dZT, dP, dQU, dQT, dbue, dbt } = this.edgeGradients(c, tape.dims, t, incoming);
        const g: Partial<Record<keyof LayerWeights, Tensor>> = {};
        g.Ke = product(tf, t.eU, dZU, true, false);
        g.Kte = product(tf, t.eT, dZT, true, false);
        g.bue = dbue;
        g.bt = dbt;
        let dxA: Tensor2D | undefined;
        let dxU: Tensor2D | undefined;
        let dxT: Tensor2D | undefined;
        if (t.collapsed) {
          const { WKA, WKU, WKT } = t.collapsed;
          // P = x_A (W_A Kcat) + b_A Kcat, q_U = x_U (W_U K_ue) + b_U K_ue + b_ue, q_T likewise.
          const dWKA = product(tf, t.xA, dP, true, false); // [2F + D, 2k]
          const dWKU = product(tf, t.xU, dQU, true, false);
          const dWKT = product(tf, t.xT, dQT, true, false);
          const sP = tf.sum(dP, 0, true) as Tensor2D; // [1, 2k]
          const sU = tf.reshape(dbue, [1, k]) as Tensor2D;
          const sT = tf.reshape(dbt, [1, k]) as Tensor2D;
          const dKcat = tf.add(product(tf, M2(w.WA), dWKA, true, false), tf.mul(tf.reshape(w.bA, [d, 1]), sP));
          [g.Kap, g.Ktap] = tf.split(dKcat, 2, 1);
          g.Kue = tf.add(product(tf, M2(w.WU), dWKU, true, false), tf.mul(tf.reshape(w.bU, [d, 1]), sU));
          g.Ktt = tf.add(product(tf, M2(w.WT), dWKT, true, false), tf.mul(tf.reshape(w.bT, [d, 1]), sT));
          let gWA = product(tf, dWKA, t.Kcat, false, true);
          let gWU = product(tf, dWKU, M2(w.Kue), false, true);
          let gWT = product(tf, dWKT, M2(w.Ktt), false, true);
          let gbA: Tensor = tf.reshape(product(tf, sP, t.Kcat, false, true), [d]);
          let gbU: Tensor = tf.reshape(product(tf, sU, M2(w.Kue), false, true), [d]);
          let gbT: Tensor = tf.reshape(product(tf, sT, M2(w.Ktt), false, true), [d]);
          if (l > 0) {
            dxA = product(tf, dP, WKA, false, true);
            dxU = product(tf, dQU, WKU, false, true);
            dxT = product(tf, dQT, WKT, false, true);
          }
          if (l < last) {
            // v also feeds the next layer's vertex update.
            const { dVA, dVU, dVT, dbA, dbU, dbT } = this.vertexGradients(c, tape.dims, undefined, undefined, undefined, incoming);
            gWA = tf.add(gWA, product(tf, t.xA, dVA, true, false)) as Tensor2D;
            gWU = tf.add(gWU, product(tf, t.xU, dVU, true, false)) as Tensor2D;
            gWT = tf.add(gWT, product(tf, t.xT, dVT, true, false)) as Tensor2D;
            gbA = tf.add(gbA, dbA);
            gbU = tf.add(gbU, dbU);
            gbT = tf.add(gbT, dbT);
            if (l > 0) {
              dxA = tf.add(dxA as Tensor2D, product(tf, dVA, M2(w.WA), false, true)) as Tensor2D;
              dxU = tf.add(dxU as Tensor2D, product(tf, dVU, M2(w.WU), false, true)) as Tensor2D;
              dxT = tf.add(dxT as Tensor2D, product(tf, dVT, M2(w.WT), false, true)) as Tensor2D;
            }
          }
          Object.assign(g, { WA: gWA, WU: gWU, WT: gWT, bA: gbA, bU: gbU, bT: gbT });
        } else {
          const { dVA, dVU, dVT, dbA, dbU, dbT } = this.vertexGradients(
            c,
            tape.dims,
            product(tf, dP, t.Kcat, false, true),
            product(tf, dQU, M2(w.Kue), false, true),
            product(tf, dQT, M2(w.Ktt), false, true),
            incoming,
          );
          [g.Kap, g.Ktap] = tf.split(product(tf, t.vA as Tensor2D, dP, true, false), 2, 1);
          g.Kue = product(tf, t.vU as Tensor2D, dQU, true, false);
          g.Ktt = product(tf, t.vT as Tensor2D, dQT, true, false);
          g.WA = product(tf, t.xA, dVA, true, false);
          g.WU = product(tf, t.xU, dVU, true, false);
          g.WT = product(tf, t.xT, dVT, true, false);
          g.bA = dbA;
          g.bU = dbU;
          g.bT = dbT;
          if (l > 0) {
            dxA = product(tf, dVA, M2(w.WA), false, true);
            dxU = product(tf, dVU, M2(w.WU), false, true);
            dxT = product(tf, dVT, M2(w.WT), false, true);
          }
        }
        grads[l] = Object.keys(ROLE_OF).map((name) => g[ROLE_OF[name]] as Tensor);
        if (l > 0) {
          // Into the previous layer: only its e' columns (the e⁰ skip is data).
          const kPrev = this.configs[l - 1].edgeUnits;
          incoming = {
            dEU: product(tf, dZU, tf.slice(w.Ke, [0, 0], [kPrev, k]) as Tensor2D, false, true), // [R_u, kPrev]
            dET: product(tf, dZT, tf.slice(w.Kte, [0, 0], [kPrev, k]) as Tensor2D, false, true),
            next: { dxA: dxA as Tensor2D, dxU: dxU as Tensor2D, dxT: dxT as Tensor2D, edgeIn: c.edgeIn, vertexIn: c.vertexIn, aggregation: c.aggregation },
          };
        }
      }
      return grads.flat();
    });
  }

  /**
   * δz_U = (δe_U) ⊙ act', with δe_U from its three sources, and the sums over the broadcast axes,
   * in one pass per edge type. Returns plain arrays (rows as the forward).
   */
  private edgeGradients(c: EdgeGnnLayerConfig, dims: Dims, t: LayerTape, inc: Incoming): { dZU: Tensor2D; dZT: Tensor2D; dP: Tensor2D; dQU: Tensor2D; dQT: Tensor2D; dbue: Tensor; dbt: Tensor } {
    const tf = this.tf;
    const { B, M, U } = dims;
    const k = c.edgeUnits;
    const K = this.simd();
    if (K) {
      const out = {
        dZU: tf.zeros([B * M * U, k]) as Tensor2D,
        dZT: tf.zeros([B * M, k]) as Tensor2D,
        dP: tf.zeros([B * M, 2 * k]) as Tensor2D,
        dQU: tf.zeros([B * U, k]) as Tensor2D,
        dQT: tf.zeros([B, k]) as Tensor2D,
        dbue: tf.zeros([k]),
        dbt: tf.zeros([k]),
      };
      const asTensor = (x: Tensor2D | Float32Array, rows: number) => (x instanceof Float32Array ? tf.tensor2d(x, [rows, k]) : x);
      const dEU = asTensor(inc.dEU, B * M * U);
      const dET = asTensor(inc.dET, B * M);
      const n = inc.next;
      const gate = (x: Tensor2D | Float32Array | undefined) => (x === undefined ? 0 : x instanceof Float32Array ? K.ptr(tf.tensor2d(x, [x.length / k, k])) : K.ptr(x));
      if (n && (!t.gateU || !t.gateT)) throw new GraphModelError('EdgeGnnTrainer: a hidden layer without activation slopes');
      const wA = n ? 2 * n.edgeIn + n.vertexIn : 0;
      const wU = n ? n.edgeIn + n.vertexIn : 0;
      const sA = n?.aggregation === 'mean' ? 1 / U : 1;
      const sM = n?.aggregation === 'mean' ? 1 / M : 1;
      const has = n ? 1 : 0;
      K.k.edge_bwd(K.ptr(out.dZU), K.ptr(out.dP), K.ptr(out.dQU), K.ptr(dEU), n ? K.ptr(n.dxA) : 0, n ? K.ptr(n.dxU) : 0, gate(t.gateU), B, M, U, k, 2 * k, 0, wA, 0, wU, sA, sM, has);
      K.k.edge_bwd(K.ptr(out.dZT), K.ptr(out.dP), K.ptr(out.dQT), K.ptr(dET), n ? K.ptr(n.dxA) : 0, n ? K.ptr(n.dxT) : 0, gate(t.gateT), B, M, 1, k, 2 * k, k, wA, n?.edgeIn ?? 0, wU, 1, sM, has);
      K.k.col_sum(K.ptr(out.dbue), K.ptr(out.dQU), B * U, k);
      K.k.col_sum(K.ptr(out.dbt), K.ptr(out.dQT), B, k);
      return out;
    }
    const dZU = this.scratch.get('dZU', B * M * U * k);
    const dZT = this.scratch.get('dZT', B * M * k);
    const dP = this.scratch.get('dP', B * M * 2 * k, true);
    const dQU = this.scratch.get('dQU', B * U * k, true);
    const dQT = this.scratch.get('dQT', B * k, true);
    const dbue = new Float32Array(k);
    const dbt = new Float32Array(k);
    const gU = t.gateU === undefined || t.gateU instanceof Float32Array ? t.gateU : (t.gateU.dataSync() as Float32Array);
    const gT = t.gateT === undefined || t.gateT instanceof Float32Array ? t.gateT : (t.gateT.dataSync() as Float32Array);
    {
      const dEU = inc.dEU instanceof Float32Array ? inc.dEU : values(tf, inc.dEU);
      const dET = inc.dET instanceof Float32Array ? inc.dET : values(tf, inc.dET);
      if (inc.next) {
        if (!gU || !gT) throw new GraphModelError('EdgeGnnTrainer: a hidden layer without activation slopes');
        const dxA = values(tf, inc.next.dxA);
        const dxU = values(tf, inc.next.dxU);
        const dxT = values(tf, inc.next.dxT);
        // The next layer's vertex inputs: x_A = [agg e_U ; e_T ; v_A] (2F + D wide), x_U = [agg e_U ; v_U].
        const F = inc.next.edgeIn;
        const wA = 2 * F + inc.next.vertexIn;
        const wU = F + inc.next.vertexIn;
        const sA = inc.next.aggregation === 'mean' ? 1 / U : 1;
        const sM = inc.next.aggregation === 'mean' ? 1 / M : 1;
        for (let rm = 0; rm < B * M; rm++) {
          const b = (rm / M) | 0;
          const p0 = rm * 2 * k;
          const a0 = rm * wA;
          for (let u = 0; u < U; u++) {
            const r0 = (rm * U + u) * k;
            const q0 = (b * U + u) * k;
            const x0 = (b * U + u) * wU;
            for (let j = 0; j < k; j++) {
              const dz = (dEU[r0 + j] + sA * dxA[a0 + j] + sM * dxU[x0 + j]) * gU[r0 + j];
              dZU[r0 + j] = dz;
              dP[p0 + j] += dz;
              dQU[q0 + j] += dz;
            }
          }
          const r0 = rm * k;
          const t0 = b * wU;
          for (let j = 0; j < k; j++) {
            const dz = (dET[r0 + j] + dxA[a0 + F + j] + sM * dxT[t0 + j]) * gT[r0 + j];
            dZT[r0 + j] = dz;
            dP[p0 + k + j] += dz;
            dQT[b * k + j] += dz;
          }
        }
      } else {
        // The output layer: linear, δ arrives from the loss only.
        if (gU || gT) throw new GraphModelError('EdgeGnnTrainer: the top layer must be linear');
        for (let rm = 0; rm < B * M; rm++) {
          const b = (rm / M) | 0;
          const p0 = rm * 2 * k;
          for (let u = 0; u < U; u++) {
            const r0 = (rm * U + u) * k;
            const q0 = (b * U + u) * k;
            for (let j = 0; j < k; j++) {
              const dz = dEU[r0 + j];
              dZU[r0 + j] = dz;
              dP[p0 + j] += dz;
              dQU[q0 + j] += dz;
            }
          }
          const r0 = rm * k;
          for (let j = 0; j < k; j++) {
            const dz = dET[r0 + j];
            dZT[r0 + j] = dz;
            dP[p0 + k + j] += dz;
            dQT[b * k + j] += dz;
          }
        }
      }
      for (let i = 0; i < B * U; i++) for (let j = 0; j < k; j++) dbue[j] += dQU[i * k + j];
      for (let b = 0; b < B; b++) for (let j = 0; j < k; j++) dbt[j] += dQT[b * k + j];
    }
    return {
      dZU: tensorFrom(tf, dZU, [B * M * U, k]) as Tensor2D,
      dZT: tensorFrom(tf, dZT, [B * M, k]) as Tensor2D,
      dP: tensorFrom(tf, dP, [B * M, 2 * k]) as Tensor2D,
      dQU: tensorFrom(tf, dQU, [B * U, k]) as Tensor2D,
      dQT: tensorFrom(tf, dQT, [B, k]) as Tensor2D,
      dbue: tensorFrom(tf, dbue, [k]),
      dbt: tensorFrom(tf, dbt, [k]),
    };
  }

  /**
   * δv' = (from this layer's edges, when they read v) + (the next layer's vertex-input columns of
   * v), and the bias sums Σ_rows δv'.
   */
  private vertexGradients(
    c: EdgeGnnLayerConfig,
    dims: Dims,
    fromA: Tensor2D | undefined,
    fromU: Tensor2D | undefined,
    fromT: Tensor2D | undefined,
    inc: Incoming,
  ): { dVA: Tensor2D; dVU: Tensor2D; dVT: Tensor2D; dbA: Tensor; dbU: Tensor; dbT: Tensor } {
    const tf = this.tf;
    const { B, M, U } = dims;
    const d = c.vertexUnits;
    const next = inc.next;
    if (next && next.vertexIn !== d) throw new GraphModelError(`EdgeGnnTrainer: layer widths disagree (vertexIn ${next.vertexIn}, vertexUnits ${d})`);
    const K = this.simd();
    if (K) {
      const F = next?.edgeIn ?? 0;
      const p = (t?: Tensor) => (t ? K.ptr(t) : 0);
      const run = (rows: number, from: Tensor2D | undefined, nx: Tensor2D | undefined, width: number, offset: number) => {
        const out = tf.zeros([rows, d]) as Tensor2D;
        const bias = tf.zeros([d]);
        K.k.vertex_grad(K.ptr(out), p(from), p(nx), K.ptr(bias), rows, d, width, offset);
        return [out, bias] as const;
      };
      const [dVA, dbA] = run(B * M, fromA, next?.dxA, 2 * F + d, 2 * F);
      const [dVU, dbU] = run(B * U, fromU, next?.dxU, F + d, F);
      const [dVT, dbT] = run(B, fromT, next?.dxT, F + d, F);
      return { dVA, dVU, dVT, dbA, dbU, dbT };
    }
    const dVA = this.scratch.get('dVA', B * M * d);
    const dVU = this.scratch.get('dVU', B * U * d);
    const dVT = this.scratch.get('dVT', B * d);
    const dbA = new Float32Array(d);
    const dbU = new Float32Array(d);
    const dbT = new Float32Array(d);
    {
      const fa = fromA ? values(tf, fromA) : undefined;
      const fu = fromU ? values(tf, fromU) : undefined;
      const ft = fromT ? values(tf, fromT) : undefined;
      const dxA = next ? values(tf, next.dxA) : undefined;
      const dxU = next ? values(tf, next.dxU) : undefined;
      const dxT = next ? values(tf, next.dxT) : undefined;
      const F = next?.edgeIn ?? 0;
      const sum = (out: Float32Array, from: Float32Array | undefined, nx: Float32Array | undefined, rows: number, width: number, offset: number, bias: Float32Array) => {
        if (from && nx) {
          for (let r = 0; r < rows; r++) {
            const o = r * d;
            const n0 = r * width + offset;
            for (let j = 0; j < d; j++) out[o + j] = from[o + j] + nx[n0 + j];
          }
        } else if (from) {
          out.set(from.subarray(0, rows * d));
        } else if (nx) {
          for (let r = 0; r < rows; r++) {
            const o = r * d;
            const n0 = r * width + offset;
            for (let j = 0; j < d; j++) out[o + j] = nx[n0 + j];
          }
        } else {
          out.fill(0);
        }
        for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) bias[j] += out[r * d + j];
      };
      sum(dVA, fa, dxA, B * M, 2 * F + d, 2 * F, dbA);
      sum(dVU, fu, dxU, B * U, F + d, F, dbU);
      sum(dVT, ft, dxT, B, F + d, F, dbT);
    }
    return {
      dVA: tensorFrom(tf, dVA, [B * M, d]) as Tensor2D,
      dVU: tensorFrom(tf, dVU, [B * U, d]) as Tensor2D,
      dVT: tensorFrom(tf, dVT, [B, d]) as Tensor2D,
      dbA: tensorFrom(tf, dbA, [d]),
      dbU: tensorFrom(tf, dbU, [d]),
      dbT: tensorFrom(tf, dbT, [d]),
    };
  }

  /** Frees a tape's tensors (the reshapes of the caller's h and a, not h and a themselves). */
  disposeTape(tape: GnnTape): void {
    const ts: Tensor[] = [tape.rawUe, tape.rawTarget];
    for (const t of tape.layers) {
      ts.push(t.eU, t.eT, t.xA, t.xU, t.xT, t.Kcat);
      if (t.vA) ts.push(t.vA, t.vU as Tensor, t.vT as Tensor);
      if (t.collapsed) ts.push(t.collapsed.WKA, t.collapsed.WKU, t.collapsed.WKT);
      for (const g of [t.gateU, t.gateT]) if (g !== undefined && !(g instanceof Float32Array)) ts.push(g);
    }
    this.tf.dispose(ts);
  }
}

/** What arrives at a layer's output edges from above. */
interface Incoming {
  /** δ of e_U'[:, :k] through the next layer's edge product (or from the loss, at the top). */
  dEU: Tensor2D | Float32Array;
  dET: Tensor2D | Float32Array;
  /** δ of the next layer's vertex inputs, its edgeIn / vertexIn and aggregation (absent at the top). */
  next?: { dxA: Tensor2D; dxU: Tensor2D; dxT: Tensor2D; edgeIn: number; vertexIn: number; aggregation: EdgeGnnLayerConfig['aggregation'] };
}

function weightsOf(layer: HeteroEdgeGnnLayer): LayerWeights {
  const out: Partial<LayerWeights> = {};
  layer.weightNames.forEach((full, i) => {
    const name = full.slice(layer.prefix.length + 1);
    const role = ROLE_OF[name];
    if (role === undefined) throw new GraphModelError(`EdgeGnnTrainer: unknown weight '${full}'`);
    out[role] = layer.variables[i];
  });
  for (const role of Object.values(ROLE_OF)) if (!out[role]) throw new GraphModelError(`EdgeGnnTrainer: layer ${layer.prefix} has no ${role}`);
  return out as LayerWeights;
}
