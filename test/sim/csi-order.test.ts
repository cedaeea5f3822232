/**
 * Issue 16, missing test: fronthaul jitter can deliver an older CSI report after a newer one;
 * the central unit keeps the newer (CsiPlane.receive compares measured slots), for the channel
 * row, the gains and the echo estimates alike.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CsiPlane } from '../../src/sim/csi.ts';
import type { FronthaulMessage } from '../../src/sim/fronthaul.ts';
import { Twin } from '../../src/sim/twin.ts';
import { scenario } from '../helpers.ts';

const YAML = `
name: order
seed: 2
durationSlots: 40
topology: { numCells: 2, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 2 }
targets: { perCell: 1 }
timing:
  pilotPeriodSlots: 5
  csiFeedbackDelayMs: 1
  backhaul: { delayMs: 1, jitterMs: 0 }
`;

function report(twin: Twin, from: number, measuredSlot: number, fill: number, echoSlot: number): Extract<FronthaulMessage, { kind: 'csi' }> {
  const topo = twin.topo;
  const T = topo.targetBs.reduce((n, b) => n + (b === from ? 1 : 0), 0);
  const targets = Array.from(topo.targetBs.keys()).filter((t) => topo.targetBs[t] === from);
  assert.is(targets.length, T);
  return {
    kind: 'csi',
    from,
    to: -1,
    measuredSlot,
    row: new Float64Array(2 * topo.numUsers * topo.numTxAnt).fill(fill),
    gains: new Float64Array(topo.numUsers).fill(fill),
    echoes: { targets: Int32Array.from(targets), theta: new Float64Array(T).fill(fill), alpha: new Float64Array(2 * T).fill(fill), gain: new Float64Array(0), slot: new Int32Array(T).fill(echoSlot) },
  };
}

test('an older CSI report arriving after a newer one does not overwrite it at the central unit', () => {
  const twin = new Twin(scenario(YAML));
  twin.runSlots(23);
  const csi = (twin as unknown as { csi: CsiPlane }).csi;
  const v = csi.cpuView;
  const topo = twin.topo;
  const rowLen = 2 * topo.numUsers * topo.numTxAnt;
  const m = 0;
  const newest = v.measuredSlot[m];
  assert.ok(newest >= 15, `the CPU holds a recent report of AP 0 (measured at ${newest})`);
  const t0 = topo.targetBs.indexOf(m);
  const before = { H: v.H.slice(m * rowLen, (m + 1) * rowLen), gain: v.gain.slice(m * topo.numUsers, (m + 1) * topo.numUsers), theta: v.targetThetaRad[t0], slot: v.targetSlot[t0] };
  // A late report measured earlier (and its older echoes): ignored.
  csi.receive(report(twin, m, newest - 5, 7, before.slot - 1));
  assert.is(v.measuredSlot[m], newest);
  assert.equal(Array.from(v.H.slice(m * rowLen, (m + 1) * rowLen)), Array.from(before.H));
  assert.equal(Array.from(v.gain.slice(m * topo.numUsers, (m + 1) * topo.numUsers)), Array.from(before.gain));
  assert.is(v.targetThetaRad[t0], before.theta);
  assert.is(v.targetSlot[t0], before.slot);
  // A report of the same slot again: also kept as is.
  csi.receive(report(twin, m, newest, 9, before.slot));
  assert.is(v.H[m * rowLen], before.H[0]);
  // A newer one replaces it.
  csi.receive(report(twin, m, newest + 1, 3, before.slot + 1));
  assert.is(v.measuredSlot[m], newest + 1);
  assert.is(v.H[m * rowLen], 3);
  assert.is(v.gain[m * topo.numUsers], 3);
  assert.is(v.targetThetaRad[t0], 3);
  assert.is(v.targetSlot[t0], before.slot + 1);
});

test.run();
