/**
 * `primal-dual-exchange` (multi-round, one round; docs/primal-dual.md §10.4): paper 002's
 * distributed mode as fronthaul/backhaul messages. Per decision
 *   start   BS j: its local features from its own view (twin-exchange-data.ts bsFeaturesFromView,
 *           the function training used) → quantiser Q_j → L sign bits, sent to the CPU as L reals of
 *           `bitsPerReal` 1 (the message in the DB is L bits)
 *   combine the CPU relays: BS j receives the other BSs' bits, (J − 1)·L reals, in BS order
 *   step    BS j: optimiser D_j on [its features ⊕ the others' bits] → powers p_jk = P_max σ(z_k) on
 *           its MRT directions and the radar split q = (P_R/N) softmax(z′) over its target beams at
 *           its estimated angles (stage-1 form), scaled to twin units √(P_j/P_tot): ≤ P_j
 * The decision's rounds cross the backhaul with its delay and jitter (sim/decisions.ts), so the bits
 * come from the CSI of the decision's start; when BS j's own CSI is newer by the time they arrive
 * (a new pilot report landed meanwhile), the bits are stale: BS j uses its fresh features with the
 * last bits received and reports `fallback: 'stale-bits'` (bs_slots.policy, .fallback count them);
 * with `maxStaleReports` set, bits older than that many of its CSI reports are replaced by zeros
 * (E[v̂] = 0: "no information") and reported as 'zeroed-bits'. L = 0 (the no-message model) sends
 * empty messages.
 *
 * Reads model files (fs): outside the core; registered by learning/policies.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { gridAngleDeg } from '../../metrics/beampattern-meter.ts';
import { targetBeams } from '../../metrics/beampattern.ts';
import type { CArray } from '../../phy/complex.ts';
import type { Topology } from '../../phy/network.ts';
import type { CsiView, DecisionContext, MultiRoundPolicy, PolicyDefinition, RequirementProblem } from '../../policies/types.ts';
import type { PolicyHooks } from '../families.ts';
import { readModelFiles } from '../model-store.ts';
import type { DistributedProblem } from './distributed.ts';
import { bsFeaturesFromView, twinExchangeProblem, type ExchangeMoments } from './twin-exchange-data.ts';

export interface ExchangeMeta {
  family: string;
  dims: { numBs: number; numTxAnt: number; usersPerCell: number; sensingStreams: number; featureDim: number; bits: number };
  targetsDegPerBs: number[][];
  moments: ExchangeMoments;
}

/** A saved Dense/ReLU Sequential (train-distributed.ts mlp): its Dense layers in order. */
export interface ReluMlp {
  layers: Array<{ inDim: number; outDim: number; kernel: Float32Array; bias: Float32Array }>;
}

export function readReluMlp(dir: string): ReluMlp {
  const { json, weightData } = readModelFiles(dir);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    arrays.set(s.name, { shape: s.shape, data: new Float32Array(weightData.slice(off, off + 4 * n)) });
    off += 4 * n;
  }
  const topo = json.modelTopology as { config?: { layers?: Array<{ class_name: string; config: { name: string } }> } };
  const layers: ReluMlp['layers'] = [];
  for (const l of topo.config?.layers ?? []) {
    if (l.class_name === 'ReLU') continue;
    if (l.class_name !== 'Dense') throw new Error(`${dir}: layer ${l.config.name} is a ${l.class_name} (expected Dense and ReLU)`);
    const k = arrays.get(`${l.config.name}/kernel`);
    const b = arrays.get(`${l.config.name}/bias`);
    if (!k || !b) throw new Error(`${dir}: weights of ${l.config.name} are missing`);
    layers.push({ inDim: k.shape[0], outDim: k.shape[1], kernel: k.data, bias: b.data });
  }
  return { layers };
}

/** Forward pass: ReLU between the Dense layers, the last one linear (a tanh after it keeps the sign). */
export function runReluMlp(net: ReluMlp, x: ArrayLike<number>): Float32Array {
  let h = Float32Array.from(x);
  net.layers.forEach((l, i) => {
    const o = new Float32Array(l.outDim);
    for (let j = 0; j < l.outDim; j++) {
      let s = l.bias[j];
      for (let a = 0; a < l.inDim; a++) s += h[a] * l.kernel[a * l.outDim + j];
      o[j] = i < net.layers.length - 1 && s < 0 ? 0 : Math.fround(s);
    }
    h = o;
  });
  return h;
}

export function readExchangeMeta(dir: string): ExchangeMeta {
  const file = path.join(dir, 'metadata.json');
  if (!existsSync(file)) throw new Error(`${file}: no such file (train: node --import tsx scripts/primal-dual-twin-train.ts --exchange)`);
  const meta = JSON.parse(readFileSync(file, 'utf8')) as ExchangeMeta;
  if (meta.family !== 'primal-dual-exchange') throw new Error(`${file}: family is ${JSON.stringify(meta.family)}, primal-dual-exchange runs primal-dual-exchange models`);
  return meta;
}

function exchangeProblem(topo: Topology, meta: ExchangeMeta, modelPath: string): string | RequirementProblem | undefined {
  if (topo.kind !== 'multicell' || topo.userAps.some((a) => a.length !== 1)) return 'primal-dual-exchange runs one network pair per BS of a multicell network with one BS per user (paper 002)';
  if (topo.dynamicAssociation) return 'primal-dual-exchange needs K users per BS throughout: set association.handover.enabled to false';
  const d = meta.dims;
  if (d.numBs !== topo.numBs || d.numTxAnt !== topo.numTxAnt) return { path: ['params', 'model'], message: `model ${modelPath} was trained for ${d.numBs} BSs × ${d.numTxAnt} antennas, this network has ${topo.numBs} × ${topo.numTxAnt}` };
  if (topo.numSensingStreams !== d.sensingStreams) return `primal-dual-exchange beams ${d.sensingStreams} sensing streams per BS: set sensing.streams to ${d.sensingStreams} (it is ${topo.numSensingStreams})`;
  for (let m = 0; m < topo.numBs; m++) {
    if (topo.servedUsers[m].length !== d.usersPerCell || topo.targetsOf[m].length !== d.sensingStreams) return `primal-dual-exchange: BS ${m} must serve K = ${d.usersPerCell} users and sense P = ${d.sensingStreams} targets`;
  }
  return undefined;
}

interface BsState {
  x: Float32Array;
  bits: Float32Array;
  csiSlot: number;
  reportsAtStart: number;
}

export interface ExchangeNets {
  dp: DistributedProblem;
  meta: ExchangeMeta;
  quant: ReluMlp[];
  opt: ReluMlp[];
}

export function loadExchangeNets(dir: string): ExchangeNets {
  const meta = readExchangeMeta(dir);
  const dp = twinExchangeProblem(meta.dims.usersPerCell, meta.dims.numTxAnt, meta.targetsDegPerBs);
  const J = meta.dims.numBs;
  return {
    dp,
    meta,
    quant: meta.dims.bits > 0 ? Array.from({ length: J }, (_, j) => readReluMlp(path.join(dir, `q${j}`))) : [],
    opt: Array.from({ length: J }, (_, j) => readReluMlp(path.join(dir, `d${j}`))),
  };
}

/** The estimated angles of BS m's targets (trained ones while a target has no estimate). */
function estimatedAngles(topo: Topology, m: number, view: CsiView, trained: number[]): number[] {
  const targets = topo.targetsOf[m];
  return trained.map((a, i) => (i < targets.length && view.targetSlot[targets[i]] >= 0 ? gridAngleDeg(view.targetThetaRad[targets[i]]) : a));
}

/** BS m's sign bits from its view (exported: the train ↔ serve test). */
export function exchangeBits(nets: ExchangeNets, topo: Topology, m: number, view: CsiView): { x: Float32Array; bits: Float32Array } {
  const x = bsFeaturesFromView(nets.dp, view.H, m, topo.powerW[m], topo.noiseCommW, estimatedAngles(topo, m, view, nets.meta.targetsDegPerBs[m]), nets.meta.moments);
  const bits = nets.quant.length ? Float32Array.from(runReluMlp(nets.quant[m], x), (v) => (v >= 0 ? 1 : -1)) : new Float32Array(0);
  return { x, bits };
}

/** W_m from the optimiser's output z [K + P] (stage-1 form) at BS m's estimated angles, twin units. */
export function exchangeBeams(nets: ExchangeNets, topo: Topology, m: number, view: CsiView, z: ArrayLike<number>): CArray {
  const { dp } = nets;
  const { K, P } = dp;
  const N = topo.numTxAnt;
  const Ptot = K * dp.cfg.powerMaxW + dp.cfg.radarPowerW;
  const back = Math.sqrt(topo.powerW[m] / Ptot);
  const W = new Float64Array(2 * (K + P) * N);
  const users = topo.servedUsers[m];
  for (let k = 0; k < K; k++) {
    const o = 2 * (m * topo.numUsers + users[k]) * N;
    let n2 = 0;
    for (let i = 0; i < 2 * N; i++) n2 += view.H[o + i] ** 2;
    const pk = dp.cfg.powerMaxW / (1 + Math.exp(-z[k]));
    const s = n2 > 0 ? (Math.sqrt(pk) * back) / Math.sqrt(n2) : 0;
    for (let i = 0; i < 2 * N; i++) W[2 * k * N + i] = view.H[o + i] * s; // u = h/‖h‖: the twin hears hᴴw
  }
  let max = -Infinity;
  for (let p = 0; p < P; p++) max = Math.max(max, z[K + p]);
  let sum = 0;
  for (let p = 0; p < P; p++) sum += Math.exp(z[K + p] - max);
  const b = targetBeams(N, estimatedAngles(topo, m, view, nets.meta.targetsDegPerBs[m]));
  for (let p = 0; p < P; p++) {
    const q = ((dp.cfg.radarPowerW / N) * Math.exp(z[K + p] - max)) / sum;
    const s = Math.sqrt(q) * back;
    for (let i = 0; i < 2 * N; i++) W[2 * (K + p) * N + i] = b[2 * p * N + i] * s;
  }
  return W;
}

const params = z.strictObject({
  model: z.string().min(1).default('models/primal-dual-twin-exchange-L16').describe('a primal-dual-exchange model directory (models/primal-dual-twin-exchange-L<L>)'),
  maxStaleReports: z.number().int().min(0).max(1e6).optional().describe('bits older than this many of the BS’s own CSI reports are replaced by zeros (absent: the last bits received are always used)'),
});

export function exchangePolicyDefinition(hooks: PolicyHooks): PolicyDefinition<typeof params> {
  return {
    name: 'primal-dual-exchange',
    summary: 'multi-round: paper 002’s distributed mode — each BS sends L quantiser bits over the backhaul, the CPU relays them, each BS’s optimiser forms its powers (models/primal-dual-twin-exchange-L*)',
    params,
    requires: (topo, p) => {
      let meta: ExchangeMeta;
      try {
        meta = readExchangeMeta(hooks.resolveModelDir(p.model));
      } catch (e) {
        return { path: ['params', 'model'], message: (e as Error).message };
      }
      return exchangeProblem(topo, meta, p.model);
    },
    create: (p, topo): MultiRoundPolicy<BsState> => {
      const nets = loadExchangeNets(hooks.resolveModelDir(p.model));
      const problem = exchangeProblem(topo, nets.meta, p.model);
      if (problem) throw new Error(typeof problem === 'string' ? problem : problem.message);
      const L = nets.meta.dims.bits;
      const J = topo.numBs;
      /** CSI reports each BS has seen (a new measuredSlot at its own row counts one). */
      const reports = new Int32Array(J);
      const lastSlot = new Int32Array(J).fill(-2);
      const seen = (m: number, view: CsiView) => {
        if (view.measuredSlot[m] !== lastSlot[m]) {
          lastSlot[m] = view.measuredSlot[m];
          reports[m]++;
        }
        return reports[m];
      };
      return {
        name: 'primal-dual-exchange',
        scope: 'multi-round',
        rounds: 1,
        bitsPerReal: 1,
        start(m: number, view: CsiView) {
          const { x, bits } = exchangeBits(nets, topo, m, view);
          return { state: { x, bits, csiSlot: view.measuredSlot[m], reportsAtStart: seen(m, view) }, up: Float64Array.from(bits) };
        },
        combine(_round: number, up: Float64Array[]) {
          return up.map((_, j) => {
            const out = new Float64Array((J - 1) * L);
            let o = 0;
            for (let i = 0; i < J; i++) if (i !== j) out.set(up[i], (o++) * L);
            return out;
          });
        },
        step(m: number, _round: number, s: BsState, down: Float64Array, view: CsiView, ctx: DecisionContext) {
          const fresh = view.measuredSlot[m] !== s.csiSlot;
          const age = seen(m, view) - s.reportsAtStart;
          const x = fresh ? exchangeBits(nets, topo, m, view).x : s.x;
          const zeroed = p.maxStaleReports !== undefined && age > p.maxStaleReports;
          const input = new Float32Array(x.length + down.length);
          input.set(x);
          if (!zeroed) input.set(down, x.length);
          const zOut = runReluMlp(nets.opt[m], input);
          if (fresh) ctx.report?.({ policy: 'primal-dual-exchange', status: zeroed ? 'bits-zeroed' : 'bits-stale', message: `BS ${m}: bits from CSI slot ${s.csiSlot}, own CSI of slot ${view.measuredSlot[m]} (${age} reports newer)`, iterations: 0, rankOneRatio: NaN, extraction: 'closed-form', predictedCrlbM2: NaN, fallback: zeroed ? 'zeroed-bits' : 'stale-bits' });
          return { W: exchangeBeams(nets, topo, m, view, zOut) };
        },
      };
    },
  };
}
