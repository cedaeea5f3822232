/**
 * Paper 001's per-AP networks in the twin (`ts-student`, a distributed policy): each AP runs its
 * own trained network (a student or teacher of models/paper001-*) on its own latest CSI and its
 * own echo estimate, at every decision; nothing crosses the fronthaul but the CSI reports.
 *
 * Inputs (14): row n = AP l's channel to user n, row N+1 = a(θ̂_l) from its echo estimate, each in
 * the model the networks were trained on — h_ln = a(θ_ln), unit-modulus entries, first entry 1
 * (paper 001 eq. 4: no path loss, no distance phase). A twin channel is mapped onto it per link:
 * h̃ = h · e^{−j∠h₀} · √M/‖h‖ (a line-of-sight link becomes exactly a(θ)). Outputs: the N+1 beams
 * of (15)/(16) normalised to P_l (17)/(18), in the twin's row order (users, then the sensing row).
 *
 * What the mapping cannot carry: in the twin the APs' channels to one user have different distance
 * phases, which coherent joint transmission needs and which no AP sees from its own CSI; the
 * networks were trained where that relative phase does not exist (docs/teacher-student.md §7).
 *
 * Loading is asynchronous (tfjs), decisions are not: the networks are loaded before the run
 * (`loadStudentNets`, which the CLI calls for every `ts-student` spec of a scenario) and handed to
 * the registry; a policy created without them is refused with a message saying so.
 */
import path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { z } from 'zod';
import type { CArray } from '../../phy/complex.ts';
import { steeringInto } from '../../phy/geometry.ts';
import type { Topology } from '../../phy/network.ts';
import type { CsiView, DistributedPolicy, PolicyDefinition } from '../../policies/types.ts';
import { sensingRowOf } from '../../solvers/cf-isac.ts';
import type { Tf } from '../losses.ts';
import { loadLayersModel } from '../model-store.ts';
import { readNetsMetadataAs } from './nets-metadata.ts';
import { inferenceNet } from './networks.ts';

/** What `ts-student` reads of a paper-001 model's metadata.json. */
interface NetsMeta {
  format: string;
  family: string;
  dims: { numAps: number; numTxAnt: number; numUsers: number };
  job?: { net?: { kind?: string } };
}

/** Networks loaded for the run, by resolved model directory. */
export type StudentNets = Map<string, { tf: Tf; nets: LayersModel[] }>;

const readMeta = (dir: string): NetsMeta => readNetsMetadataAs<NetsMeta>(dir);

/** Loads a model's selected per-AP networks (as inference copies) for the run. */
export async function loadStudentNets(tf: Tf, dir: string, into: StudentNets): Promise<void> {
  if (into.has(dir)) return;
  const meta = readMeta(dir);
  const { registerConvKernels } = await import('../layers/conv.ts');
  registerConvKernels(tf, { training: false });
  const nets: LayersModel[] = [];
  for (let l = 0; l < meta.dims.numAps; l++) nets.push(await inferenceNet(tf, await loadLayersModel(tf, path.join(dir, 'selected', `ap${l}`))));
  into.set(dir, { tf, nets });
}

const params = z.strictObject({
  model: z.string().min(1).default('models/paper001-student-pos2-n5').describe('a paper-001 model directory (models/paper001-*)'),
});

export interface StudentHooks {
  resolveModelDir(p: string): string;
  /** The networks loaded before the run. */
  loaded(): StudentNets;
}

/** Why the model cannot act in this network, or undefined. */
function problem(topo: Topology, dir: string, modelPath: string): string | { path: Array<string | number>; message: string } | undefined {
  let meta: NetsMeta;
  try {
    meta = readMeta(dir);
  } catch (e) {
    return { path: ['params', 'model'], message: (e as Error).message };
  }
  if (topo.kind !== 'cell-free' || topo.sensingGeometry !== 'multistatic') return 'ts-student is paper 001’s cell-free design: topology.kind: cell-free with multistatic sensing';
  if (topo.numTargets !== 1) return `ts-student senses one target (targets.perCell: 1), this network has ${topo.numTargets}`;
  if (meta.job?.net?.kind === 'cnn1d') return { path: ['params', 'model'], message: `model ${modelPath} is a 1D-CNN; ts-student runs the CAE and U-Net layouts (14)` };
  const d = meta.dims;
  if (d.numAps !== topo.numBs || d.numTxAnt !== topo.numTxAnt || d.numUsers !== topo.numUsers) {
    return { path: ['params', 'model'], message: `model ${modelPath} was trained for L = ${d.numAps} APs × M = ${d.numTxAnt} antennas, N = ${d.numUsers} users; this network has ${topo.numBs} × ${topo.numTxAnt}, ${topo.numUsers}` };
  }
  for (let m = 0; m < topo.numBs; m++) {
    if (sensingRowOf(topo, m) !== topo.numUsers || topo.servedUsers[m].length !== topo.numUsers) return `ts-student needs every AP to carry every user and one sensing stream (association.mode: all, sensing.streams: 1); AP ${m} does not`;
  }
  return undefined;
}

/** Writes h̃ = h·e^{−j∠h₀}·√M/‖h‖ (M complex entries at element offset `src`) as NHWC row `row`. */
function linkInto(x: Float32Array, row: number, M: number, h: ArrayLike<number>, src: number): void {
  let p = 0;
  for (let k = 0; k < 2 * M; k++) p += h[src + k] * h[src + k];
  const o = row * 2 * M;
  if (!(p > 0)) {
    x.fill(0, o, o + 2 * M);
    return;
  }
  const a0 = Math.hypot(h[src], h[src + 1]);
  const cr = a0 > 0 ? h[src] / a0 : 1;
  const ci = a0 > 0 ? -h[src + 1] / a0 : 0;
  const s = Math.sqrt(M / p);
  for (let k = 0; k < M; k++) {
    const re = h[src + 2 * k];
    const im = h[src + 2 * k + 1];
    x[o + 2 * k] = (re * cr - im * ci) * s;
    x[o + 2 * k + 1] = (re * ci + im * cr) * s;
  }
}

/** AP l's input [N+1, M, 2] from its view (exported for the test). */
export function studentInput(topo: Topology, l: number, view: CsiView): Float32Array {
  const M = topo.numTxAnt;
  const N = topo.numUsers;
  const x = new Float32Array((N + 1) * 2 * M);
  for (let n = 0; n < N; n++) linkInto(x, n, M, view.H, 2 * (l * N + n) * M);
  const T = topo.numTargets;
  if (view.targetApSlot[l * T] >= 0) {
    const a = new Float64Array(2 * M);
    steeringInto(a, 0, M, view.targetApThetaRad[l * T]);
    linkInto(x, N, M, a, 0);
  }
  return x;
}

export function studentPolicyDefinition(hooks: StudentHooks): PolicyDefinition<typeof params> {
  return {
    name: 'ts-student',
    summary: 'paper 001: each AP runs its own trained network (models/paper001-*) on its own CSI and echo estimate (per-AP, nothing exchanged)',
    params,
    requires: (topo, p) => problem(topo, hooks.resolveModelDir(p.model), p.model),
    create: (p, topo): DistributedPolicy => {
      const dir = hooks.resolveModelDir(p.model);
      const loaded = hooks.loaded().get(dir);
      if (!loaded) throw new Error(`ts-student: the networks of ${p.model} were not loaded before the run (the CLI loads them; programmatically: loadStudentNets, then twinPolicies({ studentNets }))`);
      const { tf, nets } = loaded;
      const M = topo.numTxAnt;
      const N = topo.numUsers;
      return {
        name: 'ts-student',
        scope: 'distributed',
        decide(l: number, view: CsiView): CArray {
          const x = studentInput(topo, l, view);
          const out = tf.tidy(() => (nets[l].predict(tf.tensor4d(x, [1, N + 1, M, 2])) as ReturnType<Tf['tensor']>).dataSync());
          let norm = 0;
          for (let i = 0; i < out.length; i++) norm += out[i] * out[i];
          const s = norm > 0 ? Math.sqrt(topo.powerW[l] / norm) : 0;
          return Float64Array.from(out, (v) => v * s);
        },
      };
    },
  };
}
