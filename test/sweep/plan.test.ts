/** Sweep files → jobs: expansion, stable ids, channel keys, and one exact message per bad file. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planSweep, readSweep, SweepError, type SweepPlan } from '../../src/sweep/plan.ts';
import { parsePath, schemaAt, setAt } from '../../src/sweep/paths.ts';
import { scenarioSchema } from '../../src/scenario/schema.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { readFileSync } from 'node:fs';
import { twinPolicies } from '../../src/learning/policies.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-sweep-plan-'));
const BASE = path.resolve('scenarios/default.yaml');

/** Writes a sweep file and plans it. */
function plan(body: string, codeVersion = 'v1'): SweepPlan {
  const file = path.join(dir, 's.yaml');
  writeFileSync(file, body);
  return readSweep(file, { codeVersion });
}

/** The message of a refused sweep file (with the file name replaced by F). */
function refusal(body: string): string {
  try {
    plan(body);
  } catch (e) {
    assert.instance(e, SweepError, String(e));
    return (e as Error).message.replace(path.join(dir, 's.yaml'), 'F');
  }
  assert.unreachable('the sweep file was accepted');
  return '';
}

const head = `name: t\nscenario: ${BASE}\nset: { durationSlots: 200, shadows: [], users.mobility.pauseS: 0 }\n`;

test('paths: parsing, lookup through unions and lists, setting', () => {
  assert.equal(parsePath('users.mobility.speedMps'), { segments: ['users', 'mobility', 'speedMps'] });
  assert.equal(parsePath('topology.bsPositionsM[1]'), { segments: ['topology', 'bsPositionsM', 1] });
  assert.ok('problem' in parsePath('users..x'));
  assert.ok('problem' in parsePath('users.'));
  assert.ok('problem' in parsePath('[0]'));
  // speedMps exists in several mobility variants, pauseS in one, waypointsM[0] is a tuple.
  assert.ok(schemaAt(scenarioSchema, ['users', 'mobility', 'pauseS']).ok);
  assert.ok(schemaAt(scenarioSchema, ['users', 'mobility', 'waypointsM', 0, 1]).ok);
  const bad = schemaAt(scenarioSchema, ['timing', 'slotMs', 'x']);
  assert.equal(bad, { ok: false, at: 2, problem: 'timing.slotMs is a single value: it has no field "x"' });
  const o: Record<string, unknown> = { a: { b: [1, 2] } };
  assert.is(setAt(o, ['a', 'b', 1], 5), undefined);
  assert.is(setAt(o, ['a', 'c', 'd'], 7), undefined);
  assert.equal(o, { a: { b: [1, 5], c: { d: 7 } } });
  assert.is(setAt(o, ['a', 'b', 5], 1), 'a.b has 2 items: [5] is past its end');
});

test('grid × zip × seeds × policies: counts, order, labels and the values each job carries', () => {
  const p = plan(`${head}axes:
  - grid:
      users.mobility.speedMps: [1.4, 20]
      timing.pilotPeriodSlots: [5, 10, 20]
  - zip:
      timing.backhaul.delayMs: [0, 4]
      timing.backhaul.jitterMs: [0, 1]
policies: [mrt, { name: zf, label: zf-local }]
seeds: { from: 3, count: 2 }
`);
  assert.is(p.jobs.length, 2 * 3 * 2 * 2 * 2);
  assert.equal(p.axes.map((a) => a.short), ['speedMps', 'pilotPeriodSlots', 'delayMs', 'jitterMs']);
  // Points outermost (first group outermost, last field fastest), then seeds, then policies.
  assert.equal(p.jobs.slice(0, 5).map((j) => j.label), [
    'speedMps 1.4 · pilotPeriodSlots 5 · delayMs 0 · jitterMs 0 · mrt · seed 3',
    'speedMps 1.4 · pilotPeriodSlots 5 · delayMs 0 · jitterMs 0 · zf-local · seed 3',
    'speedMps 1.4 · pilotPeriodSlots 5 · delayMs 0 · jitterMs 0 · mrt · seed 4',
    'speedMps 1.4 · pilotPeriodSlots 5 · delayMs 0 · jitterMs 0 · zf-local · seed 4',
    'speedMps 1.4 · pilotPeriodSlots 5 · delayMs 4 · jitterMs 1 · mrt · seed 3',
  ]);
  const j = p.jobs[p.jobs.length - 1];
  assert.equal([j.scenario.users.mobility, j.scenario.timing.pilotPeriodSlots, j.scenario.timing.backhaul.delayMs, j.scenario.timing.backhaul.jitterMs, j.seed, j.scenario.seed, j.scenario.policy], [
    { model: 'random-waypoint', speedMps: 20, speedSpreadMps: 0.3, pauseS: 0 },
    20,
    4,
    1,
    4,
    4,
    { name: 'zf', params: {} },
  ]);
  assert.is(j.scenario.durationSlots, 200);
  assert.equal(j.scenario.shadows, []);
  assert.is(new Set(p.jobs.map((x) => x.id)).size, p.jobs.length);
});

test('no axes: one job per policy and seed, its scenario the base scenario but for seed, policy and set', () => {
  const p = plan(`name: t\nscenario: ${BASE}\nset: { durationSlots: 300 }\npolicies: [mrt]\n`);
  assert.is(p.jobs.length, 1);
  const base = loadScenario(readFileSync(BASE, 'utf8'), BASE, twinPolicies()).scenario;
  assert.equal(p.jobs[0].scenario, { ...base, durationSlots: 300, policy: { name: 'mrt', params: {} } });
  assert.equal(p.seeds, [base.seed]);
});

test('job ids: a default written out is the same job; another value, seed, policy or code version is not', () => {
  const a = plan(`${head}policies: [mrt]\n`).jobs[0];
  // Writing the default of a field (channel.ricianK: 3 is the default and the base's value) changes nothing.
  const same = plan(`name: t\nscenario: ${BASE}\nset: { durationSlots: 200, shadows: [], users.mobility.pauseS: 0, channel.ricianK: 3 }\npolicies: [mrt]\n`).jobs[0];
  assert.is(same.id, a.id);
  assert.is.not(plan(`name: t\nscenario: ${BASE}\nset: { durationSlots: 201, shadows: [], users.mobility.pauseS: 0 }\npolicies: [mrt]\n`).jobs[0].id, a.id);
  assert.is.not(plan(`${head}policies: [mrt]\nseeds: [2]\n`).jobs[0].id, a.id);
  assert.is.not(plan(`${head}policies: [zf]\n`).jobs[0].id, a.id);
  assert.is.not(plan(`${head}policies: [mrt]\n`, 'v2').jobs[0].id, a.id);
  // The sweep's name and its other jobs do not enter a job's id.
  assert.is(plan(`${head.replace('name: t', 'name: other')}policies: [mrt, zf]\n`).jobs[0].id, a.id);
});

test('channel keys: shared by the policies of one point and seed, different across seeds and points', () => {
  const p = plan(`${head}axes:\n  - grid: { users.mobility.speedMps: [1.4, 20] }\npolicies: [mrt, zf]\nseeds: [1, 2]\n`);
  const key = (speed: number, seed: number, pol: string) => p.jobs.find((j) => j.point['users.mobility.speedMps'] === speed && j.seed === seed && j.policy === pol)!.channelKey;
  assert.is(key(1.4, 1, 'mrt'), key(1.4, 1, 'zf'));
  assert.is.not(key(1.4, 1, 'mrt'), key(1.4, 2, 'mrt'));
  assert.is.not(key(1.4, 1, 'mrt'), key(20, 1, 'mrt'));
  assert.is(new Set(p.jobs.map((j) => j.channelKey)).size, 4);
});

test('bad sweep files: one message naming the file, line, column and field', () => {
  const cases: Array<[string, string]> = [
    [`${head}axes:\n  - grid: { users.mobility.speed: [1] }\n`, 'F:5:13: axes[0].grid["users.mobility.speed"]: unknown scenario field users.mobility.speed: users.mobility has no field "speed" (its fields: model, speedMps, headingDeg, boundary, waypointsM, loop, frame, speedSpreadMps, pauseS, roadM, direction)'],
    [`${head}axes:\n  - grid: { userz.x: [1] }\n`, 'F:5:13: axes[0].grid["userz.x"]: unknown scenario field userz.x: a scenario has no field "userz" (its fields: name, description, seed, durationSlots, rho, topology, users, targets, channel, timing, policy, shadows, association, sensing, localization, logging)'],
    [`${head}axes:\n  - grid: { users.mobility.speedMps: [] }\n`, 'F:5:38: axes[0].grid["users.mobility.speedMps"]: must have at least 1 item (got 0)'],
    [`${head}axes:\n  - grid: { users.mobility.speedMps: [1.4, fast] }\n`, 'F:5:44: axes[0].grid["users.mobility.speedMps"][1]: must be a number, got string "fast"'],
    [`${head}axes:\n  - grid: { timing.pilotPeriodSlots: [2.5] }\n`, 'F:5:39: axes[0].grid["timing.pilotPeriodSlots"][0]: must be a whole number, got 2.5'],
    [`${head}axes:\n  - zip: { timing.backhaul.delayMs: [0, 1], timing.backhaul.jitterMs: [0] }\n`, 'F:5:45: axes[0].zip["timing.backhaul.jitterMs"]: zip fields take their values together: 1 values here, 2 for timing.backhaul.delayMs'],
    [`${head}axes:\n  - grid: { timing.backhaul: [{ delayMs: 1 }] }\n  - grid: { timing.backhaul.delayMs: [2] }\n`, 'F:6:13: axes[1].grid["timing.backhaul.delayMs"]: timing.backhaul.delayMs and timing.backhaul (at axes[0].grid["timing.backhaul"]) overlap: one is inside the other'],
    [`${head}axes:\n  - grid: { durationSlots: [100] }\n`, 'F:5:13: axes[0].grid.durationSlots: durationSlots is also given at set.durationSlots'],
    [`${head}axes:\n  - grid: { seed: [1, 2] }\n`, 'F:5:13: axes[0].grid.seed: the seed is set by the sweep’s seeds field, not as a field path'],
    [`${head}axes:\n  - { grid: { rho: [0.5] }, zip: { rho: [0.5] } }\n`, 'F:5:5: axes[0]: give either grid or zip in one axis group, not both'],
    [`${head}axes:\n  - grid: { users.mobility.speedMps: [0.2] }\npolicies: [mrt]\n`, 'F:5:39: axes[0].grid["users.mobility.speedMps"][0]: the job speedMps 0.2 · mrt · seed 1 is not a valid scenario: users.mobility.speedSpreadMps: must be below speedMps (0.2 m/s): legs drawn at speed ≤ 0 never end, so the nodes would freeze'],
        [`${head}policies: [mrt, mrt]\n`, 'F:4:17: policies[1]: the label "mrt" is used by policies[0] too: give each a distinct label ({ name, params, label })'],
    [`${head}seeds: [1, 1]\n`, 'F:4:12: seeds[1]: seed 1 is listed twice'],
    [`${head}seeds: 5\n`, 'F:4:8: seeds: must be a list of seeds ([1, 2, 3]) or { from, count }'],
    [`${head}metrics: [rc, speed]\n`, 'F:4:15: metrics[1]: unknown metric "speed"; known metrics: rc, rs, objective, bs_rate, bs_radar_rate, decision_ms, rate, sinr, csi_age, sens_sinr, radar_rate, outage, fallback'],
    [`${head}set: { rho: 2 }\n`, 'F:4:1: YAML syntax: Map keys must be unique'],
    [`name: t\nscenario: nope.yaml\n`, `F:2:11: scenario: no such file nope.yaml (looked for ${path.join(dir, 'nope.yaml')}: the path is relative to the sweep file)`],
    [`name: t t\nscenario: ${BASE}\n`, 'F:1:7: name: must be letters, digits, ".", "_" or "-" (it names the catalog and queue jobs)'],
    [`name: t\nscenario: ${BASE}\nseedz: [1]\n`, 'F:3:1: seedz: unknown field "seedz"'],
  ];
  for (const [body, want] of cases) {
    assert.is(refusal(body), want);
  }
});

test('an unknown policy is reported at its entry, naming the known ones', () => {
  const got = refusal(`${head}policies: [mrt, nope]\n`);
  assert.match(got, /^F:4:17: policies\[1\]: the job nope · seed 1 is not a valid scenario: policy\.name: unknown policy "nope" \(known: mrt, zf, /);
});

test('planSweep refuses text that is not a mapping, and MAX_JOBS bounds the expansion', () => {
  assert.throws(() => planSweep('- a\n- b\n', path.join(dir, 'x.yaml'), { codeVersion: 'v' }), (e: Error) => e.message.endsWith('x.yaml:1:1: a sweep file must be a YAML mapping of fields (name, scenario, axes, …)'));
  const got = refusal(`${head}policies: [mrt, zf]\nseeds: { from: 1, count: 50001 }\n`);
  assert.is(got, 'F:5:1: seeds: the sweep expands to 100002 jobs (1 points × 50001 seeds × 2 policies), more than 100000');
});

test.run();
