/**
 * `ts-student` (paper 001's per-AP networks in the twin): the per-link mapping turns a
 * line-of-sight twin channel (any gain, any distance phase) into exactly the paper's a(θ) of
 * eq. (4); the requirement names the model's dimensions; a policy without its networks loaded is
 * refused with the reason; in the twin each AP radiates exactly P_l with the shipped student.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../src/learning/backend.ts';
import { resolveModelDir, twinPolicies } from '../../src/learning/policies.ts';
import { loadStudentNets, studentInput, type StudentNets } from '../../src/learning/paper001/student-policy.ts';
import type { CsiView } from '../../src/policies/types.ts';
import { Twin } from '../../src/sim/twin.ts';
import { scenario } from '../helpers.ts';

const ROAD = readFileSync(new URL('../../scenarios/paper001-road.yaml', import.meta.url), 'utf8').replace('policy: jsc-benchmark', 'policy: ts-student').replace('durationSlots: 2000', 'durationSlots: 30');
const MODEL = 'models/paper001-student-pos2-n5';

test('a line-of-sight link of any gain and distance phase becomes the paper’s a(θ) exactly', () => {
  const topo = scenario(ROAD, 'road.yaml', twinPolicies()).topology;
  const M = topo.numTxAnt;
  const N = topo.numUsers;
  const H = new Float64Array(2 * topo.numBs * N * M);
  const thetas = [0.3, -1.1, 0.05, 0.9, -0.4];
  for (let n = 0; n < N; n++) {
    const g = 1e-3 * (n + 1);
    const phase = 2.7 * n - 1;
    for (let k = 0; k < M; k++) {
      const ph = phase + Math.PI * k * Math.sin(thetas[n]);
      H[2 * (n * M + k)] = g * Math.cos(ph);
      H[2 * (n * M + k) + 1] = g * Math.sin(ph);
    }
  }
  const view = { H, targetApThetaRad: Float64Array.of(0.2, 0), targetApSlot: Int32Array.of(3, -1) } as unknown as CsiView;
  const x = studentInput(topo, 0, view);
  const want = (theta: number, k: number) => [Math.cos(Math.PI * k * Math.sin(theta)), Math.sin(Math.PI * k * Math.sin(theta))];
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < M; k++) {
      const [re, im] = want(thetas[n], k);
      assert.ok(Math.abs(x[2 * (n * M + k)] - re) < 1e-5 && Math.abs(x[2 * (n * M + k) + 1] - im) < 1e-5, `user ${n} entry ${k}`);
    }
  }
  for (let k = 0; k < M; k++) {
    const [re, im] = want(0.2, k);
    assert.ok(Math.abs(x[2 * (N * M + k)] - re) < 1e-5 && Math.abs(x[2 * (N * M + k) + 1] - im) < 1e-5, `target row entry ${k}`);
  }
  // AP 1 has no echo estimate yet: its target row is zero.
  assert.ok(studentInput(topo, 1, view).subarray(2 * N * M).every((v) => v === 0));
});

test('requirements: the model’s L, M, N; a policy without its networks is refused with the reason', () => {
  const policies = twinPolicies();
  const three = scenario(ROAD.replace('perCell: 5', 'perCell: 3').replace('policy: ts-student', 'policy: mrt'), 'road.yaml', policies).topology;
  const p = policies.check({ name: 'ts-student', params: { model: MODEL } }, three);
  assert.equal(p?.path, ['params', 'model']);
  assert.match(p?.message ?? '', /trained for L = 2 APs × M = 16 antennas, N = 5 users; this network has 2 × 16, 3/);
  assert.equal(policies.check({ name: 'ts-student', params: { model: 'models/nope' } }, three)?.path, ['params', 'model']);
  const five = scenario(ROAD, 'road.yaml', policies).topology;
  assert.is(policies.check({ name: 'ts-student', params: { model: MODEL } }, five), undefined);
  assert.throws(() => policies.resolve({ name: 'ts-student', params: { model: MODEL } }, five), /were not loaded before the run/);
});

test('in the twin with the shipped N = 5 student: every AP at exactly P_l, every slot after the first beams', async () => {
  const { tf } = await initBackend();
  const studentNets: StudentNets = new Map();
  await loadStudentNets(tf, resolveModelDir(MODEL), studentNets);
  const loaded = scenario(ROAD.replace(/decision: \{[^\n]*/, 'decision: { periodSlots: 1, latency: none }'), 'road.yaml', twinPolicies({ inferenceTf: tf, studentNets }));
  const twin = new Twin(loaded);
  const powers: number[][] = [];
  twin.slots$.subscribe((r) => powers.push(Array.from(r.bs.powerW)));
  twin.runSlots(30);
  const on = powers.filter((p) => p.some((x) => x > 0));
  assert.ok(on.length >= 25, `${on.length} slots with beams`);
  for (const p of on) for (const x of p) assert.ok(Math.abs(x - 1) < 1e-9, `P_l = 1 W, got ${x}`);
});

test.run();
