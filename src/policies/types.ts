/**
 * The policy interface: how a beamformer is decided from what a decision-maker knows.
 *
 * - A *distributed* policy runs at every BS, from that BS's own view: its latest (stale, noisy)
 *   measurement of its channels to all users, its target-angle estimates and the static BS-to-BS
 *   channels. It returns W_m.
 * - A *centralised* policy runs at the central unit, from the CSI that reached it over the
 *   backhaul (older still), and returns every W_m; the beamformers then travel back over the
 *   backhaul to the BSs.
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
  /** Equivalent sensing channels built from the estimates above and the static G. */
  sens: SensingChannels;
  /** The central controller's localisation estimates (paper 003), when the scenario localises. */
  loc?: LocalizationView;
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
  /** W_bs, `[numServed_bs, numTxAnt]` complex, meeting the power budget of BS bs. */
  decide(bs: number, view: CsiView, ctx: DecisionContext): CArray;
}

export interface CentralisedPolicy {
  readonly name: string;
  readonly scope: 'centralised';
  /** Every W_m, each meeting its BS's power budget. */
  decideAll(view: CsiView, ctx: DecisionContext): Beamformers;
}

export type Policy = DistributedPolicy | CentralisedPolicy;

/** A registered policy family: its parameters, its requirements and a factory. */
export interface PolicyDefinition<P extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  params: P;
  /** A problem with running on this topology (e.g. more users than antennas), or undefined. */
  requires?(topo: Topology, params: z.output<P>): string | undefined;
  /** Parameters that hold nested policy specs (checked like the policy itself). */
  nested?: readonly string[];
  create(params: z.output<P>, topo: Topology, resolve: (spec: { name: string; params: Record<string, unknown> }) => Policy): Policy;
}

/** Runs any policy for all BSs from one (central) view. */
export function decideAllFrom(policy: Policy, view: CsiView, ctx: DecisionContext): Beamformers {
  if (policy.scope === 'centralised') return policy.decideAll(view, ctx);
  return ctx.topo.servedUsers.map((_, m) => policy.decide(m, view, ctx));
}
