/**
 * Localisation accuracy of paper 003 (Lemma 1, eqs. 10–13) as pure functions: the Fisher
 * information of the target position (x, y) from the TOA of every path BS m → target → TMT n,
 *   Λ Z Λᵀ = Σ_m g_m B_m,  g_m = Σ_k |a(θ_m)ᴴ w_{m,k}|²  (W),  B_m = κ Σ_n |ε_{m,n}|² λ_{m,n} λ_{m,n}ᵀ,
 * and the CRLB sum C_{x,y} = tr((Λ Z Λᵀ)⁻¹) (m²). The geometry (B_m, steering) comes from
 * src/phy/localization.ts. 2×2 symmetric matrices are [xx, xy, yy].
 */
import { absInnerH2, type CArray } from '../phy/complex.ts';
import type { Beamformers } from '../phy/network.ts';

/** g = Σ_k |aᴴ w_k|² of W = [rows, nt] toward the steering vector a (element offset aOff). */
export function beamGain(W: CArray, nt: number, a: CArray, aOff = 0): number {
  const rows = W.length / (2 * nt);
  let g = 0;
  for (let k = 0; k < rows; k++) g += absInnerH2(a, aOff, W, k * nt, nt);
  return g;
}

/** Λ Z Λᵀ = Σ_m g_m B_m for beam gains g [numBs] and weights B [numBs, 3]; returns [xx, xy, yy]. */
export function fisherInformation(gains: ArrayLike<number>, weights: Float64Array): Float64Array {
  const out = new Float64Array(3);
  for (let m = 0; m < gains.length; m++) {
    out[0] += gains[m] * weights[3 * m];
    out[1] += gains[m] * weights[3 * m + 1];
    out[2] += gains[m] * weights[3 * m + 2];
  }
  return out;
}

export interface Crlb {
  /** C_{x,y} = [C]₁₁ + [C]₂₂ (m²); +∞ when the Fisher information is singular. */
  sumM2: number;
  /** [C]₁₁, [C]₂₂ (m²). */
  xM2: number;
  yM2: number;
  /** [C]₁₂ (m²). */
  xyM2: number;
}

/**
 * The CRLB matrix C = J⁻¹ of a 2×2 Fisher information J = [xx, xy, yy]. A singular (or
 * numerically singular, det ≤ 1e-12·(tr J)²) J gives +∞ for every entry: the target is not
 * localisable with these beams.
 */
export function crlbOf(fim: ArrayLike<number>): Crlb {
  const [a, b, d] = [fim[0], fim[1], fim[2]];
  const det = a * d - b * b;
  const tr = a + d;
  if (!(tr > 0) || !(det > 1e-12 * tr * tr)) return { sumM2: Infinity, xM2: Infinity, yM2: Infinity, xyM2: Infinity };
  return { sumM2: tr / det, xM2: d / det, yM2: a / det, xyM2: -b / det };
}

/**
 * CRLB of one target for beamformers W: steering `steering` [numBs, nt] toward the target from
 * every BS, weights B [numBs, 3]. Returns the CRLB and the beam gains g_m (W).
 */
export function crlbOfBeams(W: Beamformers, nt: number, steering: CArray, weights: Float64Array): Crlb & { gains: Float64Array } {
  const gains = Float64Array.from(W, (Wm, m) => beamGain(Wm, nt, steering, m * nt));
  return { ...crlbOf(fisherInformation(gains, weights)), gains };
}
