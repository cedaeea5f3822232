import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Population } from '../../src/phy/mobility.ts';
import { mobilitySchema, placementSchema } from '../../src/scenario/schema.ts';
import { close, testRng } from '../helpers.ts';

const geo = { cellCentresM: Float64Array.of(0, 0, 1000, 0), cellRadiusM: 100 };
const make = (mobility: unknown, placement: unknown = { model: 'uniform-in-cell' }, cells = [0, 1]) =>
  new Population(Int32Array.from(cells), geo, mobilitySchema.parse(mobility), placementSchema.parse(placement), testRng('mob'));

test('constant velocity moves v·t along the heading', () => {
  const p = make({ model: 'constant-velocity', speedMps: 10, headingDeg: 90, boundary: 'none' }, { model: 'explicit', positionsM: [[0, 0], [5, 5]] });
  p.step(0.5);
  assert.equal(Array.from(p.posM).map((x) => Math.round(x * 1e9) / 1e9), [0, 5, 1005, 10]);
  close(p.speed(0), 10, 1e-12);
});

test('reflection keeps a node inside its cell disc, speed unchanged', () => {
  const p = make({ model: 'constant-velocity', speedMps: 30, headingDeg: 0 }, { model: 'explicit', positionsM: [[90, 0], [0, 0]] });
  for (let i = 0; i < 200; i++) {
    p.step(0.1);
    for (let n = 0; n < 2; n++) assert.ok(Math.hypot(p.posM[2 * n] - 1000 * n, p.posM[2 * n + 1]) <= 100 + 1e-9);
  }
  close(p.speed(0), 30, 1e-9);
  assert.ok(p.velMps[0] !== 30, 'bounced');
});

test('waypoints are visited in order at constant speed, looping', () => {
  const p = make({ model: 'waypoints', speedMps: 10, waypointsM: [[0, 0], [20, 0], [20, 20]] }, undefined, [0]);
  assert.equal(Array.from(p.posM), [0, 0]);
  p.step(1); // 10 m towards (20, 0)
  assert.equal(Array.from(p.posM), [10, 0]);
  p.step(1.5); // 10 m to the corner, 5 m up
  assert.equal(Array.from(p.posM).map((x) => Math.round(x * 1e9) / 1e9), [20, 5]);
  p.step(1.5 + 2.828427124746190); // to (20,20) then 28.28 m back towards (0,0)
  assert.equal(Array.from(p.posM).map((x) => Math.round(x * 1e6) / 1e6), [0, 0]);
});

test('random waypoint stays inside the cell and moves at its speed', () => {
  const p = make({ model: 'random-waypoint', speedMps: 5 }, undefined, [1, 1, 1]);
  let moved = 0;
  for (let i = 0; i < 1000; i++) {
    const x = p.posM[0];
    const y = p.posM[1];
    p.step(0.1);
    moved += Math.hypot(p.posM[0] - x, p.posM[1] - y);
    for (let n = 0; n < 3; n++) assert.ok(Math.hypot(p.posM[2 * n] - 1000, p.posM[2 * n + 1]) <= 100 + 1e-9);
  }
  // straight-line displacement per step: the full 0.5 m except on steps that turn at a waypoint
  assert.ok(moved <= 500 + 1e-9 && moved > 495, `moved ${moved}`);
});

test('lane following: on the polyline, at speed, re-entering at the start', () => {
  const p = make({ model: 'lane', speedMps: 30, roadM: [[-50, 10], [50, 10]], direction: 'forward' }, undefined, [0]);
  for (let i = 0; i < 100; i++) {
    const x0 = p.posM[0];
    p.step(0.1);
    close(p.posM[1], 10, 1e-12);
    assert.ok(p.posM[0] >= -50 && p.posM[0] <= 50);
    const dx = p.posM[0] - x0;
    assert.ok(Math.abs(dx - 3) < 1e-9 || Math.abs(dx - 3 + 100) < 1e-9, `step ${dx}`);
  }
});

test.run();
