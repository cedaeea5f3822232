/**
 * The twin: a multicell or cell-free ISAC network run slot by slot on the virtual-time kernel.
 * This file is the composition root; each concept has its room:
 *   csi.ts          pilots, CSI reports, echo estimates, the views of every AP and the CPU
 *   fronthaul.ts    typed messages, payload sizes, links with delay, jitter and capacity
 *   decisions.ts    distributed / centralised / hierarchical / multi-round decisions, fallback, shadows
 *   association.ts  who serves whom, handovers
 *   records.ts      evaluation on the true channel and the slot records
 *
 * Per slot s (time t = s·T_slot), at equal times in this order (see Priority):
 *   mobility    nodes move by one slot, fading evolves, true channels of slot s are formed;
 *               every handover period the association is re-evaluated
 *   delivery    CSI reports and fronthaul messages due now arrive (RxJS `timer` on virtual time)
 *   sounding    pilots (every pilotPeriodSlots) and echoes (every echo.periodSlots)
 *   decision    each decision-maker decides from its own latest view
 *   apply       landed beamformers take effect
 *   metrics     the slot is evaluated on the TRUE channel with the beamformers in force, and
 *               reported on `slots$` (shadow policies beside it)
 *
 * Randomness: independent streams per purpose (placement, mobility, fading, csi, echo,
 * echo-alpha, backhaul-up, backhaul-down, backhaul-bs, policy, shadow policies) from the scenario
 * seed, so runs of the same scenario and seed see the same channels whatever the policy.
 */
import { Subject } from 'rxjs';
import { ChannelModel } from '../phy/channel.ts';
import { Population } from '../phy/mobility.ts';
import { withAssociation, zeroBeamformers, type Beamformers, type Topology } from '../phy/network.ts';
import { streamFor } from '../phy/random.ts';
import { emptySensingChannels, multistaticGainsInto, multistaticSensingInto, sensingChannelsInto, type SensingChannels } from '../metrics/isac.ts';
import type { Crlb } from '../metrics/localization.ts';
import type { CsiView } from '../policies/types.ts';
import type { PolicySpec, Scenario } from '../scenario/schema.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import { initialAssociation, reassociate } from './association.ts';
import { CsiPlane } from './csi.ts';
import { Decisions, type Shadow } from './decisions.ts';
import type { LocSlot, SlotRecord, TwinEvent } from './events.ts';
import { Fronthaul } from './fronthaul.ts';
import { Localization } from './localization.ts';
import { Evaluator } from './records.ts';
import { Priority, VirtualScheduler } from './scheduler.ts';

export { quantise } from './csi.ts';

export interface TwinOptions {
  /**
   * Reads a monotonic wall clock in ms (e.g. performance.now), injected by the application
   * edge to measure policies' compute time. Without it compute times are not measured and
   * `decision.latency: measured` is refused.
   */
  computeClock?: () => number;
}

export class Twin {
  readonly scheduler = new VirtualScheduler();
  /** Discrete events (pilots, reports, fronthaul, decisions, handovers, …). */
  readonly events$ = new Subject<TwinEvent>();
  /** One record per slot. */
  readonly slots$ = new Subject<SlotRecord>();
  readonly scenario: Scenario;
  readonly slotUs: number;
  readonly durationSlots: number;

  private topology: Topology;
  private readonly users: Population;
  private readonly targets: Population;
  private readonly channel: ChannelModel;
  private readonly trueSens: SensingChannels;
  /** [numBs, numTargets] true multistatic illumination gains c_{m,t}. */
  private readonly trueGain: Float64Array;
  private readonly fronthaul: Fronthaul;
  private readonly csi: CsiPlane;
  private readonly decisions: Decisions;
  private readonly evaluator: Evaluator;
  private slotsDone = 0;
  /** An error raised in a fronthaul delivery (see the constructor); runSlots throws it. */
  private failure: { error: unknown } | undefined;
  private currentSlot = -1;
  /** TOA localisation (paper 003), when the scenario has a `localization:` section. */
  private readonly loc?: Localization;

  constructor(
    loaded: LoadedScenario,
    private readonly options: TwinOptions = {},
  ) {
    const s = loaded.scenario;
    this.scenario = s;
    let topo = loaded.topology;
    this.slotUs = Math.round(s.timing.slotMs * 1000);
    this.durationSlots = s.durationSlots;
    if (s.timing.decision.latency === 'measured' && !options.computeClock) {
      throw new Error('decision latency "measured" needs a compute clock (TwinOptions.computeClock)');
    }
    const seed = s.seed;
    const geo = {
      cellCentresM: topo.bsPosM,
      cellRadiusM: topo.cellRadiusM,
      ...(topo.area ? { area: { ...topo.area, apPosM: topo.bsPosM, minApDistanceM: s.channel.minDistanceM } } : {}),
    };
    this.users = new Population(topo.userBs, geo, s.users.mobility, s.users.placement, streamFor(seed, 'users'));
    this.targets = new Population(topo.targetBs, geo, s.targets.mobility, s.targets.placement, streamFor(seed, 'targets'));
    this.channel = new ChannelModel(topo, { ...s.channel, rcsM2: s.targets.rcsM2 }, s.timing.slotMs / 1000, streamFor(seed, 'fading'));
    // Once nodes are placed: targets to their nearest AP, cell-free users to their APs.
    this.channel.update(this.users, this.targets, 0);
    topo = withAssociation(topo, initialAssociation(topo, s.association, this.channel.state.gain, this.channel.state.apTargetDistM));
    this.topology = topo;
    this.channel.associate(topo, this.targets);
    this.trueSens = emptySensingChannels(topo);
    this.trueGain = new Float64Array(topo.numBs * topo.numTargets);

    const bh = s.timing.backhaul;
    this.fronthaul = new Fronthaul(topo.numBs, bh, this.scheduler, {
      up: streamFor(seed, 'backhaul-up'),
      down: streamFor(seed, 'backhaul-down'),
      peer: streamFor(seed, 'backhaul-bs'),
    });
    const resolvePolicy = (spec: PolicySpec) => loaded.policies.resolve(spec, topo);
    const policy = resolvePolicy(s.policy);
    const fb = resolvePolicy({ name: s.timing.decision.fallback, params: {} });
    if (fb.scope !== 'distributed') throw new Error(`fallback policy "${fb.name}" must be distributed`);
    const shadows: Shadow[] = s.shadows.map((spec, i) => ({
      name: spec.name,
      policy: resolvePolicy(spec),
      rng: streamFor(seed, `shadow:${i}:${spec.name}`),
      W: zeroBeamformers(topo),
      streams: topo.apStreams.slice(),
    }));
    const shareEchoes = [policy, ...shadows.map((sh) => sh.policy)].some((p) => p.scope === 'distributed' && p.needsSharedEchoes);
    const tm = s.timing;
    this.csi = new CsiPlane(
      topo,
      {
        csiNmseDb: tm.csiNmseDb,
        csiQuantBits: tm.csiQuantBits,
        csiFeedbackDelayUs: Math.round(tm.csiFeedbackDelayMs * 1000),
        angleStdRad: (tm.echo.angleStdDeg * Math.PI) / 180,
        alphaNmseDb: tm.echo.alphaNmseDb,
      },
      this.channel.state,
      this.fronthaul,
      { csi: streamFor(seed, 'csi'), echo: streamFor(seed, 'echo'), alpha: streamFor(seed, 'echo-alpha') },
      {
        pilot: (bs) => this.emit({ kind: 'pilot', tUs: this.scheduler.now(), slot: this.currentSlot, bs }),
        report: (bs, measuredSlot) => this.emit({ kind: 'csi-report', tUs: this.scheduler.now(), slot: this.currentSlot, bs, measuredSlot }),
        at: (tUs, fn) => this.scheduler.at(tUs, Priority.delivery, fn),
        now: () => this.scheduler.now(),
      },
      shareEchoes,
    );
    this.decisions = new Decisions(topo, policy, fb, shadows, {
      scheduler: this.scheduler,
      scenario: s,
      fronthaul: this.fronthaul,
      apViews: this.csi.apViews,
      cpuView: this.csi.cpuView,
      emit: (e) => this.emit(e),
      currentSlot: () => this.currentSlot,
      computeClock: options.computeClock,
      rng: { policy: streamFor(seed, `policy:${s.policy.name}`), fallback: streamFor(seed, `fallback:${s.timing.decision.fallback}`) },
    });
    this.evaluator = new Evaluator(topo, shadows.length, s.sensing.beampattern);
    // Deliveries run inside an RxJS subscriber, which would only report an error later, from a
    // timer, and crash the process: it is kept and thrown by runSlots, which stops at once.
    this.fronthaul.delivered$.subscribe(({ msg, sentUs, bits }) => {
      try {
        if (msg.kind !== 'echo-share') {
          this.emit({ kind: 'backhaul', tUs: this.scheduler.now(), slot: this.currentSlot, from: msg.from, to: msg.to, payload: msg.kind, sentUs, bits });
        }
        if (msg.kind === 'csi' || msg.kind === 'echo-share') this.csi.receive(msg);
        else this.decisions.receive(msg);
      } catch (e) {
        this.failure ??= { error: e };
      }
    });
    if (topo.localization && s.localization) {
      this.loc = new Localization(topo, s, streamFor(seed, 'localization-targets'), streamFor(seed, 'localization-zeta'), streamFor(seed, 'localization-estimate'));
      this.csi.cpuView.loc = this.loc.initialView();
    }
    this.scheduler.at(0, Priority.mobility, () => this.slotStart(0));
  }

  /** The topology with the association in force now. */
  get topo(): Topology {
    return this.topology;
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
    if (target > before) this.scheduler.runUntil(target * this.slotUs - 1, () => this.failure !== undefined);
    if (this.failure) throw this.failure.error;
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
    return this.decisions.inForce.map((f) => Float64Array.from(f.W));
  }

  /** A copy of a decision-maker's view (BS index, or -1 for the central unit). */
  viewOf(owner: number): CsiView {
    const v = owner < 0 ? this.csi.cpuView : this.csi.apViews[owner];
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
      this.channel.update(this.users, this.targets, slot);
    }
    const ho = this.scenario.association.handover;
    if (slot === 0) this.emitAssociation(t, slot);
    else if (ho.enabled && slot % ho.periodSlots === 0) this.handover(t, slot);
    this.loc?.advance(slot, this.slotUs / 1e6);
    this.senseTruth();

    const tm = this.scenario.timing;
    if (slot >= tm.pilotOffsetSlots && (slot - tm.pilotOffsetSlots) % tm.pilotPeriodSlots === 0) {
      this.scheduler.at(t, Priority.sounding, () => this.csi.pilots(slot));
    }
    if (slot % tm.echo.periodSlots === 0) this.scheduler.at(t, Priority.sounding, () => this.csi.echoes(slot, this.trueGain));
    if (slot % tm.decision.periodSlots === 0) this.scheduler.at(t, Priority.decision, () => this.decisions.decide(slot));
    this.scheduler.at(t, Priority.metrics, () => this.evaluate(slot));
    if (slot + 1 < this.durationSlots) this.scheduler.at(t + this.slotUs, Priority.mobility, () => this.slotStart(slot + 1));
  }

  /** The true sensing channels of this slot (monostatic MRC or multistatic at the CPU). */
  private senseTruth(): void {
    const st = this.channel.state;
    const topo = this.topology;
    if (topo.sensingGeometry === 'multistatic') {
      multistaticGainsInto(this.trueGain, topo, st.apTargetDistM, this.scenario.targets.rcsM2, this.scenario.channel.sensPathLossExp);
      multistaticSensingInto(this.trueSens, topo, st.apTargetThetaRad, this.trueGain);
    } else {
      sensingChannelsInto(this.trueSens, topo, st.targetThetaRad, st.targetAlpha, st.G);
    }
  }

  private emitAssociation(tUs: number, slot: number): void {
    const topo = this.topology;
    this.emit({
      kind: 'association',
      tUs,
      slot,
      version: topo.associationVersion,
      userAps: topo.userAps.map((a) => Array.from(a)),
      targetBs: Array.from(topo.targetBs),
    });
  }

  /** Re-evaluates the association; applies and logs any change. */
  private handover(tUs: number, slot: number): void {
    const st = this.channel.state;
    const r = reassociate(this.topology, this.scenario.association, st.gain, st.apTargetDistM, this.scenario.channel.sensPathLossExp);
    if (!r) return;
    const topo = withAssociation(this.topology, r.association);
    this.topology = topo;
    this.channel.associate(topo, this.targets);
    this.csi.associate(topo);
    this.decisions.associate(topo);
    for (const h of r.handovers) this.emit({ kind: 'handover', tUs, slot, ...h, version: topo.associationVersion });
    this.emitAssociation(tUs, slot);
  }

  private evaluate(slot: number): void {
    const st = this.channel.state;
    const topo = this.topology;
    const inForce = this.decisions.inForce;
    const { out, shadows, W } = this.evaluator.evaluate(topo, st, this.trueSens, inForce, this.decisions.shadows, this.scenario.rho, slot);
    const locCrlb = this.loc ? this.localize(slot, W) : undefined;
    this.slotsDone = slot + 1;
    const fronthaul = this.fronthaul.takeCounters();
    if (!this.slots$.observed) return;
    const record = this.evaluator.record(
      { topo, slot, slotUs: this.slotUs, st, inForce, apViews: this.csi.apViews, userPosM: this.users.posM, targetPosM: this.targets.posM, fronthaul },
      out,
      shadows,
    );
    if (locCrlb) record.loc = this.locRecord(locCrlb);
    this.slots$.next(record);
  }

  /** CRLB of every localised target with the beams in force; the controller's estimate of this slot. */
  private localize(slot: number, W: Beamformers): Crlb[] {
    const loc = this.loc!;
    const crlb = loc.evaluate(W);
    const e = this.scenario.localization!.estimate;
    if (slot % e.periodSlots === 0) {
      const est = loc.estimate(slot, crlb, e.gateM);
      this.scheduler.at(this.scheduler.now() + Math.round(e.delayMs * 1000), Priority.delivery, () => loc.deliver(this.csi.cpuView.loc!, est));
    }
    return crlb;
  }

  private locRecord(crlb: Crlb[]): LocSlot {
    const loc = this.loc!;
    const view = this.csi.cpuView.loc!;
    // The decision in force: the most recent one applied at any BS.
    const f = this.decisions.inForce.reduce((a, b) => (b.decidedSlot > a.decidedSlot ? b : a));
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
