import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { besselJ0 } from '../../src/phy/bessel.ts';
import { czeros } from '../../src/phy/complex.ts';
import { FadingField, fadingCorrelation, RENORM_INTERVAL_SLOTS, type FadingModel, type FadingSpec } from '../../src/phy/fading.ts';
import { SPEED_OF_LIGHT_MPS } from '../../src/phy/geometry.ts';
import type { Rng } from '../../src/phy/random.ts';
import { close, testRng } from '../helpers.ts';

const FC = 3.5e9;
const LAMBDA = SPEED_OF_LIGHT_MPS / FC;
const T = 1e-3;
const LAGS = [1, 5, 10, 20, 50];
const spec = (model: FadingModel, sinusoids = 16, coherenceSlots = 10): FadingSpec => ({ model, coherenceSlots, sinusoids });
const field = (model: FadingModel, A: number, U: number, nt: number, rng: Rng, fc = FC) =>
  new FadingField(A, U, nt, spec(model), T, SPEED_OF_LIGHT_MPS / fc, rng, fc);

/** Displacements of U users moving at speed v with random fixed headings (one slot). */
function straightDisp(U: number, v: number, rng: Rng): Float64Array {
  const d = new Float64Array(2 * U);
  for (let u = 0; u < U; u++) {
    const h = rng.between(0, 2 * Math.PI);
    d[2 * u] = v * T * Math.cos(h);
    d[2 * u + 1] = v * T * Math.sin(h);
  }
  return d;
}

interface CorrEstimate {
  lag: number;
  r: number; // Re Σ h(t) h*(t+n) / Σ (|h(t)|² + |h(t+n)|²)/2
  tol: number; // 4 standard errors of r (from the spread across independent entries)
  ref: number; // J0(2π f_D n T)
}

/**
 * Runs `f` from slot `from` (exclusive) and estimates the autocorrelation at each lag, averaged
 * over `starts` start slots and all entries. Entries are independent, so the standard error of
 * D_e = A_e − J0·B_e (A_e, B_e: per-entry means of the cross and power terms over the starts)
 * across entries gives the tolerance: |r − J0| ≤ 4·SE(D)/mean(B).
 */
function estimate(f: FadingField, from: number, disp: Float64Array, speed: Float64Array, v: number, starts: number[]): CorrEstimate[] {
  const need = new Set<number>();
  for (const s of starts) for (const n of [0, ...LAGS]) need.add(s + n);
  const last = Math.max(...need);
  const snap = new Map<number, Float64Array>();
  if (need.has(from)) snap.set(from, f.values.slice());
  for (let slot = from + 1; slot <= last; slot++) {
    f.advance(slot, disp, speed);
    if (need.has(slot)) snap.set(slot, f.values.slice());
  }
  const E = f.values.length / 2;
  return LAGS.map((lag) => {
    const ref = besselJ0((2 * Math.PI * v * lag * T) / LAMBDA);
    let sumA = 0;
    let sumB = 0;
    let sumD = 0;
    let sumD2 = 0;
    for (let e = 0; e < E; e++) {
      let a = 0;
      let b = 0;
      for (const s of starts) {
        const x = snap.get(s)!;
        const y = snap.get(s + lag)!;
        const xr = x[2 * e], xi = x[2 * e + 1], yr = y[2 * e], yi = y[2 * e + 1];
        a += xr * yr + xi * yi;
        b += (xr * xr + xi * xi + yr * yr + yi * yi) / 2;
      }
      a /= starts.length;
      b /= starts.length;
      sumA += a;
      sumB += b;
      const d = a - ref * b;
      sumD += d;
      sumD2 += d * d;
    }
    const meanD = sumD / E;
    const se = Math.sqrt((sumD2 / E - meanD * meanD) / (E - 1));
    return { lag, r: sumA / sumB, tol: (4 * se) / (sumB / E), ref };
  });
}

const A = 4;
const U = 128;
const NT = 8; // 4096 independent entries
const STARTS = Array.from({ length: 20 }, (_, j) => 1 + 60 * j);

function corrRun(model: FadingModel, v: number, seed: number): CorrEstimate[] {
  const f = field(model, A, U, NT, testRng('fading', seed));
  const disp = straightDisp(U, v, testRng('heading', seed));
  return estimate(f, 0, disp, new Float64Array(U).fill(v), v, STARTS);
}

const show = (name: string, est: CorrEstimate[]) =>
  process.env.FADING_VERBOSE &&
  console.log(name, est.map((e) => `n=${e.lag}: ${e.r.toFixed(4)} vs J0 ${e.ref.toFixed(4)} ±${e.tol.toPrecision(2)}`).join(' | '));

for (const [label, v] of [['pedestrian 1.4 m/s', 1.4], ['vehicular 30 m/s', 30]] as const) {
  test(`clarke: autocorrelation at lags ${LAGS.join('/')} is J0(2π f_D nT), ${label}`, () => {
    const est = corrRun('clarke', v, 11);
    show(`clarke ${label}`, est);
    for (const e of est) {
      assert.ok(e.tol < 0.03, `tolerance ${e.tol} too loose to mean anything`);
      assert.ok(Math.abs(e.r - e.ref) <= e.tol, `lag ${e.lag}: measured ${e.r}, J0 ${e.ref}, tol ${e.tol}`);
    }
  });

  test(`gauss-markov fails the same test at lags 10 and 20, ${label}`, () => {
    const est = corrRun('gauss-markov', v, 11);
    show(`gauss-markov ${label}`, est);
    for (const e of est) {
      // and it does follow its own law ρⁿ
      const own = fadingCorrelation(spec('gauss-markov'), v, e.lag, T, FC);
      assert.ok(Math.abs(e.r - own) <= e.tol + 0.01, `lag ${e.lag}: measured ${e.r}, ρⁿ ${own}`);
    }
    for (const e of est.filter((x) => x.lag === 10 || x.lag === 20)) {
      assert.ok(Math.abs(e.r - e.ref) > e.tol, `lag ${e.lag}: gauss-markov ${e.r} should miss J0 ${e.ref} (tol ${e.tol})`);
    }
  });
}

test('clarke: marginal CN(0, 1), Rayleigh 4th moment 2 − 1/N', () => {
  const N = 16;
  const f = field('clarke', 4, 128, 8, testRng('marg'));
  const disp = straightDisp(128, 30, testRng('marg-h'));
  const speed = new Float64Array(128).fill(30);
  const E = f.values.length / 2;
  const times = 10;
  // per-entry means over 10 times 500 slots apart (independent: f_D T·500 = 175 cycles)
  const acc = { re: new Float64Array(E), im: new Float64Array(E), p: new Float64Array(E), rr: new Float64Array(E), ii: new Float64Array(E), ri: new Float64Array(E), p2: new Float64Array(E) };
  let slot = 0;
  for (let t = 0; t < times; t++) {
    for (let k = 0; k < 500; k++) f.advance(++slot, disp, speed);
    for (let e = 0; e < E; e++) {
      const re = f.values[2 * e];
      const im = f.values[2 * e + 1];
      const p = re * re + im * im;
      acc.re[e] += re / times;
      acc.im[e] += im / times;
      acc.rr[e] += (re * re) / times;
      acc.ii[e] += (im * im) / times;
      acc.ri[e] += (re * im) / times;
      acc.p[e] += p / times;
      acc.p2[e] += (p * p) / times;
    }
  }
  const check = (x: Float64Array, expected: number, what: string, extra = 0) => {
    let s = 0;
    let s2 = 0;
    for (const v of x) {
      s += v;
      s2 += v * v;
    }
    const mean = s / E;
    const se = Math.sqrt((s2 / E - mean * mean) / (E - 1));
    assert.ok(Math.abs(mean - expected) <= 4 * se + extra, `${what}: ${mean} vs ${expected} (4σ = ${4 * se})`);
    return mean;
  };
  check(acc.re, 0, 'E Re h');
  check(acc.im, 0, 'E Im h');
  check(acc.p, 1, 'E|h|²');
  check(acc.rr, 0.5, 'E (Re h)²');
  check(acc.ii, 0.5, 'E (Im h)²');
  check(acc.ri, 0, 'E Re h Im h');
  const m4 = check(acc.p2, 2 - 1 / N, 'E|h|⁴ (SoS: 2 − 1/N)');
  close(m4, 2, 0.15, 'E|h|⁴ vs Rayleigh 2');
});

test('clarke: a static user keeps its channel bit for bit; moving d then −d returns to it', () => {
  const f = field('clarke', 3, 3, 4, testRng('static'));
  const h0 = f.values.slice();
  const disp = new Float64Array(6);
  const speed = new Float64Array(3);
  const rng = testRng('walk');
  // user 0 never moves; users 1 and 2 random-walk for 3000 slots (past the renormalisation)
  const path: number[][] = [];
  for (let s = 1; s <= 3000; s++) {
    const step = [0, 0, rng.between(-0.02, 0.02), rng.between(-0.02, 0.02), 0.013, -0.021];
    path.push(step);
    disp.set(step);
    f.advance(s, disp, speed);
  }
  const mid = f.values;
  for (let m = 0; m < 3; m++) {
    for (let i = 0; i < 2 * 4; i++) assert.is(mid[2 * (m * 3 + 0) * 4 + i], h0[2 * (m * 3 + 0) * 4 + i], 'static user bit for bit');
  }
  assert.ok(Math.abs(mid[2 * (0 * 3 + 1) * 4] - h0[2 * (0 * 3 + 1) * 4]) > 1e-3, 'moving user changed');
  // walk every user back along its path: −d in reverse order
  for (let s = 3000; s >= 1; s--) {
    disp.set(path[s - 1].map((x) => -x));
    f.advance(3000 + (3001 - s), disp, speed);
  }
  for (let k = 0; k < h0.length; k++) close(f.values[k], h0[k], 1e-9, `entry ${k >> 1} after the return`);
});

/** The legacy ChannelModel AR(1)/block loop, written out naively. */
function naiveLegacy(model: 'gauss-markov' | 'block', A: number, U: number, nt: number, L: number, rng: Rng, fc: number) {
  const h = czeros(A * U * nt);
  rng.complexNormal(h);
  const noise = czeros(nt);
  return {
    h,
    step(slot: number, speed: Float64Array) {
      for (let u = 0; u < U; u++) {
        const redraw = model === 'block' && slot % L === 0;
        if (model === 'block' && !redraw) continue;
        const fD = (speed[u] * fc) / SPEED_OF_LIGHT_MPS;
        const rho = redraw ? 0 : besselJ0(2 * Math.PI * fD * T);
        const innov = Math.sqrt(Math.max(0, 1 - rho * rho));
        for (let m = 0; m < A; m++) {
          const off = 2 * (m * U + u) * nt;
          rng.complexNormal(noise);
          for (let i = 0; i < 2 * nt; i++) h[off + i] = rho * h[off + i] + innov * noise[i];
        }
      }
    },
  };
}

for (const fc of [3.5e9, 3.7e9, 28e9]) {
  for (const model of ['gauss-markov', 'block'] as const) {
    test(`${model} at ${fc / 1e9} GHz is bit-identical to the legacy loop and leaves the rng where it did`, () => {
      const [a, b] = [testRng('legacy', 5), testRng('legacy', 5)];
      const f = new FadingField(3, 5, 4, spec(model, 16, 7), T, SPEED_OF_LIGHT_MPS / fc, a, fc);
      const ref = naiveLegacy(model, 3, 5, 4, 7, b, fc);
      assert.equal(Array.from(f.values), Array.from(ref.h), 'after construction');
      assert.is(a.uniform(), b.uniform(), 'constructor drew exactly complexNormal(values)');
      const sp = testRng('speeds');
      const speed = new Float64Array(5);
      const disp = new Float64Array(10);
      for (let s = 1; s <= 300; s++) {
        for (let u = 0; u < 5; u++) speed[u] = sp.between(0, 40);
        f.advance(s, disp, speed);
        ref.step(s, speed);
      }
      assert.equal(Array.from(f.values), Array.from(ref.h), 'after 300 slots');
      assert.is(a.uniform(), b.uniform(), 'same rng position');
    });
  }
}

test('static: constructor draws complexNormal(values) only; advance never changes anything', () => {
  const [a, b] = [testRng('st', 3), testRng('st', 3)];
  const f = field('static', 2, 3, 2, a);
  const h = czeros(12);
  b.complexNormal(h);
  assert.equal(Array.from(f.values), Array.from(h));
  for (let s = 1; s < 50; s++) f.advance(s, new Float64Array(6).fill(0.01), new Float64Array(3).fill(30));
  assert.equal(Array.from(f.values), Array.from(h));
  assert.is(a.uniform(), b.uniform());
});

test('determinism: same seed → same values; another seed → other values', () => {
  for (const model of ['clarke', 'gauss-markov', 'block'] as const) {
    const run = (seed: number) => {
      const f = field(model, 2, 4, 3, testRng('det', seed));
      const disp = straightDisp(4, 10, testRng('det-h'));
      const speed = new Float64Array(4).fill(10);
      for (let s = 1; s <= 200; s++) f.advance(s, disp, speed);
      return Array.from(f.values);
    };
    assert.equal(run(1), run(1), `${model} same seed`);
    assert.not.equal(run(1), run(2), `${model} other seed`);
  }
});

test('clarke: a link does not depend on how many users or APs there are (seeded per link)', () => {
  const small = field('clarke', 2, 3, 4, testRng('link'));
  const big = field('clarke', 5, 9, 4, testRng('link'));
  for (const [m, u] of [[0, 0], [1, 2]]) {
    for (let i = 0; i < 8; i++) assert.is(small.values[2 * (m * 3 + u) * 4 + i], big.values[2 * (m * 9 + u) * 4 + i]);
  }
});

test('clarke: the Doppler follows the current speed (1.4 → 30 m/s)', () => {
  const f = field('clarke', A, U, NT, testRng('switch'));
  const headings = testRng('switch-h');
  const slow = straightDisp(U, 1.4, headings);
  const fast = new Float64Array(2 * U);
  for (let u = 0; u < U; u++) {
    // same heading, ×30/1.4 longer steps
    fast[2 * u] = (slow[2 * u] * 30) / 1.4;
    fast[2 * u + 1] = (slow[2 * u + 1] * 30) / 1.4;
  }
  const speed = new Float64Array(U);
  for (let s = 1; s <= 500; s++) f.advance(s, slow, speed);
  const est = estimate(f, 500, fast, speed, 30, STARTS.map((s) => s + 500));
  show('clarke after 1.4→30 m/s', est);
  for (const e of est) assert.ok(Math.abs(e.r - e.ref) <= e.tol, `lag ${e.lag}: measured ${e.r}, J0(30 m/s) ${e.ref}, tol ${e.tol}`);
});

test('clarke: |phasor| stays 1 within 1e-9 after 10⁵ slots', () => {
  const f = field('clarke', 2, 3, 2, testRng('renorm'));
  const disp = new Float64Array(6);
  const speed = new Float64Array(3);
  for (let s = 1; s <= 100_000; s++) {
    // user 0 straight (cached rotation), user 1 turning every slot (recomputed), user 2 still
    disp[0] = 0.03;
    disp[1] = 0.01;
    disp[2] = 0.02 * Math.cos(s * 1e-3);
    disp[3] = 0.02 * Math.sin(s * 1e-3);
    f.advance(s, disp, speed);
  }
  const err = f.phasorModulusError();
  assert.ok(err < 1e-9, `drift ${err}`);
  // tighter, so that the test discriminates: without renormalisation this run drifts 6.3e-12
  assert.ok(err < 1e-12, `drift ${err} (renormalisation every ${RENORM_INTERVAL_SLOTS} slots keeps ~4e-14)`);
  let p = 0;
  for (const x of f.values) p += x * x;
  assert.ok(p > 0 && Number.isFinite(p));
});

test('fadingCorrelation: J0, ρⁿ, 1, block triangle', () => {
  const fD = (1.4 * FC) / SPEED_OF_LIGHT_MPS;
  close(fadingCorrelation(spec('clarke'), 1.4, 10, T, FC), besselJ0(2 * Math.PI * fD * 10 * T), 1e-15);
  close(fadingCorrelation(spec('gauss-markov'), 1.4, 10, T, FC), besselJ0(2 * Math.PI * fD * T) ** 10, 1e-15);
  close(fadingCorrelation(spec('clarke'), 1.4, 0, T, FC), 1, 1e-12);
  assert.is(fadingCorrelation(spec('static'), 30, 50, T, FC), 1);
  assert.is(fadingCorrelation(spec('block', 16, 10), 30, 5, T, FC), 0.5);
  assert.is(fadingCorrelation(spec('block', 16, 10), 30, 12, T, FC), 0);
  // the headline numbers of docs/fading.md: pedestrians at 10–14 slots of CSI age
  close(fadingCorrelation(spec('clarke'), 1.4, 10, T, FC), 0.75321, 1e-4); // scipy.special.j0: scripts/ref/clarke_reference.py
  assert.ok(fadingCorrelation(spec('gauss-markov'), 1.4, 10, T, FC) > 0.97);
});

test('constructor rejects a bad number of sinusoids or coherence', () => {
  assert.throws(() => new FadingField(1, 1, 1, spec('clarke', 0), T, LAMBDA, testRng('x')), /sinusoids/);
  assert.throws(() => new FadingField(1, 1, 1, { model: 'block', coherenceSlots: 0, sinusoids: 16 }, T, LAMBDA, testRng('x')), /coherenceSlots/);
});

test.run();
