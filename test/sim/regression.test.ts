/**
 * The network-model generalisation (joint transmission, association, fronthaul, the split twin)
 * leaves paper 000's multicell model unchanged where the model did not change: per-slot rates of a
 * gauss-markov / lane / static-target scenario equal, bit for bit, those written by the previous
 * twin (test/fixtures/regression/multicell-gm.json, produced at commit 0614c99 before the change).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadScenario } from '../../src/scenario/validate.ts';
import { Twin } from '../../src/sim/twin.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

const dir = new URL('../fixtures/regression/', import.meta.url);

test('multicell rows are bit-identical to the previous twin (MRT acting, ZF and WMMSE shadows)', () => {
  const file = new URL('multicell-gm.yaml', dir);
  const twin = new Twin(loadScenario(readFileSync(file, 'utf8'), file.pathname, twinPolicies()));
  const rows: number[][] = [];
  twin.slots$.subscribe((r) => rows.push([r.rc, r.rs, ...r.shadows.map((s) => s.rc), ...r.shadows.map((s) => s.rs)]));
  twin.runSlots(300);
  const expected = JSON.parse(readFileSync(new URL('multicell-gm.json', dir), 'utf8')) as number[][];
  assert.is(rows.length, expected.length);
  rows.forEach((row, slot) => assert.equal(row, expected[slot], `slot ${slot}`));
});

test.run();
