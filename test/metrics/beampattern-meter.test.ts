/**
 * The twin's beampattern meter against closed forms written out here: a single steered beam (the
 * Fejér kernel), an omnidirectional covariance (flat pattern 1/N), a target behind the array (its
 * mirror angle), an AP without targets or power; and L_r,2 by the naive double loop of eq. (9).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BeampatternMeter, gridAngleDeg } from '../../src/metrics/beampattern-meter.ts';

const DEG = Math.PI / 180;
const N = 8;

/** e^{jπ n sin θ}/√N by hand, interleaved. */
function steer(thetaRad: number): Float64Array {
  const a = new Float64Array(2 * N);
  for (let n = 0; n < N; n++) {
    a[2 * n] = Math.cos(Math.PI * n * Math.sin(thetaRad)) / Math.sqrt(N);
    a[2 * n + 1] = Math.sin(Math.PI * n * Math.sin(thetaRad)) / Math.sqrt(N);
  }
  return a;
}

/** aᴴ(θ1) R a(θ2) with R = Σ_rows w wᴴ, by hand. */
function pc(W: Float64Array, rows: number, t1: number, t2: number): [number, number] {
  const a1 = steer(t1);
  const a2 = steer(t2);
  let re = 0;
  let im = 0;
  for (let j = 0; j < rows; j++) {
    // x = a1ᴴ w_j, y = w_jᴴ a2 = conj(a2ᴴ w_j)
    let xr = 0, xi = 0, yr = 0, yi = 0;
    for (let n = 0; n < N; n++) {
      const wr = W[2 * (j * N + n)], wi = W[2 * (j * N + n) + 1];
      xr += a1[2 * n] * wr + a1[2 * n + 1] * wi;
      xi += a1[2 * n] * wi - a1[2 * n + 1] * wr;
      yr += a2[2 * n] * wr + a2[2 * n + 1] * wi;
      yi += -(a2[2 * n] * wi - a2[2 * n + 1] * wr);
    }
    re += xr * yr - xi * yi;
    im += xr * yi + xi * yr;
  }
  return [re, im];
}

/** L_r,2 of eq. (9) on the 1° grid by the naive double loop, with the meter's scale. */
function lr2ByHand(W: Float64Array, rows: number, scale: number): number {
  const grid = Array.from({ length: 181 }, (_, l) => (-90 + l) * DEG);
  let s = 0;
  for (let l = 0; l < grid.length; l++) {
    for (let r = l + 1; r < grid.length; r++) {
      const [re, im] = pc(W, rows, grid[l], grid[r]);
      s += Math.hypot(re, im);
    }
  }
  return (scale * 2 * s) / (181 * 180);
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('one steered beam at full power: the Fejér kernel, L_r,1 and L_r,2 by hand', () => {
  const P = 2.5;
  const thetaP = 20 * DEG;
  const W = steer(thetaP).map((v) => v * Math.sqrt(P));
  const meter = new BeampatternMeter(N, { widthDeg: 10, resolutionDeg: 1 });
  const r = meter.measure([W], [0], [thetaP]);
  assert.is(r.gridDeg.length, 181);
  let lr1 = 0;
  for (let l = 0; l < 181; l++) {
    const th = (-90 + l) * DEG;
    const u = Math.PI * (Math.sin(th) - Math.sin(thetaP));
    const fejer = Math.abs(u) < 1e-12 ? 1 : (Math.sin((N * u) / 2) / (N * Math.sin(u / 2))) ** 2;
    close(r.pattern[l], fejer, 1e-12, `P̄(${-90 + l}°)`);
    const d = Math.abs(-90 + l - 20) <= 5 ? 1 : 0;
    assert.is(r.desired[l], d, `d(${-90 + l}°)`);
    lr1 += (d - fejer) ** 2;
  }
  close(r.pattern[110], 1, 1e-12, 'unit gain at the target');
  close(r.lr1[0], lr1 / 181, 1e-12, 'L_r,1');
  close(r.lr2[0], lr2ByHand(W, 1, 1 / P), 1e-10, 'L_r,2');
  close(r.lr[0], r.lr1[0] + r.lr2[0], 1e-15, 'L_r');
});

test('omnidirectional R = (P/N)·I: a flat pattern 1/N (one target), L_r,2 by hand', () => {
  const P = 4;
  const W = new Float64Array(2 * N * N);
  for (let n = 0; n < N; n++) W[2 * (n * N + n)] = Math.sqrt(P / N);
  const meter = new BeampatternMeter(N, { widthDeg: 0, resolutionDeg: 1 });
  const r = meter.measure([W], [0], [-40 * DEG]);
  for (let l = 0; l < 181; l++) close(r.pattern[l], 1 / N, 1e-12, `P̄(${-90 + l}°)`);
  // Δ = 0: d is 1 at the target's grid point only.
  close(r.lr1[0], (180 * (1 / N) ** 2 + (1 - 1 / N) ** 2) / 181, 1e-12, 'L_r,1');
  close(r.lr2[0], lr2ByHand(W, N, 1 / P), 1e-10, 'L_r,2');
});

test('a target behind the array is measured at its mirror angle; APs without targets or power', () => {
  assert.ok(Math.abs(gridAngleDeg(160 * DEG) - 20) < 1e-12);
  assert.ok(Math.abs(gridAngleDeg(-170 * DEG) - -10) < 1e-12);
  const meter = new BeampatternMeter(N, { widthDeg: 6, resolutionDeg: 2 });
  const w = steer(4 * DEG).map((v) => v * 3);
  const front = meter.measure([w], [0], [20 * DEG]);
  const back = meter.measure([w], [0], [160 * DEG]);
  assert.equal(Array.from(back.desired), Array.from(front.desired));
  assert.is(back.lr[0], front.lr[0]);
  assert.is(front.gridDeg.length, 91);
  // AP 1 senses nothing: pattern drawn (scale 1/P_R), losses NaN; AP 2 is silent: zeros, NaN.
  const r = meter.measure([w, w, new Float64Array(2 * N)], [0], [20 * DEG]);
  assert.ok(Number.isFinite(r.lr[0]));
  assert.ok(Number.isNaN(r.lr[1]) && Number.isNaN(r.lr1[1]) && Number.isNaN(r.lr2[1]));
  close(r.pattern[91 + 47], 1, 1e-12, 'AP 1 peak (4°) at unit gain');
  assert.ok(r.pattern.subarray(182).every((v) => v === 0) && Number.isNaN(r.lr[2]));
  assert.ok(r.desired.subarray(91, 182).every((v) => v === 0));
});

test.run();
