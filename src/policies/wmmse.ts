/**
 * WMMSE at the central unit: weighted sum-rate beamforming over all cells (see
 * solvers/wmmse.ts), from the CSI that reached the central unit over the backhaul.
 * Parameters: `iterations` (max), `tolerance` (relative WSR change), `warmStart` (start from
 * the previous decision instead of MRT — the usual practice when tracking a slowly varying
 * channel), `starts` (multi-start: e.g. [mrt, zf, previous], the best end point kept — at high SNR
 * the nulling start wins, docs/vfl.md). A warm start's dead streams (zero power) restart from MRT (solvers/wmmse.ts).
 * Tolerance: bench/twin.ts compares 1e-4 with 1e-6 on the default scenario — 1e-6 gains 0.09 % of
 * mean R_c for ~8.4× the compute per decision (0.95 → 8.0 ms), so 1e-4 stays the default.
 */
import { z } from 'zod';
import { wmmse as solve } from '../solvers/wmmse.ts';
import { wmmseMultiStart } from '../solvers/wmmse-multistart.ts';
import { jointWmmse } from './joint.ts';
import type { CentralisedPolicy, PolicyDefinition } from './types.ts';

const params = z.strictObject({
  iterations: z.number().int().positive().default(100),
  tolerance: z.number().positive().default(1e-4),
  warmStart: z.boolean().default(true),
  restartDead: z.boolean().default(true).describe('restart a warm start’s zero-power streams from MRT (false: the first twin’s behaviour)'),
  starts: z
    .array(z.enum(['mrt', 'zf', 'previous']))
    .min(1)
    .optional()
    .describe('multi-start (the figures’ strong WMMSE, solvers/wmmse-multistart.ts): run from each start, keep the best; `previous` is the last decision (skipped before the first)'),
});

export const wmmse: PolicyDefinition<typeof params> = {
  name: 'wmmse',
  summary: 'weighted MMSE sum-rate maximisation at the central unit (per-BS power; joint transmission in cell-free networks)',
  params,
  create: (p): CentralisedPolicy => ({
    name: 'wmmse',
    scope: 'centralised',
    decideAll(view, ctx) {
      // Joint transmission (a stream on several APs) or sensing rows: the JT-WMMSE of solvers/jt-wmmse.ts.
      if (ctx.topo.userAps.some((a) => a.length > 1) || ctx.topo.numSensingStreams > 0) return jointWmmse(ctx.topo, view, p, ctx.previous);
      const live = ctx.previous?.some((w) => w.some((x) => x !== 0)) ? ctx.previous : undefined;
      if (p.starts) {
        const starts = p.starts.filter((s) => s !== 'previous' || live);
        const opts = { maxIterations: p.iterations, tolerance: p.tolerance, restartDead: p.restartDead };
        return wmmseMultiStart(ctx.topo, view.H, { ...opts, starts: starts.length > 0 ? starts : ['mrt'], previous: live }).W;
      }
      const init = p.warmStart ? live : undefined;
      return solve(ctx.topo, view.H, { maxIterations: p.iterations, tolerance: p.tolerance, init, restartDead: p.restartDead }).W;
    },
  }),
};
