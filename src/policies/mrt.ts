/**
 * Maximum-ratio transmission: w_{m,k} = √(P/K) h_{m,u_k} / ‖h_{m,u_k}‖, equal power per stream.
 * Closed form: one user, one cell → SINR = P‖h‖²/σ².
 */
import { z } from 'zod';
import { ccopy } from '../phy/complex.ts';
import { emptyBeams, equalPowerPerStream, linkOffset, requireRow } from './common.ts';
import type { DistributedPolicy, PolicyDefinition } from './types.ts';

export const mrt: PolicyDefinition = {
  name: 'mrt',
  summary: 'maximum-ratio transmission towards each served user (local CSI)',
  params: z.strictObject({}),
  create: (): DistributedPolicy => ({
    name: 'mrt',
    scope: 'distributed',
    dependsOn: 'csi',
    decide(m, view, { topo }) {
      requireRow(view, m, 'mrt');
      const nt = topo.numTxAnt;
      const users = topo.servedUsers[m];
      const W = emptyBeams(topo, m);
      for (let k = 0; k < users.length; k++) ccopy(W, k * nt, view.H, linkOffset(topo, m, users[k]), nt);
      return equalPowerPerStream(W, users.length, nt, topo.powerW[m]);
    },
  }),
};
