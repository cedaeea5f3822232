/**
 * Stage 2's baselines (docs/primal-dual.md §7): the single-BS MISO WMMSE beamformer with the radar
 * on the least-L_r split q⋆ (as every stage-1 baseline), MRT at full power on q⋆, and the WMMSE
 * labels of the supervised stage-2 network.
 *
 * WMMSE is the repository's joint-transmission WMMSE (solvers/jt-wmmse.ts) with one AP, the per-BS
 * budget K·P_max, and the radar leakage folded into the channels: eq. (11) has a per-user noise
 * σ_k² = N_0 + f_kᵀR⋆f_k*, and γ_k = |g_kᵀF_k|²/(Σ_{l≠k}|g_kᵀF_l|² + σ_k²) is unchanged when g_k
 * is scaled by √(N_0/σ_k²) and the noise set to N_0 — so the solver sees h_k = conj(g_k)·√(N_0/σ_k²)
 * (its gains are h_kᴴw) and a common noise N_0.
 */
import { splitFactor } from '../../metrics/beampattern.ts';
import { jtWmmse, type JtWmmseOptions } from '../../solvers/jt-wmmse.ts';
import { teacherLabels, type LabelSource } from '../labels.ts';
import { channelSet, commChannel, type ChannelSet, type Paper002Problem } from './problem.ts';
import { coefficientsOf, commBasis, stage2PowerBudget, type BeamDecision } from './stage2.ts';

/** Shi et al.'s stopping rule as in stage 1: 100 iterations or a relative gain ≤ 1e-3. */
export const MISO_WMMSE_OPTIONS: Readonly<JtWmmseOptions> = Object.freeze({ maxIterations: 100, tolerance: 1e-3 });

/** The radar factor of q⋆ for n samples ([n, P, M_R] complex). */
export function bestSplitRadar(pb: Paper002Problem, n: number): Float64Array {
  const w = splitFactor(pb.beams, pb.MR, pb.bestSplit);
  const out = new Float64Array(n * w.length);
  for (let s = 0; s < n; s++) out.set(w, s * w.length);
  return out;
}

/** WMMSE beams F [K, M_C] of sample s with the radar on q⋆. */
export function misoWmmseBeamsOf(pb: Paper002Problem, set: ChannelSet, s: number, opts: JtWmmseOptions = MISO_WMMSE_OPTIONS): Float64Array {
  const { K, MC, P } = pb;
  const H = new Float64Array(2 * K * MC);
  for (let k = 0; k < K; k++) {
    let leak = 0;
    for (let j = 0; j < P; j++) leak += pb.bestSplit[j] * set.radarGain[(s * K + k) * P + j];
    const a = Math.sqrt(pb.noiseW / (pb.noiseW + leak));
    const g = commChannel(pb, set.H, s, k);
    for (let i = 0; i < MC; i++) {
      H[2 * (k * MC + i)] = a * g[2 * i];
      H[2 * (k * MC + i) + 1] = -a * g[2 * i + 1];
    }
  }
  const r = jtWmmse({ numAps: 1, numUsers: K, numTxAnt: MC, H, serving: new Uint8Array(K).fill(1), powerW: Float64Array.of(stage2PowerBudget(pb)), noiseW: pb.noiseW }, opts);
  return r.W[0];
}

export function misoWmmseDecision(pb: Paper002Problem, set: ChannelSet, opts: JtWmmseOptions = MISO_WMMSE_OPTIONS): BeamDecision {
  const F = new Float64Array(set.n * pb.K * pb.MC * 2);
  for (let s = 0; s < set.n; s++) F.set(misoWmmseBeamsOf(pb, set, s, opts), s * pb.K * pb.MC * 2);
  return { n: set.n, F, radar: bestSplitRadar(pb, set.n), radarRows: pb.P };
}

/** MRT at full power, equal power per user (√(P_max) u_k), radar on q⋆. */
export function mrtDecision(pb: Paper002Problem, set: ChannelSet): BeamDecision {
  const a = Math.sqrt(stage2PowerBudget(pb) / pb.K);
  return { n: set.n, F: Float64Array.from(set.U, (u) => a * u), radar: bestSplitRadar(pb, set.n), radarRows: pb.P };
}

/** labels.ts source: WMMSE beams in the sample's basis, c/√P_max (float32 [K·2M_C], stage2.ts coefficientsOf). */
export function misoWmmseLabels(pb: Paper002Problem, opts: JtWmmseOptions = MISO_WMMSE_OPTIONS): LabelSource<{ H: Float32Array }> {
  return teacherLabels(
    'miso-wmmse-coefficients',
    { opts: { ...opts }, noiseW: pb.noiseW, budgetW: stage2PowerBudget(pb), split: Array.from(pb.bestSplit), targetsDeg: pb.cfg.targetsDeg, K: pb.K, MR: pb.MR, MC: pb.MC },
    (sample) => {
      const set = channelSet(pb, sample.H);
      const c = coefficientsOf(pb, commBasis(pb, set), 0, misoWmmseBeamsOf(pb, set, 0, opts));
      const inv = 1 / Math.sqrt(pb.cfg.powerMaxW);
      return Float32Array.from(c, (v) => v * inv);
    },
  );
}
