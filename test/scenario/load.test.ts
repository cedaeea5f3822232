import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ScenarioError } from '../../src/scenario/load.ts';
import { scenarioJsonSchema } from '../../src/scenario/schema.ts';
import { loadScenario } from '../../src/scenario/validate.ts';

function errorOf(yaml: string): string {
  try {
    loadScenario(yaml, 'my.yaml');
  } catch (e) {
    assert.instance(e, ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

test('defaults come from paper 000 Table I', () => {
  const { scenario: s, topology: t } = loadScenario('name: x\n', 'x.yaml');
  assert.equal(
    [s.topology.cellRadiusM, s.channel.commPathLossExp, s.channel.sensPathLossExp, s.channel.ricianK, s.targets.rcsM2],
    [500, 3.6, 2, 3, 1],
  );
  assert.equal([t.numBs, t.numTxAnt, t.numRxAnt, t.numUsers, t.numTargets], [3, 12, 12, 6, 6]);
});

test('the shipped scenarios are valid', () => {
  for (const f of ['scenarios/default.yaml', 'scenarios/highway.yaml', 'scenarios/localization.yaml', 'scenarios/localization-moving.yaml']) {
    loadScenario(readFileSync(f, 'utf8'), f);
  }
  // paper 003 (Table I and Sec. IV-A)
  const { scenario: s, topology: t } = loadScenario(readFileSync('scenarios/localization.yaml', 'utf8'), 'scenarios/localization.yaml');
  assert.equal([t.numBs, t.numTxAnt, t.servedUsers[0].length, t.localization?.numTmt, t.localization?.numTargets], [2, 16, 4, 4, 1]);
  assert.equal([s.channel.carrierHz, s.topology.txPowerDbm, s.channel.noise.commDbm, s.localization?.noisePsdDbmHz, s.localization?.snapshots, s.localization?.effectiveBandwidthHz], [24e9, 30, -94, -174, 256, 1e8]);
  assert.equal(s.policy, { name: 'crlb-sdp', params: { sinrDb: 20, fallback: 'zf' } });
});

test('malformed YAML → file and line of the syntax error', () => {
  assert.match(errorOf('name: x\ntopology:\n  numCells: [1, 2\n'), /^my\.yaml:\d+:\d+: YAML syntax: /);
});

test('unknown field → its path and the line of the key', () => {
  assert.equal(errorOf('name: x\ntopology:\n  numCells: 3\n  numAntennas: 4\n'), 'my.yaml:4:3: topology.numAntennas: unknown field "numAntennas"');
});

test('wrong type → path, line, expected type', () => {
  assert.equal(errorOf('name: x\ntopology:\n  numTxAnt: twelve\n'), 'my.yaml:3:13: topology.numTxAnt: expected number, got string "twelve"');
});

test('impossible values: 0 antennas, negative radius, ρ > 1', () => {
  assert.equal(errorOf('topology:\n  numTxAnt: 0\n'), 'my.yaml:2:13: topology.numTxAnt: must be > 0');
  assert.equal(errorOf('topology:\n  cellRadiusM: -5\n'), 'my.yaml:2:16: topology.cellRadiusM: must be > 0');
  assert.equal(errorOf('rho: 1.5\n'), 'my.yaml:1:6: rho: must be ≤ 1');
});

test('more users than antennas where the policy needs it', () => {
  assert.equal(
    errorOf('topology: { numTxAnt: 4 }\nusers: { perCell: 2 }\npolicy: imt\n'),
    'my.yaml:3:9: policy.name: imt needs the total number of users (6) ≤ numTxAnt (4)',
  );
  assert.equal(
    errorOf('topology: { numTxAnt: 4 }\nusers:\n  perCell: 5\npolicy:\n  name: zf\n'),
    'my.yaml:5:9: policy.name: zf needs users per BS (5) ≤ numTxAnt (4)',
  );
});

test('a feedback delay that is not a whole number of slots', () => {
  assert.equal(
    errorOf('timing:\n  slotMs: 0.5\n  csiFeedbackDelayMs: 1.25\n'),
    'my.yaml:3:23: timing.csiFeedbackDelayMs: 1.25 ms is not a multiple of the slot (0.5 ms): CSI reports travel in uplink slots',
  );
});

test('unknown policy, unknown parameter, centralised fallback, counts that disagree', () => {
  assert.match(errorOf('policy: magic\n'), /^my\.yaml:1:9: policy\.name: unknown policy "magic" \(known: mrt, zf, imt, cbf, wmmse/);
  assert.equal(errorOf('policy:\n  name: wmmse\n  params: { iters: 3 }\n'), 'my.yaml:3:13: policy.params.iters: unknown parameter "iters" of wmmse');
  assert.equal(errorOf('timing:\n  decision: { fallback: wmmse }\n'), 'my.yaml:2:25: timing.decision.fallback: the fallback acts at each BS on its own CSI: "wmmse" is centralised');
  assert.equal(
    errorOf('topology:\n  layout: explicit\n  bsPositionsM: [[0, 0]]\n'),
    'my.yaml:3:17: topology.bsPositionsM: 1 positions given for numCells = 3',
  );
  assert.match(errorOf('users:\n  mobility: { model: teleport }\n'), /^my\.yaml:2:\d+: users\.mobility(\.model)?: /);
});

test('the JSON Schema is generated from the same source and lists defaults', () => {
  const schema = scenarioJsonSchema() as { properties: Record<string, { properties?: Record<string, { default?: unknown }> }> };
  assert.equal(schema.properties.topology.properties?.numTxAnt.default, 12);
  assert.equal(schema.properties.channel.properties?.commPathLossExp.default, 3.6);
});

test.run();
