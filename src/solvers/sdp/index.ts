/**
 * Conic solver for semidefinite programs with real symmetric, complex Hermitian, nonnegative and
 * free blocks: a homogeneous self-dual primal–dual interior-point method (NT scaling, Mehrotra
 * predictor–corrector). See docs/sdp.md for the method, tolerances and measured performance.
 */
export { solveSdp, SDP_DEFAULTS } from './solve.ts';
export {
  SdpInputError,
  type BlockKind,
  type BlockSpec,
  type BlockTerm,
  type ConstraintSense,
  type DualInfeasibilityCertificate,
  type IterationInfo,
  type PrimalInfeasibilityCertificate,
  type SdpConstraint,
  type SdpOptions,
  type SdpProblem,
  type SdpResiduals,
  type SdpSolution,
  type SdpStatus,
} from './types.ts';
export {
  embedHermitian,
  extractHermitian,
  gaussianRandomization,
  hermitianEig,
  hermitianIdentity,
  hermitianOuter,
  pickBest,
  principalEigenvector,
  symmetricUnit,
  type HermitianEigResult,
  type RankOneExtraction,
} from './hermitian.ts';
export { blockMinEigenvalue, coneViolation, userApplyA, userObjective } from './model.ts';
export {
  CholeskyError,
  EigenConvergenceError,
  choleskySolve,
  choleskyWithJitter,
  minEigenvalue,
  symEig,
  symEigenvalues,
  type CholeskyFactor,
  type SymEig,
} from './linalg.ts';
