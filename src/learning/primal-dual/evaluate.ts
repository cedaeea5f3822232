/**
 * Float64 evaluation of stage-1 decisions on a channel set (every method, learned or not, is
 * scored by the same code): per-sample sum rate Σ_k log2(1 + γ_k) with γ of eq. (11) on the
 * stage-1 beams (problem.ts), and the sensing losses L_r,1, L_r,2, L_r of its radar split.
 */
import { sumRate } from '../../metrics/beampattern.ts';
import { splitLoss, stage1SinrInto, type Allocation, type ChannelSet, type Paper002Problem } from './problem.ts';

export interface Evaluation {
  n: number;
  /** Σ_k log2(1 + γ_k) per sample [n] */ rates: Float64Array;
  /** L_r per sample [n] */ lr: Float64Array;
  meanRate: number;
  meanLr: number;
  meanLr1: number;
  meanLr2: number;
  maxLr: number;
  /** Share of samples with L_r > ε. */
  violationShare: number;
}

export function evaluateAllocation(pb: Paper002Problem, set: ChannelSet, a: Allocation): Evaluation {
  const { K, P } = pb;
  const n = set.n;
  if (a.p.length !== n * K || a.q.length !== n * P) throw new RangeError(`evaluateAllocation: allocation for ${a.p.length / K} samples, set of ${n}`);
  const rates = new Float64Array(n);
  const lr = new Float64Array(n);
  const sinr = new Float64Array(K);
  let l1 = 0;
  let l2 = 0;
  let viol = 0;
  // Consecutive samples with the same split (every baseline) share one L_r computation.
  let last: { q: Float64Array; loss: ReturnType<typeof splitLoss> } | undefined;
  for (let s = 0; s < n; s++) {
    stage1SinrInto(sinr, pb, set, s, a.p, a.q, s * K, s * P);
    rates[s] = sumRate(sinr);
    const q = a.q.subarray(s * P, (s + 1) * P);
    if (!last || q.some((v, j) => v !== last!.q[j])) last = { q: Float64Array.from(q), loss: splitLoss(pb.spec, pb.beams, q) };
    lr[s] = last.loss.total;
    l1 += last.loss.patternError;
    l2 += last.loss.crossCorrelation;
    if (lr[s] > pb.cfg.epsilon) viol++;
  }
  const mean = (v: Float64Array) => v.reduce((x, y) => x + y, 0) / n;
  return { n, rates, lr, meanRate: mean(rates), meanLr: mean(lr), meanLr1: l1 / n, meanLr2: l2 / n, maxLr: Math.max(...lr), violationShare: viol / n };
}

/** The same split q for every sample: [n, P]. */
export function repeatSplit(q: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * q.length);
  for (let s = 0; s < n; s++) out.set(q as ArrayLike<number>, s * q.length);
  return out;
}
