/**
 * The student's rules of paper 001 (§5.2, §8.3; docs/teacher-student.md §1), as pure functions for
 * the student training that builds on the per-AP networks:
 *
 *   (12)  G_k = mean over the mini-batch of (ĝ_k^(max) − g_k)/ĝ_k^(max)   (k = 1 SSNR, 2 min-SINR)
 *         λ^(i) = λ^(i−1) + εG₂ if G₂ ≥ G₁, else λ^(i−1) − εG₁; then clipped to [0, 1]
 *   §8.3  selection: S* = the best validation min-SINR over the epochs; among the epochs whose
 *         min-SINR ≥ θ·S* (θ = 0.94), the one with the highest validation SSNR
 */

/** G_k of (12): the batch mean of the normalised gap to the teacher's score ĝ (> 0). */
export function referenceGap(scores: ArrayLike<number>, gMax: number): number {
  if (!(gMax > 0)) throw new RangeError(`referenceGap: the teacher score must be positive, got ${gMax}`);
  if (scores.length === 0) throw new RangeError('referenceGap: empty batch');
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += (gMax - scores[i]) / gMax;
  return s / scores.length;
}

/** One step of (12): the next λ from the gaps G₁ (SSNR) and G₂ (min-SINR), clipped to [0, 1]. */
export function adaptLambda(lambda: number, gap1: number, gap2: number, epsilon: number): number {
  const next = gap2 >= gap1 ? lambda + epsilon * gap2 : lambda - epsilon * gap1;
  return Math.min(1, Math.max(0, next));
}

/** The paper's λ⁰ and ε (§8). */
export const LAMBDA_RULE = Object.freeze({ lambda0: 0.5, epsilon: 0.01 });

/** One epoch's validation scores. */
export interface EpochScores {
  epoch: number;
  minSinr: number;
  ssnr: number;
}

/**
 * §8.3's selection: the epoch with the highest SSNR among those with min-SINR ≥ threshold·S*
 * (ties: the earliest). Returns the epoch, S*, the threshold value and how many epochs qualified.
 */
export function selectEpoch(curve: readonly EpochScores[], threshold = 0.94): { selected: EpochScores; best: number; cut: number; qualifying: number } {
  if (curve.length === 0) throw new RangeError('selectEpoch: no epochs');
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`selectEpoch: threshold must be in (0, 1], got ${threshold}`);
  let best = -Infinity;
  for (const e of curve) best = Math.max(best, e.minSinr);
  const cut = threshold * best;
  let selected: EpochScores | null = null;
  let qualifying = 0;
  for (const e of curve) {
    if (e.minSinr < cut) continue;
    qualifying++;
    if (!selected || e.ssnr > selected.ssnr) selected = e;
  }
  return { selected: selected!, best, cut, qualifying };
}
