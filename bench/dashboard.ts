/**
 * Dashboard cost (issue 5): run speed in as-fast-as-possible mode with and without the live
 * dashboard attached, the dashboard drawing into an in-memory 100 × 30 TTY at its normal rate
 * (≤ 10 frames/s). Two workloads: the default scenario as shipped (MRT acting, WMMSE shadow)
 * and MRT alone (a fast run, where a fixed per-second cost weighs most). Runs are logged to
 * SQLite as `isac-twin run` does, in chunks of logging.batchSlots (the run loop's default). The
 * dashboard is started through the CLI's entry point, so React runs in its production build as
 * in `isac-twin run` (run this file on its own: a process that loaded React before keeps it).
 *
 *   node --import tsx bench/dashboard.ts [--quick]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runScenario, RunControl } from '../src/app/run.ts';
import { fakeTerminal } from '../src/dashboard/fake-terminal.ts';
import { withDashboard } from '../src/cli/dashboard-commands.ts';
import { loadScenario, withOverrides, type LoadedScenario } from '../src/scenario/validate.ts';
import type { BenchRow } from './index.ts';
import { twinPolicies } from '../src/learning/policies.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const defaultScenario = (): LoadedScenario => loadScenario(readFileSync('scenarios/default.yaml', 'utf8'), 'scenarios/default.yaml', twinPolicies());

interface Measured {
  slotsPerS: number;
  /** CPU time of the whole process (all threads) per slot, µs. */
  cpuUsPerSlot: number;
  frames: number;
  drawMs: number;
  bytes: number;
}

const cpuUs = (c: NodeJS.CpuUsage) => c.user + c.system;

async function plainRun(loaded: LoadedScenario, dbPath: string): Promise<Measured> {
  const c0 = process.cpuUsage();
  const s = await runScenario(loaded, { dbPath, packageVersion: 'bench' });
  return { slotsPerS: s.slots / s.wallS, cpuUsPerSlot: cpuUs(process.cpuUsage(c0)) / s.slots, frames: 0, drawMs: 0, bytes: 0 };
}

async function dashboardRun(loaded: LoadedScenario, dbPath: string): Promise<Measured> {
  const term = fakeTerminal(100, 30);
  const control = new RunControl();
  const c0 = process.cpuUsage();
  const dash = await withDashboard(loaded, control, dbPath, { ...term.streams, patchConsole: false });
  try {
    const s = await runScenario(loaded, { dbPath, packageVersion: 'bench', attach: dash.attach, onProgress: dash.onProgress }, control);
    await dash.close(s);
    return { slotsPerS: s.slots / s.wallS, cpuUsPerSlot: cpuUs(process.cpuUsage(c0)) / s.slots, frames: dash.screen.frames, drawMs: dash.screen.drawMs, bytes: term.stdout.bytes };
  } finally {
    await dash.close();
  }
}

export async function benchDashboard(o: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-bench-'));
  let n = 0;
  const db = () => path.join(dir, `run-${n++}.sqlite`);
  const rows: BenchRow[] = [];
  const reps = o.quick ? 1 : 3;
  try {
    const workloads: Array<[string, LoadedScenario]> = [
      ['default scenario (MRT + WMMSE shadow)', withOverrides(defaultScenario(), { slots: o.quick ? 2000 : 12000 })],
      ['MRT alone', withOverrides(defaultScenario(), { slots: o.quick ? 8000 : 40000, shadows: [], policy: 'mrt' })],
    ];
    for (const [label, loaded] of workloads) {
      // Warm-up (JIT, SQLite, ink) before anything is timed.
      await plainRun(withOverrides(loaded, { slots: 500 }), db());
      await dashboardRun(withOverrides(loaded, { slots: 500 }), db());
      const plain: Measured[] = [];
      const withDash: Measured[] = [];
      // Interleaved, median of `reps` each, so drifts in machine load hit all modes alike.
      for (let i = 0; i < reps; i++) {
        plain.push(await plainRun(loaded, db()));
        withDash.push(await dashboardRun(loaded, db()));
      }
      const base = median(plain.map((m) => m.slotsPerS));
      const dash = median(withDash.map((m) => m.slotsPerS));
      const mid = withDash.find((m) => m.slotsPerS === dash)!;
      const cost = 1 - dash / base;
      // CPU per slot is far less sensitive than wall time to other load on the machine.
      const cpuBase = median(plain.map((m) => m.cpuUsPerSlot));
      const cpuDash = median(withDash.map((m) => m.cpuUsPerSlot));
      const cpuCost = cpuDash / cpuBase - 1;
      rows.push({ name: `${label}: plain run`, value: base, unit: 'slots/s' });
      rows.push({ name: `${label}: with the dashboard`, value: dash, unit: 'slots/s' });
      rows.push({ name: `${label}: dashboard cost, wall time (speed lost)`, value: 100 * cost, unit: '%', target: '≤ 10 %', ratio: 0.1 / Math.max(cost, 1e-9) });
      rows.push({ name: `${label}: dashboard cost, CPU time per slot`, value: 100 * cpuCost, unit: '%', target: '≤ 10 %', ratio: 0.1 / Math.max(cpuCost, 1e-9) });
      const wallS = loaded.scenario.durationSlots / dash;
      rows.push({ name: `${label}: frames drawn per second`, value: mid.frames / wallS, unit: 'frames/s', target: '≤ 10', ratio: 10 / Math.max(mid.frames / wallS, 1e-9) });
      rows.push({ name: `${label}: drawing time per frame`, value: mid.drawMs / Math.max(1, mid.frames - 1), unit: 'ms' });
      rows.push({ name: `${label}: terminal output`, value: mid.bytes / wallS / 1024, unit: 'KiB/s' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchDashboard({ quick: process.argv.includes('--quick') });
  for (const r of rows) console.log(`${r.name.padEnd(60)} ${r.value.toFixed(r.unit === '%' ? 1 : 0).padStart(8)} ${r.unit}${r.target ? `  target ${r.target}` : ''}`);
}
