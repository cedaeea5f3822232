/**
 * The twin: a multicell ISAC network run slot by slot on the virtual-time kernel.
 *
 * Per slot s (time t = s·T_slot), at equal times in this order (see Priority):
 *   mobility    nodes move by one slot, fading evolves, true channels of slot s are formed
 *   delivery    CSI reports and backhaul messages due now arrive (RxJS `timer` on virtual time)
 *   sounding    pilots (every pilotPeriodSlots): each BS's links are measured with estimation
 *               error (and quantisation) and the report is sent back, arriving after the
 *               feedback delay; echoes (every echo.periodSlots) give each BS noisy target angles
 *   decision    each BS (distributed policy) or the central unit (centralised policy) decides
 *               from its own latest view; the result lands after the decision latency (and for
 *               the central unit, after the downlink backhaul); past the deadline the fallback
 *               policy acts locally until it lands
 *   apply       landed beamformers take effect
 *   metrics     the slot is evaluated on the TRUE channel with the beamformers in force, and
 *               reported on `slots$` (shadow policies beside it)
 * When a BS's CSI report arrives it forwards that row and its target estimates to the central
 * unit over the backhaul (delay + jitter), so the central unit always knows older CSI than BSs.
 *
 * Randomness: independent streams per purpose (placement, mobility, fading, csi, echo,
 * backhaul-up, backhaul-down, policy, shadow policies) from the scenario seed, so runs of the same
 * scenario and seed see the same channels whatever the policy (common random numbers).
 */
import { map, mergeMap, Subject, timer } from 'rxjs';
import { absInnerH2, ccopy, czeros, norm2, type CArray } from '../phy/complex.ts';
import { ChannelModel } from '../phy/channel.ts';
import { steeringInto } from '../phy/geometry.ts';
import { Population } from '../phy/mobility.ts';
import { zeroBeamformers, type Beamformers, type Topology } from '../phy/network.ts';
import { streamFor, type Rng } from '../phy/random.ts';
import {
  emptySensingChannels,
  emptySlotMetrics,
  evaluateInto,
  NumericalError,
  sensingChannelsInto,
  type SensingChannels,
  type SlotMetrics,
} from '../metrics/isac.ts';
import type { Crlb } from '../metrics/localization.ts';
import { resolvePolicy } from '../policies/registry.ts';
import { decideAllFrom, type CsiView, type DecisionContext, type DecisionReport, type DistributedPolicy, type Policy } from '../policies/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import type { LocSlot, SlotRecord, TwinEvent } from './events.ts';
import { Localization } from './localization.ts';
import { Priority, VirtualScheduler } from './scheduler.ts';

export interface TwinOptions {
  /**
   * Reads a monotonic wall clock in ms (e.g. performance.now), injected by the application
   * edge to measure policies' compute time. Without it compute times are not measured and
   * `decision.latency: measured` is refused.
   */
  computeClock?: () => number;
}

/** Beamformers in force at a BS, with where they came from. */
interface InForce {
  W: CArray;
  policy: string;
  fallback: boolean;
  decidedSlot: number;
  /** Measurement slot of the CSI row this BS's beams were computed from (-1 none). */
  csiSlot: number;
  decisionMs: number;
  beamAzDeg: number;
  /** Solver report of the decision (optimisation-based policies). */
  report?: DecisionReport;
}

interface CsiMessage {
  from: number;
  measuredSlot: number;
  /** [numUsers, numTxAnt] estimated row of BS `from`. */
  row: CArray;
  targets: Int32Array;
  theta: Float64Array;
  alpha: CArray;
  targetSlot: Int32Array;
  sentUs: number;
}

interface BeamsMessage {
  to: number;
  beams: InForce;
  sentUs: number;
}

function emptyView(topo: Topology, owner: number): CsiView {
  return {
    owner,
    H: czeros(topo.numBs * topo.numUsers * topo.numTxAnt),
    known: new Uint8Array(topo.numBs),
    measuredSlot: new Int32Array(topo.numBs).fill(-1),
    gain: new Float64Array(topo.numBs * topo.numUsers),
    targetThetaRad: new Float64Array(topo.numTargets),
    targetAlpha: czeros(topo.numTargets),
    targetSlot: new Int32Array(topo.numTargets).fill(-1),
    sens: emptySensingChannels(topo),
  };
}

/**
 * Main-beam finder: the direction θ maximising Σ_k |a(θ)ᴴ w_k|² over the array's front half-plane,
 * on a 4° grid of precomputed steering vectors refined by a parabola through the best three
 * points. Used for the dashboard's map and the `beam_az_deg` column; ±1° is plenty there.
 */
class BeamFinder {
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
    const nt = this.topo.numTxAnt;
    let g = 0;
    for (let k = 0; k < rows; k++) g += absInnerH2(this.table, i * nt, W, k * nt, nt);
    return g;
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

interface Shadow {
  name: string;
  policy: Policy;
  rng: Rng;
  W: Beamformers;
  metrics: SlotMetrics;
}

export class Twin {
  readonly scheduler = new VirtualScheduler();
  /** Discrete events (pilots, reports, backhaul, decisions, …). */
  readonly events$ = new Subject<TwinEvent>();
  /** One record per slot. */
  readonly slots$ = new Subject<SlotRecord>();
  readonly topo: Topology;
  readonly scenario: Scenario;
  readonly slotUs: number;
  readonly durationSlots: number;

  private readonly users: Population;
  private readonly targets: Population;
  private readonly channel: ChannelModel;
  private readonly trueSens: SensingChannels;
  private readonly metrics: SlotMetrics;
  private readonly bsViews: CsiView[];
  private readonly cuView: CsiView;
  private readonly sensDirty: boolean[];
  private readonly inForce: InForce[];
  private readonly busyUntilUs: number[];
  private cuBusyUntilUs = 0;
  private readonly policy: Policy;
  private readonly fallback: DistributedPolicy;
  private readonly shadows: Shadow[];
  private readonly rng: Record<'csi' | 'echo' | 'up' | 'down' | 'policy' | 'fallback', Rng>;
  private readonly uplink$ = new Subject<CsiMessage>();
  private readonly downlink$ = new Subject<BeamsMessage>();
  private readonly previous: Beamformers[];
  private readonly beamFinder: BeamFinder;
  private slotsDone = 0;
  private currentSlot = -1;
  /** TOA localisation (paper 003), when the scenario has a `localization:` section. */
  private readonly loc?: Localization;

  constructor(
    loaded: LoadedScenario,
    private readonly options: TwinOptions = {},
  ) {
    const s = loaded.scenario;
    this.scenario = s;
    this.topo = loaded.topology;
    const topo = this.topo;
    this.slotUs = Math.round(s.timing.slotMs * 1000);
    this.durationSlots = s.durationSlots;
    if (s.timing.decision.latency === 'measured' && !options.computeClock) {
      throw new Error('decision latency "measured" needs a compute clock (TwinOptions.computeClock)');
    }
    const seed = s.seed;
    const geo = { cellCentresM: topo.bsPosM, cellRadiusM: topo.cellRadiusM };
    this.users = new Population(topo.userBs, geo, s.users.mobility, s.users.placement, streamFor(seed, 'users'));
    this.targets = new Population(topo.targetBs, geo, s.targets.mobility, s.targets.placement, streamFor(seed, 'targets'));
    this.channel = new ChannelModel(
      topo,
      { ...s.channel, rcsM2: s.targets.rcsM2 },
      s.timing.slotMs / 1000,
      streamFor(seed, 'fading'),
    );
    this.trueSens = emptySensingChannels(topo);
    this.metrics = emptySlotMetrics(topo);
    this.bsViews = topo.servedUsers.map((_, m) => {
      // A BS view's equivalent sensing channels are rebuilt from its estimates only when a
      // policy reads them (most classic policies never do).
      const view = emptyView(topo, m);
      const sens = view.sens;
      Object.defineProperty(view, 'sens', {
        enumerable: true,
        get: () => {
          if (this.sensDirty[m]) {
            sensingChannelsInto(sens, topo, view.targetThetaRad, view.targetAlpha, this.channel.state.G);
            this.sensDirty[m] = false;
          }
          return sens;
        },
      });
      return view;
    });
    this.cuView = emptyView(topo, -1);
    this.sensDirty = topo.servedUsers.map(() => true);
    this.inForce = topo.servedUsers.map((users) => ({
      W: czeros(users.length * topo.numTxAnt),
      policy: 'none',
      fallback: false,
      decidedSlot: -1,
      csiSlot: -1,
      decisionMs: NaN,
      beamAzDeg: NaN,
    }));
    this.busyUntilUs = topo.servedUsers.map(() => 0);
    this.previous = topo.servedUsers.map(() => zeroBeamformers(topo));
    this.beamFinder = new BeamFinder(topo);
    this.rng = {
      csi: streamFor(seed, 'csi'),
      echo: streamFor(seed, 'echo'),
      up: streamFor(seed, 'backhaul-up'),
      down: streamFor(seed, 'backhaul-down'),
      policy: streamFor(seed, `policy:${s.policy.name}`),
      fallback: streamFor(seed, `fallback:${s.timing.decision.fallback}`),
    };
    this.policy = resolvePolicy(s.policy, topo);
    const fb = resolvePolicy({ name: s.timing.decision.fallback, params: {} }, topo);
    if (fb.scope !== 'distributed') throw new Error(`fallback policy "${fb.name}" must be distributed`);
    this.fallback = fb;
    this.shadows = s.shadows.map((spec, i) => ({
      name: spec.name,
      policy: resolvePolicy(spec, topo),
      rng: streamFor(seed, `shadow:${i}:${spec.name}`),
      W: zeroBeamformers(topo),
      metrics: emptySlotMetrics(topo),
    }));
    if (topo.localization && s.localization) {
      this.loc = new Localization(topo, s, streamFor(seed, 'localization-targets'), streamFor(seed, 'localization-zeta'), streamFor(seed, 'localization-estimate'));
      this.cuView.loc = this.loc.initialView();
    }
    this.wireBackhaul();
    if ([this.policy, ...this.shadows.map((sh) => sh.policy)].some((p) => p.scope === 'distributed' && p.needsSharedEchoes)) this.wireEchoSharing();
    this.scheduler.at(0, Priority.mobility, () => this.slotStart(0));
  }

  /** Slots fully simulated and reported so far. */
  get slotsCompleted(): number {
    return this.slotsDone;
  }

  get finished(): boolean {
    return this.slotsDone >= this.durationSlots;
  }

  /** Simulates up to `n` more slots (bounded by the scenario's duration). Returns slots run. */
  runSlots(n: number): number {
    const before = this.slotsDone;
    const target = Math.min(this.durationSlots, this.slotsDone + n);
    if (target > before) this.scheduler.runUntil(target * this.slotUs - 1);
    return this.slotsDone - before;
  }

  /** Current positions and true channels (snapshots, tests). Do not mutate. */
  get truth() {
    return {
      userPosM: this.users.posM,
      userVelMps: this.users.velMps,
      targetPosM: this.targets.posM,
      channel: this.channel.state,
      sens: this.trueSens,
      loc: this.loc?.truth,
    };
  }

  /** Beamformers in force now, per BS (copies). */
  beamsInForce(): Beamformers {
    return this.inForce.map((f) => Float64Array.from(f.W));
  }

  /** A copy of a decision-maker's view (BS index, or -1 for the central unit). */
  viewOf(owner: number): CsiView {
    const v = owner < 0 ? this.cuView : this.bsViews[owner];
    return structuredClone(v);
  }

  private emit(e: TwinEvent): void {
    if (this.events$.observed) this.events$.next(e);
  }

  // ---------------------------------------------------------------- slot life cycle

  private slotStart(slot: number): void {
    const t = slot * this.slotUs;
    this.currentSlot = slot;
    if (slot > 0) {
      const dt = this.slotUs / 1e6;
      this.users.step(dt);
      this.targets.step(dt);
    }
    this.channel.update(this.users, this.targets, slot);
    this.loc?.advance(slot, this.slotUs / 1e6);
    const st = this.channel.state;
    sensingChannelsInto(this.trueSens, this.topo, st.targetThetaRad, st.targetAlpha, st.G);

    const tm = this.scenario.timing;
    if (slot >= tm.pilotOffsetSlots && (slot - tm.pilotOffsetSlots) % tm.pilotPeriodSlots === 0) {
      this.scheduler.at(t, Priority.sounding, () => this.pilots(slot));
    }
    if (slot % tm.echo.periodSlots === 0) this.scheduler.at(t, Priority.sounding, () => this.echoes(slot));
    if (slot % tm.decision.periodSlots === 0) this.scheduler.at(t, Priority.decision, () => this.decide(slot));
    this.scheduler.at(t, Priority.metrics, () => this.evaluate(slot));
    if (slot + 1 < this.durationSlots) this.scheduler.at(t + this.slotUs, Priority.mobility, () => this.slotStart(slot + 1));
  }

  /** Every BS sounds its links; each report reaches the BS after the feedback delay. */
  private pilots(slot: number): void {
    const { numBs, numUsers, numTxAnt: nt } = this.topo;
    const tm = this.scenario.timing;
    const t = this.scheduler.now();
    const nmse = 10 ** (tm.csiNmseDb / 10);
    const { H, gain } = this.channel.state;
    const delayUs = Math.round(tm.csiFeedbackDelayMs * 1000);
    for (let m = 0; m < numBs; m++) {
      this.emit({ kind: 'pilot', tUs: t, slot, bs: m });
      const row = czeros(numUsers * nt);
      ccopy(row, 0, H, m * numUsers * nt, numUsers * nt);
      const noise = czeros(nt);
      for (let u = 0; u < numUsers; u++) {
        const beta = gain[m * numUsers + u];
        this.rng.csi.complexNormal(noise, nmse * beta);
        for (let i = 0; i < 2 * nt; i++) row[2 * u * nt + i] += noise[i];
        if (tm.csiQuantBits > 0) quantise(row, u * nt, nt, Math.sqrt(beta / 2), tm.csiQuantBits);
      }
      const gains = gain.slice(m * numUsers, (m + 1) * numUsers);
      this.scheduler.at(t + delayUs, Priority.delivery, () => this.csiArrives(m, slot, row, gains));
    }
  }

  private csiArrives(m: number, measuredSlot: number, row: CArray, gains: Float64Array): void {
    const t = this.scheduler.now();
    const v = this.bsViews[m];
    this.emit({ kind: 'csi-report', tUs: t, slot: this.currentSlot, bs: m, measuredSlot });
    if (measuredSlot <= v.measuredSlot[m]) return;
    this.storeRow(v, m, measuredSlot, row, gains);
    const targets = this.topo.targetsOf[m];
    const theta = Float64Array.from(targets, (i) => v.targetThetaRad[i]);
    const alpha = czeros(targets.length);
    targets.forEach((i, j) => ccopy(alpha, j, v.targetAlpha, i, 1));
    this.uplink$.next({
      from: m,
      measuredSlot,
      row,
      targets,
      theta,
      alpha,
      targetSlot: Int32Array.from(targets, (i) => v.targetSlot[i]),
      sentUs: t,
    });
  }

  private storeRow(v: CsiView, m: number, measuredSlot: number, row: CArray, gains: Float64Array): void {
    const { numUsers, numTxAnt: nt } = this.topo;
    v.H.set(row, 2 * m * numUsers * nt);
    v.gain.set(gains, m * numUsers);
    v.known[m] = 1;
    v.measuredSlot[m] = measuredSlot;
  }

  /** Each BS estimates its targets' angles from the echoes of this slot. */
  private echoes(slot: number): void {
    const sd = (this.scenario.timing.echo.angleStdDeg * Math.PI) / 180;
    const st = this.channel.state;
    for (let m = 0; m < this.topo.numBs; m++) {
      const v = this.bsViews[m];
      const targets = this.topo.targetsOf[m];
      for (const i of targets) {
        v.targetThetaRad[i] = st.targetThetaRad[i] + sd * this.rng.echo.normal();
        ccopy(v.targetAlpha, i, st.targetAlpha, i, 1);
        v.targetSlot[i] = slot;
      }
      if (targets.length) this.sensDirty[m] = true;
    }
  }

  // ---------------------------------------------------------------- backhaul

  private wireBackhaul(): void {
    const bh = this.scenario.timing.backhaul;
    const delay = (rng: Rng) => Math.round((bh.delayMs + bh.jitterMs * rng.uniform()) * 1000);
    this.uplink$
      .pipe(mergeMap((msg) => timer(delay(this.rng.up), this.scheduler).pipe(map(() => msg))))
      .subscribe((msg) => this.cuReceives(msg));
    this.downlink$
      .pipe(mergeMap((msg) => timer(delay(this.rng.down), this.scheduler).pipe(map(() => msg))))
      .subscribe((msg) => this.bsReceivesBeams(msg));
  }

  /**
   * Echo sharing between BSs (only for policies with `needsSharedEchoes`): each CSI report a BS
   * forwards to the central unit also goes, with its target estimates, to every other BS over the
   * backhaul (delay + jitter from the stream 'backhaul-bs'), so BS m knows other cells' target
   * angles as of their last report, stale by the feedback and backhaul delays. No event is logged.
   */
  private wireEchoSharing(): void {
    const bh = this.scenario.timing.backhaul;
    const rng = streamFor(this.scenario.seed, 'backhaul-bs');
    this.uplink$
      .pipe(mergeMap((msg) => timer(Math.round((bh.delayMs + bh.jitterMs * rng.uniform()) * 1000), this.scheduler).pipe(map(() => msg))))
      .subscribe((msg) => {
        for (let n = 0; n < this.topo.numBs; n++) {
          if (n === msg.from) continue;
          const v = this.bsViews[n];
          msg.targets.forEach((i, j) => {
            if (msg.targetSlot[j] > v.targetSlot[i]) {
              v.targetThetaRad[i] = msg.theta[j];
              ccopy(v.targetAlpha, i, msg.alpha, j, 1);
              v.targetSlot[i] = msg.targetSlot[j];
              this.sensDirty[n] = true;
            }
          });
        }
      });
  }

  private cuReceives(msg: CsiMessage): void {
    const t = this.scheduler.now();
    this.emit({ kind: 'backhaul', tUs: t, slot: this.currentSlot, from: msg.from, to: -1, payload: 'csi', sentUs: msg.sentUs });
    const v = this.cuView;
    // Jitter may reorder messages: keep only what is newer than what the CU has.
    if (msg.measuredSlot > v.measuredSlot[msg.from]) {
      const { numUsers } = this.topo;
      this.storeRow(v, msg.from, msg.measuredSlot, msg.row, this.bsViews[msg.from].gain.slice(msg.from * numUsers, (msg.from + 1) * numUsers));
    }
    let changed = false;
    msg.targets.forEach((i, j) => {
      if (msg.targetSlot[j] > v.targetSlot[i]) {
        v.targetThetaRad[i] = msg.theta[j];
        ccopy(v.targetAlpha, i, msg.alpha, j, 1);
        v.targetSlot[i] = msg.targetSlot[j];
        changed = true;
      }
    });
    if (changed) sensingChannelsInto(v.sens, this.topo, v.targetThetaRad, v.targetAlpha, this.channel.state.G);
  }

  private bsReceivesBeams(msg: BeamsMessage): void {
    const t = this.scheduler.now();
    this.emit({ kind: 'backhaul', tUs: t, slot: this.currentSlot, from: -1, to: msg.to, payload: 'beams', sentUs: msg.sentUs });
    this.applyBeams(msg.to, msg.beams);
  }

  // ---------------------------------------------------------------- decisions

  private context(slot: number, rng: Rng, previous?: Beamformers): DecisionContext {
    return { topo: this.topo, rho: this.scenario.rho, slot, rng, previous };
  }

  /** Runs `fn` and returns its result with its compute time (ms, NaN when not measured). */
  private timed<T>(fn: () => T): { value: T; ms: number } {
    const clock = this.options.computeClock;
    if (!clock) return { value: fn(), ms: NaN };
    const t0 = clock();
    const value = fn();
    return { value, ms: clock() - t0 };
  }

  /** Simulated decision latency (µs) for a decision that took `ms` of compute. */
  private latencyUs(ms: number): number {
    const d = this.scenario.timing.decision;
    if (d.latency === 'fixed') return Math.round(d.fixedMs * 1000);
    if (d.latency === 'measured') return Math.max(0, Math.round(ms * d.measuredScale * 1000));
    return 0;
  }

  private decide(slot: number): void {
    const t = this.scheduler.now();
    const d = this.scenario.timing.decision;
    const deadlineUs = d.deadlineMs === undefined ? Infinity : Math.round(d.deadlineMs * 1000);
    this.decideShadows(slot);
    if (this.policy.scope === 'distributed') {
      const policy = this.policy;
      for (let m = 0; m < this.topo.numBs; m++) {
        const view = this.bsViews[m];
        if (!view.known[m] || t < this.busyUntilUs[m]) continue;
        const ctx = this.context(slot, this.rng.policy, this.previous[m]);
        const { value: W, ms } = this.timed(() => policy.decide(m, view, ctx));
        this.previous[m][m] = W;
        const lat = this.latencyUs(ms);
        this.busyUntilUs[m] = t + lat;
        this.emit({ kind: 'decision', tUs: t, slot, by: m, policy: policy.name, computeMs: Number.isNaN(ms) ? null : ms, latencyUs: lat });
        const beams = this.forceOf(W, policy.name, slot, view.measuredSlot[m], ms);
        if (lat > deadlineUs) this.fallbackAt(m, t + deadlineUs, lat);
        this.scheduler.at(t + lat, Priority.apply, () => this.applyBeams(m, beams));
      }
      return;
    }
    const view = this.cuView;
    if (t < this.cuBusyUntilUs || !view.known.every((k) => k === 1)) return;
    const policy = this.policy;
    const reports: DecisionReport[] = [];
    const ctx = { ...this.context(slot, this.rng.policy, this.previous[0]), report: (r: DecisionReport) => void reports.push(r) };
    const { value: all, ms } = this.timed(() => policy.decideAll(view, ctx));
    const report = reports[reports.length - 1];
    this.previous[0] = all;
    const lat = this.latencyUs(ms);
    this.cuBusyUntilUs = t + lat;
    this.emit({ kind: 'decision', tUs: t, slot, by: -1, policy: policy.name, computeMs: Number.isNaN(ms) ? null : ms, latencyUs: lat });
    if (report) this.emitSolve(t, slot, report);
    this.scheduler.at(t + lat, Priority.apply, () => {
      all.forEach((W, m) => {
        const beams = this.forceOf(W, report?.fallback ?? policy.name, slot, view.measuredSlot[m], ms);
        if (report) {
          beams.report = report;
          beams.fallback = report.fallback !== undefined;
        }
        this.downlink$.next({ to: m, beams, sentUs: this.scheduler.now() });
      });
    });
    if (lat > deadlineUs) for (let m = 0; m < this.topo.numBs; m++) this.fallbackAt(m, t + deadlineUs, lat);
  }

  /**
   * A solver report: a `solve` event for every solve, and a `warning` when the design failed and
   * the policy's own fallback acts instead (the BSs' slots are then flagged `fallback`).
   */
  private emitSolve(tUs: number, slot: number, r: DecisionReport): void {
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    this.emit({
      kind: 'solve',
      tUs,
      slot,
      by: -1,
      policy: r.policy,
      status: r.status,
      iterations: r.iterations,
      rankOneRatio: num(r.rankOneRatio),
      extraction: r.extraction,
      predictedCrlbM2: num(r.predictedCrlbM2),
      fallback: r.fallback ?? null,
    });
    if (r.fallback) this.emit({ kind: 'warning', tUs, slot, message: `${r.policy}: ${r.status} instance, ${r.fallback} acts instead` });
  }

  /** Past the deadline BS m acts with the fallback policy on its own view, until the slow result lands. */
  private fallbackAt(m: number, tUs: number, latencyUs: number): void {
    this.scheduler.at(tUs, Priority.apply, () => {
      const view = this.bsViews[m];
      this.emit({
        kind: 'deadline-miss',
        tUs,
        slot: this.currentSlot,
        by: this.policy.scope === 'distributed' ? m : -1,
        policy: this.policy.name,
        latencyUs,
        fallback: this.fallback.name,
      });
      if (!view.known[m]) return;
      const ctx = this.context(this.currentSlot, this.rng.fallback);
      const { value: W, ms } = this.timed(() => this.fallback.decide(m, view, ctx));
      const beams = this.forceOf(W, this.fallback.name, this.currentSlot, view.measuredSlot[m], ms);
      beams.fallback = true;
      this.applyBeams(m, beams);
    });
  }

  private forceOf(W: CArray, policy: string, decidedSlot: number, csiSlot: number, ms: number): InForce {
    return { W, policy, fallback: false, decidedSlot, csiSlot, decisionMs: ms, beamAzDeg: this.beamFinder.azimuthDeg(W) };
  }

  private applyBeams(m: number, beams: InForce): void {
    const cur = this.inForce[m];
    // A late result never replaces a newer decision already in force.
    if (beams.decidedSlot < cur.decidedSlot && !cur.fallback) return;
    const budget = this.topo.powerW[m];
    const p = norm2(beams.W);
    if (!Number.isFinite(p)) throw new NumericalError('beamformer power', m, p, this.currentSlot, `policy ${beams.policy}`);
    if (!(p <= budget * (1 + 1e-9))) {
      throw new Error(`policy ${beams.policy} exceeded the power budget of BS ${m}: ${p} W > ${budget} W`);
    }
    this.inForce[m] = beams;
    this.emit({ kind: 'apply', tUs: this.scheduler.now(), slot: this.currentSlot, bs: m, policy: beams.policy, decidedSlot: beams.decidedSlot, fallback: beams.fallback });
  }

  /** Shadows decide on the same views as the acting policy, instantly. */
  private decideShadows(slot: number): void {
    for (const sh of this.shadows) {
      if (sh.policy.scope === 'distributed') {
        const policy = sh.policy;
        for (let m = 0; m < this.topo.numBs; m++) {
          if (!this.bsViews[m].known[m]) continue;
            sh.W[m] = policy.decide(m, this.bsViews[m], this.context(slot, sh.rng, sh.W));
        }
      } else if (this.cuView.known.every((k) => k === 1)) {
        sh.W = decideAllFrom(sh.policy, this.cuView, this.context(slot, sh.rng, sh.W));
      }
    }
  }

  // ---------------------------------------------------------------- metrics

  private evaluate(slot: number): void {
    const st = this.channel.state;
    const W = this.inForce.map((f) => f.W);
    const out = evaluateInto(this.metrics, this.topo, st.H, this.trueSens, W, this.scenario.rho, slot);
    const shadows = this.shadows.map((sh) => {
      const r = evaluateInto(sh.metrics, this.topo, st.H, this.trueSens, sh.W, this.scenario.rho, slot);
      return { name: sh.name, rc: r.rc, rs: r.rs, objective: r.objective };
    });
    const locCrlb = this.loc ? this.localize(slot, W) : undefined;
    this.slotsDone = slot + 1;
    if (!this.slots$.observed) return;
    const { userBs } = this.topo;
    const age = new Int32Array(this.topo.numUsers);
    for (let u = 0; u < age.length; u++) {
      const c = this.inForce[userBs[u]].csiSlot;
      age[u] = c < 0 ? -1 : slot - c;
    }
    const thetaEst = new Float64Array(this.topo.numTargets);
    this.topo.targetBs.forEach((m, i) => (thetaEst[i] = this.bsViews[m].targetSlot[i] < 0 ? NaN : this.bsViews[m].targetThetaRad[i]));
    this.slots$.next({
      slot,
      tUs: slot * this.slotUs,
      rc: out.rc,
      rs: out.rs,
      objective: out.objective,
      userSinr: out.userSinr.slice(),
      userRate: out.userRate.slice(),
      userCsiAge: age,
      userPosM: this.users.posM.slice(),
      targetSinr: out.targetSinr.slice(),
      targetRate: out.targetRate.slice(),
      targetPosM: this.targets.posM.slice(),
      targetThetaRad: st.targetThetaRad.slice(),
      targetThetaEstRad: thetaEst,
      bs: {
        policy: this.inForce.map((f) => f.policy),
        fallback: Uint8Array.from(this.inForce, (f) => (f.fallback ? 1 : 0)),
        powerW: out.bsPowerW.slice(),
        beamAzDeg: Float64Array.from(this.inForce, (f) => f.beamAzDeg),
        decisionMs: Float64Array.from(this.inForce, (f) => f.decisionMs),
        decidedSlot: Int32Array.from(this.inForce, (f) => f.decidedSlot),
      },
      shadows,
      ...(locCrlb ? { loc: this.locRecord(locCrlb) } : {}),
    });
  }

  /** CRLB of every localised target with the beams in force; the controller's estimate of this slot. */
  private localize(slot: number, W: CArray[]): Crlb[] {
    const loc = this.loc!;
    const crlb = loc.evaluate(W);
    const e = this.scenario.localization!.estimate;
    if (slot % e.periodSlots === 0) {
      const est = loc.estimate(slot, crlb, e.gateM);
      this.scheduler.at(this.scheduler.now() + Math.round(e.delayMs * 1000), Priority.delivery, () => loc.deliver(this.cuView.loc!, est));
    }
    return crlb;
  }

  private locRecord(crlb: Crlb[]): LocSlot {
    const loc = this.loc!;
    const view = this.cuView.loc!;
    // The decision in force: the most recent one applied at any BS.
    const f = this.inForce.reduce((a, b) => (b.decidedSlot > a.decidedSlot ? b : a));
    const r = f.report;
    return {
      posM: Float64Array.from(loc.targets.posM),
      estPosM: Float64Array.from(view.posM),
      estSlot: Int32Array.from(view.slot),
      crlbM2: Float64Array.from(crlb, (c) => c.sumM2),
      crlbXM2: Float64Array.from(crlb, (c) => c.xM2),
      crlbYM2: Float64Array.from(crlb, (c) => c.yM2),
      policy: r?.policy ?? f.policy,
      solverStatus: r?.status ?? null,
      solverIterations: r?.iterations ?? NaN,
      rankOneRatio: r?.rankOneRatio ?? NaN,
      infeasible: r?.fallback !== undefined,
      decidedSlot: f.decidedSlot,
    };
  }
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
