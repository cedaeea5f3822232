/**
 * Prints paper 001's comparison table (docs/teacher-student.md §Results): teachers vs the
 * bisection + SDP benchmark vs MRT / NS+ZF on n samples per layout and N.
 *
 *   node --import tsx scripts/paper001-table.ts [n=200] [seed=2024] [N list=2,5,8] [layouts=pos-1,pos-2]
 *
 * Prints Markdown to stdout (progress on stderr) and the rows as JSON to the file named by
 * PAPER001_TABLE_JSON when set. Takes tens of minutes at n = 200 on two cores (the benchmark).
 */
import { writeFileSync } from 'node:fs';
import { initBackend } from '../src/learning/backend.ts';
import type { Paper001Layout } from '../src/learning/paper001/data.ts';
import { formatTable, paper001Table } from '../src/learning/paper001/evaluation.ts';

const n = Number(process.argv[2] ?? 200);
const seed = Number(process.argv[3] ?? 2024);
const Ns = (process.argv[4] ?? '2,5,8').split(',').map(Number);
const layouts = (process.argv[5] ?? 'pos-1,pos-2').split(',') as Paper001Layout[];
const { tf, name } = await initBackend();
const t0 = performance.now();
const rows = paper001Table(tf, {
  layouts,
  numUsers: Ns,
  n,
  seed,
  rho: 0.5,
  now: () => performance.now(),
  onProgress: (m) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`),
});
console.log(`paper 001 · ${n} samples per layout and N · seed ${seed} · tfjs ${name} · ρ = 0.5 · wall ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
console.log(formatTable(rows));
if (process.env.PAPER001_TABLE_JSON) writeFileSync(process.env.PAPER001_TABLE_JSON, JSON.stringify(rows, null, 1));
