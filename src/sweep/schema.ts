/**
 * The sweep file format (YAML): a base scenario, fixed overrides, axes over scenario field
 * paths (grid: every combination; zip: values taken together), the policies, the seeds, the
 * metrics of interest and the output folder. One zod schema gives validation and the JSON
 * Schema for editors (`isac-twin sweep --schema`). Field paths and their values are checked
 * against the scenario schema afterwards (load.ts), where the paths are known.
 *
 *   name: ageing
 *   scenario: ../scenarios/default.yaml       # relative to this file
 *   set: { durationSlots: 2000, shadows: [] } # field path → value, for every job
 *   axes:
 *     - grid:
 *         users.mobility.speedMps: [1.4, 10, 30]
 *         timing.pilotPeriodSlots: [5, 20]
 *     - zip:                                   # taken together: (0, 1), (2, 3)
 *         timing.backhaul.delayMs: [0, 2]
 *         timing.backhaul.jitterMs: [1, 3]
 *   policies: [vfl, wmmse, mrt]
 *   seeds: { from: 1, count: 5 }              # or a list: [1, 2, 3]
 *   metrics: [rc, rs, objective, csi_age]
 *   out: ../twin-runs/sweeps/ageing           # relative to this file
 */
import { z } from 'zod';

/** Values of one axis: a non-empty list. */
const axisValues = z.array(z.unknown()).min(1).describe('the values of this field, one job set per value');

const pathMap = z
  .record(z.string(), axisValues)
  .describe('scenario field path (e.g. users.mobility.speedMps) → its values');

export const axisGroupSchema = z
  .strictObject({
    grid: pathMap.optional().describe('every combination of the values of these fields'),
    zip: pathMap.optional().describe('these fields take their i-th values together (the lists must be equally long)'),
  })
  .describe('one group of axes; the jobs are every combination of the groups');

export const sweepPolicySchema = z
  .union(
    [
      z.string().min(1),
      z.strictObject({
        name: z.string().min(1),
        params: z.record(z.string(), z.unknown()).default({}),
        label: z.string().min(1).optional().describe('name in the catalog and the plots (default: the policy name)'),
      }),
    ],
    { error: (iss) => (iss.code === 'invalid_union' ? 'must be a policy name (isac-twin policies) or { name, params, label }' : undefined) },
  )
  .describe('a policy name, or { name, params, label }');

const seed = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const seedsSchema = z
  .union(
    [
      z.array(seed).min(1),
      z.strictObject({
        from: seed.default(1),
        count: z.number().int().positive().max(100000),
      }),
    ],
    { error: (iss) => (iss.code === 'invalid_union' ? 'must be a list of seeds ([1, 2, 3]) or { from, count }' : undefined) },
  )
  .describe('seeds: a list of whole numbers, or { from, count } for from, from+1, …');

export const sweepSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-" (it names the catalog and queue jobs)')
    .max(100),
  description: z.string().optional(),
  scenario: z.string().min(1).describe('the base scenario file, relative to the sweep file'),
  set: z.record(z.string(), z.unknown()).default({}).describe('field path → value applied to every job (e.g. durationSlots: 2000, shadows: [])'),
  axes: z.array(axisGroupSchema).default([]).describe('groups of axes; jobs = product of the groups × policies × seeds'),
  policies: z.array(sweepPolicySchema).min(1).optional().describe('policies to run at every point (default: the base scenario’s policy)'),
  seeds: seedsSchema.optional().describe('seeds to run at every point (default: the base scenario’s seed)'),
  metrics: z.array(z.string().min(1)).min(1).default(['rc', 'rs', 'objective']).describe('metrics summarised per job into the catalog (isac-twin sweep --help lists them)'),
  out: z.string().min(1).optional().describe('output folder, relative to the sweep file (default twin-runs/sweeps/<name> in the current folder)'),
  queue: z
    .strictObject({
      attempts: z.number().int().min(1).max(100).default(3).describe('tries of a job on the queue before it is failed'),
      backoffMs: z.number().int().min(0).max(3.6e6).default(2000).describe('first retry delay, doubled at each retry'),
    })
    .prefault({})
    .describe('BullMQ settings of `sweep --queue`'),
});

export type SweepFile = z.output<typeof sweepSchema>;

/** JSON Schema of sweep files, generated from the zod schema (for editors). */
export function sweepJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(sweepSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
