/**
 * Time-sharing between a communication-optimal and a sensing-optimal policy: a share `commShare`
 * of the slots uses `comm`, the rest `sensing`, spread evenly (slot s uses `comm` when
 * ⌊(s+1)·share⌋ > ⌊s·share⌋). Averaged over time it reaches every convex combination of the two
 * extreme (R_c, R_s) points — the reference the trade-off curves of paper 000 (Fig. 5) are
 * compared against. It runs where its most central member runs.
 */
import { z } from 'zod';
import { policySpecSchema } from '../scenario/schema.ts';
import { decideAllFrom, type CentralisedPolicy, type DistributedPolicy, type Policy, type PolicyDefinition } from './types.ts';

const params = z.strictObject({
  comm: policySpecSchema.default({ name: 'wmmse', params: {} }),
  sensing: policySpecSchema.default({ name: 'cbf', params: {} }),
  commShare: z.number().min(0).max(1).default(0.5),
});

/** Whether slot s is a communication slot for a given share. */
export function isCommSlot(slot: number, share: number): boolean {
  return Math.floor((slot + 1) * share + 1e-9) > Math.floor(slot * share + 1e-9);
}

export const timeSharing: PolicyDefinition<typeof params> = {
  name: 'time-sharing',
  summary: 'alternates a communication-optimal and a sensing-optimal policy over slots',
  params,
  create: (p, _topo, resolve): Policy => {
    const comm = resolve(p.comm);
    const sensing = resolve(p.sensing);
    const pick = (slot: number) => (isCommSlot(slot, p.commShare) ? comm : sensing);
    if (comm.scope === 'distributed' && sensing.scope === 'distributed') {
      // A member reading other cells' echo estimates (a learned policy) still needs them shared
      // when it acts only in some slots. `dependsOn` is NOT passed on: which member acts depends
      // on the slot, so the beams must be recomputed even when the CSI is unchanged.
      const needsSharedEchoes = !!(comm.needsSharedEchoes || sensing.needsSharedEchoes);
      const d: DistributedPolicy = {
        name: 'time-sharing',
        scope: 'distributed',
        ...(needsSharedEchoes ? { needsSharedEchoes } : {}),
        decide: (m, view, ctx) => (pick(ctx.slot) as DistributedPolicy).decide(m, view, ctx),
      };
      return d;
    }
    const c: CentralisedPolicy = {
      name: 'time-sharing',
      scope: 'centralised',
      decideAll: (view, ctx) => decideAllFrom(pick(ctx.slot), view, ctx),
    };
    return c;
  },
};
