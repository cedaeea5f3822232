/**
 * The bisection + SDP benchmark (solvers/bisection-sdp.ts, [28]'s JSC at ρ) on the first n samples of
 * a paper001 dataset, per sample: min-SINR, SSNR and the time of each step by the injected clock —
 * what `figures teacher-student` sets beside the networks (docs/teacher-student.md §6). Pure given
 * `now`; src/app/teacher-student-figures.ts benchmarkFor caches it as JSON.
 */
import { bisectMaxMinSinr, jscSdp } from '../../solvers/bisection-sdp.ts';
import { instanceOfSample, paper001Samples, type Paper001Layout } from './data.ts';
import { paper001Config, Paper001Evaluator } from './system.ts';

export interface BenchmarkSet {
  format: 'isac-twin/paper001-benchmark';
  layout: Paper001Layout;
  numUsers: number;
  seed: number;
  n: number;
  rho: number;
  /** Hash of the n samples (labels.ts), so a cache is checked against the samples it describes. */
  datasetHash: string;
  /** Per sample (NaN where the bisection found no feasible γ). */
  minSinr: number[];
  ssnr: number[];
  bisectionMs: number[];
  sdpMs: number[];
  failures: number;
}

export function benchmarkSet(o: { layout: Paper001Layout; numUsers: number; n: number; seed: number; rho?: number; now: () => number; onProgress?: (i: number) => void }): BenchmarkSet {
  const rho = o.rho ?? 0.5;
  const cfg = paper001Config(o.numUsers);
  const ev = new Paper001Evaluator(cfg);
  const ds = paper001Samples(cfg, o.layout, o.n, o.seed);
  const out: BenchmarkSet = { format: 'isac-twin/paper001-benchmark', layout: o.layout, numUsers: o.numUsers, seed: o.seed, n: o.n, rho, datasetHash: ds.hash, minSinr: [], ssnr: [], bisectionMs: [], sdpMs: [], failures: 0 };
  for (let i = 0; i < ds.n; i++) {
    const p = ev.problem(instanceOfSample(cfg, ds, i));
    const t0 = o.now();
    const a = bisectMaxMinSinr(p, { rho });
    const t1 = o.now();
    const j = a.gammaHigh === null ? null : jscSdp(p, a.gammaHigh);
    const t2 = o.now();
    out.bisectionMs.push(t1 - t0);
    out.sdpMs.push(t2 - t1);
    if (!j?.W) {
      out.failures++;
      out.minSinr.push(NaN);
      out.ssnr.push(NaN);
    } else {
      const v = ev.evaluate(p, j.W);
      out.minSinr.push(v.minSinr);
      out.ssnr.push(v.ssnr);
    }
    o.onProgress?.(i + 1);
  }
  return out;
}
