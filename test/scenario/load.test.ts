import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ScenarioError } from '../../src/scenario/load.ts';
import { scenarioJsonSchema } from '../../src/scenario/schema.ts';
import { estimateMemoryBytes, loadScenario, MEMORY_LIMIT_BYTES, withOverrides } from '../../src/scenario/validate.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

function errorOf(yaml: string): string {
  try {
    loadScenario(yaml, 'my.yaml', twinPolicies());
  } catch (e) {
    assert.instance(e, ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

test('defaults come from paper 000 Table I', () => {
  const { scenario: s, topology: t } = loadScenario('name: x\n', 'x.yaml', twinPolicies());
  assert.equal(
    [s.topology.cellRadiusM, s.channel.commPathLossExp, s.channel.sensPathLossExp, s.channel.ricianK, s.targets.rcsM2],
    [500, 3.6, 2, 3, 1],
  );
  assert.equal([t.numBs, t.numTxAnt, t.numRxAnt, t.numUsers, t.numTargets], [3, 12, 12, 6, 6]);
});

test('the shipped scenarios are valid', () => {
  for (const f of ['scenarios/default.yaml', 'scenarios/highway.yaml', 'scenarios/localization.yaml', 'scenarios/localization-moving.yaml']) {
    loadScenario(readFileSync(f, 'utf8'), f, twinPolicies());
  }
  // paper 003 (Table I and Sec. IV-A)
  const { scenario: s, topology: t } = loadScenario(readFileSync('scenarios/localization.yaml', 'utf8'), 'scenarios/localization.yaml', twinPolicies());
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
  assert.equal(errorOf('name: x\ntopology:\n  numTxAnt: twelve\n'), 'my.yaml:3:13: topology.numTxAnt: must be a number, got string "twelve"');
});

test('impossible values: 0 antennas, negative radius, ρ > 1', () => {
  assert.equal(errorOf('topology:\n  numTxAnt: 0\n'), 'my.yaml:2:13: topology.numTxAnt: must be > 0 (got 0)');
  assert.equal(errorOf('topology:\n  cellRadiusM: -5\n'), 'my.yaml:2:16: topology.cellRadiusM: must be > 0 (got -5)');
  assert.equal(errorOf('rho: 1.5\n'), 'my.yaml:1:6: rho: must be ≤ 1 (got 1.5)');
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

// Issue 16 item 3: values that passed validation but crashed the run are refused at their field.
test('physical bounds: power, antennas, counts, slot length, duration (each documented in the schema)', () => {
  assert.equal(errorOf('topology:\n  txPowerDbm: 1e6\n'), 'my.yaml:2:15: topology.txPowerDbm: must be ≤ 80 (got 1000000)');
  assert.equal(errorOf('topology:\n  numTxAnt: 100000\n'), 'my.yaml:2:13: topology.numTxAnt: must be ≤ 1024 (got 100000)');
  assert.equal(errorOf('topology: { numCells: 2000 }\n'), 'my.yaml:1:23: topology.numCells: must be ≤ 1024 (got 2000)');
  assert.equal(errorOf('users: { perCell: 5000 }\n'), 'my.yaml:1:19: users.perCell: must be ≤ 4096 (got 5000)');
  assert.equal(errorOf('timing: { slotMs: 0.0001 }\n'), 'my.yaml:1:19: timing.slotMs: must be ≥ 0.001 (got 0.0001)');
  assert.equal(errorOf('durationSlots: 1e12\n'), 'my.yaml:1:16: durationSlots: must be ≤ 1000000000 (got 1000000000000)');
  const schema = scenarioJsonSchema() as { properties: { topology: { properties: Record<string, { description?: string; maximum?: number }> } } };
  assert.equal(schema.properties.topology.properties.txPowerDbm.maximum, 80);
  assert.match(schema.properties.topology.properties.txPowerDbm.description ?? '', /80 dBm = 100 kW/);
  assert.match(schema.properties.topology.properties.numTxAnt.description ?? '', /≤ 1024/);
});

test('memory estimate: a scenario whose channel state cannot fit in 4 GiB is refused, naming the fields', () => {
  const big = 'topology: { numCells: 1024, numTxAnt: 1024 }\nusers: { perCell: 64 }\n';
  const msg = errorOf(big);
  assert.match(msg, /^my\.yaml:1:1: topology: the channel state would need about \d+ GiB of memory \(most for the .*\), more than the 4\.0 GiB limit: reduce topology\.numCells = 1024, users\.perCell = 64, topology\.numTxAnt = 1024/);
  const { scenario } = loadScenario('name: x\n', 'x.yaml', twinPolicies());
  assert.ok(estimateMemoryBytes(scenario).bytes < 1e6);
  assert.ok(MEMORY_LIMIT_BYTES === 4 * 2 ** 30);
});

// Issue 16 item 4
test('a YAML alias bomb is one ScenarioError at the first alias', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n') + '\n';
  assert.equal(errorOf(bomb), 'my.yaml:2:8: YAML aliases expand to too many nodes (more than 100): nested anchors like these are refused');
  // a few aliases are fine
  assert.equal(loadScenario('name: &n x\ndescription: *n\n', 'x.yaml', twinPolicies()).scenario.description, 'x');
});

// Issue 16 item 11
test('refused as almost certainly a mistake: empty file, speed spread ≥ speed, CSI that never arrives, --slots past the bound', () => {
  for (const empty of ['', '\n', '# only a comment\n']) {
    assert.equal(errorOf(empty), 'my.yaml: empty scenario file: write at least a name (name: my-scenario); every other field has a default');
  }
  assert.equal(
    errorOf('users:\n  mobility: { model: random-waypoint, speedMps: 1, speedSpreadMps: 2 }\n'),
    'my.yaml:2:68: users.mobility.speedSpreadMps: must be below speedMps (1 m/s): legs drawn at speed ≤ 0 never end, so the nodes would freeze',
  );
  assert.equal(
    errorOf('durationSlots: 5\ntiming:\n  csiFeedbackDelayMs: 5\n'),
    "my.yaml:3:23: timing.csiFeedbackDelayMs: the first CSI report arrives in slot 5 (pilot offset 0 + 5 ms delay), after the run's 5 slots: CSI would never arrive",
  );
  const ok = loadScenario('name: x\n', 'x.yaml', twinPolicies());
  assert.throws(() => withOverrides(ok, { slots: 1e12 }), /command line: --slots: must be a whole number in 1 … 1000000000, got 1000000000000/);
  assert.throws(() => withOverrides(ok, { slots: 1 }), /command line: --slots: 1 slots end before the first CSI report arrives \(slot 1/);
  assert.equal(withOverrides(ok, { slots: 2 }).scenario.durationSlots, 2);
});

// Issue 16 item 12
test('messages: NaN, a policy of the wrong type, whole numbers, empty strings, lists of the wrong length', () => {
  assert.equal(errorOf('seed: .nan\n'), 'my.yaml:1:7: seed: must be a number, got NaN');
  assert.equal(errorOf('rho: .inf\n'), 'my.yaml:1:6: rho: must be a finite number, got Infinity');
  assert.equal(errorOf('policy: 42\n'), 'my.yaml:1:9: policy: must be a policy name (isac-twin policies) or { name, params }, got number 42');
  assert.equal(errorOf('topology: { numTxAnt: 1.5 }\n'), 'my.yaml:1:23: topology.numTxAnt: must be a whole number, got 1.5');
  assert.equal(errorOf('name: ""\n'), 'my.yaml:1:7: name: must not be empty');
  assert.equal(errorOf('topology: 5\n'), 'my.yaml:1:11: topology: must be a mapping, got number 5');
  assert.equal(errorOf('topology: { layout: explicit, bsPositionsM: [[1]] }\n'), 'my.yaml:1:46: topology.bsPositionsM[0]: must have at least 2 items (got 1)');
  assert.equal(
    errorOf('users:\n  mobility: { model: constant-velocity, headingDeg: up }\n'),
    'my.yaml:2:53: users.mobility.headingDeg: must be a number or "random", got string "up"',
  );
  // no zod default wording anywhere above
  for (const y of ['seed: .nan\n', 'policy: 42\n', 'users: { mobility: { model: constant-velocity, headingDeg: up } }\n']) assert.not.match(errorOf(y), /Invalid input|expected number, got/);
});

test('shipped scenario comments: highway fading correlation and the schema pointer', () => {
  const highway = readFileSync('scenarios/highway.yaml', 'utf8');
  assert.not.match(highway, /0\.72/);
  assert.match(highway, /0\.11/);
  const def = readFileSync('scenarios/default.yaml', 'utf8');
  assert.not.match(def, /docs\/scenario\.md/);
  assert.match(def, /docs\/scenario\.schema\.json/);
});

test.run();
