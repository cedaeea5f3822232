/**
 * Learning-rate schedule and early stopping of the MLP trainings (train.ts), as a pure function of
 * the finished epochs' curve, so that a resumed training continues with exactly the state it had.
 *
 * Smoothed validation loss: s₁ = v₁, s_e = a·s_{e−1} + (1 − a)·v_e (EMA, a = `smoothing`).
 * An epoch improves when s_e < best − minDelta·|best| (best: the lowest smoothed loss so far).
 *   - early stopping: `patience` epochs in a row without an improvement;
 *   - `plateau`: lr × plateauFactor after plateauPatience epochs without an improvement (the
 *     plateau counter restarts after each reduction; the early-stopping counter does not);
 *   - `cosine`: lr_e = lr·(r + (1 − r)·(1 + cos(π e / E))/2) for epoch e = 0 … E−1 (E the max epochs);
 *   - `constant`: lr.
 */
import type { CurvePoint, TrainingSchedule } from './model-store.ts';

export const DEFAULT_SCHEDULE = {
  lrSchedule: 'plateau',
  plateauFactor: 0.5,
  plateauPatience: 3,
  minLrRatio: 0.01,
  patience: 8,
  minDelta: 1e-3,
  smoothing: 0.5,
} as const;

export interface ScheduleState {
  /** Learning rate of the next epoch (index curve.length). */
  lr: number;
  /** Smoothed validation loss after the last epoch (NaN before the first). */
  smoothed: number;
  /** Lowest smoothed loss so far. */
  best: number;
  /** Epochs since the last improvement of the smoothed loss. */
  sinceImprovement: number;
  /** True when early stopping says stop. */
  stop: boolean;
}

/** Replays the curve of finished epochs under the schedule. */
export function scheduleState(s: TrainingSchedule, baseLr: number, curve: readonly Pick<CurvePoint, 'valLoss'>[]): ScheduleState {
  let lr = baseLr;
  let smoothed = NaN;
  let best = Infinity;
  let since = 0;
  let plateau = 0;
  for (const p of curve) {
    smoothed = Number.isNaN(smoothed) ? p.valLoss : s.smoothing * smoothed + (1 - s.smoothing) * p.valLoss;
    if (smoothed < best - s.minDelta * Math.abs(best === Infinity ? 0 : best)) {
      best = smoothed;
      since = 0;
      plateau = 0;
    } else {
      since++;
      plateau++;
      if (s.lrSchedule === 'plateau' && plateau >= (s.plateauPatience ?? DEFAULT_SCHEDULE.plateauPatience)) {
        lr *= s.plateauFactor ?? DEFAULT_SCHEDULE.plateauFactor;
        plateau = 0;
      }
    }
  }
  if (s.lrSchedule === 'cosine') {
    const r = s.minLrRatio ?? DEFAULT_SCHEDULE.minLrRatio;
    const e = curve.length;
    lr = baseLr * (r + ((1 - r) * (1 + Math.cos((Math.PI * e) / Math.max(1, s.maxEpochs)))) / 2);
  }
  return { lr, smoothed, best, sinceImprovement: since, stop: curve.length > 0 && since >= s.patience };
}
