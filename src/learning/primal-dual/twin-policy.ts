/**
 * The `primal-dual` twin policy (paper 002, distributed; docs/primal-dual.md §10): every BS runs its
 * own transfer network (models/primal-dual-twin/bs<m>, twin-train.ts) on its own latest CSI view
 * and its own echo estimates of its targets' angles, and returns
 *   W_m = [user beams F_1 … F_K ; sensing streams s_1 … s_P] · √(P_m/P_tot)
 * (twin-head.ts): exactly the budget P_m, and the sensing covariance has diag(R) = (P_R/N)·1 in
 * paper units, i.e. P_m·P_R/(P_tot·N) per antenna, by construction.
 *
 * Inputs: the BS's users' channels mapped to paper units (twin-problem.ts T1–T2) and the C9
 * log-gains re-standardised with the model's pool moments (T3) — `twinChannelSet`, the function
 * training used. The radar gains c_kp = |g_kᵀ b_p|² use b_p at the ESTIMATED angles of the view
 * (view.targetThetaRad of the BS's targets; the trained angle while a target has no estimate yet).
 *
 * The networks have no angle input: their sensing rows point at the trained angles. Remedy (a)
 * (option `fallbackDeg`): when some estimated angle is more than fallbackDeg from its trained angle,
 * the sensing rows are replaced by the beampattern-matching design at the estimated angles — eq. (5)
 * over the split family Σ_p q_p b_p(θ̂_p) b_p(θ̂_p)ᴴ, solved exactly (twin-fallback.ts; diag(R) =
 * (P_R/N)·1 as well), the network's user beams kept. The decision reports
 * `fallback: 'beampattern-split'` (bs_slots.policy / fallback).
 *
 * Reads model files (fs): outside the core, registered by learning/policies.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { gridAngleDeg } from '../../metrics/beampattern-meter.ts';
import { beampatternSpec, splitFactor, targetBeams } from '../../metrics/beampattern.ts';
import type { CArray } from '../../phy/complex.ts';
import type { Topology } from '../../phy/network.ts';
import type { CsiView, DecisionContext, DistributedPolicy, PolicyDefinition, RequirementProblem } from '../../policies/types.ts';
import { MlpRunner, readDenseLayers } from '../inference.ts';
import type { PolicyHooks } from '../families.ts';
import { commBasis } from './stage2.ts';
import { patternMatchingSplit } from './twin-fallback.ts';
import { twinDecision } from './twin-head.ts';
import { twinChannelScale, twinChannelSet, twinProblem, twinSampleInto, userOffsets, type FeatureMoments, type TwinProblem } from './twin-problem.ts';

/** What the policy reads of models/primal-dual-twin*\/metadata.json (src/app/primal-dual-twin-train.ts writes it). */
export interface TwinModelMeta {
  format: string;
  family: string;
  dims: { numBs: number; numTxAnt: number; usersPerCell: number; sensingStreams: number };
  epsilon: number;
  beamWidthDeg: number;
  bs: Array<{ targetsDeg: number[]; moments: FeatureMoments }>;
}

export const DEFAULT_TWIN_MODEL = 'models/primal-dual-twin';

export function readTwinMeta(dir: string): TwinModelMeta {
  const file = path.join(dir, 'metadata.json');
  if (!existsSync(file)) throw new Error(`${file}: no such file (train one: node --import tsx scripts/primal-dual-twin-train.ts)`);
  const meta = JSON.parse(readFileSync(file, 'utf8')) as TwinModelMeta;
  if (meta.family !== 'primal-dual-twin') throw new Error(`${file}: family is ${JSON.stringify(meta.family)}, the primal-dual policy runs primal-dual-twin models`);
  return meta;
}

/** Why the model cannot act in this network, or undefined. */
export function twinModelProblem(topo: Topology, meta: TwinModelMeta, modelPath: string): string | RequirementProblem | undefined {
  if (topo.kind !== 'multicell' || topo.userAps.some((a) => a.length !== 1)) return 'primal-dual runs one network per BS of a multicell network with one BS per user (paper 002)';
  if (topo.dynamicAssociation) return 'primal-dual needs K users per BS throughout: set association.handover.enabled to false';
  const d = meta.dims;
  const at = (message: string): RequirementProblem => ({ path: ['params', 'model'], message: `model ${modelPath} ${message}` });
  if (d.numBs !== topo.numBs || d.numTxAnt !== topo.numTxAnt) return at(`was trained for ${d.numBs} BSs × ${d.numTxAnt} antennas, this network has ${topo.numBs} × ${topo.numTxAnt}`);
  if (topo.numSensingStreams !== d.sensingStreams) return `primal-dual beams ${d.sensingStreams} sensing streams per BS (the model's P): set sensing.streams to ${d.sensingStreams} (it is ${topo.numSensingStreams})`;
  for (let m = 0; m < topo.numBs; m++) {
    if (topo.servedUsers[m].length !== d.usersPerCell) return at(`serves K = ${d.usersPerCell} users per BS, BS ${m} serves ${topo.servedUsers[m].length}`);
    if (topo.targetsOf[m].length !== d.sensingStreams) return `primal-dual: BS ${m} senses ${topo.targetsOf[m].length} targets, the model's BS senses P = ${d.sensingStreams}`;
  }
  return undefined;
}

/** The fallback rule: some |θ̂_p − θ_p| > thresholdDeg (targets without an estimate: NaN, never). */
export function fallbackTriggered(trainedDeg: ArrayLike<number>, estimatedDeg: ArrayLike<number>, thresholdDeg: number): boolean {
  for (let p = 0; p < trainedDeg.length; p++) if (Math.abs(estimatedDeg[p] - trainedDeg[p]) > thresholdDeg) return true;
  return false;
}

export interface TwinBsNet {
  tp: TwinProblem;
  moments: FeatureMoments;
  run(x: Float32Array): ArrayLike<number>;
}

/**
 * W_m of the network of BS m on channels `H` ([numBs, numUsers, N] complex, the view's) with radar
 * gains at `anglesDeg`: [K + P, N] complex in the twin's units (budget `powerW`), and the decision in
 * paper units (tests).
 */
export function twinBeams(net: TwinBsNet, topo: Topology, m: number, H: ArrayLike<number>, anglesDeg: ArrayLike<number>, sensingRows?: Float64Array): CArray {
  const { tp } = net;
  const { K, P } = tp.pb;
  const N = tp.N;
  const sample = new Float32Array(2 * K * 2 * N);
  twinSampleInto(sample, 0, tp, H, userOffsets(topo, m), twinChannelScale(tp, topo.powerW[m], topo.noiseCommW));
  const tpAt: TwinProblem = { ...tp, pb: { ...tp.pb, beams: targetBeams(N, anglesDeg) } };
  const set = twinChannelSet(tpAt, sample, net.moments);
  const d = twinDecision(tp, commBasis(tp.pb, set), net.run(set.xGains), 1);
  const back = Math.sqrt(topo.powerW[m] / tp.totalPowerW);
  const W = new Float64Array(2 * (K + P) * N);
  for (let i = 0; i < 2 * K * N; i++) W[i] = d.F[i] * back;
  const S = sensingRows ?? d.radar;
  for (let i = 0; i < 2 * P * N; i++) W[2 * K * N + i] = S[i] * back;
  return W;
}

const params = z.strictObject({
  model: z.string().min(1).default(DEFAULT_TWIN_MODEL).describe('a primal-dual-twin model directory (models/primal-dual-twin*)'),
  fallbackDeg: z.number().min(0).max(180).optional().describe('remedy (a): when an estimated target angle is more than this from its trained angle, the sensing streams come from beampattern matching (eq. 5) over target beams at the estimated angles (absent: never)'),
});

export function twinPolicyDefinition(hooks: PolicyHooks): PolicyDefinition<typeof params> {
  const load = (modelPath: string) => {
    const dir = hooks.resolveModelDir(modelPath);
    return { dir, meta: readTwinMeta(dir) };
  };
  return {
    name: 'primal-dual',
    summary: 'paper 002: each BS runs its own primal-dual transfer network (models/primal-dual-twin) on its own CSI and echo estimates → user beams + P sensing streams (diag(R) exact); optional fallback to a beampattern design when targets leave the trained angles',
    params,
    requires: (topo, p) => {
      let meta: TwinModelMeta;
      try {
        meta = load(p.model).meta;
      } catch (e) {
        return { path: ['params', 'model'], message: (e as Error).message };
      }
      return twinModelProblem(topo, meta, p.model);
    },
    create: (p, topo): DistributedPolicy => {
      const { dir, meta } = load(p.model);
      const problem = twinModelProblem(topo, meta, p.model);
      if (problem) throw new Error(typeof problem === 'string' ? problem : problem.message);
      const tf = hooks.inferenceTf();
      const nets: TwinBsNet[] = meta.bs.map((b, m) => {
        const { layers, leakyAlpha } = readDenseLayers(path.join(dir, `bs${m}`));
        const runner = new MlpRunner(layers, leakyAlpha, tf);
        const tp = twinProblem({ numUsers: meta.dims.usersPerCell, numTxAnt: meta.dims.numTxAnt, targetsDeg: b.targetsDeg, epsilon: meta.epsilon, beamWidthDeg: meta.beamWidthDeg });
        return { tp, moments: b.moments, run: (x) => runner.run(x) };
      });
      const N = topo.numTxAnt;
      /** Beampattern matching over the target beams at the estimated angles (twin-fallback.ts), paper units. */
      const fallbackRows = (m: number, est: number[]): Float64Array => {
        const pb = nets[m].tp.pb;
        const beams = targetBeams(N, est);
        const spec = beampatternSpec({ numAnt: N, targetsDeg: est.map((a) => Math.max(-90, Math.min(90, a))), widthDeg: pb.cfg.beamWidthDeg, radarPowerW: pb.cfg.radarPowerW });
        return splitFactor(beams, N, patternMatchingSplit(spec, beams, pb.cfg.radarPowerW / N).q);
      };
      return {
        name: 'primal-dual',
        scope: 'distributed',
        decide(m: number, view: CsiView, ctx: DecisionContext): CArray {
          const net = nets[m];
          const trained = net.tp.pb.cfg.targetsDeg;
          const targets = ctx.topo.targetsOf[m];
          // the BS's i-th target ↔ trained angle i; a target without an estimate (or re-associated away) keeps its trained angle
          const est = trained.map((a, i) => (i < targets.length && view.targetSlot[targets[i]] >= 0 ? gridAngleDeg(view.targetThetaRad[targets[i]]) : a));
          const fall = p.fallbackDeg !== undefined && fallbackTriggered(trained, est, p.fallbackDeg);
          const W = twinBeams(net, ctx.topo, m, view.H, est, fall ? fallbackRows(m, est) : undefined);
          if (fall) ctx.report?.({ policy: 'primal-dual', status: 'off-trained-angles', message: `target estimates ${est.map((a) => a.toFixed(1)).join(', ')}° vs trained ${trained.join(', ')}°`, iterations: 0, rankOneRatio: NaN, extraction: 'covariance-split', predictedCrlbM2: NaN, fallback: 'beampattern-split' });
          return W;
        },
      };
    },
  };
}
