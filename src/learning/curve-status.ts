/**
 * Did a model's validation curve flatten? (issue 14: "every shipped model's metadata shows a validation
 * curve that flattened — early stopping or a plateau over its last 20 % of epochs").
 *
 * Rule: early-stopped models flattened by construction (the smoothed validation loss stayed within the
 * min-delta for `patience` epochs). Otherwise the best validation loss reached in the last 20 % of the
 * epochs (at least 2) is compared with the best before them: an improvement of at most PLATEAU_SHARE
 * (0.5 %) of |best before| is a plateau; more is "still improving". Lower loss is better (the trainers
 * minimise −objective).
 */
export const PLATEAU_SHARE = 0.005;
export const TAIL_SHARE = 0.2;

export interface CurveStatus {
  flattened: boolean;
  /** 'early-stopping' | 'plateau' | 'still improving' | 'too short'. */
  reason: string;
  /** Relative improvement of the best validation loss over the tail (≥ 0; NaN when too short). */
  tailGain: number;
  tailEpochs: number;
}

export function curveStatus(valLoss: readonly number[], stoppedBy?: string): CurveStatus {
  const n = valLoss.length;
  const tailEpochs = Math.max(2, Math.ceil(n * TAIL_SHARE));
  if (n <= tailEpochs) return { flattened: stoppedBy === 'early-stopping', reason: stoppedBy === 'early-stopping' ? 'early-stopping' : 'too short', tailGain: NaN, tailEpochs };
  const before = Math.min(...valLoss.slice(0, n - tailEpochs));
  const after = Math.min(...valLoss.slice(n - tailEpochs));
  const tailGain = Math.max(0, (before - after) / Math.abs(before));
  if (stoppedBy === 'early-stopping') return { flattened: true, reason: 'early-stopping', tailGain, tailEpochs };
  const flat = tailGain <= PLATEAU_SHARE;
  return { flattened: flat, reason: flat ? 'plateau' : 'still improving', tailGain, tailEpochs };
}

/** "plateau (−0.12 % over the last 12 ep)" etc., for listings. */
export function describeCurveStatus(s: CurveStatus): string {
  if (!Number.isFinite(s.tailGain)) return s.reason;
  return `${s.reason} (${(s.tailGain * 100).toFixed(2)} % over the last ${s.tailEpochs} ep)`;
}
