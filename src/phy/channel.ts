/**
 * Channels of a multicell ISAC network that evolve consistently in time.
 *
 * Communication (paper 000, eq. 3): h_{m,u} = √β_{m,u} (√(v/(1+v)) h^LoS + √(1/(1+v)) h^NLOS)
 *   β = (λ / 4π d₀)² (d / d₀)^(−η_c)            free space to d₀, exponent η_c beyond
 *   h^LoS = a(θ_{m,u}) e^{−j2π d/λ}             ULA steering from geometry; the phase follows the
 *                                              distance, so motion yields the right Doppler
 *   h^NLOS: a fading field per (AP, user, antenna) entry (phy/fading.ts): Clarke/Jakes by sum of
 *           sinusoids over the user's position (autocorrelation J0(2π f_D n T) at every lag n),
 *           the legacy AR(1) Gauss–Markov, block fading, or static.
 * Sensing (paper 000, eqs. 4–5): target t seen by its BS at angle θ_t, distance d_t,
 *   α_t = √(λ² σ_RCS / (4π)³) · d_t^(−η_s) · e^{−j2π·2d_t/λ}   (radar equation, η_s per direction)
 * Every AP's angle and distance to every target are kept too ([numBs, numTargets]) for multistatic
 * sensing (metrics/isac.ts: multistaticGainsInto). On a wrap-around area (torus) every distance
 * and angle is to the nearest image of the node.
 * BS-to-BS interference G_{n,m} ∈ C^{N_R×N_T} (BS n transmits, BS m receives): Rician with
 *   LoS b(θ_{m←n}) aᴴ(θ_{n→m}) e^{−j2πd/λ} and a static NLOS draw (both ends are fixed).
 *
 * Paper 004's normalised channel (topo.paperChannel, `channel.model: paper`; phy/paper-channel.ts):
 * no path loss and no geometry — h_{m,u} is the fading entry itself (CN(0, 1) marginally, evolving
 * by the fading model), β_{m,u} = 1, G = 0, and every AP's angle to every target is drawn
 * θ ~ U[lo, hi) from its array axis (stored from broadside, π/2 − θ), once at the start and again
 * at every redraw of `block` fading (a new drop); with the other fading models the angles stay.
 * Node positions still move (association, the map) but do not enter the channel.
 */
import { czeros, type CArray } from './complex.ts';
import { FadingField, type FadingSpec } from './fading.ts';
import { angleFromBroadside, azimuth, distance, nearestImageDelta, steeringInto } from './geometry.ts';
import type { Population } from './mobility.ts';
import type { DeploymentArea, Topology } from './network.ts';
import { axisToBroadsideRad, drawPaperAngles } from './paper-channel.ts';
import { streamFor, type Rng } from './random.ts';

export interface ChannelParams {
  ricianK: number;
  commPathLossExp: number;
  sensPathLossExp: number;
  bsBsPathLossExp: number;
  refDistanceM: number;
  minDistanceM: number;
  fading: FadingSpec;
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
  /** [numBs, numTargets] angle of target t from AP m's broadside (rad) and distance (m). */
  apTargetThetaRad: Float64Array;
  apTargetDistM: Float64Array;
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
    apTargetThetaRad: new Float64Array(numBs * numTargets),
    apTargetDistM: new Float64Array(numBs * numTargets),
  };
}

/** Offset (dx, dy) from (x1, y1) to (x2, y2) into `out`: plain, or to the nearest image on a wrap-around area. */
function offsetTo(out: Float64Array, area: DeploymentArea | undefined, x1: number, y1: number, x2: number, y2: number): Float64Array {
  if (!area?.wrap) {
    out[0] = x2 - x1;
    out[1] = y2 - y1;
  } else {
    out[0] = nearestImageDelta(x2 - x1, area.maxM[0] - area.minM[0]);
    out[1] = nearestImageDelta(y2 - y1, area.maxM[1] - area.minM[1]);
  }
  return out;
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
  /** The NLOS fading of every (AP, user, antenna) entry, unit variance. */
  private readonly fading: FadingField;
  private readonly los: CArray;
  /** [numUsers, 2] positions at the last update and the displacement since (fading input). */
  private readonly lastPosM: Float64Array;
  private readonly dispM: Float64Array;
  private readonly speedMps: Float64Array;
  private readonly delta = new Float64Array(2);
  /** The association in force (targetBs of the monostatic echoes); replaced on a change. */
  private topo: Topology;
  /** Paper channel: [numBs, numTargets] θ from each AP's array axis and the stream they are drawn from. */
  private readonly paperAngles?: { thetaRad: Float64Array; rng: Rng };

  constructor(
    topo: Topology,
    private readonly p: ChannelParams,
    slotS: number,
    private readonly rng: Rng,
  ) {
    this.topo = topo;
    this.state = emptyChannelState(topo);
    if (topo.paperChannel) {
      // The angles' own stream, seeded from one draw of the channel's (fading draws follow it).
      const angleRng = streamFor(Math.floor(rng.uniform() * 4294967296) | 0, 'paper/angles');
      const thetaRad = new Float64Array(topo.numBs * topo.numTargets);
      drawPaperAngles(thetaRad, angleRng, topo.paperChannel);
      this.paperAngles = { thetaRad, rng: angleRng };
    }
    this.fading = new FadingField(topo.numBs, topo.numUsers, topo.numTxAnt, p.fading, slotS, topo.lambdaM, rng, topo.carrierHz);
    this.los = czeros(topo.numTxAnt);
    this.lastPosM = new Float64Array(2 * topo.numUsers).fill(NaN);
    this.dispM = new Float64Array(2 * topo.numUsers);
    this.speedMps = new Float64Array(topo.numUsers);
    if (!topo.paperChannel) this.drawBsBs();
  }

  /**
   * Uses another association from now on (the monostatic sensing BS of each target) and
   * recomputes the sensing geometry of the targets' current positions with it.
   */
  associate(topo: Topology, targets: Population): void {
    this.topo = topo;
    this.sense(targets);
  }

  /**
   * Moves the channels to slot `slot` given the nodes' current positions: evolves the NLOS
   * fading by one slot (unless slot 0) from each user's displacement and speed, then recomputes
   * path gains, LoS and sensing geometry.
   */
  update(users: Population, targets: Population, slot: number): void {
    const n = this.topo.numUsers;
    const area = this.topo.area;
    for (let u = 0; u < n; u++) {
      const x = users.posM[2 * u];
      const y = users.posM[2 * u + 1];
      if (Number.isNaN(this.lastPosM[2 * u])) {
        this.dispM[2 * u] = 0;
        this.dispM[2 * u + 1] = 0;
      } else {
        const o = offsetTo(this.delta, area, this.lastPosM[2 * u], this.lastPosM[2 * u + 1], x, y);
        this.dispM[2 * u] = o[0];
        this.dispM[2 * u + 1] = o[1];
      }
      this.lastPosM[2 * u] = x;
      this.lastPosM[2 * u + 1] = y;
      this.speedMps[u] = users.speed(u);
    }
    if (slot > 0) this.fading.advance(slot, this.dispM, this.speedMps);
    const f = this.p.fading;
    if (this.paperAngles && slot > 0 && f.model === 'block' && slot % f.coherenceSlots === 0) {
      drawPaperAngles(this.paperAngles.thetaRad, this.paperAngles.rng, this.topo.paperChannel!);
    }
    this.compose(users);
    this.sense(targets);
  }

  private compose(users: Population): void {
    const { numBs, numUsers, numTxAnt, bsPosM, broadsideRad, lambdaM, area } = this.topo;
    const { H, gain } = this.state;
    const nlos = this.fading.values;
    if (this.topo.paperChannel) {
      H.set(nlos);
      gain.fill(1);
      return;
    }
    const los = this.los;
    const pos = users.posM;
    const v = this.p.ricianK;
    const cLos = Math.sqrt(v / (1 + v));
    const cNlos = Math.sqrt(1 / (1 + v));
    const { minDistanceM, commPathLossExp, refDistanceM } = this.p;
    // pathGain(d, λ, η_c, d₀) with its constant factor computed once (the same arithmetic).
    const ref = (lambdaM / (4 * Math.PI * refDistanceM)) ** 2;
    const wrap = area?.wrap === true;
    const wx = wrap ? area.maxM[0] - area.minM[0] : 0;
    const wy = wrap ? area.maxM[1] - area.minM[1] : 0;
    for (let m = 0; m < numBs; m++) {
      const bx = bsPosM[2 * m];
      const by = bsPosM[2 * m + 1];
      for (let u = 0; u < numUsers; u++) {
        // offsetTo, inlined
        let dx = pos[2 * u] - bx;
        let dy = pos[2 * u + 1] - by;
        if (wrap) {
          dx = nearestImageDelta(dx, wx);
          dy = nearestImageDelta(dy, wy);
        }
        const d = Math.max(minDistanceM, Math.hypot(dx, dy));
        const beta = ref * (d / refDistanceM) ** -commPathLossExp;
        gain[m * numUsers + u] = beta;
        const theta = angleFromBroadside(Math.atan2(dy, dx), broadsideRad);
        const phase = (-2 * Math.PI * d) / lambdaM;
        steeringInto(los, 0, numTxAnt, theta, Math.cos(phase), Math.sin(phase));
        const sb = Math.sqrt(beta);
        const off = 2 * (m * numUsers + u) * numTxAnt;
        for (let i = 0; i < 2 * numTxAnt; i++) H[off + i] = sb * (cLos * los[i] + cNlos * nlos[off + i]);
      }
    }
  }

  private sense(targets: Population): void {
    const { bsPosM, broadsideRad, lambdaM, targetBs, numBs, area } = this.topo;
    const { targetThetaRad, targetDistM, targetAlpha, apTargetThetaRad, apTargetDistM } = this.state;
    const T = targets.size;
    for (let t = 0; t < T; t++) {
      for (let m = 0; m < numBs; m++) {
        const o = offsetTo(this.delta, area, bsPosM[2 * m], bsPosM[2 * m + 1], targets.posM[2 * t], targets.posM[2 * t + 1]);
        const dx = o[0];
        const dy = o[1];
        apTargetDistM[m * T + t] = Math.max(this.p.minDistanceM, distance(0, 0, dx, dy));
        apTargetThetaRad[m * T + t] = this.paperAngles
          ? axisToBroadsideRad(this.paperAngles.thetaRad[m * T + t])
          : angleFromBroadside(azimuth(0, 0, dx, dy), broadsideRad);
      }
      const m = targetBs[t];
      const d = apTargetDistM[m * T + t];
      targetDistM[t] = d;
      targetThetaRad[t] = apTargetThetaRad[m * T + t];
      if (this.topo.paperChannel) {
        // |α|² = ζ², no propagation phase (no geometry); read by monostatic sensing only.
        targetAlpha[2 * t] = Math.sqrt(this.topo.paperChannel.echoGain);
        targetAlpha[2 * t + 1] = 0;
        continue;
      }
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
