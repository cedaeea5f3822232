/**
 * The policy interface: how a beamformer is decided from what a decision-maker knows.
 *
 * - A *distributed* policy runs at every BS, from that BS's own view: its latest (stale, noisy)
 *   measurement of its channels to all users, its target-angle estimates and the static BS-to-BS
 *   channels. It returns W_m.
 * - A *centralised* policy runs at the central unit, from the CSI that reached it over the
 *   backhaul (older still), and returns every W_m; the beamformers then travel back over the
 *   backhaul to the BSs.
 * - A *hierarchical* policy precodes locally at each AP with powers the CPU allocates from
 *   large-scale gains; a *multi-round* policy exchanges messages between the APs and the CPU in R
 *   rounds inside one decision (both cost fronthaul time: sim/decisions.ts).
 * Policies are pure given (view, context): randomness comes from `ctx.rng`, never Math.random.
 */
import type { z } from 'zod';
import type { CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import type { Rng } from '../phy/random.ts';
import type { SensingChannels } from '../metrics/isac.ts';

/** What one decision-maker knows at the moment it decides. */
export interface CsiView {
  /** BS index of a BS's view; -1 for the central unit. */
  owner: number;
  /** [numBs, numUsers, numTxAnt] estimated channels; rows with known[m] = 0 are zero. */
  H: CArray;
  /** [numBs] whether row m of H is known to this owner. */
  known: Uint8Array;
  /** [numBs] slot at which the known row m was measured by a pilot (-1: never). */
  measuredSlot: Int32Array;
  /** [numBs, numUsers] large-scale gains β (slowly varying, known from long-term reports). */
  gain: Float64Array;
  /** [numTargets] estimated target angles (rad from broadside) and echo coefficients. */
  targetThetaRad: Float64Array;
  targetAlpha: CArray;
  /** [numTargets] slot of the echo each estimate comes from (-1: none). */
  targetSlot: Int32Array;
  /**
   * Multistatic sensing (cell-free): [numBs, numTargets] each AP's estimated angle to each target
   * (rad from its broadside), illumination gain ĉ_{m,t} (metrics/isac.ts) and the echo slot
   * (-1: none), as reported by AP m. Monostatic networks leave them unused.
   */
  targetApThetaRad: Float64Array;
  targetApGain: Float64Array;
  targetApSlot: Int32Array;
  /** Equivalent sensing channels built from the estimates above and the static G. */
  sens: SensingChannels;
  /** The central controller's localisation estimates (paper 003), when the scenario localises. */
  loc?: LocalizationView;
}

/** The multistatic echo fields of a view with no estimate yet (monostatic views, offline samples). */
export function noApEchoes(topo: Topology): Pick<CsiView, 'targetApThetaRad' | 'targetApGain' | 'targetApSlot'> {
  const n = topo.numBs * topo.numTargets;
  return { targetApThetaRad: new Float64Array(n), targetApGain: new Float64Array(n), targetApSlot: new Int32Array(n).fill(-1) };
}

/** What the central controller knows of the targets it localises (paper 003). */
export interface LocalizationView {
  /** [numLocTargets, 2] latest position estimates (m). */
  posM: Float64Array;
  /** [numLocTargets, numBs, numTmt] |ε_{m,n}|² measured with that estimate. */
  eps2: Float64Array;
  /** [numLocTargets] slot of the sensing interval of the estimate; -1: the initial cue. */
  slot: Int32Array;
}

/**
 * What an optimisation-based policy tells about one decision (through `DecisionContext.report`):
 * the solver's outcome and, when it failed, the fallback whose beams it returned instead.
 */
export interface DecisionReport {
  policy: string;
  /** 'optimal', 'infeasible', 'max_iterations', 'numerical_error', 'randomization_failed', 'closed-form', … */
  status: string;
  message: string;
  /** Interior-point iterations (0 for closed forms). */
  iterations: number;
  /** min over beams of λ₁/tr of the relaxed solution (NaN when there is none). */
  rankOneRatio: number;
  /** How beams were obtained: eigenvector, randomization, closed-form, covariance-split, none. */
  extraction: string;
  /** Σ C_{x,y} (m²) the decision expects on its own (estimated) data; NaN when unknown. */
  predictedCrlbM2: number;
  /** Set when the design failed and these beams come from this fallback policy. */
  fallback?: string;
}

export interface DecisionContext {
  topo: Topology;
  /** Objective weight ρ. */
  rho: number;
  /** Slot at which the decision starts. */
  slot: number;
  /** The policy's own random stream. */
  rng: Rng;
  /** The previous decision of this decision-maker (warm starts); undefined at first. */
  previous?: Beamformers;
  /** Receives the solver report of this decision (optimisation-based policies call it once). */
  report?: (r: DecisionReport) => void;
}

export interface DistributedPolicy {
  readonly name: string;
  readonly scope: 'distributed';
  /**
   * The policy reads other cells' target-angle estimates in `view.sens` (g[t, bs] for targets t
   * of other cells): the twin then shares every BS's echo estimates with the other BSs over the
   * backhaul (learned policies, paper 000).
   */
  readonly needsSharedEchoes?: boolean;
  /**
   * 'csi': the beams are a function of the AP's own CSI row and the association alone (no
   * randomness, slot or echo estimates), so the twin does not recompute them while neither has
   * changed — the beams in force are the ones this decision would give.
   */
  readonly dependsOn?: 'csi';
  /** W_bs, `[numServed_bs, numTxAnt]` complex, meeting the power budget of BS bs. */
  decide(bs: number, view: CsiView, ctx: DecisionContext): CArray;
}

export interface CentralisedPolicy {
  readonly name: string;
  readonly scope: 'centralised';
  /** Every W_m, each meeting its BS's power budget. */
  decideAll(view: CsiView, ctx: DecisionContext): Beamformers;
}

/**
 * A hierarchical policy: local precoding at each AP from its own CSI, large-scale power control at
 * the CPU from the gains it received over the fronthaul. The CPU's allocation travels to the APs as
 * a `power` message (one real per row); an AP precodes with the latest allocation it holds.
 */
export interface HierarchicalPolicy {
  readonly name: string;
  readonly scope: 'hierarchical';
  /** CPU: [rows of W_m] power per row for every AP m, from `view.gain` (large-scale only). */
  allocate(view: CsiView, ctx: DecisionContext): Float64Array[];
  /** AP m: W_m from its own view and its latest allocation (undefined before the first arrives). */
  precode(bs: number, view: CsiView, power: Float64Array | undefined, ctx: DecisionContext): CArray;
}

/**
 * A multi-round policy: inside one decision the APs and the CPU exchange messages of declared size
 * in R rounds (each round one uplink and one downlink crossing of the fronthaul), then every AP
 * forms its beams. State between rounds is the policy's own (returned, never global).
 */
export interface MultiRoundPolicy<S = unknown> {
  readonly name: string;
  readonly scope: 'multi-round';
  readonly rounds: number;
  /** Bits per real number of the messages (default: the fronthaul's). */
  readonly bitsPerReal?: number;
  /** AP m starts a decision from its own view: its state and its round-0 message to the CPU. */
  start(bs: number, view: CsiView, ctx: DecisionContext): { state: S; up: Float64Array };
  /** CPU: round r's messages from every AP (index = AP) → the reply to each AP. */
  combine(round: number, up: Float64Array[], ctx: DecisionContext): Float64Array[];
  /** AP m receives round r's reply: its next message, or (after the last round) its beams. */
  step(bs: number, round: number, state: S, down: Float64Array, view: CsiView, ctx: DecisionContext): { up: Float64Array } | { W: CArray };
}

export type Policy = DistributedPolicy | CentralisedPolicy | HierarchicalPolicy | MultiRoundPolicy;

/** A requirement's problem that belongs to one of the spec's fields (e.g. ['params', 'model']), not to its name. */
export interface RequirementProblem {
  path: Array<string | number>;
  message: string;
}

/** A registered policy family: its parameters, its requirements and a factory. */
export interface PolicyDefinition<P extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  params: P;
  /** A problem with running on this topology (e.g. more users than antennas), or undefined. */
  requires?(topo: Topology, params: z.output<P>): string | RequirementProblem | undefined;
  /** Parameters that hold nested policy specs (checked like the policy itself). */
  nested?: readonly string[];
  create(params: z.output<P>, topo: Topology, resolve: (spec: { name: string; params: Record<string, unknown> }) => Policy): Policy;
}

/**
 * Runs any policy for all BSs from one (central) view, instantly: a hierarchical policy allocates
 * and precodes on the same view, a multi-round one runs its rounds without fronthaul time (shadows,
 * snapshots, offline evaluation).
 */
export function decideAllFrom(policy: Policy, view: CsiView, ctx: DecisionContext): Beamformers {
  const aps = ctx.topo.apStreams.map((_, m) => m);
  switch (policy.scope) {
    case 'centralised':
      return policy.decideAll(view, ctx);
    case 'distributed':
      return aps.map((m) => policy.decide(m, view, ctx));
    case 'hierarchical': {
      const power = policy.allocate(view, ctx);
      return aps.map((m) => policy.precode(m, view, power[m], ctx));
    }
    case 'multi-round': {
      const started = aps.map((m) => policy.start(m, view, ctx));
      const states = started.map((s) => s.state);
      let up = started.map((s) => s.up);
      const W: Beamformers = [];
      for (let r = 0; r < policy.rounds; r++) {
        const down = policy.combine(r, up, ctx);
        const next: Float64Array[] = [];
        for (const m of aps) {
          const out = policy.step(m, r, states[m], down[m], view, ctx);
          if ('W' in out) W[m] = out.W;
          else next[m] = out.up;
        }
        up = next;
      }
      if (W.length !== aps.length || aps.some((m) => !W[m])) throw new Error(`${policy.name}: not every AP formed its beams after ${policy.rounds} rounds`);
      return W;
    }
  }
}
