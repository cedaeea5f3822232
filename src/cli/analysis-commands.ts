/**
 * The offline analysis commands of `isac-twin`: analyze, compare, plot, report, export.
 * Results go to stdout (or the file named by --out/--csv), notes about the input (a run still
 * being written, an unpaired comparison …) to stderr. Bad input throws AnalysisInputError,
 * whose message starts with the file or option at fault; the CLI exits with code 2 on it.
 */
import { Command } from 'commander';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeFile, DEFAULT_OUTAGE_RATE } from '../analysis/analyze.ts';
import { compareFiles } from '../analysis/compare.ts';
import { AnalysisInputError } from '../analysis/errors.ts';
import { exportFile } from '../analysis/export.ts';
import { formatAnalysis, formatComparison } from '../analysis/format.ts';
import { PLOT_KINDS, renderPlot, type PlotKind } from '../analysis/plot.ts';
import { reportFiles } from '../analysis/report.ts';
import { parseBound, type RangeSpec } from '../analysis/run-db.ts';
import { DEFAULT_BATCHES } from '../analysis/stats.ts';
import { checkOutputDir, checkOutputFile } from './args.ts';
import { isSweepFolder, plotSweepFolder, refuseSweepOptions, reportSweepFolder, requireOption, withSweepAnalysisOptions } from './sweep-commands.ts';

interface CommonOptions {
  from?: string;
  to?: string;
  outageRate?: string;
  batches?: string;
  json?: boolean;
}

function rangeOf(o: CommonOptions): RangeSpec {
  return { from: o.from === undefined ? undefined : parseBound(o.from, '--from'), to: o.to === undefined ? undefined : parseBound(o.to, '--to') };
}

function numberOption(value: string | undefined, option: string, fallback: number, check: (x: number) => boolean, expected: string): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !check(x)) throw new AnalysisInputError(option, `expected ${expected}, got "${value}"`);
  return x;
}

function outageRateOf(o: CommonOptions): number {
  return numberOption(o.outageRate, '--outage-rate', DEFAULT_OUTAGE_RATE, (x) => x >= 0, 'a rate ≥ 0 in bit/s/Hz');
}

function batchesOf(o: CommonOptions): number {
  return numberOption(o.batches, '--batches', DEFAULT_BATCHES, (x) => Number.isInteger(x) && x >= 2, 'a whole number ≥ 2');
}

function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
}

/** Writes a file through a temporary name, so a failed run leaves no half-written output. */
function writeAtomically(file: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
  try {
    writeFileSync(tmp, data);
  } catch (e) {
    throw new AnalysisInputError(file, `cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  renameSync(tmp, file);
}

const addRange = (c: Command) =>
  c.option('--from <slot|time>', 'first slot, or a simulated time such as 1.5s or 200ms').option('--to <slot|time>', 'end of the range (exclusive): slot or time');

export function registerAnalysisCommands(program: Command, result: { code: number }): void {
  addRange(
    program
      .command('analyze')
      .description('summarise a run database: per policy, BS, user and target mean, p5, p50, p95; outage; metadata')
      .argument('<run>', 'run database (.sqlite)'),
  )
    .option('--outage-rate <bit/s/Hz>', `a user-slot is in outage below this rate (default ${DEFAULT_OUTAGE_RATE})`)
    .option('--json', 'print JSON instead of tables')
    .action(async (file: string, o: CommonOptions) => {
      const a = await analyzeFile(file, { range: rangeOf(o), outageRate: outageRateOf(o), createViews: true });
      printNotes(a.notes);
      process.stdout.write((o.json ? JSON.stringify(a, null, 2) : formatAnalysis(a)) + '\n');
      result.code = 0;
    });

  addRange(
    program
      .command('compare')
      .description('compare runs side by side; paired per-slot differences to the first run when scenario and seed match')
      .argument('<runs...>', 'two or more run databases; the first is the baseline'),
  )
    .option('--outage-rate <bit/s/Hz>', `outage threshold (default ${DEFAULT_OUTAGE_RATE})`)
    .option('--batches <k>', `batches for the batch-means confidence intervals (default ${DEFAULT_BATCHES})`)
    .option('--json', 'print JSON instead of tables')
    .action(async (files: string[], o: CommonOptions) => {
      if (files.length < 2) throw new AnalysisInputError('compare', `needs at least two run databases, got ${files.length}`);
      const c = await compareFiles(files, { range: rangeOf(o), outageRate: outageRateOf(o), batches: batchesOf(o), createViews: true });
      printNotes(c.notes);
      process.stdout.write((o.json ? JSON.stringify(c, null, 2) : formatComparison(c)) + '\n');
      result.code = 0;
    });

  withSweepAnalysisOptions(
    addRange(
      program
        .command('plot')
        .description('plot a metric of one or more runs to SVG or PNG (Vega-Lite, rendered headlessly); of a sweep folder: the metric against an axis with 95 % CIs across seeds')
        .argument('<runs...>', 'run databases, or one sweep folder'),
    ),
    'plot',
  )
    .option('--metric <name>', 'metric (rc, rs, objective, rate, sinr, csi_age, bs_rate, bs_radar_rate, decision_ms, sens_sinr, radar_rate); pareto: x,y (default rc,rs)')
    .option('--kind <kind>', `${PLOT_KINDS.join(' | ')} (required for run databases)`)
    .option('--out <file>', 'output file, .svg or .png (required)')
    .option('--entity <i|all>', 'for BS/user/target metrics: one entity, or all (one series each); default: pooled')
    .option('--width <px>', 'figure width (default 720)')
    .option('--height <px>', 'figure height (default 400)')
    .option('--scale <x>', 'PNG pixels per CSS pixel (default 1)')
    .option('--title <text>', 'figure title')
    .option('--no-shadows', 'leave out the shadow policies of network metrics')
    .action(async (files: string[], o: CommonOptions & Record<string, string | boolean | undefined>) => {
      const size = (v: unknown, name: string, def: number) => numberOption(v as string | undefined, name, def, (x) => Number.isInteger(x) && x >= 100 && x <= 10000, 'a whole number of pixels in 100 … 10000');
      if (files.length === 1 && isSweepFolder(files[0])) {
        result.code = await plotSweepFolder(files[0], o, size, writeAtomically);
        return;
      }
      refuseSweepOptions(o);
      requireOption(o.kind, '--kind <kind>');
      requireOption(o.out, '--out <file>');
      const out = o.out as string;
      const ext = path.extname(out).toLowerCase();
      if (ext !== '.svg' && ext !== '.png') throw new AnalysisInputError('--out', `${out}: the file name must end in .svg or .png`);
      checkOutputFile('--out', out, { mayExist: true });
      const kind = o.kind as string;
      if (!PLOT_KINDS.includes(kind as PlotKind)) throw new AnalysisInputError('--kind', `unknown plot kind "${kind}"; known kinds: ${PLOT_KINDS.join(', ')}`);
      const entityText = o.entity as string | undefined;
      let entity: number | 'all' | undefined;
      if (entityText !== undefined) {
        if (entityText === 'all') entity = 'all';
        else if (/^\d+$/.test(entityText)) entity = Number(entityText);
        else throw new AnalysisInputError('--entity', `expected an index (0, 1, …) or "all", got "${entityText}"`);
      }
      const r = await renderPlot(files, {
        kind: kind as PlotKind,
        metric: o.metric as string | undefined,
        format: ext === '.png' ? 'png' : 'svg',
        entity,
        range: rangeOf(o),
        width: size(o.width, '--width', 720),
        height: size(o.height, '--height', 400),
        scale: numberOption(o.scale as string | undefined, '--scale', 1, (x) => x > 0 && x <= 8, 'a number in (0, 8]'),
        title: o.title as string | undefined,
        shadows: o.shadows !== false,
      });
      printNotes(r.notes);
      writeAtomically(out, r.data);
      process.stdout.write(`${kind} plot of ${o.metric ?? 'rc,rs'} (${files.length} run${files.length > 1 ? 's' : ''}) → ${out}\n`);
      result.code = 0;
    });

  withSweepAnalysisOptions(
    addRange(
      program
        .command('report')
        .description('write one self-contained HTML page with the summary tables, the comparison and the plots (of a sweep folder: curves with CIs across seeds, paired differences)')
        .argument('<runs...>', 'run databases (with several, the first is the baseline of the comparison), or one sweep folder'),
    ),
    'report',
  )
    .option('--out <file>', 'HTML file to write (required; a sweep folder: default <folder>/report.html)')
    .option('--outage-rate <bit/s/Hz>', `outage threshold (default ${DEFAULT_OUTAGE_RATE})`)
    .option('--batches <k>', `batches for the confidence intervals (default ${DEFAULT_BATCHES})`)
    .option('--title <text>', 'page title')
    .action(async (files: string[], o: CommonOptions & { out: string; title?: string }) => {
      if (files.length === 1 && isSweepFolder(files[0])) {
        result.code = await reportSweepFolder(files[0], o as unknown as Record<string, unknown>, writeAtomically);
        return;
      }
      refuseSweepOptions(o as unknown as Record<string, unknown>);
      requireOption(o.out, '--out <file>');
      checkOutputFile('--out', o.out, { mayExist: true });
      const r = await reportFiles(files, { range: rangeOf(o), outageRate: outageRateOf(o), batches: batchesOf(o), title: o.title, createViews: true });
      printNotes(r.notes);
      writeAtomically(o.out, r.html);
      process.stdout.write(`report of ${files.length} run${files.length > 1 ? 's' : ''} → ${o.out}\n`);
      result.code = 0;
    });

  addRange(
    program
      .command('export')
      .description('write every table of a run database as CSV')
      .argument('<run>', 'run database'),
  )
    .requiredOption('--csv <dir>', 'directory for <table>.csv files (created if missing)')
    .action(async (file: string, o: CommonOptions & { csv: string }) => {
      checkOutputDir('--csv', o.csv, { create: true });
      const r = await exportFile(file, o.csv, { range: rangeOf(o), createViews: true });
      printNotes(r.notes);
      for (const f of r.files) process.stdout.write(`${f.table.padEnd(14)} ${String(f.rows).padStart(9)} rows → ${f.file}\n`);
      result.code = 0;
    });
}
