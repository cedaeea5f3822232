/**
 * Weighted MMSE beamforming for the multicell MISO downlink with per-BS power budgets
 * (Shi, Razaviyayn, Luo, He, IEEE TSP 2011; paper 000's reference [8]).
 *
 * Maximises Σ_u α_u log2(1 + γ_u) by block-coordinate descent on the weighted MSE:
 *   receiver   g_u = s_u / T_u,  s_u = h_{b,u}ᴴ w_u,  T_u = Σ_{m,k} |h_{m,u}ᴴ w_{m,k}|² + σ²
 *   weight     ω_u = T_u / (T_u − |s_u|²) = 1 + γ_u
 *   beams      (A_m + μ_m I) w_{m,k} = α_u ω_u g_u h_{m,u},   A_m = Σ_j α_j ω_j |g_j|² h_{m,j} h_{m,j}ᴴ
 * with μ_m ≥ 0 the smallest value meeting Σ_k ‖w_{m,k}‖² ≤ P_m, found by bisection on the
 * eigen-decomposition of A_m (‖w(μ)‖² = Σ_i |(Vᴴb)_i|² / (λ_i + μ)², exactly monotone in μ).
 * Every block update lowers the WMMSE objective, so the weighted sum rate never decreases from
 * one iteration to the next (a property the tests check).
 */
import { czeros, norm2, scaleInPlace, type CArray } from '../phy/complex.ts';
import { eigHermitian } from '../phy/eig.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { commSinrInto } from '../metrics/isac.ts';

export interface WmmseOptions {
  /** Maximum number of iterations (each updates every BS once). */
  maxIterations: number;
  /** Stop when the weighted sum rate changes by less than tolerance·max(1, WSR). */
  tolerance: number;
  /** [numUsers] rate weights α_u (default all 1). */
  weights?: Float64Array;
  /** Initial beamformers (default: MRT at full power). */
  init?: Beamformers;
  /**
   * Restart dead streams of `init` (default true): WMMSE never revives a stream with zero power
   * (its receiver, and so its weight in A_m and its right-hand side, are zero), so a warm start
   * that switched a user off keeps it off for good. A served stream with less than
   * DEAD_STREAM_SHARE of its equal share of the budget starts instead from its MRT direction at
   * RESTART_SHARE of that share (the other streams scaled to keep the budget).
   */
  restartDead?: boolean;
}

/** A stream below this fraction of P_m / (streams of m) counts as dead in a warm start. */
export const DEAD_STREAM_SHARE = 1e-6;
/** A restarted stream gets this fraction of P_m / (streams of m). */
export const RESTART_SHARE = 0.1;

export interface WmmseResult {
  W: Beamformers;
  /** Weighted sum rate (bit/s/Hz) of the initial point, then after each iteration. */
  wsrTrace: number[];
  iterations: number;
  converged: boolean;
  /** Dead streams of the warm start given a fresh start (see WmmseOptions.restartDead). */
  restarted: number;
}

const off = (topo: Topology, m: number, u: number) => (m * topo.numUsers + u) * topo.numTxAnt;

/** Weighted sum rate Σ α_u log2(1 + γ_u) of W on channels H. */
export function weightedSumRate(topo: Topology, H: CArray, W: Beamformers, weights?: Float64Array, sinr = new Float64Array(topo.numUsers)): number {
  commSinrInto(sinr, topo, H, W);
  let s = 0;
  for (let u = 0; u < topo.numUsers; u++) s += (weights ? weights[u] : 1) * Math.log2(1 + sinr[u]);
  return s;
}

/** MRT at full power, equal power per stream: WMMSE's default starting point. */
export function mrtInit(topo: Topology, H: CArray): Beamformers {
  const nt = topo.numTxAnt;
  return topo.servedUsers.map((users, m) => {
    const W = czeros(users.length * nt);
    users.forEach((u, k) => {
      const o = 2 * off(topo, m, u);
      let n2 = 0;
      for (let i = 0; i < 2 * nt; i++) n2 += H[o + i] ** 2;
      const s = n2 > 0 ? Math.sqrt(topo.powerW[m] / users.length / n2) : 0;
      for (let i = 0; i < 2 * nt; i++) W[2 * k * nt + i] = s * H[o + i];
    });
    return W;
  });
}

export function wmmse(topo: Topology, H: CArray, opts: WmmseOptions): WmmseResult {
  const { numBs, numUsers, numTxAnt: nt, userBs, userStream, servedUsers, noiseCommW } = topo;
  const alpha = opts.weights ?? new Float64Array(numUsers).fill(1);
  const W = (opts.init ?? mrtInit(topo, H)).map((w) => Float64Array.from(w));
  const restarted = opts.init && (opts.restartDead ?? true) ? restartDeadStreams(topo, H, W) : 0;
  const sinr = new Float64Array(numUsers);
  const wsrTrace = [weightedSumRate(topo, H, W, alpha, sinr)];
  const gRe = new Float64Array(numUsers);
  const gIm = new Float64Array(numUsers);
  const omega = new Float64Array(numUsers);
  const A = czeros(nt * nt);
  let converged = false;
  let it = 0;
  for (; it < opts.maxIterations; it++) {
    // Receivers and weights from the current beams.
    for (let u = 0; u < numUsers; u++) {
      let T = noiseCommW;
      let sr = 0;
      let si = 0;
      for (let m = 0; m < numBs; m++) {
        const h = off(topo, m, u);
        const Wm = W[m];
        const rows = servedUsers[m].length;
        for (let k = 0; k < rows; k++) {
          let re = 0;
          let im = 0;
          for (let i = 0; i < nt; i++) {
            const hr = H[2 * (h + i)];
            const hi = H[2 * (h + i) + 1];
            const wr = Wm[2 * (k * nt + i)];
            const wi = Wm[2 * (k * nt + i) + 1];
            re += hr * wr + hi * wi;
            im += hr * wi - hi * wr;
          }
          T += re * re + im * im;
          if (m === userBs[u] && k === userStream[u]) {
            sr = re;
            si = im;
          }
        }
      }
      gRe[u] = sr / T;
      gIm[u] = si / T;
      omega[u] = T / Math.max(T - (sr * sr + si * si), 1e-300);
    }
    // Beams of every BS.
    for (let m = 0; m < numBs; m++) {
      const rows = servedUsers[m].length;
      if (rows === 0) continue;
      A.fill(0);
      for (let j = 0; j < numUsers; j++) {
        const c = alpha[j] * omega[j] * (gRe[j] * gRe[j] + gIm[j] * gIm[j]);
        if (c === 0) continue;
        const h = 2 * off(topo, m, j);
        for (let r = 0; r < nt; r++) {
          const hr = H[h + 2 * r];
          const hi = H[h + 2 * r + 1];
          for (let q = 0; q < nt; q++) {
            // h_r conj(h_q)
            const qr = H[h + 2 * q];
            const qi = -H[h + 2 * q + 1];
            A[2 * (r * nt + q)] += c * (hr * qr - hi * qi);
            A[2 * (r * nt + q) + 1] += c * (hr * qi + hi * qr);
          }
        }
      }
      const { values, vectors } = eigHermitian(A, nt);
      // c_k = Vᴴ b_k, b_k = α ω g h_{m,u}
      const cb = czeros(rows * nt);
      for (let k = 0; k < rows; k++) {
        const u = servedUsers[m][k];
        const s = alpha[u] * omega[u];
        const h = 2 * off(topo, m, u);
        for (let i = 0; i < nt; i++) {
          let re = 0;
          let im = 0;
          for (let r = 0; r < nt; r++) {
            const vr = vectors[2 * (r * nt + i)];
            const vi = -vectors[2 * (r * nt + i) + 1];
            // b_r = s·g·h_r
            const br = s * (gRe[u] * H[h + 2 * r] - gIm[u] * H[h + 2 * r + 1]);
            const bi = s * (gRe[u] * H[h + 2 * r + 1] + gIm[u] * H[h + 2 * r]);
            re += vr * br - vi * bi;
            im += vr * bi + vi * br;
          }
          cb[2 * (k * nt + i)] = re;
          cb[2 * (k * nt + i) + 1] = im;
        }
      }
      const mu = powerMultiplier(values, cb, rows, nt, topo.powerW[m]);
      const Wm = W[m];
      Wm.fill(0);
      for (let k = 0; k < rows; k++) {
        for (let i = 0; i < nt; i++) {
          const d = values[i] + mu;
          const cr = cb[2 * (k * nt + i)];
          const ci = cb[2 * (k * nt + i) + 1];
          if (d <= 0 || cr * cr + ci * ci === 0) continue;
          for (let r = 0; r < nt; r++) {
            const vr = vectors[2 * (r * nt + i)];
            const vi = vectors[2 * (r * nt + i) + 1];
            Wm[2 * (k * nt + r)] += (vr * cr - vi * ci) / d;
            Wm[2 * (k * nt + r) + 1] += (vr * ci + vi * cr) / d;
          }
        }
      }
      // Rounding in the eigenvector reconstruction can overshoot the budget by ~1e-9: project.
      const p = norm2(Wm);
      if (p > topo.powerW[m]) scaleInPlace(Wm, Math.sqrt(topo.powerW[m] / p));
    }
    const wsr = weightedSumRate(topo, H, W, alpha, sinr);
    const prev = wsrTrace[wsrTrace.length - 1];
    wsrTrace.push(wsr);
    if (Math.abs(wsr - prev) <= opts.tolerance * Math.max(1, Math.abs(prev))) {
      converged = true;
      it++;
      break;
    }
  }
  return { W, wsrTrace, iterations: it, converged, restarted };
}

/**
 * Gives every dead served stream of W (power < DEAD_STREAM_SHARE·P_m/rows, channel non-zero) its
 * MRT direction at RESTART_SHARE·P_m/rows, scaling BS m's other streams so that Σ‖w‖² ≤ P_m.
 * In place; returns the number of streams restarted.
 */
export function restartDeadStreams(topo: Topology, H: CArray, W: Float64Array[]): number {
  const nt = topo.numTxAnt;
  let restarted = 0;
  topo.servedUsers.forEach((users, m) => {
    const rows = users.length;
    if (rows === 0) return;
    const Wm = W[m];
    const share = topo.powerW[m] / rows;
    const dead: number[] = [];
    users.forEach((u, k) => {
      let p = 0;
      for (let i = 0; i < 2 * nt; i++) p += Wm[2 * k * nt + i] ** 2;
      let h2 = 0;
      const o = 2 * off(topo, m, u);
      for (let i = 0; i < 2 * nt; i++) h2 += H[o + i] ** 2;
      if (p < DEAD_STREAM_SHARE * share && h2 > 0) dead.push(k);
    });
    if (!dead.length) return;
    const add = RESTART_SHARE * share * dead.length;
    let live = 0;
    for (let i = 0; i < Wm.length; i++) live += Wm[i] ** 2;
    for (const k of dead) for (let i = 0; i < 2 * nt; i++) live -= Wm[2 * k * nt + i] ** 2;
    const room = topo.powerW[m] - add;
    if (live > room && live > 0) scaleInPlace(Wm, Math.sqrt(room / live));
    for (const k of dead) {
      const o = 2 * off(topo, m, users[k]);
      let h2 = 0;
      for (let i = 0; i < 2 * nt; i++) h2 += H[o + i] ** 2;
      const s = Math.sqrt((RESTART_SHARE * share) / h2);
      for (let i = 0; i < 2 * nt; i++) Wm[2 * k * nt + i] = s * H[o + i];
    }
    restarted += dead.length;
  });
  return restarted;
}

/**
 * Smallest μ ≥ 0 with Σ_k Σ_i |c_ki|² / (λ_i + μ)² ≤ P. Components whose |c|² is negligible
 * are ignored (b lies in the range of A).
 */
function powerMultiplier(values: Float64Array, cb: CArray, rows: number, nt: number, powerW: number): number {
  const mag = new Float64Array(nt);
  let total = 0;
  for (let k = 0; k < rows; k++) {
    for (let i = 0; i < nt; i++) mag[i] += cb[2 * (k * nt + i)] ** 2 + cb[2 * (k * nt + i) + 1] ** 2;
  }
  for (let i = 0; i < nt; i++) total += mag[i];
  if (total === 0) return 0;
  const lmax = Math.max(...values, 0);
  const floor = 1e-13 * total;
  const power = (mu: number) => {
    let p = 0;
    for (let i = 0; i < nt; i++) {
      if (mag[i] <= floor) continue;
      const d = values[i] + mu;
      if (d <= 1e-14 * lmax) return Infinity;
      p += mag[i] / (d * d);
    }
    return p;
  };
  if (power(0) <= powerW) return 0;
  let lo = 0;
  let hi = Math.sqrt(total / powerW) + Math.max(0, -Math.min(...values));
  while (power(hi) > powerW) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (power(mid) > powerW) lo = mid;
    else hi = mid;
  }
  return hi;
}
