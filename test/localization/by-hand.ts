/**
 * The CRLB of paper 003 computed by hand, independently of src/metrics/localization.ts: the beam
 * gains g_m = Σ_k |a_mᴴ w_{m,k}|² by explicit complex loops, the Fisher information
 * J = Σ_m g_m B_m, and its inverse in closed form, [C]₁₁ = J_yy / det, [C]₂₂ = J_xx / det.
 */
import type { CArray } from '../../src/phy/complex.ts';

/** CRLB components of one target (x, y and their sum), from W [numBs][rows·nt], steering [numBs, nt], B [numBs, 3]. */
export function crlbByHand(W: ArrayLike<number>[], nt: number, steering: CArray, weights: ArrayLike<number>): { xM2: number; yM2: number; sumM2: number } {
  let jxx = 0;
  let jxy = 0;
  let jyy = 0;
  for (let m = 0; m < W.length; m++) {
    const Wm = W[m];
    const rows = Wm.length / (2 * nt);
    let g = 0;
    for (let k = 0; k < rows; k++) {
      // aᴴ w_k = Σ_n conj(a_n) w_{k,n}
      let re = 0;
      let im = 0;
      for (let n = 0; n < nt; n++) {
        const ar = steering[2 * (m * nt + n)];
        const ai = steering[2 * (m * nt + n) + 1];
        const wr = Wm[2 * (k * nt + n)];
        const wi = Wm[2 * (k * nt + n) + 1];
        re += ar * wr + ai * wi;
        im += ar * wi - ai * wr;
      }
      g += re * re + im * im;
    }
    jxx += g * weights[3 * m];
    jxy += g * weights[3 * m + 1];
    jyy += g * weights[3 * m + 2];
  }
  const det = jxx * jyy - jxy * jxy;
  return { xM2: jyy / det, yM2: jxx / det, sumM2: (jxx + jyy) / det };
}
