/**
 * TOA localisation geometry of paper 003 (../shared/papers/003_*.txt, Sec. II-C and IV-A): M BSs
 * illuminate a target; N single-antenna target monitoring terminals (TMTs) receive its echoes; the
 * central controller estimates the bistatic delays and from them the target position (x, y).
 *
 *   τ_{m,n} = (d_m + d'_n) / c,  d_m = ‖p_m − p‖, d'_n = ‖q_n − p‖                          (eq. 9)
 *   λ_{m,n} = ∂τ_{m,n}/∂(x, y) = ((p − p_m)/d_m + (p − q_n)/d'_n) / c                       (eq. 11)
 *   ε_{m,n} = √F_{m,n} ζ_{m,n},  F_{m,n} = λ_c² / ((4π)³ d_m² d'_n²),  ζ ~ N(0, 1)        (Sec. IV-A)
 *   J(τ_{m,n}) = κ |ε_{m,n}|² aᴴ(θ_m) (Σ_k f_{m,k} f_{m,k}ᴴ) a(θ_m),  κ = 8π² L T_s β² / σ_s²   (eq. 13)
 *   Λ Z Λᵀ = Σ_m g_m B_m,  g_m = Σ_k |a(θ_m)ᴴ f_{m,k}|²,  B_m = κ Σ_n |ε_{m,n}|² λ_{m,n} λ_{m,n}ᵀ
 *
 * Convention: the twin's transmit gain toward angle θ is Σ_k |a(θ)ᴴ f_k|² (the BeamFinder and the
 * sensing channels of paper 000 use it), with a(θ) the half-wavelength ULA steering vector of
 * `steeringInto`. Paper 003 writes aᵀ(θ) F a*(θ): the same quantity for its a = conj(ours), i.e.
 * the two conventions differ by the sign of θ only, and every formula above is the paper's.
 *
 * The 2×2 symmetric matrices (B_m, the FIM) are stored as [xx, xy, yy].
 */
import type { LocalizationSpec } from '../scenario/schema.ts';
import { angleFromBroadside, azimuth, SPEED_OF_LIGHT_MPS, steeringInto } from './geometry.ts';
import type { CArray } from './complex.ts';
import type { Rng } from './random.ts';

/** Static description of the localisation sensing of a scenario (part of the Topology). */
export interface LocalizationModel {
  numTmt: number;
  /** [numTmt, 2] TMT positions (m). */
  tmtPosM: Float64Array;
  /** Number of localised targets. */
  numTargets: number;
  /** β (Hz), L, T_s (s), σ_s² (W/Hz). */
  effectiveBandwidthHz: number;
  snapshots: number;
  symbolDurationS: number;
  noisePsdWPerHz: number;
  /** κ = 8π² L T_s β² / σ_s² (1/W per unit |ε|², so that J(τ) = κ |ε|² g in 1/s²). */
  kappa: number;
  /** Carrier wavelength (m) of F_{m,n}. */
  lambdaM: number;
  /** Distances are clamped below this (m). */
  minDistanceM: number;
}

/** The localisation model of a scenario's `localization:` section. */
export function buildLocalizationModel(spec: LocalizationSpec, lambdaM: number, minDistanceM: number): LocalizationModel {
  const beta = spec.effectiveBandwidthHz;
  const noisePsdWPerHz = 10 ** ((spec.noisePsdDbmHz - 30) / 10);
  return {
    numTmt: spec.tmtPositionsM.length,
    tmtPosM: Float64Array.from(spec.tmtPositionsM.flat()),
    numTargets: spec.targets.positionsM.length,
    effectiveBandwidthHz: beta,
    snapshots: spec.snapshots,
    symbolDurationS: spec.symbolDurationS,
    noisePsdWPerHz,
    kappa: (8 * Math.PI ** 2 * spec.snapshots * spec.symbolDurationS * beta * beta) / noisePsdWPerHz,
    lambdaM,
    minDistanceM,
  };
}

/** τ_{m,n} (s) of a target at (x, y) into out [numBs, numTmt]. */
export function delaysInto(out: Float64Array, bsPosM: Float64Array, model: LocalizationModel, x: number, y: number): Float64Array {
  const numBs = bsPosM.length / 2;
  const { numTmt, tmtPosM } = model;
  for (let m = 0; m < numBs; m++) {
    const dm = Math.hypot(bsPosM[2 * m] - x, bsPosM[2 * m + 1] - y);
    for (let n = 0; n < numTmt; n++) {
      const dn = Math.hypot(tmtPosM[2 * n] - x, tmtPosM[2 * n + 1] - y);
      out[m * numTmt + n] = (dm + dn) / SPEED_OF_LIGHT_MPS;
    }
  }
  return out;
}

/** λ_{m,n} = ∂τ_{m,n}/∂(x, y) (s/m) into out [numBs, numTmt, 2] (the columns of Λ, eq. 11). */
export function delayGradientsInto(out: Float64Array, bsPosM: Float64Array, model: LocalizationModel, x: number, y: number): Float64Array {
  const numBs = bsPosM.length / 2;
  const { numTmt, tmtPosM, minDistanceM } = model;
  for (let m = 0; m < numBs; m++) {
    const ux = x - bsPosM[2 * m];
    const uy = y - bsPosM[2 * m + 1];
    const dm = Math.max(minDistanceM, Math.hypot(ux, uy));
    for (let n = 0; n < numTmt; n++) {
      const vx = x - tmtPosM[2 * n];
      const vy = y - tmtPosM[2 * n + 1];
      const dn = Math.max(minDistanceM, Math.hypot(vx, vy));
      const o = 2 * (m * numTmt + n);
      out[o] = (ux / dm + vx / dn) / SPEED_OF_LIGHT_MPS;
      out[o + 1] = (uy / dm + vy / dn) / SPEED_OF_LIGHT_MPS;
    }
  }
  return out;
}

/** F_{m,n} = λ² / ((4π)³ d_m² d'_n²) into out [numBs, numTmt] (large-scale gain of the echo path). */
export function pathGainsInto(out: Float64Array, bsPosM: Float64Array, model: LocalizationModel, x: number, y: number): Float64Array {
  const numBs = bsPosM.length / 2;
  const { numTmt, tmtPosM, lambdaM, minDistanceM } = model;
  const c = (lambdaM * lambdaM) / (4 * Math.PI) ** 3;
  for (let m = 0; m < numBs; m++) {
    const dm = Math.max(minDistanceM, Math.hypot(bsPosM[2 * m] - x, bsPosM[2 * m + 1] - y));
    for (let n = 0; n < numTmt; n++) {
      const dn = Math.max(minDistanceM, Math.hypot(tmtPosM[2 * n] - x, tmtPosM[2 * n + 1] - y));
      out[m * numTmt + n] = c / (dm * dm * dn * dn);
    }
  }
  return out;
}

/**
 * B_m = κ Σ_n |ε_{m,n}|² λ_{m,n} λ_{m,n}ᵀ (1/(m²·W)) into out [numBs, 3] ([xx, xy, yy]), for
 * |ε|² `eps2` [numBs, numTmt] and a target at (x, y). Then Λ Z Λᵀ = Σ_m g_m B_m with g_m in W.
 */
export function fimWeightsInto(
  out: Float64Array,
  bsPosM: Float64Array,
  model: LocalizationModel,
  x: number,
  y: number,
  eps2: Float64Array,
): Float64Array {
  const numBs = bsPosM.length / 2;
  const { numTmt, kappa } = model;
  const grad = delayGradientsInto(new Float64Array(2 * numBs * numTmt), bsPosM, model, x, y);
  out.fill(0);
  for (let m = 0; m < numBs; m++) {
    for (let n = 0; n < numTmt; n++) {
      const w = kappa * eps2[m * numTmt + n];
      const gx = grad[2 * (m * numTmt + n)];
      const gy = grad[2 * (m * numTmt + n) + 1];
      out[3 * m] += w * gx * gx;
      out[3 * m + 1] += w * gx * gy;
      out[3 * m + 2] += w * gy * gy;
    }
  }
  return out;
}

/** Angle (rad from broadside) of (x, y) from every BS into out [numBs]. */
export function targetAnglesInto(out: Float64Array, bsPosM: Float64Array, broadsideRad: number, x: number, y: number): Float64Array {
  for (let m = 0; m < out.length; m++) out[m] = angleFromBroadside(azimuth(bsPosM[2 * m], bsPosM[2 * m + 1], x, y), broadsideRad);
  return out;
}

/** Steering vectors a(θ_m) toward (x, y) from every BS: [numBs, numTxAnt] complex. */
export function steeringTowards(bsPosM: Float64Array, broadsideRad: number, numTxAnt: number, x: number, y: number): CArray {
  const numBs = bsPosM.length / 2;
  const theta = targetAnglesInto(new Float64Array(numBs), bsPosM, broadsideRad, x, y);
  const a = new Float64Array(2 * numBs * numTxAnt);
  for (let m = 0; m < numBs; m++) steeringInto(a, m * numTxAnt, numTxAnt, theta[m]);
  return a;
}

export type ZetaModel = LocalizationSpec['zeta'];

/**
 * The RCS factors ζ_{t,m,n} ~ N(0, 1) of every localised target t and path (m, n), evolving per
 * slot: `static` (drawn once), `block` (redrawn every coherenceSlots, a Swerling-I-like
 * fluctuation) or `gauss-markov` (ζ ← cζ + √(1−c²) n, stationary N(0, 1)).
 */
export class ZetaProcess {
  /** [numTargets, numBs, numTmt] current ζ. */
  readonly zeta: Float64Array;

  constructor(
    private readonly spec: ZetaModel,
    numTargets: number,
    numBs: number,
    numTmt: number,
    private readonly rng: Rng,
  ) {
    this.zeta = new Float64Array(numTargets * numBs * numTmt);
    for (let i = 0; i < this.zeta.length; i++) this.zeta[i] = rng.normal();
  }

  /** Moves ζ to slot `slot` (slot 0 keeps the initial draw). */
  update(slot: number): void {
    if (slot === 0) return;
    const { model, coherenceSlots, correlation } = this.spec;
    if (model === 'static') return;
    if (model === 'block') {
      if (slot % coherenceSlots !== 0) return;
      for (let i = 0; i < this.zeta.length; i++) this.zeta[i] = this.rng.normal();
      return;
    }
    const innov = Math.sqrt(Math.max(0, 1 - correlation * correlation));
    for (let i = 0; i < this.zeta.length; i++) this.zeta[i] = correlation * this.zeta[i] + innov * this.rng.normal();
  }
}
