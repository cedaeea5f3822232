/**
 * Stage 1's baselines on the same problem as the networks (paper 002 Sec. V, docs/primal-dual.md):
 * user powers on the fixed MRT directions, the radar on the least-L_r split q⋆ for every sample
 * (the paper does not say which R its baselines use; q⋆ meets the sensing constraint with the
 * most margin the split family allows).
 *
 * - scalar WMMSE (Sun et al.'s form, solvers/scalar-wmmse.ts): amplitudes a_kl = |g_kᵀ u_l|,
 *   noise σ_k² = N_0 + f_kᵀ R⋆ f_k* (the radar leakage is fixed, so it is noise to WMMSE);
 * - equal power: p_k = P_max (the paper's "p_k = 0.1" with P_max = 0.1);
 * - random power: p_k ~ U[0, P_max] (the paper's U[0, 0.1]), seeded;
 * - the WMMSE labels of the supervised baseline (labels.ts): p/P_max ∈ [0, 1]^K per sample.
 */
import { streamFor } from '../../phy/random.ts';
import { scalarWmmse, type ScalarWmmseOptions } from '../../solvers/scalar-wmmse.ts';
import { teacherLabels, type LabelSource } from '../labels.ts';
import { repeatSplit } from './evaluate.ts';
import { channelSet, type Allocation, type ChannelSet, type Paper002Problem } from './problem.ts';

/** Sun et al.'s stopping rule: 100 iterations, or a sum-rate gain ≤ 1e-3. */
export const WMMSE_OPTIONS: Readonly<ScalarWmmseOptions> = Object.freeze({ maxIterations: 100, tolerance: 1e-3 });

/** Scalar WMMSE powers of sample s with the radar on split q (W per beam). */
export function wmmsePowersOf(pb: Paper002Problem, set: ChannelSet, s: number, q: ArrayLike<number>, opts: ScalarWmmseOptions = WMMSE_OPTIONS): Float64Array {
  const { K, P } = pb;
  const noise = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let leak = 0;
    for (let j = 0; j < P; j++) leak += q[j] * set.radarGain[(s * K + k) * P + j];
    noise[k] = pb.noiseW + leak;
  }
  return scalarWmmse({ numUsers: K, amplitude: set.amplitude.subarray(s * K * K, (s + 1) * K * K), noiseW: noise, powerMaxW: pb.cfg.powerMaxW }, opts).powerW;
}

export function wmmseAllocation(pb: Paper002Problem, set: ChannelSet, opts: ScalarWmmseOptions = WMMSE_OPTIONS): Allocation {
  const p = new Float64Array(set.n * pb.K);
  for (let s = 0; s < set.n; s++) p.set(wmmsePowersOf(pb, set, s, pb.bestSplit, opts), s * pb.K);
  return { p, q: repeatSplit(pb.bestSplit, set.n) };
}

export function equalAllocation(pb: Paper002Problem, n: number): Allocation {
  return { p: new Float64Array(n * pb.K).fill(pb.cfg.powerMaxW), q: repeatSplit(pb.bestSplit, n) };
}

export function randomAllocation(pb: Paper002Problem, n: number, seed: number): Allocation {
  const rng = streamFor(seed, 'primal-dual:random-power');
  return { p: Float64Array.from({ length: n * pb.K }, () => rng.between(0, pb.cfg.powerMaxW)), q: repeatSplit(pb.bestSplit, n) };
}

/** labels.ts source: scalar WMMSE powers / P_max (float32 [K]) of a { H } sample. */
export function wmmseLabels(pb: Paper002Problem, opts: ScalarWmmseOptions = WMMSE_OPTIONS): LabelSource<{ H: Float32Array }> {
  return teacherLabels(
    'scalar-wmmse',
    { opts: { ...opts }, noiseW: pb.noiseW, powerMaxW: pb.cfg.powerMaxW, split: Array.from(pb.bestSplit), targetsDeg: pb.cfg.targetsDeg, K: pb.K, MR: pb.MR, MC: pb.MC },
    (sample) => {
      const set = channelSet(pb, sample.H);
      return Float32Array.from(wmmsePowersOf(pb, set, 0, pb.bestSplit, opts), (p) => p / pb.cfg.powerMaxW);
    },
  );
}
