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

test('while a slow result is awaited the fallback keeps acting on fresh CSI (its beams follow every new report)', () => {
  // WMMSE (decided at slot 5, when the CPU first holds CSI) takes 40 ms: mrt acts from the
  // deadline (slot 6) until the result reaches the APs at slot 47; CSI is measured every 5 slots
  // and reaches the APs 3 ms later.
  const yaml = YAML.replace('decision: { latency: fixed, fixedMs: 4, deadlineMs: 1, fallback: mrt, periodSlots: 10 }', 'decision: { latency: fixed, fixedMs: 40, deadlineMs: 1, fallback: mrt, periodSlots: 1 }').replace('pilotPeriodSlots: 10', 'pilotPeriodSlots: 5').replace('durationSlots: 40', 'durationSlots: 60');
  const { records } = record(yaml, 60);
  const inFallback = records.filter((r) => r.slot >= 6 && r.slot < 47);
  assert.ok(inFallback.every((r) => r.bs.fallback[0] === 1 && r.bs.policy[0] === 'mrt'));
    // The CSI behind the fallback's beams is never older than a pilot period plus the feedback delay.
  for (const r of inFallback) assert.ok(r.userCsiAge[0] <= 5 + 3, `slot ${r.slot}: CSI age ${r.userCsiAge[0]}`);
  const decided = new Set(inFallback.map((r) => r.bs.decidedSlot[0]));
  assert.equal([...decided], [6, 8, 13, 18, 23, 28, 33, 38, 43, 46], 'a fallback decision at the deadline and at every new CSI report');
  const late = records.find((r) => r.bs.policy[0] === 'wmmse' && r.bs.fallback[0] === 0);
  assert.is(late?.slot, 47, 'the slow WMMSE result lands and replaces the fallback');
  assert.is(late?.bs.decidedSlot[0], 5);
});

test.run();
