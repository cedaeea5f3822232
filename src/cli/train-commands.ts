/**
 * The learned beamformers' entry points into the CLI, kept out of main.ts:
 *   - `isac-twin train <scenario> --method vfl|percell --rho 0.99 …` (datasets, VFL training,
 *     progress bar, early stopping, resume, model store);
 *   - `isac-twin figures vfl --out docs/figures/` (paper 000's Figs. 3–5 as tables and SVG);
 *   - registration of the `vfl` and `percell` policies (importing this module registers them) and a
 *     pre-action hook that initialises the tfjs backend before any command whose scenario or
 *     `--policy` uses them (prints "backend: wasm"), so in-loop inference is fast.
 */
import type { Command } from 'commander';
import type { Scenario } from '../scenario/schema.ts';
import { InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { initBackend, type BackendName } from '../learning/backend.ts';
import { registerFastGradients } from '../learning/fast-gradients.ts';
import { cachedDataset, scenarioHash } from '../learning/dataset.ts';
import { useInferenceBackend } from '../learning/policies.ts';
import { trainIsac, type TrainProgress } from '../learning/train.ts';
import { intOption, readScenario } from './args.ts';

function rhoOpt(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected ρ in [0, 1], got "${v}"`);
  return n;
}

/** Initialises tfjs (preferred or best available), with the fast gradients; prints the backend. */
export async function startBackend(preferred?: string, quiet = false) {
  const b = await initBackend(preferred as BackendName | undefined);
  registerFastGradients(b.tf);
  useInferenceBackend(b.tf);
  if (!quiet) console.log(`backend: ${b.name}`);
  return b;
}

const fmtEta = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : '–');

/** Progress as a cli-progress bar on a TTY, plain lines (every 10 s and per epoch) otherwise. */
function trainProgress(totalBatches: number) {
  const tty = Boolean(process.stdout.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'epoch {epoch} |{bar}| batch {b}/{batches} · loss {loss} · val R_c {rc} R_s {rs} · {sps} samples/s · ETA {etaStr}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastLine = -Infinity;
  let done = 0;
  const t0 = performance.now();
  return {
    batch(p: TrainProgress) {
      done++;
      const remaining = totalBatches - (p.epoch * p.batches + p.batch);
      const rate = done / ((performance.now() - t0) / 1000);
      const eta = remaining / rate;
      const payload = {
        epoch: `${p.epoch + 1}/${p.epochs}`,
        b: p.batch,
        batches: p.batches,
        loss: p.loss.toFixed(3),
        rc: Number.isFinite(p.valRc) ? p.valRc.toFixed(2) : '–',
        rs: Number.isFinite(p.valRs) ? p.valRs.toFixed(2) : '–',
        sps: Math.round(p.samplesPerS),
        etaStr: fmtEta(eta),
      };
      if (bar) {
        if (!started) {
          bar.start(totalBatches, 0, payload);
          started = true;
        }
        bar.update(p.epoch * p.batches + p.batch, payload);
      } else if (performance.now() - lastLine > 10_000) {
        lastLine = performance.now();
        console.log(`  epoch ${payload.epoch} batch ${p.batch}/${p.batches} · loss ${payload.loss} · ${payload.sps} samples/s · ETA ${payload.etaStr}`);
      }
    },
    epoch(line: string) {
      if (bar && started) bar.stop(), (started = false);
      console.log(line);
    },
    stop() {
      if (bar && started) bar.stop();
    },
  };
}

interface TrainCliOptions {
  method: 'vfl' | 'percell';
  rho: number;
  epochs: number;
  trainSamples: number;
  testSamples: number;
  batch: number;
  seed?: number;
  out?: string;
  backend?: string;
  patience: number;
  hidden?: number[];
  fresh?: boolean;
}

async function commandTrain(file: string, o: TrainCliOptions): Promise<number> {
  const loaded = readScenario(file);
  const s = loaded.scenario;
  const { tf, name: backend } = await startBackend(o.backend);
  const seed = o.seed ?? s.seed;
  const out = o.out ?? path.join('models', `${s.name}-${o.method}-rho${o.rho}`);
  const hash = scenarioHash(s);
  const t0 = performance.now();
  const train = cachedDataset(s, loaded.topology, o.trainSamples, seed, 'train');
  const test = cachedDataset(s, loaded.topology, o.testSamples, seed, 'test');
  console.log(
    `datasets: ${o.trainSamples} train ${train.cached ? '(cached)' : '(drawn)'} · ${o.testSamples} test ${test.cached ? '(cached)' : '(drawn)'} · scenario hash ${hash} · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`training ${o.method} ρ=${o.rho} on ${s.name}: ${loaded.topology.numBs} BS parties · batch ${o.batch} · up to ${o.epochs} epochs → ${out}`);
  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const batchesPerEpoch = Math.floor((o.trainSamples - Math.round(o.trainSamples * 0.1)) / o.batch);
  const prog = trainProgress(batchesPerEpoch * o.epochs);
  let lastEpoch = 0;
  try {
    const r = await trainIsac(tf, train.dataset, {
      method: o.method,
      rho: o.rho,
      epochs: o.epochs,
      batchSize: o.batch,
      seed,
      outDir: out,
      resume: !o.fresh,
      patience: o.patience,
      hiddenDims: o.hidden,
      backend,
      scenario: s.name,
      scenarioHash: hash,
      clockS: () => performance.now() / 1000,
      shouldStop: () => stop,
      onBatch: (p) => prog.batch(p),
      onEpoch: (c) => {
        lastEpoch = c.epoch;
        prog.epoch(
          `  epoch ${c.epoch}: train loss ${c.trainLoss.toFixed(4)} · val loss ${c.valLoss.toFixed(4)} · val R_c ${c.valRc.toFixed(3)} · R_s ${c.valRs.toFixed(3)} · ${Math.round(c.samplesPerS)} samples/s · ${c.wallS.toFixed(0)} s`,
        );
      },
    });
    prog.stop();
    const m = r.meta;
    console.log(
      `${r.stopped === 'interrupted' ? 'interrupted (resume with the same command)' : r.stopped}: ${m.epochsDone} epochs · best epoch ${m.bestEpoch} · ${m.trainingTimeS.toFixed(0)} s · ${(r.bytesExchanged / 1e6).toFixed(1)} MB exchanged this session → ${out}`,
    );
    return r.stopped === 'interrupted' ? 130 : 0;
  } catch (e) {
    prog.stop();
    // Every finished epoch is checkpointed before the next starts: say what is kept and how to go on.
    const ckpt = path.join(out, 'checkpoint');
    const kept = lastEpoch > 0 && existsSync(path.join(ckpt, 'metadata.json')) ? `\nthe checkpoint of epoch ${lastEpoch} is kept in ${ckpt}; the same command resumes from it` : '';
    console.error(`error: training failed${lastEpoch ? ` after epoch ${lastEpoch}` : ''}: ${e instanceof Error ? e.message : String(e)}${kept}`);
    return 1;
  } finally {
    prog.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Names of every policy a scenario may run: acting, shadows, fallback and nested members. */
function policyNamesOf(spec: { name: string; params?: Record<string, unknown> }): string[] {
  const nested = Object.values(spec.params ?? {}).filter(
    (v): v is { name: string; params?: Record<string, unknown> } => typeof v === 'string' || (typeof v === 'object' && v !== null && 'name' in v),
  );
  return [spec.name, ...nested.flatMap((v) => (typeof v === 'string' ? [v] : policyNamesOf(v)))];
}

/**
 * Starts the tfjs backend when the scenario (after command-line overrides) runs a learned policy,
 * and returns its name ('none' otherwise), for the run row and the dashboard.
 */
export async function backendForScenario(s: Scenario): Promise<string> {
  const names = [s.policy, ...s.shadows, { name: s.timing.decision.fallback, params: {} }].flatMap(policyNamesOf);
  if (!names.some((n) => n === 'vfl' || n === 'percell')) return 'none';
  return (await startBackend(undefined, true)).name;
}

/** Adds `train` and `figures` to the program and the backend hook for learned policies. */
export function registerTrainCommands(program: Command, result: { code: number }): void {
  program
    .command('train')
    .description('train per-BS learned beamformers (VFL or per-cell DL, paper 000) for a scenario')
    .argument('<scenario>', 'scenario YAML file')
    .addOption(new Option('--method <m>', 'vfl (global loss over the backhaul) or percell (own cell only)').choices(['vfl', 'percell']).default('vfl'))
    .option('--rho <ρ>', 'objective weight ρ of ρR_c + (1−ρ)R_s', rhoOpt, 0.99)
    .option('--epochs <n>', 'maximum epochs', intOption(1), 30)
    .option('--train-samples <n>', 'training samples (10 % held out for validation)', intOption(2), 20000)
    .option('--test-samples <n>', 'test samples', intOption(1), 2000)
    .option('--batch <n>', 'batch size', intOption(1), 128)
    .option('--patience <n>', 'early stopping: epochs without validation improvement', intOption(1), 5)
    .option('--hidden <n...>', 'hidden layer widths (default 512 512 512 512)', (v: string, acc: number[] | undefined) => [...(acc ?? []), intOption(1)(v)])
    .option('--seed <n>', 'dataset and training seed (default: the scenario seed)', intOption(0))
    .option('--out <dir>', 'model directory (default models/<scenario>-<method>-rho<ρ>)')
    .option('--fresh', 'ignore a checkpoint in --out and start over')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['tensorflow', 'wasm', 'cpu']))
    .action(async (file: string, o: TrainCliOptions) => {
      result.code = await commandTrain(file, o);
    });
  program
    .command('figures')
    .description('reproduce paper 000 figures (R_c, R_s vs SNR; Pareto) as tables and SVG')
    .argument('<which>', 'vfl')
    .option('--out <dir>', 'output directory', 'docs/figures')
    .option('--scenario <file>', 'scenario the models were trained on', 'scenarios/default.yaml')
    .option('--models <dir>', 'model directory', 'models')
    .option('--test-samples <n>', 'test samples', intOption(1), 2000)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['tensorflow', 'wasm', 'cpu']))
    .action(async (which: string, o: { out: string; scenario: string; models: string; testSamples: number; backend?: string }) => {
      if (which !== 'vfl') throw new InvalidArgumentError(`unknown figure set "${which}" (known: vfl)`);
      const { writeVflFigures } = await import('../learning/figures.ts');
      const { tf } = await startBackend(o.backend);
      result.code = await writeVflFigures(tf, { ...o, scenarioFile: o.scenario, readScenario: readScenario });
    });
}
