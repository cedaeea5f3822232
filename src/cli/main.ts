/**
 * The `isac-twin` command. Exit codes: 0 success, 1 a run failed, 2 bad input (scenario or
 * command line; nothing is written), 130 interrupted (the run is kept, marked `interrupted`).
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario, RunControl, type RunSummary } from '../app/run.ts';
import { takeSnapshot } from '../app/snapshot.ts';
import { twinPolicies } from '../learning/policies.ts';
import { ScenarioError } from '../scenario/load.ts';
import { LIMITS, scenarioJsonSchema } from '../scenario/schema.ts';
import { withOverrides } from '../scenario/validate.ts';
import { plainProgress } from './progress.ts';
import { checkOutputFile, errnoText, intOption, positiveNumber, readScenario, UsageError } from './args.ts';
import { registerAnalysisCommands } from './analysis-commands.ts';
import { dashboardDrawable, registerWatchCommand, withDashboard } from './dashboard-commands.ts';
import { registerLocalizationCommands } from './localization-commands.ts';
import { registerSweepCommands } from './sweep-commands.ts';
import { registerTrainCommands, withInferenceBackend } from './train-commands.ts';
import { AnalysisInputError } from '../analysis/errors.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Exit code for bad input. */
const BAD_INPUT = 2;

function defaultDbPath(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = path.join('twin-runs', `${stamp}-${name.replace(/[^A-Za-z0-9._-]+/g, '_')}`);
  let file = `${base}.sqlite`;
  for (let i = 2; existsSync(file); i++) file = `${base}-${i}.sqlite`;
  return file;
}

function formatSummary(s: RunSummary): string {
  const lines = [
    `run ${s.status}: ${s.scenario} · policy ${s.policy} · seed ${s.seed} · tfjs backend ${s.backend}`,
    `  slots         ${s.slots} (${s.slotsLogged} logged) in ${s.wallS.toFixed(2)} s wall · ${Math.round(s.slotsPerS)} slots/s`,
    `  R_c (mean)    ${s.rcMean.toFixed(4)} bit/s/Hz`,
    `  R_s (mean)    ${s.rsMean.toFixed(4)} bit/s/Hz`,
    `  objective     ${s.objectiveMean.toFixed(4)}`,
    `  CSI age       ${Number.isFinite(s.meanCsiAgeSlots) ? s.meanCsiAgeSlots.toFixed(2) : '–'} slots (mean)`,
    `  fallback      ${(100 * s.fallbackShare).toFixed(2)} % of BS-slots`,
    ...s.shadows.map(
      (sh) => `  vs ${sh.name.padEnd(10)} R_c ${sh.rcMean.toFixed(4)} · objective ${sh.objectiveMean.toFixed(4)} · gap ${sh.objectiveGap >= 0 ? '+' : ''}${sh.objectiveGap.toFixed(4)}`,
    ),
    `  database      ${s.dbPath}`,
  ];
  if (s.error) lines.push(`  error         ${s.error}`);
  return lines.join('\n');
}

async function commandRun(file: string, o: Record<string, unknown>): Promise<number> {
  let loaded = readScenario(file);
  loaded = withOverrides(loaded, {
    seed: o.seed as number | undefined,
    policy: o.policy as string | undefined,
    slots: o.slots as number | undefined,
    logEvery: o.logEvery as number | undefined,
    shadows: o.shadow as string[] | undefined,
  });
  const dbPath = (o.out as string | undefined) ?? defaultDbPath(loaded.scenario.name);
  // Before anything starts: an explicit --out needs an existing, writable folder; the default
  // twin-runs/ is created (documented in --help).
  checkOutputFile('--out', dbPath, { createParent: o.out === undefined });
  const started = await withInferenceBackend(loaded);
  const backend = started.backend;
  loaded = started.loaded;
  mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
  const control = new RunControl(o.speed as number | undefined);
  const onSignal = () => control.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const quiet = Boolean(o.quiet);
  if (!quiet) {
    console.log(
      `isac-twin ${packageVersion()} · ${loaded.scenario.name} · policy ${loaded.scenario.policy.name} · seed ${loaded.scenario.seed} · tfjs backend ${backend} · ${loaded.scenario.durationSlots} slots → ${dbPath}`,
    );
  }
  const dashboard =
    !quiet && o.dashboard !== false && dashboardDrawable()
      ? await withDashboard(loaded, control, dbPath, { backend })
      : undefined;
  try {
    const summary = await runScenario(
      loaded,
      {
        dbPath,
        packageVersion: packageVersion(),
        backend,
        speed: o.speed as number | undefined,
        attach: dashboard?.attach,
        onProgress: dashboard ? dashboard.onProgress : quiet ? undefined : plainProgress(),
      },
      control,
    );
    await dashboard?.close(summary); // the dashboard leaves the screen before the summary prints
    console.log(formatSummary(summary));
    if (summary.error) console.error(`error: run ${summary.status}: ${summary.error}`);
    return summary.status === 'completed' ? 0 : summary.status === 'interrupted' ? 130 : 1;
  } finally {
    await dashboard?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function commandValidate(file: string): number {
  const { scenario: s, topology: t } = readScenario(file);
  console.log(
    `${file}: valid · ${s.name} · ${t.numBs} BSs × ${t.numTxAnt} antennas · ${t.numUsers} users · ${t.numTargets} targets · policy ${s.policy.name} · ${s.durationSlots} slots of ${s.timing.slotMs} ms`,
  );
  return 0;
}

async function commandSnapshot(file: string, o: Record<string, unknown>): Promise<number> {
  const overridden = withOverrides(readScenario(file), { seed: o.seed as number | undefined, policy: o.policy as string | undefined });
  const out = o.out as string;
  checkOutputFile('--out', out, { mayExist: true });
  const { loaded } = await withInferenceBackend(overridden);
  const slot = o.slot as number;
  if (slot >= loaded.scenario.durationSlots) {
    throw new UsageError(`--slot ${slot}: the scenario lasts ${loaded.scenario.durationSlots} slots (0 … ${loaded.scenario.durationSlots - 1})`);
  }
  const snap = takeSnapshot(loaded, slot);
  writeThrough(out, JSON.stringify(snap));
  console.log(`snapshot of slot ${slot} (${loaded.scenario.name}, ${loaded.scenario.policy.name}, seed ${loaded.scenario.seed}) → ${out}`);
  return 0;
}

/** Writes through `<file>.partial` so a failed write leaves nothing half-written; errors are one line. */
function writeThrough(out: string, text: string): void {
  const tmp = `${out}.partial`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing to clean
    }
    throw new UsageError(`--out ${out}: cannot write: ${errnoText(e)}`);
  }
}

function commandSchema(o: Record<string, unknown>): number {
  if (o.out) checkOutputFile('--out', o.out as string, { mayExist: true });
  const text = JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
  if (o.out) writeThrough(o.out as string, text);
  else process.stdout.write(text);
  return 0;
}

function commandPolicies(): number {
  const policies = twinPolicies();
  for (const name of policies.names()) console.log(`${name.padEnd(14)} ${policies.definition(name)!.summary}`);
  return 0;
}

export function buildProgram(result: { code: number }): Command {
  const program = new Command('isac-twin')
    .description('Discrete-event digital twin of multi-cell ISAC networks')
    .version(packageVersion())
    .exitOverride()
    // commander's suggestion ("(Did you mean run?)") joins its error line: every refusal is one line.
    .configureOutput({ writeErr: (s) => process.stderr.write(s.replace(/\n\(Did you mean (.+)\?\)\n$/, ' (did you mean $1?)\n')) });
  const policyOption = () => new Option('--policy <name>', 'acting policy (overrides the scenario)');
  program
    .command('run')
    .description('run a scenario and log it to SQLite')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seed <n>', 'seed (overrides the scenario)', intOption(0))
    .addOption(policyOption())
    .option('--slots <n>', `number of slots (overrides durationSlots; ≤ ${LIMITS.slots})`, intOption(1, LIMITS.slots))
    .option('--log-every <n>', 'log one slot in n', intOption(1))
    .option('--shadow <name...>', 'shadow policies evaluated beside the acting one')
    .option('--out <file>', 'database file, in an existing folder (default twin-runs/<time>-<name>.sqlite; twin-runs/ is created)')
    .option('--speed <x>', 'pace to the wall clock: simulated seconds per second', positiveNumber)
    .option('--quiet', 'print only the summary')
    .option('--no-dashboard', 'plain progress lines instead of the live dashboard (also without a TTY, and in CI)')
    .action(async (file, o) => {
      result.code = await commandRun(file, o);
    });
  program
    .command('validate')
    .description('check a scenario file')
    .argument('<scenario>')
    .action((file) => {
      result.code = commandValidate(file);
    });
  program
    .command('snapshot')
    .description('write one slot (geometry, channels, beamformers, metrics) as JSON')
    .argument('<scenario>')
    .requiredOption('--slot <n>', 'slot index', intOption(0))
    .requiredOption('--out <file>', 'JSON file to write (its folder must exist)')
    .option('--seed <n>', 'seed', intOption(0))
    .addOption(policyOption())
    .action(async (file, o) => {
      result.code = await commandSnapshot(file, o);
    });
  program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .option('--out <file>', 'write it to this file (its folder must exist) instead of stdout')
    .action((o) => {
      result.code = commandSchema(o);
    });
  program
    .command('policies')
    .description('list the policies')
    .action(() => {
      result.code = commandPolicies();
    });
  registerAnalysisCommands(program, result);
  registerWatchCommand(program, result);
  registerLocalizationCommands(program, result);
  registerTrainCommands(program, result);
  registerSweepCommands(program, result);
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const result = { code: 0 };
  try {
    await buildProgram(result).parseAsync(argv);
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : BAD_INPUT;
    }
    if (e instanceof ScenarioError || e instanceof UsageError || e instanceof RangeError || e instanceof AnalysisInputError) {
      console.error(`error: ${e.message}`);
      return BAD_INPUT;
    }
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main(process.argv);
}
