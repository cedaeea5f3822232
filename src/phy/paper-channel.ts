/**
 * Paper 004's normalised channel (Demirhan & Alkhateeb, cell-free ISAC; ../shared/papers/004_*.txt
 * Sec. V, reading notes §1–§2): the static snapshots the paper trains and tests on.
 *
 *   h_{m,u} ~ CN(0, I_{N_t}) i.i.d. over APs, users and samples — no path loss, no geometry;
 *   θ_m ~ U[lo, hi) per AP (paper [0, π/2)), measured from the array AXIS, with the authors' ULA
 *     a(θ)_k = e^{jπ k cos θ}, k = 0…N_t−1 ([C6] beamsteering.m);
 *   P_m = Σ P / M (paper: 1/M), σ² (paper 0.1, "10 dB");
 *   joint sensing SNR of eq. (7), SNR = Σ_m c_m Σ_s |a(θ_m)ᴴ f_ms|², with
 *     c_m = Σ_{m_r} ζ²_{m m_r} / Σ_{m_r} ς²_{m_r} = ζ²/ς² for equal ζ² and ς² (notes A2–A4:
 *     ζ² ≡ 1, ς² = σ², so c_m = 10 and the CB-sensing bound N_t Σ_m c_m P_m = 80 for every M).
 *
 * The twin keeps every angle from the array BROADSIDE (phy/geometry.ts steeringInto uses
 * e^{jπ k sin φ}); φ = π/2 − θ gives the same vector, so the paper's angles enter the twin's
 * metrics (metrics/isac.ts multistaticSensingInto) as `axisToBroadsideRad(θ)`.
 *
 * `drawPaperSample` is the dataset sampler (figures, tests): per sample, H first (M·U·N_t complex
 * normals, AP-major), then the M angles. The twin's `channel.model: paper` (phy/channel.ts) draws
 * H through its fading model and the angles with `drawPaperAngles`.
 */
import type { CArray } from './complex.ts';
import { steeringInto } from './geometry.ts';
import type { Rng } from './random.ts';
import type { PaperChannelSpec } from '../scenario/schema.ts';

/** A paper channel's settings with every default filled in (radarNoiseW = noiseW when absent). */
export interface PaperChannel {
  sumPowerW: number;
  noiseW: number;
  radarNoiseW: number;
  echoGain: number;
  /** [lo, hi) of θ from the array axis, radians. */
  angleRad: [number, number];
}

/** The paper's own values (Sec. V, notes §6). */
export const PAPER_CHANNEL: PaperChannel = { sumPowerW: 1, noiseW: 0.1, radarNoiseW: 0.1, echoGain: 1, angleRad: [0, Math.PI / 2] };

/** Fills the defaults of a scenario's `channel.paper` (absent: the paper's values). */
export function resolvePaperChannel(spec: Partial<PaperChannelSpec> | undefined): PaperChannel {
  const noiseW = spec?.noiseW ?? PAPER_CHANNEL.noiseW;
  const deg = spec?.angleDeg ?? [0, 90];
  return {
    sumPowerW: spec?.sumPowerW ?? PAPER_CHANNEL.sumPowerW,
    noiseW,
    radarNoiseW: spec?.radarNoiseW ?? noiseW,
    echoGain: spec?.echoGain ?? PAPER_CHANNEL.echoGain,
    angleRad: [(deg[0] * Math.PI) / 180, (deg[1] * Math.PI) / 180],
  };
}

/**
 * c_m of eq. (7) for equal ζ² and ς² at every AP: G_rx · M ζ² / (M ς²), G_rx = N_R with the
 * receive-array gain, 1 without (eq. 7 as printed).
 */
export function paperSensingGain(ch: PaperChannel, receiveArrayGain: number): number {
  return (receiveArrayGain * ch.echoGain) / ch.radarNoiseW;
}

/** The twin's broadside angle φ = π/2 − θ of an angle θ from the array axis (same steering vector). */
export function axisToBroadsideRad(thetaRad: number): number {
  return Math.PI / 2 - thetaRad;
}

/** a(θ)_k = e^{jπ k cos θ} (θ from the array axis) into `out` at element offset `offset`, times (cr, ci). */
export function axisSteeringInto(out: CArray, offset: number, numAnt: number, thetaRad: number, cr = 1, ci = 0): void {
  steeringInto(out, offset, numAnt, axisToBroadsideRad(thetaRad), cr, ci);
}

/** `n` angles θ ~ U[lo, hi) from the array axis into out (from offset). */
export function drawPaperAngles(out: Float64Array, rng: Rng, ch: PaperChannel, offset = 0, n = out.length - offset): void {
  const [lo, hi] = ch.angleRad;
  for (let i = offset; i < offset + n; i++) out[i] = rng.between(lo, hi);
}

/** One paper-004 sample: the channels and the target angles (one target). */
export interface PaperSample {
  numAps: number;
  numUsers: number;
  numTxAnt: number;
  /** [numAps, numUsers, numTxAnt] complex h_{m,u} (the twin's H layout). */
  H: CArray;
  /** [numAps] θ_m from each AP's array axis (rad). */
  thetaRad: Float64Array;
}

/** Draws one sample: H ~ CN(0, I) entry by entry (AP-major, then user, then antenna), then θ_1…θ_M. */
export function drawPaperSample(rng: Rng, numAps: number, numUsers: number, numTxAnt: number, ch: PaperChannel = PAPER_CHANNEL): PaperSample {
  const H = new Float64Array(2 * numAps * numUsers * numTxAnt);
  rng.complexNormal(H);
  const thetaRad = new Float64Array(numAps);
  drawPaperAngles(thetaRad, rng, ch);
  return { numAps, numUsers, numTxAnt, H, thetaRad };
}

/** `count` i.i.d. samples from one stream (a fixed seed and name give the same test set). */
export function drawPaperSamples(rng: Rng, count: number, numAps: number, numUsers: number, numTxAnt: number, ch: PaperChannel = PAPER_CHANNEL): PaperSample[] {
  return Array.from({ length: count }, () => drawPaperSample(rng, numAps, numUsers, numTxAnt, ch));
}
