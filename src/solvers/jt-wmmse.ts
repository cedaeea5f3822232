/**
 * Weighted MMSE for joint transmission (coherent multi-AP downlink, per-AP power budgets) over a
 * general serving pattern: paper 004's WMMSE baseline with the sensing streams set to 0
 * (notes §3.2), written for the model of ./joint.ts.
 *
 * Maximises Σ_u α_u log2(1 + SINR_u) by block coordinate descent on the weighted MSE
 *   f(g, ω, W) = Σ_u α_u (ω_u e_u − log ω_u),   e_u = E|g_u* y_u − s_u|² = |g_u|² T_u − 2 Re(g_u* G_uu) + 1,
 * with G_{u,j} = Σ_m h_{m,u}ᴴ w_{m,j} and T_u = Σ_j |G_{u,j}|² + σ².
 *   receivers  g_u = G_uu / T_u            (minimises e_u)
 *   weights    ω_u = 1/e_u = T_u / I_u = 1 + SINR_u,   I_u = T_u − |G_uu|²
 *   AP block   for AP m in turn, the beams {w_{m,j} : m serves j} with every other AP fixed.
 * Block update derivation. Split G_{u,j} = h_{m,u}ᴴ w_{m,j} + r_{u,j} with the other APs' part
 * r_{u,j} = Σ_{n≠m} h_{n,u}ᴴ w_{n,j} (a known offset). Up to constants the block objective is
 *   Σ_j [ w_{m,j}ᴴ A_m w_{m,j} + 2 Re(w_{m,j}ᴴ Σ_u c_u r_{u,j} h_{m,u}) − 2 Re(α_j ω_j g_j* h_{m,j}ᴴ w_{m,j}) ],
 *   c_u = α_u ω_u |g_u|²,   A_m = Σ_u c_u h_{m,u} h_{m,u}ᴴ (over ALL users: every user hears AP m),
 * a convex quadratic, separable over the served columns j and coupled only by Σ_j ‖w_{m,j}‖² ≤ P_m.
 * Setting the Wirtinger gradient ∂/∂w_{m,j}* of the Lagrangian to zero:
 *   (A_m + μ_m I) w_{m,j} = b_{m,j} = α_j ω_j g_j h_{m,j} − Σ_u c_u r_{u,j} h_{m,u},
 * with μ_m ≥ 0 the smallest value meeting P_m, found by bisection on the eigendecomposition
 * A_m = V Λ Vᴴ: Σ_j ‖w_{m,j}(μ)‖² = Σ_i Σ_j |(Vᴴ b_{m,j})_i|² / (λ_i + μ)², decreasing in μ.
 * Non-serving rows stay zero (they are not block variables). In multicell (one AP per user) r = 0
 * and this is wmmse.ts's update.
 *
 * Each step exactly minimises f in its block and min_{g,ω} f = Σ_u α_u (1 − ln(1+SINR_u)), so the
 * weighted sum rate never decreases, whichever refresh schedule is used: g, ω before every AP
 * block ('ap', Gauss–Seidel, default) or once per sweep over the APs ('sweep'; in multicell it
 * reproduces wmmse.ts iteration by iteration).
 */
import { czeros, gramRows, innerH, norm2, scaleInPlace, type CArray } from '../phy/complex.ts';
import { eigHermitian } from '../phy/eig.ts';
import { checkJtProblem, jtChannelOffset, jtMrt, jtServedUsers, jtSumRate, type JtBeams, type JtProblem } from './joint.ts';

export interface JtWmmseOptions {
  /** Maximum number of iterations (each is one sweep over every AP). */
  maxIterations: number;
  /** Stop when the weighted sum rate changes by less than tolerance·max(1, WSR). */
  tolerance: number;
  /** Initial beams (default jtMrt). Rows of users an AP does not serve are zeroed. */
  init?: JtBeams;
  /** Refresh receivers and weights before every AP block ('ap', default) or once per sweep ('sweep'). */
  refresh?: 'ap' | 'sweep';
}

export interface JtWmmseResult {
  W: JtBeams;
  /** Weighted sum rate (bit/s/Hz) of the initial point, then after each iteration. */
  wsrTrace: number[];
  iterations: number;
  converged: boolean;
}

export function jtWmmse(p: JtProblem, opts: JtWmmseOptions): JtWmmseResult {
  checkJtProblem(p);
  const { numAps: M, numUsers: U, numTxAnt: N, H, noiseW } = p;
  const alpha = p.weights ?? new Float64Array(U).fill(1);
  const served = jtServedUsers(p);
  const W = (opts.init ?? jtMrt(p)).map((w) => Float64Array.from(w));
  if (W.length !== M || W.some((w) => w.length !== 2 * U * N)) throw new Error(`jtWmmse: init must be ${M} arrays of [${U}, ${N}] complex`);
  W.forEach((Wm, m) => {
    for (let u = 0; u < U; u++) if (!p.serving[m * U + u]) Wm.fill(0, 2 * u * N, 2 * (u + 1) * N);
  });

  // C[m][u, j] = h_{m,u}ᴴ w_{m,j} (AP m's share of every gain), S = Σ_m C[m] = G.
  const C = Array.from({ length: M }, () => czeros(U * U));
  const S = czeros(U * U);
  const z = new Float64Array(2);
  const shareInto = (m: number) => {
    const Cm = C[m];
    for (let u = 0; u < U; u++) {
      const h = jtChannelOffset(p, m, u);
      for (const j of served[m]) {
        innerH(z, H, h, W[m], j * N, N);
        Cm[2 * (u * U + j)] = z[0];
        Cm[2 * (u * U + j) + 1] = z[1];
      }
    }
  };
  for (let m = 0; m < M; m++) shareInto(m);

  const gRe = new Float64Array(U);
  const gIm = new Float64Array(U);
  const omega = new Float64Array(U);
  const cu = new Float64Array(U);
  const receivers = () => {
    for (let u = 0; u < U; u++) {
      let I = noiseW;
      for (let j = 0; j < U; j++) if (j !== u) I += S[2 * (u * U + j)] ** 2 + S[2 * (u * U + j) + 1] ** 2;
      const sr = S[2 * (u * U + u)];
      const si = S[2 * (u * U + u) + 1];
      const T = I + sr * sr + si * si;
      gRe[u] = sr / T;
      gIm[u] = si / T;
      omega[u] = T / I;
      cu[u] = alpha[u] * omega[u] * (gRe[u] * gRe[u] + gIm[u] * gIm[u]);
    }
  };

  const refreshEachAp = (opts.refresh ?? 'ap') === 'ap';
  const sinr = new Float64Array(U);
  const wsrTrace = [jtSumRate({ ...p, weights: alpha }, W, sinr)];
  let converged = false;
  let it = 0;
  for (; it < opts.maxIterations; it++) {
    S.fill(0);
    for (const Cm of C) for (let i = 0; i < S.length; i++) S[i] += Cm[i];
    if (!refreshEachAp) receivers();
    for (let m = 0; m < M; m++) {
      if (served[m].length === 0) continue;
      if (refreshEachAp) receivers();
      updateAp(p, m, served[m], W[m], C[m], S, alpha, gRe, gIm, omega, cu);
      const Cm = C[m];
      for (let i = 0; i < S.length; i++) S[i] -= Cm[i];
      shareInto(m);
      for (let i = 0; i < S.length; i++) S[i] += Cm[i];
    }
    const wsr = jtSumRate({ ...p, weights: alpha }, W, sinr);
    const prev = wsrTrace[wsrTrace.length - 1];
    wsrTrace.push(wsr);
    if (Math.abs(wsr - prev) <= opts.tolerance * Math.max(1, Math.abs(prev))) {
      converged = true;
      it++;
      break;
    }
  }
  return { W, wsrTrace, iterations: it, converged };
}

/**
 * One AP's block update from exchanged quantities only (distributed JT-WMMSE, policies/joint.ts):
 * `others` [U, U] complex r_{u,j} = Σ_{n≠m} h_{n,u}ᴴ w_{n,j}, the MMSE receivers g ([U] complex) and
 * weights ω ([U]) computed at the CPU; unit rate weights. Returns AP m's new [U, N] beams.
 */
export function jtApUpdate(p: JtProblem, m: number, others: CArray, g: CArray, omega: Float64Array): CArray {
  const { numUsers: U, numTxAnt: N } = p;
  const users = jtServedUsers(p)[m];
  const Wm = czeros(U * N);
  const alpha = new Float64Array(U).fill(1);
  const gRe = Float64Array.from({ length: U }, (_, u) => g[2 * u]);
  const gIm = Float64Array.from({ length: U }, (_, u) => g[2 * u + 1]);
  const cu = Float64Array.from({ length: U }, (_, u) => omega[u] * (gRe[u] * gRe[u] + gIm[u] * gIm[u]));
  if (users.length) updateAp(p, m, users, Wm, czeros(U * U), others, alpha, gRe, gIm, omega, cu);
  return Wm;
}

/** The exact block minimiser for AP m (see the module comment); overwrites its served rows of Wm. */
function updateAp(
  p: JtProblem,
  m: number,
  users: Int32Array,
  Wm: CArray,
  Cm: CArray,
  S: CArray,
  alpha: Float64Array,
  gRe: Float64Array,
  gIm: Float64Array,
  omega: Float64Array,
  cu: Float64Array,
): void {
  const { numUsers: U, numTxAnt: N, H } = p;
  // A_m = Σ_u c_u h_{m,u} h_{m,u}ᴴ as the Gram of the rows of the [N, U] matrix with columns √c_u h_{m,u}.
  const X = czeros(N * U);
  for (let u = 0; u < U; u++) {
    const s = Math.sqrt(cu[u]);
    const h = 2 * jtChannelOffset(p, m, u);
    for (let i = 0; i < N; i++) {
      X[2 * (i * U + u)] = s * H[h + 2 * i];
      X[2 * (i * U + u) + 1] = s * H[h + 2 * i + 1];
    }
  }
  const { values, vectors: V } = eigHermitian(gramRows(X, N, U), N);
  // Q[:, u] = Vᴴ h_{m,u}, so Vᴴ b_{m,j} = Σ_u β_{u,j} Q[:, u].
  const Q = czeros(N * U);
  for (let u = 0; u < U; u++) {
    const h = jtChannelOffset(p, m, u);
    for (let i = 0; i < N; i++) {
      let re = 0;
      let im = 0;
      for (let r = 0; r < N; r++) {
        const vr = V[2 * (r * N + i)];
        const vi = V[2 * (r * N + i) + 1];
        const hr = H[2 * (h + r)];
        const hi = H[2 * (h + r) + 1];
        re += vr * hr + vi * hi;
        im += vr * hi - vi * hr;
      }
      Q[2 * (i * U + u)] = re;
      Q[2 * (i * U + u) + 1] = im;
    }
  }
  const K = users.length;
  const cb = czeros(K * N); // row k = Vᴴ b_{m,users[k]}
  for (let k = 0; k < K; k++) {
    const j = users[k];
    for (let u = 0; u < U; u++) {
      // β_{u,j} = 1{u=j} α_j ω_j g_j − c_u r_{u,j},  r_{u,j} = G_{u,j} − AP m's share
      let br = -cu[u] * (S[2 * (u * U + j)] - Cm[2 * (u * U + j)]);
      let bi = -cu[u] * (S[2 * (u * U + j) + 1] - Cm[2 * (u * U + j) + 1]);
      if (u === j) {
        br += alpha[j] * omega[j] * gRe[j];
        bi += alpha[j] * omega[j] * gIm[j];
      }
      if (br === 0 && bi === 0) continue;
      for (let i = 0; i < N; i++) {
        const qr = Q[2 * (i * U + u)];
        const qi = Q[2 * (i * U + u) + 1];
        cb[2 * (k * N + i)] += br * qr - bi * qi;
        cb[2 * (k * N + i) + 1] += br * qi + bi * qr;
      }
    }
  }
  const energy = new Float64Array(N);
  for (let k = 0; k < K; k++) for (let i = 0; i < N; i++) energy[i] += cb[2 * (k * N + i)] ** 2 + cb[2 * (k * N + i) + 1] ** 2;
  const { mu, active } = budgetMultiplier(values, energy, p.powerW[m]);
  for (const j of users) Wm.fill(0, 2 * j * N, 2 * (j + 1) * N);
  for (let k = 0; k < K; k++) {
    const row = users[k] * N;
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      const d = values[i] + mu;
      const cr = cb[2 * (k * N + i)] / d;
      const ci = cb[2 * (k * N + i) + 1] / d;
      for (let r = 0; r < N; r++) {
        const vr = V[2 * (r * N + i)];
        const vi = V[2 * (r * N + i) + 1];
        Wm[2 * (row + r)] += vr * cr - vi * ci;
        Wm[2 * (row + r) + 1] += vr * ci + vi * cr;
      }
    }
  }
  // The eigenvector reconstruction may overshoot the budget by rounding: project back.
  const pw = norm2(Wm);
  if (pw > p.powerW[m]) scaleInPlace(Wm, Math.sqrt(p.powerW[m] / pw));
}

/**
 * Smallest μ ≥ 0 with Σ_i e_i / (λ_i + μ)² ≤ P, where e_i = Σ_j |(Vᴴ b_j)_i|². Eigen-directions whose
 * energy is below 1e-13 of the total are rounding noise (b lies in the range of A) and are left out
 * (`active` false); an active direction with λ_i + μ ≈ 0 has unbounded power.
 */
export function budgetMultiplier(values: Float64Array, energy: Float64Array, budget: number): { mu: number; active: boolean[] } {
  const n = values.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += energy[i];
  const active = Array.from(energy, (e) => e > 1e-13 * total);
  if (total === 0) return { mu: 0, active };
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, values[i]);
  const powerAt = (mu: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      const d = values[i] + mu;
      if (!(d > 1e-14 * top)) return Infinity;
      sum += energy[i] / (d * d);
    }
    return sum;
  };
  if (powerAt(0) <= budget) return { mu: 0, active };
  // At μ ≥ √(total/P) − min λ every term is at most e_i·P/total, so the power is ≤ P.
  let lo = 0;
  let hi = Math.sqrt(total / budget);
  for (let i = 0; i < n; i++) hi = Math.max(hi, Math.sqrt(total / budget) - values[i]);
  while (hi - lo > 1e-15 * hi) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (powerAt(mid) > budget) lo = mid;
    else hi = mid;
  }
  return { mu: hi, active };
}
