/**
 * Statistics: type-7 quantiles against a naive sort (every path of the histogram-narrowed
 * selection), Student t quantiles against published values, batch-means intervals by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mean, meanInterval, orderStatistics, quantiles, studentTQuantile, summarize, unpairedInterval } from '../../src/analysis/stats.ts';
import { parseIntList } from '../../src/analysis/reader.ts';

/** Deterministic uniform numbers in [0, 1) (LCG), so the tests never change. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Type 7 by sorting: the naive reference. */
function naive(a: Float64Array, p: number): number {
  const s = a.slice().sort();
  const h = (s.length - 1) * p;
  const k = Math.floor(h);
  return h > k && s[k + 1] !== s[k] ? s[k] + (h - k) * (s[k + 1] - s[k]) : s[k];
}

test('quantiles of 1…5 are the NumPy/pandas (type 7) values', () => {
  assert.equal(quantiles(Float64Array.of(5, 1, 4, 2, 3), [0.05, 0.5, 0.95, 0, 1]), [1.2, 3, 4.8, 1, 5]);
  assert.equal(quantiles(Float64Array.of(7), [0.05, 0.5, 0.95]), [7, 7, 7]);
  assert.equal(quantiles(Float64Array.of(1, 3), [0.25]), [1.5]);
});

test('quantiles equal a naive sort on every shape of data (small, large, ties, outliers, decades)', () => {
  const r = lcg(11);
  const shapes: Record<string, (i: number) => number> = {
    uniform: () => r(),
    ties: (i) => 2 + (i % 10),
    outlier: (i) => (i === 17 ? 1e12 : r()),
    decades: () => 10 ** (12 * r() - 6),
    negative: () => -r() * 1e-6,
    constant: () => 3.25,
    infinite: (i) => (i % 7 === 0 ? Infinity : r()),
  };
  const ps = [0, 0.05, 0.1234, 0.5, 0.95, 0.999, 1];
  for (const [name, f] of Object.entries(shapes)) {
    for (const n of [1, 2, 3, 50, 2048, 2049, 20000, 100001]) {
      const a = Float64Array.from({ length: n }, (_, i) => f(i));
      const before = a.slice();
      const q = quantiles(a, ps);
      ps.forEach((p, j) => assert.is(q[j], naive(a, p), `${name} n=${n} p=${p}`));
      assert.equal(a, before, 'input not reordered');
    }
  }
});

test('orderStatistics returns exact ranks in any order asked', () => {
  const a = Float64Array.from({ length: 10000 }, (_, i) => (i * 7919) % 10000);
  assert.equal(orderStatistics(a, [9999, 0, 5000, 5000]), [9999, 0, 5000, 5000]);
  assert.throws(() => orderStatistics(a, [10000]), /rank 10000 outside/);
});

test('summarize: n, mean, min, max and percentiles; empty is null', () => {
  const s = summarize(Float64Array.of(0, 0.05, 0.2, 1, 1, 1, 2, 2, 3, 4))!;
  assert.equal(s.n, 10);
  assert.ok(Math.abs(s.mean - 1.425) < 1e-15);
  assert.equal([s.min, s.p50, s.max], [0, 1, 4]);
  assert.ok(Math.abs(s.p5 - 0.0225) < 1e-15 && Math.abs(s.p95 - 3.55) < 1e-15);
  assert.is(summarize(new Float64Array(0)), null);
  assert.ok(Math.abs(mean(Float64Array.from({ length: 1e6 }, () => 0.1)) - 0.1) < 1e-15);
});

test('summaries and quantiles over several parts equal those of the concatenation (pooled entities)', () => {
  const r = lcg(5);
  const parts = [3000, 1, 0, 5000].map((n) => Float64Array.from({ length: n }, () => r() * 10 - 2));
  const all = new Float64Array(8001);
  let k = 0;
  for (const p of parts) {
    all.set(p, k);
    k += p.length;
  }
  const a = summarize(parts)!;
  const b = summarize(all)!;
  assert.equal([a.n, a.min, a.p5, a.p50, a.p95, a.max], [b.n, b.min, b.p5, b.p50, b.p95, b.max]);
  assert.ok(Math.abs(a.mean - b.mean) < 1e-12);
  assert.equal(quantiles(parts, [0.01, 0.99]), [naive(all, 0.01), naive(all, 0.99)]);
  assert.is(summarize([new Float64Array(0)]), null);
});

test('Student t quantiles match published tables', () => {
  const cases: Array<[number, number, number]> = [
    [0.975, 1, 12.706204736],
    [0.975, 3, 3.182446305],
    [0.975, 6, 2.446911851],
    [0.975, 19, 2.093024054],
    [0.975, 30, 2.042272456],
    [0.995, 5, 4.032142984],
    [0.975, 1e6, 1.959966],
  ];
  for (const [p, df, t] of cases) assert.ok(Math.abs(studentTQuantile(p, df) - t) < 2e-6, `t(${p}, ${df}) = ${studentTQuantile(p, df)}, expected ${t}`);
  assert.ok(Math.abs(studentTQuantile(0.025, 19) + 2.093024054) < 2e-6);
});

test('batch means: 4 batches of 10 with means 1, 2, 3, 4 give mean ± t(3)·s/√4 by hand', () => {
  const x = Float64Array.from({ length: 40 }, (_, i) => 1 + Math.floor(i / 10));
  const ci = meanInterval(x, 4);
  assert.is(ci.mean, 2.5);
  assert.equal([ci.batches, ci.batchSize, ci.n], [4, 10, 40]);
  // s = sqrt(5/3); half-width = 3.182446305 · s / 2
  assert.ok(Math.abs(ci.halfWidth! - (3.182446305 * Math.sqrt(5 / 3)) / 2) < 1e-8, String(ci.halfWidth));
  // Three leading values are left out of the batches (43 = 3 + 4·10), not out of the mean.
  const y = Float64Array.from([100, 100, 100, ...x]);
  const cy = meanInterval(y, 4);
  assert.ok(Math.abs(cy.halfWidth! - ci.halfWidth!) < 1e-12);
  assert.ok(Math.abs(cy.mean - (300 + 100) / 43) < 1e-12);
  // Too few values for k batches of ≥ 2: no interval.
  assert.is(meanInterval(Float64Array.of(1, 2, 3), 4).halfWidth, null);
  // NaN (slots one run lacks) are skipped.
  assert.is(meanInterval(Float64Array.from([NaN, ...x]), 4).halfWidth, ci.halfWidth);
});

test('batch means widen the interval of an autocorrelated series (AR(1), φ = 0.95) far beyond the i.i.d. one', () => {
  const r = lcg(3);
  const x = new Float64Array(20000);
  let v = 0;
  for (let i = 0; i < x.length; i++) {
    v = 0.95 * v + (r() - 0.5);
    x[i] = v;
  }
  const ci = meanInterval(x, 20);
  // Variance inflation (1 + φ)/(1 − φ) = 39: the honest interval is about √39 ≈ 6 times wider.
  assert.ok(ci.halfWidth! / ci.iidHalfWidth! > 3, `ratio ${ci.halfWidth! / ci.iidHalfWidth!}`);
  assert.ok(Math.abs(ci.batchLag1!) < 0.5);
});

test('unpaired (Welch on batch means) by hand', () => {
  const a = Float64Array.from({ length: 40 }, (_, i) => 1 + Math.floor(i / 10));
  const b = a.map((x) => x + 1);
  const u = unpairedInterval(a, b, 4);
  assert.is(u.diff, 1);
  // va = vb = (5/3)/4; df = (va+vb)² / (2·va²/3) = 6; half-width = t(6)·√(va+vb)
  assert.ok(Math.abs(u.df! - 6) < 1e-12);
  assert.ok(Math.abs(u.halfWidth! - 2.446911851 * Math.sqrt(5 / 6)) < 1e-8, String(u.halfWidth));
});

test('parseIntList reads group_concat output: negatives, empty entries (NULL), scale, log', () => {
  const out = new Float64Array(8);
  const n = parseIntList(Buffer.from('-5,,1234567,'), out, 1e3);
  assert.is(n, 4);
  assert.equal([out[0], out[2]], [-0.005, 1234.567]);
  assert.ok(Number.isNaN(out[1]) && Number.isNaN(out[3]));
  assert.is(parseIntList(Buffer.from(''), out, 1), 1);
  assert.ok(Number.isNaN(out[0]));
  assert.is(parseIntList(null, out, 1), 0);
  parseIntList(Buffer.from('-3000000'), out, 1e6, true);
  assert.ok(Math.abs(out[0] - 1e-3) < 1e-18);
});

test.run();
