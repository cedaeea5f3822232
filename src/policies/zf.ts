/**
 * Zero-forcing beamforming from local CSI, in two flavours:
 * - `zf`: nulls the interference between the BS's own users (intra-cell), needs K ≤ N_T;
 * - `imt` (interference-minimising transmission, Zakhour–Ho–Gesbert): also nulls the BS's
 *   interference towards every other cell's users, from its own measured links h_{m,u} ∀u,
 *   needs (all users) ≤ N_T.
 * w_k = Σ_l h_l X_{lk} with X = Gram⁻¹, Gram_{jl} = h_jᴴ h_l over the nulled set, so h_jᴴ w_k = δ_jk;
 * each beam is then scaled to power P/K (equal power per stream). An ill-conditioned Gram is
 * regularised (εI, ε = 1e-9·tr/n) rather than failing.
 */
import { z } from 'zod';
import { choleskyInPlace, choleskySolveInPlace, czeros, innerH, NotPositiveDefiniteError, type CArray } from '../phy/complex.ts';
import type { Topology } from '../phy/network.ts';
import { emptyBeams, equalPowerPerStream, linkOffset, requireRow } from './common.ts';
import type { CsiView, DistributedPolicy, PolicyDefinition } from './types.ts';

/**
 * Beams for the users `serve` (a subset of `nulled`, in order) that null every user in `nulled`.
 * Returns [serve.length, nt].
 */
export function zeroForcingBeams(topo: Topology, H: CArray, m: number, nulled: ArrayLike<number>, serve: ArrayLike<number>): CArray {
  const nt = topo.numTxAnt;
  const n = nulled.length;
  const gram = czeros(n * n);
  const tmp = new Float64Array(2);
  let trace = 0;
  for (let j = 0; j < n; j++) {
    for (let l = 0; l < n; l++) {
      innerH(tmp, H, linkOffset(topo, m, nulled[j]), H, linkOffset(topo, m, nulled[l]), nt);
      gram[2 * (j * n + l)] = tmp[0];
      gram[2 * (j * n + l) + 1] = tmp[1];
    }
    trace += gram[2 * (j * n + j)];
  }
  // Right-hand sides: unit vectors e_l for each served user's position l in `nulled`.
  const cols = Array.from(serve, (u) => Array.prototype.indexOf.call(nulled, u) as number);
  const X = czeros(n * cols.length);
  let factor = Float64Array.from(gram);
  for (let attempt = 0; ; attempt++) {
    try {
      choleskyInPlace(factor, n, 'zero-forcing Gram');
      break;
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError) || attempt > 3) throw e;
      factor = Float64Array.from(gram);
      const eps = 1e-9 * 10 ** (3 * attempt) * (trace / n || 1);
      for (let i = 0; i < n; i++) factor[2 * (i * n + i)] += eps;
    }
  }
  cols.forEach((l, c) => (X[2 * (l * cols.length + c)] = 1));
  choleskySolveInPlace(factor, n, X, cols.length);
  const W = czeros(cols.length * nt);
  for (let c = 0; c < cols.length; c++) {
    for (let l = 0; l < n; l++) {
      const xr = X[2 * (l * cols.length + c)];
      const xi = X[2 * (l * cols.length + c) + 1];
      const hOff = 2 * linkOffset(topo, m, nulled[l]);
      for (let i = 0; i < nt; i++) {
        const hr = H[hOff + 2 * i];
        const hi = H[hOff + 2 * i + 1];
        W[2 * (c * nt + i)] += hr * xr - hi * xi;
        W[2 * (c * nt + i) + 1] += hr * xi + hi * xr;
      }
    }
  }
  return W;
}

function zfPolicy(name: 'zf' | 'imt', nulledOf: (topo: Topology, m: number) => ArrayLike<number>): DistributedPolicy {
  return {
    name,
    scope: 'distributed',
    dependsOn: 'csi',
    decide(m: number, view: CsiView, { topo }) {
      requireRow(view, m, name);
      const serve = topo.servedUsers[m];
      if (serve.length === 0) return emptyBeams(topo, m);
      const W = zeroForcingBeams(topo, view.H, m, nulledOf(topo, m), serve);
      return equalPowerPerStream(W, serve.length, topo.numTxAnt, topo.powerW[m]);
    },
  };
}

const allUsers = (topo: Topology) => Int32Array.from({ length: topo.numUsers }, (_, u) => u);

export const zf: PolicyDefinition = {
  name: 'zf',
  summary: 'zero-forcing among the BS’s own users (local CSI)',
  params: z.strictObject({}),
  requires: (topo) => {
    const k = Math.max(...topo.servedUsers.map((s) => s.length));
    return k > topo.numTxAnt ? `zf needs users per BS (${k}) ≤ numTxAnt (${topo.numTxAnt})` : undefined;
  },
  create: () => zfPolicy('zf', (topo, m) => topo.servedUsers[m]),
};

export const imt: PolicyDefinition = {
  name: 'imt',
  summary: 'interference-minimising transmission: zero-forcing towards all users of all cells',
  params: z.strictObject({}),
  requires: (topo) =>
    topo.numUsers > topo.numTxAnt ? `imt needs the total number of users (${topo.numUsers}) ≤ numTxAnt (${topo.numTxAnt})` : undefined,
  create: () => zfPolicy('imt', (topo) => allUsers(topo)),
};
