/**
 * The twin's TOA localisation (paper 003), owned by the Twin when the scenario has a
 * `localization:` section:
 *  - the localised targets move (their own mobility, world frame) and their RCS factors ζ_{m,n}
 *    evolve (ZetaProcess);
 *  - every slot the CRLB C_{x,y} of each target is computed on the TRUE geometry and ε with the
 *    beams in force (`evaluate`);
 *  - every `estimate.periodSlots` the central controller localises each target: an efficient
 *    estimator, truth + N(0, C) with C the CRLB matrix of that slot, or a miss when √C_{x,y}
 *    exceeds `gateM` (or the target is not localisable); the estimate and that slot's |ε|² reach
 *    the controller `estimate.delayMs` later (`estimate` + `deliver`).
 * The controller starts from a cue: the targets' initial positions and the mean |ε|² = F_{m,n}.
 */
import type { CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { Population } from '../phy/mobility.ts';
import { fimWeightsInto, pathGainsInto, steeringTowards, ZetaProcess, type LocalizationModel } from '../phy/localization.ts';
import type { Rng } from '../phy/random.ts';
import { crlbOfBeams, type Crlb } from '../metrics/localization.ts';
import type { LocalizationView } from '../policies/types.ts';
import type { Scenario } from '../scenario/schema.ts';

/** One localisation estimate of every target (NaN rows: a miss). */
export interface LocEstimate {
  slot: number;
  /** [numLocTargets, 2] */
  posM: Float64Array;
  /** [numLocTargets, numBs, numTmt] |ε|² of the slot. */
  eps2: Float64Array;
}

export class Localization {
  readonly model: LocalizationModel;
  readonly targets: Population;
  readonly zeta: ZetaProcess;
  /** [numLocTargets, numBs, numTmt] F_{m,n} of the current geometry. */
  readonly pathGain: Float64Array;
  /** [numLocTargets, numBs, numTmt] |ε_{m,n}|² = F_{m,n} ζ_{m,n}² now. */
  readonly eps2: Float64Array;
  /** Per target: [numBs, numTxAnt] steering toward it and [numBs, 3] FIM weights B_m. */
  readonly steering: CArray[];
  readonly weights: Float64Array[];
  private readonly per: number;

  constructor(
    private readonly topo: Topology,
    scenario: Scenario,
    rngTargets: Rng,
    rngZeta: Rng,
    private readonly rngEstimate: Rng,
  ) {
    const spec = scenario.localization;
    if (!topo.localization || !spec) throw new Error('Localization needs a scenario with a localization: section');
    this.model = topo.localization;
    const T = this.model.numTargets;
    this.per = topo.numBs * this.model.numTmt;
    this.targets = new Population(
      new Int32Array(T),
      { cellCentresM: topo.bsPosM, cellRadiusM: topo.cellRadiusM },
      spec.targets.mobility,
      { model: 'explicit', positionsM: spec.targets.positionsM, frame: 'world' },
      rngTargets,
    );
    this.zeta = new ZetaProcess(spec.zeta, T, topo.numBs, this.model.numTmt, rngZeta);
    this.pathGain = new Float64Array(T * this.per);
    this.eps2 = new Float64Array(T * this.per);
    this.steering = Array.from({ length: T }, () => new Float64Array(2 * topo.numBs * topo.numTxAnt));
    this.weights = Array.from({ length: T }, () => new Float64Array(3 * topo.numBs));
    this.refresh();
  }

  /** The central controller's initial knowledge: the cue (initial positions, mean |ε|²). */
  initialView(): LocalizationView {
    return { posM: Float64Array.from(this.targets.posM), eps2: Float64Array.from(this.pathGain), slot: new Int32Array(this.model.numTargets).fill(-1) };
  }

  /** Moves the targets to slot `slot` (by dtS unless slot 0), evolves ζ and the geometry. */
  advance(slot: number, dtS: number): void {
    if (slot > 0) this.targets.step(dtS);
    this.zeta.update(slot);
    this.refresh();
  }

  private refresh(): void {
    const { bsPosM, broadsideRad, numTxAnt } = this.topo;
    const pos = this.targets.posM;
    for (let t = 0; t < this.model.numTargets; t++) {
      const [x, y] = [pos[2 * t], pos[2 * t + 1]];
      const F = this.pathGain.subarray(t * this.per, (t + 1) * this.per);
      pathGainsInto(F, bsPosM, this.model, x, y);
      const e2 = this.eps2.subarray(t * this.per, (t + 1) * this.per);
      for (let i = 0; i < this.per; i++) e2[i] = F[i] * this.zeta.zeta[t * this.per + i] ** 2;
      this.steering[t].set(steeringTowards(bsPosM, broadsideRad, numTxAnt, x, y));
      fimWeightsInto(this.weights[t], bsPosM, this.model, x, y, e2);
    }
  }

  /** CRLB of every target on the true geometry with beams W. */
  evaluate(W: Beamformers): Crlb[] {
    return this.steering.map((a, t) => crlbOfBeams(W, this.topo.numTxAnt, a, this.weights[t]));
  }

  /** The controller's estimate from the sensing interval of `slot` with CRLBs `crlb` (NaN: a miss). */
  estimate(slot: number, crlb: Crlb[], gateM: number): LocEstimate {
    const posM = new Float64Array(2 * this.model.numTargets).fill(NaN);
    crlb.forEach((c, t) => {
      if (!(c.sumM2 <= gateM * gateM)) return;
      // x̂ = x + L n, L Lᵀ = C (2×2 Cholesky).
      const l11 = Math.sqrt(c.xM2);
      const l21 = c.xyM2 / l11;
      const l22 = Math.sqrt(Math.max(0, c.yM2 - l21 * l21));
      const n1 = this.rngEstimate.normal();
      const n2 = this.rngEstimate.normal();
      posM[2 * t] = this.targets.posM[2 * t] + l11 * n1;
      posM[2 * t + 1] = this.targets.posM[2 * t + 1] + l21 * n1 + l22 * n2;
    });
    return { slot, posM, eps2: Float64Array.from(this.eps2) };
  }

  /** An estimate reaches the controller: it replaces older knowledge, target by target. */
  deliver(view: LocalizationView, est: LocEstimate): void {
    for (let t = 0; t < this.model.numTargets; t++) {
      if (Number.isNaN(est.posM[2 * t]) || est.slot <= view.slot[t]) continue;
      view.posM[2 * t] = est.posM[2 * t];
      view.posM[2 * t + 1] = est.posM[2 * t + 1];
      view.eps2.set(est.eps2.subarray(t * this.per, (t + 1) * this.per), t * this.per);
      view.slot[t] = est.slot;
    }
  }

  /** The current truth (snapshots). */
  get truth() {
    return {
      model: this.model,
      posM: this.targets.posM,
      zeta: this.zeta.zeta,
      pathGain: this.pathGain,
      eps2: this.eps2,
      weights: this.weights,
    };
  }
}
