/**
 * `npm run bench`: every benchmark of the project, measured in this one run, printed as a table
 * with the target and the ratio measured/target (≥ 1 meets it). `--quick` shortens the runs;
 * `--only <name>` runs one group. Not part of `npm test`: speed is never asserted in tests.
 */
import '../scripts/quiet-cursor.mjs';
import { existsSync } from 'node:fs';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: string;
  /** ≥ 1 when the target is met. */
  ratio?: number;
}

const GROUPS: Array<{ name: string; file: string; fn: string }> = [
  { name: 'twin', file: './twin.ts', fn: 'benchTwin' },
  { name: 'network', file: './network.ts', fn: 'benchNetwork' },
  { name: 'sdp', file: './sdp.ts', fn: 'benchSdp' },
  { name: 'localization', file: './localization.ts', fn: 'benchLocalization' },
  { name: 'train-step', file: './train-step.ts', fn: 'benchTrainStep' },
  { name: 'vfl', file: './vfl.ts', fn: 'benchVfl' },
  { name: 'analysis', file: './analysis.ts', fn: 'benchAnalysis' },
  { name: 'dashboard', file: './dashboard.ts', fn: 'benchDashboard' },
  { name: 'learning-conv', file: './learning-conv.ts', fn: 'benchConv' },
  { name: 'learning-graph', file: './learning-graph.ts', fn: 'benchGraph' },
  { name: 'learning-parallel', file: './learning-parallel.ts', fn: 'benchParallel' },
  { name: 'sweep', file: './sweep.ts', fn: 'benchSweep' },
  { name: 'paper001', file: './paper001.ts', fn: 'benchPaper001' },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

for (const g of GROUPS) {
  if (only && g.name !== only) continue;
  if (!existsSync(new URL(g.file, import.meta.url))) continue;
  const mod = (await import(g.file)) as Record<string, (o: { quick: boolean }) => Promise<BenchRow[]>>;
  const t0 = performance.now();
  let rows: BenchRow[];
  try {
    rows = await mod[g.fn]({ quick });
  } catch (e) {
    // One broken group must not hide the others' numbers.
    console.log(`\n${g.name}: FAILED — ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n${g.name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  for (const r of rows) {
    const target = r.target ? `  target ${r.target}` : '';
    const ratio = r.ratio !== undefined ? `  ratio ${r.ratio.toFixed(2)}${r.ratio >= 1 ? ' ✓' : ' ✗'}` : '';
    console.log(`  ${r.name.padEnd(58)} ${fmt(r.value).padStart(10)} ${r.unit}${target}${ratio}`);
  }
}
