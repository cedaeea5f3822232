import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { czeros, innerH, norm2, type CArray } from '../../src/phy/complex.ts';
import type { Topology } from '../../src/phy/network.ts';
import { commSinrInto, sum } from '../../src/metrics/isac.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { decideAllFrom, type CsiView } from '../../src/policies/types.ts';
import { emptyView } from '../../src/sim/csi.ts';
import { close, networkTopology, randomChannels, testRng } from '../helpers.ts';

const policies = builtinPolicies();

function fullView(topo: Topology, H: CArray): CsiView {
  const v = emptyView(topo, -1);
  v.H.set(H);
  v.known.fill(1);
  v.measuredSlot.fill(0);
  // large-scale gains: mean |h|² per antenna of each link
  for (let m = 0; m < topo.numBs; m++)
    for (let u = 0; u < topo.numUsers; u++) v.gain[m * topo.numUsers + u] = norm2(H, (m * topo.numUsers + u) * topo.numTxAnt, topo.numTxAnt) / topo.numTxAnt;
  return v;
}

const ctx = (topo: Topology) => ({ topo, rho: 1, slot: 0, rng: testRng('policy') });

/** a_{u,s} = Σ_m h_{m,u}ᴴ w_{m,s}: |a|² per (user, stream). */
function amplitudes(topo: Topology, H: CArray, W: CArray[]): number[][] {
  const out: number[][] = [];
  const z = new Float64Array(2);
  for (let u = 0; u < topo.numUsers; u++) {
    const a = new Float64Array(2 * topo.numStreams);
    for (let m = 0; m < topo.numBs; m++)
      topo.apStreams[m].forEach((s, r) => {
        innerH(z, H, (m * topo.numUsers + u) * topo.numTxAnt, W[m], r * topo.numTxAnt, topo.numTxAnt);
        a[2 * s] += z[0];
        a[2 * s + 1] += z[1];
      });
    out.push(Array.from({ length: topo.numStreams }, (_, s) => a[2 * s] ** 2 + a[2 * s + 1] ** 2));
  }
  return out;
}

test('czf (centralised, full view) nulls across APs: interference ≈ 0, SINR = |a_uu|²/σ², budgets kept', () => {
  const topo = networkTopology({ numBs: 2, nt: 2, powerW: 1, noiseW: 0.01, userAps: [Int32Array.of(0, 1), Int32Array.of(0, 1), Int32Array.of(1, 0)] });
  const H = randomChannels(topo, testRng('czf'));
  const policy = policies.resolve({ name: 'czf', params: {} }, topo);
  const W = decideAllFrom(policy, fullView(topo, H), ctx(topo));
  const a = amplitudes(topo, H, W);
  for (let u = 0; u < 3; u++) {
    for (let s = 0; s < 3; s++) if (s !== u) assert.ok(a[u][s] < 1e-20 * a[u][u], `user ${u} stream ${s}: ${a[u][s]} vs ${a[u][u]}`);
  }
  const sinr = new Float64Array(3);
  commSinrInto(sinr, topo, H, W);
  for (let u = 0; u < 3; u++) close(sinr[u], a[u][u] / 0.01, 1e-9, `sinr ${u}`);
  // one common scaling: the binding AP is at its budget, none above
  const p = W.map((w) => norm2(w));
  assert.ok(p.every((x) => x <= 1 + 1e-9) && Math.max(...p) > 1 - 1e-9, p.join(','));
  // and every user gets the same |a_uu|² (ZF with one common scaling equalises nothing in general; just positive)
  assert.ok(a.every((r, u) => r[u] > 0));
});

test('czf requires enough antennas in every serving set', () => {
  const topo = networkTopology({ numBs: 2, nt: 2, userAps: [Int32Array.of(0), Int32Array.of(0, 1), Int32Array.of(1)] });
  assert.match(policies.check({ name: 'czf', params: {} }, topo)?.message ?? '', /czf needs every user's serving set to have ≥ 3 antennas \(user 0 has 2\)/);
});

test('lsfpc: allocation p_{m,u} ∝ ω_u β^ν sums to P_m; precode applies it row by row', () => {
  const topo = networkTopology({ numBs: 2, nt: 3, powerW: 2, userAps: [Int32Array.of(0, 1), Int32Array.of(1, 0)] });
  const H = randomChannels(topo, testRng('lsfpc'));
  const view = fullView(topo, H);
  const policy = policies.resolve({ name: 'lsfpc', params: { exponent: 0.5 } }, topo);
  if (policy.scope !== 'hierarchical') throw new Error('lsfpc is hierarchical');
  const power = policy.allocate(view, ctx(topo));
  const U = topo.numUsers;
  const omega = [0, 1].map((u) => (view.gain[u] + view.gain[U + u]) ** -0.5);
  for (let m = 0; m < 2; m++) {
    const w = Array.from(topo.servedUsers[m], (u) => omega[u] * view.gain[m * U + u] ** 0.5);
    const s = w[0] + w[1];
    assert.ok(Math.abs(sum(power[m]) - 2) < 1e-12);
    topo.servedUsers[m].forEach((_, k) => close(power[m][k], (2 * w[k]) / s, 1e-12));
    const W = policy.precode(m, view, power[m], ctx(topo));
    topo.servedUsers[m].forEach((_, k) => close(norm2(W, k * 3, 3), power[m][k], 1e-12, `row ${k} of AP ${m}`));
  }
});

test('dist-wmmse (3 rounds, decideAllFrom) improves on MRT on a static channel', () => {
  const topo = networkTopology({ numBs: 3, nt: 2, powerW: 1, noiseW: 0.1, userAps: [0, 1, 2].map(() => Int32Array.of(0, 1, 2)) });
  const H = randomChannels(topo, testRng('dist'));
  const view = fullView(topo, H);
  const rate = (W: CArray[]) => {
    const s = new Float64Array(3);
    commSinrInto(s, topo, H, W);
    return sum(Array.from(s, (x) => Math.log2(1 + x)));
  };
  const mrt = rate(decideAllFrom(policies.resolve({ name: 'lsfpc', params: { exponent: 0 } }, topo), view, ctx(topo)));
  const dist = decideAllFrom(policies.resolve({ name: 'dist-wmmse', params: { rounds: 3 } }, topo), view, ctx(topo));
  for (const W of dist) assert.ok(norm2(W) <= 1 + 1e-9);
  assert.ok(rate(dist) > mrt, `${rate(dist)} vs ${mrt}`);
  const jt = decideAllFrom(policies.resolve({ name: 'jt-wmmse', params: {} }, topo), view, ctx(topo));
  assert.ok(rate(jt) >= rate(dist) - 1e-6 || rate(jt) > mrt, 'jt-wmmse at least as good as MRT');
});

test.run();
