/**
 * Scalar WMMSE power control for a K-user interference channel on fixed beam directions
 * (Shi, Razaviyayn, Luo, He, IEEE TSP 2011; the form of Sun et al., "Learning to optimize",
 * IEEE TSP 2018, whose `WMMSE_sum_rate` is the supervised baseline of paper 002).
 *
 * Receiver k sees transmitter l through the real amplitude a_{kl} ≥ 0 (for paper 002's stage 1,
 * a_{kl} = |g_kᵀ u_l| with u_l user l's fixed unit direction) and the noise σ_k² (thermal noise
 * plus whatever else is held fixed, e.g. the radar leakage f_kᵀ R f_k*). With b_k = √p_k:
 *   γ_k = a_{kk}² b_k² / (Σ_{l≠k} a_{kl}² b_l² + σ_k²)
 * and the iteration, all users at once (Jacobi), from b_k = √P_max:
 *   f_k = a_{kk} b_k / (Σ_l a_{kl}² b_l² + σ_k²)          MMSE receiver
 *   w_k = 1 / (1 − f_k a_{kk} b_k)  (= 1 + γ_k)             MSE weight
 *   b_k = clip(α_k w_k f_k a_{kk} / Σ_l α_l w_l f_l² a_{lk}², 0, √P_max)
 * Every update minimises the weighted MSE in one block, so Σ α_k log2 w_k (the weighted sum rate
 * at the current receivers) never decreases; stop after `maxIterations` or when it rises by no
 * more than `tolerance` (absolute, bit/s/Hz: 1e-3 and 100 iterations in Sun et al.).
 *
 * The multicell MISO solver (wmmse.ts) with one antenna and one user per BS performs the same
 * iteration (tested); this one takes per-user noise and per-user budgets and skips the
 * eigen-decomposition and bisection that a scalar does not need.
 */

export interface ScalarWmmseProblem {
  numUsers: number;
  /** a_{kl} ≥ 0, [K, K] row-major: receiver k, transmitter l. */
  amplitude: Float64Array;
  /** σ_k² > 0, [K] (or one value for every user). */
  noiseW: Float64Array | number;
  /** Per-user power budget P_max. */
  powerMaxW: number;
  /** Rate weights α_k (default 1). */
  weights?: Float64Array;
}

export interface ScalarWmmseOptions {
  /** Default 100. */
  maxIterations?: number;
  /** Stop when Σ α log2 w rises by ≤ tolerance (default 1e-3). */
  tolerance?: number;
  /** Initial powers (default P_max for every user). */
  initPowerW?: Float64Array;
}

export interface ScalarWmmseResult {
  /** p_k = b_k² */
  powerW: Float64Array;
  /** Σ α_k log2 w_k at the start, then after each iteration. */
  trace: number[];
  iterations: number;
  converged: boolean;
}

export function scalarWmmse(pr: ScalarWmmseProblem, opts: ScalarWmmseOptions = {}): ScalarWmmseResult {
  const K = pr.numUsers;
  const a = pr.amplitude;
  if (a.length !== K * K) throw new RangeError(`scalarWmmse: amplitude has ${a.length} entries, expected ${K}·${K}`);
  for (let i = 0; i < a.length; i++) if (!(a[i] >= 0)) throw new RangeError(`scalarWmmse: amplitude[${i}] must be ≥ 0, got ${a[i]}`);
  if (!(pr.powerMaxW > 0)) throw new RangeError(`scalarWmmse: powerMaxW must be > 0, got ${pr.powerMaxW}`);
  const noise = typeof pr.noiseW === 'number' ? new Float64Array(K).fill(pr.noiseW) : pr.noiseW;
  if (noise.length !== K || !noise.every((s) => s > 0)) throw new RangeError(`scalarWmmse: noiseW must be ${K} values > 0`);
  const alpha = pr.weights ?? new Float64Array(K).fill(1);
  const maxIt = opts.maxIterations ?? 100;
  const tol = opts.tolerance ?? 1e-3;
  const bMax = Math.sqrt(pr.powerMaxW);
  const b = opts.initPowerW ? opts.initPowerW.map((p) => Math.sqrt(Math.min(Math.max(p, 0), pr.powerMaxW))) : new Float64Array(K).fill(bMax);
  const f = new Float64Array(K);
  const w = new Float64Array(K);
  const receivers = (): number => {
    let v = 0;
    for (let k = 0; k < K; k++) {
      let T = noise[k];
      for (let l = 0; l < K; l++) T += a[k * K + l] ** 2 * b[l] ** 2;
      f[k] = (a[k * K + k] * b[k]) / T;
      w[k] = 1 / (1 - f[k] * b[k] * a[k * K + k]);
      v += alpha[k] * Math.log2(w[k]);
    }
    return v;
  };
  const trace = [receivers()];
  let converged = false;
  let it = 0;
  while (it < maxIt) {
    for (let k = 0; k < K; k++) {
      let den = 0;
      for (let l = 0; l < K; l++) den += alpha[l] * w[l] * f[l] ** 2 * a[l * K + k] ** 2;
      // den = 0 only when the numerator is 0 too (no own channel, or b_k = 0): the user stays off.
      const bk = den > 0 ? (alpha[k] * w[k] * f[k] * a[k * K + k]) / den : 0;
      b[k] = Math.min(Math.max(bk, 0), bMax);
    }
    it++;
    const v = receivers();
    const prev = trace[trace.length - 1];
    trace.push(v);
    if (v - prev <= tol) {
      converged = true;
      break;
    }
  }
  return { powerW: b.map((x) => x * x), trace, iterations: it, converged };
}

/** γ_k of a power allocation on the same problem. */
export function scalarSinr(pr: ScalarWmmseProblem, powerW: Float64Array): Float64Array {
  const K = pr.numUsers;
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const s = typeof pr.noiseW === 'number' ? pr.noiseW : pr.noiseW[k];
    let interference = 0;
    for (let l = 0; l < K; l++) if (l !== k) interference += pr.amplitude[k * K + l] ** 2 * powerW[l];
    out[k] = (pr.amplitude[k * K + k] ** 2 * powerW[k]) / (interference + s);
  }
  return out;
}
