/** Random beamformers: i.i.d. CN(0, 1) entries from the policy's own stream, scaled to power P. */
import { z } from 'zod';
import { normalisePower } from '../metrics/isac.ts';
import { emptyBeams } from './common.ts';
import type { DistributedPolicy, PolicyDefinition } from './types.ts';

export const random: PolicyDefinition = {
  name: 'random',
  summary: 'random beamformers at full power (seeded)',
  params: z.strictObject({}),
  create: (): DistributedPolicy => ({
    name: 'random',
    scope: 'distributed',
    decide(m, _view, { topo, rng }) {
      const W = emptyBeams(topo, m);
      rng.complexNormal(W);
      normalisePower(W, topo.powerW[m]);
      return W;
    },
  }),
};
