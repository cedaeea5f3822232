/**
 * Decisions: who decides what, from which view, and when the beams take effect.
 *
 * Protocols (policies/types.ts):
 * - distributed   each AP decides W_m from its own view; the beams act after the decision latency.
 * - centralised   the CPU decides every W_m from what reached it over the fronthaul; each W_m
 *                 travels back as a `beams` message (its size: the beam's numbers).
 * - hierarchical  the CPU allocates powers from the large-scale gains it holds and sends each AP
 *                 a `power` message; every AP precodes locally from its own CSI with the latest
 *                 allocation it holds (before the first: the policy's own default).
 * - multi-round   every AP sends its round-0 message to the CPU; when all have arrived the CPU
 *                 replies to each; after R rounds every AP forms its beams. Each round costs one
 *                 uplink and one downlink crossing (delay, jitter, capacity).
 * Past the deadline the fallback (a distributed policy) acts locally until the slow result lands.
 * Shadows decide on the same views, instantly (decideAllFrom), and are evaluated beside.
 */
import { czeros, norm2, type CArray } from '../phy/complex.ts';
import { zeroBeamformers, type Beamformers, type Topology } from '../phy/network.ts';
import type { Rng } from '../phy/random.ts';
import { NumericalError } from '../metrics/isac.ts';
import { padRows } from '../policies/common.ts';
import {
  decideAllFrom,
  type CsiView,
  type DecisionContext,
  type DecisionReport,
  type DistributedPolicy,
  type MultiRoundPolicy,
  type Policy,
} from '../policies/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { TwinEvent } from './events.ts';
import type { Fronthaul, FronthaulMessage } from './fronthaul.ts';
import { Priority, type VirtualScheduler } from './scheduler.ts';

/** Beamformers in force at an AP, with where they came from. */
export interface InForce {
  W: CArray;
  /** Global stream of each row of W (the association the decision was made with). */
  streams: Int32Array;
  policy: string;
  fallback: boolean;
  decidedSlot: number;
  /** Measurement slot of the CSI row this AP's beams were computed from (-1 none). */
  csiSlot: number;
  decisionMs: number;
  /** Solver report of the decision (optimisation-based policies). */
  report?: DecisionReport;
}

export interface Shadow {
  name: string;
  policy: Policy;
  rng: Rng;
  W: Beamformers;
  /** Streams of the shadow's rows (its last decision's association). */
  streams: Int32Array[];
}

export interface DecisionDeps {
  scheduler: VirtualScheduler;
  scenario: Scenario;
  fronthaul: Fronthaul;
  apViews: CsiView[];
  cpuView: CsiView;
  emit(e: TwinEvent): void;
  currentSlot(): number;
  /** Reads a monotonic wall clock in ms (compute times), when injected. */
  computeClock?: () => number;
  rng: { policy: Rng; fallback: Rng };
}

interface RoundState {
  decisionSlot: number;
  states: unknown[];
  /** Per round: the messages received at the CPU (by AP) and how many. */
  up: Map<number, { msgs: Float64Array[]; count: number }>;
  /** APs that have formed their beams. */
  done: number;
  topo: Topology;
  csiSlot: Int32Array;
}

export class Decisions {
  readonly inForce: InForce[];
  private readonly busyUntilUs: number[];
  /** Per AP: the deadline fallback is in force and the slow result has not landed yet. */
  private readonly awaitingSlow: Uint8Array;
  private cpuBusyUntilUs = 0;
  private readonly previous: Beamformers[];
  /** Latest power allocation each AP holds (hierarchical). */
  private readonly power: (Float64Array | undefined)[];
  private powerSlot: Int32Array;
  private round?: RoundState;
  private topo: Topology;

  constructor(
    topo: Topology,
    readonly policy: Policy,
    private readonly fallback: DistributedPolicy,
    readonly shadows: Shadow[],
    private readonly d: DecisionDeps,
  ) {
    this.topo = topo;
    this.inForce = topo.apStreams.map((rows) => ({
      W: czeros(rows.length * topo.numTxAnt),
      streams: rows,
      policy: 'none',
      fallback: false,
      decidedSlot: -1,
      csiSlot: -1,
      decisionMs: NaN,
    }));
    this.busyUntilUs = topo.apStreams.map(() => 0);
    this.awaitingSlow = new Uint8Array(topo.numBs);
    this.previous = topo.apStreams.map(() => zeroBeamformers(topo));
    this.power = topo.apStreams.map(() => undefined);
    this.powerSlot = new Int32Array(topo.numBs).fill(-1);
  }

  /** Uses another association for decisions from now on (beams in force keep theirs). */
  associate(topo: Topology): void {
    this.topo = topo;
    // Warm starts and power allocations of the old shape no longer fit.
    for (let m = 0; m < topo.numBs; m++) this.previous[m] = zeroBeamformers(topo);
    this.power.fill(undefined);
    for (const sh of this.shadows) {
      sh.W = zeroBeamformers(topo);
      sh.streams = topo.apStreams.slice();
    }
  }

  private context(slot: number, rng: Rng, previous?: Beamformers): DecisionContext {
    return { topo: this.topo, rho: this.d.scenario.rho, slot, rng, previous };
  }

  /** Runs `fn` and returns its result with its compute time (ms, NaN when not measured). */
  private timed<T>(fn: () => T): { value: T; ms: number } {
    const clock = this.d.computeClock;
    if (!clock) return { value: fn(), ms: NaN };
    const t0 = clock();
    const value = fn();
    return { value, ms: clock() - t0 };
  }

  /** Simulated decision latency (µs) for a decision that took `ms` of compute. */
  private latencyUs(ms: number): number {
    const d = this.d.scenario.timing.decision;
    if (d.latency === 'fixed') return Math.round(d.fixedMs * 1000);
    if (d.latency === 'measured') return Math.max(0, Math.round(ms * d.measuredScale * 1000));
    return 0;
  }

  private deadlineUs(): number {
    const d = this.d.scenario.timing.decision;
    return d.deadlineMs === undefined ? Infinity : Math.round(d.deadlineMs * 1000);
  }

  private decisionEvent(t: number, slot: number, by: number, ms: number, lat: number): void {
    this.d.emit({ kind: 'decision', tUs: t, slot, by, policy: this.policy.name, computeMs: Number.isNaN(ms) ? null : ms, latencyUs: lat });
  }

  decide(slot: number): void {
    this.decideShadows(slot);
    this.refreshFallbacks(slot);
    switch (this.policy.scope) {
      case 'distributed':
        return this.decideDistributed(slot, this.policy);
      case 'centralised':
        return this.decideCentralised(slot);
      case 'hierarchical':
        return this.decideHierarchical(slot);
      case 'multi-round':
        return this.startRounds(slot, this.policy);
    }
  }

  private decideDistributed(slot: number, policy: DistributedPolicy): void {
    const t = this.d.scheduler.now();
    const deadlineUs = this.deadlineUs();
    for (let m = 0; m < this.topo.numBs; m++) {
      const view = this.d.apViews[m];
      if (!view.known[m] || t < this.busyUntilUs[m]) continue;
      // The same inputs give the same beams: a CSI-only policy is not recomputed until the AP's
      // CSI or the association changes (the beams in force stay, with their decision slot).
      if (policy.dependsOn === 'csi') {
        const f = this.inForce[m];
        if (f.policy === policy.name && !f.fallback && f.csiSlot === view.measuredSlot[m] && f.streams === this.topo.apStreams[m]) continue;
      }
      // a policy's own fallback (its report names it) is logged as the policy in force, flagged
      let fallback: string | undefined;
      const ctx = { ...this.context(slot, this.d.rng.policy, this.previous[m]), report: (r: DecisionReport) => void (fallback = r.fallback) };
      const { value: W, ms } = this.timed(() => policy.decide(m, view, ctx));
      this.previous[m][m] = W;
      const lat = this.latencyUs(ms);
      this.busyUntilUs[m] = t + lat;
      this.decisionEvent(t, slot, m, ms, lat);
      const beams = this.forceOf(m, W, fallback ?? policy.name, slot, view.measuredSlot[m], ms);
      if (fallback) beams.fallback = true;
      if (lat > deadlineUs) this.fallbackAt(m, t + deadlineUs, lat);
      this.d.scheduler.at(t + lat, Priority.apply, () => this.apply(m, beams));
    }
  }

  private decideCentralised(slot: number): void {
    const policy = this.policy;
    if (policy.scope !== 'centralised') return;
    const t = this.d.scheduler.now();
    const view = this.d.cpuView;
    if (t < this.cpuBusyUntilUs || !view.known.every((k) => k === 1)) return;
    const reports: DecisionReport[] = [];
    const ctx = { ...this.context(slot, this.d.rng.policy, this.previous[0]), report: (r: DecisionReport) => void reports.push(r) };
    const { value: all, ms } = this.timed(() => policy.decideAll(view, ctx));
    const report = reports[reports.length - 1];
    this.previous[0] = all;
    const lat = this.latencyUs(ms);
    this.cpuBusyUntilUs = t + lat;
    this.decisionEvent(t, slot, -1, ms, lat);
    if (report) this.emitSolve(t, slot, report);
    const measured = Int32Array.from(view.measuredSlot);
    this.d.scheduler.at(t + lat, Priority.apply, () => {
      all.forEach((W, m) => {
        const beams = this.forceOf(m, W, report?.fallback ?? policy.name, slot, measured[m], ms);
        if (report) {
          beams.report = report;
          beams.fallback = report.fallback !== undefined;
        }
        this.d.fronthaul.send({ kind: 'beams', from: -1, to: m, decidedSlot: slot, W, streams: beams.streams, tag: beams });
      });
    });
    const deadlineUs = this.deadlineUs();
    if (lat > deadlineUs) for (let m = 0; m < this.topo.numBs; m++) this.fallbackAt(m, t + deadlineUs, lat);
  }

  private decideHierarchical(slot: number): void {
    const policy = this.policy;
    if (policy.scope !== 'hierarchical') return;
    const t = this.d.scheduler.now();
    const view = this.d.cpuView;
    // The CPU allocates when it is idle and knows every AP's gains.
    if (t >= this.cpuBusyUntilUs && view.known.every((k) => k === 1)) {
      const ctx = this.context(slot, this.d.rng.policy);
      const { value: power, ms } = this.timed(() => policy.allocate(view, ctx));
      const lat = this.latencyUs(ms);
      this.cpuBusyUntilUs = t + lat;
      this.decisionEvent(t, slot, -1, ms, lat);
      const streams = this.topo.apStreams;
      this.d.scheduler.at(t + lat, Priority.apply, () => {
        power.forEach((p, m) => this.d.fronthaul.send({ kind: 'power', from: -1, to: m, decidedSlot: slot, power: p, streams: streams[m] }));
      });
    }
    // Every AP precodes locally with the allocation it holds.
    for (let m = 0; m < this.topo.numBs; m++) {
      const v = this.d.apViews[m];
      if (!v.known[m] || t < this.busyUntilUs[m]) continue;
      const ctx = this.context(slot, this.d.rng.policy, this.previous[m]);
      const { value: W, ms } = this.timed(() => policy.precode(m, v, this.power[m], ctx));
      const lat = this.latencyUs(ms);
      this.busyUntilUs[m] = t + lat;
      this.decisionEvent(t, slot, m, ms, lat);
      const beams = this.forceOf(m, W, policy.name, slot, v.measuredSlot[m], ms);
      this.d.scheduler.at(t + lat, Priority.apply, () => this.apply(m, beams));
    }
  }

  // ---------------------------------------------------------------- multi-round

  private startRounds(slot: number, policy: MultiRoundPolicy): void {
    if (this.round) return; // the previous decision's rounds are still running
    const t = this.d.scheduler.now();
    if (!this.d.apViews.every((v, m) => v.known[m])) return;
    const ctx = this.context(slot, this.d.rng.policy);
    const states: unknown[] = [];
    const ups: Float64Array[] = [];
    const { ms } = this.timed(() => {
      for (let m = 0; m < this.topo.numBs; m++) {
        const s = policy.start(m, this.d.apViews[m], ctx);
        states[m] = s.state;
        ups[m] = s.up;
      }
    });
    this.decisionEvent(t, slot, -1, ms, 0);
    this.round = {
      decisionSlot: slot,
      states,
      up: new Map(),
      done: 0,
      topo: this.topo,
      csiSlot: Int32Array.from(this.d.apViews, (v, m) => v.measuredSlot[m]),
    };
    ups.forEach((payload, m) => this.sendRound(m, -1, 0, payload, policy));
  }

  private sendRound(from: number, to: number, round: number, payload: Float64Array, policy: MultiRoundPolicy): void {
    this.d.fronthaul.send({
      kind: 'round',
      from,
      to,
      decisionSlot: this.round!.decisionSlot,
      round,
      payload,
      ...(policy.bitsPerReal ? { bitsPerReal: policy.bitsPerReal } : {}),
    });
  }

  /** A `round` message arrived (at the CPU or an AP). */
  private roundArrives(msg: Extract<FronthaulMessage, { kind: 'round' }>): void {
    const r = this.round;
    const policy = this.policy;
    if (!r || policy.scope !== 'multi-round' || msg.decisionSlot !== r.decisionSlot) return;
    const ctx = { ...this.context(r.decisionSlot, this.d.rng.policy), topo: r.topo };
    const M = r.topo.numBs;
    if (msg.to === -1) {
      // At the CPU: once every AP's message of this round is in, reply to each.
      const got = r.up.get(msg.round) ?? { msgs: [], count: 0 };
      got.msgs[msg.from] = msg.payload;
      got.count++;
      r.up.set(msg.round, got);
      if (got.count < M) return;
      r.up.delete(msg.round);
      const down = policy.combine(msg.round, got.msgs, ctx);
      down.forEach((payload, m) => this.sendRound(-1, m, msg.round, payload, policy));
      return;
    }
    // At AP m: its next message, or its beams after the last round.
    const m = msg.to;
    let fallback: string | undefined;
    const out = policy.step(m, msg.round, r.states[m], msg.payload, this.d.apViews[m], { ...ctx, report: (rep: DecisionReport) => void (fallback = rep.fallback) });
    if ('W' in out) {
      const beams = this.forceOf(m, out.W, fallback ?? policy.name, r.decisionSlot, r.csiSlot[m], NaN, r.topo);
      if (fallback) beams.fallback = true;
      this.apply(m, beams);
      if (++r.done === M) this.round = undefined;
      return;
    }
    if (msg.round + 1 >= policy.rounds) throw new Error(`${policy.name}: AP ${m} formed no beams after the last round (${policy.rounds})`);
    this.sendRound(m, -1, msg.round + 1, out.up, policy);
  }

  // ---------------------------------------------------------------- deliveries and beams

  /** A fronthaul message for the decision layer arrived. */
  receive(msg: FronthaulMessage): void {
    if (msg.kind === 'beams') this.apply(msg.to, msg.tag as InForce);
    else if (msg.kind === 'power') {
      if (msg.decidedSlot > this.powerSlot[msg.to] && msg.streams === this.topo.apStreams[msg.to]) {
        this.power[msg.to] = msg.power;
        this.powerSlot[msg.to] = msg.decidedSlot;
      }
    } else if (msg.kind === 'round') this.roundArrives(msg);
  }

  /**
   * A solver report: a `solve` event for every solve, and a `warning` when the design failed and
   * the policy's own fallback acts instead (the BSs' slots are then flagged `fallback`).
   */
  private emitSolve(tUs: number, slot: number, r: DecisionReport): void {
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    this.d.emit({
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
    if (r.fallback) this.d.emit({ kind: 'warning', tUs, slot, message: `${r.policy}: ${r.status} instance, ${r.fallback} acts instead` });
  }

  /** Past the deadline AP m acts with the fallback policy on its own view, until the slow result lands. */
  private fallbackAt(m: number, tUs: number, latencyUs: number): void {
    this.d.scheduler.at(tUs, Priority.apply, () => {
      const view = this.d.apViews[m];
      const slot = this.d.currentSlot();
      this.d.emit({
        kind: 'deadline-miss',
        tUs,
        slot,
        by: this.policy.scope === 'distributed' ? m : -1,
        policy: this.policy.name,
        latencyUs,
        fallback: this.fallback.name,
      });
      if (!view.known[m]) return;
      this.decideFallback(m, slot);
    });
  }

  /** The fallback's beams at AP m from its own view, in force until the slow result lands. */
  private decideFallback(m: number, slot: number): void {
    const view = this.d.apViews[m];
    const ctx = this.context(slot, this.d.rng.fallback);
    const { value: W, ms } = this.timed(() => this.fallback.decide(m, view, ctx));
    const beams = this.forceOf(m, W, this.fallback.name, slot, view.measuredSlot[m], ms);
    beams.fallback = true;
    this.apply(m, beams, true);
  }

  /**
   * While a slow result is awaited the fallback keeps acting on fresh local CSI: at every decision
   * period an AP in fallback whose CSI is newer than its fallback beams decides again (a slow
   * policy that takes seconds would otherwise leave the deadline's beams in force all along).
   */
  private refreshFallbacks(slot: number): void {
    for (let m = 0; m < this.topo.numBs; m++) {
      if (!this.awaitingSlow[m]) continue;
      const view = this.d.apViews[m];
      if (view.known[m] && this.inForce[m].csiSlot !== view.measuredSlot[m]) this.decideFallback(m, slot);
    }
  }

  private forceOf(m: number, W: CArray, policy: string, decidedSlot: number, csiSlot: number, ms: number, topo = this.topo): InForce {
    return { W: padRows(topo, m, W), streams: topo.apStreams[m], policy, fallback: false, decidedSlot, csiSlot, decisionMs: ms };
  }

  private apply(m: number, beams: InForce, deadlineFallback = false): void {
    const cur = this.inForce[m];
    // A late result never replaces a newer decision already in force.
    if (beams.decidedSlot < cur.decidedSlot && !cur.fallback) return;
    const budget = this.topo.powerW[m];
    const p = norm2(beams.W);
    if (!Number.isFinite(p)) throw new NumericalError('beamformer power', m, p, this.d.currentSlot(), `policy ${beams.policy}`);
    if (!(p <= budget * (1 + 1e-9))) {
      throw new Error(`policy ${beams.policy} exceeded the power budget of BS ${m}: ${p} W > ${budget} W`);
    }
    if (beams.W.length !== 2 * beams.streams.length * this.topo.numTxAnt) {
      throw new Error(`policy ${beams.policy} returned ${beams.W.length / (2 * this.topo.numTxAnt)} beams for AP ${m}, which carries ${beams.streams.length} streams`);
    }
    this.inForce[m] = beams;
    this.awaitingSlow[m] = deadlineFallback ? 1 : 0;
    this.d.emit({ kind: 'apply', tUs: this.d.scheduler.now(), slot: this.d.currentSlot(), bs: m, policy: beams.policy, decidedSlot: beams.decidedSlot, fallback: beams.fallback });
  }

  /** Shadows decide on the same views as the acting policy, instantly. */
  private decideShadows(slot: number): void {
    for (const sh of this.shadows) {
      if (sh.policy.scope === 'distributed') {
        const policy = sh.policy;
        for (let m = 0; m < this.topo.numBs; m++) {
          if (!this.d.apViews[m].known[m]) continue;
          sh.W[m] = padRows(this.topo, m, policy.decide(m, this.d.apViews[m], this.context(slot, sh.rng, sh.W)));
          sh.streams[m] = this.topo.apStreams[m];
        }
      } else if (this.d.cpuView.known.every((k) => k === 1)) {
        sh.W = decideAllFrom(sh.policy, this.d.cpuView, this.context(slot, sh.rng, sh.W)).map((W, m) => padRows(this.topo, m, W));
        sh.streams = this.topo.apStreams.slice();
      }
    }
  }
}
