/**
 * Dual ascent on the multiplier of a stochastic constraint E[g] ≤ G (paper 002 eq. 38, the
 * corrected sign of eqs. 21/34; docs/primal-dual.md choice C4):
 *   μ ← [μ + η_d (ĝ − G)]_+
 * with ĝ the constraint's batch mean at the current policy (detached from the primal step). One
 * multiplier per BS for the sensing constraint L_r ≤ ε (it has no user index).
 *
 * `DualVariable` keeps μ and its history, for training and for the twin's online monitor (the
 * policy frozen, μ still updated from the observed L_r: a μ that keeps rising flags a violated
 * constraint).
 */

/** One projected dual-ascent step. */
export function dualAscent(mu: number, observed: number, bound: number, step: number): number {
  if (!Number.isFinite(observed)) throw new RangeError(`dualAscent: the observed constraint value is ${observed}`);
  if (!(step >= 0)) throw new RangeError(`dualAscent: step must be ≥ 0, got ${step}`);
  return Math.max(0, mu + step * (observed - bound));
}

export class DualVariable {
  /** μ after each update (μ⁰ first). */
  readonly history: number[];

  constructor(
    readonly bound: number,
    readonly step: number,
    private mu = 0,
  ) {
    if (!(mu >= 0)) throw new RangeError(`DualVariable: μ⁰ must be ≥ 0, got ${mu}`);
    this.history = [mu];
  }

  get value(): number {
    return this.mu;
  }

  /** Applies one step with the observed constraint value; returns the new μ. */
  update(observed: number): number {
    this.mu = dualAscent(this.mu, observed, this.bound, this.step);
    this.history.push(this.mu);
    return this.mu;
  }
}
