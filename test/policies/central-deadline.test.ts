/**
 * Issue 16, missing test: the deadline fallback of a centralised policy. WMMSE at the central
 * unit with a fixed latency beyond the deadline: the fallback acts at every AP once the deadline
 * passes, then the late result lands (over the fronthaul) and replaces it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TwinEvent } from '../../src/sim/events.ts';
import { record } from '../helpers.ts';

const YAML = `
name: cdl
seed: 3
durationSlots: 40
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2 }
targets: { perCell: 1 }
policy: wmmse
timing:
  decision: { latency: fixed, fixedMs: 4, deadlineMs: 1, fallback: mrt, periodSlots: 10 }
  pilotPeriodSlots: 10
  csiFeedbackDelayMs: 3
  backhaul: { delayMs: 2, jitterMs: 0 }
`;

test('centralised wmmse past its deadline: mrt acts from the deadline at every AP, then the late wmmse beams land', () => {
  const { records, events } = record(YAML, 40);
  const pol = (m: number) => records.map((r) => `${r.bs.policy[m]}${r.bs.fallback[m] ? '*' : ''}`);
  // CSI measured at slot 0 reaches the APs at 3 ms and the CPU at 5 ms; the CPU decides at slot 10:
  // the deadline (1 ms) passes at 11 → mrt (fallback) until the result (4 ms) is sent at 14 and
  // reaches the APs 2 ms later, at slot 16.
  for (let m = 0; m < 3; m++) {
    assert.equal(pol(m).slice(9, 18), ['none', 'none', 'mrt*', 'mrt*', 'mrt*', 'mrt*', 'mrt*', 'wmmse', 'wmmse'], `BS ${m}: ${pol(m).slice(9, 18)}`);
  }
  const misses = events.filter((e): e is Extract<TwinEvent, { kind: 'deadline-miss' }> => e.kind === 'deadline-miss');
  assert.ok(misses.length >= 3);
  assert.equal(
    misses.filter((e) => e.slot < 20).map((e) => [e.tUs, e.policy, e.fallback]),
    [0, 1, 2].map(() => [11_000, 'wmmse', 'mrt']),
  );
  // The late result is the decision of slot 10.
  assert.is(records[17].bs.decidedSlot[0], 10);
});

test.run();
