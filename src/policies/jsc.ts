/**
 * Paper 001's benchmark as twin policies (the "CVX-based" design of its ref. [28]; solvers/
 * bisection-sdp.ts), run at the CPU on the CSI and echo estimates that reached it:
 *
 * - `jsc-benchmark`: step A, bisection on the max-min SINR γ with every AP's sensing beam fixed in
 *   the null space of its users' channels (`sensing: null-space`, the benchmark; `conjugate`: CB+OPT)
 *   and the communication beams within ρP_l, then step B, the SDP maximising the sensing SNR subject
 *   to SINR ≥ γ_high at full power. Hundreds of ms per decision: with `timing.decision.latency:
 *   measured` its beams arrive late, on older CSI — what that costs is the twin's point.
 * - `ns-opt`: step A's beams alone (NS+OPT / CB+OPT: the max-min-SINR beams with the fixed sensing
 *   beam), a cheaper variant.
 *
 * Both need a cell-free network in which every AP carries every user's stream and one sensing
 * stream (`association.mode: all`, `sensing.streams: 1`), multistatic sensing and one target. A
 * decision whose bisection finds no feasible γ (every midpoint down to `low` infeasible) keeps
 * the previous beams when there are any, else leaves the APs silent.
 */
import { z } from 'zod';
import { zeroBeamformers, type Beamformers, type Topology } from '../phy/network.ts';
import { BISECTION_DEFAULTS, bisectMaxMinSinr, jscBenchmark, type BisectionOptions } from '../solvers/bisection-sdp.ts';
import { sensingRowOf } from '../solvers/cf-isac.ts';
import type { CentralisedPolicy, PolicyDefinition } from './types.ts';

const params = z.strictObject({
  rho: z.number().gt(0).lt(1).default(0.5).describe('ρ, the communication share of every AP’s budget in the bisection (paper: 0.5)'),
  sensing: z.enum(['null-space', 'conjugate']).default('null-space').describe('the fixed sensing beam of the bisection: null-space (NS+OPT, the benchmark) or conjugate (CB+OPT)'),
  low: z.number().positive().default(BISECTION_DEFAULTS.low).describe('bisection interval, low end (linear SINR)'),
  high: z.number().positive().default(BISECTION_DEFAULTS.high).describe('bisection interval, high end (linear SINR)'),
  tol: z.number().positive().default(BISECTION_DEFAULTS.tol).describe('bisection tolerance (linear SINR)'),
});
type Params = z.output<typeof params>;

/** Why the benchmark cannot run on this topology, or undefined. */
function problem(name: string, topo: Topology): string | undefined {
  if (topo.kind !== 'cell-free') return `${name} is paper 001's cell-free design: set topology.kind: cell-free`;
  if (topo.sensingGeometry !== 'multistatic') return `${name} needs multistatic sensing (sensing.geometry: multistatic)`;
  if (topo.numTargets !== 1) return `${name} senses one target (targets.perCell: 1), this network has ${topo.numTargets}`;
  for (let m = 0; m < topo.numBs; m++) {
    if (sensingRowOf(topo, m) < 0) return `${name} needs a dedicated sensing stream at every AP (sensing.streams: 1); AP ${m} has none`;
    if (topo.servedUsers[m].length !== topo.numUsers) return `${name} needs every AP to carry every user (association.mode: all); AP ${m} carries ${topo.servedUsers[m].length} of ${topo.numUsers}`;
  }
  return undefined;
}

function fits(topo: Topology, W: Beamformers | undefined): W is Beamformers {
  return W?.length === topo.numBs && W.every((w, m) => w.length === 2 * topo.apStreams[m].length * topo.numTxAnt);
}

/**
 * The SDP meets each budget to its tolerance (seen: 1 + 1.05e-9 of P_l): an AP above its budget
 * is scaled onto it (a change of that order in every SINR).
 */
function withinBudgets(topo: Topology, W: Beamformers): Beamformers {
  return W.map((w, m) => {
    let p = 0;
    for (let i = 0; i < w.length; i++) p += w[i] * w[i];
    if (!(p > topo.powerW[m])) return w;
    const s = Math.sqrt(topo.powerW[m] / p);
    return w.map((v) => v * s);
  });
}

const bisectionOf = (p: Params): BisectionOptions => ({ rho: p.rho, sensing: p.sensing, low: p.low, high: p.high, tol: p.tol });

function definition(name: string, summary: string, solve: (p: Params) => (pr: Parameters<typeof jscBenchmark>[0]) => Beamformers | null): PolicyDefinition<typeof params> {
  return {
    name,
    summary,
    params,
    requires: (topo, p) => problem(name, topo) ?? (p.low < p.high ? undefined : { path: ['params', 'high'], message: `must exceed low (${p.low}), got ${p.high}` }),
    create: (p): CentralisedPolicy => {
      const run = solve(p);
      return {
        name,
        scope: 'centralised',
        decideAll(view, { topo, previous }) {
          const W = run({ topo, H: view.H, sens: view.sens });
          if (W) return withinBudgets(topo, W);
          return fits(topo, previous) ? previous.map((w) => w.slice()) : zeroBeamformers(topo);
        },
      };
    },
  };
}

export const jscPolicies: PolicyDefinition[] = [
  definition('jsc-benchmark', 'paper 001 benchmark ([28]): bisection on max-min SINR (null-space sensing beam, ρP), then the SDP max sensing SNR s.t. SINR ≥ γ_high (CPU, slow)', (p) => (pr) => jscBenchmark(pr, bisectionOf(p)).W) as PolicyDefinition,
  definition('ns-opt', 'paper 001 benchmark’s step A alone: max-min-SINR beams within ρP with the fixed null-space (or conjugate) sensing beam (CPU)', (p) => (pr) => bisectMaxMinSinr(pr, bisectionOf(p)).W) as PolicyDefinition,
];
