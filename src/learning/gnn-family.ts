/**
 * The model family `gnn`: paper 004's heterogeneous edge GNN (layers/graph.ts) as a learned
 * beamformer of the twin (docs/learning-graph.md, docs/learning.md).
 *
 * Scope: centralised. The CPU runs the network on the CSI that reached it over the fronthaul
 * (`view.H`, every AP's channels to every user) and the angles each AP reported to the target
 * (`view.targetApThetaRad`), and sends every AP its U + 1 beams (one per user, one sensing beam).
 * Dimension rule: one weight set runs at any M and U (weights are sized by feature widths only);
 * the model needs its trained N_t, one sensing stream per AP and one target (the graph's single
 * target vertex, Q = 1 as in the paper).
 *
 * Inputs come from `gnnInputsInto` (gnn-data.ts), the function that also builds the training
 * inputs, with the scale s that maps the network's budgets and noise onto the training problem's.
 * Outputs: each AP's beams carry exactly its budget P_m (the network's own normalisation to
 * √(P̃_m), then f = f̃ √(ΣP / ΣP_t)); an AP drops the beams of users it does not carry, which only
 * lowers its power.
 *
 * `loadGnnModel(tf, dir)` is the programmatic entry point (figures, scripts): a loaded model with
 * `beams(H, θ, P)` on one sample and the tfjs model for batches; `loadGnnBeamformer(dir)` the
 * same beams without tfjs (plain JavaScript, layers/graph-infer.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CArray } from '../phy/complex.ts';
import type { Topology } from '../phy/network.ts';
import { axisToBroadsideRad, type PaperChannel } from '../phy/paper-channel.ts';
import type { CentralisedPolicy, CsiView, RequirementProblem } from '../policies/types.ts';
import type { ModelFamily } from './families.ts';
import { gnnInputsInto, inputScale, type GnnSetting } from './gnn-data.ts';
import type { GnnMetadata } from './gnn-train.ts';
import { GnnInference } from './layers/graph-infer.ts';
import { configFromTopology, edgeGnnFromArtifacts, LAYER_CLASS, MODEL_CLASS, readEdgeGnnArtifacts, type HeteroEdgeGnn } from './layers/graph.ts';
import { readMetadata, type ModelMetadata } from './model-store.ts';

export type Tf = typeof import('@tensorflow/tfjs');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A model path as the policies resolve it (policies.ts resolveModelDir): absolute, from the cwd, else from the package root. */
function modelDirOf(p: string): string {
  if (path.isAbsolute(p) || existsSync(p)) return p;
  const fromRoot = path.join(ROOT, p);
  return existsSync(fromRoot) ? fromRoot : p;
}

export const GNN_LAYER_CLASSES = [MODEL_CLASS, LAYER_CLASS] as const;

export class GnnModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GnnModelError';
  }
}

/** The training problem recorded in a GNN's metadata (its units: Σ P_t, σ_t²). */
export function trainedSetting(meta: GnnMetadata): GnnSetting {
  const channel: PaperChannel = { sumPowerW: meta.gnn.sumPowerW, noiseW: meta.gnn.noiseW, radarNoiseW: meta.gnn.noiseW, echoGain: 1, angleRad: meta.gnn.angleRad };
  return { numAps: meta.dims.numBs, numUsers: meta.gnn.numUsers, numTxAnt: meta.dims.numTxAnt, channel, sensingGain: meta.gnn.sensingGain };
}

/** The metadata as a GNN's, or why it is not one. */
function asGnn(meta: ModelMetadata, modelPath: string): GnnMetadata | string {
  const g = (meta as Partial<GnnMetadata>).gnn;
  if (meta.family !== 'gnn' || g === undefined || typeof g.betaS !== 'number' || typeof g.sumPowerW !== 'number' || typeof g.noiseW !== 'number') {
    return `${path.join(modelPath, 'metadata.json')}: not a gnn model's metadata (no gnn block with betaS, sumPowerW, noiseW)`;
  }
  return meta as GnnMetadata;
}

/** The model file's topology checked as the loader does (unknown layer classes are named), without its weights. */
function checkModelFile(dir: string): string | undefined {
  const file = path.join(dir, 'model.json');
  if (!existsSync(file)) return `no model at ${file}`;
  try {
    configFromTopology((JSON.parse(readFileSync(file, 'utf8')) as { modelTopology?: unknown }).modelTopology);
    return undefined;
  } catch (e) {
    return `${file}: ${(e as Error).message}`;
  }
}

/** The family's dimension rule: any M and U; the trained N_t; one sensing stream; one target. */
export function gnnProblem(meta: ModelMetadata, modelPath: string, topo: Topology): string | RequirementProblem | undefined {
  const g = asGnn(meta, modelPath);
  if (typeof g === 'string') return { path: ['params', 'model'], message: g };
  if (topo.numTxAnt !== g.dims.numTxAnt) {
    return { path: ['params', 'model'], message: `model ${modelPath} was trained for N_t = ${g.dims.numTxAnt} antennas per AP but this scenario has ${topo.numTxAnt}: a GNN runs at any M and U, not at another N_t` };
  }
  if (topo.numSensingStreams !== 1) return `gnn beams one sensing stream per AP (paper 004, Q = 1): set sensing.streams to 1 (it is ${topo.numSensingStreams})`;
  if (topo.numTargets !== 1) return `gnn senses one target (the graph's single target vertex): this scenario has ${topo.numTargets}`;
  if (topo.numUsers < 1) return 'gnn needs at least one user';
  return undefined;
}

/** A GNN beamformer: beams of one sample, in the twin's units and layout (plain JavaScript, no tfjs). */
export interface GnnBeamformer {
  readonly meta: GnnMetadata;
  /**
   * Beams of one sample: `H` [M, U, N_t] complex interleaved (the twin's layout), `thetaAxisRad`
   * [M] each AP's angle to the target from its array AXIS (paper 004's θ; NaN: unknown),
   * `powerW` [M] the budgets P_m, `noiseW` σ² (default the training problem's). Returns
   * [M, U + 1, N_t] complex interleaved: rows 0…U−1 the users' beams, row U the sensing beam;
   * Σ_s ‖f_ms‖² = P_m for every AP (to float32 rounding).
   */
  beams(H: ArrayLike<number>, thetaAxisRad: ArrayLike<number>, powerW: ArrayLike<number>, noiseW?: number): Float32Array;
  /** The same with angles from the BROADSIDE (the twin's convention). */
  beamsBroadside(H: ArrayLike<number>, broadsideRad: ArrayLike<number>, powerW: ArrayLike<number>, noiseW?: number): Float32Array;
}

/** A loaded GNN with its tfjs model too (batched forwards, training, export). */
export interface GnnModel extends GnnBeamformer {
  readonly model: HeteroEdgeGnn;
  dispose(): void;
}

/** Reads a GNN model directory strictly: its metadata, the tf.io artifacts and the JavaScript inference (which checks the files without tfjs). */
export function readGnn(dir: string): { meta: GnnMetadata; artifacts: ReturnType<typeof readEdgeGnnArtifacts>; inference: GnnInference } {
  const g = asGnn(readMetadata(dir), dir);
  if (typeof g === 'string') throw new GnnModelError(g);
  const file = path.join(dir, 'model.json');
  if (!existsSync(file)) throw new GnnModelError(`no model at ${file}`);
  const artifacts = readEdgeGnnArtifacts(dir);
  return { meta: g, artifacts, inference: GnnInference.fromArtifacts(artifacts) };
}

/** One sample's normalised beams (stacked layout) from inputs h [M, U, 2N_t], a [M, 2N_t] and budgets. */
type OneSample = (h: Float32Array, a: Float32Array, M: number, U: number, power: Float64Array) => { ue: Float32Array; target: Float32Array };

/** A batch-1 tfjs forward (XNNPACK: faster than the JavaScript loops even for one sample). */
function tfjsOneSample(tf: Tf, model: HeteroEdgeGnn): OneSample {
  const F = 2 * model.config.numTxAntennas;
  return (h, a, M, U, power) =>
    tf.tidy(() => {
      const o = model.forward({ h: tf.tensor4d(h, [1, M, U, F]), a: tf.tensor3d(a, [1, M, F]), power: tf.tensor2d(Float32Array.from(power), [1, M]) });
      return { ue: o.ue.dataSync() as Float32Array, target: o.target.dataSync() as Float32Array };
    });
}

function beamformer(meta: GnnMetadata, N: number, forward: OneSample): GnnBeamformer {
  const setting = trainedSetting(meta);
  const beamsBroadside = (H: ArrayLike<number>, broadsideRad: ArrayLike<number>, powerW: ArrayLike<number>, noiseW = setting.channel.noiseW): Float32Array => {
    const M = broadsideRad.length;
    if (powerW.length !== M) throw new GnnModelError(`gnn beams: ${powerW.length} budgets for ${M} APs`);
    if (H.length % (2 * M * N) !== 0 || H.length === 0) throw new GnnModelError(`gnn beams: H has ${H.length} values, not M·U·N_t complex (M = ${M}, N_t = ${N})`);
    const U = H.length / (2 * M * N);
    let sumP = 0;
    for (let m = 0; m < M; m++) sumP += powerW[m];
    const h = new Float32Array(M * U * 2 * N);
    const a = new Float32Array(M * 2 * N);
    gnnInputsInto(h, a, 0, M, U, N, H, broadsideRad, inputScale(setting, sumP, noiseW));
    // The network's budgets in training units: P̃_m = P_m ΣP_t / ΣP; beams back by √(ΣP / ΣP_t).
    const toTrain = setting.channel.sumPowerW / sumP;
    const { ue, target } = forward(h, a, M, U, Float64Array.from({ length: M }, (_, m) => powerW[m] * toTrain));
    const back = Math.sqrt(1 / toTrain);
    const S = U + 1;
    const out = new Float32Array(M * S * 2 * N);
    for (let m = 0; m < M; m++) {
      for (let s = 0; s < S; s++) {
        const src = s < U ? ue : target;
        const i0 = s < U ? (m * U + s) * 2 * N : m * 2 * N;
        const o0 = (m * S + s) * 2 * N;
        for (let i = 0; i < N; i++) {
          out[o0 + 2 * i] = back * src[i0 + i];
          out[o0 + 2 * i + 1] = back * src[i0 + N + i];
        }
      }
    }
    return out;
  };
  return {
    meta,
    beamsBroadside,
    beams: (H, thetaAxisRad, powerW, noiseW) => beamsBroadside(H, Float64Array.from(thetaAxisRad, (t) => (Number.isNaN(t) ? NaN : axisToBroadsideRad(t))), powerW, noiseW),
  };
}

/** Loads a GNN model directory (model.json + weights.bin + metadata.json) as a beamformer, strictly, without tfjs (plain JavaScript). */
export function loadGnnBeamformer(dir: string): GnnBeamformer {
  const { meta, inference } = readGnn(dir);
  return beamformer(meta, inference.numTxAntennas, (h, a, M, U, p) => inference.forward(h, a, M, U, p));
}

/** Loads a GNN model directory strictly: the beamformer (on tfjs) and the tfjs model (`g.model`). */
export function loadGnnModel(tf: Tf, dir: string): GnnModel {
  const { meta, artifacts } = readGnn(dir);
  const model = edgeGnnFromArtifacts(tf, artifacts);
  return { ...beamformer(meta, model.config.numTxAntennas, tfjsOneSample(tf, model)), model, dispose: () => model.dispose() };
}

/** Each AP's angle to the (single) target as the view holds it (NaN: no estimate yet). */
export function viewAngles(topo: Topology, view: CsiView): Float64Array {
  const T = topo.numTargets;
  return Float64Array.from({ length: topo.numBs }, (_, m) => (view.targetApSlot[m * T] >= 0 ? view.targetApThetaRad[m * T] : NaN));
}

/** The centralised policy: the GNN at the CPU on its view, each AP's rows of the beams. */
export function gnnPolicy(name: string, loaded: GnnBeamformer, topo: Topology): CentralisedPolicy & { readonly meta: GnnMetadata } {
  const N = topo.numTxAnt;
  const U = topo.numUsers;
  const S = U + 1;
  return {
    name,
    scope: 'centralised',
    meta: loaded.meta,
    decideAll(view: CsiView) {
      const F = loaded.beamsBroadside(view.H, viewAngles(topo, view), topo.powerW, topo.noiseCommW);
      return topo.apStreams.map((rows, m): CArray => {
        const W = new Float64Array(2 * rows.length * N);
        rows.forEach((st, r) => {
          // stream st < U: user st's beam; the sensing stream: the AP's sensing beam (row U)
          const o = (m * S + (st < U ? st : U)) * 2 * N;
          for (let i = 0; i < 2 * N; i++) W[2 * r * N + i] = F[o + i];
        });
        // The network normalises in float32: remove the rounding that could put an AP a few 1e-8
        // above its budget (the twin refuses any excess beyond 1e-9).
        let p = 0;
        for (let i = 0; i < W.length; i++) p += W[i] * W[i];
        if (p > topo.powerW[m]) {
          const c = Math.sqrt(topo.powerW[m] / p);
          for (let i = 0; i < W.length; i++) W[i] *= c;
        }
        return W;
      });
    },
  };
}

/** The family of registry (policies.ts registers it in builtinFamilies). */
export const gnnFamily: ModelFamily = {
  name: 'gnn',
  summary: 'the CPU runs paper 004’s heterogeneous GNN on the fronthauled CSI and target angles (cell-free ISAC); param model: models/gnn-beta<β>',
  scope: 'centralised',
  layerClasses: GNN_LAYER_CLASSES,
  dimensionRule: 'any M and U; its trained N_t; one sensing stream per AP and one target',
  defaultModel: 'models/gnn-beta2',
  problem: (meta, modelPath, topo) => {
    const p = gnnProblem(meta, modelPath, topo);
    if (p) return p;
    // Strict loading, reported before the run: an unknown layer class is named at params.model.
    const bad = checkModelFile(modelDirOf(modelPath));
    return bad ? { path: ['params', 'model'], message: bad } : undefined;
  },
  // On the inference backend when one is up (a batch-1 XNNPACK forward: ≈ 1 ms at M = 5, 4 × 64),
  // else in plain JavaScript (layers/graph-infer.ts: the same numbers to float32 rounding, 2–6× slower).
  createPolicy: (dir, _meta, topo, tf) => gnnPolicy('gnn', tf ? loadGnnModel(tf, dir) : loadGnnBeamformer(dir), topo),
};
