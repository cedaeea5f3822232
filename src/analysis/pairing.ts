/**
 * Whether two runs saw the same channel realisations (common random numbers): same resolved
 * scenario apart from the policy side (policy, shadows, length, logging, name), same seed, same
 * isac-twin version. Then per-slot differences between them are paired.
 */
import type { RunDb } from './run-db.ts';

/** Keys of the resolved scenario that do not change the channels. */
const POLICY_KEYS = new Set(['policy', 'shadows', 'durationSlots', 'logging', 'name', 'description', 'seed']);

function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

/** The scenario of a run without what only the policy side changes. */
export function channelScenario(run: RunDb): string {
  const r = run.meta.resolved;
  return canonical(Object.fromEntries(Object.entries(r).filter(([k]) => !POLICY_KEYS.has(k))));
}

/** Whether two runs see the same channel realisations, and why (not). */
export function pairing(a: RunDb, b: RunDb): { paired: boolean; reason: string } {
  if (a.meta.seed !== b.meta.seed) return { paired: false, reason: `different seeds (${a.meta.seed} vs ${b.meta.seed})` };
  if (a.meta.packageVersion !== b.meta.packageVersion) {
    return { paired: false, reason: `written by different isac-twin versions (${a.meta.packageVersion} vs ${b.meta.packageVersion})` };
  }
  const sa = channelScenario(a);
  const sb = channelScenario(b);
  if (sa !== sb) {
    const ra = a.meta.resolved;
    const rb = b.meta.resolved;
    const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].filter((k) => !POLICY_KEYS.has(k) && canonical(ra[k]) !== canonical(rb[k]));
    return { paired: false, reason: `different scenarios (${keys.join(', ') || 'structure'} differ beyond the policy)` };
  }
  return { paired: true, reason: `same scenario and seed ${a.meta.seed}: common random numbers` };
}
