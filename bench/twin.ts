/**
 * Twin core speed (issue 2): slots/s of the default scenario with MRT and every slot logged,
 * the same without logging (→ logging overhead), WMMSE's per-decision compute time in the loop,
 * and memory over a long run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runScenario, type RunSummary } from '../src/app/run.ts';
import { Twin } from '../src/sim/twin.ts';
import { loadScenario, withOverrides, type LoadedScenario } from '../src/scenario/validate.ts';
import type { BenchRow } from './index.ts';
import { twinPolicies } from '../src/learning/policies.ts';

const defaultScenario = (): LoadedScenario => loadScenario(readFileSync('scenarios/default.yaml', 'utf8'), 'scenarios/default.yaml', twinPolicies());

/** A run, with the main thread's busy time (event-loop utilisation: JS work, not waiting). */
async function timedRun(loaded: LoadedScenario, log: boolean, dir: string, tag: string): Promise<RunSummary & { busyS: number }> {
  const elu0 = performance.eventLoopUtilization();
  const s = await runScenario(loaded, { dbPath: path.join(dir, `${tag}-${Math.random().toString(36).slice(2)}.sqlite`), packageVersion: 'bench', log, measureCompute: false });
  const elu = performance.eventLoopUtilization(elu0);
  return { ...s, busyS: elu.active / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/**
 * WMMSE's stopping rule (relative WSR change < tolerance): the default 1e-4 against 1e-6 on the
 * same slots (same seed: the same channels), R_c and compute time per decision.
 */
export function wmmseToleranceRows(base: LoadedScenario): BenchRow[] {
  const runOf = (tolerance: number) => {
    const loaded = { ...base, scenario: { ...base.scenario, policy: { name: 'wmmse', params: { tolerance } } } } as LoadedScenario;
    const twin = new Twin(loaded, { computeClock: () => performance.now() });
    const times: number[] = [];
    let rc = 0;
    let n = 0;
    const rcs: number[] = [];
    twin.events$.subscribe((e) => e.kind === 'decision' && e.computeMs !== null && times.push(e.computeMs));
    twin.slots$.subscribe((r) => {
      rc += r.rc;
      n++;
      rcs.push(r.rc);
    });
    twin.runSlots(loaded.scenario.durationSlots);
    return { rc: rc / Math.max(1, n), ms: median(times), rcs };
  };
  const loose = runOf(1e-4);
  const tight = runOf(1e-6);
  // Per slot, the rate 1e-4 gives up against 1e-6, and gains (the warm-start chains differ, so
  // single slots go either way; the mean is the measure).
  let worst = 0;
  let best = 0;
  loose.rcs.forEach((x, i) => {
    const y = tight.rcs[i];
    if (y > 0) worst = Math.max(worst, (y - x) / y);
    if (y > 0) best = Math.max(best, (x - y) / y);
  });
  return [
    { name: 'WMMSE tolerance 1e-4 (default): mean R_c', value: loose.rc, unit: 'bit/s/Hz' },
    { name: 'WMMSE tolerance 1e-6: mean R_c', value: tight.rc, unit: 'bit/s/Hz' },
    { name: 'WMMSE 1e-4 vs 1e-6: mean R_c lost', value: (100 * (tight.rc - loose.rc)) / tight.rc, unit: '%' },
    { name: 'WMMSE 1e-4 vs 1e-6: largest R_c lost in one slot', value: 100 * worst, unit: '%' },
    { name: 'WMMSE 1e-4 vs 1e-6: largest R_c gained in one slot', value: 100 * best, unit: '%' },
    { name: 'WMMSE tolerance 1e-4: per decision, median', value: loose.ms, unit: 'ms' },
    { name: 'WMMSE tolerance 1e-6: per decision, median', value: tight.ms, unit: 'ms' },
  ];
}

export async function benchTwin(o: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'twin-bench-'));
  const rows: BenchRow[] = [];
  try {
    const slots = o.quick ? 5000 : 20000;
    const mrt = withOverrides(defaultScenario(), { slots, shadows: [], policy: 'mrt' });
    await timedRun(withOverrides(mrt, { slots: 1000 }), true, dir, 'warm');
    // Interleave the two modes and keep the median of 3 each, all in this one run.
    const logged: number[] = [];
    const unlogged: number[] = [];
    const busyLogged: number[] = [];
    const busyUnlogged: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await timedRun(mrt, true, dir, 'log');
      const b = await timedRun(mrt, false, dir, 'nolog');
      logged.push(a.wallS);
      unlogged.push(b.wallS);
      busyLogged.push(a.busyS);
      busyUnlogged.push(b.busyS);
    }
    const tLog = median(logged);
    const tNo = median(unlogged);
    rows.push({ name: 'default scenario, MRT, every slot logged', value: slots / tLog, unit: 'slots/s', target: '≥ 5000', ratio: slots / tLog / 5000 });
    rows.push({ name: 'same, without logging', value: slots / tNo, unit: 'slots/s' });
    const overhead = (tLog - tNo) / tLog;
    rows.push({ name: 'logging overhead (share of run time)', value: 100 * overhead, unit: '%', target: '≤ 15 %', ratio: 0.15 / Math.max(overhead, 1e-9) });
    // Where it goes: the main thread only packs rows; the writer thread inserts them. When the
    // simulation outruns the writer, the run waits for it (wall overhead > main-thread overhead).
    const bLog = median(busyLogged);
    const bNo = median(busyUnlogged);
    rows.push({ name: 'main-thread busy time per slot, logged', value: (1e6 * bLog) / slots, unit: 'µs' });
    rows.push({ name: 'main-thread busy time per slot, not logged', value: (1e6 * bNo) / slots, unit: 'µs' });
    rows.push({ name: 'logging overhead on the main thread', value: (100 * (bLog - bNo)) / bLog, unit: '%', target: '≤ 15 %', ratio: 0.15 / Math.max((bLog - bNo) / bLog, 1e-9) });
    rows.push({ name: 'rows written per second of run time (writer thread)', value: (slots * 14) / tLog, unit: 'rows/s' });

    // WMMSE in the loop: compute time of every decision (wall clock, measured by the twin).
    const wm = withOverrides(defaultScenario(), { slots: o.quick ? 300 : 1500, shadows: [], policy: 'wmmse' });
    const twin = new Twin(wm, { computeClock: () => performance.now() });
    const times: number[] = [];
    twin.events$.subscribe((e) => e.kind === 'decision' && e.computeMs !== null && times.push(e.computeMs));
    twin.runSlots(wm.scenario.durationSlots);
    rows.push({ name: 'WMMSE per decision (3 BSs, 6 users, N_T = 12), median', value: median(times), unit: 'ms' });
    rows.push({ name: 'WMMSE per decision, p99', value: quantile(times, 0.99), unit: 'ms' });
    rows.push(...wmmseToleranceRows(wm));

    // Memory over a long run (logged 1 slot in 10, to keep the file small).
    const longSlots = o.quick ? 100_000 : 1_000_000;
    const long = withOverrides(mrt, { slots: longSlots, logEvery: 10 });
    const samples: Array<[number, number]> = [];
    await runScenario(long, {
      dbPath: path.join(dir, 'long.sqlite'),
      packageVersion: 'bench',
      measureCompute: false,
      chunkSlots: 5000,
      onProgress: (p) => {
        if (p.slotsDone % (longSlots / 10) === 0) {
          globalThis.gc?.();
          samples.push([p.slotsDone, process.memoryUsage().heapUsed / 2 ** 20]);
        }
      },
    });
    const first = samples[1] ?? samples[0];
    const last = samples[samples.length - 1];
    rows.push({ name: `heap after ${first[0]} slots`, value: first[1], unit: 'MiB' });
    rows.push({ name: `heap after ${last[0]} slots`, value: last[1], unit: 'MiB', target: 'growth ≤ 10 %', ratio: (1.1 * first[1]) / last[1] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
