/**
 * Channel-agnostic equal power: beam k of BS m is the k-th DFT beam e^{j2π nk/N_T}/√N_T
 * (orthogonal beams), each with power P/K. A baseline that uses no CSI at all.
 */
import { z } from 'zod';
import type { CArray } from '../phy/complex.ts';
import type { Topology } from '../phy/network.ts';
import { emptyBeams, equalPowerPerStream } from './common.ts';
import type { DistributedPolicy, PolicyDefinition } from './types.ts';

export function dftBeams(topo: Topology, m: number): CArray {
  const nt = topo.numTxAnt;
  const rows = topo.servedUsers[m].length;
  const W = emptyBeams(topo, m);
  for (let k = 0; k < rows; k++) {
    for (let n = 0; n < nt; n++) {
      const ph = (2 * Math.PI * n * k) / nt;
      W[2 * (k * nt + n)] = Math.cos(ph);
      W[2 * (k * nt + n) + 1] = Math.sin(ph);
    }
  }
  return equalPowerPerStream(W, rows, nt, topo.powerW[m]);
}

export const equalPower: PolicyDefinition = {
  name: 'equal-power',
  summary: 'orthogonal DFT beams with equal power, no CSI',
  params: z.strictObject({}),
  create: (): DistributedPolicy => ({ name: 'equal-power', scope: 'distributed', decide: (m, _view, { topo }) => dftBeams(topo, m) }),
};
