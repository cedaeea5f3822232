/**
 * Small-scale (NLOS) fading of the user links, evolving in time. See docs/fading.md.
 *
 * clarke (default candidate): a stochastic sum-of-sinusoids plane-wave field per (AP, user, antenna)
 *   entry, h = (1/√N) Σ_n e^{j(φ_n + ψ_n)}, arrival directions α_n ~ U[0, 2π), initial phases
 *   ψ_n ~ U[0, 2π), both drawn per entry; each slot the user's displacement (Δx, Δy) advances
 *   φ_n by 2π (Δx cos α_n + Δy sin α_n)/λ. The ensemble autocorrelation at lag τ for a user at
 *   constant speed v is E[e^{j2π v τ cos α/λ}] = J0(2π f_D τ), f_D = v/λ (Clarke), for any N.
 *   A static user's channel does not change; the Doppler follows the current speed; turning
 *   and returning are consistent (the channel is a function of the user's position).
 * gauss-markov (legacy): h ← ρh + √(1−ρ²) n, n ~ CN(0, I), ρ = J0(2π f_D T_slot); its lag-n
 *   correlation is ρⁿ, not J0(2π f_D n T). Kept to reproduce old runs bit for bit.
 * block: every entry redrawn every coherenceSlots slots. static: never changes.
 */
import { besselJ0 } from './bessel.ts';
import { czeros, type CArray } from './complex.ts';
import { SPEED_OF_LIGHT_MPS } from './geometry.ts';
import { streamFor, type Rng } from './random.ts';

export type FadingModel = 'clarke' | 'gauss-markov' | 'block' | 'static';

export interface FadingSpec {
  model: FadingModel;
  coherenceSlots: number;
  /** clarke: sinusoids per entry */
  sinusoids: number;
}

/** Default number of sinusoids per entry of the clarke model (docs/fading.md: Gaussianity vs cost). */
export const DEFAULT_SINUSOIDS = 16;

/** clarke: a user's phasors are renormalised to unit modulus after this many rotations. */
export const RENORM_INTERVAL_SLOTS = 1024;

/**
 * clarke: the cached per-sinusoid rotations of a user are reused while its displacement differs
 * from the one they were computed for by at most this fraction of a wavelength (|δx| + |δy|), so
 * that floating-point jitter of position differences (ulps of the position) does not force
 * cos/sin every slot. Phase error per slot ≤ 2π·1e-9 rad.
 */
export const ROTATION_REUSE_TOL_LAMBDA = 1e-9;

export class FadingField {
  /** [numAps, numUsers, numTxAnt] complex NLOS entries, each ~CN(0,1) marginally (m-major, then user, then antenna: entry offset 2*((m*numUsers+u)*numTxAnt + i)). */
  readonly values: CArray;

  private readonly numEntries: number;
  private readonly carrierHz: number;
  private readonly noise: CArray;
  // clarke state: sinusoid s = entry·N + n
  private readonly kx: Float64Array; // 2π cos α / λ
  private readonly ky: Float64Array; // 2π sin α / λ
  private readonly phasor: Float64Array; // [2·E·N] unit phasors e^{j(φ+ψ)}
  private readonly rot: Float64Array; // [2·E·N] e^{jΔφ} for the user's cached displacement
  private readonly lastDisp: Float64Array; // [numUsers, 2] displacement the rotations hold
  private readonly rotValid: Uint8Array; // [numUsers]
  private readonly sinceRenorm: Int32Array; // [numUsers] rotations since the last renormalisation
  private readonly reuseTolM: number;

  /**
   * `carrierHz` (optional, defaults to c/λ): gauss-markov computes f_D = v·f_c/c exactly as the
   * legacy ChannelModel did; v/λ differs in the last bit for ~30 % of speeds, and c/(c/f_c) does
   * not recover every f_c (e.g. 3.7 GHz), so pass the topology's carrierHz for bit-identity.
   */
  constructor(
    private readonly numAps: number,
    private readonly numUsers: number,
    private readonly numTxAnt: number,
    private readonly spec: FadingSpec,
    private readonly slotS: number,
    private readonly lambdaM: number,
    private readonly rng: Rng,
    carrierHz?: number,
  ) {
    this.numEntries = numAps * numUsers * numTxAnt;
    this.carrierHz = carrierHz ?? SPEED_OF_LIGHT_MPS / lambdaM;
    this.values = czeros(this.numEntries);
    this.noise = czeros(numTxAnt);
    const clarke = spec.model === 'clarke';
    const N = clarke ? spec.sinusoids : 0;
    if (clarke && !(Number.isInteger(N) && N >= 1)) throw new RangeError(`fading: sinusoids must be an integer ≥ 1, got ${N}`);
    if (spec.model === 'block' && !(Number.isInteger(spec.coherenceSlots) && spec.coherenceSlots >= 1)) {
      throw new RangeError(`fading: coherenceSlots must be an integer ≥ 1, got ${spec.coherenceSlots}`);
    }
    const S = this.numEntries * N;
    this.kx = new Float64Array(S);
    this.ky = new Float64Array(S);
    this.phasor = new Float64Array(2 * S);
    this.rot = new Float64Array(2 * S);
    this.lastDisp = new Float64Array(clarke ? 2 * numUsers : 0);
    this.rotValid = new Uint8Array(clarke ? numUsers : 0);
    this.sinceRenorm = new Int32Array(clarke ? numUsers : 0);
    this.reuseTolM = ROTATION_REUSE_TOL_LAMBDA * lambdaM;
    if (clarke) this.drawClarke();
    else rng.complexNormal(this.values); // legacy order: the whole array first, nothing else
  }

  /**
   * Moves the field from slot-1 to `slot` (slot > 0; a no-op otherwise). dispM: [numUsers, 2] displacement (m) of each user during
   * the last slot (new position − old position); speedMps: [numUsers] current speed (used by gauss-markov only).
   */
  advance(slot: number, dispM: Float64Array, speedMps: Float64Array): void {
    if (slot <= 0) return;
    switch (this.spec.model) {
      case 'static':
        return;
      case 'clarke':
        this.advanceClarke(dispM);
        return;
      case 'block':
        if (slot % this.spec.coherenceSlots === 0) this.advanceLegacy(speedMps, true);
        return;
      case 'gauss-markov':
        this.advanceLegacy(speedMps, false);
        return;
    }
  }

  /** Largest ||phasor| − 1| over all clarke sinusoids (0 for the other models): diagnostics, tests. */
  phasorModulusError(): number {
    let worst = 0;
    for (let s = 0; s < this.phasor.length; s += 2) {
      const e = Math.abs(Math.hypot(this.phasor[s], this.phasor[s + 1]) - 1);
      if (e > worst) worst = e;
    }
    return worst;
  }

  /** One-slot Gauss–Markov correlation ρ = J0(2π f_D T), f_D = v f_c / c (legacy arithmetic). */
  private rho(speedMps: number): number {
    const fD = (speedMps * this.carrierHz) / SPEED_OF_LIGHT_MPS;
    return besselJ0(2 * Math.PI * fD * this.slotS);
  }

  /** gauss-markov / block: the exact loop (and rng order) of the legacy ChannelModel.update. */
  private advanceLegacy(speedMps: Float64Array, redraw: boolean): void {
    const { numAps, numUsers, numTxAnt, values, noise } = this;
    for (let u = 0; u < numUsers; u++) {
      const rho = redraw ? 0 : this.rho(speedMps[u]);
      const innov = Math.sqrt(Math.max(0, 1 - rho * rho));
      for (let m = 0; m < numAps; m++) {
        const off = 2 * (m * numUsers + u) * numTxAnt;
        this.rng.complexNormal(noise);
        for (let i = 0; i < 2 * numTxAnt; i++) values[off + i] = rho * values[off + i] + innov * noise[i];
      }
    }
  }

  /**
   * Draws the SoS parameters. Each link (m, u) has its own stream, seeded from one 32-bit draw
   * of `rng` and the link's indices, so a link's channel does not depend on how many APs or
   * users there are (only two bit draws are taken from the shared rng).
   */
  private drawClarke(): void {
    const { numAps, numUsers, numTxAnt, lambdaM } = this;
    const N = this.spec.sinusoids;
    const base = Math.floor(this.rng.uniform() * 4294967296) | 0;
    const k = (2 * Math.PI) / lambdaM;
    for (let m = 0; m < numAps; m++) {
      for (let u = 0; u < numUsers; u++) {
        const link = streamFor(base, `fading/clarke/${m}/${u}`);
        for (let i = 0; i < numTxAnt; i++) {
          const s0 = ((m * numUsers + u) * numTxAnt + i) * N;
          for (let n = 0; n < N; n++) {
            const alpha = 2 * Math.PI * link.uniform();
            const psi = 2 * Math.PI * link.uniform();
            this.kx[s0 + n] = k * Math.cos(alpha);
            this.ky[s0 + n] = k * Math.sin(alpha);
            this.phasor[2 * (s0 + n)] = Math.cos(psi);
            this.phasor[2 * (s0 + n) + 1] = Math.sin(psi);
          }
        }
      }
    }
    for (let e = 0; e < this.numEntries; e++) this.sumEntry(e);
  }

  /** values[e] = (1/√N) Σ_n phasor[e·N + n]. */
  private sumEntry(e: number): void {
    const N = this.spec.sinusoids;
    const g = 1 / Math.sqrt(N);
    const p = this.phasor;
    let re = 0;
    let im = 0;
    for (let j = 2 * e * N, end = j + 2 * N; j < end; j += 2) {
      re += p[j];
      im += p[j + 1];
    }
    this.values[2 * e] = g * re;
    this.values[2 * e + 1] = g * im;
  }

  /** Rescales user u's phasors to unit modulus (rounding drift of the repeated rotations). */
  private renormalise(u: number): void {
    const { numAps, numUsers, numTxAnt, phasor: p } = this;
    const span = 2 * numTxAnt * this.spec.sinusoids;
    for (let m = 0; m < numAps; m++) {
      const j0 = (m * numUsers + u) * span;
      for (let j = j0; j < j0 + span; j += 2) {
        const s = 1 / Math.sqrt(p[j] * p[j] + p[j + 1] * p[j + 1]);
        p[j] *= s;
        p[j + 1] *= s;
      }
    }
  }

  private advanceClarke(dispM: Float64Array): void {
    const { numAps, numUsers, numTxAnt, kx, ky, phasor: p, rot, values, lastDisp } = this;
    const N = this.spec.sinusoids;
    const g = 1 / Math.sqrt(N);
    const span = numTxAnt * N; // sinusoids of one (m, u) link
    for (let u = 0; u < numUsers; u++) {
      const dx = dispM[2 * u];
      const dy = dispM[2 * u + 1];
      if (dx === 0 && dy === 0) continue; // a user that does not move keeps its channel bit for bit
      if (!this.rotValid[u] || Math.abs(dx - lastDisp[2 * u]) + Math.abs(dy - lastDisp[2 * u + 1]) > this.reuseTolM) {
        for (let m = 0; m < numAps; m++) {
          const s0 = (m * numUsers + u) * span;
          for (let s = s0; s < s0 + span; s++) {
            const phi = kx[s] * dx + ky[s] * dy;
            rot[2 * s] = Math.cos(phi);
            rot[2 * s + 1] = Math.sin(phi);
          }
        }
        lastDisp[2 * u] = dx;
        lastDisp[2 * u + 1] = dy;
        this.rotValid[u] = 1;
      }
      if (++this.sinceRenorm[u] >= RENORM_INTERVAL_SLOTS) {
        this.sinceRenorm[u] = 0;
        this.renormalise(u);
      }
      for (let m = 0; m < numAps; m++) {
        const e0 = (m * numUsers + u) * numTxAnt;
        for (let i = 0; i < numTxAnt; i++) {
          let re = 0;
          let im = 0;
          for (let j = 2 * (e0 + i) * N, end = j + 2 * N; j < end; j += 2) {
            const pr = p[j];
            const pi = p[j + 1];
            const rr = rot[j];
            const ri = rot[j + 1];
            const nr = pr * rr - pi * ri;
            const ni = pr * ri + pi * rr;
            p[j] = nr;
            p[j + 1] = ni;
            re += nr;
            im += ni;
          }
          values[2 * (e0 + i)] = g * re;
          values[2 * (e0 + i) + 1] = g * im;
        }
      }
    }
  }
}

/**
 * Theoretical autocorrelation E[h(t) h*(t+n)] of the model at lag n slots for a node at constant
 * speed v: J0(2π f_D nT) for clarke, ρⁿ with ρ = J0(2π f_D T) for gauss-markov, 1 for static,
 * and for block, averaged over where t falls in its block, max(0, 1 − n/L) (L = coherenceSlots).
 * f_D = v f_c / c. For docs and tests.
 */
export function fadingCorrelation(spec: FadingSpec, speedMps: number, lagSlots: number, slotS: number, carrierHz: number): number {
  const n = Math.abs(lagSlots);
  if (n === 0) return 1; // by definition (besselJ0(0) of the NR approximation is 1 + 2.8e-9)
  const fD = (speedMps * carrierHz) / SPEED_OF_LIGHT_MPS;
  switch (spec.model) {
    case 'clarke':
      return besselJ0(2 * Math.PI * fD * n * slotS);
    case 'gauss-markov':
      return besselJ0(2 * Math.PI * fD * slotS) ** n;
    case 'block':
      return Math.max(0, 1 - n / spec.coherenceSlots);
    case 'static':
      return 1;
  }
}
