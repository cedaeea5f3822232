/**
 * Paper 001's comparison table (docs/teacher-student.md §Results): on n samples of each layout and
 * N, the mean min-SINR (g₂) and SSNR (g₁), with standard errors, of
 *   MRT            conjugate beams, equal power over the N+1 beams (baselines.ts)
 *   NS+ZF          joint ZF at ρP_l + null-space sensing at (1−ρ)P_l (baselines.ts)
 *   SSNR teacher   per-sample Adam on loss (10), β = 0 (teachers.ts)
 *   SINR teacher   per-sample Adam on loss (10), β = 1
 *   NS+OPT         step A of the benchmark: max-min SINR at ρP_l, null-space sensing (bisection + SDP)
 *   JSC            the benchmark of [28] (step B at γ_high), the paper's "CVX-based solution"
 * and the benchmark's cost per sample (bisection, SDP) and its relaxation gaps. The clock is
 * injected (`now`), so the core stays pure; scripts/paper001-table.ts prints the table.
 */
import type { Beamformers } from '../../phy/network.ts';
import { bisectMaxMinSinr, jscSdp, type BisectionOptions } from '../../solvers/bisection-sdp.ts';
import type { Tf } from '../losses.ts';
import { mrtBeams, zfBeams } from './baselines.ts';
import { instanceOfSample, paper001Samples, type Paper001Layout } from './data.ts';
import { beamsFromDense, paper001Config, Paper001Evaluator, type Paper001Config } from './system.ts';
import { optimiseTeacher, SINR_TEACHER, SSNR_TEACHER, type TeacherOptions } from './teachers.ts';

export interface MeanSe {
  mean: number;
  /** Standard error of the mean, s/√n. */
  se: number;
}

export function meanSe(xs: ArrayLike<number>): MeanSe {
  const n = xs.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i] / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - m) ** 2;
  return { mean: m, se: n > 1 ? Math.sqrt(v / (n - 1) / n) : NaN };
}

export interface MethodStats {
  name: string;
  minSinr: MeanSe;
  ssnr: MeanSe;
}

export interface BenchmarkStats {
  /** Per sample (ms of the injected clock). */
  bisectionMs: MeanSe;
  sdpMs: MeanSe;
  /** SDPs solved by the bisection per sample (of 13 midpoints). */
  solves: MeanSe;
  /** Interior-point iterations per sample (bisection + SDP). */
  iterations: MeanSe;
  /** max over samples of (relaxed SSNR − extracted SSNR)/relaxed. */
  maxSsnrGap: number;
  /** max over samples of |min-SINR of the extracted beams − γ_high|/γ_high. */
  maxSinrGap: number;
  /** min over samples and users of λ₁/tr F_n. */
  minRankOne: number;
  /** max over samples of tr R (W), the dedicated sensing beam's covariance left by the SDP. */
  maxSensingPowerW: number;
  /** Samples where the bisection found no feasible γ or the SDP did not end optimal. */
  failures: number;
}

export interface TableRow {
  layout: Paper001Layout;
  numUsers: number;
  n: number;
  methods: MethodStats[];
  benchmark: BenchmarkStats;
}

export interface TableOptions {
  layouts: Paper001Layout[];
  numUsers: number[];
  n: number;
  seed: number;
  /** ρ of NS+ZF and the benchmark (paper: 0.5). */
  rho: number;
  /** Injected clock (ms) for the benchmark's time per sample. */
  now: () => number;
  teachers?: { ssnr: TeacherOptions; sinr: TeacherOptions };
  benchmark?: Omit<BisectionOptions, 'rho'>;
  config?: (numUsers: number) => Paper001Config;
  onProgress?: (msg: string) => void;
}

/** Computes the table (see the module comment). Deterministic apart from the times. */
export function paper001Table(tf: Tf, o: TableOptions): TableRow[] {
  const rows: TableRow[] = [];
  for (const layout of o.layouts) {
    for (const N of o.numUsers) {
      const cfg = (o.config ?? paper001Config)(N);
      const ev = new Paper001Evaluator(cfg);
      const ds = paper001Samples(cfg, layout, o.n, o.seed);
      const per = 2 * cfg.numAps * (N + 1) * cfg.numTxAnt;
      const values: Record<string, { sinr: number[]; ssnr: number[] }> = {};
      const record = (name: string, v: { minSinr: number; ssnr: number }) => {
        (values[name] ??= { sinr: [], ssnr: [] }).sinr.push(v.minSinr);
        values[name].ssnr.push(v.ssnr);
      };
      o.onProgress?.(`${layout} N=${N}: teachers on ${o.n} samples`);
      const ssnrT = optimiseTeacher(tf, cfg, ds.data.H, ds.data.G, o.teachers?.ssnr ?? SSNR_TEACHER).W;
      const sinrT = optimiseTeacher(tf, cfg, ds.data.H, ds.data.G, o.teachers?.sinr ?? SINR_TEACHER).W;
      const bis: number[] = [];
      const sdp: number[] = [];
      const solves: number[] = [];
      const its: number[] = [];
      let maxSsnrGap = 0;
      let maxSinrGap = 0;
      let minRankOne = 1;
      let maxSensingPowerW = 0;
      let failures = 0;
      for (let i = 0; i < ds.n; i++) {
        const p = ev.problem(instanceOfSample(cfg, ds, i));
        const evalW = (name: string, W: Beamformers) => record(name, ev.evaluate(p, W));
        evalW('MRT', mrtBeams(p));
        evalW(`NS+ZF (ρ = ${o.rho})`, zfBeams(p, o.rho));
        evalW('SSNR teacher', beamsFromDense(cfg, ssnrT, i * per));
        evalW('SINR teacher', beamsFromDense(cfg, sinrT, i * per));
        // the benchmark, timed in its two steps
        const t0 = o.now();
        const a = bisectMaxMinSinr(p, { ...o.benchmark, rho: o.rho });
        const t1 = o.now();
        const j = a.gammaHigh === null ? null : jscSdp(p, a.gammaHigh, { reduce: o.benchmark?.reduce, sdp: o.benchmark?.sdp });
        const t2 = o.now();
        const b = { bisection: a, jsc: j, W: j?.W ?? null };
        if (!b.W || !b.bisection.W || !b.jsc || b.bisection.gammaHigh === null) {
          failures++;
          continue;
        }
        const totalIt = b.bisection.iterations + b.jsc.iterations;
        bis.push(t1 - t0);
        sdp.push(t2 - t1);
        solves.push(b.bisection.solves);
        its.push(totalIt);
        evalW(`NS+OPT (ρ = ${o.rho})`, b.bisection.W);
        const v = ev.evaluate(p, b.W);
        record('JSC benchmark [28]', v);
        maxSsnrGap = Math.max(maxSsnrGap, (b.jsc.relaxedSsnr - v.ssnr) / b.jsc.relaxedSsnr);
        maxSinrGap = Math.max(maxSinrGap, Math.abs(v.minSinr - b.bisection.gammaHigh) / b.bisection.gammaHigh);
        for (let n = 0; n < N; n++) minRankOne = Math.min(minRankOne, b.jsc.rankOneRatios[n]);
        maxSensingPowerW = Math.max(maxSensingPowerW, b.jsc.sensingPowerW);
        if ((i + 1) % 20 === 0) o.onProgress?.(`${layout} N=${N}: benchmark ${i + 1}/${ds.n}`);
      }
      const order = ['MRT', `NS+ZF (ρ = ${o.rho})`, 'SSNR teacher', 'SINR teacher', `NS+OPT (ρ = ${o.rho})`, 'JSC benchmark [28]'];
      rows.push({
        layout,
        numUsers: N,
        n: ds.n,
        methods: order.filter((k) => values[k]).map((name) => ({ name, minSinr: meanSe(values[name].sinr), ssnr: meanSe(values[name].ssnr) })),
        benchmark: {
          bisectionMs: meanSe(bis),
          sdpMs: meanSe(sdp),
          solves: meanSe(solves),
          iterations: meanSe(its),
          maxSsnrGap,
          maxSinrGap,
          minRankOne,
          maxSensingPowerW,
          failures,
        },
      });
    }
  }
  return rows;
}

const f = (x: MeanSe, d = 3) => `${x.mean.toFixed(d)} ± ${x.se.toFixed(d)}`;

/** The table as Markdown (one block per layout and N). */
export function formatTable(rows: TableRow[]): string {
  const out: string[] = [];
  out.push('| layout | N | method | min-SINR g₂ (mean ± SE) | SSNR g₁ (mean ± SE) |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const r of rows) for (const m of r.methods) out.push(`| ${r.layout} | ${r.numUsers} | ${m.name} | ${f(m.minSinr)} | ${f(m.ssnr)} |`);
  out.push('');
  out.push('| layout | N | samples | bisection ms/sample | SDP ms/sample | SDPs solved / 13 | IPM iterations | max SSNR gap | max min-SINR gap | min λ₁/tr F_n | max tr R (W) | failures |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const b = r.benchmark;
    out.push(
      `| ${r.layout} | ${r.numUsers} | ${r.n} | ${f(b.bisectionMs, 0)} | ${f(b.sdpMs, 0)} | ${f(b.solves, 1)} | ${f(b.iterations, 0)} | ${b.maxSsnrGap.toExponential(1)} | ${b.maxSinrGap.toExponential(1)} | ${b.minRankOne.toFixed(6)} | ${b.maxSensingPowerW.toExponential(1)} | ${b.failures} |`,
    );
  }
  return out.join('\n');
}
