/**
 * `compare`: several runs side by side, and the difference of each run to the first (the
 * baseline) in R_c, R_s and the objective, with confidence intervals.
 *
 * Paired when possible. Two runs of the same scenario and seed see the same channel
 * realisations whatever the policy (the twin draws fading, mobility and estimation noise from
 * per-purpose streams of one seed: common random numbers), so the per-slot difference
 * d_t = x_B(t) − x_A(t) over their common slots removes the channel's variance. The runs are
 * paired when their resolved scenarios are equal apart from the policy, the shadow policies,
 * the length and the logging, and the seed and isac-twin version are equal.
 *
 * Intervals account for autocorrelation (fading and mobility correlate slots over hundreds of
 * slots) by non-overlapping batch means (stats.ts): k batches (default 20) of consecutive slots,
 * mean ± t_{k−1, 0.975}·s_batch/√k. Unpaired runs get Welch's interval on the two runs' batch
 * means, and a warning.
 */
import { analyzeRange, type Analysis, type AnalyzeOptions } from './analyze.ts';
import { METRICS, type MetricDef } from './metrics.ts';
import { scan } from './reader.ts';
import { pairing } from './pairing.ts';
import { openRuns, runLabels, type RangeSpec, type RunDb, type SlotRange } from './run-db.ts';
import { DEFAULT_BATCHES, mean, meanInterval, unpairedInterval } from './stats.ts';

export interface CompareOptions extends AnalyzeOptions {
  range?: RangeSpec;
  /** Batches for batch-means intervals (default 20). */
  batches?: number;
  /** 1 − confidence level (default 0.05). */
  alpha?: number;
}

export interface DiffStats {
  /** Means over the slots used (common slots when paired). */
  meanA: number;
  meanB: number;
  /** meanB − meanA, and the interval [lo, hi] (null when too few slots for k batches). */
  diff: number;
  halfWidth: number | null;
  lo: number | null;
  hi: number | null;
  /** Paired: lag-1 autocorrelation of the batch means (near 0 when batches are long enough). */
  batchLag1: number | null;
  /** Paired: the half-width an i.i.d. analysis would give (too narrow when slots correlate). */
  iidHalfWidth: number | null;
  /** Unpaired: Welch–Satterthwaite degrees of freedom. */
  df: number | null;
}

export interface PairComparison {
  /** Indices into the runs: b is compared to a (differences b − a). */
  a: number;
  b: number;
  paired: boolean;
  /** Why the runs are (not) paired. */
  reason: string;
  /** Slots used: common slots when paired, else each run's own. */
  slotsA: number;
  slotsB: number;
  batches: number;
  batchSize: number;
  metrics: Record<string, DiffStats>;
}

export interface Comparison {
  labels: string[];
  analyses: Analysis[];
  pairs: PairComparison[];
  confidence: number;
  notes: string[];
}

/** Network metrics of a run in slot order: slots and one array per metric. */
async function networkSeries(run: RunDb, range: SlotRange, metrics: MetricDef[]): Promise<{ slot: Float64Array; values: Float64Array[] }> {
  const chunks: Array<{ slot: Float64Array; values: Float64Array[] }> = [];
  await scan(
    run,
    range,
    [
      {
        table: 'slots',
        group: null,
        withSlot: true,
        rowsPerSlot: 1,
        values: metrics.map((m) => ({ expr: m.column, scale: m.scale, notNull: run.notNull('slots', m.column) })),
        onChunk: (c) => chunks.push({ slot: c.slot!, values: c.values }), // in slot order (scan's chunk order)
      },
    ],
  );
  const n = chunks.reduce((t, c) => t + c.slot.length, 0);
  const slot = new Float64Array(n);
  const values = metrics.map(() => new Float64Array(n));
  let k = 0;
  for (const c of chunks) {
    slot.set(c.slot, k);
    c.values.forEach((v, j) => values[j].set(v, k));
    k += c.slot.length;
  }
  for (let i = 1; i < n; i++) {
    if (!(slot[i] > slot[i - 1])) throw new Error(`${run.file}: slots are not in order at slot ${slot[i]}`);
  }
  return { slot, values };
}

/** Positions of the common slots of two ascending slot lists. */
function commonSlots(a: Float64Array, b: Float64Array): { ia: Uint32Array; ib: Uint32Array } {
  const ia: number[] = [];
  const ib: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ia.push(i++);
      ib.push(j++);
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return { ia: Uint32Array.from(ia), ib: Uint32Array.from(ib) };
}

/** Compares open runs (the first is the baseline). */
export async function compareRuns(runs: RunDb[], opts: CompareOptions = {}): Promise<Comparison> {
  if (runs.length < 2) throw new RangeError('compare needs at least two runs');
  const k = opts.batches ?? DEFAULT_BATCHES;
  const alpha = opts.alpha ?? 0.05;
  const labels = runLabels(runs);
  const ranges: SlotRange[] = [];
  for (const r of runs) ranges.push(await r.range(opts.range));
  const analyses: Analysis[] = [];
  for (let i = 0; i < runs.length; i++) analyses.push(await analyzeRange(runs[i], ranges[i], opts));
  const metrics = METRICS.filter((m) => m.level === 'network');
  const series = [];
  for (let i = 0; i < runs.length; i++) series.push(await networkSeries(runs[i], ranges[i], metrics));
  const notes = [...new Set(analyses.flatMap((a) => a.notes))];
  const pairs: PairComparison[] = [];
  for (let b = 1; b < runs.length; b++) {
    const a = 0;
    const p = pairing(runs[a], runs[b]);
    const out: PairComparison = { a, b, paired: p.paired, reason: p.reason, slotsA: 0, slotsB: 0, batches: k, batchSize: 0, metrics: {} };
    const A = series[a];
    const B = series[b];
    if (p.paired) {
      const { ia, ib } = commonSlots(A.slot, B.slot);
      if (ia.length === 0) {
        out.paired = false;
        out.reason += ', but they have no logged slot in common';
      } else {
        out.slotsA = out.slotsB = ia.length;
        metrics.forEach((m, j) => {
          const xa = A.values[j];
          const xb = B.values[j];
          const va = Float64Array.from(ia, (i) => xa[i]);
          const vb = Float64Array.from(ib, (i) => xb[i]);
          const d = vb.map((x, i) => x - va[i]);
          const ci = meanInterval(d, k, alpha);
          out.batchSize = ci.batchSize;
          // The mean difference is mean(b) − mean(a) over the common slots.
          const diff = mean(vb) - mean(va);
          out.metrics[m.name] = {
            meanA: mean(va),
            meanB: mean(vb),
            diff,
            halfWidth: ci.halfWidth,
            lo: ci.halfWidth === null ? null : diff - ci.halfWidth,
            hi: ci.halfWidth === null ? null : diff + ci.halfWidth,
            batchLag1: ci.batchLag1,
            iidHalfWidth: ci.iidHalfWidth,
            df: ci.halfWidth === null ? null : k - 1,
          };
        });
      }
    }
    if (!out.paired) {
      out.slotsA = A.slot.length;
      out.slotsB = B.slot.length;
      out.batchSize = Math.min(Math.floor(A.slot.length / k), Math.floor(B.slot.length / k));
      metrics.forEach((m, j) => {
        const u = unpairedInterval(A.values[j], B.values[j], k, alpha);
        out.metrics[m.name] = {
          meanA: mean(A.values[j]),
          meanB: mean(B.values[j]),
          diff: u.diff,
          halfWidth: u.halfWidth,
          lo: u.halfWidth === null ? null : u.diff - u.halfWidth,
          hi: u.halfWidth === null ? null : u.diff + u.halfWidth,
          batchLag1: null,
          iidHalfWidth: null,
          df: u.df,
        };
      });
      notes.push(`${runs[b].file} vs ${runs[a].file}: ${out.reason}; the comparison is unpaired (channel randomness is not cancelled, intervals are wider)`);
    }
    const lag = Math.max(...Object.values(out.metrics).map((s) => Math.abs(s.batchLag1 ?? 0)));
    if (lag > 0.5) {
      notes.push(`${labels[b]} − ${labels[a]}: batch means are still correlated (lag-1 autocorrelation up to ${lag.toFixed(2)}); the run may be too short for ${k} batches and the intervals too narrow`);
    }
    if (Object.values(out.metrics).some((s) => s.halfWidth === null)) {
      notes.push(`${labels[b]} − ${labels[a]}: too few slots (${Math.min(out.slotsA, out.slotsB)}) for ${k} batches of at least 2 slots; no interval`);
    }
    pairs.push(out);
  }
  return { labels, analyses, pairs, confidence: 1 - alpha, notes };
}

/** Opens, compares and closes run databases. */
export async function compareFiles(files: string[], opts: CompareOptions & { createViews?: boolean } = {}): Promise<Comparison> {
  const runs = await openRuns(files, { createViews: opts.createViews });
  try {
    return await compareRuns(runs, opts);
  } finally {
    for (const r of runs) await r.close();
  }
}
