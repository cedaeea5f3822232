/**
 * Paper 004's cell-free ISAC problem (8) and its reference solvers (reading notes §3, §5):
 *
 *   max_F  J(F) = Σ_u log2(1 + SINR_u) + β_s Σ_t log2(1 + SNR_t)        (8a)
 *   s.t.   Σ_s ‖f_ms‖² ≤ P_m  for every AP m                             (8b)
 *
 * SINR_u is eq. (4) — stream s of AP m reaches user u through Σ_m h_{m,u}ᴴ f_{m,s}, the dedicated
 * sensing stream counts as interference — and SNR_t the joint multistatic SNR of eq. (7),
 * SNR_t = Σ_m Σ_s |g_{t,m}ᴴ f_{m,s}|² with the equivalent sensing channel g_{t,m} = √c_{m,t} a(θ_{m,t}).
 * The paper has one target (Σ_t has one term); the twin may have several.
 *
 * The problem is stated on the twin's own objects, so one formula serves the figures, the policies
 * and the twin: a Topology (AP m's beam rows `apStreams[m]`: the users it serves, then its sensing
 * row), channels H [M, U, N] and the multistatic SensingChannels; the VALUE of a beam set is always
 * metrics/isac.ts (commSinrInto, sensingSinrInto). Beams are Beamformers, W_m = [rows, N].
 *
 * Solvers (all pure):
 *  - cbSensing   f_mq = √P_m g_m/‖g_m‖ on the sensing row, comm rows 0; with g = √c a(θ) this is
 *                the paper's √(P_m/N_t) a(θ_m), SNR = Σ_m P_m ‖g_m‖² = N_t Σ_m c_m P_m, the bound:
 *                per AP Σ_s |gᴴf_s|² ≤ ‖g‖² Σ_s ‖f_s‖² ≤ ‖g‖² P_m (Cauchy–Schwarz), equality iff
 *                every f_ms ∥ g_m at full power.
 *  - cbComm      conjugate BF, sensing rows 0. 'ue' (default; [C6] 'UE' normalisation, jtMrt):
 *                f_mu = √(P_m/U_m) h_mu/‖h_mu‖; 'ap' ([C6] 'AP'): f_mu = h_mu √(P_m / Σ_u ‖h_mu‖²).
 *  - cfWmmse     β_s = 0: joint-transmission WMMSE with per-AP power (solvers/jt-wmmse.ts: Gauss–
 *                Seidel over the APs, μ by bisection per AP, monotone), sensing rows 0.
 *  - pgaIsac     projected gradient ascent on J from one start (below); pgaReference runs it from
 *                the 7 starts of notes §3.3a and keeps the best: the "% of optimal" denominator.
 *
 * PGA. Wirtinger gradient of J with respect to the row of AP m that carries stream s, with
 * a_{u,s} = Σ_m h_{m,u}ᴴ f_{m,s}, T_u = Σ_s |a_{u,s}|² + σ², I_u = T_u − |a_{u,u}|²:
 *   ∂J/∂f*_{m,s} = (1/ln2) Σ_u h_{m,u} a_{u,s} (1/T_u − 1{s≠u}/I_u)
 *                + Σ_t β_s/(ln2 (1 + SNR_t)) · g_{t,m} (g_{t,m}ᴴ f_{m,s}).
 * A step F' = Π(F + t·∇) with Π the per-AP projection (scale AP m to √P_m when above it) is kept
 * when it passes the Armijo test J(F') ≥ J(F) + σ·2Re⟨∇, F' − F⟩ (σ = 1e-4; 2Re⟨∇, Δ⟩ is the
 * first-order change of J), else the step halves and is tried again. The first trial of each
 * iteration is the Barzilai–Borwein step of the last move (`stepRule: 'bb'`, default: on the paper's
 * samples it reaches a given objective 2–5× faster than doubling the last step, 'doubling'). Every iterate is
 * feasible and J never decreases. Stop: the accepted gain is below tolerance·max(1, |J|), or no
 * step down to 1e-14 of the current one ascends (a stationary point), or the iteration cap.
 */
import { czeros, norm2, scaleInPlace, type CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { commSinrInto, sensingSinrInto, type SensingChannels } from '../metrics/isac.ts';
import { jtMrt, type JtBeams, type JtProblem } from './joint.ts';
import { jtWmmse, type JtWmmseOptions } from './jt-wmmse.ts';

/** One instance of (8): the topology's rows and budgets, channels and multistatic sensing channels. */
export interface CfIsacProblem {
  topo: Topology;
  /** [numBs, numUsers, numTxAnt] complex h_{m,u}. */
  H: CArray;
  /** Multistatic equivalent channels g_{t,m} = √c_{m,t} a(θ_{m,t}) (metrics/isac.ts multistaticSensingInto). */
  sens: SensingChannels;
}

/** The value of one beam set: eq. (4) SINRs, eq. (7) SNRs and (8a). */
export interface IsacValue {
  /** [numUsers] SINR_u (linear). */
  sinr: Float64Array;
  /** Σ_u log2(1 + SINR_u), bit/s/Hz. */
  sumRate: number;
  /** [numTargets] SNR_t (linear). */
  snr: Float64Array;
  /** Σ_t log2(1 + SNR_t). */
  sensingRate: number;
  /** sumRate + β_s · sensingRate. */
  objective: number;
}

export function checkCfIsacProblem(p: CfIsacProblem): void {
  const { topo } = p;
  const bad = (what: string) => {
    throw new Error(`CfIsacProblem: ${what}`);
  };
  if (p.sens.geometry !== 'multistatic') bad(`needs multistatic sensing (eq. 7), got ${p.sens.geometry}`);
  if (p.H.length !== 2 * topo.numBs * topo.numUsers * topo.numTxAnt) bad(`H has ${p.H.length} floats, expected 2·M·U·N = ${2 * topo.numBs * topo.numUsers * topo.numTxAnt}`);
  if (p.sens.g.length !== 2 * topo.numTargets * topo.numBs * topo.numTxAnt) bad(`sens.g has ${p.sens.g.length} floats, expected 2·T·M·N = ${2 * topo.numTargets * topo.numBs * topo.numTxAnt}`);
}

function checkBeams(topo: Topology, W: Beamformers, who: string): void {
  if (W.length !== topo.numBs || W.some((w, m) => w.length !== 2 * topo.apStreams[m].length * topo.numTxAnt)) {
    throw new Error(`${who}: beams must be ${topo.numBs} arrays of [rows of apStreams[m], ${topo.numTxAnt}] complex`);
  }
}

export function emptyIsacValue(topo: Topology): IsacValue {
  return { sinr: new Float64Array(topo.numUsers), sumRate: 0, snr: new Float64Array(topo.numTargets), sensingRate: 0, objective: 0 };
}

/** (8a) and its parts for beams W, through metrics/isac.ts (the twin's formulas). */
export function isacValue(p: CfIsacProblem, W: Beamformers, beta: number, out: IsacValue = emptyIsacValue(p.topo)): IsacValue {
  commSinrInto(out.sinr, p.topo, p.H, W);
  sensingSinrInto(out.snr, p.topo, p.sens, W);
  let rc = 0;
  for (let u = 0; u < out.sinr.length; u++) rc += Math.log2(1 + out.sinr[u]);
  let rs = 0;
  for (let t = 0; t < out.snr.length; t++) rs += Math.log2(1 + out.snr[t]);
  out.sumRate = rc;
  out.sensingRate = rs;
  out.objective = rc + beta * rs;
  return out;
}

/** Row of AP m's first dedicated sensing stream (its comm rows come first), or −1 without one. */
export function sensingRowOf(topo: Topology, m: number): number {
  const rows = topo.apStreams[m];
  for (let r = 0; r < rows.length; r++) if (rows[r] >= topo.numUsers) return r;
  return -1;
}

/** Σ_m P_m ‖g_{t,m}‖²: the sensing SNR bound of target t (= N_t Σ_m c_m P_m for unit-modulus steering). */
export function sensingBound(p: CfIsacProblem, t = 0): number {
  const { numBs, numTxAnt: nt, powerW } = p.topo;
  let s = 0;
  for (let m = 0; m < numBs; m++) s += powerW[m] * norm2(p.sens.g, (t * numBs + m) * nt, nt);
  return s;
}

/**
 * CB sensing: AP m's sensing row √P_m g_{t,m}/‖g_{t,m}‖ towards the target it illuminates best
 * (largest ‖g_{t,m}‖, the first on ties), every comm row 0. An AP that knows no target (g = 0)
 * stays silent. Throws when an AP has no sensing row.
 */
export function cbSensing(p: CfIsacProblem): Beamformers {
  checkCfIsacProblem(p);
  const { topo } = p;
  const { numBs, numTxAnt: nt, numTargets } = topo;
  return topo.apStreams.map((rows, m) => {
    const r = sensingRowOf(topo, m);
    if (r < 0) throw new Error(`cbSensing: AP ${m} carries no sensing stream (sensing.streams: 1)`);
    const W = czeros(rows.length * nt);
    let best = -1;
    let bestN2 = 0;
    for (let t = 0; t < numTargets; t++) {
      const n2 = norm2(p.sens.g, (t * numBs + m) * nt, nt);
      if (n2 > bestN2) {
        best = t;
        bestN2 = n2;
      }
    }
    if (best < 0) return W;
    const s = Math.sqrt(topo.powerW[m] / bestN2);
    const g0 = 2 * (best * numBs + m) * nt;
    for (let i = 0; i < 2 * nt; i++) W[2 * r * nt + i] = s * p.sens.g[g0 + i];
    return W;
  });
}

/** The joint-transmission problem (solvers/joint.ts) of the topology's serving sets on channels H. */
export function jtProblemOf(topo: Topology, H: CArray): JtProblem {
  const { numBs, numUsers } = topo;
  const serving = new Uint8Array(numBs * numUsers);
  topo.userAps.forEach((aps, u) => aps.forEach((m) => (serving[m * numUsers + u] = 1)));
  return { numAps: numBs, numUsers, numTxAnt: topo.numTxAnt, H, serving, powerW: topo.powerW, noiseW: topo.noiseCommW };
}

/** JT beams ([numUsers, N] per AP) → the topology's rows (served users; sensing rows 0). */
export function beamsFromJt(topo: Topology, Wjt: JtBeams): Beamformers {
  const nt = topo.numTxAnt;
  return topo.apStreams.map((rows, m) => {
    const W = czeros(rows.length * nt);
    rows.forEach((s, r) => {
      if (s < topo.numUsers) W.set(Wjt[m].subarray(2 * s * nt, 2 * (s + 1) * nt), 2 * r * nt);
    });
    return W;
  });
}

/** The topology's rows → JT beams ([numUsers, N] per AP; sensing rows dropped). */
export function jtFromBeams(topo: Topology, W: Beamformers): JtBeams {
  const nt = topo.numTxAnt;
  return topo.apStreams.map((rows, m) => {
    const full = czeros(topo.numUsers * nt);
    rows.forEach((s, r) => {
      if (s < topo.numUsers) full.set(W[m].subarray(2 * r * nt, 2 * (r + 1) * nt), 2 * s * nt);
    });
    return full;
  });
}

export type CbNormalisation = 'ue' | 'ap';

/** CB comm (module comment): conjugate beams to the served users, sensing rows 0. */
export function cbComm(topo: Topology, H: CArray, normalisation: CbNormalisation = 'ue'): Beamformers {
  const pr = jtProblemOf(topo, H);
  if (normalisation === 'ue') return beamsFromJt(topo, jtMrt(pr));
  const nt = topo.numTxAnt;
  return topo.apStreams.map((rows, m) => {
    const W = czeros(rows.length * nt);
    let total = 0;
    rows.forEach((s) => {
      if (s < topo.numUsers) total += norm2(H, (m * topo.numUsers + s) * nt, nt);
    });
    if (total === 0) return W;
    const a = Math.sqrt(topo.powerW[m] / total);
    rows.forEach((s, r) => {
      if (s >= topo.numUsers) return;
      const h = 2 * (m * topo.numUsers + s) * nt;
      for (let i = 0; i < 2 * nt; i++) W[2 * r * nt + i] = a * H[h + i];
    });
    return W;
  });
}

export interface CfWmmseResult {
  W: Beamformers;
  /** Sum rate of the start, then after every iteration (bit/s/Hz). */
  wsrTrace: number[];
  iterations: number;
  converged: boolean;
}

/**
 * β_s = 0 reference: JT-WMMSE (solvers/jt-wmmse.ts) over the topology's serving sets, per-AP
 * power, sensing rows 0. `init` (topology rows) defaults to CB comm ('ue').
 */
export function cfWmmse(topo: Topology, H: CArray, opts: Omit<JtWmmseOptions, 'init'> & { init?: Beamformers }): CfWmmseResult {
  const { init, ...rest } = opts;
  const r = jtWmmse(jtProblemOf(topo, H), { ...rest, ...(init ? { init: jtFromBeams(topo, init) } : {}) });
  return { W: beamsFromJt(topo, r.W), wsrTrace: r.wsrTrace, iterations: r.iterations, converged: r.converged };
}

// ------------------------------------------------------------------ projected gradient ascent

/** Per-AP projection onto Σ_s ‖f_ms‖² ≤ P_m (scaling), in place. */
export function projectPerAp(topo: Topology, W: Beamformers): Beamformers {
  W.forEach((Wm, m) => {
    const pw = norm2(Wm);
    if (pw > topo.powerW[m]) scaleInPlace(Wm, Math.sqrt(topo.powerW[m] / pw));
  });
  return W;
}

/**
 * The Wirtinger gradient ∂J/∂F* of (8a) (module comment) into `grad` (shaped like W); returns the
 * value of W. The amplitudes a_{u,s} are formed here (the metrics do not expose them); the
 * returned value is metrics/isac.ts's.
 */
export function isacGradientInto(
  grad: Beamformers,
  p: CfIsacProblem,
  W: Beamformers,
  beta: number,
  value: IsacValue = emptyIsacValue(p.topo),
  /** `value` already holds W's value (the PGA's accepted trial): do not recompute it. */
  valueKnown = false,
): IsacValue {
  const { topo, H, sens } = p;
  const { numBs: M, numUsers: U, numTxAnt: nt, numTargets: T, noiseCommW } = topo;
  const S = topo.numStreams;
  if (!valueKnown) isacValue(p, W, beta, value);
  // a[u, s] = Σ_m Σ_{rows r of m carrying s} h_{m,u}ᴴ f_{m,r}
  const a = czeros(U * S);
  for (let m = 0; m < M; m++) {
    const rows = topo.apStreams[m];
    const Wm = W[m];
    for (let u = 0; u < U; u++) {
      const h = 2 * (m * U + u) * nt;
      for (let r = 0; r < rows.length; r++) {
        let re = 0;
        let im = 0;
        for (let i = 0, w = 2 * r * nt; i < nt; i++, w += 2) {
          const hr = H[h + 2 * i];
          const hi = H[h + 2 * i + 1];
          re += hr * Wm[w] + hi * Wm[w + 1];
          im += hr * Wm[w + 1] - hi * Wm[w];
        }
        a[2 * (u * S + rows[r])] += re;
        a[2 * (u * S + rows[r]) + 1] += im;
      }
    }
  }
  // coef[u, s] = a_{u,s} (1/T_u − 1{s≠u}/I_u) / ln2
  const coef = czeros(U * S);
  for (let u = 0; u < U; u++) {
    let total = noiseCommW;
    for (let s = 0; s < S; s++) total += a[2 * (u * S + s)] ** 2 + a[2 * (u * S + s) + 1] ** 2;
    const interference = total - (a[2 * (u * S + u)] ** 2 + a[2 * (u * S + u) + 1] ** 2);
    for (let s = 0; s < S; s++) {
      const k = (1 / total - (s === u ? 0 : 1 / interference)) / Math.LN2;
      coef[2 * (u * S + s)] = k * a[2 * (u * S + s)];
      coef[2 * (u * S + s) + 1] = k * a[2 * (u * S + s) + 1];
    }
  }
  const sensWeight = Float64Array.from(value.snr, (snr) => beta / (Math.LN2 * (1 + snr)));
  for (let m = 0; m < M; m++) {
    const rows = topo.apStreams[m];
    const G = grad[m];
    const Wm = W[m];
    G.fill(0);
    for (let r = 0; r < rows.length; r++) {
      const s = rows[r];
      const o = 2 * r * nt;
      for (let u = 0; u < U; u++) {
        const cr = coef[2 * (u * S + s)];
        const ci = coef[2 * (u * S + s) + 1];
        if (cr === 0 && ci === 0) continue;
        const h = 2 * (m * U + u) * nt;
        for (let i = 0; i < nt; i++) {
          const hr = H[h + 2 * i];
          const hi = H[h + 2 * i + 1];
          G[o + 2 * i] += hr * cr - hi * ci;
          G[o + 2 * i + 1] += hr * ci + hi * cr;
        }
      }
      if (beta === 0) continue;
      for (let t = 0; t < T; t++) {
        const g = 2 * (t * M + m) * nt;
        // z = g_{t,m}ᴴ f_{m,r}
        let zr = 0;
        let zi = 0;
        for (let i = 0; i < nt; i++) {
          const gr = sens.g[g + 2 * i];
          const gi = sens.g[g + 2 * i + 1];
          zr += gr * Wm[o + 2 * i] + gi * Wm[o + 2 * i + 1];
          zi += gr * Wm[o + 2 * i + 1] - gi * Wm[o + 2 * i];
        }
        const kr = sensWeight[t] * zr;
        const ki = sensWeight[t] * zi;
        for (let i = 0; i < nt; i++) {
          const gr = sens.g[g + 2 * i];
          const gi = sens.g[g + 2 * i + 1];
          G[o + 2 * i] += gr * kr - gi * ki;
          G[o + 2 * i + 1] += gr * ki + gi * kr;
        }
      }
    }
  }
  return value;
}

export interface PgaOptions {
  /** Iteration cap (accepted steps). */
  maxIterations: number;
  /** Stop when an accepted step gains less than tolerance·max(1, |J|). */
  tolerance: number;
  /** First trial step (default 1; adapted: halved on failure, doubled after success). */
  initialStep?: number;
  /** Armijo constant σ (default 1e-4). */
  armijo?: number;
  /**
   * First trial step of each iteration: 'bb' (default) the Barzilai–Borwein step ⟨s,s⟩/(−⟨s,Δ∇⟩)
   * of the last accepted move s (twice the last step where the curvature is not negative);
   * 'doubling' twice the last accepted step. Either way it is backtracked (halved) to Armijo.
   */
  stepRule?: 'bb' | 'doubling';
}

export interface PgaResult {
  W: Beamformers;
  value: IsacValue;
  /** J of the (projected) start, then after every accepted step. */
  trace: number[];
  iterations: number;
  /** Stopped by the tolerance or at a stationary point (not by the cap). */
  converged: boolean;
}

/** Projected gradient ascent on (8a) from `init` (copied, then projected); see the module comment. */
export function pgaIsac(p: CfIsacProblem, beta: number, init: Beamformers, o: PgaOptions): PgaResult {
  checkCfIsacProblem(p);
  const { topo } = p;
  checkBeams(topo, init, 'pgaIsac');
  if (!(beta >= 0)) throw new Error(`pgaIsac: beta must be ≥ 0, got ${beta}`);
  const sigma = o.armijo ?? 1e-4;
  let W: Beamformers = projectPerAp(topo, init.map((w) => Float64Array.from(w)));
  let grad: Beamformers = W.map((w) => new Float64Array(w.length));
  let prevGrad: Beamformers = W.map((w) => new Float64Array(w.length));
  let trial: Beamformers = W.map((w) => new Float64Array(w.length));
  const bb = (o.stepRule ?? 'bb') === 'bb';
  let value = emptyIsacValue(topo);
  let trialValue = emptyIsacValue(topo);
  isacGradientInto(grad, p, W, beta, value);
  const trace = [value.objective];
  let step = o.initialStep ?? 1;
  let converged = false;
  let it = 0;
  for (; it < o.maxIterations; it++) {
    const floor = step * 1e-14;
    let accepted = false;
    while (step >= floor) {
      let firstOrder = 0;
      for (let m = 0; m < W.length; m++) {
        const Wm = W[m];
        const Gm = grad[m];
        const Tm = trial[m];
        for (let i = 0; i < Wm.length; i++) Tm[i] = Wm[i] + step * Gm[i];
      }
      projectPerAp(topo, trial);
      for (let m = 0; m < W.length; m++) {
        const Wm = W[m];
        const Gm = grad[m];
        const Tm = trial[m];
        for (let i = 0; i < Wm.length; i++) firstOrder += 2 * Gm[i] * (Tm[i] - Wm[i]);
      }
      isacValue(p, trial, beta, trialValue);
      if (trialValue.objective >= value.objective + sigma * firstOrder && trialValue.objective > value.objective) {
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) {
      converged = true;
      break;
    }
    const gain = trialValue.objective - value.objective;
    [W, trial] = [trial, W];
    [value, trialValue] = [trialValue, value];
    trace.push(value.objective);
    if (gain <= o.tolerance * Math.max(1, Math.abs(value.objective))) {
      converged = true;
      it++;
      break;
    }
    [grad, prevGrad] = [prevGrad, grad];
    isacGradientInto(grad, p, W, beta, value, true);
    // The next first trial: BB from s = W − W_prev (W_prev is now `trial`) and Δ∇ = grad − prevGrad.
    let ss = 0;
    let sy = 0;
    if (bb) {
      for (let m = 0; m < W.length; m++) {
        const Wm = W[m];
        const Pm = trial[m];
        const Gm = grad[m];
        const Qm = prevGrad[m];
        for (let i = 0; i < Wm.length; i++) {
          const si = Wm[i] - Pm[i];
          ss += si * si;
          sy += si * (Gm[i] - Qm[i]);
        }
      }
    }
    step = bb && sy < 0 ? Math.min(1e12, Math.max(1e-12, ss / -sy)) : 2 * step;
  }
  return { W, value, trace, iterations: it, converged };
}

/** The mixing weights ρ of notes §3.3a: √(1−ρ) F_WMMSE + √ρ F_CBsens, and CB sensing itself (ρ = 1). */
export const REFERENCE_MIXES = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1] as const;

/** √(1−ρ)·A + √ρ·B per AP (A, B shaped alike). */
export function mixBeams(A: Beamformers, B: Beamformers, rho: number): Beamformers {
  const a = Math.sqrt(1 - rho);
  const b = Math.sqrt(rho);
  return A.map((Am, m) => Float64Array.from(Am, (x, i) => a * x + b * B[m][i]));
}

export interface PgaReferenceResult extends PgaResult {
  /** Index into the starts of the best run. */
  start: number;
  /** J reached from every start. */
  objectives: number[];
}

/** PGA from every start; the best J wins (the first on ties). */
export function pgaBest(p: CfIsacProblem, beta: number, starts: Beamformers[], o: PgaOptions): PgaReferenceResult {
  if (starts.length === 0) throw new Error('pgaBest: no start');
  let best: PgaResult | undefined;
  let start = -1;
  const objectives: number[] = [];
  starts.forEach((init, i) => {
    const r = pgaIsac(p, beta, init, o);
    objectives.push(r.value.objective);
    if (!best || r.value.objective > best.value.objective) {
      best = r;
      start = i;
    }
  });
  return { ...best!, start, objectives };
}

/**
 * The PGA reference of notes §3.3a: starts √(1−ρ) F_WMMSE + √ρ F_CBsens for ρ ∈ REFERENCE_MIXES
 * (ρ = 0 is WMMSE, ρ = 1 CB sensing), each feasible because the two use disjoint rows.
 */
export function pgaReference(p: CfIsacProblem, beta: number, wmmse: Beamformers, o: PgaOptions, extraStarts: Beamformers[] = []): PgaReferenceResult {
  const cbs = cbSensing(p);
  return pgaBest(p, beta, [...REFERENCE_MIXES.map((rho) => mixBeams(wmmse, cbs, rho)), ...extraStarts], o);
}
