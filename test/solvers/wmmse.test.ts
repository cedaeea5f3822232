import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { norm2 } from '../../src/phy/complex.ts';
import { mrtInit, weightedSumRate, wmmse } from '../../src/solvers/wmmse.ts';
import { close, randomChannels, smallTopology, testRng } from '../helpers.ts';

test('WMMSE: weighted sum rate never decreases from one iteration to the next', () => {
  for (let draw = 0; draw < 10; draw++) {
    const topo = smallTopology({ numBs: 3, K: 2, nt: 6, powerW: 1, noiseW: 0.05 });
    const H = randomChannels(topo, testRng('mono', draw));
    const r = wmmse(topo, H, { maxIterations: 60, tolerance: 0 });
    for (let i = 1; i < r.wsrTrace.length; i++) {
      assert.ok(r.wsrTrace[i] >= r.wsrTrace[i - 1] - 1e-9, `draw ${draw}: iteration ${i} fell from ${r.wsrTrace[i - 1]} to ${r.wsrTrace[i]}`);
    }
    r.W.forEach((W, m) => assert.ok(norm2(W) <= topo.powerW[m] * (1 + 1e-9)));
  }
});

test('WMMSE beats MRT on average over random draws (interference-limited)', () => {
  let gain = 0;
  const n = 20;
  for (let draw = 0; draw < n; draw++) {
    const topo = smallTopology({ numBs: 3, K: 2, nt: 4, powerW: 1, noiseW: 0.01 });
    const H = randomChannels(topo, testRng('avg', draw));
    const base = weightedSumRate(topo, H, mrtInit(topo, H));
    const r = wmmse(topo, H, { maxIterations: 100, tolerance: 1e-6 });
    assert.ok(r.wsrTrace.at(-1)! >= base - 1e-9);
    gain += r.wsrTrace.at(-1)! / base;
  }
  assert.ok(gain / n > 1.5, `mean WMMSE/MRT ratio ${gain / n}`);
});

test('WMMSE with one user and one BS converges to the MRT optimum log2(1 + P‖h‖²/σ²)', () => {
  const topo = smallTopology({ numBs: 1, K: 1, nt: 5, powerW: 2, noiseW: 0.3 });
  const H = randomChannels(topo, testRng('one'));
  // start far from MRT: a random beam
  const init = [new Float64Array(10)];
  testRng('init').complexNormal(init[0], 0.01);
  const r = wmmse(topo, H, { maxIterations: 200, tolerance: 1e-12, init });
  close(r.wsrTrace.at(-1)!, Math.log2(1 + (2 * norm2(H)) / 0.3), 1e-8);
  close(norm2(r.W[0]), 2, 1e-8, 'full power');
});

test.run();
