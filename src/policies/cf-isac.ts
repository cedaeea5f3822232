/**
 * Paper 004's baselines as twin policies (cell-free, multistatic sensing; solvers/cf-isac.ts), run
 * at the CPU from the CSI and echo estimates that reached it over the fronthaul:
 *
 * - `cb-sensing` (centralised): the sensing upper bound — every AP's whole budget on its sensing row
 *   towards its estimated angle to the target it illuminates best, f_mq = √(P_m/N_t) a(θ̂_m), comm
 *   rows 0 (sum rate 0). Attains N_t Σ_m c_m P_m on the true channel when the estimates are exact.
 * - `pga-isac` (centralised): the projected-gradient reference on (8a) with weight β_s
 *   (`beta`): WMMSE (β_s = 0 optimum) from CB comm, then PGA from the 7 starts
 *   √(1−ρ)F_WMMSE + √ρ F_CBsens (ρ ∈ {0, .1, .3, .5, .7, .9, 1}) and, with `warmStart`, from the
 *   previous decision; the best J is kept. Its objective is (8a) with β_s, not the twin's ρ.
 *   An offline reference (tens of ms per decision at M = 5): a shadow, not a real-time policy.
 *
 * The other baselines are existing policies: CB comm is `mrt` (conjugate BF at each AP, P_m/U per
 * served user — the [C6] 'UE' normalisation, sensing rows 0) and the β_s = 0 WMMSE is `jt-wmmse`
 * (per-AP power, `iterations` cap, `tolerance`).
 */
import { z } from 'zod';
import type { Beamformers, Topology } from '../phy/network.ts';
import { cbSensing, cfWmmse, pgaReference, sensingRowOf, type CfIsacProblem } from '../solvers/cf-isac.ts';
import type { CentralisedPolicy, CsiView, PolicyDefinition } from './types.ts';

/** A problem with running a paper-004 baseline on this topology, or undefined. */
function needsMultistaticSensingRow(name: string, topo: Topology): string | undefined {
  if (topo.sensingGeometry !== 'multistatic') return `${name} needs multistatic sensing (sensing.geometry: multistatic, paper 004 eq. 7)`;
  const ap = topo.apStreams.findIndex((_, m) => sensingRowOf(topo, m) < 0);
  if (ap >= 0) return `${name} needs a dedicated sensing stream at every AP (sensing.streams: 1); AP ${ap} has none`;
  if (topo.numTargets === 0) return `${name} needs a target to sense (targets.perCell ≥ 1)`;
  return undefined;
}

const problemOf = (topo: Topology, view: CsiView): CfIsacProblem => ({ topo, H: view.H, sens: view.sens });

const cbSensingParams = z.strictObject({});

const cbSensingPolicy: PolicyDefinition<typeof cbSensingParams> = {
  name: 'cb-sensing',
  summary: 'paper 004 CB sensing: every AP’s full power on its sensing row towards its estimated target angle (sensing upper bound, no comm)',
  params: cbSensingParams,
  requires: (topo) => needsMultistaticSensingRow('cb-sensing', topo),
  create: (): CentralisedPolicy => ({
    name: 'cb-sensing',
    scope: 'centralised',
    decideAll: (view, { topo }) => cbSensing(problemOf(topo, view)),
  }),
};

const pgaParams = z.strictObject({
  beta: z.number().min(0).max(1e4).default(2).describe('β_s, the sensing weight of (8a) (0 … 1e4)'),
  iterations: z.number().int().positive().max(1e6).default(3000).describe('PGA step cap per start'),
  tolerance: z.number().positive().default(1e-8).describe('stop a start when a step gains less than this × max(1, |J|)'),
  wmmseIterations: z.number().int().positive().max(1e6).default(300).describe('iteration cap of the WMMSE start'),
  wmmseTolerance: z.number().positive().default(1e-7),
  warmStart: z.boolean().default(true).describe('also start from the previous decision'),
});

function fits(topo: Topology, W: Beamformers | undefined): W is Beamformers {
  return W?.length === topo.numBs && W.every((w, m) => w.length === 2 * topo.apStreams[m].length * topo.numTxAnt) && W.some((w) => w.some((x) => x !== 0));
}

const pgaPolicy: PolicyDefinition<typeof pgaParams> = {
  name: 'pga-isac',
  summary: 'paper 004 reference: projected gradient ascent on sum rate + β_s·log2(1+SNR) from WMMSE/CB-sensing mixtures (offline-grade, CPU)',
  params: pgaParams,
  requires: (topo) => needsMultistaticSensingRow('pga-isac', topo),
  create: (p): CentralisedPolicy => ({
    name: 'pga-isac',
    scope: 'centralised',
    decideAll(view, { topo, previous }) {
      const pr = problemOf(topo, view);
      const wmmse = cfWmmse(topo, view.H, { maxIterations: p.wmmseIterations, tolerance: p.wmmseTolerance }).W;
      const extra = p.warmStart && fits(topo, previous) ? [previous] : [];
      return pgaReference(pr, p.beta, wmmse, { maxIterations: p.iterations, tolerance: p.tolerance }, extra).W;
    },
  }),
};

export const cfIsacPolicies: PolicyDefinition[] = [cbSensingPolicy as PolicyDefinition, pgaPolicy as PolicyDefinition];
