/**
 * The policy registry: names usable on the command line and in YAML, their parameter schemas
 * and requirements. Other modules (learned models, SDP designs) add their families with
 * `registerPolicy`.
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

const registry = new Map<string, PolicyDefinition>();

export function registerPolicy(def: PolicyDefinition<z.ZodType>): void {
  registry.set(def.name, def as PolicyDefinition);
}

for (const def of [mrt, zf, imt, cbf, wmmse as PolicyDefinition, equalPower, random, timeSharing as PolicyDefinition]) registerPolicy(def);
for (const def of localizationPolicies) registerPolicy(def);
for (const def of jointPolicies) registerPolicy(def);
for (const def of cfIsacPolicies) registerPolicy(def);

export function policyNames(): string[] {
  return [...registry.keys()];
}

export function policyDefinition(name: string): PolicyDefinition | undefined {
  return registry.get(name);
}

/** A problem with a policy spec: the path inside the spec and what is wrong. */
export interface PolicyProblem {
  path: Array<string | number>;
  message: string;
  /** The problem is the key itself (an unknown parameter), not its value. */
  atKey?: boolean;
}

/** Checks a spec (name, parameters, requirements, nested specs) against a topology. */
export function checkPolicySpec(spec: PolicySpec, topo: Topology): PolicyProblem | undefined {
  const def = registry.get(spec.name);
  if (!def) return { path: ['name'], message: `unknown policy "${spec.name}" (known: ${policyNames().join(', ')})` };
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
      const p = checkPolicySpec(nested, topo);
      if (p) return { ...p, path: ['params', key, ...p.path] };
    }
  }
  const req = def.requires?.(topo, parsed.data);
  if (!req) return undefined;
  return typeof req === 'string' ? { path: ['name'], message: req } : req;
}

/** Builds a policy from a spec (validate first with checkPolicySpec for good messages). */
export function resolvePolicy(spec: PolicySpec, topo: Topology): Policy {
  const def = registry.get(spec.name);
  if (!def) throw new Error(`unknown policy "${spec.name}"`);
  const params = def.params.parse(spec.params ?? {});
  return def.create(params, topo, (s) => resolvePolicy(s, topo));
}
