/**
 * Channels of a multicell ISAC network that evolve consistently in time.
 *
 * Communication (paper 000, eq. 3): h_{m,u} = √β_{m,u} (√(v/(1+v)) h^LoS + √(1/(1+v)) h^NLOS)
 *   β = (λ / 4π d₀)² (d / d₀)^(−η_c)            free space to d₀, exponent η_c beyond
 *   h^LoS = a(θ_{m,u}) e^{−j2π d/λ}             ULA steering from geometry; the phase follows the
 *                                              distance, so motion yields the right Doppler
 *   h^NLOS: Gauss–Markov per user, h ← ρ h + √(1−ρ²) n, n ~ CN(0, I), ρ = J0(2π f_D T_slot),
 *           f_D = v f_c / c (Clarke’s spectrum); or block fading, or static.
 * Sensing (paper 000, eqs. 4–5): target t seen by its BS at angle θ_t, distance d_t,
 *   α_t = √(λ² σ_RCS / (4π)³) · d_t^(−η_s) · e^{−j2π·2d_t/λ}   (radar equation, η_s per direction)
 * BS-to-BS interference G_{n,m} ∈ C^{N_R×N_T} (BS n transmits, BS m receives): Rician with
 *   LoS b(θ_{m←n}) aᴴ(θ_{n→m}) e^{−j2πd/λ} and a static NLOS draw (both ends are fixed).
 */
import { besselJ0 } from './bessel.ts';
import { czeros, type CArray } from './complex.ts';
import { angleFromBroadside, azimuth, distance, SPEED_OF_LIGHT_MPS, steeringInto } from './geometry.ts';
import type { Population } from './mobility.ts';
import type { Topology } from './network.ts';
import type { Rng } from './random.ts';

export interface ChannelParams {
  ricianK: number;
  commPathLossExp: number;
  sensPathLossExp: number;
  bsBsPathLossExp: number;
  refDistanceM: number;
  minDistanceM: number;
  fading: { model: 'gauss-markov' | 'block' | 'static'; coherenceSlots: number };
  /** Radar cross-section (m²) of every target. */
  rcsM2: number;
}

/** The true channels at one instant. */
export interface ChannelState {
  /** [numBs, numUsers, numTxAnt] complex: h_{m,u}. */
  H: CArray;
  /** [numBs, numUsers] mean link gain β_{m,u} (linear). */
  gain: Float64Array;
  /** [numTargets] angle of each target from its sensing BS's broadside (rad). */
  targetThetaRad: Float64Array;
  /** [numTargets] distance of each target from its sensing BS (m). */
  targetDistM: Float64Array;
  /** [numTargets] complex α_t: round-trip path loss, RCS and phase. */
  targetAlpha: CArray;
  /** [numBs (tx n), numBs (rx m), numRxAnt, numTxAnt] complex: G_{n,m}; zero for n = m. */
  G: CArray;
}

export function emptyChannelState(topo: Topology): ChannelState {
  const { numBs, numUsers, numTargets, numTxAnt, numRxAnt } = topo;
  return {
    H: czeros(numBs * numUsers * numTxAnt),
    gain: new Float64Array(numBs * numUsers),
    targetThetaRad: new Float64Array(numTargets),
    targetDistM: new Float64Array(numTargets),
    targetAlpha: czeros(numTargets),
    G: czeros(numBs * numBs * numRxAnt * numTxAnt),
  };
}

/** Mean gain β(d) = (λ/4πd₀)² (d/d₀)^(−η). */
export function pathGain(dM: number, lambdaM: number, exponent: number, refDistanceM: number): number {
  const ref = (lambdaM / (4 * Math.PI * refDistanceM)) ** 2;
  return ref * (dM / refDistanceM) ** -exponent;
}

/** |α|² of a monostatic radar echo: λ² σ / (4π)³ · d^(−2η_s). */
export function echoGain(dM: number, lambdaM: number, rcsM2: number, sensExponent: number): number {
  return ((lambdaM * lambdaM * rcsM2) / (4 * Math.PI) ** 3) * dM ** (-2 * sensExponent);
}

export class ChannelModel {
  readonly state: ChannelState;
  /** [numBs, numUsers, numTxAnt] NLOS component, unit variance per entry. */
  private readonly nlos: CArray;
  private readonly los: CArray;
  private readonly noise: CArray;

  constructor(
    private readonly topo: Topology,
    private readonly p: ChannelParams,
    private readonly slotS: number,
    private readonly rng: Rng,
  ) {
    this.state = emptyChannelState(topo);
    this.nlos = czeros(topo.numBs * topo.numUsers * topo.numTxAnt);
    this.los = czeros(topo.numTxAnt);
    this.noise = czeros(topo.numTxAnt);
    rng.complexNormal(this.nlos);
    this.drawBsBs();
  }

  /** Gauss–Markov correlation over one slot for a node moving at speedMps. */
  correlation(speedMps: number): number {
    const fD = (speedMps * this.topo.carrierHz) / SPEED_OF_LIGHT_MPS;
    return besselJ0(2 * Math.PI * fD * this.slotS);
  }

  /**
   * Moves the channels to slot `slot` given the nodes' current positions: evolves the NLOS
   * fading by one slot (unless slot 0), then recomputes path gains, LoS and sensing geometry.
   */
  update(users: Population, targets: Population, slot: number): void {
    const { numBs, numUsers, numTxAnt } = this.topo;
    const { fading } = this.p;
    if (slot > 0 && fading.model !== 'static') {
      for (let u = 0; u < numUsers; u++) {
        const redraw = fading.model === 'block' && slot % fading.coherenceSlots === 0;
        if (fading.model === 'block' && !redraw) continue;
        const rho = redraw ? 0 : this.correlation(users.speed(u));
        const innov = Math.sqrt(Math.max(0, 1 - rho * rho));
        for (let m = 0; m < numBs; m++) {
          const off = 2 * (m * numUsers + u) * numTxAnt;
          this.rng.complexNormal(this.noise);
          for (let i = 0; i < 2 * numTxAnt; i++) this.nlos[off + i] = rho * this.nlos[off + i] + innov * this.noise[i];
        }
      }
    }
    this.compose(users);
    this.sense(targets);
  }

  private compose(users: Population): void {
    const { numBs, numUsers, numTxAnt, bsPosM, broadsideRad, lambdaM } = this.topo;
    const { H, gain } = this.state;
    const v = this.p.ricianK;
    const cLos = Math.sqrt(v / (1 + v));
    const cNlos = Math.sqrt(1 / (1 + v));
    for (let m = 0; m < numBs; m++) {
      const bx = bsPosM[2 * m];
      const by = bsPosM[2 * m + 1];
      for (let u = 0; u < numUsers; u++) {
        const ux = users.posM[2 * u];
        const uy = users.posM[2 * u + 1];
        const d = Math.max(this.p.minDistanceM, distance(bx, by, ux, uy));
        const beta = pathGain(d, lambdaM, this.p.commPathLossExp, this.p.refDistanceM);
        gain[m * numUsers + u] = beta;
        const theta = angleFromBroadside(azimuth(bx, by, ux, uy), broadsideRad);
        const phase = (-2 * Math.PI * d) / lambdaM;
        steeringInto(this.los, 0, numTxAnt, theta, Math.cos(phase), Math.sin(phase));
        const sb = Math.sqrt(beta);
        const off = 2 * (m * numUsers + u) * numTxAnt;
        for (let i = 0; i < 2 * numTxAnt; i++) H[off + i] = sb * (cLos * this.los[i] + cNlos * this.nlos[off + i]);
      }
    }
  }

  private sense(targets: Population): void {
    const { bsPosM, broadsideRad, lambdaM, targetBs } = this.topo;
    const { targetThetaRad, targetDistM, targetAlpha } = this.state;
    for (let t = 0; t < targets.size; t++) {
      const m = targetBs[t];
      const bx = bsPosM[2 * m];
      const by = bsPosM[2 * m + 1];
      const tx = targets.posM[2 * t];
      const ty = targets.posM[2 * t + 1];
      const d = Math.max(this.p.minDistanceM, distance(bx, by, tx, ty));
      targetDistM[t] = d;
      targetThetaRad[t] = angleFromBroadside(azimuth(bx, by, tx, ty), broadsideRad);
      const amp = Math.sqrt(echoGain(d, lambdaM, this.p.rcsM2, this.p.sensPathLossExp));
      const phase = (-2 * Math.PI * 2 * d) / lambdaM;
      targetAlpha[2 * t] = amp * Math.cos(phase);
      targetAlpha[2 * t + 1] = amp * Math.sin(phase);
    }
  }

  /** Draws the static BS-to-BS channels G_{n,m}. */
  private drawBsBs(): void {
    const { numBs, numTxAnt, numRxAnt, bsPosM, broadsideRad, lambdaM } = this.topo;
    const { G } = this.state;
    const v = this.p.ricianK;
    const a = czeros(numTxAnt);
    const b = czeros(numRxAnt);
    const w = czeros(numRxAnt * numTxAnt);
    for (let n = 0; n < numBs; n++) {
      for (let m = 0; m < numBs; m++) {
        if (n === m) continue;
        const [nx, ny, mx, my] = [bsPosM[2 * n], bsPosM[2 * n + 1], bsPosM[2 * m], bsPosM[2 * m + 1]];
        const d = Math.max(this.p.minDistanceM, distance(nx, ny, mx, my));
        const beta = pathGain(d, lambdaM, this.p.bsBsPathLossExp, this.p.refDistanceM);
        const phase = (-2 * Math.PI * d) / lambdaM;
        steeringInto(a, 0, numTxAnt, angleFromBroadside(azimuth(nx, ny, mx, my), broadsideRad));
        steeringInto(b, 0, numRxAnt, angleFromBroadside(azimuth(mx, my, nx, ny), broadsideRad), Math.cos(phase), Math.sin(phase));
        this.rng.complexNormal(w);
        const off = 2 * (n * numBs + m) * numRxAnt * numTxAnt;
        const sb = Math.sqrt(beta);
        const cLos = Math.sqrt(v / (1 + v));
        const cNlos = Math.sqrt(1 / (1 + v));
        for (let r = 0; r < numRxAnt; r++) {
          for (let c = 0; c < numTxAnt; c++) {
            // LoS entry b_r · conj(a_c)
            const br = b[2 * r];
            const bi = b[2 * r + 1];
            const ar = a[2 * c];
            const ai = -a[2 * c + 1];
            const k = r * numTxAnt + c;
            G[off + 2 * k] = sb * (cLos * (br * ar - bi * ai) + cNlos * w[2 * k]);
            G[off + 2 * k + 1] = sb * (cLos * (br * ai + bi * ar) + cNlos * w[2 * k + 1]);
          }
        }
      }
    }
  }
}
