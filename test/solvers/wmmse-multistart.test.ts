import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { innerH, norm2, type CArray } from '../../src/phy/complex.ts';
import type { Topology } from '../../src/phy/network.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { decideAllFrom } from '../../src/policies/types.ts';
import { emptyView } from '../../src/sim/csi.ts';
import { weightedSumRate, wmmse } from '../../src/solvers/wmmse.ts';
import { startBeams, wmmseMultiStart, zfInit } from '../../src/solvers/wmmse-multistart.ts';
import { close, randomChannels, relativeError, smallTopology, testRng } from '../helpers.ts';

function imtBeams(topo: Topology, H: CArray) {
  const v = emptyView(topo, -1);
  v.H.set(H);
  v.known.fill(1);
  v.measuredSlot.fill(0);
  const policy = builtinPolicies().resolve({ name: 'imt', params: {} }, topo);
  return decideAllFrom(policy, v, { topo, rho: 1, slot: 0, rng: testRng('imt') });
}

// 3 BSs × 2 users, N_T = 8 ≥ 6 users: the nulling start is IMT; noise low → interference-limited.
const topo = smallTopology({ numBs: 3, K: 2, nt: 8, powerW: 1, noiseW: 0.002 });
const opts = { maxIterations: 300, tolerance: 1e-9 };

test('the ZF start nulls every other user and its first point is the IMT policy’s beams', () => {
  for (let draw = 0; draw < 5; draw++) {
    const H = randomChannels(topo, testRng('zf-start', draw));
    const W0 = zfInit(topo, H);
    const ref = imtBeams(topo, H);
    W0.forEach((w, m) => assert.ok(relativeError(w, ref[m]) < 1e-12, `BS ${m}: zf start ≠ imt beams`));
    // nulling: h_{m,u}ᴴ w_{m,k} = 0 for every user u ≠ the one stream k serves
    const z = new Float64Array(2);
    for (let m = 0; m < topo.numBs; m++)
      for (let u = 0; u < topo.numUsers; u++)
        topo.servedUsers[m].forEach((served, k) => {
          if (served === u) return;
          innerH(z, H, (m * topo.numUsers + u) * topo.numTxAnt, W0[m], k * topo.numTxAnt, topo.numTxAnt);
          assert.ok(Math.hypot(z[0], z[1]) < 1e-9, `BS ${m} leaks into user ${u}`);
        });
    W0.forEach((w, m) => close(norm2(w), topo.powerW[m], 1e-12, 'ZF start at full power'));
    const r = wmmseMultiStart(topo, H, { ...opts, starts: ['zf'] });
    close(r.runs[0].initialWsr, weightedSumRate(topo, H, ref), 1e-12, 'trace[0] of the ZF start');
  }
});

test('every start is monotone, and the best of starts ≥ each start run on its own', () => {
  let spreadSeen = 0;
  for (let draw = 0; draw < 8; draw++) {
    const H = randomChannels(topo, testRng('multi', draw));
    // a "previous" solution: WMMSE on a perturbed channel
    const Hp = Float64Array.from(H, (x, i) => x + 0.3 * testRng('perturb', draw * 1000 + i).normal());
    const previous = wmmse(topo, Hp, { maxIterations: 50, tolerance: 1e-6 }).W;
    const best = wmmseMultiStart(topo, H, { ...opts, previous });
    assert.equal(best.runs.map((r) => r.start), ['mrt', 'zf', 'previous']);
    for (const start of ['mrt', 'zf', 'previous'] as const) {
      const alone = wmmse(topo, H, { ...opts, init: startBeams(topo, H, start, previous) });
      for (let i = 1; i < alone.wsrTrace.length; i++) {
        assert.ok(alone.wsrTrace[i] >= alone.wsrTrace[i - 1] - 1e-9, `draw ${draw} start ${start}: iteration ${i} fell`);
      }
      const end = alone.wsrTrace.at(-1)!;
      assert.ok(best.wsr >= end - 1e-12, `draw ${draw}: best of starts ${best.wsr} < ${start} alone ${end}`);
      close(best.runs.find((r) => r.start === start)!.wsr, end, 1e-12, `${start} inside the multi-start = alone`);
    }
    close(weightedSumRate(topo, H, best.W), best.wsr, 1e-12, 'returned beams have the reported value');
    best.W.forEach((w, m) => assert.ok(norm2(w) <= topo.powerW[m] * (1 + 1e-9)));
    const values = best.runs.map((r) => r.wsr);
    close(best.spread, Math.max(...values) - Math.min(...values), 1e-12);
    spreadSeen = Math.max(spreadSeen, best.spread);
  }
  // the starts do end at different local optima on some draws (else the multi-start would be pointless here)
  assert.ok(spreadSeen > 1e-3, `largest spread ${spreadSeen}`);
});

test('the twin’s wmmse with `starts`: before any decision it runs without `previous`; later its beams are never worse than the warm start alone', () => {
  const policies = builtinPolicies();
  const multi = policies.resolve({ name: 'wmmse', params: { starts: ['mrt', 'zf', 'previous'], iterations: 300, tolerance: 1e-9 } }, topo);
  const warm = policies.resolve({ name: 'wmmse', params: { iterations: 300, tolerance: 1e-9 } }, topo);
  let beatWarm = 0;
  for (let draw = 0; draw < 6; draw++) {
    const H = randomChannels(topo, testRng('policy-multi', draw));
    const v = emptyView(topo, -1);
    v.H.set(H);
    v.known.fill(1);
    v.measuredSlot.fill(0);
    const ctx = { topo, rho: 1, slot: 0, rng: testRng('ctx') };
    // first decision: no previous → the mrt and zf starts only, the better of the two
    const first = decideAllFrom(multi, v, ctx);
    const two = wmmseMultiStart(topo, H, { ...opts, starts: ['mrt', 'zf'] });
    close(weightedSumRate(topo, H, first), two.wsr, 1e-12, `draw ${draw}: first decision = best of mrt and zf`);
    // a later decision on a perturbed channel, with the first as previous
    const H2 = Float64Array.from(H, (x, i) => x + 0.2 * testRng('drift', draw * 1000 + i).normal());
    v.H.set(H2);
    const later = decideAllFrom(multi, v, { ...ctx, slot: 1, previous: first });
    const warmOnly = decideAllFrom(warm, v, { ...ctx, slot: 1, previous: first });
    const a = weightedSumRate(topo, H2, later);
    const b = weightedSumRate(topo, H2, warmOnly);
    assert.ok(a >= b - 1e-9, `draw ${draw}: multi-start ${a} < warm start ${b}`);
    if (a > b + 1e-3) beatWarm++;
  }
  assert.ok(beatWarm > 0, 'the nulling start never beat the warm start on these interference-limited draws');
});

test.run();
