/**
 * Conjugate beamforming towards the targets (paper 000's CBF baseline, after Demirhan &
 * Alkhateeb): beam k of BS m points at target (k mod J_m) of its cell, w = √(P/K) a(θ̂)/√N_T,
 * using the BS's latest echo-based angle estimate θ̂. A BS with no target spreads its power as
 * `equal-power` does.
 */
import { z } from 'zod';
import type { CArray } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';
import type { Topology } from '../phy/network.ts';
import { emptyBeams, equalPowerPerStream } from './common.ts';
import { dftBeams } from './equal-power.ts';
import type { CsiView, DistributedPolicy, PolicyDefinition } from './types.ts';

export const cbf: PolicyDefinition = {
  name: 'cbf',
  summary: 'conjugate beamforming towards the BS’s targets (estimated angles)',
  params: z.strictObject({}),
  create: (): DistributedPolicy => ({
    name: 'cbf',
    scope: 'distributed',
    decide(m, view, { topo }) {
      const nt = topo.numTxAnt;
      if (topo.sensingGeometry === 'multistatic') return multistaticCbf(topo, m, view);
      const rows = topo.servedUsers[m].length;
      const targets = topo.targetsOf[m];
      if (targets.length === 0) return dftBeams(topo, m);
      const W = emptyBeams(topo, m);
      for (let k = 0; k < rows; k++) steeringInto(W, k * nt, nt, view.targetThetaRad[targets[k % targets.length]]);
      return equalPowerPerStream(W, rows, nt, topo.powerW[m]);
    },
  }),
};

/**
 * Multistatic (cell-free) CB sensing: every row of AP m towards its own estimated angle to a target
 * (row k → the k-th target with an estimate, cyclically), all rows at equal power, P_m in total —
 * paper 004's sensing upper bound f_ms = √(P_m/(S N_t)) a(θ_m) when there is one target.
 */
function multistaticCbf(topo: Topology, m: number, view: CsiView): CArray {
  const nt = topo.numTxAnt;
  const T = topo.numTargets;
  const rows = topo.apStreams[m].length;
  const known = Array.from({ length: T }, (_, t) => t).filter((t) => view.targetApSlot[m * T + t] >= 0);
  if (known.length === 0) return dftBeams(topo, m);
  const W = emptyBeams(topo, m);
  for (let k = 0; k < rows; k++) steeringInto(W, k * nt, nt, view.targetApThetaRad[m * T + known[k % known.length]]);
  return equalPowerPerStream(W, rows, nt, topo.powerW[m]);
}
