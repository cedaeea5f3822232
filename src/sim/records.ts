/**
 * Evaluation and records: every slot is measured on the TRUE channel with the beams in force (and
 * each shadow's), and reported as one SlotRecord. Also the main-beam finder of the map.
 */
import { czeros, norm2, type CArray } from '../phy/complex.ts';
import type { ChannelState } from '../phy/channel.ts';
import { steeringInto } from '../phy/geometry.ts';
import type { Topology } from '../phy/network.ts';
import { beamEnergy, emptySlotMetrics, evaluateInto, type SensingChannels, type SlotMetrics } from '../metrics/isac.ts';
import { dualAscent } from '../learning/primal-dual/dual.ts';
import { BeampatternMeter, type BeampatternOptions } from '../metrics/beampattern-meter.ts';
import type { CsiView } from '../policies/types.ts';
import type { InForce, Shadow } from './decisions.ts';
import type { ShadowMetrics, SlotRecord } from './events.ts';
import type { LinkCounters } from './fronthaul.ts';

/**
 * Main-beam finder: the direction θ maximising Σ_k |a(θ)ᴴ w_k|² over the array's front half-plane,
 * on a 4° grid of precomputed steering vectors refined by a parabola through the best three
 * points. Used for the dashboard's map and the `beam_az_deg` column; ±1° is plenty there.
 */
export class BeamFinder {
  private readonly thetas: Float64Array;
  /** [numAngles, numTxAnt] complex steering vectors. */
  private readonly table: CArray;
  private readonly gains = new Float64Array(46);
  constructor(private readonly topo: Topology) {
    const n = 46;
    this.thetas = Float64Array.from({ length: n }, (_, i) => ((-90 + 4 * i) * Math.PI) / 180);
    this.table = czeros(n * topo.numTxAnt);
    this.thetas.forEach((th, i) => steeringInto(this.table, i * topo.numTxAnt, topo.numTxAnt, th));
  }

  private gain(i: number, W: CArray, rows: number): number {
    return beamEnergy(this.table, i * this.topo.numTxAnt, W, rows, this.topo.numTxAnt);
  }

  /** Azimuth (deg from east, in [0, 360)) of the main beam of W; NaN when W is zero. */
  azimuthDeg(W: CArray): number {
    if (norm2(W) === 0) return NaN;
    const rows = W.length / (2 * this.topo.numTxAnt);
    const n = this.thetas.length;
    const g = this.gains;
    let best = 0;
    for (let i = 0; i < n; i++) {
      g[i] = this.gain(i, W, rows);
      if (g[i] > g[best]) best = i;
    }
    let thetaDeg = -90 + 4 * best;
    if (best > 0 && best < n - 1) {
      const [a, b, c] = [g[best - 1], g[best], g[best + 1]];
      const den = a - 2 * b + c;
      if (den < 0) thetaDeg += (4 * 0.5 * (a - c)) / den;
    }
    const az = (this.topo.broadsideRad * 180) / Math.PI + thetaDeg;
    return ((az % 360) + 360) % 360;
  }
}

/** Slots between two searches of an AP's main beam when its beams change every slot. */
export const AZIMUTH_EVERY_SLOTS = 10;

/** Evaluates slots and builds their records. */
export class Evaluator {
  private readonly metrics: SlotMetrics;
  private readonly shadowMetrics: SlotMetrics[];
  private readonly beamFinder: BeamFinder;
  /** Per AP: the beams whose azimuth was last found, that azimuth and the slot it was found at. */
  private readonly azOf: (InForce | undefined)[] = [];
  private readonly az: Float64Array;
  private readonly azSlot: Int32Array;
  private readonly meter?: BeampatternMeter;
  /** The sensing-constraint monitor's μ per AP (with `beampattern.epsilon`). */
  private readonly mu?: Float64Array;

  constructor(
    topo: Topology,
    shadows: number,
    private readonly beampattern?: BeampatternOptions & { everySlots: number; epsilon?: number; dualStep: number },
  ) {
    if (beampattern) this.meter = new BeampatternMeter(topo.numTxAnt, beampattern);
    if (beampattern?.epsilon !== undefined) this.mu = new Float64Array(topo.numBs);
    this.metrics = emptySlotMetrics(topo);
    this.shadowMetrics = Array.from({ length: shadows }, () => emptySlotMetrics(topo));
    this.beamFinder = new BeamFinder(topo);
    this.az = new Float64Array(topo.numBs).fill(NaN);
    this.azSlot = new Int32Array(topo.numBs).fill(-AZIMUTH_EVERY_SLOTS);
  }

  /**
   * Main-beam azimuth of AP m's beams: found again when new beams arrive, at most every
   * AZIMUTH_EVERY_SLOTS slots (the map's refresh; the search costs 46 beam gains per AP).
   */
  private azimuth(m: number, f: InForce, slot: number): number {
    if (this.azOf[m] !== f && (slot - this.azSlot[m] >= AZIMUTH_EVERY_SLOTS || this.azOf[m] === undefined || norm2(this.azOf[m]!.W) === 0)) {
      this.az[m] = this.beamFinder.azimuthDeg(f.W);
      this.azOf[m] = f;
      this.azSlot[m] = slot;
    }
    return this.az[m];
  }

  /** The acting policy's and every shadow's metrics of this slot on the true channel. */
  evaluate(topo: Topology, st: ChannelState, sens: SensingChannels, inForce: InForce[], shadows: Shadow[], rho: number, slot: number) {
    const W = inForce.map((f) => f.W);
    const out = evaluateInto(this.metrics, topo, st.H, sens, W, rho, slot, inForce.map((f) => f.streams));
    const sh: ShadowMetrics[] = shadows.map((s, i) => {
      const r = evaluateInto(this.shadowMetrics[i], topo, st.H, sens, s.W, rho, slot, s.streams);
      return { name: s.name, rc: r.rc, rs: r.rs, objective: r.objective };
    });
    return { out, shadows: sh, W };
  }

  /** The record of a slot (fresh copies a consumer may keep). */
  record(
    o: {
      topo: Topology;
      slot: number;
      slotUs: number;
      st: ChannelState;
      inForce: InForce[];
      apViews: CsiView[];
      userPosM: Float64Array;
      targetPosM: Float64Array;
      fronthaul: LinkCounters;
    },
    out: SlotMetrics,
    shadows: ShadowMetrics[],
  ): SlotRecord {
    const { topo, slot, st, inForce } = o;
    const { userBs } = topo;
    const age = new Int32Array(topo.numUsers);
    for (let u = 0; u < age.length; u++) {
      const c = inForce[userBs[u]].csiSlot;
      age[u] = c < 0 ? -1 : slot - c;
    }
    const thetaEst = new Float64Array(topo.numTargets);
    for (let i = 0; i < topo.numTargets; i++) {
      const v = o.apViews[topo.targetBs[i]];
      thetaEst[i] = v.targetSlot[i] < 0 ? NaN : v.targetThetaRad[i];
    }
    // Per-AP columns in plain loops (typed-array `from` with a map function is slow).
    const M = inForce.length;
    const policy: string[] = new Array(M);
    const fallback = new Uint8Array(M);
    const beamAzDeg = new Float64Array(M);
    const decisionMs = new Float64Array(M);
    const decidedSlot = new Int32Array(M);
    for (let m = 0; m < M; m++) {
      const f = inForce[m];
      policy[m] = f.policy;
      fallback[m] = f.fallback ? 1 : 0;
      beamAzDeg[m] = this.azimuth(m, f, slot);
      decisionMs[m] = f.decisionMs;
      decidedSlot[m] = f.decidedSlot;
    }
    return {
      slot,
      tUs: slot * o.slotUs,
      rc: out.rc,
      rs: out.rs,
      objective: out.objective,
      userSinr: out.userSinr.slice(),
      userRate: out.userRate.slice(),
      userCsiAge: age,
      userPosM: o.userPosM.slice(),
      targetSinr: out.targetSinr.slice(),
      targetRate: out.targetRate.slice(),
      targetPosM: o.targetPosM.slice(),
      targetThetaRad: st.targetThetaRad.slice(),
      targetThetaEstRad: thetaEst,
      bs: {
        policy,
        fallback,
        powerW: out.bsPowerW.slice(),
        beamAzDeg,
        decisionMs,
        decidedSlot,
      },
      shadows,
      associationVersion: topo.associationVersion,
      userBs: userBs.slice(),
      targetBs: topo.targetBs.slice(),
      fronthaul: o.fronthaul,
      ...(this.meter && slot % this.beampattern!.everySlots === 0 ? { beampattern: this.measureBeampattern(topo, st, inForce) } : {}),
    };
  }

  /** The slot's beampatterns; the monitor steps μ of every AP with a finite L_r (a silent or targetless AP keeps its μ). */
  private measureBeampattern(topo: Topology, st: ChannelState, inForce: InForce[]) {
    const bp = this.meter!.measure(
      inForce.map((f) => f.W),
      topo.targetBs,
      st.targetThetaRad,
    );
    const mu = this.mu;
    if (mu) {
      const { epsilon, dualStep } = this.beampattern!;
      for (let m = 0; m < mu.length; m++) if (Number.isFinite(bp.lr[m])) mu[m] = dualAscent(mu[m], bp.lr[m], epsilon!, dualStep);
      bp.mu = mu.slice();
    }
    return bp;
  }
}
