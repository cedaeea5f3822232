/**
 * Stable identities of sweep jobs.
 *
 * - The job id is a hash of everything that decides a job's numbers: its resolved scenario
 *   (every default filled in, so `speedMps: 1.5` written or left to the default is the same
 *   job), its seed, its policy (name and parameters), the code version and, for learned
 *   policies, the digest of the model's metadata (a retrained model is a different job). A
 *   re-run of a sweep skips the ids it has finished; a changed job has a new id and runs.
 * - The channel key hashes what decides the channel realisations: the scenario without its
 *   policy side (the rule of analysis/pairing.ts), the seed and the code version. Jobs with the
 *   same channel key see the same channels (common random numbers), so their per-seed results
 *   pair across policies.
 */
import { createHash } from 'node:crypto';
import type { RunDb } from '../analysis/run-db.ts';
import { channelScenario } from '../analysis/pairing.ts';
import { stableJson } from '../learning/labels.ts';
import type { PolicySpec, Scenario } from '../scenario/schema.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Format of the hashed key: bump when its fields change meaning. */
const JOB_KEY_FORMAT = 1;

export interface JobKey {
  scenario: Scenario;
  seed: number;
  policy: PolicySpec;
  codeVersion: string;
  /** Digest of each learned policy's model, by policy name (empty when none). */
  models: Record<string, string>;
}

/** 20 hex digits identifying a job. */
export function jobId(k: JobKey): string {
  return sha(stableJson({ format: JOB_KEY_FORMAT, scenario: k.scenario, seed: k.seed, policy: k.policy, code: k.codeVersion, models: k.models })).slice(0, 20);
}

/** 16 hex digits shared by the jobs that see the same channel realisations. */
export function channelKey(scenario: Scenario, codeVersion: string): string {
  // channelScenario reads only the run's resolved scenario.
  const channels = channelScenario({ meta: { resolved: scenario } } as unknown as RunDb);
  return sha(stableJson({ channels, seed: scenario.seed, code: codeVersion })).slice(0, 16);
}
