/**
 * Paper 003 (coordinated localisation beamforming) on the command line:
 *   isac-twin localization figures [--scenario scenarios/localization.yaml] [--out docs/figures]
 *       [--drops 20] [--first-seed 1] [--gammas 0,4,8,12,16,20] [--powers 20,24,28,32,36,40]
 *       [--gamma 20] [--power 30] [--main-lobe 10] [--jobs N]
 * regenerates Figs. 2–4 (CRLB vs Γ, CRLB vs P, beampattern of BS 1) as CSV, markdown and SVG.
 * Kept out of main.ts: main.ts calls `registerLocalizationCommands(program, result)`.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { writeLocalizationFigures } from '../app/localization-figures.ts';
import { ScenarioError } from '../scenario/load.ts';
import { checkOutputDir, readScenario } from './args.ts';

function intAtLeast(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}

function numberList(value: string): number[] {
  const xs = value.split(',').map((v) => Number(v.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError(`expected comma-separated numbers, got "${value}"`);
  return xs;
}

function finite(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return x;
}

interface FiguresCliOptions {
  scenario: string;
  out: string;
  drops: number;
  firstSeed: number;
  gammas: number[];
  powers: number[];
  gamma: number;
  patternGammas: number[];
  power?: number;
  mainLobe: number;
  grid: number;
  tolerance: number;
  jobs: number;
  quiet?: boolean;
}

/** Adds `localization figures` to the program; the exit code goes to `result.code` (2: bad scenario). */
export function registerLocalizationCommands(program: Command, result: { code: number }): void {
  const loc = program.command('localization').description('paper 003: coordinated beamforming for TOA localisation (CRLB)');
  loc
    .command('figures')
    .description('regenerate paper 003 Figs. 2–4 (CRLB vs Γ, CRLB vs P, beampattern of BS 1) as CSV, markdown and SVG')
    .option('--scenario <file>', 'scenario with a localization: section', 'scenarios/localization.yaml')
    .option('--out <dir>', 'output directory (created; the committed figures live in docs/figures)', 'twin-runs/figures')
    .option('--drops <n>', 'random user drops averaged', intAtLeast(1), 20)
    .option('--first-seed <n>', 'seed of the first drop (drop i uses seed first + i)', intAtLeast(0), 1)
    .option('--gammas <list>', 'Fig. 2: SINR thresholds Γ (dB)', numberList, [0, 4, 8, 12, 16, 20])
    .option('--powers <list>', 'Fig. 3: transmit powers P (dBm)', numberList, [20, 24, 28, 32, 36, 40])
    .option('--gamma <dB>', 'Γ of Figs. 3 and 4', finite, 20)
    .option('--pattern-gammas <list>', 'Fig. 4 also at these Γ (dB)', numberList, [10, 0])
    .option('--power <dBm>', 'P of Figs. 2 and 4 (default: the scenario’s txPowerDbm)', finite)
    .option('--main-lobe <deg>', 'beampattern baseline: desired main-lobe width', finite, 10)
    .option('--grid <deg>', 'beampattern baseline: angle grid', finite, 0.5)
    .option('--tolerance <x>', 'interior-point tolerance', finite, 1e-9)
    .option('--jobs <n>', 'worker threads', intAtLeast(1), Math.max(1, Math.min(8, availableParallelism())))
    .option('--quiet', 'print only the summary')
    .action(async (o: FiguresCliOptions) => {
      let loaded;
      try {
        loaded = readScenario(o.scenario);
      } catch (e) {
        if (e instanceof ScenarioError) {
          console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
          result.code = 2;
          return;
        }
        throw e;
      }
      if (!loaded.topology.localization) {
        console.error(`error: ${o.scenario}: the scenario has no localization: section`);
        result.code = 2;
        return;
      }
      checkOutputDir('--out', o.out, { create: true });
      const md = await writeLocalizationFigures(loaded, {
        out: o.out,
        drops: o.drops,
        firstSeed: o.firstSeed,
        jobs: o.jobs,
        grid: {
          gammasDb: o.gammas,
          powersDbm: o.powers,
          gammaDb: o.gamma,
          patternGammasDb: [o.gamma, ...o.patternGammas.filter((g) => g !== o.gamma)],
          powerDbm: o.power ?? loaded.scenario.topology.txPowerDbm,
          mainLobeDeg: o.mainLobe,
          gridDeg: o.grid,
          tolerance: o.tolerance,
        },
        log: o.quiet ? undefined : (line) => console.error(line),
      });
      console.log(md);
      result.code = 0;
    });
}
