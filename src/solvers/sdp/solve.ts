/**
 * `solveSdp`: the public entry point. Validates and compiles the problem (`model.ts`), runs the
 * homogeneous self-dual interior-point kernel (`hsd.ts`), maps the result back to the user's
 * layout and measures residuals and certificates on the original (unscaled) data.
 */
import { dot } from './linalg.ts';
import {
  coneViolation,
  compileProblem,
  constraintViolation,
  recoverDualSlack,
  recoverPrimal,
  userApplyA,
  userDualSlack,
  userObjective,
  type CompiledProblem,
} from './model.ts';
import { solveHsd, type HsdOutcome } from './hsd.ts';
import {
  SdpInputError,
  type DualInfeasibilityCertificate,
  type PrimalInfeasibilityCertificate,
  type SdpOptions,
  type SdpProblem,
  type SdpResiduals,
  type SdpSolution,
} from './types.ts';

/** Default solver settings (see SdpOptions). */
export const SDP_DEFAULTS = Object.freeze({
  tolFeas: 1e-8,
  tolGap: 1e-8,
  tolInfeas: 1e-8,
  maxIterations: 100,
  stepFraction: 0.99,
  scale: true,
});

/**
 * Solves  min Σ⟨C_k, X_k⟩  s.t.  Σ⟨A_ik, X_k⟩ (=|≤|≥) b_i,  X_k ⪰ 0 / ≥ 0 / free  (see types.ts).
 * Throws SdpInputError for malformed data; every numerical outcome is reported by `status`.
 */
export function solveSdp(problem: SdpProblem, options: SdpOptions = {}): SdpSolution {
  const opts = { ...SDP_DEFAULTS, ...options };
  for (const key of ['tolFeas', 'tolGap', 'tolInfeas'] as const) {
    if (!(opts[key] > 0)) throw new SdpInputError(`options.${key}`, `must be positive, got ${opts[key]}`);
  }
  if (!Number.isInteger(opts.maxIterations) || opts.maxIterations < 0) {
    throw new SdpInputError('options.maxIterations', `must be a nonnegative integer, got ${opts.maxIterations}`);
  }
  if (!(opts.stepFraction > 0 && opts.stepFraction < 1)) {
    throw new SdpInputError('options.stepFraction', `must lie in (0, 1), got ${opts.stepFraction}`);
  }
  const compiled = compileProblem(problem, opts.scale);
  const outcome = solveHsd(compiled.sf, {
    tolFeas: opts.tolFeas,
    tolGap: opts.tolGap,
    tolInfeas: opts.tolInfeas,
    maxIterations: opts.maxIterations,
    stepFraction: opts.stepFraction,
    onIteration: opts.onIteration,
  });
  return buildSolution(problem, compiled, outcome);
}

/** Maps the kernel outcome back to the user's problem. */
function buildSolution(problem: SdpProblem, compiled: CompiledProblem, out: HsdOutcome): SdpSolution {
  const { rowScale, bScale, cScale } = compiled;
  const tau = out.tau;
  // Unscaled, τ-normalised internal iterate.
  const xInt = out.x.map((v) => v.map((t) => t / (tau * bScale)));
  const zInt = out.z.map((v) => v.map((t) => t / (tau * cScale)));
  const y = out.y.map((t, i) => (t * rowScale[i]) / (tau * cScale));
  const X = recoverPrimal(problem.blocks, xInt);
  const Z = recoverDualSlack(problem.blocks, zInt);

  const ax = userApplyA(problem, X);
  const slack = Float64Array.from(problem.constraints, (con, i) => {
    const sense = con.sense ?? 'eq';
    return sense === 'le' ? con.rhs - ax[i] : sense === 'ge' ? ax[i] - con.rhs : 0;
  });
  const primalObjective = userObjective(problem, X);
  const b = Float64Array.from(problem.constraints, (con) => con.rhs);
  const dualObjective = dot(b, y);
  const residuals = measureResiduals(problem, X, y, Z, ax, b, primalObjective, dualObjective);

  const solution: SdpSolution = {
    status: out.status,
    message: out.message,
    X,
    y,
    Z,
    slack,
    primalObjective,
    dualObjective,
    iterations: out.iterations,
    residuals,
  };
  if (out.status === 'infeasible') solution.certificate = primalCertificate(problem, compiled, out);
  if (out.status === 'unbounded') solution.certificate = dualCertificate(problem, out, bScale);
  return solution;
}

/** Residuals of (X, y, Z) on the original data. */
function measureResiduals(
  problem: SdpProblem,
  X: Float64Array[],
  y: Float64Array,
  Z: Float64Array[],
  ax: Float64Array,
  b: Float64Array,
  pobj: number,
  dobj: number,
): SdpResiduals {
  const viol = constraintViolation(problem, ax);
  const primal = Math.sqrt(dot(viol, viol)) / (1 + Math.sqrt(dot(b, b)));
  const zFromY = userDualSlack(problem, y); // C − Aᵀy
  let dualNum = 0;
  let normC = 0;
  problem.blocks.forEach((_, k) => {
    for (let t = 0; t < Z[k].length; t++) dualNum += (zFromY[k][t] - Z[k][t]) ** 2;
  });
  // Sign conditions of y on inequality rows count as dual infeasibility too.
  problem.constraints.forEach((con, i) => {
    if (con.sense === 'le' && y[i] > 0) dualNum += y[i] * y[i];
    if (con.sense === 'ge' && y[i] < 0) dualNum += y[i] * y[i];
  });
  for (const term of problem.objective) normC += dot(term.matrix, term.matrix);
  const dual = Math.sqrt(dualNum) / (1 + Math.sqrt(normC));
  const gap = pobj - dobj;
  return { primal, dual, gap, relativeGap: Math.abs(gap) / (1 + Math.abs(pobj) + Math.abs(dobj)) };
}

/** y with bᵀy = 1 and Σ y_i A_i in −K* (approximately), from the kernel's ray. */
function primalCertificate(
  problem: SdpProblem,
  compiled: CompiledProblem,
  out: HsdOutcome,
): PrimalInfeasibilityCertificate {
  // Scaled ray y′ ⇒ original y_i = d_i y′_i (positive factors s_b, s_c dropped by normalisation).
  const yRaw = out.y.map((t, i) => t * compiled.rowScale[i]);
  const by = problem.constraints.reduce((s, con, i) => s + con.rhs * yRaw[i], 0);
  const y = yRaw.map((t) => t / by);
  // Σ y_i A_i must lie in −K*: measure the part of −Σ y_i A_i outside K*.
  const negAty = userDualSlack({ ...problem, objective: [] }, y); // −Σ y_i A_i
  let r2 = 0;
  problem.blocks.forEach((spec, k) => (r2 += coneViolation(spec, negAty[k], true) ** 2));
  problem.constraints.forEach((con, i) => {
    if (con.sense === 'le' && y[i] > 0) r2 += y[i] * y[i];
    if (con.sense === 'ge' && y[i] < 0) r2 += y[i] * y[i];
  });
  return { kind: 'primal_infeasible', y, residual: Math.sqrt(r2) };
}

/** Ray X in K with ⟨C, X⟩ = −1 and A(X) (sense) 0 (approximately), from the kernel's ray. */
function dualCertificate(problem: SdpProblem, out: HsdOutcome, bScale: number): DualInfeasibilityCertificate {
  const raw = recoverPrimal(problem.blocks, out.x.map((v) => v.map((t) => t / bScale)));
  const cx = userObjective(problem, raw);
  const X = raw.map((v) => v.map((t) => t / -cx));
  const viol = constraintViolation(problem, userApplyA(problem, X), 0);
  return { kind: 'dual_infeasible', X, residual: Math.sqrt(dot(viol, viol)) };
}
