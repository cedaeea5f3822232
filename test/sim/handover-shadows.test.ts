/**
 * After a handover the association (and so every AP's rows) changes: shadows evaluated before
 * their next decision must be evaluated with the new rows, not the old stream list.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadScenario, withOverrides } from '../../src/scenario/validate.ts';
import { Twin } from '../../src/sim/twin.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

test('a shadow keeps finite metrics across handovers when decisions are sparser than slots', () => {
  const text = readFileSync('scenarios/highway.yaml', 'utf8').replace('  decision: { latency: none, fallback: mrt }', '  decision: { latency: none, fallback: mrt, periodSlots: 7 }');
  assert.match(text, /periodSlots: 7/);
  const twin = new Twin(withOverrides(loadScenario(text, 'highway.yaml', twinPolicies()), { slots: 6000, shadows: ['zf'] }));
  let handovers = 0;
  const bad: number[] = [];
  twin.events$.subscribe((e) => e.kind === 'handover' && e.node === 'user' && handovers++);
  twin.slots$.subscribe((r) => {
    for (const s of r.shadows) if (!Number.isFinite(s.rc)) bad.push(r.slot);
  });
  twin.runSlots(6000);
  assert.ok(handovers > 0, 'a user handed over');
  assert.equal(bad, []);
});

test.run();
