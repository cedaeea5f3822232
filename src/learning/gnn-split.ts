/**
 * The split GNN (`gnn-split`, multi-round): paper 004's heterogeneous edge GNN (layers/graph.ts)
 * run over the fronthaul, the AP-local parts at the APs and the user/target aggregates at the CPU
 * (docs/gnn.md "Split variant").
 *
 * In every layer (docs/learning-graph.md) the AP vertex update v_m = W_A [Σ_u e_mu; e_mS; v_m] + b
 * reads only AP m's own edges, and the edge updates e_mu = act(K_e e_mu + K_ap v_m + K_ue v_u + b)
 * read AP m's edge and vertex and ONE user (target) vertex; only the UE and target vertex updates
 * v_u = W_U [Σ_m e_mu; v_u] + b, v_S = W_S [Σ_m e_mS; v_S] + b sum over the APs. So each layer is
 * one round of the twin's multi-round protocol (sim/decisions.ts):
 *
 *   AP m → CPU   its edges of the layer's input: round 0 e⁰ (the scaled CSI row and the steering
 *                vector, (U + 1)·2N_t reals); later rounds only the new part e' of its edges
 *                ((U + 1)·k reals), since the skip part is e⁰ again and the CPU kept its sums
 *   CPU          sums over the APs, updates v_u and v_S (it keeps them between rounds), and
 *   CPU → AP m   q_u = K_ue v_u + b_ue and q_S = K_S v_S + b_S ((U + 1)·k reals, the same for
 *                every AP): all an AP needs of the user/target vertices for its edge update
 *   AP m         v_m (local, from its own edges), its new edges; after the last layer the
 *                per-AP normalisation (local) gives its beams.
 *
 * R = number of layers (hidden + output: 5 for the shipped 4 × 64 models). Without fronthaul
 * delay the beams equal the centralised GNN's (`gnn`, gnn-family.ts) to float32 rounding
 * (tested); each AP's inputs come from its OWN view (its CSI row and its echo estimate of the
 * target's angle), the scale s and the budgets P_m are constants of the network.
 *
 * The CPU's part keeps the UE/target vertices and the e⁰ sums between rounds in the policy
 * instance (one decision runs at a time: the twin starts none while rounds are in flight; round 0
 * resets it). Per-round message sizes: `gnnSplitRounds`.
 */
import { z } from 'zod';
import type { CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import type { CsiView, DecisionContext, MultiRoundPolicy, PolicyDefinition } from '../policies/types.ts';
import { familyPolicy, type PolicyHooks } from './families.ts';
import { gnnFamily, readGnn, trainedSetting } from './gnn-family.ts';
import { gnnInputsInto, inputScale } from './gnn-data.ts';
import type { GnnMetadata } from './gnn-train.ts';
import { affine, type GnnInference, type LayerArrays } from './layers/graph-infer.ts';

/** Reals per AP in one round: `up` AP → CPU, `down` CPU → AP. */
export interface GnnSplitRound {
  up: number;
  down: number;
}

/** The message sizes of every round (reals per AP) for U users: see the module comment. */
export function gnnSplitRounds(layers: readonly LayerArrays[], numUsers: number): GnnSplitRound[] {
  return layers.map(({ c }, r) => ({
    up: (numUsers + 1) * (r === 0 ? c.edgeIn : layers[r - 1].c.edgeUnits),
    down: (numUsers + 1) * c.edgeUnits,
  }));
}

/** AP m's state during a decision. */
interface ApState {
  /** Its e⁰: h [U, F0], a [F0] (stacked [Re; Im], training units). */
  h: Float32Array;
  a: Float32Array;
  /** Its edges entering the current layer: [U, F], [F]. */
  eU: Float32Array;
  eT: Float32Array;
  /** Its vertex after the current layer's vertex update. */
  vA: Float32Array;
  /** Its budget in training units P̃_m. */
  power: number;
}

/** The CPU's state during a decision. */
interface CpuState {
  next: number;
  /** Σ_m e⁰_mu [U, F0] and Σ_m e⁰_mS [F0]. */
  sum0U: Float64Array;
  sum0T: Float64Array;
  vU: Float32Array;
  vT: Float32Array;
}

const W = (l: LayerArrays, n: string) => l.w.get(n) as Float32Array;

/** AP m's vertex update of layer l from its edges (eqs. 13, AP vertex: local). */
function apVertex(l: LayerArrays, U: number, s: ApState): Float32Array {
  const { edgeIn: F, vertexIn: D, vertexUnits: d } = l.c;
  const sA = l.c.aggregation === 'mean' ? 1 / U : 1;
  const x = new Float64Array(2 * F + D);
  for (let u = 0; u < U; u++) for (let j = 0; j < F; j++) x[j] += s.eU[u * F + j];
  for (let j = 0; j < F; j++) {
    x[j] *= sA;
    x[F + j] = s.eT[j];
  }
  for (let j = 0; j < D; j++) x[2 * F + j] = s.vA[j];
  const acc = new Float64Array(d);
  affine(acc, x, 2 * F + D, W(l, 'vertex_ap/kernel'), d, W(l, 'vertex_ap/bias'));
  return Float32Array.from(acc);
}

/** AP m's edge update of layer l (eqs. 14) from its vertex, its edges and the CPU's q_u, q_S. */
function apEdges(l: LayerArrays, U: number, s: ApState, down: Float64Array): void {
  const { edgeIn: F, vertexUnits: d, edgeUnits: k, skipDim: S0 } = l.c;
  const F0 = s.a.length;
  const leaky = l.c.activation === 'leakyrelu';
  const alpha = l.c.leakyAlpha;
  const acc = new Float64Array(k);
  affine(acc, s.vA, d, W(l, 'edge_ue/kernel_ap'), k);
  const pA = Float32Array.from(acc);
  affine(acc, s.vA, d, W(l, 'edge_target/kernel_ap'), k);
  const pT = Float32Array.from(acc);
  const out = k + S0;
  const eU = new Float32Array(U * out);
  const eT = new Float32Array(out);
  const act = (z: number) => (leaky && z < 0 ? alpha * z : z);
  for (let u = 0; u < U; u++) {
    affine(acc, s.eU.subarray(u * F, (u + 1) * F), F, W(l, 'edge_ue/kernel_edge'), k);
    for (let j = 0; j < k; j++) eU[u * out + j] = act(Math.fround(Math.fround(acc[j] + pA[j]) + Math.fround(down[u * k + j])));
    for (let j = 0; j < S0; j++) eU[u * out + k + j] = s.h[u * F0 + j];
  }
  affine(acc, s.eT, F, W(l, 'edge_target/kernel_edge'), k);
  for (let j = 0; j < k; j++) eT[j] = act(Math.fround(Math.fround(acc[j] + pT[j]) + Math.fround(down[U * k + j])));
  for (let j = 0; j < S0; j++) eT[k + j] = s.a[j];
  s.eU = eU;
  s.eT = eT;
}

/** The new part e' of an AP's edges (what crosses the fronthaul after round 0): [U·k ; k]. */
function newPart(s: ApState, U: number, k: number, width: number): Float64Array {
  const up = new Float64Array((U + 1) * k);
  for (let u = 0; u < U; u++) for (let j = 0; j < k; j++) up[u * k + j] = s.eU[u * width + j];
  for (let j = 0; j < k; j++) up[U * k + j] = s.eT[j];
  return up;
}

/**
 * The split policy of a loaded GNN. `bitsPerReal`: the messages' quantisation (default: the
 * fronthaul's `bitsPerReal`).
 */
export function gnnSplitPolicy(name: string, meta: GnnMetadata, inference: GnnInference, topo: Topology, bitsPerReal?: number): MultiRoundPolicy<ApState> & { readonly meta: GnnMetadata; readonly roundSizes: GnnSplitRound[] } {
  const layers = inference.layers;
  const N = topo.numTxAnt;
  const U = topo.numUsers;
  const M = topo.numBs;
  const T = topo.numTargets;
  const F0 = 2 * N;
  const setting = trainedSetting(meta);
  let sumP = 0;
  for (let m = 0; m < M; m++) sumP += topo.powerW[m];
  const scale = inputScale(setting, sumP, topo.noiseCommW);
  const toTrain = setting.channel.sumPowerW / sumP;
  const back = Math.sqrt(1 / toTrain);
  const last = layers.length - 1;
  let cpu: CpuState | undefined;

  const beamsOf = (m: number, s: ApState): CArray => {
    // per-AP normalisation (local): f_ms = √P̃_m e_ms / √(Σ_s ‖e_ms‖² + ε), then back to the twin's units
    let e = 0;
    for (let i = 0; i < s.eU.length; i++) e += s.eU[i] * s.eU[i];
    for (let i = 0; i < s.eT.length; i++) e += s.eT[i] * s.eT[i];
    const c = Math.sqrt(s.power) / Math.sqrt(e + inference.epsilon);
    const rows = topo.apStreams[m];
    const Wm = new Float64Array(2 * rows.length * N);
    rows.forEach((st, r) => {
      const src = st < U ? s.eU.subarray(st * F0, (st + 1) * F0) : s.eT;
      for (let i = 0; i < N; i++) {
        Wm[2 * (r * N + i)] = back * Math.fround(c * src[i]);
        Wm[2 * (r * N + i) + 1] = back * Math.fround(c * src[N + i]);
      }
    });
    // float32 rounding could put the AP a few 1e-8 above its budget (as gnnPolicy does)
    let p = 0;
    for (let i = 0; i < Wm.length; i++) p += Wm[i] * Wm[i];
    if (p > topo.powerW[m]) {
      const k = Math.sqrt(topo.powerW[m] / p);
      for (let i = 0; i < Wm.length; i++) Wm[i] *= k;
    }
    return Wm;
  };

  return {
    name,
    scope: 'multi-round',
    rounds: layers.length,
    ...(bitsPerReal ? { bitsPerReal } : {}),
    meta,
    roundSizes: gnnSplitRounds(layers, U),
    start(m: number, view: CsiView) {
      const h = new Float32Array(U * F0);
      const a = new Float32Array(F0);
      const phi = view.targetApSlot[m * T] >= 0 ? view.targetApThetaRad[m * T] : NaN;
      gnnInputsInto(h, a, 0, 1, U, N, view.H.subarray(2 * m * U * N, 2 * (m + 1) * U * N), [phi], scale);
      const s: ApState = { h, a, eU: h, eT: a, vA: new Float32Array(0), power: topo.powerW[m] * toTrain };
      s.vA = apVertex(layers[0], U, s);
      const up = new Float64Array((U + 1) * F0);
      up.set(h);
      up.set(a, U * F0);
      return { state: s, up };
    },
    combine(round: number, up: Float64Array[]) {
      if (round === 0) cpu = { next: 0, sum0U: new Float64Array(U * F0), sum0T: new Float64Array(F0), vU: new Float32Array(0), vT: new Float32Array(0) };
      if (!cpu || cpu.next !== round) throw new Error(`${name}: the CPU got round ${round}'s messages, expected round ${cpu?.next ?? 0}`);
      const l = layers[round];
      const { edgeIn: F, vertexIn: D, vertexUnits: d, edgeUnits: k } = l.c;
      const sM = l.c.aggregation === 'mean' ? 1 / up.length : 1;
      // Σ_m of the layer's input edges: the new parts from the messages, the e⁰ part from round 0
      const kIn = round === 0 ? F0 : layers[round - 1].c.edgeUnits;
      const sumU = new Float64Array(U * F);
      const sumT = new Float64Array(F);
      for (const msg of up) {
        for (let u = 0; u < U; u++) for (let j = 0; j < kIn; j++) sumU[u * F + j] += msg[u * kIn + j];
        for (let j = 0; j < kIn; j++) sumT[j] += msg[U * kIn + j];
      }
      if (round === 0) {
        for (let u = 0; u < U; u++) for (let j = 0; j < F0; j++) cpu.sum0U[u * F0 + j] = sumU[u * F + j];
        cpu.sum0T.set(sumT.subarray(0, F0));
      } else {
        const skip = F - kIn; // e⁰ concatenated by the previous layer
        for (let u = 0; u < U; u++) for (let j = 0; j < skip; j++) sumU[u * F + kIn + j] = cpu.sum0U[u * F0 + j];
        for (let j = 0; j < skip; j++) sumT[kIn + j] = cpu.sum0T[j];
      }
      // UE and target vertex updates (eqs. 13), then what the APs need of them: q = K v + b
      const x = new Float64Array(F + D);
      const acc = new Float64Array(Math.max(d, k));
      const vU = new Float32Array(U * d);
      const reply = new Float64Array((U + 1) * k);
      for (let u = 0; u < U; u++) {
        for (let j = 0; j < F; j++) x[j] = sumU[u * F + j] * sM;
        for (let j = 0; j < D; j++) x[F + j] = cpu.vU[u * D + j];
        affine(acc, x, F + D, W(l, 'vertex_ue/kernel'), d, W(l, 'vertex_ue/bias'));
        for (let j = 0; j < d; j++) vU[u * d + j] = acc[j];
        affine(acc, vU.subarray(u * d, (u + 1) * d), d, W(l, 'edge_ue/kernel_ue'), k, W(l, 'edge_ue/bias'));
        for (let j = 0; j < k; j++) reply[u * k + j] = Math.fround(acc[j]);
      }
      for (let j = 0; j < F; j++) x[j] = sumT[j] * sM;
      for (let j = 0; j < D; j++) x[F + j] = cpu.vT[j];
      affine(acc, x, F + D, W(l, 'vertex_target/kernel'), d, W(l, 'vertex_target/bias'));
      const vT = Float32Array.from(acc.subarray(0, d));
      affine(acc, vT, d, W(l, 'edge_target/kernel_target'), k, W(l, 'edge_target/bias'));
      for (let j = 0; j < k; j++) reply[U * k + j] = Math.fround(acc[j]);
      cpu.vU = vU;
      cpu.vT = vT;
      cpu.next = round + 1;
      return up.map(() => reply);
    },
    step(m: number, round: number, s: ApState, down: Float64Array) {
      const l = layers[round];
      apEdges(l, U, s, down);
      if (round === last) return { W: beamsOf(m, s) };
      s.vA = apVertex(layers[round + 1], U, s);
      return { up: newPart(s, U, l.c.edgeUnits, l.c.edgeUnits + l.c.skipDim) };
    },
  };
}

const splitParams = z.strictObject({
  model: z.string().min(1).default(gnnFamily.defaultModel ?? 'models/gnn-beta2').describe('model directory of the gnn family (models/<name>)'),
  bitsPerReal: z.number().int().min(1).max(64).optional().describe('bits per real of the round messages (default: timing.backhaul.bitsPerReal)'),
});

/**
 * The `gnn-split` policy definition (the composition root registers it beside the learned
 * policies). Its requirement is the `gnn` family's (the same models, the same dimension rule);
 * the model runs in plain JavaScript at the APs and the CPU.
 */
export function gnnSplitDefinition(hooks: PolicyHooks): PolicyDefinition<typeof splitParams> {
  const central = familyPolicy(gnnFamily, hooks);
  return {
    name: 'gnn-split',
    summary: 'multi-round: paper 004’s GNN split over the fronthaul, AP vertices and edges at the APs, user/target vertices at the CPU (one round per layer)',
    params: splitParams,
    requires: (topo, p) => central.requires!(topo, { model: p.model }),
    create: (p, topo) => {
      const problem = central.requires!(topo, { model: p.model });
      if (problem) throw new Error(typeof problem === 'string' ? problem : problem.message);
      const { meta, inference } = readGnn(hooks.resolveModelDir(p.model));
      return gnnSplitPolicy('gnn-split', meta, inference, topo, p.bitsPerReal);
    },
  };
}

/**
 * A multi-round decision whose CPU part lags: the CPU's replies are what it computes from the
 * APs' messages of the `stale` view (every round), while each AP runs its own part on the `fresh`
 * view with those replies — what a pipelined split (the APs not waiting for the round trips)
 * would form when the aggregates are as old as `stale`. With stale = fresh it is the ordinary
 * decision (`decideAllFrom`). Offline only (docs/gnn.md "Split variant").
 */
export function decideWithStaleAggregates<S>(policy: MultiRoundPolicy<S>, fresh: CsiView, stale: CsiView, ctx: DecisionContext): Beamformers {
  const aps = ctx.topo.apStreams.map((_, m) => m);
  const old = aps.map((m) => policy.start(m, stale, ctx));
  const now = aps.map((m) => policy.start(m, fresh, ctx));
  let up = old.map((s) => s.up);
  const W: Beamformers = [];
  for (let r = 0; r < policy.rounds; r++) {
    const down = policy.combine(r, up, ctx);
    const next: Float64Array[] = [];
    for (const m of aps) {
      const o = policy.step(m, r, old[m].state, down[m], stale, ctx);
      if (!('W' in o)) next[m] = o.up;
      const n = policy.step(m, r, now[m].state, down[m], fresh, ctx);
      if ('W' in n) W[m] = n.W;
    }
    up = next;
  }
  if (aps.some((m) => !W[m])) throw new Error(`${policy.name}: not every AP formed its beams after ${policy.rounds} rounds`);
  return W;
}
