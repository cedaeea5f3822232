/**
 * The twin's beampattern meter (paper 002's sensing metrics on any policy's beams; the scenario's
 * `sensing.beampattern`): for every AP m with beams W_m (rows = its streams, each w_s ∈ ℂ^{N_T})
 * the transmit covariance is R_m = Σ_s w_s w_sᴴ — every stream illuminates the scene — and
 *
 *   P̄_m(θ_l) = (P_m / P_R,m) Σ_s |aᴴ(θ_l) w_s|²    P_m: targets AP m senses, P_R,m = tr(R_m)
 *   d_m(θ_l)  = 1 within Δ/2 of one of AP m's targets (eq. 8), else 0
 *   L_r,1, L_r,2, L_r = L_r,1 + L_r,2 (eqs. 7, 9, 10)
 *
 * on the grid −90° … 90° with the normalised steering vector of metrics/beampattern.ts, angles from
 * the array's broadside (the twin's convention; a target behind the array is seen at its mirror
 * angle asin(sin θ), where a ULA's pattern is the same). The scale P_m/P_R,m is the module's
 * choice C3 (docs/primal-dual.md): one coherent beam of the whole power at a single target gives
 * P̄ = 1 there. An AP without targets or without power has NaN losses (its pattern is still drawn:
 * scaled by 1/P_R,m when it transmits, zero otherwise).
 */
import type { Beamformers } from '../phy/network.ts';
import { angleGridDeg, beampatternOfFactor, desiredPattern, sensingLossWithPattern, steeringMatrix, type BeampatternSpec } from './beampattern.ts';
import type { CArray } from '../phy/complex.ts';

export interface BeampatternOptions {
  /** Δ (degrees). */
  widthDeg: number;
  /** Grid step (degrees; divides 180). */
  resolutionDeg: number;
}

/** One slot's beampatterns of every AP (fresh arrays a consumer may keep). */
export interface BeampatternSlot {
  /** θ_l (degrees) [L]. */
  gridDeg: Float64Array;
  /** [numBs, L] P̄_m(θ_l). */
  pattern: Float64Array;
  /** [numBs, L] d_m(θ_l). */
  desired: Float64Array;
  /** [numBs] L_r,1, L_r,2 and L_r; NaN for an AP with no target or no power. */
  lr1: Float64Array;
  lr2: Float64Array;
  lr: Float64Array;
  /** [numBs] the constraint monitor's μ after this slot's update (scenarios with `epsilon`). */
  mu?: Float64Array;
}

const DEG = 180 / Math.PI;

/** Broadside angle (rad) → the grid's angle (degrees in [−90°, 90°]) with the same sin θ. */
export const gridAngleDeg = (thetaRad: number): number => Math.asin(Math.max(-1, Math.min(1, Math.sin(thetaRad)))) * DEG;

export class BeampatternMeter {
  readonly gridDeg: Float64Array;
  /** a(θ_l), [L, N_T]. */
  private readonly A: CArray;

  constructor(
    private readonly numAnt: number,
    private readonly o: BeampatternOptions,
  ) {
    this.gridDeg = angleGridDeg(o.resolutionDeg);
    this.A = steeringMatrix(numAnt, this.gridDeg);
  }

  /**
   * The beampatterns of beams W (one entry per AP) for targets sensed by `targetBs[t]` at broadside
   * angles `thetaRad[t]` (true angles: the meter measures what the beams do to the real scene).
   */
  measure(W: Beamformers, targetBs: ArrayLike<number>, thetaRad: ArrayLike<number>): BeampatternSlot {
    const M = W.length;
    const L = this.gridDeg.length;
    const N = this.numAnt;
    const out: BeampatternSlot = {
      gridDeg: this.gridDeg,
      pattern: new Float64Array(M * L),
      desired: new Float64Array(M * L),
      lr1: new Float64Array(M).fill(NaN),
      lr2: new Float64Array(M).fill(NaN),
      lr: new Float64Array(M).fill(NaN),
    };
    for (let m = 0; m < M; m++) {
      const w = W[m];
      const rows = w.length / (2 * N);
      const targetsDeg: number[] = [];
      for (let t = 0; t < targetBs.length; t++) if (targetBs[t] === m) targetsDeg.push(gridAngleDeg(thetaRad[t]));
      const desired = desiredPattern(this.gridDeg, targetsDeg, this.o.widthDeg);
      out.desired.set(desired, m * L);
      let powerW = 0;
      for (let i = 0; i < w.length; i++) powerW += w[i] * w[i];
      if (!(powerW > 0) || rows === 0) continue;
      const scale = (targetsDeg.length || 1) / powerW;
      if (!targetsDeg.length) {
        const P = beampatternOfFactor(this.A, N, w, rows);
        for (let l = 0; l < L; l++) out.pattern[m * L + l] = P[l] * scale;
        continue;
      }
      const spec: BeampatternSpec = { numAnt: N, gridDeg: this.gridDeg, A: this.A, desired, targetsDeg: Float64Array.from(targetsDeg), widthDeg: this.o.widthDeg, scale };
      const r = sensingLossWithPattern(spec, w, rows);
      out.pattern.set(r.pattern, m * L);
      out.lr1[m] = r.patternError;
      out.lr2[m] = r.crossCorrelation;
      out.lr[m] = r.total;
    }
    return out;
  }
}
