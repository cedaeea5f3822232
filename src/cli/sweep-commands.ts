/**
 * `isac-twin sweep` and `isac-twin worker`, and the sweep-folder forms of `report` and `plot`.
 *
 *   isac-twin sweep sweeps/ageing.yaml                      # every core of this machine
 *   isac-twin sweep sweeps/ageing.yaml --queue redis://h:6379   # BullMQ: jobs for workers anywhere
 *   isac-twin worker --queue redis://h:6379 --concurrency 8  # on each machine
 *   isac-twin report twin-runs/sweeps/ageing                 # curves with 95 % CIs across seeds
 *   isac-twin plot twin-runs/sweeps/ageing --x speedMps --metric rc --by policy --out fig.svg
 *
 * Exit codes as everywhere: 0 every job completed, 1 some failed, 2 bad input (a bad sweep file,
 * an unreachable Redis, a worker of another code version; nothing is written), 130 stopped
 * (Ctrl-C: finished jobs are kept and a later `sweep` resumes).
 */
import type { Command } from 'commander';
import isInCi from 'is-in-ci';
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Catalog, CATALOG_FILE, CatalogError } from '../sweep/catalog.ts';
import { codeVersion } from '../sweep/code-version.ts';
import { SweepControl, type SweepEvents, type SweepOutcome } from '../sweep/control.ts';
import { finishedJobs, runLocalSweep } from '../sweep/local.ts';
import { EXTRA_METRICS, knownMetrics, readSweep, type SweepPlan } from '../sweep/plan.ts';
import { duration, finishedLine, plainReporter, SweepProgress, type FinishedJob } from '../sweep/progress.ts';
import { sweepJsonSchema } from '../sweep/schema.ts';
import { checkOutputDir, intOption, UsageError } from './args.ts';
import { dashboardDrawable } from './dashboard-commands.ts';

interface SweepCliOptions {
  out?: string;
  workers?: number;
  queue?: string;
  queueName: string;
  dryRun?: boolean;
  dashboard?: boolean;
  quiet?: boolean;
  printSchema?: boolean;
}

/** Errors of the sweep layer that are bad input (exit 2). */
function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CatalogError) throw new UsageError(e.message);
    throw e;
  }
}

/** Whether `p` is a sweep output folder (it holds sweep.sqlite). */
export function isSweepFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory() && existsSync(path.join(p, CATALOG_FILE));
  } catch {
    return false;
  }
}

function header(plan: SweepPlan, done: number, where: string): string {
  return `isac-twin sweep ${plan.name} · ${plan.jobs.length} jobs${done ? ` (${done} done)` : ''} · ${where} · code ${plan.codeVersion} → ${plan.outDir}`;
}

/** Wires the progress display (ink on a terminal, plain lines otherwise) to the sweep's events. */
async function progressDisplay(plan: SweepPlan, skipped: number, control: SweepControl, o: { quiet?: boolean; dashboard?: boolean; header: string }) {
  const progress = new SweepProgress(plan.name, plan.jobs.length, skipped, () => performance.now());
  const live = !o.quiet && o.dashboard !== false && dashboardDrawable({ stdoutTty: Boolean(process.stdout.isTTY), stdinTty: Boolean(process.stdin.isTTY), inCi: isInCi });
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  let finishedCount = 0;
  let screen: import('../sweep/progress-view.tsx').MountedSweepScreen | undefined;
  let plain: ReturnType<typeof plainReporter> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  if (live) {
    const { preferReactProduction } = await import('../dashboard/react-mode.ts');
    preferReactProduction();
    const { mountSweepScreen } = await import('../sweep/progress-view.tsx');
    screen = mountSweepScreen({ progress, header: o.header, onStop: () => control.stop() });
  } else if (!o.quiet) {
    console.log(o.header);
    plain = plainReporter(progress, (l) => console.log(l), () => performance.now());
    ticker = setInterval(() => plain!.tick(), 2000);
    ticker.unref();
  }
  control.onStop(() => progress.stop());
  const events: SweepEvents = {
    start: (job, worker) => progress.start(job.id, job.label, worker),
    progress: (job, p) => progress.progress(job.id, p),
    done: (job, r) => {
      const f: FinishedJob = progress.finish(job.id, byId.get(job.id)?.label ?? job.label, r);
      finishedCount++;
      if (screen) screen.finished(finishedLine(f, skipped + finishedCount, plan.jobs.length));
      else plain?.finished(f);
    },
  };
  return {
    events,
    async close() {
      if (ticker) clearInterval(ticker);
      await screen?.close();
      plain?.final();
    },
  };
}

function summaryLines(plan: SweepPlan, out: SweepOutcome, wallS: number, outFlag: string | undefined): string[] {
  const lines = [
    `sweep ${plan.name} ${out.stopped ? 'stopped' : out.failed ? 'finished with failures' : 'completed'}: ${out.total} jobs · ${out.completed} completed now · ${out.skipped} already done · ${out.failed} failed${out.interrupted ? ` · ${out.interrupted} not run (stopped)` : ''} · ${duration(wallS)} wall`,
    `  catalog   ${path.join(plan.outDir, CATALOG_FILE)}`,
  ];
  if (out.stopped) lines.push(`  resume    isac-twin sweep ${plan.file}${outFlag ? ` --out ${outFlag}` : ''} (runs only the jobs not completed)`);
  else lines.push(`  report    isac-twin report ${plan.outDir}`);
  return lines;
}

function exitCode(out: SweepOutcome): number {
  return out.stopped ? 130 : out.failed ? 1 : 0;
}

async function commandSweep(file: string | undefined, o: SweepCliOptions): Promise<number> {
  if (o.printSchema) {
    process.stdout.write(JSON.stringify(sweepJsonSchema(), null, 2) + '\n');
    return 0;
  }
  if (!file) throw new UsageError('sweep: give a sweep file (isac-twin sweep <sweep.yaml>), or --print-schema');
  const plan = readSweep(file, { codeVersion: codeVersion(), out: o.out });
  checkOutputDir(o.out ? '--out' : 'out', plan.outDir, { create: true });
  if (o.queue && o.workers !== undefined) throw new UsageError('--workers: with --queue the jobs run on `isac-twin worker` processes (their --concurrency); leave out --workers');
  if (o.dryRun) return dryRun(plan);
  if (o.queue) return commandSweepQueue(plan, o);
  const catalog = asUsage(() => Catalog.openForPlan(plan));
  const control = new SweepControl();
  let signals = 0;
  let pool: import('../sweep/pool.ts').JobPool | undefined;
  const onSignal = () => {
    signals++;
    if (signals === 1) control.stop();
    else {
      // A second Ctrl-C: stop at once; the running jobs stay unfinished and run again next time.
      pool?.kill();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const workers = o.workers ?? availableParallelism();
  const skipped = finishedJobs(plan, catalog).size;
  const procs = Math.min(workers, Math.max(1, plan.jobs.length - skipped));
  const display = await progressDisplay(plan, skipped, control, { quiet: o.quiet, dashboard: o.dashboard, header: header(plan, skipped, `${procs} local process${procs === 1 ? '' : 'es'}`) });
  const t0 = performance.now();
  let outcome: SweepOutcome;
  try {
    outcome = await runLocalSweep(plan, catalog, { workers, control, events: display.events, onPool: (p) => (pool = p) });
  } finally {
    await display.close();
    catalog.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  for (const l of summaryLines(plan, outcome, (performance.now() - t0) / 1000, o.out)) console.log(l);
  return exitCode(outcome);
}

/** Bad queue input (an unparsable URL, an unreachable Redis, another code version): exit 2. */
async function queueInput<T>(f: () => Promise<T>): Promise<T> {
  const { QueueInputError } = await import('../sweep/redis.ts');
  try {
    return await f();
  } catch (e) {
    if (e instanceof QueueInputError) throw new UsageError(e.message);
    throw e;
  }
}

async function commandSweepQueue(plan: SweepPlan, o: SweepCliOptions): Promise<number> {
  const { parseQueueTarget } = await import('../sweep/redis.ts');
  const { checkSubmit, runQueueSweep } = await import('../sweep/queue.ts');
  const target = await queueInput(async () => parseQueueTarget(o.queue!, o.queueName));
  await queueInput(() => checkSubmit(target, plan.codeVersion));
  const catalog = asUsage(() => Catalog.openForPlan(plan));
  const control = new SweepControl();
  let signals = 0;
  const onSignal = () => {
    if (++signals === 1) control.stop();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const skipped = finishedJobs(plan, catalog).size;
  const display = await progressDisplay(plan, skipped, control, { quiet: o.quiet, dashboard: o.dashboard, header: header(plan, skipped, `queue "${target.name}" at ${target.url}`) });
  const t0 = performance.now();
  let outcome: SweepOutcome;
  try {
    outcome = await runQueueSweep(plan, catalog, {
      target,
      control,
      events: display.events,
      onQueued: (added, already) => {
        if (!o.quiet && !process.stdout.isTTY) console.log(`  queued ${added} jobs${already ? ` (${already} were queued already)` : ''}: start workers with  isac-twin worker --queue ${target.url}${target.name !== 'isac-twin' ? ` --queue-name ${target.name}` : ''}`);
      },
    });
  } finally {
    await display.close();
    catalog.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  for (const l of summaryLines(plan, outcome, (performance.now() - t0) / 1000, o.out)) console.log(l);
  if (outcome.stopped) console.log(`  the ${outcome.interrupted} unfinished jobs stay on the queue: the workers go on with them; run the same sweep --queue again to collect their results`);
  if (outcome.note) console.log(`  ${outcome.note}`);
  return exitCode(outcome);
}

interface WorkerCliOptions {
  queue: string;
  queueName: string;
  concurrency?: number;
  runsDir?: string;
  lockMs: number;
  stalledMs: number;
  idleExit?: number;
}

async function commandWorker(o: WorkerCliOptions): Promise<number> {
  const { parseQueueTarget } = await import('../sweep/redis.ts');
  const { checkWorker, runWorker } = await import('../sweep/worker.ts');
  const target = await queueInput(async () => parseQueueTarget(o.queue, o.queueName));
  const version = codeVersion();
  await queueInput(() => checkWorker(target, version));
  if (o.runsDir) checkOutputDir('--runs-dir', o.runsDir, { create: true });
  const control = new SweepControl();
  let signals = 0;
  const onSignal = () => {
    // First: finish the running jobs, take no new ones. Second: exit now; the job processes see
    // their parent go and stop, and BullMQ hands the jobs to another worker once their locks expire.
    if (++signals === 1) control.stop();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const out = await runWorker({
      target,
      codeVersion: version,
      concurrency: o.concurrency ?? availableParallelism(),
      runsDir: o.runsDir,
      lockMs: o.lockMs,
      stalledMs: o.stalledMs,
      idleExitS: o.idleExit,
      control,
    });
    console.log(`worker stopped (${out.reason === 'idle' ? 'queue idle' : out.reason === 'code-version' ? 'a job of another code version' : 'signal'}): ${out.completed} jobs completed, ${out.failed} failed`);
    if (out.reason === 'code-version') {
      console.error(`error: --queue ${target.url}: ${out.message}`);
      return 2;
    }
    return out.reason === 'stopped' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function dryRun(plan: SweepPlan): number {
  const catalogFile = path.join(plan.outDir, CATALOG_FILE);
  let done = new Set<string>();
  if (existsSync(catalogFile)) {
    const c = asUsage(() => Catalog.openExisting(plan.outDir));
    try {
      const rows = new Map(c.jobs().map((r) => [r.job_id, r]));
      done = new Set(plan.jobs.filter((j) => rows.get(j.id)?.status === 'completed').map((j) => j.id));
    } finally {
      c.close();
    }
  }
  console.log(`sweep ${plan.name}: ${plan.jobs.length} jobs (${plan.axes.map((a) => `${a.short} × ${a.values.length}`).join(', ') || 'no axes'}; ${plan.policies.length} policies × ${plan.seeds.length} seeds) · ${done.size} done · code ${plan.codeVersion} → ${plan.outDir}`);
  for (const j of plan.jobs) console.log(`  ${j.id}  ${done.has(j.id) ? 'done   ' : 'to run '}  ${j.label}`);
  return 0;
}

const metricsHelp = () =>
  `metrics a sweep file may list: ${knownMetrics(true).join(', ')} (${Object.entries(EXTRA_METRICS)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')}; crlb…/rmse_bound…/est_error…: localisation scenarios only)`;

export function registerSweepCommands(program: Command, result: { code: number }): void {
  program
    .command('sweep')
    .description('run every job of a sweep file (axes × policies × seeds) on all local cores, or enqueue them in BullMQ (--queue); re-running skips finished jobs')
    .argument('[sweep]', 'sweep YAML file (docs/sweeps.md)')
    .option('--out <dir>', 'output folder (default: out: of the sweep file, else twin-runs/sweeps/<name>; created)')
    .option('--workers <n>', 'local job processes (default: one per core)', intOption(1, 1024))
    .option('--queue <redis-url>', 'enqueue the jobs in BullMQ on this Redis (redis://host:6379) for `isac-twin worker` processes, and collect their results')
    .option('--queue-name <name>', 'BullMQ queue name (workers must use the same)', 'isac-twin')
    .option('--dry-run', 'list the jobs and which are done; run and write nothing')
    .option('--quiet', 'print only the summary')
    .option('--no-dashboard', 'plain progress lines instead of the live display (also without a TTY, and in CI)')
    .option('--print-schema', 'print the JSON Schema of sweep files')
    .addHelpText('after', `\n${metricsHelp()}`)
    .action(async (file: string | undefined, o: SweepCliOptions) => {
      result.code = await commandSweep(file, o);
    });
  program
    .command('worker')
    .description('run the jobs of `sweep --queue` from BullMQ on this machine (same isac-twin code version as the sweep required)')
    .requiredOption('--queue <redis-url>', 'Redis of the queue (redis://host:6379)')
    .option('--queue-name <name>', 'BullMQ queue name', 'isac-twin')
    .option('--concurrency <n>', 'jobs run at once, one process each (default: one per core)', intOption(1, 1024))
    .option('--runs-dir <dir>', 'where the run databases go (default twin-runs/sweep-runs/<sweep>; created)')
    .option('--lock-ms <ms>', 'BullMQ lock duration: a job whose worker stops renewing its lock this long is stalled and retried', intOption(100), 30000)
    .option('--stalled-ms <ms>', 'how often this worker looks for stalled jobs', intOption(100), 30000)
    .option('--idle-exit <s>', 'exit after the queue has had no job for this many seconds (default: run until stopped)', intOption(1))
    .action(async (o: WorkerCliOptions) => {
      result.code = await commandWorker(o);
    });
}

// ---------------------------------------------------------------------------------------------
// `report` and `plot` of a sweep folder (dispatched from analysis-commands.ts)

/** Adds the options `plot` and `report` take for sweep folders only. */
export function withSweepAnalysisOptions(c: Command, kind: 'plot' | 'report'): Command {
  c.option('--x <axis>', 'sweep folders: the axis along x (path or its last part; default: the first axis)');
  if (kind === 'plot') c.option('--by <policy|axis>', 'sweep folders: one curve per policy (default) or per value of an axis');
  c.option('--vs <policy>', kind === 'plot' ? 'sweep folders: plot the paired differences to this policy' : 'sweep folders: reference policy of the paired differences (default: the first)');
  return c;
}

/** Refuses the sweep-only options for run databases. */
export function refuseSweepOptions(o: Record<string, unknown>): void {
  for (const [k, flag] of [
    ['x', '--x'],
    ['by', '--by'],
    ['vs', '--vs'],
  ] as const) {
    if (o[k] !== undefined) throw new UsageError(`${flag} applies to sweep folders (isac-twin plot <sweep folder> …), not to run databases`);
  }
}

/** Options of `plot` / `report` that apply to run databases only. */
function refuseRunOptions(o: Record<string, unknown>, names: ReadonlyArray<[string, string]>): void {
  for (const [k, flag] of names) {
    if (o[k] !== undefined) throw new UsageError(`${flag} applies to run databases, not to a sweep folder (whose jobs are summarised over their whole runs)`);
  }
}

/** The missing-option message of commander, for options that only run databases require. */
export function requireOption(value: unknown, flag: string): void {
  if (value === undefined) throw new UsageError(`required option '${flag}' not specified`);
}

/** `plot <sweep folder>`: metric-vs-axis curves with intervals across seeds. */
export async function plotSweepFolder(dir: string, o: Record<string, unknown>, size: (v: unknown, name: string, def: number) => number, write: (file: string, data: string | Buffer) => void): Promise<number> {
  const out = o.out as string | undefined;
  requireOption(out, '--out <file>');
  const ext = path.extname(out!).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new UsageError(`--out: ${out}: the file name must end in .svg or .png`);
  const { checkOutputFile } = await import('./args.ts');
  checkOutputFile('--out', out!, { mayExist: true });
  if (o.kind !== undefined) throw new UsageError('--kind: a sweep folder is plotted as curves of a metric against an axis (--x, --metric, --by); --kind applies to run databases');
  refuseRunOptions(o, [
    ['from', '--from'],
    ['to', '--to'],
    ['entity', '--entity'],
  ]);
  const { renderSweepPlot } = await import('../sweep/plot.ts');
  const r = await renderSweepPlot(dir, {
    x: o.x as string | undefined,
    metric: o.metric as string | undefined,
    by: o.by as string | undefined,
    vs: o.vs as string | undefined,
    width: size(o.width, '--width', 720),
    height: size(o.height, '--height', 400),
    title: o.title as string | undefined,
    format: ext === '.png' ? 'png' : 'svg',
    scale: o.scale === undefined ? 1 : Number(o.scale),
  });
  for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
  write(out!, r.data);
  process.stdout.write(`sweep plot of ${(o.metric as string | undefined) ?? 'the first metric'} → ${out}\n`);
  return 0;
}

/** `report <sweep folder>`: the HTML page (default <folder>/report.html). */
export async function reportSweepFolder(dir: string, o: Record<string, unknown>, write: (file: string, data: string) => void): Promise<number> {
  refuseRunOptions(o, [
    ['from', '--from'],
    ['to', '--to'],
    ['outageRate', '--outage-rate'],
    ['batches', '--batches'],
  ]);
  const out = (o.out as string | undefined) ?? path.join(dir, 'report.html');
  const { checkOutputFile } = await import('./args.ts');
  checkOutputFile('--out', out, { mayExist: true });
  const { reportSweep } = await import('../sweep/report.ts');
  const r = await reportSweep(dir, { x: o.x as string | undefined, vs: o.vs as string | undefined, title: o.title as string | undefined });
  for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
  write(out, r.html);
  process.stdout.write(`sweep report → ${out}\n`);
  return 0;
}
