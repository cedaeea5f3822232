/**
 * Primal–dual interior-point kernel on the homogeneous self-dual (HSD) embedding.
 *
 * For the standard form of `standard.ts` (min ⟨c,x⟩ s.t. A(x) = b, x ∈ K; dual max bᵀy s.t.
 * Aᵀ(y) + z = c, z ∈ K) the kernel follows the central path of
 *
 *   A(x) − b·τ = 0,   Aᵀ(y) + z − c·τ = 0,   ⟨c,x⟩ − bᵀy + κ = 0,   x, z ∈ K,  τ, κ ≥ 0,
 *
 * from x = z = identity, y = 0, τ = κ = 1 (Xu–Hung–Ye / Andersen–Roos–Terlaky infeasible HSD).
 * Its solutions with τ > 0 give an optimal pair (x/τ, y/τ, z/τ); solutions with κ > 0 give a
 * Farkas certificate (bᵀy > 0: primal infeasible; ⟨c,x⟩ < 0: dual infeasible).
 *
 * Each iteration: Nesterov–Todd scaling W (W z W = x; per PSD block W = G·Gᵀ with
 * G = L·V·D^{−1/4}, L = chol(x), L ᵀ z L = V D Vᵀ, so Gᵀ z G = G⁻¹ x G⁻ᵀ = Λ = D^{1/2}), the
 * Schur complement M_ij = ⟨a_i, W a_j W⟩ factored by dense Cholesky (jitter + iterative
 * refinement), the bordered τ-equation eliminated with M⁻¹u and M⁻¹b in a cancellation-free form,
 * one W-metric correction of the primal equation per direction, and a Mehrotra predictor–corrector
 * step with σ = (1 − α_aff)³ and residual-reduction factor η = 1 − σ (so residuals and μ shrink
 * at the same rate). Step lengths come from the smallest eigenvalue of Λ^{−1/2} ΔX̃ Λ^{−1/2} in
 * the scaled space; a fraction `stepFraction` of the way to the boundary is taken.
 *
 * Termination (on the form given): optimal when ‖A(x) − bτ‖/τ/(1+‖b‖) ≤ tolFeas,
 * ‖Aᵀy + z − cτ‖/τ/(1+‖c‖) ≤ tolFeas and max(|pobj − dobj|, ⟨x,z⟩/τ²)/(1+|pobj|+|dobj|) ≤ tolGap;
 * infeasible when bᵀy > 0 and ‖Aᵀy + z‖/bᵀy ≤ tolInfeas; unbounded when ⟨c,x⟩ < 0 and
 * ‖A(x)‖/(−⟨c,x⟩) ≤ tolInfeas. If round-off stops progress once within 100× of the tolerances,
 * or the Newton system breaks down, the best iterate is returned with 'numerical_error'.
 *
 * Pure: no clock, no randomness, no I/O. All figures refer to the form it is given (the caller
 * scales the data).
 */
import {
  CholeskyError,
  EigenConvergenceError,
  choleskyInPlace,
  choleskySolve,
  choleskyWithJitter,
  congruence,
  congruenceDiagT,
  congruenceT,
  diagonalOf,
  mirrorUpper,
  sumOfOuterProducts,
  dot,
  matMul,
  matVec,
  symDot,
  symEig,
  symEigenvalues,
  symmetrize,
} from './linalg.ts';
import {
  applyA,
  applyAT,
  blockDot,
  blockLinear,
  blockNorm,
  coneIdentity,
  projectEmbedded,
  type ConeBlock,
  type LowRankFactor,
  type StandardForm,
} from './standard.ts';
import type { IterationInfo, SdpStatus } from './types.ts';

export interface HsdSettings {
  tolFeas: number;
  tolGap: number;
  tolInfeas: number;
  maxIterations: number;
  stepFraction: number;
  onIteration?: (info: IterationInfo) => void;
}

export interface HsdOutcome {
  status: SdpStatus;
  message: string;
  /** Newton steps taken. */
  iterations: number;
  /** Last iterate of the embedding (not divided by τ). */
  x: Float64Array[];
  y: Float64Array;
  z: Float64Array[];
  tau: number;
  kappa: number;
}

/** NT scaling of one block at the current iterate. */
interface BlockScaling {
  /** 'psd': [n, n] G with W = G Gᵀ; 'lp': [n] g = √(x/z). */
  g: Float64Array;
  /** [n] scaled point λ (eigenvalues of Gᵀ z G = G⁻¹ x G⁻ᵀ), ascending for 'psd'. */
  lam: Float64Array;
}

/** A Newton direction in the scaled space (dx̃, dz̃) with dy, dτ, dκ; `eta` is its residual weight. */
interface Direction {
  eta: number;
  dxs: Float64Array[];
  dzs: Float64Array[];
  dy: Float64Array;
  dtau: number;
  dkappa: number;
}

/** Thrown inside the kernel when the iterate or the Newton system breaks down. */
class KernelBreakdown extends Error {
  override readonly name = 'KernelBreakdown';
}

/** Mutable iterate of the embedding. */
interface Iterate {
  x: Float64Array[];
  y: Float64Array;
  z: Float64Array[];
  tau: number;
  kappa: number;
}

/** Residuals of the embedding at an iterate. */
interface Residuals {
  /** [numRows] A(x) − bτ. */
  rp: Float64Array;
  /** Blocks Aᵀ(y) + z − cτ. */
  rd: Float64Array[];
  /** ⟨c,x⟩ − bᵀy + κ. */
  rg: number;
  /** (⟨x,z⟩ + τκ)/(ν + 1). */
  mu: number;
}

/** Solves the form by the HSD interior-point method; see the file comment. */
export function solveHsd(sf: StandardForm, settings: HsdSettings): HsdOutcome {
  const { blocks, c, b } = sf;
  const numRows = b.length;
  const rowsByBlock: number[][] = blocks.map((_, k) => {
    const rows: number[] = [];
    for (let i = 0; i < numRows; i++) if (sf.a[i][k]) rows.push(i);
    return rows;
  });
  const nu = blocks.reduce((s, blk) => s + blk.n, 0); // barrier degree of K
  const normB = Math.sqrt(dot(b, b));
  const normC = blockNorm(c);
  const it: Iterate = { x: coneIdentity(blocks), y: new Float64Array(numRows), z: coneIdentity(blocks), tau: 1, kappa: 1 };
  const finish = (status: SdpStatus, message: string, iterations: number, from: Iterate = it): HsdOutcome => ({
    status,
    message,
    iterations,
    ...from,
  });
  // Best iterate so far by merit = max(pres/tolFeas, dres/tolFeas, relGap/tolGap) (≤ 1 ⇔ optimal).
  // When round-off stops progress near the end, that iterate is returned with 'numerical_error'.
  let best: { it: Iterate; iteration: number; merit: number; summary: string } | null = null;
  const giveUp = (reason: string, iterations: number): HsdOutcome => {
    if (!best) return finish('numerical_error', reason, iterations);
    return finish('numerical_error', `${reason}; returning the best iterate (iteration ${best.iteration}: ${best.summary})`, iterations, best.it);
  };

  for (let iter = 0; ; iter++) {
    const { x, y, z, tau, kappa } = it;
    const ax = applyA(sf, x); // [numRows]
    const aty = applyAT(sf, y); // blocks
    const rp = new Float64Array(numRows);
    for (let i = 0; i < numRows; i++) rp[i] = ax[i] - b[i] * tau;
    const rd = blocks.map((_, k) => {
      const r = new Float64Array(c[k].length);
      for (let t = 0; t < r.length; t++) r[t] = aty[k][t] + z[k][t] - c[k][t] * tau;
      return r;
    });
    const cx = blockDot(c, x);
    const by = dot(b, y);
    const xz = blockDot(x, z);
    const res: Residuals = { rp, rd, rg: cx - by + kappa, mu: (xz + tau * kappa) / (nu + 1) };

    const pobj = cx / tau;
    const dobj = by / tau;
    const pres = Math.sqrt(dot(rp, rp)) / tau / (1 + normB);
    const dres = blockNorm(rd) / tau / (1 + normC);
    const relGap = Math.max(Math.abs(pobj - dobj), xz / (tau * tau)) / (1 + Math.abs(pobj) + Math.abs(dobj));
    const report = (step: number): void =>
      settings.onIteration?.({
        iteration: iter,
        primalObjective: pobj,
        dualObjective: dobj,
        primalResidual: pres,
        dualResidual: dres,
        relativeGap: relGap,
        mu: res.mu,
        tau,
        kappa,
        step,
      });
    const stop = (status: SdpStatus, message: string, iterations = iter): HsdOutcome => {
      report(NaN);
      return finish(status, message, iterations);
    };

    if (![pres, dres, relGap, res.mu, tau, kappa, cx, by].every(Number.isFinite)) {
      report(NaN);
      return giveUp(`non-finite iterate at iteration ${iter}`, iter);
    }
    const merit = Math.max(pres / settings.tolFeas, dres / settings.tolFeas, relGap / settings.tolGap);
    if (!best || merit < best.merit) {
      const summary = `pres ${pres.toExponential(2)}, dres ${dres.toExponential(2)}, gap ${relGap.toExponential(2)}`;
      best = { it: copyIterate(it), iteration: iter, merit, summary };
    } else if (best.merit <= 100 && (merit > 100 * best.merit || iter - best.iteration >= 5)) {
      // Within 100× of the tolerances, then lost ground or stalled: round-off floor reached.
      report(NaN);
      return giveUp(`progress stalled at iteration ${iter}`, iter);
    }
    // ---- termination tests
    if (pres <= settings.tolFeas && dres <= settings.tolFeas && relGap <= settings.tolGap) {
      return stop('optimal', `converged in ${iter} iterations`);
    }
    if (by > 0) {
      // Farkas ray for the primal: Aᵀy + z ≈ 0 with z ∈ K and bᵀy > 0.
      const pinf = blockNorm(blockLinear(1, aty, 1, z)) / by;
      if (pinf <= settings.tolInfeas) {
        return stop('infeasible', `primal infeasible: certificate residual ${pinf.toExponential(2)}`);
      }
    }
    if (cx < 0) {
      // Farkas ray for the dual: A(x) ≈ 0 with x ∈ K and ⟨c,x⟩ < 0.
      const dinf = Math.sqrt(dot(ax, ax)) / -cx;
      if (dinf <= settings.tolInfeas) {
        return stop('unbounded', `dual infeasible: certificate residual ${dinf.toExponential(2)}`);
      }
    }
    if (iter >= settings.maxIterations) {
      report(NaN);
      const from = best ? best.it : it;
      return finish('max_iterations', `no convergence in ${iter} iterations (best iterate returned)`, iter, from);
    }

    let step: number;
    try {
      step = newtonStep(sf, rowsByBlock, it, res, settings.stepFraction);
    } catch (err) {
      if (err instanceof KernelBreakdown || err instanceof CholeskyError || err instanceof EigenConvergenceError) {
        report(NaN);
        return giveUp(`${err.message} (iteration ${iter})`, iter);
      }
      throw err;
    }
    report(step);
    if (!(step > 1e-10)) return giveUp(`step length collapsed to ${step} at iteration ${iter}`, iter + 1);
  }
}

/**
 * Computes the Mehrotra predictor–corrector direction at `it` and takes the step (mutating `it`).
 * Returns the step length. Throws KernelBreakdown / CholeskyError on numerical failure.
 */
function newtonStep(
  sf: StandardForm,
  rowsByBlock: number[][],
  it: Iterate,
  res: Residuals,
  stepFraction: number,
): number {
  const { blocks, a, b, c } = sf;
  const numRows = b.length;
  const { x, z, y, tau, kappa } = it;
  const { rp, rd, rg, mu } = res;

  const scalings = blocks.map((blk, k) => ntScaling(blk, x[k], z[k]));
  // Everything below works in the scaled space (ṽ = Gᵀ v G, or g∘v on 'lp' blocks), where the
  // scaled rows ã_i of the Schur complement are at hand: ⟨a_i, G v Gᵀ⟩ = ⟨ã_i, v⟩ and the scaled
  // form of Aᵀw is Σ_i w_i ã_i. So a direction needs no congruence; the step taken needs one per
  // block (dx = G dx̃ Gᵀ), and an iteration two more (c̃, r̃_d; none for a zero c block).
  const { m: schur, scaled } = schurComplement(sf, rowsByBlock, scalings); // [numRows, numRows]
  // Every matrix these two meet is symmetric: PSD blocks use one triangle and mirror it.
  /** ⟨ã_i, v⟩ over all blocks, for every row i. */
  const rowDots = (v: Float64Array[]): Float64Array => {
    const out = new Float64Array(numRows);
    for (let k = 0; k < blocks.length; k++) {
      const rows = rowsByBlock[k];
      const psd = blocks[k].kind === 'psd';
      for (let p = 0; p < rows.length; p++) out[rows[p]] += psd ? symDot(scaled[k][p], v[k], blocks[k].n) : dot(scaled[k][p], v[k]);
    }
    return out;
  };
  /** Σ_i w_i ã_i per block: the scaled form of Aᵀw. */
  const combine = (w: Float64Array): Float64Array[] =>
    blocks.map((blk, k) => {
      const out = new Float64Array(c[k].length);
      const rows = rowsByBlock[k];
      const n = blk.n;
      for (let p = 0; p < rows.length; p++) {
        const wi = w[rows[p]];
        if (wi === 0) continue;
        const ap = scaled[k][p];
        if (blk.kind === 'psd') {
          for (let i = 0; i < n; i++) for (let t = i * n + i; t < (i + 1) * n; t++) out[t] += wi * ap[t];
        } else {
          for (let t = 0; t < out.length; t++) out[t] += wi * ap[t];
        }
      }
      return blk.kind === 'psd' ? mirrorUpper(out, n) : out;
    });
  const cs = blocks.map((blk, k) => scaleDual(blk, scalings[k], c[k])); // c̃
  const rds = blocks.map((blk, k) => scaleDual(blk, scalings[k], rd[k])); // r̃_d
  const u = rowDots(cs); // u_i = ⟨a_i, W c W⟩ = ⟨ã_i, c̃⟩
  const factor = choleskyWithJitter(schur, numRows, 1e-8).factor;
  const solve = (rhs: Float64Array): Float64Array => solveRefined(schur, factor, rhs, numRows);
  const qu = solve(u); // M⁻¹ u: least-squares fit of c by Aᵀ in the W-norm
  const qb = solve(b); // M⁻¹ b
  // R = c − Aᵀ(M⁻¹u) is the part of c that Aᵀ cannot fit. The τ-equation needs
  // ⟨c, W c W⟩ − uᵀM⁻¹u = ⟨R, W R W⟩ = ‖R̃‖²; forming that difference directly cancels
  // catastrophically near the optimum (both terms grow like 1/μ while the difference shrinks), so use R̃.
  const aqu = combine(qu);
  const rcs = blockLinear(1, cs, -1, aqu); // R̃
  const tauDenom = -(blockDot(rcs, rcs) + dot(b, qb) + kappa / tau); // < 0
  if (!(tauDenom < 0)) throw new KernelBreakdown(`bordered τ-equation is singular (${tauDenom})`);

  /**
   * Newton direction for the targets  A(dx) − b dτ = −η rp,  Aᵀ(dy) + dz − c dτ = −η rd,
   * ⟨c,dx⟩ − bᵀdy + dκ = −η rg,  λ∘(dx̃ + dz̃) = σμe − λ∘λ − corr,  κ dτ + τ dκ = σμ − τκ − corr.
   * Elimination: dz = −η rd − Aᵀdy + c dτ;  dx = P − W dz W with P = G Q Gᵀ, Q = S + η r̃_d;
   * M dy = rhs1 + dτ (u + b) with rhs1 = −η rp − A(P) = −η rp − ⟨ã, Q⟩;  dτ from the scalar
   * ⟨c,dx⟩ − bᵀdy + dκ row.
   */
  const direction = (sigma: number, eta: number, aff: Direction | null): Direction => {
    const target = sigma * mu;
    const sMat = blocks.map((blk, k) => complementarityRhs(blk, scalings[k].lam, target, aff ? [aff.dxs[k], aff.dzs[k]] : null));
    const qMat = blockLinear(1, sMat, eta, rds); // S − r̃2 with r2 = −η rd
    const aq = rowDots(qMat);
    const rhs1 = new Float64Array(numRows);
    for (let i = 0; i < numRows; i++) rhs1[i] = -eta * rp[i] - aq[i];
    const p = solve(rhs1);
    const rTau = target - tau * kappa - (aff ? aff.dtau * aff.dkappa : 0);
    // ⟨c, P⟩ + uᵀp = ⟨R̃, Q⟩ − η (M⁻¹u)ᵀ rp, again without the cancelling large terms.
    const dtau = (-eta * rg - blockDot(rcs, qMat) + eta * dot(qu, rp) + dot(b, p) - rTau / tau) / tauDenom;
    const dy = new Float64Array(numRows);
    for (let i = 0; i < numRows; i++) dy[i] = p[i] + dtau * (qu[i] + qb[i]);
    const ady = combine(dy);
    const dzs = blocks.map((_, k) => {
      const out = new Float64Array(c[k].length);
      for (let t = 0; t < out.length; t++) out[t] = -eta * rds[k][t] - ady[k][t] + dtau * cs[k][t];
      return out;
    });
    const dxs = blockLinear(1, sMat, -1, dzs);
    // One correction step on the primal equation A(dx) − b dτ = −η rp, whose error grows with
    // the conditioning of M: dx ← dx − W Aᵀ(M⁻¹ e) W (the W-metric least-norm fix), i.e.
    // dx̃ ← dx̃ − Σ_i (M⁻¹e)_i ã_i. A(dx) = ⟨ã, dx̃⟩ (also for embedded blocks: the data lies in
    // the embedding, so the projection below does not change it).
    const adx = rowDots(dxs);
    const e = new Float64Array(numRows);
    for (let i = 0; i < numRows; i++) e[i] = adx[i] - b[i] * dtau + eta * rp[i];
    const fs = combine(solve(e));
    for (let k = 0; k < blocks.length; k++) for (let t = 0; t < dxs[k].length; t++) dxs[k][t] -= fs[k][t];
    const dkappa = (rTau - kappa * dtau) / tau;
    return { eta, dxs, dzs, dy, dtau, dkappa };
  };

  /**
   * The step itself in the original space, needed for the final direction only (the predictor
   * lives in the scaled space): dx = G dx̃ Gᵀ (projected back onto the embedding) and
   * dz = −η rd − Aᵀdy + c dτ.
   */
  const unscaled = (d: Direction): { dx: Float64Array[]; dz: Float64Array[] } => {
    const dx = blocks.map((blk, k) => {
      const v = unscalePrimal(blk, scalings[k], d.dxs[k]);
      return blk.embedded ? projectEmbedded(v, blk.n) : v;
    });
    const atdy = applyAT(sf, d.dy);
    const dz = blocks.map((_, k) => {
      const out = new Float64Array(c[k].length);
      for (let t = 0; t < out.length; t++) out[t] = -d.eta * rd[k][t] - atdy[k][t] + d.dtau * c[k][t];
      return out;
    });
    return { dx, dz };
  };

  /** Largest α keeping (x, z, τ, κ) + α·d in the cone. */
  const maxStep = (d: Direction, cap: number): number => {
    let alpha = Infinity;
    for (let k = 0; k < blocks.length; k++) {
      const lam = scalings[k].lam;
      alpha = Math.min(alpha, maxStepInCone(blocks[k], lam, d.dxs[k], cap), maxStepInCone(blocks[k], lam, d.dzs[k], cap));
    }
    if (d.dtau < 0) alpha = Math.min(alpha, -tau / d.dtau);
    if (d.dkappa < 0) alpha = Math.min(alpha, -kappa / d.dkappa);
    return alpha;
  };

  const affine = direction(0, 1, null);
  const alphaAff = Math.min(1, maxStep(affine, 1));
  const sigma = Math.min(1, Math.max(0, (1 - alphaAff) ** 3));
  const dir = direction(sigma, 1 - sigma, affine);
  const alpha = Math.min(1, stepFraction * maxStep(dir, 1 / stepFraction));
  if (!Number.isFinite(alpha)) throw new KernelBreakdown('non-finite step length');

  const { dx, dz } = unscaled(dir);
  for (let k = 0; k < blocks.length; k++) {
    const xk = x[k];
    const zk = z[k];
    const dxk = dx[k];
    const dzk = dz[k];
    for (let t = 0; t < xk.length; t++) {
      xk[t] += alpha * dxk[t];
      zk[t] += alpha * dzk[t];
    }
    if (blocks[k].kind === 'psd') {
      symmetrize(xk, blocks[k].n);
      symmetrize(zk, blocks[k].n);
    }
  }
  for (let i = 0; i < numRows; i++) y[i] += alpha * dir.dy[i];
  it.tau = tau + alpha * dir.dtau;
  it.kappa = kappa + alpha * dir.dkappa;
  return alpha;
}

/** A deep copy of an iterate. */
function copyIterate(it: Iterate): Iterate {
  return {
    x: it.x.map((v) => Float64Array.from(v)),
    y: Float64Array.from(it.y),
    z: it.z.map((v) => Float64Array.from(v)),
    tau: it.tau,
    kappa: it.kappa,
  };
}

/** NT scaling of one block; throws KernelBreakdown if x or z is no longer interior. */
function ntScaling(blk: ConeBlock, xk: Float64Array, zk: Float64Array): BlockScaling {
  const n = blk.n;
  if (blk.kind === 'lp') {
    const g = new Float64Array(n);
    const lam = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!(xk[i] > 0 && zk[i] > 0)) throw new KernelBreakdown('orthant iterate left the cone');
      g[i] = Math.sqrt(xk[i] / zk[i]);
      lam[i] = Math.sqrt(xk[i] * zk[i]);
    }
    return { g, lam };
  }
  const l = Float64Array.from(xk); // [n, n] → L, X = L Lᵀ
  if (choleskyInPlace(l, n) >= 0) throw new KernelBreakdown('primal PSD iterate lost definiteness');
  const work = new Float64Array(n * n);
  const t = congruenceT(l, zk, new Float64Array(n * n), n, work, true); // [n, n] Lᵀ Z L
  const { values, vectors } = symEig(t, n); // Lᵀ Z L = V D Vᵀ
  const lam = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!(values[i] > 0)) throw new KernelBreakdown('dual PSD iterate lost definiteness');
    lam[i] = Math.sqrt(values[i]);
  }
  const g = matMul(l, vectors, new Float64Array(n * n), n); // [n, n] L V
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < n; j++) g[r * n + j] /= Math.sqrt(lam[j]); // · D^{−1/4}
  }
  return { g, lam };
}

/** Dual-side scaling: Gᵀ v G ('psd') or g∘v ('lp'). A zero v (c on most blocks) costs nothing. */
function scaleDual(blk: ConeBlock, s: BlockScaling, v: Float64Array): Float64Array {
  if (blk.kind === 'lp') return hadamard(s.g, v);
  const n = blk.n;
  if (isZero(v)) return new Float64Array(n * n);
  const d = diagonalOf(v, n); // e.g. the identity of a power constraint
  if (d) return congruenceDiagT(s.g, d, new Float64Array(n * n), n);
  return congruenceT(s.g, v, new Float64Array(n * n), n, new Float64Array(n * n));
}

/** Primal-side unscaling: G v Gᵀ ('psd') or g∘v ('lp'). */
function unscalePrimal(blk: ConeBlock, s: BlockScaling, v: Float64Array): Float64Array {
  if (blk.kind === 'lp') return hadamard(s.g, v);
  const n = blk.n;
  return congruence(s.g, v, new Float64Array(n * n), n, new Float64Array(n * n));
}

function hadamard(g: Float64Array, v: Float64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = g[i] * v[i];
  return out;
}

function isZero(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/**
 * The scaled sum ΔX̃ + ΔZ̃ = S solving λ∘S = σμ·e − λ∘λ − corr, where ∘ is the symmetrised
 * product (λ diagonal ⇒ S_ij = 2·rhs_ij/(λ_i + λ_j)) and corr = ΔX̃_aff∘ΔZ̃_aff (Mehrotra).
 */
function complementarityRhs(
  blk: ConeBlock,
  lam: Float64Array,
  target: number,
  aff: [Float64Array, Float64Array] | null,
): Float64Array {
  const n = blk.n;
  if (blk.kind === 'lp') {
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const corr = aff ? aff[0][i] * aff[1][i] : 0;
      s[i] = (target - lam[i] * lam[i] - corr) / lam[i];
    }
    return s;
  }
  const rhs = new Float64Array(n * n); // [n, n]
  if (aff) {
    matMul(aff[0], aff[1], rhs, n); // ΔX̃ ΔZ̃, symmetrised below
    symmetrize(rhs, n);
    for (let i = 0; i < rhs.length; i++) rhs[i] = -rhs[i];
  }
  for (let i = 0; i < n; i++) rhs[i * n + i] += target - lam[i] * lam[i];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) rhs[i * n + j] *= 2 / (lam[i] + lam[j]);
  }
  return rhs;
}

/**
 * Largest α ≤ `cap` with λ + α·d in the cone, d in scaled coordinates (the callers never step
 * further than `cap`). For a PSD block this is −1/λ_min(Λ^{−1/2} d Λ^{−1/2}); but first a Cholesky
 * factorisation of I + cap·Λ^{−1/2} d Λ^{−1/2} (≈ n³/6 flops, several times cheaper than the
 * eigenvalues) settles the common case that the whole step `cap` stays inside.
 */
function maxStepInCone(blk: ConeBlock, lam: Float64Array, d: Float64Array, cap: number): number {
  const n = blk.n;
  let minRatio = Infinity;
  if (blk.kind === 'lp') {
    for (let i = 0; i < n; i++) minRatio = Math.min(minRatio, d[i] / lam[i]);
  } else {
    const m = new Float64Array(n * n); // [n, n] Λ^{−1/2} d Λ^{−1/2}
    const t = new Float64Array(n * n); // [n, n] I + cap·m
    const is = new Float64Array(n); // Λ^{−1/2}
    for (let i = 0; i < n; i++) is[i] = 1 / Math.sqrt(lam[i]);
    let finite = true;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = d[i * n + j] * is[i] * is[j];
        if (!Number.isFinite(v)) finite = false;
        m[i * n + j] = v;
        t[i * n + j] = (i === j ? 1 : 0) + cap * v;
      }
    }
    if (!Number.isFinite(cap) || choleskyInPlace(t, n) >= 0) minRatio = symEigenvalues(m, n)[0];
    else if (finite) return cap;
  }
  if (!Number.isFinite(minRatio)) throw new KernelBreakdown('non-finite direction');
  return Math.min(cap, minRatio < 0 ? -1 / minRatio : Infinity);
}

/**
 * Schur complement M_ij = Σ_k ⟨ã_ik, ã_jk⟩ with ã = Gᵀ a G ('psd') or g∘a ('lp'), and the scaled
 * rows themselves: scaled[k][p] is ã of row rowsByBlock[k][p] in block k. For two low-rank rows
 * (a = ±V Vᵀ) the entry comes from the factors: ⟨s₁W₁W₁ᵀ, s₂W₂W₂ᵀ⟩ = s₁s₂‖W₁ᵀW₂‖²_F with W = GᵀV,
 * r₁r₂·n products instead of n²/2 (the SINR and FIM rows of paper 003 are rank one in ℂ, two in ℝ).
 */
function schurComplement(sf: StandardForm, rowsByBlock: number[][], scalings: BlockScaling[]): { m: Float64Array; scaled: Float64Array[][] } {
  const { blocks, a } = sf;
  const numRows = sf.b.length;
  const m = new Float64Array(numRows * numRows); // [numRows, numRows]
  const all: Float64Array[][] = [];
  for (let k = 0; k < blocks.length; k++) {
    const blk = blocks[k];
    const rows = rowsByBlock[k];
    const factors: Array<ScaledFactor | null> = new Array(rows.length).fill(null);
    const scaled = rows.map((i, p) => {
      const f = sf.aFactors?.[i][k];
      if (!f) return scaleDual(blk, scalings[k], a[i][k] as Float64Array);
      const w = scaleFactor(blk.n, scalings[k].g, f);
      factors[p] = w;
      return lowRankOuter(blk.n, w);
    });
    all.push(scaled);
    for (let p = 0; p < rows.length; p++) {
      for (let q = p; q < rows.length; q++) {
        const fp = factors[p];
        const fq = factors[q];
        const v =
          fp && fq
            ? factorDot(blk.n, fp, fq)
            : blk.kind === 'psd'
              ? symDot(scaled[p], scaled[q], blk.n)
              : dot(scaled[p], scaled[q]);
        m[rows[p] * numRows + rows[q]] += v;
        if (p !== q) m[rows[q] * numRows + rows[p]] += v;
      }
    }
  }
  return { m, scaled: all };
}

/** A scaled low-rank row: ã = sign·W Wᵀ with W = GᵀV; stored transposed, [rank, n] row-major (column t of W at t·n). */
interface ScaledFactor {
  sign: number;
  rank: number;
  wt: Float64Array;
}

/** W = GᵀV for a low-rank factor V ([n, rank] row-major), as Wᵀ [rank, n]. */
function scaleFactor(n: number, g: Float64Array, f: LowRankFactor): ScaledFactor {
  const r = f.rank;
  const wt = new Float64Array(r * n);
  for (let t = 0; t < r; t++) {
    const rt = t * n;
    for (let k = 0; k < n; k++) {
      const vkt = f.v[k * r + t];
      if (vkt === 0) continue;
      const rk = k * n;
      for (let i = 0; i < n; i++) wt[rt + i] += vkt * g[rk + i]; // W[i, t] = Σ_k G[k, i] V[k, t]
    }
  }
  return { sign: f.sign, rank: r, wt };
}

/** sign·W Wᵀ as a dense [n, n] matrix (the rows of Wᵀ are the columns of W). */
function lowRankOuter(n: number, f: ScaledFactor): Float64Array {
  return sumOfOuterProducts(f.wt, f.sign, f.rank, n, new Float64Array(n * n));
}

/** ⟨s₁W₁W₁ᵀ, s₂W₂W₂ᵀ⟩ = s₁s₂ Σ_ab ((W₁ᵀW₂)_ab)². */
function factorDot(n: number, f1: ScaledFactor, f2: ScaledFactor): number {
  let s = 0;
  for (let a = 0; a < f1.rank; a++) {
    for (let b = 0; b < f2.rank; b++) {
      let c = 0;
      const ra = a * n;
      const rb = b * n;
      for (let i = 0; i < n; i++) c += f1.wt[ra + i] * f2.wt[rb + i];
      s += c * c;
    }
  }
  return f1.sign * f2.sign * s;
}

/** Solves M x = rhs with the Cholesky factor of (a jittered) M and two refinement steps on M. */
function solveRefined(mat: Float64Array, factor: Float64Array, rhs: Float64Array, n: number): Float64Array {
  const sol = choleskySolve(factor, Float64Array.from(rhs), n);
  const mx = new Float64Array(n);
  for (let pass = 0; pass < 2; pass++) {
    matVec(mat, sol, mx, n);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = rhs[i] - mx[i];
    choleskySolve(factor, r, n);
    for (let i = 0; i < n; i++) sol[i] += r[i];
  }
  return sol;
}
