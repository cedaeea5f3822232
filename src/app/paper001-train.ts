/**
 * Paper 001's network trainings at the edge (docs/teacher-student.md §6): the jobs (which network,
 * layout, N, role, budgets), their folders under models/paper001-<id>/, a checkpoint after every
 * epoch and resuming from it, and the §8.3 selection at the end. The training itself is
 * src/learning/paper001/networks.ts (pure); this file only does the I/O around it.
 *
 *   models/paper001-<id>/metadata.json     family, dims, data hashes, seeds, budgets vs the paper,
 *                                          curve, selection, wall time (updated every epoch)
 *   models/paper001-<id>/selected/ap<l>/   the selected epoch's networks (the shipped model)
 *   models/paper001-<id>/checkpoint/       last epoch: ap<l>/, optimizer.*, state.json (not shipped)
 *   models/paper001-<id>/epochs/e<k>/      every epoch §8.3 may still select (not shipped)
 *
 * Resume: run the same job again (scripts/paper001-train.ts); it continues from checkpoint/ with
 * the same shuffles, λ and learning rates. A finished job is skipped.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { loadLayersModel, loadOptimizer, saveLayersModel, saveOptimizer } from '../learning/model-store.ts';
import { paper001Samples, type Paper001Layout } from '../learning/paper001/data.ts';
import {
  buildPaper001Nets,
  freshAdam,
  trainPaper001Nets,
  undominatedEpochs,
  type Paper001Data,
  type Paper001NetSpec,
  type Paper001TrainState,
  type TrainingMode,
} from '../learning/paper001/networks.ts';
import { LAMBDA_RULE, selectEpoch } from '../learning/paper001/student.ts';
import { paper001Config, ssnrBound, type Paper001Config } from '../learning/paper001/system.ts';
import { optimiseTeacher, SINR_TEACHER } from '../learning/paper001/teachers.ts';
import type { ApNetKind } from '../learning/layers/ap-nets.ts';
import { readNetsMetadataAs } from '../learning/paper001/nets-metadata.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export type Paper001Role = 'ssnr-teacher' | 'sinr-teacher' | 'student';

export interface Paper001Job {
  id: string;
  role: Paper001Role;
  layout: Paper001Layout;
  users: number;
  net: Paper001NetSpec;
  trainSamples: number;
  trainSeed: number;
  /** The validation set: the first valSamples of seed valSeed (the benchmark's samples of docs §4 at seed 2024). */
  valSamples: number;
  valSeed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Student only: training samples the per-sample SINR teacher labels for ĝ₂. */
  teacherSamples?: number;
}

/** The paper's budgets (§8), for the metadata and the docs. */
export const PAPER_BUDGET = Object.freeze({
  samples: 20000,
  trainShare: 0.97,
  ssnrTeacherEpochs: 100,
  sinrTeacherEpochs: 1000,
  sinrTeacherPatience: 100,
  studentSamplesN8: 80000,
  batchSize: 500,
  learningRate: 0.01,
  plateau: { patience: 10, factor: 10 },
});

const UNET_F3: Paper001NetSpec = { kind: 'unet', filter: 3, seed: 1 };
const common = { net: UNET_F3, trainSeed: 1, valSamples: 200, valSeed: 2024, batchSize: 500, learningRate: 0.01 } as const;

/**
 * The jobs of docs/teacher-student.md §6 (≈ 60 min of one core at nice 10 in all: one U-Net F3
 * step of both APs at batch 500 measured at 5.5 s (N = 5) on a quiet core, 8–10 s beside another
 * session's job): teachers for Pos-1 N = 5, students for Pos-2 N = 2, 5, 8, all U-Net F3, 2,000
 * training samples (4 batches of 500).
 */
export const PAPER001_JOBS: readonly Paper001Job[] = Object.freeze([
  { id: 'ssnr-teacher-pos1-n5', role: 'ssnr-teacher', layout: 'pos-1', users: 5, trainSamples: 2000, epochs: 20, ...common },
  { id: 'sinr-teacher-pos1-n5', role: 'sinr-teacher', layout: 'pos-1', users: 5, trainSamples: 2000, epochs: 30, ...common },
  { id: 'student-pos2-n2', role: 'student', layout: 'pos-2', users: 2, trainSamples: 2000, epochs: 30, teacherSamples: 256, ...common },
  { id: 'student-pos2-n5', role: 'student', layout: 'pos-2', users: 5, trainSamples: 2000, epochs: 20, teacherSamples: 256, ...common },
  // batch 250 at N = 8: a step at 500 overruns the wasm heap (RuntimeError: memory access out of
  // bounds from N = 7 on; 250 runs), so twice the steps per epoch — a deviation from the paper's 500
  { id: 'student-pos2-n8', role: 'student', layout: 'pos-2', users: 8, trainSamples: 2000, epochs: 12, teacherSamples: 256, ...common, batchSize: 250 },
] as Paper001Job[]);

export function jobDir(modelsDir: string, job: Paper001Job): string {
  return path.join(modelsDir, `paper001-${job.id}`);
}

export interface Paper001NetsMetadata {
  format: 'isac-twin/paper001-nets';
  version: 1;
  family: string;
  job: Paper001Job;
  dims: { numAps: number; numTxAnt: number; numUsers: number; inputShape: number[]; parameters: number };
  data: { layout: Paper001Layout; trainHash: string; trainSeed: number; trainSamples: number; valHash: string; valSeed: number; valSamples: number };
  mode: TrainingMode;
  /** Student: how ĝ₁, ĝ₂ were obtained. */
  teacherScores?: { gMax: [number, number]; source: string };
  budget: { epochs: number; samples: number; paper: string };
  ssnrBound: number;
  backend: string;
  state: Paper001TrainState;
  /** §8.3's selection over the epochs so far (provisional while the job is unfinished). */
  selection: { epoch: number; minSinr: number; ssnr: number; best: number; cut: number; qualifying: number; provisional: boolean } | null;
  trainingTimeS: number;
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(`${file}.partial`, JSON.stringify(value, null, 1) + '\n');
  renameSync(`${file}.partial`, file);
}

export const readNetsMetadata = (dir: string): Paper001NetsMetadata => readNetsMetadataAs<Paper001NetsMetadata>(dir);

export async function loadNets(tf: Tf, dir: string, numAps: number): Promise<LayersModel[]> {
  const nets: LayersModel[] = [];
  for (let l = 0; l < numAps; l++) nets.push(await loadLayersModel(tf, path.join(dir, `ap${l}`)));
  return nets;
}

async function saveNets(tf: Tf, nets: LayersModel[], dir: string): Promise<void> {
  for (let l = 0; l < nets.length; l++) await saveLayersModel(tf, nets[l], path.join(dir, `ap${l}`));
}

export function dataOf(config: Paper001Config, layout: Paper001Layout, n: number, seed: number): { data: Paper001Data; hash: string } {
  const ds = paper001Samples(config, layout, n, seed);
  return { data: { H: ds.data.H, G: ds.data.G, n: ds.n }, hash: ds.hash };
}

function budgetText(job: Paper001Job): string {
  const p = PAPER_BUDGET;
  const paperEpochs = job.role === 'ssnr-teacher' ? `${p.ssnrTeacherEpochs} epochs` : job.role === 'sinr-teacher' ? `≤ ${p.sinrTeacherEpochs} epochs, early stopping patience ${p.sinrTeacherPatience}` : 'epochs not stated (the N = 8 example selects epoch 222)';
  const paperSamples = job.role === 'student' && job.users === 8 ? `${p.studentSamplesN8} samples` : `${p.samples} samples (97 % training)`;
  return `paper: ${paperSamples}, ${paperEpochs}, batch ${p.batchSize}; here ${job.trainSamples} training samples (${Math.floor(job.trainSamples / job.batchSize)} batches), ${job.epochs} epochs, batch ${job.batchSize}, validation ${job.valSamples} samples of seed ${job.valSeed}`;
}

export interface RunJobOptions {
  modelsDir: string;
  backend: string;
  clockS: () => number;
  /** Train at most this many epochs in all this time (round-robin schedules); the job stays resumable. */
  epochCap?: number;
  log?: (line: string) => void;
}

/** Runs (or resumes, or skips when finished) one job. */
export async function runPaper001Job(tf: Tf, job: Paper001Job, o: RunJobOptions): Promise<Paper001NetsMetadata> {
  const dir = jobDir(o.modelsDir, job);
  const log = o.log ?? (() => {});
  const config = paper001Config(job.users);
  const metaFile = path.join(dir, 'metadata.json');
  const previous = existsSync(metaFile) ? readNetsMetadata(dir) : null;
  // the same job, or the same with more epochs (an extension continues from the checkpoint)
  if (previous && (JSON.stringify({ ...previous.job, epochs: 0 }) !== JSON.stringify({ ...job, epochs: 0 }) || job.epochs < previous.state.epochsDone)) {
    throw new Error(`${dir}: holds job ${JSON.stringify(previous.job)} (${previous.state.epochsDone} epochs done), not ${JSON.stringify(job)}; remove the folder to retrain`);
  }
  const extended = previous !== null && previous.state.stopped === 'finished' && job.epochs > previous.state.epochsDone;
  if (previous && previous.state.stopped !== 'running' && previous.selection && !extended) {
    log(`${job.id}: ${previous.state.stopped} (${previous.state.epochsDone} epochs), skipped`);
    return previous;
  }
  mkdirSync(dir, { recursive: true });
  const train = dataOf(config, job.layout, job.trainSamples, job.trainSeed);
  const val = dataOf(config, job.layout, job.valSamples, job.valSeed);
  let mode: TrainingMode;
  let teacherScores: Paper001NetsMetadata['teacherScores'];
  if (job.role === 'student') {
    if (previous?.teacherScores) {
      teacherScores = previous.teacherScores;
    } else {
      const n = job.teacherSamples ?? 256;
      const t0 = o.clockS();
      const { numAps: L, numUsers: N, numTxAnt: M } = config;
      const r = optimiseTeacher(tf, config, train.data.H.subarray(0, n * L * N * 2 * M), train.data.G.subarray(0, n * L * 2 * M), SINR_TEACHER);
      const g2 = r.objective.reduce((s, x) => s + x, 0) / n;
      teacherScores = {
        gMax: [ssnrBound(config), g2],
        source: `ĝ₁ = the SSNR teacher's score c·M·ΣP_l = ${ssnrBound(config)} (reached on every sample, docs §2); ĝ₂ = mean min-SINR of the per-sample SINR teacher (teachers.ts SINR_TEACHER) on the first ${n} training samples (${(o.clockS() - t0).toFixed(0)} s)`,
      };
      log(`${job.id}: ${teacherScores.source}: ĝ₂ = ${g2.toFixed(4)}`);
    }
    mode = { role: 'student', gMax: teacherScores.gMax, lambda0: LAMBDA_RULE.lambda0, epsilon: LAMBDA_RULE.epsilon };
  } else {
    mode = { role: 'teacher', beta: job.role === 'ssnr-teacher' ? 0 : 1 };
  }
  const ckpt = path.join(dir, 'checkpoint');
  let nets: LayersModel[];
  let resume: Paper001TrainState | undefined;
  const adamLr = previous?.state.learningRate ?? job.learningRate;
  if (previous && existsSync(path.join(ckpt, 'state.json'))) {
    // rebuilt (the fused BatchNorm layer of ap-nets.ts; a loaded file has the stock class, which
    // trains through tf.moments: slower and rounded differently) and given the checkpoint's weights
    nets = buildPaper001Nets(tf, config, job.net);
    const loaded = await loadNets(tf, ckpt, config.numAps);
    loaded.forEach((m, l) => {
      nets[l].setWeights(m.getWeights());
      m.dispose();
    });
    resume = JSON.parse(readFileSync(path.join(ckpt, 'state.json'), 'utf8')) as Paper001TrainState;
    if (extended) resume.stopped = 'running';
    log(`${job.id}: resuming after epoch ${resume.epochsDone}`);
  } else {
    nets = buildPaper001Nets(tf, config, job.net);
  }
  const adam = freshAdam(tf, nets, adamLr);
  if (resume) await loadOptimizer(tf, adam, ckpt);
  const meta: Paper001NetsMetadata = {
    format: 'isac-twin/paper001-nets',
    version: 1,
    family: `paper001-${job.role}`,
    job,
    dims: { numAps: config.numAps, numTxAnt: config.numTxAnt, numUsers: config.numUsers, inputShape: nets[0].inputs[0].shape.slice(1) as number[], parameters: nets.reduce((s, n) => s + n.countParams(), 0) },
    data: { layout: job.layout, trainHash: train.hash, trainSeed: job.trainSeed, trainSamples: job.trainSamples, valHash: val.hash, valSeed: job.valSeed, valSamples: job.valSamples },
    mode,
    ...(teacherScores ? { teacherScores } : {}),
    budget: { epochs: job.epochs, samples: job.trainSamples, paper: budgetText(job) },
    ssnrBound: ssnrBound(config),
    backend: o.backend,
    state: resume ?? previous?.state ?? ({} as Paper001TrainState),
    selection: null,
    trainingTimeS: resume?.trainingTimeS ?? 0,
  };
  const epochsDir = path.join(dir, 'epochs');
  const onEpoch = async (state: Paper001TrainState, a: typeof adam, rec: { epoch: number }) => {
    // the epoch's nets, if §8.3 may still select it; prune the dominated ones
    await saveNets(tf, nets, path.join(epochsDir, `e${rec.epoch}`));
    const keep = undominatedEpochs(state.curve);
    for (const d of existsSync(epochsDir) ? readdirSync(epochsDir) : []) if (!keep.has(Number(d.slice(1)))) rmSync(path.join(epochsDir, d), { recursive: true, force: true });
    // checkpoint: written beside, then swapped in
    const next = `${ckpt}.next`;
    rmSync(next, { recursive: true, force: true });
    await saveNets(tf, nets, next);
    await saveOptimizer(a, next);
    writeJson(path.join(next, 'state.json'), state);
    rmSync(`${ckpt}.old`, { recursive: true, force: true });
    if (existsSync(ckpt)) renameSync(ckpt, `${ckpt}.old`);
    renameSync(next, ckpt);
    rmSync(`${ckpt}.old`, { recursive: true, force: true });
    meta.state = state;
    meta.trainingTimeS = state.trainingTimeS;
    writeJson(metaFile, meta);
  };
  writeJson(metaFile, meta);
  log(`${job.id}: ${meta.budget.paper}; ${meta.dims.parameters} parameters over ${config.numAps} APs`);
  const { state } = await trainPaper001Nets(tf, {
    config,
    kind: job.net.kind as ApNetKind,
    nets,
    mode,
    train: train.data,
    val: val.data,
    epochs: job.epochs,
    ...(o.epochCap !== undefined ? { stopAfter: o.epochCap } : {}),
    batchSize: job.batchSize,
    learningRate: job.learningRate,
    plateau: PAPER_BUDGET.plateau,
    ...(job.role === 'sinr-teacher' ? { earlyStopPatience: PAPER_BUDGET.sinrTeacherPatience } : {}),
    seed: job.trainSeed,
    clockS: o.clockS,
    adam,
    ...(resume ? { resume } : {}),
    onEpoch,
    log: (line) => log(`${job.id}: ${line}`),
  });
  // §8.3 selection (the student); the teachers: the teacher's own criterion picks by the same rule
  // at θ = 1 for the SINR teacher (best validation min-SINR) and the best SSNR for the SSNR teacher
  // (among the epochs kept on disk: the same choice, since a dominated epoch is never selected)
  if (state.curve.length === 0) {
    for (const n of nets) n.dispose();
    return meta;
  }
  const kept = undominatedEpochs(state.curve);
  const curve = state.curve.filter((e) => kept.has(e.epoch));
  const sel =
    job.role === 'student'
      ? selectEpoch(curve, 0.94)
      : job.role === 'sinr-teacher'
        ? selectEpoch(curve, 1)
        : selectEpoch(curve.map((e) => ({ ...e, minSinr: e.ssnr, ssnr: e.ssnr })), 1e-9);
  const chosen = curve.find((e) => e.epoch === sel.selected.epoch)!;
  const selectedDir = path.join(dir, 'selected');
  rmSync(selectedDir, { recursive: true, force: true });
  cpSync(path.join(epochsDir, `e${chosen.epoch}`), selectedDir, { recursive: true });
  meta.state = state;
  meta.selection = { epoch: chosen.epoch, minSinr: chosen.minSinr, ssnr: chosen.ssnr, best: sel.best, cut: sel.cut, qualifying: sel.qualifying, provisional: state.stopped === 'running' };
  meta.trainingTimeS = state.trainingTimeS;
  writeJson(metaFile, meta);
  log(`${job.id}: ${state.stopped} after ${state.epochsDone} epochs, ${state.trainingTimeS.toFixed(0)} s; selected epoch ${chosen.epoch} (val min-SINR ${chosen.minSinr.toFixed(4)}, SSNR ${chosen.ssnr.toFixed(4)})`);
  for (const n of nets) n.dispose();
  return meta;
}
