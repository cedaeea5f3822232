/**
 * Paper 001's network teachers and student (§4–6, §8; docs/teacher-student.md §6): one per-AP
 * network per AP (layers/ap-nets.ts: 1D-CNN, CAE, U-Net), each seeing only its AP's CSI
 * 𝓘_l = {h_l1 … h_lN, a(θ_l)}, trained jointly through one loss over all APs.
 *
 *   input   (13) 1D-CNN: [ℜ(h_l1ᵀ) … ℜ(a(θ_l)ᵀ), ℑ(h_l1ᵀ) … ℑ(a(θ_l)ᵀ)] ∈ ℝ^{2M(N+1)}
 *           (14) CAE / U-Net: NHWC [N+1, M, 2], row q = agent q, channels (ℜ, ℑ)
 *   output  (15)/(16) the same layout, Ω_l = ω^(r) + jω^(i), read as N+1 beams of M antennas
 *   (17)/(18) w̄_l = √P_l Ω_l/‖Ω_l‖_F: each AP radiates exactly P_l, the split over its beams learned
 *   (10)    teacher loss  L_t^(β) = −mean_batch[(1−β) g₁ + β g₂]
 *   (11)    student loss  L_s^(λ) = −mean_batch[(1−λ) g₁/ĝ₁ + λ g₂/ĝ₂]
 *   (12)    λ per mini-batch (student.ts adaptLambda): forward, the gaps G_k of the batch's own
 *           scores (no gradient), λ^(i), then the loss at λ^(i) and its gradient (one forward)
 *
 * g₁ (SSNR, eq. 6) and g₂ (min-SINR, eq. 2) are losses.ts's multistaticSnrTf / commSinrTf on
 * paper001Scene — the tf images of system.ts's float64 metrics (a test holds them equal).
 *
 * `trainPaper001Nets` is pure given its inputs: shuffles from streamFor(seed, 'paper001:shuffle:<epoch>'),
 * weights from the nets' seeds, time from the injected clock; checkpoints are the caller's
 * (`onEpoch`), and a run resumed from a checkpoint repeats the uninterrupted run's shuffles, λ and
 * learning rates.
 */
import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { FusedAdam } from '../adam.ts';
import { buildApNet, type ApNetKind, type ApNetSpec } from '../layers/ap-nets.ts';
import { commSinrTf, minSinrTf, multistaticSnrTf, normalisePerAp, type LossScene, type Tf } from '../losses.ts';
import { streamFor } from '../../phy/random.ts';
import { adaptLambda, referenceGap, type EpochScores } from './student.ts';
import { sensingSnrGain, type Paper001Config } from './system.ts';
import { paper001Scene } from './teachers.ts';

export interface Paper001NetSpec {
  kind: ApNetKind;
  /** U-Net filter (F3, F5, F7). */
  filter?: 3 | 5 | 7;
  /** AP l's network is seeded seed + 1000·l. */
  seed: number;
}

/** The ap-nets.ts spec of AP l's network. */
export function apNetSpecOf(config: Paper001Config, spec: Paper001NetSpec, l: number): ApNetSpec {
  return { kind: spec.kind, users: config.numUsers, antennas: config.numTxAnt, ...(spec.filter ? { filter: spec.filter } : {}), seed: spec.seed + 1000 * l };
}

/** The L per-AP networks (distinct weights). */
export function buildPaper001Nets(tf: Tf, config: Paper001Config, spec: Paper001NetSpec): LayersModel[] {
  return Array.from({ length: config.numAps }, (_, l) => buildApNet(tf, apNetSpecOf(config, spec, l)));
}

/**
 * AP l's network input from the dataset fields H [B, L, N, 2M] and G [B, 1, L, 2M] = √c a(θ_l)
 * (interleaved re/im): [B, N+1, M, 2] for the CAE / U-Net (14), [B, 2M(N+1)] for the 1D-CNN (13).
 */
export function apInput(tf: Tf, config: Paper001Config, kind: ApNetKind, H: Tensor, G: Tensor, l: number): Tensor {
  return tf.tidy(() => {
    const { numAps: L, numUsers: N, numTxAnt: M } = config;
    const B = H.shape[0];
    const h = tf.reshape(tf.slice(H, [0, l, 0, 0], [B, 1, N, 2 * M]), [B, N, M, 2]);
    const a = tf.reshape(tf.div(tf.slice(tf.reshape(G, [B, L, 2 * M]), [0, l, 0], [B, 1, 2 * M]), Math.sqrt(sensingSnrGain(config))), [B, 1, M, 2]);
    const x = tf.concat([h, a], 1); // [B, N+1, M, 2]
    return kind === 'cnn1d' ? tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [B, 2 * M * (N + 1)]) : x;
  });
}

/** A network's output Ω_l as N+1 beams [B, N+1, 2M] (interleaved re/im; the inverse of apInput's layout). */
export function beamsOfOutput(tf: Tf, config: Paper001Config, kind: ApNetKind, out: Tensor): Tensor {
  return tf.tidy(() => {
    const { numUsers: N, numTxAnt: M } = config;
    const B = out.shape[0];
    const x = kind === 'cnn1d' ? tf.transpose(tf.reshape(out, [B, 2, N + 1, M]), [0, 2, 3, 1]) : out;
    return tf.reshape(x, [B, N + 1, 2 * M]);
  });
}

/**
 * An inference copy of a network whose transposed convolutions are stride 1 'same' (the U-Net):
 * each Conv2DTranspose becomes the Conv2D it equals — kernel flipped in both spatial axes, its
 * channel axes swapped, once — instead of the Conv2DBackpropInput kernel that rebuilds that filter
 * on every call (3–15× slower on one sample; docs/teacher-student.md §6). Same outputs (a test);
 * any other network is returned as it is.
 */
export async function inferenceNet(tf: Tf, net: LayersModel): Promise<LayersModel> {
  const json = JSON.parse(JSON.stringify(net.toJSON(null, false))) as { config: { layers: Array<{ class_name: string; config: { strides?: number[]; padding?: string; kernel_size?: number[] } }> } };
  const transposed = json.config.layers.filter((l) => l.class_name === 'Conv2DTranspose');
  const convertible = transposed.every((l) => l.config.padding === 'same' && (l.config.strides ?? [1, 1]).every((x) => x === 1) && (l.config.kernel_size ?? []).every((k) => k % 2 === 1));
  if (transposed.length === 0 || !convertible) return net;
  for (const l of transposed) l.class_name = 'Conv2D';
  const copy = (await tf.models.modelFromJSON(json as never)) as LayersModel;
  net.layers.forEach((layer, i) => {
    const flip = layer.getClassName() === 'Conv2DTranspose';
    const w = layer.getWeights().map((v) => (flip && v.rank === 4 ? tf.transpose(tf.reverse(v, [0, 1]), [0, 1, 3, 2]) : v));
    copy.layers[i].setWeights(w);
    if (flip) w.forEach((t) => t.rank === 4 && t.dispose());
  });
  return copy;
}

/** The normalised beams W [B, L, N+1, 2M] of every AP's network, eqs. (17)/(18) (normalisePerAp). */
export function forwardBeams(tf: Tf, config: Paper001Config, scene: LossScene, kind: ApNetKind, nets: LayersModel[], H: Tensor, G: Tensor, training: boolean): Tensor {
  return tf.tidy(() => {
    const per = nets.map((net, l) => beamsOfOutput(tf, config, kind, net.apply(apInput(tf, config, kind, H, G, l), { training }) as Tensor));
    return normalisePerAp(tf, scene, tf.stack(per, 1));
  });
}

/** Per-sample g₁ (SSNR) and g₂ (min-SINR) [B] of dense beams (losses.ts). */
export function scoresTf(tf: Tf, scene: LossScene, H: Tensor, G: Tensor, W: Tensor): { ssnr: Tensor; minSinr: Tensor } {
  return tf.tidy(() => ({ ssnr: tf.sum(multistaticSnrTf(tf, G, W), -1), minSinr: minSinrTf(tf, commSinrTf(tf, scene, H, W)) }));
}

export type TrainingMode =
  | { role: 'teacher'; beta: number }
  | {
      role: 'student';
      /** [ĝ₁, ĝ₂] of (11)–(12): the teachers' mean SSNR and min-SINR over the training set. */
      gMax: [number, number];
      lambda0: number;
      epsilon: number;
    };

/** One epoch's record (validation in inference mode: BatchNorm on its moving statistics). */
export interface Paper001Epoch extends EpochScores {
  /** Mean training loss over the epoch's mini-batches (the plateau schedule's monitor). */
  trainLoss: number;
  /** Means over the epoch's mini-batches (training mode). */
  trainSsnr: number;
  trainMinSinr: number;
  /** Validation loss at the epoch's last λ (student) or β (teacher). */
  valLoss: number;
  learningRate: number;
  /** λ after the epoch's last batch (student), β (teacher). */
  lambda: number;
  /** λ^(i) of every batch of the epoch (student; empty for a teacher). */
  lambdas: number[];
  /** Training batches the BatchNorm statistics were re-estimated on before this validation (absent: none). */
  recalibratedBatches?: number;
  /** [mean g₁, mean g₂, loss] of every batch (training mode; the loss at λ^(i)). */
  batchMeans?: Array<[number, number, number]>;
  wallS: number;
  samplesPerS: number;
}

/** The training state a checkpoint carries (besides the nets' weights and Adam's moments). */
export interface Paper001TrainState {
  epochsDone: number;
  curve: Paper001Epoch[];
  learningRate: number;
  lambda: number;
  /** Plateau monitor: best mean training loss and epochs since it improved. */
  bestTrainLoss: number;
  sinceImprovement: number;
  /** Early stopping monitor: best validation min-SINR and epochs since it improved. */
  bestValMinSinr: number;
  sinceValImprovement: number;
  stopped: 'running' | 'finished' | 'early-stop';
  trainingTimeS: number;
}

export interface Paper001Data {
  /** [n, L, N, 2M] */ H: Float32Array;
  /** [n, 1, L, 2M] */ G: Float32Array;
  n: number;
}

export interface Paper001TrainOptions {
  config: Paper001Config;
  kind: ApNetKind;
  nets: LayersModel[];
  mode: TrainingMode;
  train: Paper001Data;
  val: Paper001Data;
  epochs: number;
  /** Stop (unfinished, resumable) after this many epochs in all, short of `epochs`. */
  stopAfter?: number;
  /** Paper: 500. Full batches only (the remainder of a shuffle is dropped). */
  batchSize: number;
  /** Paper: Adam 0.01. */
  learningRate: number;
  /** ReduceLROnPlateau on the mean training loss: ÷factor after `patience` epochs without improvement (paper: 10, 10). */
  plateau: { patience: number; factor: number };
  /**
   * Before each validation, re-estimate every BatchNorm layer's moving statistics as the exact
   * average of the batch statistics of this many training batches under the current weights
   * (`recalibrateBatchNorm`; default 4, 0 = off). Training-mode outputs, the gradients and hence the
   * trajectory do not depend on it; only inference (validation, saved models) does.
   */
  recalibrateBatches?: number;
  /** Early stopping on the validation min-SINR (paper: the SINR teacher, patience 100). */
  earlyStopPatience?: number;
  /** Shuffle seed. */
  seed: number;
  /** Injected clock (s). */
  clockS: () => number;
  /** The optimiser to continue with (resume: restored by the caller); default a fresh FusedAdam over the nets' trainable weights. */
  adam?: FusedAdam;
  /** A checkpoint's state to continue from. */
  resume?: Paper001TrainState;
  /** Called after every epoch with the state and the optimiser (the caller checkpoints). */
  onEpoch?: (state: Paper001TrainState, adam: FusedAdam, epoch: Paper001Epoch) => Promise<void> | void;
  log?: (line: string) => void;
}

/** The trainable weights of the nets, in order (the FusedAdam variable list). */
export function trainableOf(nets: LayersModel[]): Variable[] {
  return nets.flatMap((n) => n.trainableWeights.map((w) => w.read() as Variable));
}

export function freshAdam(tf: Tf, nets: LayersModel[], learningRate: number): FusedAdam {
  return new FusedAdam(tf, trainableOf(nets), { learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
}

function setLearningRate(adam: FusedAdam, lr: number): void {
  (adam as { learningRate: number }).learningRate = lr;
}

/** The loss of (10) or (11) of per-sample scores at β or λ. */
export function lossOf(tf: Tf, mode: TrainingMode, lambda: number, ssnr: Tensor, minSinr: Tensor): Scalar {
  return tf.tidy(() => {
    if (mode.role === 'teacher') return tf.neg(tf.mean(tf.add(tf.mul(ssnr, 1 - mode.beta), tf.mul(minSinr, mode.beta)))) as Scalar;
    const [g1, g2] = mode.gMax;
    return tf.neg(tf.mean(tf.add(tf.mul(ssnr, (1 - lambda) / g1), tf.mul(minSinr, lambda / g2)))) as Scalar;
  });
}

/** Mean validation SSNR, min-SINR (float32, tf) in inference mode, and the loss at `lambda`. */
export function validate(tf: Tf, config: Paper001Config, kind: ApNetKind, nets: LayersModel[], data: Paper001Data, mode: TrainingMode, lambda: number, chunk = 500): { ssnr: number; minSinr: number; loss: number } {
  const scene = paper001Scene(config);
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  let s1 = 0;
  let s2 = 0;
  for (let start = 0; start < data.n; start += chunk) {
    const b = Math.min(chunk, data.n - start);
    const [a1, a2] = tf.tidy(() => {
      const H = tf.tensor4d(data.H.subarray(start * L * N * 2 * M, (start + b) * L * N * 2 * M), [b, L, N, 2 * M]);
      const G = tf.tensor4d(data.G.subarray(start * L * 2 * M, (start + b) * L * 2 * M), [b, 1, L, 2 * M]);
      const W = forwardBeams(tf, config, scene, kind, nets, H, G, false);
      const { ssnr, minSinr } = scoresTf(tf, scene, H, G, W);
      return [tf.sum(ssnr).dataSync()[0], tf.sum(minSinr).dataSync()[0]];
    });
    s1 += a1;
    s2 += a2;
  }
  const ssnr = s1 / data.n;
  const minSinr = s2 / data.n;
  const loss =
    mode.role === 'teacher' ? -((1 - mode.beta) * ssnr + mode.beta * minSinr) : -((1 - lambda) * (ssnr / mode.gMax[0]) + lambda * (minSinr / mode.gMax[1]));
  return { ssnr, minSinr, loss };
}

/** The beams [n, L, N+1, 2M] of every sample of a dataset (inference mode). */
export function predictBeams(tf: Tf, config: Paper001Config, kind: ApNetKind, nets: LayersModel[], data: Paper001Data, chunk = 500): Float32Array {
  const scene = paper001Scene(config);
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const per = L * (N + 1) * 2 * M;
  const out = new Float32Array(data.n * per);
  for (let start = 0; start < data.n; start += chunk) {
    const b = Math.min(chunk, data.n - start);
    const w = tf.tidy(() => {
      const H = tf.tensor4d(data.H.subarray(start * L * N * 2 * M, (start + b) * L * N * 2 * M), [b, L, N, 2 * M]);
      const G = tf.tensor4d(data.G.subarray(start * L * 2 * M, (start + b) * L * 2 * M), [b, 1, L, 2 * M]);
      return forwardBeams(tf, config, scene, kind, nets, H, G, false).dataSync() as Float32Array;
    });
    out.set(w, start * per);
  }
  return out;
}

export function initialState(o: { learningRate: number; mode: TrainingMode }): Paper001TrainState {
  return {
    epochsDone: 0,
    curve: [],
    learningRate: o.learningRate,
    lambda: o.mode.role === 'student' ? o.mode.lambda0 : o.mode.beta,
    bestTrainLoss: Infinity,
    sinceImprovement: 0,
    bestValMinSinr: -Infinity,
    sinceValImprovement: 0,
    stopped: 'running',
    trainingTimeS: 0,
  };
}

/** Trains (or continues) the nets; returns the final state and the optimiser. */
export async function trainPaper001Nets(tf: Tf, o: Paper001TrainOptions): Promise<{ state: Paper001TrainState; adam: FusedAdam }> {
  const { config, kind, nets, mode, train } = o;
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const scene = paper001Scene(config);
  const B = o.batchSize;
  const batches = Math.floor(train.n / B);
  if (batches < 1) throw new RangeError(`trainPaper001Nets: ${train.n} training samples, fewer than one batch of ${B}`);
  if (mode.role === 'student' && !(mode.gMax[0] > 0 && mode.gMax[1] > 0)) throw new RangeError(`trainPaper001Nets: the teachers' scores must be positive, got [${mode.gMax.join(', ')}]`);
  const variables = trainableOf(nets);
  const adam = o.adam ?? freshAdam(tf, nets, o.learningRate);
  const state: Paper001TrainState = o.resume ? structuredClone(o.resume) : initialState(o);
  const t0 = o.clockS() - state.trainingTimeS;
  const hSize = L * N * 2 * M;
  const gSize = L * 2 * M;
  const hBuf = new Float32Array(B * hSize);
  const gBuf = new Float32Array(B * gSize);
  const last = Math.min(o.epochs, o.stopAfter ?? Infinity);
  for (let epoch = state.epochsDone; epoch < last && state.stopped === 'running'; epoch++) {
    const tEpoch = o.clockS();
    setLearningRate(adam, state.learningRate);
    const rng = streamFor(o.seed, `paper001:shuffle:${epoch}`);
    const order = Int32Array.from({ length: train.n }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    let ssnrSum = 0;
    let sinrSum = 0;
    const lambdas: number[] = [];
    const batchMeans: Array<[number, number, number]> = [];
    for (let b = 0; b < batches; b++) {
      for (let k = 0; k < B; k++) {
        const i = order[b * B + k];
        hBuf.set(train.H.subarray(i * hSize, (i + 1) * hSize), k * hSize);
        gBuf.set(train.G.subarray(i * gSize, (i + 1) * gSize), k * gSize);
      }
      let batchSsnr = 0;
      let batchSinr = 0;
      const lossValue = tf.tidy(() => {
        const H = tf.tensor4d(hBuf, [B, L, N, 2 * M]);
        const G = tf.tensor4d(gBuf, [B, 1, L, 2 * M]);
        const { value, grads } = tf.variableGrads(() => {
          const W = forwardBeams(tf, config, scene, kind, nets, H, G, true);
          const { ssnr, minSinr } = scoresTf(tf, scene, H, G, W);
          const s1 = ssnr.dataSync();
          const s2 = minSinr.dataSync();
          for (let k = 0; k < B; k++) {
            batchSsnr += s1[k] / B;
            batchSinr += s2[k] / B;
          }
          if (mode.role === 'student') {
            // (12): the gaps of this batch's own scores, then λ^(i), then the loss at λ^(i)
            state.lambda = adaptLambda(state.lambda, referenceGap(s1, mode.gMax[0]), referenceGap(s2, mode.gMax[1]), mode.epsilon);
            lambdas.push(state.lambda);
          }
          return lossOf(tf, mode, state.lambda, ssnr, minSinr);
        }, variables);
        adam.applyGradients(variables.map((v) => grads[v.name]));
        return value.dataSync()[0];
      });
      lossSum += lossValue;
      batchMeans.push([batchSsnr, batchSinr, lossValue]);
      ssnrSum += batchSsnr;
      sinrSum += batchSinr;
    }
    const recal = o.recalibrateBatches ?? 4;
    if (recal > 0) recalibrateBatchNorm(tf, config, kind, nets, train, B, Math.min(recal, batches));
    const v = validate(tf, config, kind, nets, o.val, mode, state.lambda);
    const trainLoss = lossSum / batches;
    const wallS = o.clockS() - tEpoch;
    const rec: Paper001Epoch = {
      epoch: epoch + 1,
      minSinr: v.minSinr,
      ssnr: v.ssnr,
      valLoss: v.loss,
      trainLoss,
      trainSsnr: ssnrSum / batches,
      trainMinSinr: sinrSum / batches,
      learningRate: state.learningRate,
      lambda: state.lambda,
      lambdas,
      batchMeans,
      recalibratedBatches: recal > 0 ? Math.min(recal, batches) : 0,
      wallS,
      samplesPerS: (batches * B) / wallS,
    };
    state.curve.push(rec);
    state.epochsDone = epoch + 1;
    // ReduceLROnPlateau on the mean training loss (mode 'min', no cooldown)
    if (trainLoss < state.bestTrainLoss) {
      state.bestTrainLoss = trainLoss;
      state.sinceImprovement = 0;
    } else if (++state.sinceImprovement >= o.plateau.patience) {
      state.learningRate /= o.plateau.factor;
      state.sinceImprovement = 0;
    }
    if (v.minSinr > state.bestValMinSinr) {
      state.bestValMinSinr = v.minSinr;
      state.sinceValImprovement = 0;
    } else if (o.earlyStopPatience !== undefined && ++state.sinceValImprovement >= o.earlyStopPatience) {
      state.stopped = 'early-stop';
    }
    if (state.stopped === 'running' && state.epochsDone >= o.epochs) state.stopped = 'finished';
    state.trainingTimeS = o.clockS() - t0;
    o.log?.(
      `epoch ${rec.epoch}/${o.epochs}: train loss ${trainLoss.toFixed(4)}, val SSNR ${v.ssnr.toFixed(4)}, val min-SINR ${v.minSinr.toFixed(4)}, lr ${rec.learningRate}, ${mode.role === 'student' ? `λ ${state.lambda.toFixed(4)}, ` : ''}${wallS.toFixed(1)} s`,
    );
    await o.onEpoch?.(state, adam, rec);
  }
  if (state.stopped === 'running' && state.epochsDone >= o.epochs) state.stopped = 'finished';
  return { state, adam };
}

/** The parts of tfjs-layers' BatchNormalization read here (private in its typings). */
interface BatchNormMomentum {
  momentum: number;
}

/**
 * Sets every BatchNorm layer's moving mean and variance to the average of the batch statistics of
 * the first `batches` batches of `data` (training-mode forwards, no gradient): batch k is blended
 * in with momentum (k−1)/k, so the result is the plain mean over the k batches whatever the layer's
 * own momentum (restored after). With momentum 0.99 and a few dozen steps, the moving statistics
 * are still mostly their initial values (0, 1): the SINR teacher's validation min-SINR was 0.72 in
 * inference mode against 2.94 with batch statistics on the same samples after 36 steps.
 */
export function recalibrateBatchNorm(tf: Tf, config: Paper001Config, kind: ApNetKind, nets: LayersModel[], data: Paper001Data, batchSize: number, batches: number): void {
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  const scene = paper001Scene(config);
  const layers = nets.flatMap((n) => n.layers.filter((x) => x.getClassName() === 'BatchNormalization')) as unknown as BatchNormMomentum[];
  const saved = layers.map((x) => x.momentum);
  try {
    for (let k = 0; k < batches && (k + 1) * batchSize <= data.n; k++) {
      for (const x of layers) x.momentum = k / (k + 1);
      tf.tidy(() => {
        const H = tf.tensor4d(data.H.subarray(k * batchSize * L * N * 2 * M, (k + 1) * batchSize * L * N * 2 * M), [batchSize, L, N, 2 * M]);
        const G = tf.tensor4d(data.G.subarray(k * batchSize * L * 2 * M, (k + 1) * batchSize * L * 2 * M), [batchSize, 1, L, 2 * M]);
        forwardBeams(tf, config, scene, kind, nets, H, G, true);
      });
    }
  } finally {
    layers.forEach((x, i) => (x.momentum = saved[i]));
  }
}

/**
 * The epochs that §8.3's selection may still pick whatever comes later: e is dropped when another
 * epoch f has min-SINR ≥ e's (so f qualifies whenever e does, and S* is unchanged) and either a
 * higher SSNR or the same SSNR and an earlier epoch (selectEpoch keeps the earliest of a tie).
 */
export function undominatedEpochs(curve: readonly EpochScores[]): Set<number> {
  const keep = new Set<number>();
  for (const e of curve) {
    const dominated = curve.some((f) => f !== e && f.minSinr >= e.minSinr && (f.ssnr > e.ssnr || (f.ssnr === e.ssnr && f.epoch < e.epoch)));
    if (!dominated) keep.add(e.epoch);
  }
  return keep;
}
