/**
 * The learned policies `vfl` and `percell` (paper 000) in the twin: each BS runs its own trained
 * MLP on its own latest (stale, noisy) local CSI at every decision.
 *
 * BS m's input is built from its view exactly as the training features (dataset.ts):
 *   H̃_m = view.H[m, all users] · √(P_m/σ_c²)                (its last pilot report)
 *   G̃_m = view.sens.g[t, m] · √(P_m/(N_R σ_s²)) for every target t (percell: own cell only)
 * then turned into the model's input features by features.ts `featuresInto` (the function training
 * uses; mode from the metadata: rms with `featureScale`, or log-gain + direction). The other cells' target angles in view.sens come from
 * echo estimates the neighbouring BSs share over the backhaul (the policies set
 * `needsSharedEchoes`; see Twin). Targets with no estimate yet contribute zeros. The output is
 * normalised to P_m (eq. 11).
 *
 * This module reads model files (fs), so it lives outside the core; `twinPolicies` builds the
 * registry with them. Inference uses the tfjs given to it (an initialised backend: fast), else
 * plain JavaScript (the same numbers, ~10× slower).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CArray } from '../phy/complex.ts';
import type { Topology } from '../phy/network.ts';
import { builtinPolicies, type PolicyRegistry } from '../policies/registry.ts';
import type { CsiView, DistributedPolicy, RequirementProblem } from '../policies/types.ts';
import { dimsOf, inputDim, sizes, type IsacDims } from './dataset.ts';
import { featureSpecOf, featuresInto } from './features.ts';
import { familyPolicy, FamilyRegistry, type ModelFamily } from './families.ts';
import { gnnFamily } from './gnn-family.ts';
import { gnnSplitDefinition } from './gnn-split.ts';
import { studentPolicyDefinition, type StudentNets } from './paper001/student-policy.ts';
import { exchangePolicyDefinition } from './primal-dual/twin-exchange-policy.ts';
import { twinPolicyDefinition } from './primal-dual/twin-policy.ts';
import { MLP_LAYER_CLASSES, MlpRunner, readDenseLayers } from './inference.ts';
import { bsDir, readMetadata, type ModelMetadata } from './model-store.ts';

export type Tf = typeof import('@tensorflow/tfjs');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Shipped models for scenarios/default.yaml. */
export const DEFAULT_MODELS = { vfl: 'models/default-vfl-rho0.5', percell: 'models/default-percell-rho0.5' } as const;

/** A model path as given → the directory: absolute, relative to the cwd, else to the package root. */
export function resolveModelDir(p: string): string {
  if (path.isAbsolute(p) || existsSync(p)) return p;
  const fromRoot = path.join(ROOT, p);
  return existsSync(fromRoot) ? fromRoot : p;
}

const fmtDims = (d: IsacDims) => `M=${d.numBs}, N_T=${d.numTxAnt}, N_R=${d.numRxAnt}, K=${d.usersPerCell}, J=${d.targetsPerCell}`;

/** The dimension rule of paper 000's per-BS MLPs: exactly the trained network, one BS per user, K per BS. */
function mlpProblem(family: string, meta: ModelMetadata, modelPath: string, topo: Topology): string | RequirementProblem | undefined {
  if (topo.kind !== 'multicell' || topo.userAps.some((a) => a.length !== 1)) {
    return `${family} models are per-cell MLPs of paper 000: they need a multicell network with one BS per user (this one is ${topo.kind})`;
  }
  if (topo.dynamicAssociation) {
    return `${family} models need K users per BS throughout: set association.handover.enabled to false`;
  }
  let dims: IsacDims;
  try {
    dims = dimsOf(topo);
  } catch (e) {
    return (e as Error).message;
  }
  const a = meta.dims;
  if (a.numBs !== dims.numBs || a.numTxAnt !== dims.numTxAnt || a.numRxAnt !== dims.numRxAnt || a.usersPerCell !== dims.usersPerCell || a.targetsPerCell !== dims.targetsPerCell) {
    return { path: ['params', 'model'], message: `model ${modelPath} was trained for ${fmtDims(a)} but this scenario has ${fmtDims(dims)}: an MLP runs only at its trained dimensions; train a model for it with \`isac-twin train <scenario> --family ${family}\`` };
  }
  return undefined;
}

/** Why a model cannot run on this topology, or undefined (the family's check, through the registry). */
export function modelProblem(family: 'vfl' | 'percell', modelPath: string, topo: Topology): string | undefined {
  const def = familyPolicy(builtinFamilies().get(family)!, { resolveModelDir, inferenceTf: () => undefined });
  const p = def.requires!(topo, { model: modelPath });
  return typeof p === 'object' ? p.message : p;
}

/** A learned distributed policy with shared echoes. */
export interface LearnedPolicy extends DistributedPolicy {
  readonly needsSharedEchoes: true;
  readonly meta: ModelMetadata;
  /** Raw model of BS m (for benchmarks). */
  readonly runners: MlpRunner[];
}

/** A learned policy of the vfl or percell family from a model directory (checked like the policy spec). */
export function createLearnedPolicy(family: 'vfl' | 'percell', modelPath: string, topo: Topology, tf?: Tf): LearnedPolicy {
  const problem = modelProblem(family, modelPath, topo);
  if (problem) throw new Error(problem);
  const dir = resolveModelDir(modelPath);
  return mlpPolicy(family, dir, readMetadata(dir), topo, tf);
}

function mlpPolicy(method: string, dir: string, meta: ModelMetadata, topo: Topology, tf: Tf | undefined): LearnedPolicy {
  const d = meta.dims;
  const local = meta.localFeatures === 'own-cell';
  const runners = topo.servedUsers.map((_, m) => {
    const { layers, leakyAlpha } = readDenseLayers(bsDir(dir, m));
    return new MlpRunner(layers, leakyAlpha, tf);
  });
  const z = sizes(d);
  const nt = topo.numTxAnt;
  const x = new Float32Array(inputDim(d, local));
  const hBuf = new Float64Array(2 * topo.numBs * z.numUsers * nt);
  const gBuf = new Float64Array(2 * z.numTargets * topo.numBs * nt);
  const spec = featureSpecOf(meta);
  return {
    name: method,
    scope: 'distributed',
    needsSharedEchoes: true,
    meta,
    runners,
    decide(bs: number, view: CsiView): CArray {
      // Only the rows BS bs uses are filled: H̃[bs, :, :] and G̃[:, bs, :].
      const hs = Math.sqrt(topo.powerW[bs] / topo.noiseCommW);
      const hOff = 2 * bs * z.numUsers * nt;
      for (let i = 0; i < 2 * z.numUsers * nt; i++) hBuf[hOff + i] = view.H[hOff + i] * hs;
      const gs = Math.sqrt(topo.powerW[bs] / (topo.numRxAnt * topo.noiseSensW));
      const g = view.sens.g;
      for (let t = 0; t < z.numTargets; t++) {
        const off = 2 * (t * topo.numBs + bs) * nt;
        const known = view.targetSlot[t] >= 0;
        for (let i = 0; i < 2 * nt; i++) gBuf[off + i] = known ? g[off + i] * gs : 0;
      }
      featuresInto(x, 0, d, bs, hBuf, 0, gBuf, 0, local, spec);
      const raw = runners[bs].run(x);
      let p = 0;
      for (let i = 0; i < raw.length; i++) p += raw[i] * raw[i];
      const s = p > 0 ? Math.sqrt(topo.powerW[bs] / p) : 0;
      const W = new Float64Array(raw.length);
      for (let i = 0; i < raw.length; i++) W[i] = raw[i] * s;
      return W;
    },
  };
}

/** Paper 000's per-BS MLPs: each BS runs its own network on its own CSI (and shared echoes). */
const mlpFamily = (name: 'vfl' | 'percell', summary: string): ModelFamily => ({
  name,
  summary,
  scope: 'distributed',
  layerClasses: MLP_LAYER_CLASSES,
  dimensionRule: 'exactly its trained M, N_T, N_R, K and J; a multicell network with a fixed association',
  defaultModel: DEFAULT_MODELS[name],
  problem: (meta, modelPath, topo) => mlpProblem(name, meta, modelPath, topo),
  createPolicy: (dir, meta, topo, tf) => mlpPolicy(name, dir, meta, topo, tf),
});

/** The model families this package ships (a fresh registry: pass it where families are needed). */
export function builtinFamilies(): FamilyRegistry {
  return new FamilyRegistry()
    .register(mlpFamily('vfl', 'each BS runs its VFL-trained MLP on its own stale CSI (paper 000); param model: models/<name>'))
    .register(mlpFamily('percell', 'each BS runs its per-cell-trained MLP on its own cell’s CSI (per-cell DL baseline)'))
    .register(gnnFamily);
}

/**
 * The twin's policy registry: the solver policies and one learned policy per built-in family.
 * Learned policies run inference on `inferenceTf` (an initialised tfjs backend) when given, else in
 * plain JavaScript (the same numbers, slower). A fresh value per call: pass it to `loadScenario`.
 */
export function twinPolicies(opts: { inferenceTf?: Tf; studentNets?: StudentNets } = {}): PolicyRegistry {
  const registry = builtinPolicies();
  const hooks = { resolveModelDir, inferenceTf: () => opts.inferenceTf };
  for (const f of builtinFamilies().list()) registry.register(familyPolicy(f, hooks));
  registry.register(gnnSplitDefinition(hooks));
  registry.register(twinPolicyDefinition(hooks));
  registry.register(exchangePolicyDefinition(hooks));
  const studentNets = opts.studentNets ?? new Map();
  registry.register(studentPolicyDefinition({ resolveModelDir, loaded: () => studentNets }));
  return registry;
}
