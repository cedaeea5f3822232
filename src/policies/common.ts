/** Small helpers shared by the classic policies. */
import { czeros, type CArray } from '../phy/complex.ts';
import type { Topology } from '../phy/network.ts';
import { normalisePower } from '../metrics/isac.ts';
import type { CsiView } from './types.ts';

/** Element offset of h_{m,u} inside a [numBs, numUsers, numTxAnt] channel array. */
export function linkOffset(topo: Topology, m: number, u: number): number {
  return (m * topo.numUsers + u) * topo.numTxAnt;
}

/** A zero W_m for BS m (all its rows: served users, then sensing streams). */
export function emptyBeams(topo: Topology, m: number): CArray {
  return czeros(topo.apStreams[m].length * topo.numTxAnt);
}

/**
 * W_m with all the AP's rows: a policy that returns only the communication rows (served users)
 * leaves the dedicated sensing rows silent (zero).
 */
export function padRows(topo: Topology, m: number, W: CArray): CArray {
  const want = 2 * topo.apStreams[m].length * topo.numTxAnt;
  if (W.length === want || W.length !== 2 * topo.servedUsers[m].length * topo.numTxAnt) return W;
  const out = czeros(want / 2);
  out.set(W);
  return out;
}

/** Scales every row of W ([rows, nt]) to norm √(P/rows): equal power per stream, total P. */
export function equalPowerPerStream(W: CArray, rows: number, nt: number, powerW: number): CArray {
  const target = rows > 0 ? powerW / rows : 0;
  for (let k = 0; k < rows; k++) {
    let n2 = 0;
    for (let i = 2 * k * nt; i < 2 * (k + 1) * nt; i++) n2 += W[i] * W[i];
    const s = n2 > 0 ? Math.sqrt(target / n2) : 0;
    for (let i = 2 * k * nt; i < 2 * (k + 1) * nt; i++) W[i] *= s;
  }
  // Rows that were zero leave power unused: renormalise the total to P if anything is left.
  normalisePower(W, powerW);
  return W;
}

/** Throws if the view lacks the BS's own channel row (the engine never asks then). */
export function requireRow(view: CsiView, m: number, policy: string): void {
  if (!view.known[m]) throw new Error(`${policy}: BS ${m} has no CSI of its own links in this view`);
}
