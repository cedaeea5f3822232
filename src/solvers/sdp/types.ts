/**
 * Public types of the conic (SDP / LP) solver.
 *
 * Problem (primal, "standard form"):
 *
 *   minimise   Σ_k ⟨C_k, X_k⟩
 *   subject to Σ_k ⟨A_ik, X_k⟩  (= | ≤ | ≥)  b_i,   i = 0 … numConstraints−1
 *              X_k ∈ K_k,
 *
 * with blocks K_k of four kinds:
 *   'sym'    real symmetric n×n, X ⪰ 0.        Data [n, n] real, row-major (n·n numbers).
 *   'herm'   complex Hermitian n×n, X ⪰ 0.     Data [n, n] complex, interleaved re/im (2·n·n numbers),
 *            element (r, c) at [2(r·n + c)] (re) and [2(r·n + c) + 1] (im).
 *   'nonneg' vector x ∈ ℝⁿ, x ≥ 0.             Data [n] real (a diagonal).
 *   'free'   vector x ∈ ℝⁿ, unconstrained.       Data [n] real.
 *
 * Inner products: ⟨A, X⟩ = Σ_rc A_rc X_rc for 'sym'; Re tr(Aᴴ X) = Σ_rc Re(conj(A_rc) X_rc) for
 * 'herm' (real for Hermitian A, X); Σ_i a_i x_i for the vector kinds.
 *
 * Dual:   maximise bᵀy  subject to  Z = C − Σ_i y_i A_i ∈ K*,
 *         y_i free for '=', y_i ≤ 0 for '≤', y_i ≥ 0 for '≥'  (Lagrangian sign convention of a
 *         minimisation; Z is zero on free blocks).
 */

/** One block of the variable X. */
export type BlockSpec =
  | { kind: 'sym'; size: number }
  | { kind: 'herm'; size: number }
  | { kind: 'nonneg'; size: number }
  | { kind: 'free'; size: number };

export type BlockKind = BlockSpec['kind'];

/** A coefficient matrix (or vector) on one block; blocks not listed are zero. */
export interface BlockTerm {
  /** Index into SdpProblem.blocks. */
  block: number;
  /**
   * 'sym': [n, n] real symmetric, row-major. 'herm': [n, n] complex Hermitian, interleaved re/im.
   * 'nonneg' / 'free': [n] real. Repeated terms on one block are summed.
   */
  matrix: Float64Array;
}

export type ConstraintSense = 'eq' | 'le' | 'ge';

/** Σ_k ⟨A_ik, X_k⟩ (sense) rhs. */
export interface SdpConstraint {
  terms: BlockTerm[];
  /** Default 'eq'. */
  sense?: ConstraintSense;
  rhs: number;
}

export interface SdpProblem {
  blocks: BlockSpec[];
  /** C: objective coefficients; blocks not listed are zero. */
  objective: BlockTerm[];
  constraints: SdpConstraint[];
}

export interface SdpOptions {
  /** Relative primal and dual residual tolerance of the (internally scaled) problem. Default 1e-8. */
  tolFeas?: number;
  /** Relative duality gap tolerance |pobj − dobj| / (1 + |pobj| + |dobj|). Default 1e-8. */
  tolGap?: number;
  /** Tolerance on the normalised residual of an infeasibility / unboundedness certificate. Default 1e-8. */
  tolInfeas?: number;
  /** Iteration bound. Default 100. */
  maxIterations?: number;
  /** Fraction of the step to the cone boundary that is taken (0 < f < 1). Default 0.99. */
  stepFraction?: number;
  /** Row and objective normalisation before solving (recommended). Default true. */
  scale?: boolean;
  /** Called once per iteration with progress figures (of the scaled problem); must not throw. */
  onIteration?: (info: IterationInfo) => void;
}

/** Progress of one interior-point iteration (figures of the internally scaled problem). */
export interface IterationInfo {
  iteration: number;
  /** ⟨C, X⟩/τ and bᵀy/τ. */
  primalObjective: number;
  dualObjective: number;
  /** Relative primal and dual residuals, relative gap. */
  primalResidual: number;
  dualResidual: number;
  relativeGap: number;
  /** Complementarity measure (⟨X, Z⟩ + τκ)/(ν + 1). */
  mu: number;
  tau: number;
  kappa: number;
  /** Step length taken after this report (NaN on the final report). */
  step: number;
}

export type SdpStatus = 'optimal' | 'infeasible' | 'unbounded' | 'max_iterations' | 'numerical_error';

/**
 * Certificate of primal infeasibility: y with bᵀy = 1 and Σ y_i A_i ⪯ 0 in the dual cone (with the
 * sign conditions of the senses), so no X can satisfy the constraints. `residual` is the norm of
 * the positive part of Σ y_i A_i, i.e. how far y is from an exact certificate.
 */
export interface PrimalInfeasibilityCertificate {
  kind: 'primal_infeasible';
  y: Float64Array;
  residual: number;
}

/**
 * Certificate of dual infeasibility (primal unbounded when the primal is feasible): a ray X in
 * the cone with ⟨C, X⟩ = −1 and A(X) (sense) 0. `residual` is ‖violation of A(X) (sense) 0‖₂.
 */
export interface DualInfeasibilityCertificate {
  kind: 'dual_infeasible';
  X: Float64Array[];
  residual: number;
}

export interface SdpResiduals {
  /** ‖violation of the constraints by X‖₂ / (1 + ‖b‖₂), on the original (unscaled) data. */
  primal: number;
  /** ‖C − Σ y_i A_i − Z‖ / (1 + ‖C‖), on the original data (norms over all blocks). */
  dual: number;
  /** primalObjective − dualObjective. */
  gap: number;
  /** |gap| / (1 + |primalObjective| + |dualObjective|). */
  relativeGap: number;
}

export interface SdpSolution {
  status: SdpStatus;
  /** Human-readable reason for the status. */
  message: string;
  /**
   * Primal blocks in the input layout. Meaningful for 'optimal'; the last iterate (divided by
   * τ) for 'max_iterations' / 'numerical_error'; the same for 'infeasible' / 'unbounded', where
   * it is not a solution — read `certificate` instead.
   */
  X: Float64Array[];
  /** Dual multipliers, one per constraint (sign convention in the header comment). */
  y: Float64Array;
  /** Dual slack blocks Z = C − Σ y_i A_i in the input layout (zero-ish on free blocks). */
  Z: Float64Array[];
  /** Slack of each constraint: b_i − ⟨A_i, X⟩ for '≤', ⟨A_i, X⟩ − b_i for '≥', 0 for '='. */
  slack: Float64Array;
  primalObjective: number;
  dualObjective: number;
  iterations: number;
  residuals: SdpResiduals;
  certificate?: PrimalInfeasibilityCertificate | DualInfeasibilityCertificate;
}

/** Invalid problem data; the message names the offending input (e.g. `constraints[3].terms[0]`). */
export class SdpInputError extends Error {
  override readonly name = 'SdpInputError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
