/**
 * Heterogeneous edge GNN of paper 004 (Demirhan & Alkhateeb, cell-free ISAC), dense form.
 *
 * Why dense: tfjs-backend-wasm has no UnsortedSegmentSum kernel, so a gather/scatter GNN cannot
 * train there. The paper's graph is complete bipartite (every AP ↔ every UE, every AP ↔ the one
 * sensing target), so the messages are held as dense tensors and aggregation is a `tf.sum` over
 * an axis:
 *
 *   E_AU [B, M, U, F]  AP–UE edge embeddings        V_A [B, M, D]  AP vertices
 *   E_AS [B, M, F]     AP–target edge embeddings    V_U [B, U, D]  UE vertices
 *                                                   V_S [B, D]     target vertex (Q = 1)
 *
 * Ops used (all with wasm kernels and registered gradients, checked in the tests with
 * `tf.getKernel(name, 'wasm')`): BatchMatMul (2-D only, so XNNPACK takes it), Add (with
 * broadcasting), Sum / Mean, Concat, Reshape, ExpandDims (→ Reshape), LeakyRelu, Square, Sqrt,
 * RealDiv, Multiply. No Gather, no segment sums. Register `registerFastGradients(tf)`
 * (fast-gradients.ts) before training on wasm, or the stock BatchMatMul gradient's transpose
 * flags fall off XNNPACK.
 *
 * Training: graph-train.ts (`EdgeGnnTrainer`) is the hand-written pass (1.15–2.2× faster a step);
 * `gnnTrainStep` below, by stock autograd through `forward`, is kept as its reference (tested equal).
 *
 * One layer l = 1..L, in the order of eqs. (13)–(14) of the notes (vertex update first):
 *
 *   (13) v_m^l = W_A^l [Σ_u e_mu^{l−1} ; e_mS^{l−1} ; v_m^{l−1}] + b_A^l           (linear)
 *        v_u^l = W_U^l [Σ_m e_mu^{l−1} ; v_u^{l−1}] + b_U^l
 *        v_S^l = W_S^l [Σ_m e_mS^{l−1} ; v_S^{l−1}] + b_S^l
 *   (14) e'_mu^l = LeakyReLU_0.1(W_AU^l [v_m^l ; v_u^l ; e_mu^{l−1}] + b_AU^l)
 *        e'_mS^l = LeakyReLU_0.1(W_AS^l [v_m^l ; v_S^l ; e_mS^{l−1}] + b_AS^l)
 *        e^l = [e'^l ; e⁰]                              (skip concat of the channel, hidden layers)
 *
 * Choices (documented in docs/learning-graph.md):
 *  - AP vertex: the paper's two matrices W_{AU,AP}[Σ_u e; v] + W_{AS,AP}[e_S; v] are written as the
 *    single equivalent map on [Σ_u e; e_S; v] with one bias (same function class, fewer
 *    redundant parameters: 3,422,496 at the paper's size instead of the notes' 3,685,920).
 *  - v⁰ is empty (0-dim), so layer 1's vertex inputs are the aggregates only.
 *  - Biases everywhere; PyTorch-default init U(±1/√fan_in) with fan_in the concatenated width.
 *  - W_AU^l is stored as three blocks (kernel_ap, kernel_ue, kernel_edge) whose row-wise stack is
 *    the matrix on the concatenation; applying the blocks separately and adding with broadcasting
 *    is the same product without materialising the broadcast concat [B, M, U, 2D+F] (≈ 2× fewer
 *    FLOPs in the largest product).
 *  - Output layer L = hidden+1: vertex update of width D, then a *linear* edge update to 2N_t, no
 *    e⁰ concat. Beams per AP are normalised to exactly √P_m over its U+1 beams:
 *      f_ms = √P_m · e^L_ms / √(Σ_{s} ‖e^L_ms‖² + ε),  ε = 1e-12.
 *  - Aggregation 'sum' (paper); 'mean' is an option (divides Σ_u by U and Σ_m by M).
 *
 * Real layout: a complex vector x ∈ ℂ^{N_t} is [Re x ; Im x] ∈ ℝ^{2N_t} (S(·) of the paper).
 *
 * Serialisation: the tfjs `model.json` + `weights.bin` pair (tf.io ModelArtifacts: `modelTopology`,
 * `weightsManifest` with one path 'weights.bin', float32 little-endian weights in manifest order,
 * written by `tf.io.encodeWeights`). `modelTopology` is
 * `{ class_name: 'HeteroEdgeGNN', config: {…, layers: [{ class_name: 'HeteroEdgeGNNLayer', config }]} }`;
 * it is *not* a Keras layers-model, so `tf.loadLayersModel` cannot read it — use `loadEdgeGnn`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Scalar, Tensor, Tensor2D, Tensor3D, Tensor4D, Variable, io } from '@tensorflow/tfjs';
import { streamFor } from '../../phy/random.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export const MODEL_CLASS = 'HeteroEdgeGNN';
export const LAYER_CLASS = 'HeteroEdgeGNNLayer';
export const MODEL_FORMAT = 'isac-twin/hetero-edge-gnn';
export const ACTIVATIONS = ['leakyrelu', 'linear'] as const;
export type EdgeActivation = (typeof ACTIVATIONS)[number];
export type Aggregation = 'sum' | 'mean';

/** Kernels the dense GNN needs on a backend (forward and backward). */
export const GNN_KERNELS = [
  'BatchMatMul',
  'Add',
  'Sum',
  'Mean',
  'Concat',
  'Reshape',
  'LeakyRelu',
  'Step',
  'Square',
  'Sqrt',
  'RealDiv',
  'Multiply',
  'Slice',
  'Fill',
  'Sub',
  'Neg',
] as const;

export class GraphModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphModelError';
  }
}

/** One layer's widths. `edgeIn`/`vertexIn` are the widths of e^{l−1} / v^{l−1} (vertexIn 0 at layer 1). */
export interface EdgeGnnLayerConfig {
  edgeIn: number;
  vertexIn: number;
  vertexUnits: number;
  edgeUnits: number;
  activation: EdgeActivation;
  leakyAlpha: number;
  /** Width of e⁰ concatenated after the activation (0: none, the output layer). */
  skipDim: number;
  aggregation: Aggregation;
}

/** The graph state between layers. `v*` are null before layer 1 (v⁰ is empty). */
export interface GraphState {
  /** [B, M, U, F] AP–UE edge embeddings. */
  eUe: Tensor4D;
  /** [B, M, F] AP–target edge embeddings. */
  eTarget: Tensor3D;
  /** [B, M, D] AP vertices. */
  vAp: Tensor3D | null;
  /** [B, U, D] UE vertices. */
  vUe: Tensor3D | null;
  /** [B, D] target vertex. */
  vTarget: Tensor2D | null;
}

/** Weight name → [rows, cols] (or [cols] for a bias) of one layer, in storage order. */
function layerWeightShapes(c: EdgeGnnLayerConfig): Array<[string, number[], number]> {
  const d = c.vertexUnits;
  const k = c.edgeUnits;
  const edgeFanIn = 2 * d + c.edgeIn;
  // [name, shape, fan_in of the whole (concatenated) matrix, for the init bound]
  return [
    ['vertex_ap/kernel', [2 * c.edgeIn + c.vertexIn, d], 2 * c.edgeIn + c.vertexIn],
    ['vertex_ap/bias', [d], 2 * c.edgeIn + c.vertexIn],
    ['vertex_ue/kernel', [c.edgeIn + c.vertexIn, d], c.edgeIn + c.vertexIn],
    ['vertex_ue/bias', [d], c.edgeIn + c.vertexIn],
    ['vertex_target/kernel', [c.edgeIn + c.vertexIn, d], c.edgeIn + c.vertexIn],
    ['vertex_target/bias', [d], c.edgeIn + c.vertexIn],
    ['edge_ue/kernel_ap', [d, k], edgeFanIn],
    ['edge_ue/kernel_ue', [d, k], edgeFanIn],
    ['edge_ue/kernel_edge', [c.edgeIn, k], edgeFanIn],
    ['edge_ue/bias', [k], edgeFanIn],
    ['edge_target/kernel_ap', [d, k], edgeFanIn],
    ['edge_target/kernel_target', [d, k], edgeFanIn],
    ['edge_target/kernel_edge', [c.edgeIn, k], edgeFanIn],
    ['edge_target/bias', [k], edgeFanIn],
  ];
}

let instanceCounter = 0;

/** x[..., F] · w[F, K] → [..., K] as one 2-D product (batch 1: XNNPACK's path on wasm). */
function dense(tf: Tf, x: Tensor, w: Tensor): Tensor {
  const lead = x.shape.slice(0, -1);
  const f = x.shape[x.rank - 1];
  const y = tf.matMul(tf.reshape(x, [-1, f]) as Tensor2D, w as Tensor2D);
  return tf.reshape(y, [...lead, w.shape[1] as number]);
}

/** One message-passing layer: vertex update (13), then edge update (14). Explicit tf.variables. */
export class HeteroEdgeGnnLayer {
  readonly config: EdgeGnnLayerConfig;
  /** Logical names (`l<i>/vertex_ap/kernel`, …) in storage order, parallel to `variables`. */
  readonly weightNames: string[];
  readonly variables: Variable[];
  private readonly w: Map<string, Variable>;

  constructor(
    private readonly tf: Tf,
    config: EdgeGnnLayerConfig,
    readonly prefix: string,
    seed: number,
  ) {
    if (!ACTIVATIONS.includes(config.activation)) {
      throw new GraphModelError(`HeteroEdgeGnnLayer: unknown activation '${String(config.activation)}'`);
    }
    for (const key of ['edgeIn', 'vertexUnits', 'edgeUnits'] as const) {
      if (!(Number.isInteger(config[key]) && config[key] > 0)) throw new GraphModelError(`HeteroEdgeGnnLayer: ${key} must be a positive integer, got ${config[key]}`);
    }
    this.config = { ...config };
    const uid = `gnn${++instanceCounter}`;
    this.weightNames = [];
    this.variables = [];
    this.w = new Map();
    for (const [name, shape, fanIn] of layerWeightShapes(config)) {
      const full = `${prefix}/${name}`;
      const rng = streamFor(seed, full);
      const bound = 1 / Math.sqrt(fanIn);
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++) values[i] = rng.between(-bound, bound);
      const v = tf.variable(tf.tensor(values, shape, 'float32'), true, `${uid}/${full}`);
      this.weightNames.push(full);
      this.variables.push(v);
      this.w.set(name, v);
    }
  }

  private agg(x: Tensor, axis: number): Tensor {
    return this.config.aggregation === 'mean' ? this.tf.mean(x, axis) : this.tf.sum(x, axis);
  }

  private W(name: string): Variable {
    return this.w.get(name) as Variable;
  }

  /**
   * @param state   e^{l−1}, v^{l−1}
   * @param skipUe  e⁰ of the AP–UE edges [B, M, U, skipDim] (used when skipDim > 0)
   * @param skipTarget e⁰ of the AP–target edges [B, M, skipDim]
   */
  apply(state: GraphState, skipUe: Tensor4D, skipTarget: Tensor3D): GraphState {
    const tf = this.tf;
    const c = this.config;
    const { eUe, eTarget } = state;
    const [B, M, U] = eUe.shape;
    const withV = (parts: Tensor[], v: Tensor | null): Tensor => {
      const all = v === null || c.vertexIn === 0 ? parts : [...parts, v];
      return all.length === 1 ? all[0] : tf.concat(all, -1);
    };
    // (13) vertex updates, linear, aggregation over the complete bipartite neighbourhoods.
    const vAp = tf.add(dense(tf, withV([this.agg(eUe, 2), eTarget], state.vAp), this.W('vertex_ap/kernel')), this.W('vertex_ap/bias')) as Tensor3D;
    const vUe = tf.add(dense(tf, withV([this.agg(eUe, 1)], state.vUe), this.W('vertex_ue/kernel')), this.W('vertex_ue/bias')) as Tensor3D;
    const vTarget = tf.add(dense(tf, withV([this.agg(eTarget, 1)], state.vTarget), this.W('vertex_target/kernel')), this.W('vertex_target/bias')) as Tensor2D;
    // (14) edge updates: W [v_m; v_other; e] = W_ap v_m + W_other v_other + W_edge e, broadcast.
    const k = c.edgeUnits;
    // The bias is added to the smallest term (the UE / target projection), so that its gradient
    // reduces [B, U, k] / [B, k] rather than the full edge tensor.
    const zUe = tf.add(
      tf.add(dense(tf, eUe, this.W('edge_ue/kernel_edge')), tf.reshape(dense(tf, vAp, this.W('edge_ue/kernel_ap')), [B, M, 1, k])),
      tf.reshape(tf.add(dense(tf, vUe, this.W('edge_ue/kernel_ue')), this.W('edge_ue/bias')), [B, 1, U, k]),
    );
    const zTarget = tf.add(
      tf.add(dense(tf, eTarget, this.W('edge_target/kernel_edge')), dense(tf, vAp, this.W('edge_target/kernel_ap'))),
      tf.reshape(tf.add(dense(tf, vTarget, this.W('edge_target/kernel_target')), this.W('edge_target/bias')), [B, 1, k]),
    );
    let nextUe: Tensor = c.activation === 'leakyrelu' ? tf.leakyRelu(zUe, c.leakyAlpha) : zUe;
    let nextTarget: Tensor = c.activation === 'leakyrelu' ? tf.leakyRelu(zTarget, c.leakyAlpha) : zTarget;
    if (c.skipDim > 0) {
      nextUe = tf.concat([nextUe, skipUe], -1);
      nextTarget = tf.concat([nextTarget, skipTarget], -1);
    }
    return { eUe: nextUe as Tensor4D, eTarget: nextTarget as Tensor3D, vAp, vUe, vTarget };
  }

  /** Output edge width of this layer (edgeUnits + skipDim). */
  get edgeOut(): number {
    return this.config.edgeUnits + this.config.skipDim;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

export interface EdgeGnnConfig {
  /** N_t: edge inputs and beams are 2N_t reals. */
  numTxAntennas: number;
  /** Hidden layer widths (vertex = edge width per layer); default [256, 256, 256, 256] (paper). */
  hiddenDims?: number[];
  /** LeakyReLU slope of the hidden edge updates; default 0.1 (paper). */
  leakyAlpha?: number;
  /** 'sum' (paper, default) or 'mean'. */
  aggregation?: Aggregation;
  /** ε in the power normalisation's root; default 1e-12. */
  epsilon?: number;
  /** Seed of the initial weights; default 1. */
  seed?: number;
}

export interface EdgeGnnInputs {
  /** [B, M, U, 2N_t]: S(h_mu) = [Re h_mu; Im h_mu]. */
  h: Tensor4D;
  /** [B, M, 2N_t]: S(a(θ_m)). */
  a: Tensor3D;
  /** Per-AP power P_m: a number (all APs), or [B, M]. Default 1/M (paper: sum power 1). */
  power?: number | Tensor2D;
}

export interface EdgeGnnOutputs {
  /** [B, M, U, 2N_t]: S(f_mu), the comm beams. */
  ue: Tensor4D;
  /** [B, M, 2N_t]: S(f_mq), the sensing beam of each AP. */
  target: Tensor3D;
}

type ResolvedConfig = Required<EdgeGnnConfig>;

function resolve(config: EdgeGnnConfig): ResolvedConfig {
  const r: ResolvedConfig = {
    numTxAntennas: config.numTxAntennas,
    hiddenDims: [...(config.hiddenDims ?? [256, 256, 256, 256])],
    leakyAlpha: config.leakyAlpha ?? 0.1,
    aggregation: config.aggregation ?? 'sum',
    epsilon: config.epsilon ?? 1e-12,
    seed: config.seed ?? 1,
  };
  if (!(Number.isInteger(r.numTxAntennas) && r.numTxAntennas > 0)) throw new GraphModelError(`HeteroEdgeGnn: numTxAntennas must be a positive integer, got ${r.numTxAntennas}`);
  if (r.hiddenDims.length === 0 || r.hiddenDims.some((d) => !(Number.isInteger(d) && d > 0))) {
    throw new GraphModelError(`HeteroEdgeGnn: hiddenDims must be positive integers, got ${JSON.stringify(r.hiddenDims)}`);
  }
  if (r.aggregation !== 'sum' && r.aggregation !== 'mean') throw new GraphModelError(`HeteroEdgeGnn: unknown aggregation '${String(r.aggregation)}'`);
  if (!(r.leakyAlpha >= 0)) throw new GraphModelError(`HeteroEdgeGnn: leakyAlpha must be ≥ 0, got ${r.leakyAlpha}`);
  return r;
}

/** The layer configs implied by a model config: hidden layers then the linear output layer. */
export function layerConfigs(config: EdgeGnnConfig): EdgeGnnLayerConfig[] {
  const r = resolve(config);
  const e0 = 2 * r.numTxAntennas;
  const out: EdgeGnnLayerConfig[] = [];
  let edgeIn = e0;
  let vertexIn = 0;
  for (const d of r.hiddenDims) {
    out.push({ edgeIn, vertexIn, vertexUnits: d, edgeUnits: d, activation: 'leakyrelu', leakyAlpha: r.leakyAlpha, skipDim: e0, aggregation: r.aggregation });
    edgeIn = d + e0;
    vertexIn = d;
  }
  const last = r.hiddenDims[r.hiddenDims.length - 1];
  out.push({ edgeIn, vertexIn, vertexUnits: last, edgeUnits: e0, activation: 'linear', leakyAlpha: r.leakyAlpha, skipDim: 0, aggregation: r.aggregation });
  return out;
}

/**
 * The model: hidden layers + output layer + per-AP power normalisation. One weight set runs at
 * any (M, U): weights are sized by feature widths only; a batch holds one (M, U).
 */
export class HeteroEdgeGnn {
  readonly config: ResolvedConfig;
  readonly layers: HeteroEdgeGnnLayer[];

  constructor(
    private readonly tf: Tf,
    config: EdgeGnnConfig,
  ) {
    this.config = resolve(config);
    this.layers = layerConfigs(this.config).map((c, i) => new HeteroEdgeGnnLayer(tf, c, `l${i + 1}`, this.config.seed));
  }

  /** All trainable variables, in storage order. */
  get variables(): Variable[] {
    return this.layers.flatMap((l) => l.variables);
  }

  /** Logical weight names, parallel to `variables`. */
  get weightNames(): string[] {
    return this.layers.flatMap((l) => l.weightNames);
  }

  countParams(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }

  /** Unnormalised output-layer edges e^L (AP–UE [B,M,U,2N_t], AP–target [B,M,2N_t]). */
  forwardRaw(inputs: Pick<EdgeGnnInputs, 'h' | 'a'>): EdgeGnnOutputs {
    const { h, a } = inputs;
    const f = 2 * this.config.numTxAntennas;
    if (h.rank !== 4 || h.shape[3] !== f) throw new GraphModelError(`HeteroEdgeGnn: h must be [B, M, U, ${f}], got [${h.shape.join(', ')}]`);
    const [B, M] = h.shape;
    if (a.rank !== 3 || a.shape[0] !== B || a.shape[1] !== M || a.shape[2] !== f) {
      throw new GraphModelError(`HeteroEdgeGnn: a must be [${B}, ${M}, ${f}], got [${a.shape.join(', ')}]`);
    }
    let state: GraphState = { eUe: h, eTarget: a, vAp: null, vUe: null, vTarget: null };
    for (const layer of this.layers) state = layer.apply(state, h, a);
    return { ue: state.eUe, target: state.eTarget };
  }

  /** Beams normalised so that each AP's U+1 beams carry exactly P_m: Σ_s ‖f_ms‖² = P_m. */
  forward(inputs: EdgeGnnInputs): EdgeGnnOutputs {
    const tf = this.tf;
    const raw = this.forwardRaw(inputs);
    const [B, M] = inputs.h.shape;
    const power = inputs.power ?? 1 / M;
    const energy = tf.add(tf.sum(tf.square(raw.ue), [2, 3]), tf.sum(tf.square(raw.target), 2)); // [B, M]
    const rootP = typeof power === 'number' ? tf.scalar(Math.sqrt(power)) : tf.sqrt(power);
    const scale = tf.div(rootP, tf.sqrt(tf.add(energy, this.config.epsilon))); // [B, M]
    return {
      ue: tf.mul(raw.ue, tf.reshape(scale, [B, M, 1, 1])) as Tensor4D,
      target: tf.mul(raw.target, tf.reshape(scale, [B, M, 1])) as Tensor3D,
    };
  }

  /** The variables' current values (new tensors owned by the caller), in storage order. */
  getWeights(): Tensor[] {
    return this.variables.map((v) => v.clone());
  }

  /** Assigns weights given in storage order (shapes must match). */
  setWeights(weights: Tensor[]): void {
    const vars = this.variables;
    if (weights.length !== vars.length) throw new GraphModelError(`HeteroEdgeGnn.setWeights: expected ${vars.length} tensors, got ${weights.length}`);
    weights.forEach((w, i) => {
      const name = this.weightNames[i];
      if (w.shape.join(',') !== vars[i].shape.join(',')) {
        throw new GraphModelError(`HeteroEdgeGnn.setWeights: '${name}' has shape [${w.shape.join(', ')}], expected [${vars[i].shape.join(', ')}]`);
      }
      vars[i].assign(w);
    });
  }

  /** The `modelTopology` object of model.json. */
  topology(): { class_name: string; config: Record<string, unknown> } {
    const { seed: _seed, ...config } = this.config;
    return {
      class_name: MODEL_CLASS,
      config: { ...config, layers: this.layers.map((l) => ({ class_name: LAYER_CLASS, config: { ...l.config } })) },
    };
  }

  /** tf.io ModelArtifacts (topology + weight specs + float32 weight data). */
  async toArtifacts(): Promise<io.ModelArtifacts> {
    const named = this.variables.map((v, i) => ({ name: this.weightNames[i], tensor: v as Tensor }));
    const { data, specs } = await this.tf.io.encodeWeights(named);
    return {
      format: MODEL_FORMAT,
      generatedBy: 'isac-twin',
      convertedBy: null,
      modelTopology: this.topology(),
      weightSpecs: specs,
      weightData: data,
    };
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

/** Validates a `modelTopology` and returns the model config it describes; errors name the offending class/activation. */
export function configFromTopology(topology: unknown): EdgeGnnConfig {
  const t = topology as { class_name?: unknown; config?: Record<string, unknown> } | null;
  if (t === null || typeof t !== 'object') throw new GraphModelError('loadEdgeGnn: modelTopology is missing');
  if (t.class_name !== MODEL_CLASS) throw new GraphModelError(`loadEdgeGnn: unknown model class_name '${String(t.class_name)}' (expected '${MODEL_CLASS}')`);
  const c = t.config ?? {};
  const layers = c.layers;
  if (!Array.isArray(layers)) throw new GraphModelError('loadEdgeGnn: modelTopology.config.layers is missing');
  for (const [i, layer] of layers.entries()) {
    const l = layer as { class_name?: unknown; config?: { activation?: unknown } };
    if (l.class_name !== LAYER_CLASS) throw new GraphModelError(`loadEdgeGnn: layer ${i + 1} has unknown class_name '${String(l.class_name)}' (expected '${LAYER_CLASS}')`);
    const act = l.config?.activation;
    if (!ACTIVATIONS.includes(act as EdgeActivation)) {
      throw new GraphModelError(`loadEdgeGnn: layer ${i + 1} has unknown activation '${String(act)}' (expected one of ${ACTIVATIONS.join(', ')})`);
    }
  }
  const config: EdgeGnnConfig = {
    numTxAntennas: c.numTxAntennas as number,
    hiddenDims: c.hiddenDims as number[],
    leakyAlpha: c.leakyAlpha as number,
    aggregation: c.aggregation as Aggregation,
    epsilon: c.epsilon as number,
  };
  const want = layerConfigs(config);
  if (want.length !== layers.length) throw new GraphModelError(`loadEdgeGnn: ${layers.length} layers stored, the config implies ${want.length}`);
  want.forEach((w, i) => {
    const got = (layers[i] as { config: Record<string, unknown> }).config;
    for (const key of Object.keys(w) as Array<keyof EdgeGnnLayerConfig>) {
      if (got[key] !== w[key]) throw new GraphModelError(`loadEdgeGnn: layer ${i + 1} ${key} is ${String(got[key])}, the config implies ${String(w[key])}`);
    }
  });
  return config;
}

/** Builds a model from tf.io ModelArtifacts (as written by `toArtifacts` or read by `readEdgeGnnArtifacts`). */
export function edgeGnnFromArtifacts(tf: Tf, artifacts: io.ModelArtifacts): HeteroEdgeGnn {
  const config = configFromTopology(artifacts.modelTopology);
  if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) throw new GraphModelError('loadEdgeGnn: the artifacts carry no weights');
  const data = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : concatBuffers(artifacts.weightData);
  const model = new HeteroEdgeGnn(tf, config);
  try {
    const map = tf.io.decodeWeights(data, artifacts.weightSpecs);
    try {
      const names = model.weightNames;
      const extra = Object.keys(map).filter((n) => !names.includes(n));
      if (extra.length > 0) throw new GraphModelError(`loadEdgeGnn: unexpected weight '${extra[0]}'`);
      model.setWeights(
        names.map((n) => {
          const w = map[n];
          if (w === undefined) throw new GraphModelError(`loadEdgeGnn: weight '${n}' is missing`);
          return w;
        }),
      );
    } finally {
      tf.dispose(Object.values(map));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** Writes `<dir>/model.json` + `<dir>/weights.bin` (tfjs layout; each file written atomically). */
export async function saveEdgeGnn(model: HeteroEdgeGnn, dir: string): Promise<void> {
  const artifacts = await model.toArtifacts();
  const json = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  mkdirSync(dir, { recursive: true });
  const write = (name: string, content: string | Uint8Array): void => {
    const tmp = path.join(dir, `.${name}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, path.join(dir, name));
  };
  write('weights.bin', new Uint8Array(artifacts.weightData as ArrayBuffer));
  write('model.json', JSON.stringify(json, null, 1));
}

/** Reads `<dir>/model.json` and the weight files its manifest names, as tf.io ModelArtifacts. */
export function readEdgeGnnArtifacts(dir: string): io.ModelArtifacts {
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    format?: string;
    modelTopology?: unknown;
    weightsManifest?: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
  };
  const manifest = json.weightsManifest ?? [];
  const specs = manifest.flatMap((g) => g.weights);
  const buffers = manifest.flatMap((g) => g.paths.map((p) => {
    const b = readFileSync(path.join(dir, p));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }));
  return { format: json.format, modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: concatBuffers(buffers) };
}

/** Loads a model saved by `saveEdgeGnn`; refuses unknown classes or activations, naming them. */
export function loadEdgeGnn(tf: Tf, dir: string): HeteroEdgeGnn {
  return edgeGnnFromArtifacts(tf, readEdgeGnnArtifacts(dir));
}

/**
 * Synthetic objective used by the tests and the bench: −mean_b Σ_u |Σ_m h_muᴴ f_mu|²
 * (coherent beamforming gain, maximised under the per-AP power the model enforces).
 */
export function coherentGainLoss(tf: Tf, h: Tensor4D, beams: Tensor4D): Scalar {
  const n = h.shape[3] / 2;
  const [B, M, U] = h.shape;
  const hr = tf.slice(h, [0, 0, 0, 0], [B, M, U, n]);
  const hi = tf.slice(h, [0, 0, 0, n], [B, M, U, n]);
  const fr = tf.slice(beams, [0, 0, 0, 0], [B, M, U, n]);
  const fi = tf.slice(beams, [0, 0, 0, n], [B, M, U, n]);
  // hᴴf = Σ (hr fr + hi fi) + j Σ (hr fi − hi fr), summed over antennas and APs.
  const re = tf.sum(tf.add(tf.mul(hr, fr), tf.mul(hi, fi)), [1, 3]); // [B, U]
  const im = tf.sum(tf.sub(tf.mul(hr, fi), tf.mul(hi, fr)), [1, 3]);
  return tf.neg(tf.mean(tf.sum(tf.add(tf.square(re), tf.square(im)), 1))) as Scalar;
}

/** Minimal optimiser interface (FusedAdam from adam.ts fits). */
export interface GradientApplier {
  applyGradients(grads: Tensor[]): void;
}

/** One training step by stock autograd: loss value before the update. */
export function gnnTrainStep(tf: Tf, model: HeteroEdgeGnn, optimizer: GradientApplier, loss: () => Scalar): number {
  const vars = model.variables;
  const { value, grads } = tf.variableGrads(loss, vars);
  try {
    optimizer.applyGradients(vars.map((v) => grads[v.name]));
    return value.dataSync()[0];
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}
