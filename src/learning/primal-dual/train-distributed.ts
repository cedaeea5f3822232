/**
 * Training of paper 002's distributed mode (distributed.ts; docs/primal-dual.md §9): per BS j a
 * quantiser network Q_j (local features → 2K → L, tanh) and an optimiser network D_j (local
 * features ⊕ the other BSs' L bits → 2K → 3K → 2K → K + P, stage 1's head), trained centrally
 * (choice D4, the notes' §8.9: Algorithm 2's per-BS updates give a quantiser no gradient) on
 *   ℓ = Σ_j [ −mean_b Σ_{k∈j} r_jk + μ_j (mean_b L_r,j − ε) + ρ mean z_jk² ]
 * with one Adam over every network and one dual ascent per BS (eq. 38). Bits: stochastic
 * binarisation with the straight-through estimator in training, sign(v) at inference (execution
 * is distributed: D_j sees only its own CSI and the bits). Exchange 'none' (no message) and 'raw'
 * (the other BSs' full local features as floats) are the references.
 * Stock tfjs layers and autograd (the quantiser's gradient flows through the optimiser's input).
 */
import type { LayersModel, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { streamFor } from '../../phy/random.ts';
import { DualVariable } from './dual.ts';
import { splitConstants, splitSensingLossTf, type SplitConstants } from './losses.ts';
import { binarise, distributedSet, straightThrough, interferenceRates, interferenceRateTf, signBits, type DistributedProblem, type DistributedSet } from './distributed.ts';
import { splitLoss } from './problem.ts';
import { paperHiddenDims } from './network.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export type Exchange = { kind: 'none' } | { kind: 'bits'; bits: number } | { kind: 'raw' };

export function exchangeName(e: Exchange): string {
  return e.kind === 'bits' ? `${e.bits} bits` : e.kind === 'none' ? 'no exchange' : 'raw CSI (float32)';
}

/** Bits one BS sends per CSI update to the J − 1 others (raw: float32 features). */
export function bitsPerBs(dp: DistributedProblem, e: Exchange): number {
  return (dp.J - 1) * (e.kind === 'bits' ? e.bits : e.kind === 'raw' ? 32 * dp.featureDim : 0);
}

export interface DistributedTrainOptions {
  exchange: Exchange;
  iterations: number;
  batchSize: number;
  learningRate: number;
  dualStep: number;
  logitPenalty: number;
  pairStride: number;
  seed: number;
  evalEvery: number;
  evalSet: DistributedSet;
  onEval?: (p: DistributedCurvePoint) => void;
  /** The training batch [start, start + n) (default: distributedSet's i.i.d. draws of `seed`; the twin's pool: src/app/primal-dual-twin-exchange.ts). */
  batchSet?: (start: number, n: number) => DistributedSet;
  /** Return the trained networks instead of disposing them (shipping; the caller disposes). */
  keepModels?: boolean;
}

export interface DistributedCurvePoint {
  iteration: number;
  /** per BS: held-out mean Σ_{k∈j} r_jk and mean L_r,j; μ_j */
  rate: number[];
  lr: number[];
  mu: number[];
  /** per BS: the mean radar split over the held-out set (W per beam); P̄(θ) is linear in q, so its pattern is the mean pattern */
  meanSplit: number[][];
}

export interface DistributedResult {
  exchange: Exchange;
  curve: DistributedCurvePoint[];
  final: DistributedCurvePoint;
  wallS: number;
  params: number;
  /** With `keepModels`: the quantisers Q_j (empty without bits) and optimisers D_j. */
  models?: { quant: LayersModel[]; opt: LayersModel[] };
}

function dense(tf: Tf, name: string, inDim: number | undefined, units: number, fanIn: number, seed: number, activation?: 'tanh') {
  return tf.layers.dense({
    name,
    units,
    ...(inDim !== undefined ? { inputShape: [inDim] } : {}),
    activation,
    kernelInitializer: tf.initializers.truncatedNormal({ mean: 0, stddev: 1 / Math.sqrt(fanIn), seed }),
    biasInitializer: tf.initializers.constant({ value: 0.01 }),
  });
}

function mlp(tf: Tf, name: string, dims: number[], seedOf: () => number, lastTanh = false): LayersModel {
  const m = tf.sequential({ name });
  for (let i = 1; i < dims.length; i++) {
    m.add(dense(tf, `${name}_d${i}`, i === 1 ? dims[0] : undefined, dims[i], dims[i - 1], seedOf(), i === dims.length - 1 && lastTanh ? 'tanh' : undefined));
    if (i < dims.length - 1) m.add(tf.layers.reLU({ name: `${name}_r${i}` }));
  }
  return m;
}

export function trainDistributed(tf: Tf, dp: DistributedProblem, o: DistributedTrainOptions): DistributedResult {
  const t0 = performance.now();
  const { J, K, P, S, featureDim: F } = dp;
  const ex = o.exchange;
  if (ex.kind === 'bits' && (!Number.isInteger(ex.bits) || ex.bits < 1)) throw new RangeError(`bits must be a positive integer, got ${ex.bits}`);
  const init = streamFor(o.seed, 'primal-dual.distributed.init');
  const seedOf = () => init.int(0x7fffffff);
  const hidden = paperHiddenDims(K);
  const msgDim = ex.kind === 'bits' ? ex.bits : ex.kind === 'raw' ? F : 0;
  const quant = ex.kind === 'bits' ? Array.from({ length: J }, (_, j) => mlp(tf, `q${j}`, [F, 2 * K, ex.bits], seedOf, true)) : [];
  const opt = Array.from({ length: J }, (_, j) => mlp(tf, `d${j}`, [F + (J - 1) * msgDim, ...hidden, K + P], seedOf));
  const vars = [...quant, ...opt].flatMap((m) => m.trainableWeights.map((w) => w.read() as import('@tensorflow/tfjs').Variable));
  const adam = tf.train.adam(o.learningRate, 0.9, 0.999, 1e-8);
  const split: SplitConstants[] = dp.specs.map((s, j) => splitConstants(tf, s, dp.beams[j]));
  const duals = Array.from({ length: J }, () => new DualVariable(dp.cfg.epsilon, o.dualStep));
  const bitsRng = streamFor(o.seed, 'primal-dual.distributed.bits');
  const offsets = streamFor(o.seed, 'primal-dual.distributed.pairs');
  const splitTotal = dp.cfg.radarPowerW / dp.MR;
  const userSum = tf.tensor2d(Float32Array.from({ length: dp.N * J }, (_, i) => (Math.floor(Math.floor(i / J) / K) === i % J ? 1 : 0)), [dp.N, J]);

  /** The decisions z_j [B, K + P] of every BS; training: stochastic bits with straight-through, else sign. */
  const decide = (x: Tensor2D[], training: boolean): Tensor2D[] => {
    const B = x[0].shape[0];
    let msg: Tensor2D[] = [];
    if (ex.kind === 'bits') {
      msg = quant.map((q, j) => {
        const v = q.apply(x[j]) as Tensor2D;
        const vv = v.dataSync();
        const hat = training ? binarise(vv, Float64Array.from({ length: vv.length }, () => bitsRng.uniform())) : signBits(vv);
        return straightThrough(tf, v, hat);
      });
    } else if (ex.kind === 'raw') msg = x;
    return opt.map((d, j) => {
      const parts = [x[j], ...msg.filter((_, i) => i !== j)];
      return d.apply(parts.length > 1 ? tf.concat(parts, 1) : parts[0]) as Tensor2D;
    });
  };
  const heads = (z: Tensor2D) => {
    const B = z.shape[0];
    const zp = tf.slice(z, [0, 0], [B, K]);
    const zq = tf.slice(z, [0, K], [B, P]);
    return { p: tf.mul(tf.sigmoid(zp), dp.cfg.powerMaxW) as Tensor2D, q: tf.mul(tf.softmax(zq), splitTotal) as Tensor2D, zp };
  };
  const featuresOfBs = (set: DistributedSet, j: number, start: number, B: number): Float32Array => {
    const out = new Float32Array(B * F);
    for (let b = 0; b < B; b++) out.set(set.features.subarray(((start + b) * J + j) * F, ((start + b) * J + j + 1) * F), b * F);
    return out;
  };

  const evaluate = (iteration: number): DistributedCurvePoint => {
    const set = o.evalSet;
    const n = set.n;
    const x = tf.tidy(() => {
      const xs = Array.from({ length: J }, (_, j) => tf.tensor2d(featuresOfBs(set, j, 0, n), [n, F]));
      const zs = decide(xs, false);
      return tf.concat(zs.flatMap((z) => {
        const h = heads(z);
        return [h.p, h.q];
      }), 1);
    });
    const xv = x.dataSync();
    x.dispose();
    const rates = interferenceRates(dp, set.gains, xv, n);
    const rate = new Array(J).fill(0);
    const lr = new Array(J).fill(0);
    const meanSplit = Array.from({ length: J }, () => new Array(P).fill(0));
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < J; j++) for (let p = 0; p < P; p++) meanSplit[j][p] += xv[b * S + j * (K + P) + K + p] / n;
      for (let m = 0; m < dp.N; m++) rate[Math.floor(m / K)] += rates[b * dp.N + m] / n;
      for (let j = 0; j < J; j++) lr[j] += splitLoss(dp.specs[j], dp.beams[j], xv.subarray(b * S + j * (K + P) + K, b * S + (j + 1) * (K + P))).total / n;
    }
    const p = { iteration, rate, lr, mu: duals.map((d) => d.value), meanSplit };
    o.onEval?.(p);
    return p;
  };

  const curve: DistributedCurvePoint[] = [];
  try {
    curve.push(evaluate(0));
    for (let t = 0; t < o.iterations; t++) {
      const B = o.batchSize;
      const set = o.batchSet ? o.batchSet(t * B, B) : distributedSet(dp, o.seed, t * B, B);
      const mus = duals.map((d) => d.value);
      const kept: Tensor[] = [];
      const { value, grads } = tf.tidy(() =>
        tf.variableGrads(() => {
          const xs = Array.from({ length: J }, (_, j) => tf.tensor2d(featuresOfBs(set, j, 0, B), [B, F]));
          const zs = decide(xs, true);
          const hs = zs.map(heads);
          const xAll = tf.concat(hs.flatMap((h) => [h.p, h.q]), 1) as Tensor2D;
          const perBs = tf.matMul(interferenceRateTf(tf, dp, set.gains, xAll), userSum); // [B, J]
          let loss = tf.neg(tf.sum(tf.mean(perBs, 0)));
          hs.forEach((h, j) => {
            const stride = o.pairStride;
            const lrj = tf.mean(splitSensingLossTf(tf, split[j], h.q, { stride, offset: stride > 1 ? offsets.int(stride) : 0 }).total);
            kept.push(tf.keep(lrj));
            loss = tf.add(loss, tf.mul(mus[j], tf.sub(lrj, dp.cfg.epsilon)));
            if (o.logitPenalty > 0) loss = tf.add(loss, tf.mul(o.logitPenalty, tf.mean(tf.square(h.zp))));
          });
          return loss as import('@tensorflow/tfjs').Scalar;
        }, vars),
      );
      const lossValue = value.dataSync()[0];
      value.dispose();
      if (!Number.isFinite(lossValue)) throw new Error(`primal-dual distributed (${exchangeName(ex)}): the loss is ${lossValue} at iteration ${t}`);
      adam.applyGradients(grads as import("@tensorflow/tfjs").NamedTensorMap as never);
      tf.dispose(Object.values(grads));
      kept.forEach((k, j) => duals[j].update(k.dataSync()[0]));
      tf.dispose(kept);
      if ((t + 1) % o.evalEvery === 0 && t + 1 < o.iterations) curve.push(evaluate(t + 1));
    }
    const final = evaluate(o.iterations);
    curve.push(final);
    return { exchange: ex, curve, final, wallS: (performance.now() - t0) / 1000, params: vars.reduce((a, v) => a + v.size, 0), ...(o.keepModels ? { models: { quant, opt } } : {}) };
  } finally {
    split.forEach((s) => s.dispose());
    userSum.dispose();
    adam.dispose();
    if (!o.keepModels) [...quant, ...opt].forEach((m) => m.dispose());
  }
}

/** The exchange sweep of docs/primal-dual.md §9: no message, L ∈ bits, raw CSI. */
export function runExchangeSweep(tf: Tf, dp: DistributedProblem, bits: readonly number[], o: Omit<DistributedTrainOptions, 'exchange'>, log: (line: string) => void = () => {}): DistributedResult[] {
  const exchanges: Exchange[] = [{ kind: 'none' }, ...bits.map((b) => ({ kind: 'bits', bits: b }) as Exchange), { kind: 'raw' }];
  return exchanges.map((exchange) =>
    trainDistributed(tf, dp, {
      ...o,
      exchange,
      onEval: (p) => log(`distributed ${exchangeName(exchange)} it ${p.iteration}: R ${p.rate.map((x) => x.toFixed(3)).join(' / ')}, L_r ${p.lr.map((x) => x.toFixed(4)).join(' / ')}, μ ${p.mu.map((x) => x.toFixed(2)).join(' / ')}`),
    }),
  );
}
