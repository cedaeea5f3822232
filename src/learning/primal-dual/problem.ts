/**
 * Paper 002's single-BS problem (docs/primal-dual.md): the configuration, the channel samples
 * (reproducible from a seed with labels.ts's per-sample streams), the features the networks see,
 * and the per-sample quantities every method's evaluation and the tf losses share.
 *
 * Channel of user k: h_k = [f_k; g_k] ∈ C^{M_R + M_C} (radar antennas first, as the paper's
 * h_k = [f_k; g_k]), entries i.i.d. CN(0, 1) ("flat Rayleigh fading", no path loss: choice C5).
 * Stored per sample as H [K, M] complex interleaved (row k = h_k), M = M_R + M_C.
 * Features (float32), two kinds (docs/primal-dual.md choice C9):
 *  - 'channel' (the paper's 2MK input): x = [Re h_1, …, Re h_K, Im h_1, …, Im h_K];
 *  - 'gains' (K² + KP, Sun et al.'s kind of input): the gains stage 1's SINR depends on, a_kl²
 *    (k, l) then c_kp (k, p), each as a standardised log: (log(g/θ) − ψ(s)) / √ψ'(s) for its
 *    Gamma(s, θ) law under CN(0, 1) channels — own gain ‖g_k‖² ~ Gamma(M_C, 1), cross gain
 *    |g_kᵀu_l|² ~ Gamma(1, 1), radar gain |f_kᵀb_p|² ~ Gamma(1, M_R) — so every input is ≈ zero
 *    mean and unit variance, exactly, with no statistics estimated from data.
 *
 * Stage 1 ("power control on fixed directions", choice C1): user k's beam is F_k = √p_k u_k with
 * the MRT direction u_k = conj(g_k)/‖g_k‖ (so g_kᵀu_k = ‖g_k‖), 0 ≤ p_k ≤ P_max; the radar covariance
 * is R = Σ_p q_p b_p b_pᴴ over the unit-modulus target beams b_p = √M_R a(θ_p) with q ≥ 0,
 * Σ_p q_p = P_R/M_R, which meets eq. (5)'s diag(R) = (P_R/M_R)·1, R ⪰ 0, R = Rᴴ exactly. Then
 *   γ_k = p_k a_kk² / (Σ_{l≠k} p_l a_kl² + Σ_p q_p c_kp + N_0),
 *   a_kl = |g_kᵀ u_l|,  c_kp = |f_kᵀ b_p|²,
 * which is eq. (11) on those beams (tested against metrics/beampattern.ts isacSinrInto).
 */
import { czeros, type CArray } from '../../phy/complex.ts';
import { streamFor } from '../../phy/random.ts';
import {
  beampatternSpec,
  sensingLossOfFactor,
  splitFactor,
  targetBeams,
  type BeampatternSpec,
  type SensingLoss,
} from '../../metrics/beampattern.ts';
import type { SampleGenerator } from '../labels.ts';

export interface Paper002Config {
  /** K users served by the BS */ numUsers: number;
  /** M_C */ numCommAnt: number;
  /** M_R */ numRadarAnt: number;
  /** θ_p of the P targets (degrees from broadside) */ targetsDeg: number[];
  /** Δ of d(θ) (degrees) */ beamWidthDeg: number;
  /** P_max per user (W) */ powerMaxW: number;
  /** P_R = tr(R) (W) */ radarPowerW: number;
  /** SNR = P_max / N_0 (dB) */ snrDb: number;
  /** ε of L_r ≤ ε (eq. 10) */ epsilon: number;
}

/** The defaults of docs/primal-dual.md (paper values where it gives them, notes §6 elsewhere). */
export const PAPER002_DEFAULTS: Readonly<Paper002Config> = Object.freeze({
  numUsers: 5,
  numCommAnt: 12,
  numRadarAnt: 12,
  targetsDeg: [-70, 0, 40],
  beamWidthDeg: 10,
  powerMaxW: 0.1,
  radarPowerW: 0.1,
  snrDb: 10,
  epsilon: 0.15,
});

export class Paper002ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Paper002ConfigError';
  }
}

export interface Paper002Problem {
  cfg: Paper002Config;
  /** K, M_C, M_R, P, M = M_R + M_C */
  K: number;
  MC: number;
  MR: number;
  P: number;
  M: number;
  /** N_0 = P_max / 10^{SNR/10} */
  noiseW: number;
  spec: BeampatternSpec;
  /** b_p = √M_R a(θ_p), [P, M_R] complex */
  beams: CArray;
  /** q⋆: the split with the least L_r (W per beam, Σ = P_R/M_R); the baselines' radar. */
  bestSplit: Float64Array;
  bestSplitLoss: SensingLoss;
}

export function checkConfig(cfg: Paper002Config): void {
  const int = (v: number, f: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Paper002ConfigError(`${f} must be a positive integer, got ${v}`);
  };
  int(cfg.numUsers, 'numUsers');
  int(cfg.numCommAnt, 'numCommAnt');
  int(cfg.numRadarAnt, 'numRadarAnt');
  if (cfg.targetsDeg.length < 1) throw new Paper002ConfigError('targetsDeg must name at least one target');
  cfg.targetsDeg.forEach((t, p) => {
    if (!(Math.abs(t) <= 90)) throw new Paper002ConfigError(`targetsDeg[${p}] must lie in [−90, 90], got ${t}`);
  });
  for (const f of ['beamWidthDeg', 'powerMaxW', 'radarPowerW', 'epsilon'] as const) {
    if (!(cfg[f] > 0)) throw new Paper002ConfigError(`${f} must be > 0, got ${cfg[f]}`);
  }
  if (!Number.isFinite(cfg.snrDb)) throw new Paper002ConfigError(`snrDb must be finite, got ${cfg.snrDb}`);
}

export function paper002Problem(overrides: Partial<Paper002Config> = {}): Paper002Problem {
  const cfg: Paper002Config = { ...PAPER002_DEFAULTS, ...overrides, targetsDeg: [...(overrides.targetsDeg ?? PAPER002_DEFAULTS.targetsDeg)] };
  checkConfig(cfg);
  const spec = beampatternSpec({ numAnt: cfg.numRadarAnt, targetsDeg: cfg.targetsDeg, widthDeg: cfg.beamWidthDeg, radarPowerW: cfg.radarPowerW });
  const beams = targetBeams(cfg.numRadarAnt, cfg.targetsDeg);
  const P = cfg.targetsDeg.length;
  const { split, loss } = bestSplit(spec, beams, cfg.radarPowerW / cfg.numRadarAnt);
  return {
    cfg,
    K: cfg.numUsers,
    MC: cfg.numCommAnt,
    MR: cfg.numRadarAnt,
    P,
    M: cfg.numCommAnt + cfg.numRadarAnt,
    noiseW: cfg.powerMaxW / 10 ** (cfg.snrDb / 10),
    spec,
    beams,
    bestSplit: split,
    bestSplitLoss: loss,
  };
}

/** L_r of the split q (W per beam). */
export function splitLoss(spec: BeampatternSpec, beams: CArray, q: ArrayLike<number>): SensingLoss {
  return sensingLossOfFactor(spec, splitFactor(beams, spec.numAnt, q), q.length);
}

/**
 * q⋆ = argmin_q L_r(Σ_p q_p b_p b_pᴴ) over q ≥ 0, Σ q = total. L_r is convex in q (L_r,1 is a
 * convex quadratic of the pattern, which is linear in q; L_r,2 a sum of moduli of linear maps),
 * so pairwise exchange — move mass t between two beams, t by golden section — from the equal
 * split descends to the minimum (to 1e-9 of the total mass here).
 */
export function bestSplit(spec: BeampatternSpec, beams: CArray, total: number): { split: Float64Array; loss: SensingLoss } {
  const P = beams.length / (2 * spec.numAnt);
  const q = new Float64Array(P).fill(total / P);
  const f = (x: Float64Array) => splitLoss(spec, beams, x).total;
  let best = f(q);
  if (P > 1) {
    for (let round = 0; round < 200; round++) {
      const start = best;
      for (let i = 0; i < P; i++) {
        for (let j = i + 1; j < P; j++) {
          // q_i += t, q_j −= t with t ∈ [−q_i, q_j]
          const at = (t: number) => {
            const x = Float64Array.from(q);
            x[i] += t;
            x[j] -= t;
            x[i] = Math.max(0, x[i]);
            x[j] = Math.max(0, x[j]);
            return x;
          };
          let lo = -q[i];
          let hi = q[j];
          const g = (Math.sqrt(5) - 1) / 2;
          let c = hi - g * (hi - lo);
          let d = lo + g * (hi - lo);
          let fc = f(at(c));
          let fd = f(at(d));
          while (hi - lo > 1e-9 * total) {
            if (fc < fd) {
              hi = d;
              d = c;
              fd = fc;
              c = hi - g * (hi - lo);
              fc = f(at(c));
            } else {
              lo = c;
              c = d;
              fc = fd;
              d = lo + g * (hi - lo);
              fd = f(at(d));
            }
          }
          const t = (lo + hi) / 2;
          const cand = at(t);
          const fv = f(cand);
          if (fv < best) {
            best = fv;
            q.set(cand);
          }
        }
      }
      if (start - best <= 1e-12) break;
    }
  }
  return { split: q, loss: splitLoss(spec, beams, q) };
}

// ------------------------------------------------------------------------------- samples

/** labels.ts generator of paper 002's channels: { H: [K, M] complex, CN(0, 1) entries }. */
export function paper002Generator(pb: Paper002Problem): SampleGenerator<{ H: Float32Array }> {
  const { K, M, MR, MC } = pb;
  return {
    name: 'paper002',
    spec: { K, MR, MC, fading: 'iid-rayleigh' },
    draw: (rng) => {
      const h = czeros(K * M);
      rng.complexNormal(h);
      return { H: Float32Array.from(h) };
    },
  };
}

/**
 * Samples start … start+n−1 of the generator's stream for `seed`: sample i from
 * streamFor(seed, 'labels:paper002:<i>'), the per-sample streams of labels.ts, so the channels
 * of a labelled dataset and of an unsupervised run with the same seed are the same.
 */
export function drawChannels(pb: Paper002Problem, seed: number, start: number, n: number): Float32Array {
  const gen = paper002Generator(pb);
  const size = 2 * pb.K * pb.M;
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) out.set(gen.draw(streamFor(seed, `labels:${gen.name}:${start + i}`), start + i).H, i * size);
  return out;
}

/** The network's input: the raw channel (the paper's) or the standardised log-gains. */
export type FeatureKind = 'channel' | 'gains';
export const FEATURE_KINDS: readonly FeatureKind[] = ['channel', 'gains'];

/** Input length of a feature kind. */
export function featureDim(pb: Paper002Problem, kind: FeatureKind): number {
  return kind === 'channel' ? 2 * pb.M * pb.K : pb.K * pb.K + pb.K * pb.P;
}

/** ψ(s) and ψ'(s) of a positive integer s (closed forms). */
export function digammaInt(s: number): { psi: number; trigamma: number } {
  let h1 = 0;
  let h2 = 0;
  for (let i = 1; i < s; i++) {
    h1 += 1 / i;
    h2 += 1 / (i * i);
  }
  return { psi: -0.5772156649015329 + h1, trigamma: (Math.PI * Math.PI) / 6 - h2 };
}

/** The per-sample quantities of a set of channels (see the module comment). */
export interface ChannelSet {
  n: number;
  /** [n, K, M] complex (float32 values) */ H: Float32Array;
  /** [n, 2MK] 'channel' features */ x: Float32Array;
  /** [n, K² + KP] 'gains' features */ xGains: Float32Array;
  /** a_kl = |g_kᵀ u_l|, [n, K, K] */ amplitude: Float64Array;
  /** c_kp = |f_kᵀ b_p|², [n, K, P] */ radarGain: Float64Array;
  /** u_k = conj(g_k)/‖g_k‖, [n, K, M_C] complex */ U: Float64Array;
}

/** g_k of sample s as a complex array [M_C] (float64). */
export function commChannel(pb: Paper002Problem, H: Float32Array, s: number, k: number): CArray {
  const o = 2 * ((s * pb.K + k) * pb.M + pb.MR);
  return Float64Array.from(H.subarray(o, o + 2 * pb.MC));
}

/** f_k of sample s [M_R] (float64). */
export function radarChannel(pb: Paper002Problem, H: Float32Array, s: number, k: number): CArray {
  const o = 2 * (s * pb.K + k) * pb.M;
  return Float64Array.from(H.subarray(o, o + 2 * pb.MR));
}

export function channelSet(pb: Paper002Problem, H: Float32Array): ChannelSet {
  const { K, M, MR, MC, P } = pb;
  const size = 2 * K * M;
  if (H.length % size !== 0) throw new RangeError(`channelSet: ${H.length} values is not a whole number of [${K}, ${M}] complex samples`);
  const n = H.length / size;
  const x = new Float32Array(n * K * M * 2);
  const amplitude = new Float64Array(n * K * K);
  const radarGain = new Float64Array(n * K * P);
  const U = new Float64Array(n * K * MC * 2);
  for (let s = 0; s < n; s++) {
    const base = s * size;
    for (let i = 0; i < K * M; i++) {
      x[s * size + i] = H[base + 2 * i];
      x[s * size + K * M + i] = H[base + 2 * i + 1];
    }
    for (let k = 0; k < K; k++) {
      const g = commChannel(pb, H, s, k);
      let n2 = 0;
      for (let i = 0; i < 2 * MC; i++) n2 += g[i] * g[i];
      const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
      const uo = 2 * (s * K + k) * MC;
      for (let i = 0; i < MC; i++) {
        U[uo + 2 * i] = g[2 * i] * inv;
        U[uo + 2 * i + 1] = -g[2 * i + 1] * inv;
      }
    }
    for (let k = 0; k < K; k++) {
      const g = commChannel(pb, H, s, k);
      for (let l = 0; l < K; l++) {
        const uo = 2 * (s * K + l) * MC;
        let re = 0;
        let im = 0;
        for (let i = 0; i < MC; i++) {
          re += g[2 * i] * U[uo + 2 * i] - g[2 * i + 1] * U[uo + 2 * i + 1];
          im += g[2 * i] * U[uo + 2 * i + 1] + g[2 * i + 1] * U[uo + 2 * i];
        }
        amplitude[(s * K + k) * K + l] = Math.hypot(re, im);
      }
      const f = radarChannel(pb, H, s, k);
      for (let p = 0; p < P; p++) {
        let re = 0;
        let im = 0;
        for (let i = 0; i < MR; i++) {
          const br = pb.beams[2 * (p * MR + i)];
          const bi = pb.beams[2 * (p * MR + i) + 1];
          re += f[2 * i] * br - f[2 * i + 1] * bi;
          im += f[2 * i] * bi + f[2 * i + 1] * br;
        }
        radarGain[(s * K + k) * P + p] = re * re + im * im;
      }
    }
  }
  const xGains = gainFeatures(pb, n, amplitude, radarGain);
  return { n, H, x, xGains, amplitude, radarGain, U };
}

function gainFeatures(pb: Paper002Problem, n: number, amplitude: Float64Array, radarGain: Float64Array): Float32Array {
  const { K, P, MC, MR } = pb;
  const D = K * K + K * P;
  const out = new Float32Array(n * D);
  const own = digammaInt(MC);
  const one = digammaInt(1);
  const std = (g: number, theta: number, law: { psi: number; trigamma: number }) => (Math.log(Math.max(g, 1e-30) / theta) - law.psi) / Math.sqrt(law.trigamma);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) out[s * D + k * K + l] = std(amplitude[(s * K + k) * K + l] ** 2, 1, k === l ? own : one);
      for (let p = 0; p < P; p++) out[s * D + K * K + k * P + p] = std(radarGain[(s * K + k) * P + p], MR, one);
    }
  }
  return out;
}

/** The input rows of a set for a feature kind, [n, featureDim]. */
export function featuresOf(set: ChannelSet, kind: FeatureKind): Float32Array {
  return kind === 'channel' ? set.x : set.xGains;
}

/** A stage-1 decision for every sample: user powers p [n, K] and radar split q [n, P] (W). */
export interface Allocation {
  p: Float64Array;
  q: Float64Array;
}

/** γ_k of sample s under an allocation (the scalar form of eq. 11 above) into out [K]. */
export function stage1SinrInto(out: Float64Array, pb: Paper002Problem, set: ChannelSet, s: number, p: ArrayLike<number>, q: ArrayLike<number>, po = 0, qo = 0): Float64Array {
  const { K, P } = pb;
  for (let k = 0; k < K; k++) {
    let den = pb.noiseW;
    for (let l = 0; l < K; l++) if (l !== k) den += p[po + l] * set.amplitude[(s * K + k) * K + l] ** 2;
    for (let j = 0; j < P; j++) den += q[qo + j] * set.radarGain[(s * K + k) * P + j];
    out[k] = (p[po + k] * set.amplitude[(s * K + k) * K + k] ** 2) / den;
  }
  return out;
}
