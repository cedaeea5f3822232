import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { absInnerH2, norm2 } from '../../src/phy/complex.ts';
import { emptySensingChannels } from '../../src/metrics/isac.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { isCommSlot } from '../../src/policies/time-sharing.ts';
import { decideAllFrom, noApEchoes, type CsiView } from '../../src/policies/types.ts';
import { close, randomChannels, smallTopology, testRng } from '../helpers.ts';
import type { Topology } from '../../src/phy/network.ts';

const policies = builtinPolicies();

function fullView(topo: Topology, H: Float64Array, seed: number): CsiView {
  const rng = testRng('angles', seed);
  return {
    owner: -1,
    H,
    known: new Uint8Array(topo.numBs).fill(1),
    measuredSlot: new Int32Array(topo.numBs),
    gain: new Float64Array(topo.numBs * topo.numUsers).fill(1),
    targetThetaRad: Float64Array.from({ length: topo.numTargets }, () => rng.between(-1.2, 1.2)),
    targetAlpha: new Float64Array(2 * topo.numTargets).fill(1e-3),
    targetSlot: new Int32Array(topo.numTargets),
    ...noApEchoes(topo),
    sens: emptySensingChannels(topo),
  };
}

test('every policy meets every BS power budget (≤ P, and MRT/ZF/IMT/CBF/WMMSE use it fully) on random draws', () => {
  for (let draw = 0; draw < 20; draw++) {
    const topo = smallTopology({ numBs: 3, K: 2, J: 2, nt: 8, powerW: 0.5 + draw * 0.3 });
    const H = randomChannels(topo, testRng('draw', draw));
    const view = fullView(topo, H, draw);
    for (const name of policies.names()) {
      // Policies whose requirements this topology does not meet (e.g. a localization: section) are tested in their own suites.
      if (policies.check({ name, params: {} }, topo)) continue;
      const W = decideAllFrom(policies.resolve({ name, params: {} }, topo), view, { topo, rho: 0.5, slot: draw, rng: testRng(name, draw) });
      if (['czf', 'crzf'].includes(name)) assert.ok(W.some((Wm, m) => Math.abs(norm2(Wm) - topo.powerW[m]) <= 1e-9 * topo.powerW[m]), `${name}: the binding AP uses its budget`);
      W.forEach((Wm, m) => {
        assert.ok(norm2(Wm) <= topo.powerW[m] * (1 + 1e-9), `${name} BS ${m}: ${norm2(Wm)} > ${topo.powerW[m]}`);
        // WMMSE stops where the rate peaks; central (R)ZF scales all APs by one factor so the nulls survive.
        if (!['wmmse', 'jt-wmmse', 'dist-wmmse', 'czf', 'crzf'].includes(name)) close(norm2(Wm), topo.powerW[m], 1e-9, `${name} uses its budget`);
      });
    }
  }
});

test('ZF leaves no intra-cell interference; IMT leaves none anywhere', () => {
  const topo = smallTopology({ numBs: 3, K: 2, nt: 8 });
  const H = randomChannels(topo, testRng('zf'));
  const view = fullView(topo, H, 1);
  const ctx = { topo, rho: 1, slot: 0, rng: testRng('x') };
  const zf = decideAllFrom(policies.resolve({ name: 'zf', params: {} }, topo), view, ctx);
  const imt = decideAllFrom(policies.resolve({ name: 'imt', params: {} }, topo), view, ctx);
  const nt = topo.numTxAnt;
  for (let m = 0; m < 3; m++) {
    for (let k = 0; k < 2; k++) {
      for (let u = 0; u < topo.numUsers; u++) {
        const leakZf = absInnerH2(H, (m * topo.numUsers + u) * nt, zf[m], k * nt, nt);
        const leakImt = absInnerH2(H, (m * topo.numUsers + u) * nt, imt[m], k * nt, nt);
        const own = topo.servedUsers[m][k] === u;
        if (own) assert.ok(leakZf > 1e-3 && leakImt > 1e-3, 'the intended user receives its beam');
        else {
          if (topo.userBs[u] === m) assert.ok(leakZf < 1e-20, `ZF leaks ${leakZf} to user ${u}`);
          assert.ok(leakImt < 1e-20, `IMT leaks ${leakImt} to user ${u}`);
        }
      }
    }
  }
});

test('requirements: ZF with more users than antennas is refused with a message', () => {
  const topo = smallTopology({ numBs: 1, K: 5, nt: 4 });
  assert.equal(policies.check({ name: 'zf', params: {} }, topo)?.message, 'zf needs users per BS (5) ≤ numTxAnt (4)');
  assert.equal(policies.check({ name: 'mrt', params: {} }, topo), undefined);
  assert.equal(policies.check({ name: 'wmmse', params: { iterations: 0 } }, topo)?.path, ['params', 'iterations']);
  assert.match(policies.check({ name: 'nope', params: {} }, topo)?.message ?? '', /unknown policy "nope"/);
});

test('CBF points every beam at its target', () => {
  const topo = smallTopology({ numBs: 1, K: 2, J: 2, nt: 16 });
  const view = fullView(topo, randomChannels(topo, testRng('c')), 3);
  const [W] = decideAllFrom(policies.resolve({ name: 'cbf', params: {} }, topo), view, { topo, rho: 0, slot: 0, rng: testRng('y') });
  const nt = 16;
  for (let k = 0; k < 2; k++) {
    const th = view.targetThetaRad[k];
    let re = 0;
    let im = 0;
    for (let i = 0; i < nt; i++) {
      const [ar, ai] = [Math.cos(Math.PI * i * Math.sin(th)), Math.sin(Math.PI * i * Math.sin(th))];
      re += ar * W[2 * (k * nt + i)] + ai * W[2 * (k * nt + i) + 1];
      im += ar * W[2 * (k * nt + i) + 1] - ai * W[2 * (k * nt + i)];
    }
    // |aᴴw|² = N_T · ‖w‖² (Cauchy–Schwarz with equality) and ‖w‖² = P/2
    close(re * re + im * im, nt * 0.5, 1e-10);
  }
});

test('time-sharing spreads its communication share evenly', () => {
  const share = 0.3;
  let comm = 0;
  for (let s = 0; s < 1000; s++) comm += isCommSlot(s, share) ? 1 : 0;
  assert.equal(comm, 300);
  assert.equal([0, 1, 2, 3].map((s) => isCommSlot(s, 0.5)), [false, true, false, true]);
  assert.ok(!isCommSlot(5, 0) && isCommSlot(5, 1));
});

test.run();
