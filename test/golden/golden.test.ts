/**
 * Golden runs: every shipped scenario, a fixed number of slots, its summary diffed against the
 * stored one (test/golden/<name>.json). After an intended change of behaviour, regenerate with
 * `UPDATE_GOLDEN=1 npm test -- golden` and review the diff.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { runScenario } from '../../src/app/run.ts';
import { loadScenario, withOverrides } from '../../src/scenario/validate.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

const SLOTS = 400;

for (const name of ['default', 'highway', 'cellfree', 'paper000']) {
  test(`golden summary: scenarios/${name}.yaml, ${SLOTS} slots`, async () => {
    const file = `scenarios/${name}.yaml`;
    const loaded = withOverrides(loadScenario(readFileSync(file, 'utf8'), file, twinPolicies()), { slots: SLOTS });
    const s = await runScenario(loaded, { dbPath: '', packageVersion: 'test', log: false, measureCompute: false });
    const summary = {
      status: s.status,
      slots: s.slots,
      rcMean: s.rcMean,
      rsMean: s.rsMean,
      objectiveMean: s.objectiveMean,
      meanCsiAgeSlots: s.meanCsiAgeSlots,
      fallbackShare: s.fallbackShare,
      shadows: s.shadows.map(({ name: n, rcMean, objectiveMean }) => ({ name: n, rcMean, objectiveMean })),
    };
    const golden = `test/golden/${name}.json`;
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, JSON.stringify(summary, null, 2) + '\n');
    assert.ok(existsSync(golden), `${golden} is missing: review the run, then write it with UPDATE_GOLDEN=1`);
    const expected = JSON.parse(readFileSync(golden, 'utf8'));
    // Exact but for the last bits of floating point.
    const round = (x: unknown): unknown =>
      typeof x === 'number' ? Number(x.toPrecision(10)) : Array.isArray(x) ? x.map(round) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v)])) : x;
    assert.equal(round(summary), round(expected));
    assert.ok(summary.rcMean > 0 && summary.rsMean > 0);
  });
}

test.run();
