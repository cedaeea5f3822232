import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { displacementInto, Population, torusDistance, type PopulationGeometry } from '../../src/phy/mobility.ts';
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

// ---- placement bounds hold for the whole run (multicell annulus rMin ≤ r ≤ rMax) ----

/** Runs `steps` steps and returns the extreme distances of every node from its own BS. */
function radiusRange(p: Population, centres: Float64Array, steps: number, dtS: number): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let s = 0; s < steps; s++) {
    p.step(dtS);
    for (let n = 0; n < p.size; n++) {
      const c = p.cellOf[n];
      const r = Math.hypot(p.posM[2 * n] - centres[2 * c], p.posM[2 * n + 1] - centres[2 * c + 1]);
      if (r < lo) lo = r;
      if (r > hi) hi = r;
    }
  }
  return { lo, hi };
}

test('random waypoint: 100k steps never closer than rMin nor farther than rMax', () => {
  const p = make(
    { model: 'random-waypoint', speedMps: 20, speedSpreadMps: 5, pauseS: 0.2 },
    { model: 'uniform-in-cell', minDistanceM: 40, maxDistanceM: 80 },
    [0, 0, 1, 1],
  );
  const { lo, hi } = radiusRange(p, geo.cellCentresM, 100_000, 0.1);
  assert.ok(lo >= 40 - 1e-9, `closest ${lo}`);
  assert.ok(hi <= 80 + 1e-9, `farthest ${hi}`);
  assert.ok(lo < 41 && hi > 79, `the bounds were approached (${lo}, ${hi})`);
});

test('constant velocity reflect: 100k steps inside the annulus, reflecting at the inner circle too, speed kept', () => {
  const p = make({ model: 'constant-velocity', speedMps: 7 }, { model: 'uniform-in-cell', minDistanceM: 30, maxDistanceM: 90 }, [0, 0, 0, 1, 1, 1]);
  const { lo, hi } = radiusRange(p, geo.cellCentresM, 100_000, 0.1);
  assert.ok(lo >= 30 - 1e-9, `closest ${lo}`);
  assert.ok(hi <= 90 + 1e-9, `farthest ${hi}`);
  assert.ok(lo < 30.5, `reached the inner circle (${lo})`);
  for (let n = 0; n < p.size; n++) close(p.speed(n), 7, 1e-9);
});

test('constant velocity aimed at the BS bounces off the inner circle specularly', () => {
  // from (60, 0) heading west at 10 m/s; rMin = 40: hits (40, 0) after 2 s and comes straight back
  const p = make({ model: 'constant-velocity', speedMps: 10, headingDeg: 180 }, { model: 'uniform-in-cell', minDistanceM: 40 }, [0]);
  p.posM[0] = 60;
  p.posM[1] = 0;
  p.step(3);
  close(p.posM[0], 50, 1e-12);
  close(p.posM[1], 0, 1e-12);
  close(p.velMps[0], 10, 1e-12);
});

test('random waypoint: legs that respect the bounds draw the stream as before (first proposal unchanged)', () => {
  // rMin 10, rMax 90 in a cell of radius 100: the first proposal is still drawn in the whole cell disc
  const p = make({ model: 'random-waypoint', speedMps: 5, speedSpreadMps: 1 }, { model: 'uniform-in-cell', minDistanceM: 10, maxDistanceM: 90 }, [1, 1, 1]);
  // replay: placements (r², angle each), then per node the waypoint (r², angle) and the speed
  const r = testRng('mob');
  const disc = (rMin: number, rMax: number) => {
    const rr = Math.sqrt(r.between(rMin * rMin, rMax * rMax));
    const a = r.between(0, 2 * Math.PI);
    return [1000 + rr * Math.cos(a), rr * Math.sin(a)];
  };
  const starts = [0, 1, 2].map(() => disc(10, 90));
  let checked = 0;
  for (let n = 0; n < 3; n++) {
    const [sx, sy] = starts[n];
    const [tx, ty] = disc(0, 100);
    const speed = 5 + r.between(-1, 1);
    assert.equal([p.posM[2 * n], p.posM[2 * n + 1]], [sx, sy]);
    // the replay holds while the old legs respected the bounds (then the new code redraws)
    const [dx, dy] = [tx - sx, ty - sy];
    const f = Math.max(0, Math.min(1, -((sx - 1000) * dx + sy * dy) / (dx * dx + dy * dy)));
    if (Math.hypot(sx - 1000 + f * dx, sy + f * dy) <= 10 || Math.hypot(tx - 1000, ty) > 90) break;
    const d = Math.hypot(dx, dy);
    close(p.velMps[2 * n], (speed * dx) / d, 1e-12);
    close(p.velMps[2 * n + 1], (speed * dy) / d, 1e-12);
    checked++;
  }
  assert.ok(checked >= 1, 'at least one leg replayed');
});

// ---- cell-free areas ----

/** 3 × 3 grid of APs over [-150, 150]², one of them near the corner (to exercise the torus images). */
const apPosM = Float64Array.of(-100, -100, 0, -100, 100, -100, -100, 0, 0, 0, 100, 0, -100, 100, 0, 100, 145, 145);
const areaGeo = (wrap: boolean, minApDistanceM = 20): PopulationGeometry => ({
  cellCentresM: new Float64Array(2),
  cellRadiusM: 150,
  area: { minM: [-150, -150], maxM: [150, 150], wrap, apPosM, minApDistanceM },
});
const makeArea = (wrap: boolean, mobility: unknown, placement: unknown = { model: 'uniform-in-area' }, n = 8) =>
  new Population(new Int32Array(n), areaGeo(wrap), mobilitySchema.parse(mobility), placement as never, testRng('area'));
const inSquare = (p: Population, n: number) =>
  p.posM[2 * n] >= -150 - 1e-9 && p.posM[2 * n] <= 150 + 1e-9 && p.posM[2 * n + 1] >= -150 - 1e-9 && p.posM[2 * n + 1] <= 150 + 1e-9;
const apClearance = (p: Population, n: number, wrap: boolean) => {
  let d = Infinity;
  const area = areaGeo(wrap).area;
  for (let m = 0; m < apPosM.length / 2; m++) d = Math.min(d, torusDistance(area, p.posM[2 * n], p.posM[2 * n + 1], apPosM[2 * m], apPosM[2 * m + 1]));
  return d;
};

test('uniform-in-area: inside the square, at least minApDistanceM from every AP (torus: every image)', () => {
  for (const wrap of [false, true]) {
    const p = makeArea(wrap, { model: 'static' }, { model: 'uniform-in-area' }, 2000);
    let lo = Infinity;
    for (let n = 0; n < p.size; n++) {
      assert.ok(inSquare(p, n), `node ${n} outside`);
      lo = Math.min(lo, apClearance(p, n, wrap));
    }
    assert.ok(lo >= 20, `closest ${lo} (wrap ${wrap})`);
    assert.ok(lo < 21, `placement reaches the bound (${lo})`);
  }
  // placement minDistanceM overrides the geometry's
  const p = makeArea(false, { model: 'static' }, { model: 'uniform-in-area', minDistanceM: 40 }, 500);
  for (let n = 0; n < p.size; n++) assert.ok(apClearance(p, n, false) >= 40);
  assert.throws(() => new Population(new Int32Array(1), geo, mobilitySchema.parse({ model: 'static' }), { model: 'uniform-in-area' }, testRng('x')));
});

test('cell-free random waypoint: 100k steps inside the area, never closer than minApDistanceM to an AP', () => {
  for (const wrap of [false, true]) {
    const p = makeArea(wrap, { model: 'random-waypoint', speedMps: 15, speedSpreadMps: 5 }, { model: 'uniform-in-area' }, 4);
    let lo = Infinity;
    for (let s = 0; s < 100_000; s++) {
      p.step(0.1);
      for (let n = 0; n < p.size; n++) {
        assert.ok(inSquare(p, n));
        lo = Math.min(lo, apClearance(p, n, wrap));
      }
    }
    assert.ok(lo >= 20 - 1e-9, `closest ${lo} (wrap ${wrap})`);
    assert.ok(lo < 21, `legs graze the AP discs (${lo})`);
  }
});

test('cell-free constant velocity: reflects at the square edges and the AP discs, speed kept', () => {
  // one node in the open, heading east 10 m/s from x = 145: hits x = 150 after 0.5 s, back to 145
  const one = makeArea(false, { model: 'constant-velocity', speedMps: 10, headingDeg: 0 }, { model: 'explicit', positionsM: [[145, 50]], frame: 'world' }, 1);
  one.step(1);
  close(one.posM[0], 145, 1e-12);
  close(one.posM[1], 50, 1e-12);
  close(one.velMps[0], -10, 1e-12);
  // many nodes, 100k steps
  const p = makeArea(false, { model: 'constant-velocity', speedMps: 12 }, { model: 'uniform-in-area' }, 6);
  let lo = Infinity;
  for (let s = 0; s < 100_000; s++) {
    p.step(0.1);
    for (let n = 0; n < p.size; n++) {
      assert.ok(inSquare(p, n), `node ${n} left the square`);
      lo = Math.min(lo, apClearance(p, n, false));
    }
  }
  assert.ok(lo >= 20 - 1e-9, `closest ${lo}`);
  for (let n = 0; n < p.size; n++) close(p.speed(n), 12, 1e-9);
});

test('wrap-around: leaving at x = max re-enters at x = min; displacementInto gives the true small step', () => {
  const p = makeArea(true, { model: 'constant-velocity', speedMps: 10, headingDeg: 0 }, { model: 'explicit', positionsM: [[146, 50], [0, -146]], frame: 'world' }, 2);
  p.velMps[2] = 0;
  p.velMps[3] = -10; // node 1 heads south through y = min
  p.step(1);
  close(p.posM[0], -144, 1e-12);
  close(p.posM[1], 50, 1e-12);
  close(p.posM[2], 0, 1e-12);
  close(p.posM[3], 144, 1e-12);
  close(p.velMps[0], 10, 1e-12);
  const d = displacementInto(new Float64Array(4), p.prevPosM, p.posM, p.area);
  assert.equal(Array.from(d).map((x) => Math.round(x * 1e9) / 1e9), [10, 0, 0, -10]);
  assert.equal(Array.from(p.displacementInto(new Float64Array(4))).map((x) => Math.round(x * 1e9) / 1e9), [10, 0, 0, -10]);
  // without wrap the same call is the plain difference
  assert.equal(Array.from(displacementInto(new Float64Array(2), Float64Array.of(146, 0), Float64Array.of(-144, 0))), [-290, 0]);
  // torus distance: the nearest image of the corner AP (145, 145) from (-145, -145) is 10√2 away
  close(p.torusDistance(-145, -145, 145, 145), 10 * Math.SQRT2, 1e-12);
  assert.equal(p.wrappedDelta(290, -295), [-10, 5]);
  // 100k steps on the torus with AP discs: inside the square, clear of every AP image, speed kept
  const q = makeArea(true, { model: 'constant-velocity', speedMps: 9 }, { model: 'uniform-in-area' }, 6);
  let lo = Infinity;
  for (let s = 0; s < 100_000; s++) {
    q.step(0.1);
    const step = q.displacementInto(new Float64Array(12));
    for (let n = 0; n < q.size; n++) {
      assert.ok(inSquare(q, n));
      assert.ok(Math.hypot(step[2 * n], step[2 * n + 1]) <= 0.9 + 1e-9, 'step length');
      lo = Math.min(lo, apClearance(q, n, true));
    }
  }
  assert.ok(lo >= 20 - 1e-9, `closest ${lo}`);
  for (let n = 0; n < q.size; n++) close(q.speed(n), 9, 1e-9);
});

test.run();
