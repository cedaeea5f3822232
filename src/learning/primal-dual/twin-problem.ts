/**
 * Paper 002 in the twin: the single-array mapping of one BS's problem onto the paper's
 * (docs/primal-dual.md §10, choices T1–T4), and the features the twin models see — one function
 * for training and serving.
 *
 * The paper's BS has two arrays (M_C communication, M_R radar antennas, h_k = [f_k; g_k]); the
 * twin's BS has one ULA of N_T antennas whose rows W_m = [user beams; P sensing streams] all leave
 * the same antennas. Mapping (T1): M_C = M_R = N_T and the radar channel to user k IS its
 * communication channel, f_k = g_k, so a paper-problem sample stores h_k = [g_k; g_k] and every
 * formula of problem.ts / stage2.ts applies unchanged: eq. (11)'s leakage f_kᵀ R f_k* becomes
 * Σ_p |h_kᴴ w_p|², what the twin's user hears from the BS's sensing streams.
 *
 * Units (T2): the paper's P_max = 0.1 W per user, P_R = 0.1 W and N_0 = P_max/10^{SNR/10}; the
 * twin's BS m has the budget P_m for every row and noise σ_c². With P_tot = K·P_max + P_R the
 * paper-unit channel of the twin's user u is
 *   g_k = conj(h_{m,u}) · √(P_m/σ_c²) · √(N_0/P_tot)
 * (the twin hears hᴴw, the paper gᵀF), and the paper-unit beams map back as w = F·√(P_m/P_tot):
 * every SINR of the BS's own users (without the other cells' interference) is the same in both
 * units and the BS transmits exactly P_m, split K·P_max : P_R between its users and its sensing.
 *
 * Features (T3): the stage-1 'gains' (K² + KP log-gains a_kl², c_kp of problem.ts) are
 * standardised there with the exact Gamma laws of CN(0, 1) entries; the twin's channels have path
 * loss (users from 35 m to the cell edge) and Rician line of sight, so those values are far from
 * zero mean and unit variance (measured: `featureCheck`). They are re-standardised per gain kind
 * (own a_kk², cross a_kl², radar c_kp: users are exchangeable) with the mean and s.d. of the
 * training pool, stored with the model: x ← (x − mean_kind)/sd_kind.
 */
import { sensingLossOfFactor, beampatternSpec, type BeampatternSpec, type SensingLoss } from '../../metrics/beampattern.ts';
import type { Topology } from '../../phy/network.ts';
import { channelSet, paper002Problem, type ChannelSet, type Paper002Problem } from './problem.ts';

/** Per-kind moments of the C9-standardised log-gain features: [mean, s.d.] of own, cross and radar gains. */
export interface FeatureMoments {
  own: [number, number];
  cross: [number, number];
  radar: [number, number];
}

/** One BS's problem in the twin (T1–T4). */
export interface TwinProblem {
  /** The paper problem with M_C = M_R = N_T (stage 1's L_r: the sensing covariance alone, its ε). */
  pb: Paper002Problem;
  /** Antennas N_T. */
  N: number;
  /** ε of the twin's sensing constraint (T4: on the whole transmit covariance). */
  epsilon: number;
  /** L_r of the whole covariance [F; W_R] (K + P rows), scale P/P_tot: the twin meter's L_r. */
  totalSpec: BeampatternSpec;
  /** P_tot = K·P_max + P_R (paper units). */
  totalPowerW: number;
}

export interface TwinProblemOptions {
  numUsers: number;
  numTxAnt: number;
  targetsDeg: number[];
  beamWidthDeg?: number;
  /** ε of the twin constraint (T4). */
  epsilon: number;
}

export function twinProblem(o: TwinProblemOptions): TwinProblem {
  const pb = paper002Problem({ numUsers: o.numUsers, numCommAnt: o.numTxAnt, numRadarAnt: o.numTxAnt, targetsDeg: o.targetsDeg, ...(o.beamWidthDeg !== undefined ? { beamWidthDeg: o.beamWidthDeg } : {}) });
  if (!(o.epsilon > 0)) throw new RangeError(`twinProblem: epsilon must be > 0, got ${o.epsilon}`);
  const totalPowerW = pb.K * pb.cfg.powerMaxW + pb.cfg.radarPowerW;
  const totalSpec = beampatternSpec({ numAnt: o.numTxAnt, targetsDeg: o.targetsDeg, widthDeg: pb.cfg.beamWidthDeg, radarPowerW: totalPowerW });
  return { pb, N: o.numTxAnt, epsilon: o.epsilon, totalSpec, totalPowerW };
}

/** √(P_m/σ_c²)·√(N_0/P_tot): twin channel → paper-unit g (before the conjugate). */
export function twinChannelScale(tp: TwinProblem, powerW: number, noiseW: number): number {
  return Math.sqrt((powerW / noiseW) * (tp.pb.noiseW / tp.totalPowerW));
}

/**
 * Writes one paper-problem sample [K, 2N] complex (row k = [g_k; g_k], g_k = conj(h)·scale) from
 * the twin channels h of the BS's users: `H` holds h_u at complex offset `offsets[k]` (N entries each).
 */
export function twinSampleInto(out: Float32Array, at: number, tp: TwinProblem, H: ArrayLike<number>, offsets: ArrayLike<number>, scale: number): void {
  const { N } = tp;
  const K = tp.pb.K;
  if (offsets.length !== K) throw new RangeError(`twinSampleInto: ${offsets.length} users, the model serves K = ${K}`);
  for (let k = 0; k < K; k++) {
    const o = at + 2 * k * 2 * N;
    for (let i = 0; i < N; i++) {
      const re = H[2 * (offsets[k] + i)] * scale;
      const im = -H[2 * (offsets[k] + i) + 1] * scale;
      out[o + 2 * i] = re;
      out[o + 2 * i + 1] = im;
      out[o + 2 * (N + i)] = re;
      out[o + 2 * (N + i) + 1] = im;
    }
  }
}

/** Kind of feature j of a stage-1 'gains' row: own a_kk², cross a_kl² (k ≠ l), radar c_kp. */
function kindOf(K: number, j: number): 'own' | 'cross' | 'radar' {
  if (j >= K * K) return 'radar';
  return Math.floor(j / K) === j % K ? 'own' : 'cross';
}

/** Per-kind mean and s.d. of a set's C9 features (the training pool's: stored with the model). */
export function featureMoments(tp: TwinProblem, set: ChannelSet): FeatureMoments {
  const { K, P } = tp.pb;
  const D = K * K + K * P;
  const acc = { own: [0, 0, 0], cross: [0, 0, 0], radar: [0, 0, 0] };
  for (let s = 0; s < set.n; s++) {
    for (let j = 0; j < D; j++) {
      const a = acc[kindOf(K, j)];
      const v = set.xGains[s * D + j];
      a[0] += 1;
      a[1] += v;
      a[2] += v * v;
    }
  }
  const m = (a: number[]): [number, number] => {
    const mean = a[1] / a[0];
    return [mean, Math.sqrt(Math.max(a[2] / a[0] - mean * mean, 1e-12))];
  };
  return { own: m(acc.own), cross: m(acc.cross), radar: m(acc.radar) };
}

/**
 * The twin's channel set: problem.ts's channelSet (the paper's per-sample quantities and C9
 * features) with the features re-standardised by `moments` (T3). Training and serving both call it.
 */
export function twinChannelSet(tp: TwinProblem, H: Float32Array, moments: FeatureMoments): ChannelSet {
  const set = channelSet(tp.pb, H);
  const { K, P } = tp.pb;
  const D = K * K + K * P;
  const kinds = Array.from({ length: D }, (_, j) => moments[kindOf(K, j)]);
  const x = new Float32Array(set.xGains.length);
  for (let s = 0; s < set.n; s++) {
    for (let j = 0; j < D; j++) x[s * D + j] = (set.xGains[s * D + j] - kinds[j][0]) / kinds[j][1];
  }
  return { ...set, xGains: x };
}

/** Identity moments: the C9 features unchanged (the paper's setting). */
export const UNIT_MOMENTS: Readonly<FeatureMoments> = Object.freeze({ own: [0, 1], cross: [0, 1], radar: [0, 1] }) as FeatureMoments;

/** The twin meter's L_r of one BS's rows (K user beams then P sensing rows, [K + P, N] complex, paper units). */
export function totalSensingLoss(tp: TwinProblem, rows: Float64Array, numRows: number): SensingLoss {
  return sensingLossOfFactor(tp.totalSpec, rows, numRows);
}

/** The users of BS m in row order and the complex offsets of their channels h_{m,u} in a [numBs, numUsers, N] array. */
export function userOffsets(topo: Topology, m: number): Int32Array {
  return Int32Array.from(topo.servedUsers[m], (u) => (m * topo.numUsers + u) * topo.numTxAnt);
}
