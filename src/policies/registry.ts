/**
 * The policy registry: names usable on the command line and in YAML, their parameter schemas
 * and requirements. A registry is a value: `builtinPolicies()` makes a fresh one with the
 * solver policies of this directory, the composition root adds the learned ones
 * (`twinPolicies` in learning/policies.ts) and passes it to `loadScenario`, which keeps it in
 * the LoadedScenario the twin resolves its policies from. No module holds one.
 */
import type { z } from 'zod';
import type { Topology } from '../phy/network.ts';
import type { PolicySpec } from '../scenario/schema.ts';
import { cbf } from './cbf.ts';
import { equalPower } from './equal-power.ts';
import { localizationPolicies } from './localization.ts';
import { mrt } from './mrt.ts';
import { random } from './random.ts';
import { timeSharing } from './time-sharing.ts';
import type { Policy, PolicyDefinition } from './types.ts';
import { wmmse } from './wmmse.ts';
import { imt, zf } from './zf.ts';
import { jointPolicies } from './joint.ts';
import { cfIsacPolicies } from './cf-isac.ts';
import { jscPolicies } from './jsc.ts';

/** A problem with a policy spec: the path inside the spec and what is wrong. */
export interface PolicyProblem {
  path: Array<string | number>;
  message: string;
  /** The problem is the key itself (an unknown parameter), not its value. */
  atKey?: boolean;
}

export class PolicyRegistry {
  private readonly defs = new Map<string, PolicyDefinition>();

  constructor(defs: Iterable<PolicyDefinition<z.ZodType>> = []) {
    for (const def of defs) this.register(def);
  }

  /** Adds (or replaces) a definition; returns this registry. */
  register(def: PolicyDefinition<z.ZodType>): this {
    this.defs.set(def.name, def as PolicyDefinition);
    return this;
  }

  names(): string[] {
    return [...this.defs.keys()];
  }

  definition(name: string): PolicyDefinition | undefined {
    return this.defs.get(name);
  }

  /** Checks a spec (name, parameters, requirements, nested specs) against a topology. */
  check(spec: PolicySpec, topo: Topology): PolicyProblem | undefined {
    const def = this.defs.get(spec.name);
    if (!def) return { path: ['name'], message: `unknown policy "${spec.name}" (known: ${this.names().join(', ')})` };
    const parsed = def.params.safeParse(spec.params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ['params', ...(issue.path as Array<string | number>)];
      if (issue.code === 'unrecognized_keys') return { path: [...path, issue.keys[0]], message: `unknown parameter "${issue.keys[0]}" of ${spec.name}`, atKey: true };
      return { path, message: issue.message };
    }
    for (const key of def.nested ?? (spec.name === 'time-sharing' ? ['comm', 'sensing'] : [])) {
      const nested = (parsed.data as Record<string, unknown>)[key] as PolicySpec | undefined;
      if (nested) {
        const p = this.check(nested, topo);
        if (p) return { ...p, path: ['params', key, ...p.path] };
      }
    }
    const req = def.requires?.(topo, parsed.data);
    if (!req) return undefined;
    return typeof req === 'string' ? { path: ['name'], message: req } : req;
  }

  /** Builds a policy from a spec (validate first with `check` for good messages). */
  resolve(spec: PolicySpec, topo: Topology): Policy {
    const def = this.defs.get(spec.name);
    if (!def) throw new Error(`unknown policy "${spec.name}"`);
    const params = def.params.parse(spec.params ?? {});
    return def.create(params, topo, (s) => this.resolve(s, topo));
  }
}

/** A fresh registry with the solver policies (no learned models). */
export function builtinPolicies(): PolicyRegistry {
  return new PolicyRegistry([mrt, zf, imt, cbf, wmmse as PolicyDefinition, equalPower, random, timeSharing as PolicyDefinition, ...localizationPolicies, ...jointPolicies, ...cfIsacPolicies, ...jscPolicies]);
}
