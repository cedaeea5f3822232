/**
 * Paper 002's distributed mode (Sec. IV, eqs. 27–38; docs/primal-dual.md §9) in stage 1's
 * power-control form: J BSs, each serving K users on MRT directions with its radar split over its
 * own target beams, now with inter-cell interference in the SINR (choice D1) —
 *   γ_jk = p_jk a²_{jk,jk} / (Σ_{l≠k} p_jl a²_{jk,jl} + Σ_p q_jp c_{jk,jp}
 *                             + Σ_{i≠j} (Σ_l p_il a²_{jk,il} + Σ_p q_ip c_{jk,ip}) + N_0),
 *   a²_{n,il} = |g_{i,n}ᵀ u_il|²,  c_{n,ip} = |f_{i,n}ᵀ b_ip|²,
 * where g_{i,n}, f_{i,n} are BS i's communication and radar channels to user n: CN(0, 1) entries
 * to its own users, CN(0, β) to the other cells' users (β: `crossGain`, choice D2; the paper has
 * no geometry).
 *
 * Every quantity is a "stream" s of one of the J(K + P) transmit powers (comm p_il, radar q_ip) and
 * its gain G[n, s] at user n, so the rate is the scalar-interference form
 *   r_n = log2(T_n / D_n),  T_n = Σ_s x_s G[n, s] + N_0,  D_n = T_n − x_{d(n)} G[n, d(n)],
 * with its gradient written out (interferenceRateTf; stage 1's stage1RateTf is the J = 1 case).
 *
 * Local CSI (choice D3): BS j knows the gains of every stream at its own users — what its users
 * measure from every BS's pilots — K·J(K + P) values, standardised logs of their Gamma laws (as
 * problem.ts). The cross-cell interference BS j causes lands at the other cells' users, whose
 * gains only those BSs know: that is what the exchanged bits can carry.
 *
 * Quantiser (eqs. 27–29): v = tanh(·) ∈ (−1, 1)^L, stochastic binarisation v̂ = +1 with
 * probability (1 + v)/2, else −1 (so E[v̂] = v), straight-through in training (∂v̂/∂v = 1); at
 * inference v̂ = sign(v) (ties → +1).
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { beampatternSpec, targetBeams, type BeampatternSpec } from '../../metrics/beampattern.ts';
import { czeros, type CArray } from '../../phy/complex.ts';
import { streamFor, type Rng } from '../../phy/random.ts';
import { bestSplit, digammaInt, PAPER002_DEFAULTS, type Paper002Config } from './problem.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export interface DistributedConfig extends Omit<Paper002Config, 'targetsDeg'> {
  /** Target angles of each BS (J = length). */
  targetsDegPerBs: number[][];
  /** β: variance of the inter-cell channel entries (own cell: 1). */
  crossGain: number;
}

/** The paper's three BSs (its Fig. 11's angle sets) and β = 0.3. */
export const DISTRIBUTED_DEFAULTS: Readonly<DistributedConfig> = Object.freeze({
  ...(({ targetsDeg: _t, ...rest }) => rest)(PAPER002_DEFAULTS),
  targetsDegPerBs: [
    [-40, 0, 40],
    [-70, 0, 40],
    [-50, 0, 70],
  ],
  crossGain: 0.3,
});

export interface DistributedProblem {
  cfg: DistributedConfig;
  J: number;
  K: number;
  P: number;
  MC: number;
  MR: number;
  /** J·K users (user n = j·K + k), J·(K + P) streams: BS i's comm l at i·(K+P) + l, radar p at i·(K+P) + K + p. */
  N: number;
  S: number;
  noiseW: number;
  specs: BeampatternSpec[];
  /** b_ip per BS, [P, M_R] complex */
  beams: CArray[];
  /** q⋆ of each BS's targets */
  bestSplits: Float64Array[];
  /** the desired stream of each user */
  desired: Int32Array;
  /** per-user feature dimension K·S and the standardisation law of each feature */
  featureDim: number;
}

export class DistributedConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistributedConfigError';
  }
}

export function distributedProblem(overrides: Partial<DistributedConfig> = {}): DistributedProblem {
  const cfg: DistributedConfig = { ...DISTRIBUTED_DEFAULTS, ...overrides, targetsDegPerBs: (overrides.targetsDegPerBs ?? DISTRIBUTED_DEFAULTS.targetsDegPerBs).map((t) => [...t]) };
  const J = cfg.targetsDegPerBs.length;
  if (J < 1) throw new DistributedConfigError('targetsDegPerBs must list at least one BS');
  const P = cfg.targetsDegPerBs[0].length;
  cfg.targetsDegPerBs.forEach((t, j) => {
    if (t.length !== P) throw new DistributedConfigError(`targetsDegPerBs[${j}] has ${t.length} targets, BS 0 has ${P} (every BS needs the same count)`);
    t.forEach((a, p) => {
      if (!(Math.abs(a) <= 90)) throw new DistributedConfigError(`targetsDegPerBs[${j}][${p}] must lie in [−90, 90], got ${a}`);
    });
  });
  if (!(cfg.crossGain >= 0)) throw new DistributedConfigError(`crossGain must be ≥ 0, got ${cfg.crossGain}`);
  const K = cfg.numUsers;
  const specs = cfg.targetsDegPerBs.map((t) => beampatternSpec({ numAnt: cfg.numRadarAnt, targetsDeg: t, widthDeg: cfg.beamWidthDeg, radarPowerW: cfg.radarPowerW }));
  const beams = cfg.targetsDegPerBs.map((t) => targetBeams(cfg.numRadarAnt, t));
  const bestSplits = specs.map((s, j) => bestSplit(s, beams[j], cfg.radarPowerW / cfg.numRadarAnt).split);
  const S = J * (K + P);
  const desired = Int32Array.from({ length: J * K }, (_, n) => Math.floor(n / K) * (K + P) + (n % K));
  return { cfg, J, K, P, MC: cfg.numCommAnt, MR: cfg.numRadarAnt, N: J * K, S, noiseW: cfg.powerMaxW / 10 ** (cfg.snrDb / 10), specs, beams, bestSplits, desired, featureDim: K * S };
}

/** Gains of a set of samples: G [n, N, S] (float64) and the features of every BS [n, J, K·S] (float32). */
export interface DistributedSet {
  n: number;
  gains: Float64Array;
  features: Float32Array;
}

/** One sample's gains G[N, S] from fresh channels (rng): see the module comment. */
function drawGains(dp: DistributedProblem, rng: Rng, out: Float64Array, o: number): void {
  const { J, K, P, MC, MR, S } = dp;
  const g = czeros(MC);
  const f = czeros(MR);
  // own-cell directions first: u_il = conj(g_{i,il})/‖·‖, drawn with the own channels
  const H = Array.from({ length: J }, () => Array.from({ length: J * K }, () => ({ g: czeros(MC), f: czeros(MR) })));
  for (let i = 0; i < J; i++) {
    for (let n = 0; n < J * K; n++) {
      const sd = Math.floor(n / K) === i ? 1 : Math.sqrt(dp.cfg.crossGain);
      rng.complexNormal(g);
      rng.complexNormal(f);
      for (let x = 0; x < 2 * MC; x++) H[i][n].g[x] = sd * g[x];
      for (let x = 0; x < 2 * MR; x++) H[i][n].f[x] = sd * f[x];
    }
  }
  for (let i = 0; i < J; i++) {
    for (let l = 0; l < K; l++) {
      const own = H[i][i * K + l].g;
      let n2 = 0;
      for (let x = 0; x < 2 * MC; x++) n2 += own[x] * own[x];
      const inv = 1 / Math.sqrt(n2);
      for (let n = 0; n < J * K; n++) {
        const gv = H[i][n].g;
        let re = 0;
        let im = 0;
        for (let x = 0; x < MC; x++) {
          // gᵀ conj(own) / ‖own‖
          re += gv[2 * x] * own[2 * x] + gv[2 * x + 1] * own[2 * x + 1];
          im += gv[2 * x + 1] * own[2 * x] - gv[2 * x] * own[2 * x + 1];
        }
        out[o + n * S + i * (K + P) + l] = (re * re + im * im) * inv * inv;
      }
    }
    for (let p = 0; p < P; p++) {
      const b = dp.beams[i];
      for (let n = 0; n < J * K; n++) {
        const fv = H[i][n].f;
        let re = 0;
        let im = 0;
        for (let x = 0; x < MR; x++) {
          const br = b[2 * (p * MR + x)];
          const bi = b[2 * (p * MR + x) + 1];
          re += fv[2 * x] * br - fv[2 * x + 1] * bi;
          im += fv[2 * x] * bi + fv[2 * x + 1] * br;
        }
        out[o + n * S + i * (K + P) + K + p] = re * re + im * im;
      }
    }
  }
}

/** Samples start … start+n−1 (sample i from streamFor(seed, 'paper002-distributed:<i>')). */
export function distributedSet(dp: DistributedProblem, seed: number, start: number, n: number): DistributedSet {
  const { N, S, J, K, P, MC, MR } = dp;
  const gains = new Float64Array(n * N * S);
  for (let i = 0; i < n; i++) drawGains(dp, streamFor(seed, `paper002-distributed:${start + i}`), gains, i * N * S);
  const features = new Float32Array(n * J * dp.featureDim);
  const own = digammaInt(MC);
  const one = digammaInt(1);
  const beta = dp.cfg.crossGain;
  for (let s = 0; s < n; s++) {
    for (let n0 = 0; n0 < N; n0++) {
      const j = Math.floor(n0 / K);
      const k = n0 % K;
      for (let st = 0; st < S; st++) {
        const i = Math.floor(st / (K + P));
        const isRadar = st % (K + P) >= K;
        const scale = (i === j ? 1 : beta) * (isRadar ? MR : 1);
        const law = !isRadar && i === j && st === dp.desired[n0] ? own : one;
        const v = gains[(s * N + n0) * S + st];
        features[(s * J + j) * dp.featureDim + k * S + st] = (Math.log(Math.max(v, 1e-30) / Math.max(scale, 1e-30)) - law.psi) / Math.sqrt(law.trigamma);
      }
    }
  }
  return { n, gains, features };
}

/** Per-user rates r_n = log2(T_n/D_n) [B, N] of stream powers x [B, S] (float64, for scoring). */
export function interferenceRates(dp: DistributedProblem, gains: Float64Array, x: ArrayLike<number>, B: number): Float64Array {
  const { N, S } = dp;
  const out = new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let t = dp.noiseW;
      for (let s = 0; s < S; s++) t += x[b * S + s] * gains[(b * N + n) * S + s];
      const d = dp.desired[n];
      out[b * N + n] = Math.log2(t / (t - x[b * S + d] * gains[(b * N + n) * S + d]));
    }
  }
  return out;
}

/**
 * The same as a tf op on x [B, S] with its gradient written out:
 *   ∂r_n/∂x_s = (1/ln 2) G[n, s] (1/T_n − [s ≠ d(n)]/D_n).
 */
export function interferenceRateTf(tf: Tf, dp: DistributedProblem, gains: Float64Array, x: Tensor2D): Tensor2D {
  const [B] = x.shape;
  const { N, S } = dp;
  const body = (xt: Tensor, save: (ts: Tensor[]) => void) => {
    const xv = xt.dataSync();
    const rate = new Float32Array(B * N);
    const T = new Float64Array(B * N);
    const D = new Float64Array(B * N);
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) {
        let t = dp.noiseW;
        for (let s = 0; s < S; s++) t += xv[b * S + s] * gains[(b * N + n) * S + s];
        const d = dp.desired[n];
        T[b * N + n] = t;
        D[b * N + n] = t - xv[b * S + d] * gains[(b * N + n) * S + d];
        rate[b * N + n] = Math.log(t / D[b * N + n]) / Math.LN2;
      }
    }
    save([tf.tensor2d(Float32Array.from(T), [B, N]), tf.tensor2d(Float32Array.from(D), [B, N])]);
    return {
      value: tf.tensor2d(rate, [B, N]),
      gradFunc: (dy: Tensor) => {
        const dyv = dy.dataSync();
        const g = new Float32Array(B * S);
        for (let b = 0; b < B; b++) {
          for (let n = 0; n < N; n++) {
            const w = dyv[b * N + n] / Math.LN2;
            if (w === 0) continue;
            const d = dp.desired[n];
            const iT = 1 / T[b * N + n];
            const iD = 1 / D[b * N + n];
            for (let s = 0; s < S; s++) g[b * S + s] += w * gains[(b * N + n) * S + s] * (iT - (s === d ? 0 : iD));
          }
        }
        return tf.tensor2d(g, [B, S]);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<Tf['customGrad']>[0])(x) as Tensor2D;
}

/**
 * Stochastic binarisation (eqs. 28–29) of v ∈ [−1, 1]: +1 when u < (1 + v)/2, else −1, for the
 * given uniforms u ∈ [0, 1) — E[v̂] = v.
 */
export function binarise(v: ArrayLike<number>, u: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = u[i] < (1 + v[i]) / 2 ? 1 : -1;
  return out;
}

/** Inference quantiser: sign(v), ties → +1. */
export function signBits(v: ArrayLike<number>): Float32Array {
  return Float32Array.from(v as ArrayLike<number>, (x) => (x >= 0 ? 1 : -1));
}

/**
 * v̂ with the straight-through estimator: the value of `hat`, the gradient of v (v + stopgrad(v̂ − v),
 * the difference entering as a constant).
 */
export function straightThrough(tf: Tf, v: Tensor2D, hat: Float32Array): Tensor2D {
  const vv = v.dataSync();
  return tf.add(v, tf.tensor2d(Float32Array.from(hat, (h, i) => h - vv[i]), v.shape)) as Tensor2D;
}
