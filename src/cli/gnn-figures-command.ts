/**
 * `isac-twin figures gnn` (paper 004, docs/gnn.md): the options it adds to the `figures` command
 * (train-commands.ts) and its action.
 *   isac-twin figures gnn [--scenario scenarios/paper004-m5.yaml] [--models models] [--out docs/figures/gnn]
 *       [--test-samples 2000] [--betas 0,0.5,1,2,5,10] [--aps 2,…,10] [--pga-samples 500]
 *       [--seed <scenario seed>] [--jobs 1] [--cache twin-runs/cache | --no-cache]
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_APS, DEFAULT_BETAS, figureSettingProblem } from '../app/gnn-baselines.ts';
import { checkOutputDir, intOption, readScenario, UsageError } from './args.ts';

export const GNN_DEFAULT_SCENARIO = 'scenarios/paper004-m5.yaml';

function list(what: string, ok: (x: number) => boolean, rule: string) {
  return (value: string): number[] => {
    const xs = value.split(',').map((v) => Number(v.trim()));
    if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || !ok(x))) throw new InvalidArgumentError(`expected comma-separated ${what} (${rule}), got "${value}"`);
    return [...new Set(xs)].sort((a, b) => a - b);
  };
}

/** The gnn options of `figures` (ignored by `figures vfl`). */
export function addGnnFigureOptions(cmd: Command): Command {
  return cmd
    .option('--betas <list>', 'gnn: the β_s of Fig. 3 (models <models>/gnn-beta<β>)', list('numbers', (x) => x >= 0 && x <= 1e4, '0 … 1e4'), DEFAULT_BETAS)
    .option('--aps <list>', 'gnn: the M of Fig. 4 (must include 5)', list('whole numbers', (x) => Number.isInteger(x) && x >= 1 && x <= 64, '1 … 64'), DEFAULT_APS)
    .option('--pga-samples <n>', 'gnn: the PGA reference runs on the first n test samples (slow: ~0.1 s per sample and β_s at M = 5)', intOption(1), 500)
    .option('--seed <n>', 'gnn: seed of the test set (default: the scenario’s)', intOption(0))
    .option('--jobs <n>', 'gnn: worker threads for the baselines', intOption(1, 64), 1)
    .option('--cache <dir>', 'gnn, vfl --paper: cache of the baselines (gnn: per M; vfl: the multi-start WMMSE per SNR point), keyed by everything they depend on', 'twin-runs/cache')
    .option('--no-cache', 'gnn, vfl --paper: recompute the baselines');
}

export interface GnnFiguresCliOptions {
  out: string;
  scenario?: string;
  models: string;
  testSamples: number;
  backend?: string;
  betas: number[];
  aps: number[];
  pgaSamples: number;
  seed?: number;
  jobs: number;
  cache: string | false;
}

/** Runs `figures gnn`; prints the "Done when" table. Bad input: UsageError / ScenarioError (exit 2). */
export async function commandGnnFigures(o: GnnFiguresCliOptions, startBackend: (name?: string) => Promise<{ tf: typeof import('@tensorflow/tfjs') }>): Promise<number> {
  const loaded = readScenario(o.scenario ?? GNN_DEFAULT_SCENARIO);
  const bad = figureSettingProblem(loaded.scenario);
  if (bad) throw new UsageError(`--scenario ${loaded.file}: ${bad}`);
  if (!o.aps.includes(5)) throw new UsageError(`--aps ${o.aps.join(',')}: must include 5 (the models are trained at M = 5)`);
  checkOutputDir('--out', o.out, { create: true });
  if (o.cache) checkOutputDir('--cache', o.cache, { create: true });
  const { GnnFiguresError, writeGnnFigures } = await import('../app/gnn-figures.ts');
  const { tf } = await startBackend(o.backend);
  try {
    const r = await writeGnnFigures(tf, {
      loaded,
      out: o.out,
      models: o.models,
      samples: o.testSamples,
      seed: o.seed ?? loaded.scenario.seed,
      betas: o.betas,
      aps: o.aps,
      pgaSamples: o.pgaSamples,
      jobs: o.jobs,
      ...(o.cache ? { cache: o.cache } : {}),
      log: (line) => console.log(line),
    });
    if (r.missing.length) console.log(`models missing (rows left out): ${r.missing.map((b) => `β_s = ${b}`).join(', ')} under ${o.models}/gnn-beta<β>`);
    console.log(`\n"Done when" of issue 11 (${o.testSamples} test samples; sensing in log2(1 + SNR), linear and dB beside it):\n`);
    console.log(r.table);
    console.log(`\nwrote ${r.files.join(', ')}`);
    return 0;
  } catch (e) {
    if (e instanceof GnnFiguresError) throw new UsageError(e.message);
    throw e;
  }
}
