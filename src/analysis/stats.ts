/**
 * Statistics for run analysis, pure functions over typed arrays.
 *
 * Percentiles are Hyndman & Fan type 7 (linear interpolation between order statistics, the
 * default of R, NumPy and pandas): for n sorted values x[0..n-1] and p in [0, 1],
 * h = (n − 1)·p and Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). The order statistics are
 * found exactly by histogram-narrowed selection (expected O(n)), not by sorting, so a summary
 * of 1,000,000 values costs a few milliseconds.
 *
 * Confidence intervals for the mean of an autocorrelated per-slot series use non-overlapping
 * batch means: the n values are cut into k consecutive batches of b = ⌊n/k⌋ values (the first
 * n − k·b values are left out of the variance only), the batch means are treated as
 * approximately independent and normal, and the half-width is t_{k−1, 1−α/2} · s_batch / √k.
 */

/** Summary of one series. Every field is finite; an empty series has no summary (null). */
export interface Summary {
  n: number;
  mean: number;
  min: number;
  p5: number;
  p50: number;
  p95: number;
  max: number;
}

/** Growable Float64Array (values appended in any order). */
export class Series {
  private buf: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Float64Array(Math.max(16, capacity));
  }
  push(x: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }
  /** A view of the values (shares memory; selection reorders it in place). */
  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Values below which selection just sorts. */
const SMALL = 2048;
/** Histogram bins per refinement step. */
const BINS = 2048;

/** Sorts `a` in place and picks the ranks. */
function sortedPick(a: Float64Array, ranks: readonly number[]): number[] {
  a.sort();
  return ranks.map((r) => a[r]);
}

/**
 * The order statistics x_(r) (0-based ranks, ascending) of the values of `parts` taken
 * together, exactly, without reordering or copying them. Histogram-narrowed selection: one pass
 * finds min and max (skipped when `bounds` are given), one counts the values in BINS equal bins
 * (binning is monotone, so bin b holds only values ≤ those of bin b+1), one copies out the few
 * bins that hold the wanted ranks; those are refined the same way until small, then sorted.
 * Expected O(n) with small constants (a million values in a few milliseconds).
 */
export function orderStatistics(parts: Float64Array | readonly Float64Array[], ranks: readonly number[], bounds?: { min: number; max: number }): number[] {
  const list: readonly Float64Array[] = parts instanceof Float64Array ? [parts] : parts;
  let n = 0;
  for (const a of list) n += a.length;
  for (const r of ranks) if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new RangeError(`rank ${r} outside 0..${n - 1}`);
  const sorted = () => {
    const s = new Float64Array(n);
    let k = 0;
    for (const a of list) {
      s.set(a, k);
      k += a.length;
    }
    return sortedPick(s, ranks);
  };
  if (n <= SMALL) return sorted();
  let min = Infinity;
  let max = -Infinity;
  if (bounds) ({ min, max } = bounds);
  else {
    for (const a of list) {
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
  }
  if (min === max) return ranks.map(() => min);
  const scale = BINS / (max - min);
  if (!Number.isFinite(scale) || scale <= 0) return sorted();
  const counts = new Int32Array(BINS);
  for (const a of list) {
    for (let i = 0; i < a.length; i++) counts[Math.min(BINS - 1, Math.floor((a[i] - min) * scale))]++;
  }
  // Bin of each rank and the rank within that bin.
  const start = new Int32Array(BINS + 1);
  for (let b = 0; b < BINS; b++) start[b + 1] = start[b] + counts[b];
  const wanted = new Map<number, number[]>();
  const where = ranks.map((r) => {
    let lo = 0;
    let hi = BINS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[mid + 1] <= r) lo = mid + 1;
      else hi = mid;
    }
    if (!wanted.has(lo)) wanted.set(lo, []);
    wanted.get(lo)!.push(r - start[lo]);
    return lo;
  });
  const slotOfBin = new Int16Array(BINS).fill(-1);
  const bins = [...wanted.keys()];
  const out = bins.map((b, j) => {
    slotOfBin[b] = j;
    return new Float64Array(counts[b]);
  });
  const fill = new Int32Array(bins.length);
  for (const a of list) {
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const j = slotOfBin[Math.min(BINS - 1, Math.floor((x - min) * scale))];
      if (j >= 0) out[j][fill[j]++] = x;
    }
  }
  const found = new Map<number, number[]>();
  bins.forEach((b, j) => {
    const inner = wanted.get(b)!;
    // No progress (all values in one bin despite min < max, e.g. infinities): sort instead.
    found.set(b, out[j].length === n ? sortedPick(out[j], inner) : orderStatistics(out[j], inner));
  });
  const taken = new Map<number, number>();
  return where.map((b) => {
    const i = taken.get(b) ?? 0;
    taken.set(b, i + 1);
    return found.get(b)![i];
  });
}

/**
 * Type-7 quantiles at probabilities `ps` (each in [0, 1]) of the values of `parts` taken
 * together. NaN must not occur (the readers drop NULLs). Does not reorder anything.
 */
export function quantiles(parts: Float64Array | readonly Float64Array[], ps: readonly number[], bounds?: { min: number; max: number }): number[] {
  const list: readonly Float64Array[] = parts instanceof Float64Array ? [parts] : parts;
  let n = 0;
  for (const a of list) n += a.length;
  if (n === 0) throw new RangeError('quantiles of an empty series');
  const ranks = new Set<number>();
  const hs = ps.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile probability ${p} is outside [0, 1]`);
    const h = (n - 1) * p;
    ranks.add(Math.floor(h));
    if (h > Math.floor(h)) ranks.add(Math.floor(h) + 1);
    return h;
  });
  const sorted = [...ranks].sort((x, y) => x - y);
  const values = orderStatistics(list, sorted, bounds);
  const at = new Map(sorted.map((r, i) => [r, values[i]]));
  return hs.map((h) => {
    const k = Math.floor(h);
    const lo = at.get(k)!;
    if (h === k) return lo;
    const hi = at.get(k + 1)!;
    // Equal neighbours (also ±Infinity) need no interpolation, which would give NaN for infinities.
    return lo === hi ? lo : lo + (h - k) * (hi - lo);
  });
}

/** Mean (pairwise-compensated sum, exact enough for 10^7 values). */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < a.length; i++) {
    // Kahan–Babuška (Neumaier) summation.
    const x = a[i];
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return a.length ? (s + c) / a.length : NaN;
}

/** Count, mean, min, p5, p50, p95, max of the values of `parts` together; null when there are none. */
export function summarize(parts: Float64Array | readonly Float64Array[]): Summary | null {
  const list: readonly Float64Array[] = parts instanceof Float64Array ? [parts] : parts;
  let n = 0;
  let sum = 0;
  let c = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const a of list) {
    n += a.length;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (x < min) min = x;
      if (x > max) max = x;
      // Neumaier summation.
      const t = sum + x;
      c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    }
  }
  if (n === 0) return null;
  const [p5, p50, p95] = quantiles(list, [0.05, 0.5, 0.95], { min, max });
  return { n, mean: (sum + c) / n, min, p5, p50, p95, max };
}

// ---------------------------------------------------------------------------------------------
// Student t distribution (for batch-means confidence intervals)

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), |error| < 1e-14 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta function (Lentz's method). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`t quantile probability ${p} is outside (0, 1)`);
  if (!(df > 0)) throw new RangeError(`t quantile needs df > 0, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------
// Batch means

/** Default number of batches for batch-means confidence intervals. */
export const DEFAULT_BATCHES = 20;

export interface MeanInterval {
  /** Values used (all finite values of the series). */
  n: number;
  mean: number;
  /** Half-width of the (1 − α) interval from batch means; null when n < 2·k. */
  halfWidth: number | null;
  batches: number;
  batchSize: number;
  /** Lag-1 autocorrelation of the batch means (a check that batches are long enough). */
  batchLag1: number | null;
  /** Half-width an i.i.d. analysis would give (for contrast; too narrow when slots correlate). */
  iidHalfWidth: number | null;
}

function lag1(a: ArrayLike<number>): number | null {
  const n = a.length;
  if (n < 3) return null;
  const m = mean(a);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - m;
    den += d * d;
    if (i + 1 < n) num += d * (a[i + 1] - m);
  }
  return den > 0 ? num / den : 0;
}

/** Sample variance (n − 1 denominator). */
function variance(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - m) * (a[i] - m);
  return s / (a.length - 1);
}

/** Batch means of the last k·b values of `x` (in time order). */
export function batchMeans(x: Float64Array, k: number): { means: Float64Array; batchSize: number } {
  const b = Math.floor(x.length / k);
  const means = new Float64Array(b > 0 ? k : 0);
  if (b === 0) return { means, batchSize: 0 };
  const start = x.length - k * b;
  for (let j = 0; j < k; j++) means[j] = mean(x.subarray(start + j * b, start + (j + 1) * b));
  return { means, batchSize: b };
}

/**
 * Mean of a time-ordered series with a batch-means confidence interval at level 1 − alpha.
 * NaN entries (slots missing from one run) are skipped before batching.
 */
export function meanInterval(series: Float64Array, k = DEFAULT_BATCHES, alpha = 0.05): MeanInterval {
  let x = series;
  if (series.some((v) => Number.isNaN(v))) x = series.filter((v) => !Number.isNaN(v));
  const n = x.length;
  const m = n ? mean(x) : NaN;
  const tq = (df: number) => studentTQuantile(1 - alpha / 2, df);
  const iidHalfWidth = n >= 2 ? (tq(n - 1) * Math.sqrt(variance(x))) / Math.sqrt(n) : null;
  if (n < 2 * k || k < 2) return { n, mean: m, halfWidth: null, batches: k, batchSize: Math.floor(n / k), batchLag1: null, iidHalfWidth };
  const { means, batchSize } = batchMeans(x, k);
  const halfWidth = (tq(k - 1) * Math.sqrt(variance(means))) / Math.sqrt(k);
  return { n, mean: m, halfWidth, batches: k, batchSize, batchLag1: lag1(means), iidHalfWidth };
}

/**
 * Difference of the means of two independent autocorrelated series (b − a), each reduced to k
 * batch means; Welch's interval on the batch means with Welch–Satterthwaite degrees of freedom.
 */
export function unpairedInterval(a: Float64Array, b: Float64Array, k = DEFAULT_BATCHES, alpha = 0.05): { diff: number; halfWidth: number | null; df: number | null } {
  const ia = meanInterval(a, k, alpha);
  const ib = meanInterval(b, k, alpha);
  const diff = ib.mean - ia.mean;
  if (ia.halfWidth === null || ib.halfWidth === null) return { diff, halfWidth: null, df: null };
  const va = variance(batchMeans(a.filter((v) => !Number.isNaN(v)), k).means) / k;
  const vb = variance(batchMeans(b.filter((v) => !Number.isNaN(v)), k).means) / k;
  const se2 = va + vb;
  if (se2 === 0) return { diff, halfWidth: 0, df: 2 * (k - 1) };
  const df = (se2 * se2) / ((va * va) / (k - 1) + (vb * vb) / (k - 1));
  return { diff, halfWidth: studentTQuantile(1 - alpha / 2, df) * Math.sqrt(se2), df };
}
