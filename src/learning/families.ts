/**
 * Model families: what a learned beamformer is, declared once (docs/learning.md).
 *
 * A family says which layer classes its files may contain (loading is strict: anything else is
 * refused naming the layer), how its dimension rules read (an MLP needs its trained dims, a GNN
 * runs at any M and U), how a decision-maker's view becomes its inputs and its outputs become
 * beams meeting every power budget (its policy), and how it is trained. Policies for learned
 * models are registered from the families of a registry; nothing else names a family.
 *
 * The registry is a value passed around (no module-level singleton): `builtinFamilies()` returns
 * a fresh one with the families this package ships.
 */
import { z } from 'zod';
import type { Topology } from '../phy/network.ts';
import type { Policy, PolicyDefinition, RequirementProblem } from '../policies/types.ts';
import { readMetadata, type ModelMetadata } from './model-store.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** Where its decisions are made (the twin's protocols, policies/types.ts). */
export type FamilyScope = 'distributed' | 'centralised' | 'hierarchical' | 'multi-round';

export interface ModelFamily {
  /** Stored in metadata.json as `family`; also the name of its policy. */
  readonly name: string;
  readonly summary: string;
  readonly scope: FamilyScope;
  /** Layer classes its model files may contain. */
  readonly layerClasses: readonly string[];
  /** The dimension rule in words (`models list`, docs). */
  readonly dimensionRule: string;
  /** The model the policy uses when the scenario names none. */
  readonly defaultModel?: string;
  /**
   * Why the model (its metadata) cannot run on this topology, or undefined: a string when the
   * scenario is at fault (reported at the policy's name), a RequirementProblem at ['params',
   * 'model'] when the model is.
   */
  problem(meta: ModelMetadata, modelPath: string, topo: Topology): string | RequirementProblem | undefined;
  /** The policy that runs the model in the twin (the directory is resolved and checked). */
  createPolicy(modelDir: string, meta: ModelMetadata, topo: Topology, tf: Tf | undefined): Policy;
}

export class FamilyRegistry {
  private readonly families = new Map<string, ModelFamily>();

  register(f: ModelFamily): this {
    if (this.families.has(f.name)) throw new Error(`model family "${f.name}" is registered twice`);
    this.families.set(f.name, f);
    return this;
  }

  get(name: string): ModelFamily | undefined {
    return this.families.get(name);
  }

  names(): string[] {
    return [...this.families.keys()];
  }

  list(): ModelFamily[] {
    return [...this.families.values()];
  }
}

/** The family a model's metadata names (files written before families existed name a `method`). */
export function familyOf(meta: ModelMetadata): string {
  return meta.family ?? meta.method;
}

export interface PolicyHooks {
  /** Model path → directory (absolute, relative to the cwd, else to the package root). */
  resolveModelDir(p: string): string;
  /** The tfjs the policies created from now on run on (an initialised backend), if any. */
  inferenceTf(): Tf | undefined;
}

/**
 * The policy definition of a family: parameter `model` (a directory), its requirement (the model
 * exists, is of this family and fits the topology) and its factory.
 */
export function familyPolicy(f: ModelFamily, hooks: PolicyHooks): PolicyDefinition {
  // A model that cannot be read or is of another family is the fault of params.model.
  const atModel = (message: string): RequirementProblem => ({ path: ['params', 'model'], message });
  const check = (modelPath: string, topo: Topology): { problem?: string | RequirementProblem; meta?: ModelMetadata; dir: string } => {
    const dir = hooks.resolveModelDir(modelPath);
    let meta: ModelMetadata;
    try {
      meta = readMetadata(dir);
    } catch (e) {
      return { dir, problem: atModel(`${(e as Error).message}; train one with \`isac-twin train <scenario> --family ${f.name} --out ${modelPath}\``) };
    }
    const family = familyOf(meta);
    if (family !== f.name) return { dir, problem: atModel(`model ${modelPath} is of family ${family}, not ${f.name}`) };
    return { dir, meta, problem: f.problem(meta, modelPath, topo) };
  };
  const params = z.strictObject({
    model: (f.defaultModel ? z.string().min(1).default(f.defaultModel) : z.string().min(1)).describe('model directory (models/<name>)'),
  });
  return {
    name: f.name,
    summary: f.summary,
    params,
    requires: (topo: Topology, p: { model: string }) => check(p.model, topo).problem,
    create: (p: { model: string }, topo: Topology) => {
      const { dir, meta, problem } = check(p.model, topo);
      if (problem || !meta) throw new Error(typeof problem === 'string' ? problem : problem?.message);
      return f.createPolicy(dir, meta, topo, hooks.inferenceTf());
    },
  } as unknown as PolicyDefinition;
}
