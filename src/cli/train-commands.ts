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
import type { LoadedScenario } from '../scenario/validate.ts';
import { InvalidArgumentError, Option } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { initBackend, type BackendName } from '../learning/backend.ts';
import { registerFastGradients } from '../learning/fast-gradients.ts';
import { cachedDataset, DEFAULT_CACHE_DIR, scenarioHash } from '../learning/dataset.ts';
import { familyOf } from '../learning/families.ts';
import { readMetadata, removeDir, type ModelMetadata } from '../learning/model-store.ts';
import { builtinFamilies, resolveModelDir, twinPolicies } from '../learning/policies.ts';
import { loadStudentNets, type StudentNets } from '../learning/paper001/student-policy.ts';
import { trainIsac, type TrainProgress } from '../learning/train.ts';
import { DEFAULT_SCHEDULE } from '../learning/schedule.ts';
import { cellEdgeSnrDb } from '../learning/snr-axis.ts';
import { checkOutputDir, intOption, readScenario, UsageError } from './args.ts';
import { addGnnFigureOptions, commandGnnFigures, type GnnFiguresCliOptions } from './gnn-figures-command.ts';
import { addPrimalDualFigureOptions, commandPrimalDualFigures, type PrimalDualFiguresCliOptions } from '../app/primal-dual-figures.ts';
import { commandTeacherStudentFigures } from './teacher-student-command.ts';
import { registerModelsCommand } from './models-command.ts';

function rhoOpt(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected ρ in [0, 1], got "${v}"`);
  return n;
}

function betaOpt(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1e6)) throw new InvalidArgumentError(`expected β_s ≥ 0, got "${v}"`);
  return n;
}

function snrRangeOpt(v: string): [number, number] {
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 2 || parts.some((x) => v.trim() === '' || !Number.isFinite(x)) || parts[1] < parts[0]) {
    throw new InvalidArgumentError(`expected "lo,hi" in dB with lo ≤ hi (cell-edge SNR), got "${v}"`);
  }
  return [parts[0], parts[1]];
}

function fractionOpt(what: string, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !(n >= 0 && n < max)) throw new InvalidArgumentError(`expected ${what} in [0, ${max}), got "${v}"`);
    return n;
  };
}

function lrOpt(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a step size in (0, 1), got "${v}"`);
  return n;
}

interface VflFiguresCliOptions {
  paper?: boolean;
  vflSnrs?: number[];
  wmmseSamples?: number;
  wmmseIterations?: number;
  nt20Scenario?: string;
  models: string;
  scenario?: string;
  backend?: string;
}

function numberList(v: string): number[] {
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (v.trim() === '' || xs.some((x) => !Number.isFinite(x) || x < -50 || x > 60)) throw new InvalidArgumentError(`expected comma-separated SNRs in dB (−50 … 60), got "${v}"`);
  return [...new Set(xs)].sort((a, b) => a - b);
}

/** Initialises tfjs (preferred or best available), with the fast gradients; prints the backend. */
export async function startBackend(preferred?: string, quiet = false) {
  const b = await initBackend(preferred as BackendName | undefined);
  registerFastGradients(b.tf);
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
  family?: 'vfl' | 'percell' | 'gnn';
  method?: 'vfl' | 'percell';
  force?: boolean;
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
  workers?: number;
  /** gnn: β_s of paper 004's objective, Adam's initial step, held-out validation samples. */
  beta?: number;
  lr?: number;
  validationSamples?: number;
  /** vfl/percell: input features, per-sample SNR spread, lr schedule and smoothed early stopping. */
  features?: 'rms' | 'log-gain';
  snrRange?: [number, number];
  lrSchedule?: 'constant' | 'cosine' | 'plateau';
  minDelta?: number;
  smoothing?: number;
  /** Options left at their defaults (the gnn family has the paper's own). */
  defaults?: Set<string>;
}

/**
 * An existing finished model is never overwritten silently (false: refused, said on stderr);
 * with --force it is removed; an unfinished one stays, to be resumed.
 */
function claimModelDir(out: string, force: boolean | undefined): boolean {
  if (!existsSync(path.join(out, 'metadata.json'))) return true;
  let finished = true;
  try {
    finished = readMetadata(out).finished;
  } catch {
    finished = true;
  }
  if (!finished) return true;
  if (!force) {
    console.error(`error: ${out} already holds a trained model; choose another --out, or add --force to replace it`);
    return false;
  }
  removeDir(out);
  return true;
}

/** Trained models go here unless --out says otherwise (git-ignored, so shipped models are never overwritten). */
export const DEFAULT_TRAIN_DIR = path.join('twin-runs', 'models');

async function commandTrain(file: string, o: TrainCliOptions): Promise<number> {
  if (o.family === 'gnn') return commandTrainGnn(file, o);
  const family = (o.family ?? o.method ?? 'vfl') as 'vfl' | 'percell';
  const loaded = readScenario(file);
  const s = loaded.scenario;
  const seed = o.seed ?? s.seed;
  const out = o.out ?? path.join(DEFAULT_TRAIN_DIR, `${s.name}-${family}-rho${o.rho}`);
  if (!claimModelDir(out, o.force)) return 2;
  const { tf, name: backend } = await startBackend(o.backend);
  const hash = scenarioHash(s);
  const datasetHash = createHash('sha256').update(`${hash}|${seed}|${o.trainSamples}|${o.testSamples}`).digest('hex').slice(0, 16);
  const t0 = performance.now();
  const train = cachedDataset(s, loaded.topology, o.trainSamples, seed, 'train');
  const test = cachedDataset(s, loaded.topology, o.testSamples, seed, 'test');
  console.log(
    `datasets: ${o.trainSamples} train ${train.cached ? '(cached)' : '(drawn)'} · ${o.testSamples} test ${test.cached ? '(cached)' : '(drawn)'} · scenario hash ${hash} · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  // percell's models are independent: one worker thread per core (at most one per BS) unless --workers says otherwise
  const legacyFeatures = (o.features ?? 'rms') === 'rms' && !o.snrRange;
  const workers = family === 'percell' && backend !== 'tensorflow' && legacyFeatures ? Math.min(o.workers ?? availableParallelism(), loaded.topology.numBs) : 1;
  const baseSnrDb = cellEdgeSnrDb(s, loaded.topology);
  if (o.snrRange) console.log(`SNR spread: cell-edge SNR uniform in [${o.snrRange[0]}, ${o.snrRange[1]}] dB per sample (scenario's own: ${baseSnrDb.toFixed(1)} dB) · features ${o.features ?? 'rms'}`);
  if (family === 'percell' && !legacyFeatures && (o.workers ?? 1) > 1) console.log('note: --workers needs the rms features without --snr-range; training in process');
  console.log(
    `training ${family} ρ=${o.rho} on ${s.name}: ${loaded.topology.numBs} BS parties · batch ${o.batch} · up to ${o.epochs} epochs${workers > 1 ? ` · ${workers} worker threads` : ''} → ${out}`,
  );
  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const batchesPerEpoch = Math.floor((o.trainSamples - Math.round(o.trainSamples * 0.1)) / o.batch);
  const prog = trainProgress(batchesPerEpoch * o.epochs);
  let lastEpoch = 0;
  try {
    const r = await trainIsac(tf, train.dataset, {
      method: family,
      datasetHash,
      codeVersion: packageVersion(),
      rho: o.rho,
      epochs: o.epochs,
      batchSize: o.batch,
      seed,
      outDir: out,
      resume: !o.fresh,
      patience: o.patience,
      hiddenDims: o.hidden,
      ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
      ...(o.features ? { features: o.features } : {}),
      ...(o.snrRange ? { snrRangeDb: o.snrRange, baseSnrDb } : {}),
      ...(o.lrSchedule || o.minDelta !== undefined || o.smoothing !== undefined
        ? {
            schedule: {
              lrSchedule: o.lrSchedule ?? DEFAULT_SCHEDULE.lrSchedule,
              plateauFactor: DEFAULT_SCHEDULE.plateauFactor,
              plateauPatience: DEFAULT_SCHEDULE.plateauPatience,
              minLrRatio: DEFAULT_SCHEDULE.minLrRatio,
              minDelta: o.minDelta ?? DEFAULT_SCHEDULE.minDelta,
              smoothing: o.smoothing ?? DEFAULT_SCHEDULE.smoothing,
            },
          }
        : {}),
      backend,
      scenario: s.name,
      scenarioHash: hash,
      clockS: () => performance.now() / 1000,
      workers,
      datasetFile: train.file,
      shouldStop: () => stop,
      onBatch: (p) => prog.batch(p),
      onEpoch: (c) => {
        lastEpoch = c.epoch;
        prog.epoch(
          `  epoch ${c.epoch}: train loss ${c.trainLoss.toFixed(4)} · val loss ${c.valLoss.toFixed(4)}${c.smoothedValLoss !== undefined ? ` (smoothed ${c.smoothedValLoss.toFixed(4)})` : ''} · val R_c ${c.valRc.toFixed(3)} · R_s ${c.valRs.toFixed(3)}${c.lr !== undefined ? ` · lr ${c.lr.toExponential(2)}` : ''} · ${Math.round(c.samplesPerS)} samples/s · ${c.wallS.toFixed(0)} s`,
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

/**
 * `train <scenario> --family gnn --beta β_s`: paper 004's GNN on the scenario's paper-mode setting
 * (M, U, N_t, P_m, σ², c_m from `channel.model: paper`), with the paper's defaults for the options
 * left unset (60 epochs, 100,000 samples, batch 256, widths 4 × 256, Adam 4e-4 with a cosine
 * schedule). Same UX as the MLPs: progress with ETA, early stopping, resume, --force.
 */
async function commandTrainGnn(file: string, o: TrainCliOptions): Promise<number> {
  const loaded = readScenario(file);
  const s = loaded.scenario;
  const topo = loaded.topology;
  if (!topo.paperChannel) {
    console.error(`error: ${file}: channel.model: the gnn family trains on paper 004's i.i.d. setting; set channel.model: paper (it is ${s.channel.model ?? 'geometric'})`);
    return 2;
  }
  if (topo.numTargets !== 1 || topo.numSensingStreams !== 1) {
    console.error(`error: ${file}: ${topo.numTargets !== 1 ? `targets.perCell: gnn senses one target, the scenario has ${topo.numTargets}` : `sensing.streams: gnn needs one sensing stream, the scenario has ${topo.numSensingStreams}`}`);
    return 2;
  }
  const { recordTestResult, trainGnn } = await import('../learning/gnn-train.ts');
  const { paperSensingGain } = await import('../phy/paper-channel.ts');
  const dflt = (key: string, mine: number, paper: number) => (o.defaults?.has(key) ? paper : mine);
  const epochs = dflt('epochs', o.epochs, 60);
  const trainSamples = dflt('trainSamples', o.trainSamples, 100_000);
  const batch = dflt('batch', o.batch, 256);
  const patience = dflt('patience', o.patience, 10);
  const beta = o.beta ?? 0;
  const hidden = o.hidden ?? [256, 256, 256, 256];
  const seed = o.seed ?? s.seed;
  const out = o.out ?? path.join(DEFAULT_TRAIN_DIR, `${s.name}-gnn-beta${beta}`);
  if (!claimModelDir(out, o.force)) return 2;
  const { tf, name: backend } = await startBackend(o.backend);
  const setting = {
    numAps: topo.numBs,
    numUsers: topo.numUsers,
    numTxAnt: topo.numTxAnt,
    channel: topo.paperChannel,
    sensingGain: paperSensingGain(topo.paperChannel, topo.receiveArrayGain ? topo.numRxAnt : 1),
  };
  console.log(
    `training gnn β_s=${beta} on ${s.name}: M=${setting.numAps} U=${setting.numUsers} N_t=${setting.numTxAnt} · widths ${hidden.join('×')} · ${trainSamples} samples · batch ${batch} · up to ${epochs} epochs (cosine) → ${out}`,
  );
  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const prog = trainProgress(Math.floor(trainSamples / batch) * epochs);
  let lastEpoch = 0;
  try {
    const r = await trainGnn(tf, {
      setting,
      betaS: beta,
      hiddenDims: hidden,
      epochs,
      trainSamples,
      validationSamples: o.validationSamples ?? 2000,
      batchSize: batch,
      ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
      patience,
      seed,
      outDir: out,
      resume: !o.fresh,
      cacheDir: DEFAULT_CACHE_DIR,
      backend,
      scenario: s.name,
      scenarioHash: scenarioHash(s),
      codeVersion: packageVersion(),
      clockS: () => performance.now() / 1000,
      shouldStop: () => stop,
      onBatch: (p) => prog.batch(p),
      onEpoch: (c, meta) => {
        lastEpoch = c.epoch;
        const lr = meta.gnn.learningRates.at(-1) ?? NaN;
        prog.epoch(
          `  epoch ${c.epoch}/${epochs}: train loss ${c.trainLoss.toFixed(4)} · val J ${(-c.valLoss).toFixed(4)} · Σ R_u ${c.valRc.toFixed(3)} · log2(1+SNR) ${c.valRs.toFixed(3)} · lr ${lr.toExponential(2)} · ${Math.round(c.samplesPerS)} samples/s · ${c.wallS.toFixed(0)} s`,
        );
      },
    });
    prog.stop();
    const m = r.meta;
    console.log(`${r.stopped === 'interrupted' ? 'interrupted (resume with the same command)' : r.stopped}: ${m.epochsDone} epochs · best epoch ${m.bestEpoch} · ${m.trainingTimeS.toFixed(0)} s → ${out}`);
    if (r.stopped === 'interrupted') return 130;
    const t = recordTestResult(tf, out, setting, o.testSamples, seed);
    console.log(`test (${t.samples} fresh samples, M=${t.numAps}): Σ R_u ${t.sumRate.toFixed(3)} · log2(1+SNR) ${t.sensingRate.toFixed(3)} (bound ${t.sensingRateBound.toFixed(2)}) · SNR ${t.meanSnrDb.toFixed(2)} dB`);
    return 0;
  } catch (e) {
    prog.stop();
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

type Spec = { name: string; params?: Record<string, unknown> };

/** Every policy spec a scenario may run: acting, shadows, fallback and nested members. */
function policySpecsOf(spec: Spec): Spec[] {
  const nested = Object.values(spec.params ?? {}).filter((v): v is string | Spec => typeof v === 'string' || (typeof v === 'object' && v !== null && 'name' in v));
  return [spec, ...nested.flatMap((v) => (typeof v === 'string' ? [{ name: v }] : policySpecsOf(v)))];
}

/**
 * Starts the tfjs backend when the scenario (after command-line overrides) runs a learned policy,
 * and returns its name ('none' otherwise), for the run row and the dashboard.
 */
/**
 * Starts the tfjs backend when the scenario names a learned policy and returns the scenario with
 * a policy registry whose learned policies run on it; `backend` is its name, or 'none'.
 */
export async function withInferenceBackend(loaded: LoadedScenario): Promise<{ loaded: LoadedScenario; backend: string }> {
  const s = loaded.scenario;
  const specs = [s.policy, ...s.shadows, { name: s.timing.decision.fallback, params: {} }].flatMap(policySpecsOf);
  const learned = [...builtinFamilies().names(), 'gnn-split', 'ts-student'];
  if (!specs.some((p) => learned.includes(p.name))) return { loaded, backend: 'none' };
  const b = await startBackend(undefined, true);
  // Paper 001's per-AP networks load asynchronously: before the run, for every ts-student spec.
  const studentNets: StudentNets = new Map();
  for (const p of specs.filter((q) => q.name === 'ts-student')) {
    const model = loaded.policies.definition('ts-student')!.params.parse(p.params ?? {}) as { model: string };
    await loadStudentNets(b.tf, resolveModelDir(model.model), studentNets);
  }
  return { loaded: { ...loaded, policies: twinPolicies({ inferenceTf: b.tf, studentNets }) }, backend: b.name };
}

/** Adds `train` and `figures` to the program and the backend hook for learned policies. */
export function registerTrainCommands(program: Command, result: { code: number }): void {
  program
    .command('train')
    .description('train per-BS learned beamformers (VFL or per-cell DL, paper 000) for a scenario')
    .argument('<scenario>', 'scenario YAML file')
    .addOption(new Option('--family <f>', 'model family: vfl (global loss over the backhaul), percell (own cell only) or gnn (paper 004, a paper-mode scenario); `isac-twin models families`').choices(['vfl', 'percell', 'gnn']))
    .addOption(new Option('--method <m>', 'old name of --family').choices(['vfl', 'percell']).hideHelp())
    .option('--rho <ρ>', 'objective weight ρ of ρR_c + (1−ρ)R_s', rhoOpt, 0.99)
    .option('--epochs <n>', 'maximum epochs', intOption(1), 30)
    .option('--train-samples <n>', 'training samples (10 % held out for validation)', intOption(2), 20000)
    .option('--test-samples <n>', 'test samples', intOption(1), 2000)
    .option('--batch <n>', 'batch size', intOption(1), 128)
    .option('--patience <n>', 'early stopping: epochs without validation improvement', intOption(1), 5)
    .option('--hidden <n...>', 'hidden layer widths (default 512 512 512 512)', (v: string, acc: number[] | undefined) => [...(acc ?? []), intOption(1)(v)])
    .option('--seed <n>', 'dataset and training seed (default: the scenario seed)', intOption(0))
    .option('--out <dir>', 'model directory (default twin-runs/models/<scenario>-<family>-rho<ρ>; models/ holds the shipped ones)')
    .option('--fresh', 'ignore a checkpoint in --out and start over')
    .option('--force', 'replace a finished model in --out')
    .option('--workers <n>', 'percell: train the BS models in n worker threads, same models bit for bit (default: one per core, at most one per BS; vfl trains in process)', intOption(1))
    .option('--beta <β_s>', 'gnn: sensing weight β_s of J = Σ R_u + β_s log2(1 + SNR) (paper 004 eq. 8a)', betaOpt, 0)
    .option('--lr <η>', 'initial Adam step (vfl/percell default 1e-4, Table I; gnn 4e-4 with its cosine schedule)', lrOpt)
    .addOption(new Option('--features <mode>', 'vfl/percell input features: rms (1/RMS-scaled re/im, the older models) or log-gain (per link 10·log10‖h‖² + phase-normalised direction: carries the SNR)').choices(['rms', 'log-gain']))
    .option('--snr-range <lo,hi>', 'vfl/percell: train across cell-edge SNRs, each sample scaled to an SNR uniform in [lo, hi] dB (e.g. 0,30)', snrRangeOpt)
    .addOption(new Option('--lr-schedule <s>', 'vfl/percell: learning-rate schedule (default without this and --min-delta/--smoothing: constant lr, raw-loss early stopping; with either: plateau ×0.5 after 3 flat epochs)').choices(['constant', 'cosine', 'plateau']))
    .option('--min-delta <x>', 'vfl/percell: early stopping counts an epoch as an improvement when the smoothed validation loss drops by more than x·|best| (default 1e-3 with a schedule)', fractionOpt('a relative change', 1))
    .option('--smoothing <a>', 'vfl/percell: EMA factor of the smoothed validation loss, s ← a·s + (1−a)·val (default 0.5 with a schedule)', fractionOpt('an EMA factor', 1))
    .option('--validation-samples <n>', 'gnn: held-out validation samples, drawn from their own seed (default 2000)', intOption(1))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['tensorflow', 'wasm', 'cpu']))
    .action(async (file: string, o: TrainCliOptions, cmd: Command) => {
      if (o.family && o.method && o.family !== o.method) throw new UsageError(`--family ${o.family} and --method ${o.method} (its old name) disagree: give one`);
      o.defaults = new Set(['epochs', 'trainSamples', 'batch', 'patience'].filter((k) => cmd.getOptionValueSource(k) === 'default'));
      result.code = await commandTrain(file, o);
    });
  registerModelsCommand(program, result, DEFAULT_TRAIN_DIR);
  const figures = program
    .command('figures')
    .description('reproduce paper figures as tables and SVG: vfl (paper 000: R_c, R_s vs SNR; Pareto), gnn (paper 004: Figs. 3–4, docs/gnn.md), primal-dual (paper 002: Figs. 4–11, docs/primal-dual.md; --figs), teacher-student (paper 001: Figs. 7, 8, 10, 13, 16, docs/teacher-student.md)')
    .argument('<which>', 'vfl, gnn, primal-dual or teacher-student')
    .option('--out <dir>', 'output directory (created; the committed figures live in docs/figures)', 'twin-runs/figures')
    .option('--scenario <file>', 'scenario the models were trained on (default: scenarios/default.yaml for vfl, scenarios/paper004-m5.yaml for gnn)')
    .option('--models <dir>', 'model directory', 'models')
    .option('--test-samples <n>', 'test samples', intOption(1), 2000)
    .option('--paper', 'vfl: paper 000 at its own setting (scenarios/paper000.yaml, J = 2): Figs. 3–4 over SNR 0–30 dB with INR per point, Fig. 5 at 30 dB, claims table')
    .option('--vfl-snrs <list>', 'vfl --paper: cell-edge SNRs in dB (default 0,10,20,30; Fig. 5 at the highest)', numberList)
    .option('--wmmse-samples <n>', 'vfl: WMMSE (multi-start) on the first n test samples (default: all)', intOption(1))
    .option('--wmmse-iterations <n>', 'vfl --paper: WMMSE iterations per start (default 500)', intOption(1))
    .option('--nt20-scenario <file>', 'vfl --paper: the N_T = 20 scenario of Fig. 5 (default scenarios/paper000-nt20.yaml)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['tensorflow', 'wasm', 'cpu']));
  addPrimalDualFigureOptions(addGnnFigureOptions(figures)).action(async (which: string, o: GnnFiguresCliOptions & PrimalDualFiguresCliOptions & VflFiguresCliOptions) => {
    if (which === 'gnn') {
      result.code = await commandGnnFigures(o, startBackend);
      return;
    }
    if (which === 'teacher-student') {
      checkOutputDir('--out', o.out, { create: true });
      result.code = await commandTeacherStudentFigures(o, startBackend);
      return;
    }
    if (which === 'primal-dual') {
      checkOutputDir('--out', o.out, { create: true });
      result.code = await commandPrimalDualFigures(o, startBackend);
      return;
    }
    if (which !== 'vfl') throw new UsageError(`figures ${which}: unknown figure set (known: vfl, gnn, primal-dual, teacher-student; paper 003's are \`isac-twin localization figures\`)`);
    checkOutputDir('--out', o.out, { create: true });
    if (o.paper) {
      const { writePaperFigures } = await import('../learning/figures-paper.ts');
      const { tf } = await startBackend(o.backend);
      const nt20 = o.nt20Scenario ?? 'scenarios/paper000-nt20.yaml';
      result.code = await writePaperFigures(tf, {
        out: o.out,
        models: o.models,
        testSamples: o.testSamples,
        scenarioFile: o.scenario ?? 'scenarios/paper000.yaml',
        ...(existsSync(nt20) ? { nt20ScenarioFile: nt20 } : {}),
        ...(o.vflSnrs ? { snrsDb: o.vflSnrs } : {}),
        ...(o.wmmseSamples ? { wmmseSamples: o.wmmseSamples } : {}),
        ...(o.wmmseIterations ? { wmmseIterations: o.wmmseIterations } : {}),
        ...(o.cache ? { cache: o.cache } : {}),
        readScenario,
      });
      return;
    }
    const { writeVflFigures } = await import('../learning/figures.ts');
    const { tf } = await startBackend(o.backend);
    result.code = await writeVflFigures(tf, { ...o, ...(o.wmmseSamples ? { wmmseSamples: o.wmmseSamples } : {}), scenarioFile: o.scenario ?? 'scenarios/default.yaml', readScenario: readScenario });
  });
}

/** The package's version (stored with every trained model). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
