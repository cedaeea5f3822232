/**
 * Training losses as tfjs functions of (beams, channels, scene constants): one source of truth per
 * formula, each the differentiable, batched twin of a metric of src/metrics/isac.ts
 * (docs/learning-losses.md).
 *
 * Layouts (real tensors, complex entries interleaved [re, im] along the last axis, length 2N):
 *   W  [B, M, S, 2N]   beam of stream s at AP m (s = u for user u, s = U + q for sensing stream q);
 *                      DENSE over the global streams: zero where AP m does not carry s (use
 *                      `carrierMask` / `denseBeams`; the twin's W_m packs only the carried rows).
 *   H  [B, M, U, 2N]   h_{m,u} (the twin's H, per sample).
 *   G  [B, T, M, 2N]   equivalent sensing channels g_{t,m} (SensingChannels.g).
 *   I  [B, T, J, 2N]   monostatic intra-cell leakage c_{t,i} (SensingChannels.intra), J = maxTargetsPerBs.
 *
 * Complex products as real ones: Re(hᴴw) = h·[wr, wi], Im(hᴴw) = h·[wi, −wr], so each beam row w
 * is expanded to (w, rot(w)) ([.., 2S, 2N], by one matMul with a constant) and one matMul gives both parts.
 *
 * Formulas (metrics/isac.ts):
 *   a_{u,s} = Σ_m h_{m,u}ᴴ w_{m,s}   (coherent joint transmission; one matMul over the stacked M·2N axis)
 *   γ_u     = |a_{u,u}|² / (Σ_{s≠u} |a_{u,s}|² + σ_c²)                             commSinrInto
 *   E_{t,n} = ‖g_{t,n}ᴴ W_n‖² = Σ_s |g_{t,n}ᴴ w_{n,s}|²
 *   multistatic  SNR_t = Σ_m E_{t,m}                                                sensingSinrInto
 *   monostatic   γ^s_t = E_{t,m(t)} / (Σ_{n≠m(t)} E_{t,n} + Σ_i ‖c_{t,i}ᴴ W_{m(t)}‖² + N_R σ_s²)
 *   power        W_m ← √(P_m / ‖W_m‖²) W_m, zero stays zero                            normalisePower
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Beamformers, Topology } from '../phy/network.ts';
import type { IsacDims } from './dataset.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** The constants of a scene the losses need (all in the units of H, G, I and W). */
export interface LossScene {
  /** M */ numAps: number;
  /** N (transmit antennas per AP) */ numTxAnt: number;
  /** U */ numUsers: number;
  /** S = U + sensing streams */ numStreams: number;
  /** [M, S] 1 where AP m carries stream s (row-major). */
  carries: Uint8Array;
  /** [M] power budgets P_m. */
  powerW: Float64Array;
  /** σ_c². */
  noiseComm: number;
  sensing?: LossSensing;
  /**
   * The beams' layout. Absent: dense, W [B, M, S, 2N] (row s = stream s, zero where not carried).
   * Present: packed, W [B, M, R, 2N] with row r of AP m carrying stream rows[m·R + r] (−1: an
   * unused row) — the twin's own W_m layout and the per-cell MLPs' output, without the dense
   * layout's zero rows (M× less work for paper 000's cells).
   */
  packed?: { rowsPerAp: number; rows: Int32Array };
}

export type LossSensing =
  | { geometry: 'multistatic'; numTargets: number }
  | {
      geometry: 'monostatic';
      numTargets: number;
      /** [T] the AP sensing each target. */
      targetBs: Int32Array;
      /** J: slots of I per target. */
      maxTargetsPerBs: number;
      /** N_R σ_s² (the MRC-filtered noise). */
      noiseSens: number;
    };

/** The scene of a twin topology (its association in force, its budgets and noises). */
export function sceneOf(topo: Topology, streams: Int32Array[] = topo.apStreams, layout: 'dense' | 'packed' = 'dense'): LossScene {
  let S = topo.numStreams;
  for (const rows of streams) for (const s of rows) S = Math.max(S, s + 1);
  const carries = new Uint8Array(topo.numBs * S);
  streams.forEach((rows, m) => rows.forEach((s) => (carries[m * S + s] = 1)));
  const maxTargetsPerBs = Math.max(0, ...topo.targetsOf.map((t) => t.length));
  return {
    numAps: topo.numBs,
    numTxAnt: topo.numTxAnt,
    numUsers: topo.numUsers,
    numStreams: S,
    carries,
    powerW: Float64Array.from(topo.powerW),
    noiseComm: topo.noiseCommW,
    ...(layout === 'packed' ? { packed: packedRows(streams) } : {}),
    ...(topo.numTargets > 0
      ? {
          sensing:
            topo.sensingGeometry === 'multistatic'
              ? { geometry: 'multistatic' as const, numTargets: topo.numTargets }
              : {
                  geometry: 'monostatic' as const,
                  numTargets: topo.numTargets,
                  targetBs: Int32Array.from(topo.targetBs),
                  maxTargetsPerBs,
                  noiseSens: topo.numRxAnt * topo.noiseSensW,
                },
        }
      : {}),
  };
}

/**
 * Paper 000's multicell scene in dataset.ts's normalised units (σ_c² = N_R σ_s² = 1, P_m = 1):
 * user u and target t belong to cell ⌊u/K⌋, ⌊t/J⌋; stream s = u; no sensing rows.
 */
export function paper000Scene(d: IsacDims, layout: 'dense' | 'per-cell' = 'dense'): LossScene {
  const { numBs: M, usersPerCell: K, targetsPerCell: J } = d;
  const U = M * K;
  const carries = new Uint8Array(M * U);
  for (let u = 0; u < U; u++) carries[Math.floor(u / K) * U + u] = 1;
  return {
    // per-cell: the MLPs' [B, M, K, 2N] output as it is (row k of BS m = user m·K + k)
    ...(layout === 'per-cell' ? { packed: { rowsPerAp: K, rows: Int32Array.from({ length: M * K }, (_, i) => i) } } : {}),
    numAps: M,
    numTxAnt: d.numTxAnt,
    numUsers: U,
    numStreams: U,
    carries,
    powerW: new Float64Array(M).fill(1),
    noiseComm: 1,
    ...(J > 0
      ? {
          sensing: {
            geometry: 'monostatic' as const,
            numTargets: M * J,
            targetBs: Int32Array.from({ length: M * J }, (_, t) => Math.floor(t / J)),
            maxTargetsPerBs: J,
            noiseSens: 1,
          },
        }
      : {}),
  };
}

/** The packed layout of per-AP stream lists (rows padded with −1 to the longest list). */
export function packedRows(streams: Int32Array[]): { rowsPerAp: number; rows: Int32Array } {
  const R = Math.max(1, ...streams.map((r) => r.length));
  const rows = new Int32Array(streams.length * R).fill(-1);
  streams.forEach((list, m) => rows.set(list, m * R));
  return { rowsPerAp: R, rows };
}

/**
 * Per-cell beams [B, M, K, 2N] (paper000Scene 'per-cell', / the MLPs' layout, row k of BS m = user m·K + k)
 * → dense [B, M, U, 2N], by a one-hot product (differentiable, no gather).
 */
export function denseFromCellBeams(tf: Tf, d: IsacDims, Wk: Tensor): Tensor {
  return tf.tidy(() => {
    const { numBs: M, usersPerCell: K } = d;
    const U = M * K;
    const sel = new Float32Array(M * U * K);
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) sel[(m * U + m * K + k) * K + k] = 1;
    const B = Wk.shape[0]!;
    const w = tf.reshape(Wk, [B, M, 1, K, 2 * d.numTxAnt]);
    return tf.sum(tf.mul(w, tf.tensor5d(sel, [1, M, U, K, 1])), 3);
  });
}

/** The twin's packed beams (W_m rows = streams[m]) → dense [M, S, 2N] float32. */
export function denseBeams(scene: LossScene, W: Beamformers, streams: Int32Array[]): Float32Array {
  const { numAps: M, numStreams: S, numTxAnt: N } = scene;
  const out = new Float32Array(M * S * 2 * N);
  for (let m = 0; m < M; m++) {
    streams[m].forEach((s, r) => {
      for (let i = 0; i < 2 * N; i++) out[(m * S + s) * 2 * N + i] = W[m][r * 2 * N + i];
    });
  }
  return out;
}

/** Dense [M, S, 2N] (one sample, from offset) → the twin's packed beams for `streams`. */
export function packBeams(scene: LossScene, dense: ArrayLike<number>, streams: Int32Array[], offset = 0): Beamformers {
  const { numStreams: S, numTxAnt: N } = scene;
  return streams.map((rows, m) => {
    const Wm = new Float64Array(rows.length * 2 * N);
    rows.forEach((s, r) => {
      for (let i = 0; i < 2 * N; i++) Wm[r * 2 * N + i] = dense[offset + (m * S + s) * 2 * N + i];
    });
    return Wm;
  });
}

/** [1, M, S, 1] mask of the carried streams ([1, M, R, 1] of the used rows, packed): multiply a model's raw output by it. */
export function carrierMask(tf: Tf, scene: LossScene): Tensor {
  if (scene.packed) {
    const { rowsPerAp: R, rows } = scene.packed;
    return tf.tensor4d(Float32Array.from(rows, (s) => (s >= 0 ? 1 : 0)), [1, scene.numAps, R, 1]);
  }
  return tf.tensor4d(Float32Array.from(scene.carries), [1, scene.numAps, scene.numStreams, 1]);
}

/**
 * [2N, 4N] constant E with w·E = [w, rot(w)] for an interleaved row w (rot: (re, im) ↦ (im, −re)).
 * Expanding by one 2-D matMul instead of split/concat on the (re, im) axis: wasm's SplitV on a
 * size-2 innermost axis (and its Concat gradient) cost ~25× the rest of the loss.
 */
function expandMatrix(tf: Tf, n2: number): Tensor {
  const e = new Float32Array(n2 * 2 * n2);
  for (let i = 0; i < n2; i++) e[i * 2 * n2 + i] = 1;
  for (let k = 0; k < n2 / 2; k++) {
    e[(2 * k + 1) * 2 * n2 + n2 + 2 * k] = 1; // rot re ← w im
    e[2 * k * 2 * n2 + n2 + 2 * k + 1] = -1; // rot im ← −w re
  }
  return tf.tensor2d(e, [n2, 2 * n2]);
}

/**
 * Wc: [B, M, S, 2N] → [B, M, 2S, 2N], rows interleaved per stream (row 2s = w_s, row 2s+1 =
 * rot(w_s)), so z = h·Wcᵀ holds (Re hᴴw_s, Im hᴴw_s) at columns (2s, 2s+1).
 */
function expand(tf: Tf, W: Tensor): Tensor {
  const [B, M, S, n2] = W.shape as number[];
  return tf.reshape(tf.matMul(tf.reshape(W, [B * M * S, n2]), expandMatrix(tf, n2)), [B, M, 2 * S, n2]);
}

/** |z|² of [.., 2S] (interleaved (re, im) per stream, as `expand` makes it) → [.., S]. */
function abs2(tf: Tf, z: Tensor, S: number): Tensor {
  const shape = z.shape.slice(0, -1);
  return tf.sum(tf.reshape(tf.square(z), [...shape, S, 2]), -1);
}

export interface CommOptions {
  /**
   * false: a user hears only the APs serving it (drops every other AP's contribution, desired and
   * interfering): the per-cell DL baseline's loss of isac-loss.ts (`interCell: false`).
   */
  interCell?: boolean;
}

/** γ_u [B, U] of commSinrInto: coherent joint transmission, dense or packed beams (LossScene.packed). */
export function commSinrTf(tf: Tf, scene: LossScene, H: Tensor, W: Tensor, opts: CommOptions = {}): Tensor {
  return tf.tidy(() => {
    const { numAps: M, numUsers: U, numStreams: S, numTxAnt: N } = scene;
    const B = W.shape[0];
    let Hm = H;
    if (opts.interCell === false) {
      // serving mask [1, M, U, 1] from the carriers of the users' streams
      const serve = new Float32Array(M * U);
      for (let m = 0; m < M; m++) for (let u = 0; u < U; u++) serve[m * U + u] = scene.carries[m * S + u];
      Hm = tf.mul(H, tf.tensor4d(serve, [1, M, U, 1]));
    }
    let a: Tensor; // [B, U, 2S]: (Re, Im) of a_{u,s} = Σ_m h_{m,u}ᴴ w_{m,s}
    if (scene.packed) {
      // per AP: z_{m,u,r} = h_{m,u}ᴴ w_{m,r}; then a_{u,s} = Σ_{(m,r) carrying s} z_{m,u,r}, a
      // constant 0/1 map on the (m, r) axis (one 2-D matMul)
      const { rowsPerAp: R, rows } = scene.packed;
      const z = tf.matMul(tf.reshape(Hm, [B * M, U, 2 * N]), tf.reshape(expand(tf, W), [B * M, 2 * R, 2 * N]), false, true);
      const zt = tf.reshape(tf.transpose(tf.reshape(z, [B, M, U, 2 * R]), [0, 2, 1, 3]), [B * U, M * 2 * R]);
      const sel = new Float32Array(M * 2 * R * 2 * S);
      for (let m = 0; m < M; m++) {
        for (let r = 0; r < R; r++) {
          const st = rows[m * R + r];
          if (st < 0) continue;
          sel[(m * 2 * R + 2 * r) * 2 * S + 2 * st] = 1;
          sel[(m * 2 * R + 2 * r + 1) * 2 * S + 2 * st + 1] = 1;
        }
      }
      a = tf.reshape(tf.matMul(zt, tf.tensor2d(sel, [M * 2 * R, 2 * S])), [B, U, 2 * S]);
    } else {
      // stack the AP axis into the inner product: Σ_m h_{m,u}ᴴ w_{m,s} is one dot over M·2N
      const Hs = tf.reshape(tf.transpose(Hm, [0, 2, 1, 3]), [B, U, M * 2 * N]);
      const Ws = tf.reshape(tf.transpose(expand(tf, W), [0, 2, 1, 3]), [B, 2 * S, M * 2 * N]);
      a = tf.matMul(Hs, Ws, false, true);
    }
    const P = abs2(tf, a, S); // [B, U, S] = |a_{u,s}|²
    const eye = new Float32Array(U * S);
    for (let u = 0; u < U; u++) eye[u * S + u] = 1;
    const desiredMask = tf.tensor3d(eye, [1, U, S]);
    const desired = tf.sum(tf.mul(P, desiredMask), -1);
    const interf = tf.sum(tf.mul(P, tf.sub(1, desiredMask)), -1);
    return tf.div(desired, tf.add(interf, scene.noiseComm));
  });
}

/** E [B, T, M] with E_{t,m} = ‖g_{t,m}ᴴ W_m‖² (every stream of W_m). */
export function beamEnergyTf(tf: Tf, G: Tensor, W: Tensor): Tensor {
  return tf.tidy(() => {
    const [B, M, S, n2] = W.shape as number[];
    const T = G.shape[1]!;
    const Gm = tf.reshape(tf.transpose(G, [0, 2, 1, 3]), [B * M, T, n2]);
    const Wc = tf.reshape(expand(tf, W), [B * M, 2 * S, n2]);
    const E = tf.sum(tf.square(tf.matMul(Gm, Wc, false, true)), -1); // [B·M, T]
    return tf.transpose(tf.reshape(E, [B, M, T]), [0, 2, 1]);
  });
}

/** Multistatic SNR_t = Σ_m ‖g_{t,m}ᴴ W_m‖² [B, T] (paper 001 eq. 6, paper 004 eq. 7). */
export function multistaticSnrTf(tf: Tf, G: Tensor, W: Tensor): Tensor {
  return tf.tidy(() => tf.sum(beamEnergyTf(tf, G, W), -1));
}

export interface MonostaticOptions {
  /** false: drops the other BSs' leakage (per-cell DL baseline, as isac-loss.ts). */
  interCell?: boolean;
}

/** Monostatic MRC sensing SINR γ^s_t [B, T] of paper 000 (eq. 8 as implemented in sensingSinrInto). */
export function monostaticSinrTf(
  tf: Tf,
  sens: Extract<LossSensing, { geometry: 'monostatic' }>,
  G: Tensor,
  I: Tensor,
  W: Tensor,
  opts: MonostaticOptions = {},
): Tensor {
  return tf.tidy(() => {
    const [B, M, S, n2] = W.shape as number[];
    const T = sens.numTargets;
    const J = sens.maxTargetsPerBs;
    const own = new Float32Array(T * M);
    for (let t = 0; t < T; t++) own[t * M + sens.targetBs[t]] = 1;
    const ownT = tf.tensor3d(own, [1, T, M]);
    const E = beamEnergyTf(tf, G, W);
    const signal = tf.sum(tf.mul(E, ownT), -1);
    let noise: Tensor = tf.scalar(sens.noiseSens);
    if (opts.interCell !== false) noise = tf.add(noise, tf.sum(tf.mul(E, tf.sub(1, ownT)), -1));
    if (J > 0) {
      // W_{m(t)} for every target by a one-hot matMul (no gather: its gradient has no wasm kernel)
      const X = 2 * S * n2;
      const Wc = tf.reshape(tf.transpose(tf.reshape(expand(tf, W), [B, M, X]), [1, 0, 2]), [M, B * X]);
      const Wt = tf.reshape(tf.transpose(tf.reshape(tf.matMul(tf.tensor2d(own, [T, M]), Wc), [T, B, 2 * S, n2]), [1, 0, 2, 3]), [B * T, 2 * S, n2]);
      const It = tf.reshape(I, [B * T, J, n2]);
      const intra = tf.reshape(tf.sum(tf.square(tf.matMul(It, Wt, false, true)), [1, 2]), [B, T]);
      noise = tf.add(noise, intra);
    }
    return tf.div(signal, noise);
  });
}

/** log2(1 + x) elementwise. */
export function log2p1(tf: Tf, x: Tensor): Tensor {
  return tf.tidy(() => tf.div(tf.log1p(x), Math.LN2));
}

/** Per-sample rates: R_c [B] = Σ_u log2(1 + γ_u). */
export function sumRateTf(tf: Tf, sinr: Tensor): Tensor {
  return tf.tidy(() => tf.sum(log2p1(tf, sinr), -1));
}

/** Per-sample min_u γ_u [B] (paper 001's g₂). `softness` τ > 0: the smooth −τ log Σ e^{−γ/τ} instead. */
export function minSinrTf(tf: Tf, sinr: Tensor, softness = 0): Tensor {
  return tf.tidy(() => (softness > 0 ? tf.mul(tf.logSumExp(tf.div(sinr, -softness), -1), -softness) : tf.min(sinr, -1)));
}

/**
 * Per-AP power normalisation (eq. 11, normalisePower): W_m ← √(P_m / ‖W_m‖²) W_m over all its
 * streams, so ‖W_m‖² = P_m exactly; an all-zero W_m stays zero (its norm is floored at 1e-30,
 * which leaves every other scale unchanged). Apply `carrierMask` first.
 */
export function normalisePerAp(tf: Tf, scene: LossScene, W: Tensor): Tensor {
  return tf.tidy(() => {
    const p = tf.maximum(tf.sum(tf.square(W), [2, 3], true), 1e-30); // [B, M, 1, 1]
    const budget = tf.tensor4d(Float32Array.from(scene.powerW), [1, scene.numAps, 1, 1]);
    return tf.mul(W, tf.sqrt(tf.div(budget, p)));
  });
}

/** [B, M] transmit power ‖W_m‖² of every AP. */
export function apPowerTf(tf: Tf, W: Tensor): Tensor {
  return tf.tidy(() => tf.sum(tf.square(W), [2, 3]));
}

// ------------------------------------------------------------------------------------ LossSpec

/** One batch of a scene: channels (and the sensing channels its losses need). */
export interface LossBatch {
  scene: LossScene;
  /** [B, M, U, 2N] */ H: Tensor;
  /** [B, T, M, 2N] equivalent sensing channels (sensing losses). */ G?: Tensor;
  /** [B, T, J, 2N] monostatic intra-cell leakage (monostatic sensing). */ I?: Tensor;
}

/** A loss: `evaluate` is the scalar to minimise (batch mean), `metrics` named per-sample tensors [B]. */
export interface LossSpec {
  name: string;
  params: Record<string, number | boolean>;
  evaluate(tf: Tf, batch: LossBatch, W: Tensor): Tensor;
  metrics(tf: Tf, batch: LossBatch, W: Tensor): Record<string, Tensor>;
}

/** Per-sample sensing SINR/SNR [B, T] of a batch, as its scene's geometry says. */
export function sensingSinrTf(tf: Tf, batch: LossBatch, W: Tensor, opts: MonostaticOptions = {}): Tensor {
  const sens = batch.scene.sensing;
  if (!sens) throw new Error('sensing loss on a scene without targets');
  if (!batch.G) throw new Error('sensing loss needs batch.G (equivalent sensing channels)');
  if (sens.geometry === 'multistatic') return multistaticSnrTf(tf, batch.G, W);
  if (!batch.I && sens.maxTargetsPerBs > 0) throw new Error('monostatic sensing needs batch.I (intra-cell leakage)');
  return monostaticSinrTf(tf, sens, batch.G, batch.I ?? tf.zeros([W.shape[0]!, sens.numTargets, 0, W.shape[3]!]), W, opts);
}

function spec(name: string, params: Record<string, number | boolean>, metrics: LossSpec['metrics'], pick: (m: Record<string, Tensor>) => Tensor): LossSpec {
  return {
    name,
    params,
    metrics,
    evaluate: (tf, batch, W) =>
      tf.tidy(() => {
        const m = metrics(tf, batch, W);
        return tf.neg(tf.mean(pick(m)));
      }),
  };
}

/** −mean R_c (sum rate, bit/s/Hz). Metrics: rc. */
export function sumRateLoss(opts: CommOptions = {}): LossSpec {
  return spec(
    'sum-rate',
    { interCell: opts.interCell !== false },
    (tf, b, W) => tf.tidy(() => ({ rc: sumRateTf(tf, commSinrTf(tf, b.scene, b.H, W, opts)) })),
    (m) => m.rc,
  );
}

/** −mean min_u γ_u (paper 001's g₂; `softness` > 0 smooths the min). Metrics: minSinr. */
export function minSinrLoss(opts: { softness?: number } = {}): LossSpec {
  const softness = opts.softness ?? 0;
  return spec('min-sinr', { softness }, (tf, b, W) => tf.tidy(() => ({ minSinr: minSinrTf(tf, commSinrTf(tf, b.scene, b.H, W), softness) })), (m) => m.minSinr);
}

/** −mean(ρ R_c + (1−ρ) R_s) (paper 000 eq. 10/17; R_s over the scene's geometry). Metrics: rc, rs, objective. */
export function isacObjectiveLoss(opts: { rho: number; interCell?: boolean }): LossSpec {
  const { rho } = opts;
  const interCell = opts.interCell !== false;
  return spec(
    'isac-objective',
    { rho, interCell },
    (tf, b, W) =>
      tf.tidy(() => {
        const rc = sumRateTf(tf, commSinrTf(tf, b.scene, b.H, W, { interCell }));
        const rs = sumRateTf(tf, sensingSinrTf(tf, b, W, { interCell }));
        return { rc, rs, objective: tf.add(tf.mul(rc, rho), tf.mul(rs, 1 - rho)) };
      }),
    (m) => m.objective,
  );
}

/** −mean(Σ_u R_u + β_s Σ_t log2(1 + SNR_t)) (paper 004's J). Metrics: rc, rs, objective. */
export function paper004Loss(opts: { betaS: number }): LossSpec {
  const { betaS } = opts;
  return spec(
    'paper004',
    { betaS },
    (tf, b, W) =>
      tf.tidy(() => {
        const rc = sumRateTf(tf, commSinrTf(tf, b.scene, b.H, W));
        const rs = sumRateTf(tf, sensingSinrTf(tf, b, W));
        return { rc, rs, objective: tf.add(rc, tf.mul(rs, betaS)) };
      }),
    (m) => m.objective,
  );
}

/** −mean((1−β) g₁ + β g₂), g₁ = Σ_t SNR_t (SSNR), g₂ = min_u γ_u (paper 001 eq. 10). Metrics: ssnr, minSinr, objective. */
export function paper001TeacherLoss(opts: { beta: number; softness?: number }): LossSpec {
  const { beta } = opts;
  const softness = opts.softness ?? 0;
  return spec(
    'paper001-teacher',
    { beta, softness },
    (tf, b, W) =>
      tf.tidy(() => {
        const ssnr = tf.sum(sensingSinrTf(tf, b, W), -1);
        const minSinr = minSinrTf(tf, commSinrTf(tf, b.scene, b.H, W), softness);
        return { ssnr, minSinr, objective: tf.add(tf.mul(ssnr, 1 - beta), tf.mul(minSinr, beta)) };
      }),
    (m) => m.objective,
  );
}
