/**
 * What the decision-makers know: pilots and CSI reports, echo estimates, and the views they build
 * at every AP and at the central unit (CPU).
 *
 * - Pilots (every pilotPeriodSlots): AP m measures its channels to every user with estimation
 *   error CN(0, NMSE·β_{m,u}) (and optional quantisation); the report reaches AP m after the
 *   feedback delay, then travels to the CPU over the fronthaul as a `csi` message with the
 *   large-scale gains and AP m's latest echo estimates (the CPU knows nothing it was not sent).
 * - Echoes (every echo.periodSlots): monostatic — AP m estimates the angle θ̂ (N(θ, σ²)) and the
 *   coefficient α̂ = α + CN(0, NMSE_α |α|²) of the targets it senses; multistatic — AP m estimates
 *   its own angle θ̂_{m,t} to every target and its illumination gain ĉ_{m,t} = c_{m,t}|1 + e|²,
 *   e ~ CN(0, NMSE_α). Estimates age like CSI: they travel with the next report.
 * - Echo sharing (policies with `needsSharedEchoes`): every report an AP forwards also goes to the
 *   other APs over the peer links.
 * Random streams: 'csi' (estimation error), 'echo' (angles), 'echo-alpha' (coefficients).
 */
import { ccopy, czeros, type CArray } from '../phy/complex.ts';
import type { ChannelState } from '../phy/channel.ts';
import type { Topology } from '../phy/network.ts';
import type { Rng } from '../phy/random.ts';
import { emptySensingChannels, multistaticSensingInto, sensingChannelsInto, type SensingChannels } from '../metrics/isac.ts';
import { noApEchoes, type CsiView } from '../policies/types.ts';
import type { EchoEstimates, Fronthaul, FronthaulMessage } from './fronthaul.ts';

export function emptyView(topo: Topology, owner: number): CsiView {
  return {
    owner,
    H: czeros(topo.numBs * topo.numUsers * topo.numTxAnt),
    known: new Uint8Array(topo.numBs),
    measuredSlot: new Int32Array(topo.numBs).fill(-1),
    gain: new Float64Array(topo.numBs * topo.numUsers),
    targetThetaRad: new Float64Array(topo.numTargets),
    targetAlpha: czeros(topo.numTargets),
    targetSlot: new Int32Array(topo.numTargets).fill(-1),
    ...noApEchoes(topo),
    sens: emptySensingChannels(topo),
  };
}

/**
 * Uniform B-bit quantiser of each real component of n complex entries (from element offset
 * `offset`), over ±3σ with mid-rise levels; values beyond the range clip to the end levels.
 */
export function quantise(a: CArray, offset: number, n: number, sigma: number, bits: number): void {
  const levels = 2 ** bits;
  const range = 3 * sigma;
  const step = (2 * range) / levels;
  for (let i = 2 * offset; i < 2 * (offset + n); i++) {
    let idx = Math.floor((a[i] + range) / step);
    idx = Math.min(levels - 1, Math.max(0, idx));
    a[i] = -range + (idx + 0.5) * step;
  }
}

export interface CsiParams {
  csiNmseDb: number;
  csiQuantBits: number;
  csiFeedbackDelayUs: number;
  angleStdRad: number;
  alphaNmseDb: number;
}

export interface CsiHooks {
  /** A pilot was sent / a CSI report reached its AP (events). */
  pilot(ap: number): void;
  report(ap: number, measuredSlot: number): void;
  /** Schedules `fn` at virtual time tUs in the delivery phase. */
  at(tUs: number, fn: () => void): void;
  now(): number;
}

export class CsiPlane {
  readonly apViews: CsiView[];
  readonly cpuView: CsiView;
  /** A view's sensing channels must be rebuilt before they are read. */
  private readonly sensDirty: boolean[];
  private cpuSensDirty = true;
  private topo: Topology;

  constructor(
    topo: Topology,
    private readonly p: CsiParams,
    private readonly channel: ChannelState,
    private readonly fronthaul: Fronthaul,
    private readonly rng: { csi: Rng; echo: Rng; alpha: Rng },
    private readonly hooks: CsiHooks,
    private readonly shareEchoes: boolean,
  ) {
    this.topo = topo;
    this.sensDirty = Array.from({ length: topo.numBs }, () => true);
    // Views' sensing channels are rebuilt from their estimates only when a policy reads them.
    this.apViews = this.sensDirty.map((_, m) => this.lazySens(emptyView(topo, m), () => this.sensDirty[m], () => (this.sensDirty[m] = false)));
    this.cpuView = this.lazySens(emptyView(topo, -1), () => this.cpuSensDirty, () => (this.cpuSensDirty = false));
  }

  /** Uses another association from now on (the monostatic sensing AP of each target). */
  associate(topo: Topology): void {
    this.topo = topo;
    this.sensDirty.fill(true);
    this.cpuSensDirty = true;
  }

  private lazySens(view: CsiView, dirty: () => boolean, clean: () => void): CsiView {
    const sens = view.sens;
    Object.defineProperty(view, 'sens', {
      enumerable: true,
      get: () => {
        if (dirty()) {
          this.buildSens(sens, view);
          clean();
        }
        return sens;
      },
    });
    return view;
  }

  private buildSens(out: SensingChannels, v: CsiView): void {
    if (this.topo.sensingGeometry === 'multistatic') {
      multistaticSensingInto(out, this.topo, v.targetApThetaRad, v.targetApGain);
    } else {
      sensingChannelsInto(out, this.topo, v.targetThetaRad, v.targetAlpha, this.channel.G);
    }
  }

  // ---------------------------------------------------------------- pilots and reports

  /** Every AP sounds its links; each report reaches the AP after the feedback delay. */
  pilots(slot: number): void {
    const { numBs, numUsers, numTxAnt: nt } = this.topo;
    const nmse = 10 ** (this.p.csiNmseDb / 10);
    const { H, gain } = this.channel;
    const t = this.hooks.now();
    for (let m = 0; m < numBs; m++) {
      this.hooks.pilot(m);
      const row = czeros(numUsers * nt);
      ccopy(row, 0, H, m * numUsers * nt, numUsers * nt);
      const noise = czeros(nt);
      for (let u = 0; u < numUsers; u++) {
        const beta = gain[m * numUsers + u];
        this.rng.csi.complexNormal(noise, nmse * beta);
        for (let i = 0; i < 2 * nt; i++) row[2 * u * nt + i] += noise[i];
        if (this.p.csiQuantBits > 0) quantise(row, u * nt, nt, Math.sqrt(beta / 2), this.p.csiQuantBits);
      }
      const gains = gain.slice(m * numUsers, (m + 1) * numUsers);
      this.hooks.at(t + this.p.csiFeedbackDelayUs, () => this.reportArrives(m, slot, row, gains));
    }
  }

  private reportArrives(m: number, measuredSlot: number, row: CArray, gains: Float64Array): void {
    const v = this.apViews[m];
    this.hooks.report(m, measuredSlot);
    if (measuredSlot <= v.measuredSlot[m]) return;
    storeRow(this.topo, v, m, measuredSlot, row, gains);
    const echoes = this.echoesOf(m, v);
    const msg: FronthaulMessage = {
      kind: 'csi',
      from: m,
      to: -1,
      measuredSlot,
      row,
      gains,
      echoes,
      ...(this.p.csiQuantBits > 0 ? { csiBitsPerReal: this.p.csiQuantBits } : {}),
    };
    this.fronthaul.send(msg);
    if (this.shareEchoes && echoes.targets.length) {
      for (let n = 0; n < this.topo.numBs; n++) if (n !== m) this.fronthaul.send({ kind: 'echo-share', from: m, to: n, echoes });
    }
  }

  /** The echo estimates AP m reports: its monostatic targets, or its row of the multistatic ones. */
  private echoesOf(m: number, v: CsiView): EchoEstimates {
    const T = this.topo.numTargets;
    if (this.topo.sensingGeometry === 'multistatic') {
      const targets = Int32Array.from({ length: T }, (_, t) => t).filter((t) => v.targetApSlot[m * T + t] >= 0);
      return {
        targets,
        theta: Float64Array.from(targets, (t) => v.targetApThetaRad[m * T + t]),
        alpha: czeros(0),
        gain: Float64Array.from(targets, (t) => v.targetApGain[m * T + t]),
        slot: Int32Array.from(targets, (t) => v.targetApSlot[m * T + t]),
      };
    }
    const targets = this.topo.targetsOf[m];
    const alpha = czeros(targets.length);
    targets.forEach((i, j) => ccopy(alpha, j, v.targetAlpha, i, 1));
    return {
      targets,
      theta: Float64Array.from(targets, (i) => v.targetThetaRad[i]),
      alpha,
      gain: new Float64Array(0),
      slot: Int32Array.from(targets, (i) => v.targetSlot[i]),
    };
  }

  /** A `csi` or `echo-share` message reached its receiver. */
  receive(msg: FronthaulMessage): void {
    if (msg.kind === 'csi') {
      const v = this.cpuView;
      // Jitter may reorder messages: keep only what is newer than what the CPU has.
      if (msg.measuredSlot > v.measuredSlot[msg.from]) storeRow(this.topo, v, msg.from, msg.measuredSlot, msg.row, msg.gains);
      if (this.mergeEchoes(v, msg.from, msg.echoes)) this.cpuSensDirty = true;
    } else if (msg.kind === 'echo-share') {
      if (this.mergeEchoes(this.apViews[msg.to], msg.from, msg.echoes)) this.sensDirty[msg.to] = true;
    }
  }

  private mergeEchoes(v: CsiView, from: number, e: EchoEstimates): boolean {
    const T = this.topo.numTargets;
    let changed = false;
    e.targets.forEach((t, j) => {
      if (e.gain.length) {
        const k = from * T + t;
        if (e.slot[j] <= v.targetApSlot[k]) return;
        v.targetApThetaRad[k] = e.theta[j];
        v.targetApGain[k] = e.gain[j];
        v.targetApSlot[k] = e.slot[j];
        if (this.topo.targetBs[t] === from) {
          v.targetThetaRad[t] = e.theta[j];
          v.targetSlot[t] = e.slot[j];
        }
        changed = true;
      } else if (e.slot[j] > v.targetSlot[t]) {
        v.targetThetaRad[t] = e.theta[j];
        ccopy(v.targetAlpha, t, e.alpha, j, 1);
        v.targetSlot[t] = e.slot[j];
        changed = true;
      }
    });
    return changed;
  }

  // ---------------------------------------------------------------- echoes

  /** Each AP estimates the angles (and coefficients) of the targets it senses from this slot's echoes. */
  echoes(slot: number, multistaticGain?: Float64Array): void {
    const sd = this.p.angleStdRad;
    const nmseA = 10 ** (this.p.alphaNmseDb / 10);
    const st = this.channel;
    const e = [0, 0];
    const err = () => {
      e[0] = Math.sqrt(nmseA / 2) * this.rng.alpha.normal();
      e[1] = Math.sqrt(nmseA / 2) * this.rng.alpha.normal();
    };
    const T = this.topo.numTargets;
    for (let m = 0; m < this.topo.numBs; m++) {
      const v = this.apViews[m];
      if (this.topo.sensingGeometry === 'multistatic') {
        for (let t = 0; t < T; t++) {
          const k = m * T + t;
          v.targetApThetaRad[k] = st.apTargetThetaRad[k] + sd * this.rng.echo.normal();
          err();
          v.targetApGain[k] = multistaticGain![k] * ((1 + e[0]) ** 2 + e[1] ** 2);
          v.targetApSlot[k] = slot;
          if (this.topo.targetBs[t] === m) {
            v.targetThetaRad[t] = v.targetApThetaRad[k];
            v.targetSlot[t] = slot;
          }
        }
        if (T) this.sensDirty[m] = true;
        continue;
      }
      const targets = this.topo.targetsOf[m];
      for (const i of targets) {
        v.targetThetaRad[i] = st.targetThetaRad[i] + sd * this.rng.echo.normal();
        err();
        const ar = st.targetAlpha[2 * i];
        const ai = st.targetAlpha[2 * i + 1];
        // α̂ = α (1 + e): relative error of power NMSE_α.
        v.targetAlpha[2 * i] = ar * (1 + e[0]) - ai * e[1];
        v.targetAlpha[2 * i + 1] = ar * e[1] + ai * (1 + e[0]);
        v.targetSlot[i] = slot;
      }
      if (targets.length) this.sensDirty[m] = true;
    }
  }
}

function storeRow(topo: Topology, v: CsiView, m: number, measuredSlot: number, row: CArray, gains: Float64Array): void {
  const { numUsers, numTxAnt: nt } = topo;
  v.H.set(row, 2 * m * numUsers * nt);
  v.gain.set(gains, m * numUsers);
  v.known[m] = 1;
  v.measuredSlot[m] = measuredSlot;
}
