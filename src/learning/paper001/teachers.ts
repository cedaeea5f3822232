/**
 * Paper 001's teachers as per-sample optimisers (docs/teacher-student.md §Teachers).
 *
 * The paper trains two networks on the teacher loss (10), L_t^(β) = −[(1−β) g₁ + β g₂]: the SSNR
 * teacher (β = 0) and the SINR teacher (β = 1); their outputs are normalised per AP over all N+1
 * beams, w̄_l = √P_l Ω_l/‖Ω_l‖ (eqs. 17–18). The networks themselves are layers/ap-nets.ts; here
 * the same loss is maximised by Adam directly over the raw outputs Ω of every sample (a "network"
 * of unlimited capacity): what a teacher can at best reach on a sample, and labels for supervised
 * or distillation training through labels.ts (`teacherDataset`).
 *
 *   β = 0  g₁ = SSNR is a convex quadratic on each AP's sphere ‖W̄_l‖_F² = P_l: its maximum is every
 *          beam ∥ a(θ_l), SSNR = c M Σ_l P_l (3.2; notes §8 item 17), which the optimiser reaches.
 *   β > 0  g₂ = min_n SINR_n is non-smooth: the optimiser ascends a soft-min, −τ s log Σ_n e^{−γ_n/(τ s)}
 *          with s the sample's current hard minimum (held constant in the gradient) and the relative
 *          softness τ annealed geometrically from `softness[0]` to `softness[1]`; the returned beams are
 *          the iterate with the best hard objective (1−β)g₁ + βg₂ seen at the evaluation points.
 *
 * Every formula is losses.ts's (commSinrTf, minSinrTf, multistaticSnrTf, normalisePerAp); the
 * returned values are re-evaluated in float64 by the twin's metrics (system.ts Paper001Evaluator).
 */
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { commSinrTf, minSinrTf, multistaticSnrTf, normalisePerAp, sceneOf, type LossScene, type Tf } from '../losses.ts';
import { labelledDataset, labelledDatasetHash, labelledDatasetPath, sampleField, teacherLabels, type LabelledDataset } from '../labels.ts';
import { existsSync } from 'node:fs';
import type { Beamformers } from '../../phy/network.ts';
import { paper001Generator, paper001Samples, instanceOfSample, type Paper001Layout, type Paper001Sample } from './data.ts';
import { beamsFromDense, paper001Topology, Paper001Evaluator, type Paper001Config } from './system.ts';

/** The scene of the paper's network for losses.ts (dense beams [B, L, N+1, 2M]; every AP carries every stream). */
export function paper001Scene(config: Paper001Config): LossScene {
  return sceneOf(paper001Topology(config));
}

export interface TeacherOptions {
  /** β of loss (10): 0 the SSNR teacher, 1 the SINR teacher. */
  beta: number;
  /** Adam iterations. */
  steps: number;
  /** Adam's learning rate on Ω (whose per-AP norm starts at 1), decayed geometrically from [0] to [1]. */
  learningRate: [number, number];
  /** Relative soft-min softness τ, annealed geometrically from [0] to [1] (β > 0 only). */
  softness: [number, number];
  /** Evaluate the hard objective every this many steps (and at the end) to keep the best iterate. */
  evalEvery: number;
  /** Samples optimised together (one tf graph; they do not interact). */
  chunk: number;
}

export const SSNR_TEACHER: TeacherOptions = Object.freeze({ beta: 0, steps: 300, learningRate: [0.05, 0.005] as [number, number], softness: [0.05, 0.05] as [number, number], evalEvery: 50, chunk: 256 });
export const SINR_TEACHER: TeacherOptions = Object.freeze({ beta: 1, steps: 1000, learningRate: [0.05, 0.002] as [number, number], softness: [0.05, 0.002] as [number, number], evalEvery: 50, chunk: 256 });

/** The start Ω of the optimiser: conjugate beams, w_ln ∝ h_ln and w_ls ∝ a(θ_l), equal power per beam (MRT, see baselines.ts). */
function conjugateStart(config: Paper001Config, H: Float32Array, G: Float32Array, B: number): Float32Array {
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const per = 2 * (N + 1) * M;
  const out = new Float32Array(B * L * per);
  for (let b = 0; b < B; b++) {
    for (let l = 0; l < L; l++) {
      const o = (b * L + l) * per;
      for (let n = 0; n <= N; n++) {
        const src = n < N ? H.subarray(((b * L + l) * N + n) * 2 * M, ((b * L + l) * N + n + 1) * 2 * M) : G.subarray((b * L + l) * 2 * M, (b * L + l + 1) * 2 * M);
        let s = 0;
        for (const x of src) s += x * x;
        const k = 1 / Math.sqrt(s * (N + 1)); // unit norm per AP, equal over the N+1 rows
        for (let i = 0; i < 2 * M; i++) out[o + n * 2 * M + i] = k * src[i];
      }
    }
  }
  return out;
}

export interface TeacherResult {
  /** [B, L, N+1, 2M] normalised beams (float32, losses.ts's dense layout). */
  W: Float32Array;
  /** [B] hard objective (1−β)g₁ + βg₂ of W in float32 (tf), at the best evaluation. */
  objective: Float32Array;
}

/**
 * Maximises (1−β)g₁ + βg₂ over the per-AP normalised beams of every sample: H [B, L, N, 2M],
 * G [B, 1, L, 2M] (paper001 dataset fields, concatenated). Pure given the inputs (Adam from a
 * deterministic start; no randomness).
 */
export function optimiseTeacher(tf: Tf, config: Paper001Config, H: Float32Array, G: Float32Array, o: TeacherOptions): TeacherResult {
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const per = L * (N + 1) * 2 * M;
  const B = H.length / (L * N * 2 * M);
  if (!Number.isInteger(B) || G.length !== B * L * 2 * M) throw new RangeError(`optimiseTeacher: H has ${H.length} floats and G ${G.length}, not B·L·N·2M and B·L·2M for one B (L=${L}, N=${N}, M=${M})`);
  if (!(o.beta >= 0 && o.beta <= 1)) throw new RangeError(`optimiseTeacher: beta must be in [0, 1], got ${o.beta}`);
  const scene = paper001Scene(config);
  const W = new Float32Array(B * per);
  const objective = new Float32Array(B);
  for (let start = 0; start < B; start += o.chunk) {
    const b = Math.min(o.chunk, B - start);
    const h = H.subarray(start * L * N * 2 * M, (start + b) * L * N * 2 * M);
    const g = G.subarray(start * L * 2 * M, (start + b) * L * 2 * M);
    const res = optimiseChunk(tf, scene, config, h, g, b, o);
    W.set(res.W, start * per);
    objective.set(res.objective, start);
  }
  return { W, objective };
}

function optimiseChunk(tf: Tf, scene: LossScene, config: Paper001Config, h: Float32Array, g: Float32Array, B: number, o: TeacherOptions): TeacherResult {
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const per = L * (N + 1) * 2 * M;
  const Ht = tf.tensor4d(h, [B, L, N, 2 * M]);
  const Gt = tf.tensor4d(g, [B, 1, L, 2 * M]);
  const omega: Variable = tf.variable(tf.tensor4d(conjugateStart(config, h, g, B), [B, L, N + 1, 2 * M]));
  // Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) with the decaying step of the options
  const m1 = tf.variable(tf.zerosLike(omega));
  const m2 = tf.variable(tf.zerosLike(omega));
  const best = new Float32Array(B).fill(-Infinity);
  const bestW = new Float32Array(B * per);
  const beta = o.beta;

  /** Per-sample [B] hard objective and the normalised beams (for evaluation). */
  const hardObjective = (): { obj: Float32Array; W: Float32Array } =>
    tf.tidy(() => {
      const Wn = normalisePerAp(tf, scene, omega);
      const ssnr = tf.sum(multistaticSnrTf(tf, Gt, Wn), -1);
      const minSinr = minSinrTf(tf, commSinrTf(tf, scene, Ht, Wn));
      const obj = tf.add(tf.mul(ssnr, 1 - beta), tf.mul(minSinr, beta));
      return { obj: obj.dataSync() as Float32Array, W: Wn.dataSync() as Float32Array };
    });

  const keepBest = () => {
    const { obj, W } = hardObjective();
    for (let i = 0; i < B; i++) {
      if (obj[i] > best[i]) {
        best[i] = obj[i];
        bestW.set(W.subarray(i * per, (i + 1) * per), i * per);
      }
    }
  };

  const [tau0, tau1] = o.softness;
  const [lr0, lr1] = o.learningRate;
  // per-sample scale of the soft-min: the current hard min, refreshed every 10 steps outside the
  // gradient tape (a constant to the optimiser)
  let scale: Tensor | null = null;
  const refreshScale = () => {
    scale?.dispose();
    scale = tf.tidy(() => tf.expandDims(tf.maximum(minSinrTf(tf, commSinrTf(tf, scene, Ht, normalisePerAp(tf, scene, omega))), 1e-6), -1));
  };
  for (let step = 0; step < o.steps; step++) {
    if (beta > 0 && step % 10 === 0) refreshScale();
    const frac = o.steps > 1 ? step / (o.steps - 1) : 1;
    const tau = tau0 * (tau1 / tau0) ** frac;
    const lr = lr0 * (lr1 / lr0) ** frac;
    const cost = () =>
      tf.tidy(() => {
        const Wn = normalisePerAp(tf, scene, omega);
        let total: Tensor = tf.scalar(0);
        if (beta < 1) total = tf.add(total, tf.mul(tf.sum(multistaticSnrTf(tf, Gt, Wn)), 1 - beta));
        if (beta > 0) {
          const sinr = commSinrTf(tf, scene, Ht, Wn); // [B, N]
          // soft-min of γ/s with softness τ, times s ([B, 1], no gradient)
          const s = scale as unknown as Tensor;
          const soft = tf.mul(minSinrTf(tf, tf.div(sinr, s), tau), tf.squeeze(s, [-1]));
          total = tf.add(total, tf.mul(tf.sum(soft), beta));
        }
        return tf.neg(total) as Scalar;
      });
    tf.tidy(() => {
      const { grads } = tf.variableGrads(cost, [omega]);
      const gr = grads[omega.name];
      const t = step + 1;
      m1.assign(tf.add(tf.mul(m1, 0.9), tf.mul(gr, 0.1)));
      m2.assign(tf.add(tf.mul(m2, 0.999), tf.mul(tf.square(gr), 0.001)));
      const mhat = tf.div(m1, 1 - 0.9 ** t);
      const vhat = tf.div(m2, 1 - 0.999 ** t);
      omega.assign(tf.sub(omega, tf.mul(tf.div(mhat, tf.add(tf.sqrt(vhat), 1e-8)), lr)));
    });
    if ((step + 1) % o.evalEvery === 0) keepBest();
  }
  keepBest();
  (scale as Tensor | null)?.dispose();
  Ht.dispose();
  Gt.dispose();
  omega.dispose();
  m1.dispose();
  m2.dispose();
  return { W: bestW, objective: best };
}

// ------------------------------------------------------------------------- labelled datasets

export type TeacherKind = 'ssnr' | 'sinr';

export interface TeacherDatasetOptions {
  config: Paper001Config;
  layout: Paper001Layout;
  teacher: TeacherKind;
  n: number;
  seed: number;
  /** Defaults: SSNR_TEACHER / SINR_TEACHER. */
  options?: TeacherOptions;
  cacheDir?: string;
}

/** Bump when the teachers' optimisation changes (part of every teacher dataset's hash). */
export const TEACHER_CODE_VERSION = 'paper001-teachers-1';

/**
 * n samples of a layout labelled by a teacher (labels: W [L, N+1, 2M] float32): through labels.ts,
 * so the dataset is reproducible from its seed and, with `cacheDir`, cached by a hash of
 * (generator, seed, n, teacher name + options, code versions). The optimisation runs once, for all
 * samples together, only when the cache does not already hold the dataset.
 */
export function teacherDataset(tf: Tf, o: TeacherDatasetOptions): { dataset: LabelledDataset; cached: boolean; file?: string } {
  const options = o.options ?? (o.teacher === 'ssnr' ? SSNR_TEACHER : SINR_TEACHER);
  const generator = paper001Generator(o.config, o.layout);
  const name = `paper001-${o.teacher}`;
  let labels: Float32Array | null = null;
  let samples: LabelledDataset | null = null;
  const per = o.config.numAps * (o.config.numUsers + 1) * 2 * o.config.numTxAnt;
  const label = teacherLabels<Paper001Sample>(name, { ...options }, (sample, i) => {
    if (!labels || !samples) {
      samples = paper001Samples(o.config, o.layout, o.n, o.seed);
      labels = optimiseTeacher(tf, o.config, samples.data.H, samples.data.G, options).W;
    }
    const pos = sampleField(samples, 'pos', i);
    for (let k = 0; k < pos.length; k++) if (pos[k] !== sample.pos[k]) throw new Error(`teacherDataset: sample ${i} differs from the batch it was labelled with`);
    return labels.slice(i * per, (i + 1) * per);
  });
  const req = { generator, label, n: o.n, seed: o.seed, cacheDir: o.cacheDir, codeVersion: TEACHER_CODE_VERSION };
  const r = labelledDataset(req);
  return { dataset: r.dataset, cached: r.cached, ...(r.file ? { file: r.file } : {}) };
}

/** Whether a teacher dataset is already in the cache (no optimisation needed). */
export function teacherDatasetCached(o: TeacherDatasetOptions): boolean {
  if (!o.cacheDir) return false;
  const options = o.options ?? (o.teacher === 'ssnr' ? SSNR_TEACHER : SINR_TEACHER);
  const label = teacherLabels<Paper001Sample>(`paper001-${o.teacher}`, { ...options }, () => new Float32Array(0));
  const hash = labelledDatasetHash({ generator: paper001Generator(o.config, o.layout), label, n: o.n, seed: o.seed, codeVersion: TEACHER_CODE_VERSION });
  return existsSync(labelledDatasetPath(o.cacheDir, hash));
}

/** The beams of sample i of a teacher dataset (Beamformers) and their float64 value. */
export function teacherValueOf(ev: Paper001Evaluator, ds: LabelledDataset, i: number): { W: Beamformers; value: ReturnType<Paper001Evaluator['evaluate']> } {
  const per = ds.labelSize;
  const W = beamsFromDense(ev.config, ds.labels, i * per);
  return { W, value: ev.evaluate(instanceOfSample(ev.config, ds, i), W) };
}
