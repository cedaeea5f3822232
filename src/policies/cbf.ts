/**
 * Conjugate beamforming towards the targets (paper 000's CBF baseline, after Demirhan &
 * Alkhateeb): beam k of BS m points at target (k mod J_m) of its cell, w = √(P/K) a(θ̂)/√N_T,
 * using the BS's latest echo-based angle estimate θ̂. A BS with no target spreads its power as
 * `equal-power` does.
 */
import { z } from 'zod';
import { steeringInto } from '../phy/geometry.ts';
import { emptyBeams, equalPowerPerStream } from './common.ts';
import { dftBeams } from './equal-power.ts';
import type { DistributedPolicy, PolicyDefinition } from './types.ts';

export const cbf: PolicyDefinition = {
  name: 'cbf',
  summary: 'conjugate beamforming towards the BS’s targets (estimated angles)',
  params: z.strictObject({}),
  create: (): DistributedPolicy => ({
    name: 'cbf',
    scope: 'distributed',
    decide(m, view, { topo }) {
      const nt = topo.numTxAnt;
      const rows = topo.servedUsers[m].length;
      const targets = topo.targetsOf[m];
      if (targets.length === 0) return dftBeams(topo, m);
      const W = emptyBeams(topo, m);
      for (let k = 0; k < rows; k++) steeringInto(W, k * nt, nt, view.targetThetaRad[targets[k % targets.length]]);
      return equalPowerPerStream(W, rows, nt, topo.powerW[m]);
    },
  }),
};
