/**
 * Localisation beamforming at the central unit (paper 003): from the CSI that reached it over the
 * backhaul and its latest estimate of every localised target (position, and |ε_{m,n}|² of that
 * sensing interval), it designs every BS's beams.
 *
 * - `crlb-sdp`: minimum CRLB under per-BS power and SINR ≥ Γ, relaxation (21) + rank-one
 *   extraction (principal eigenvector, or Gaussian randomisation from `ctx.rng`);
 * - `radar-only`: minimum CRLB without SINR constraints (closed form for one target);
 * - `beampattern`: minimum beampattern matching error under the same constraints (ref. [7]);
 * - (the `zf` baseline is the classic zero-forcing policy.)
 * An instance the solver cannot solve (infeasible Γ, or any other status than optimal) is not
 * returned as garbage: the policy reports it through `ctx.report` and acts with its `fallback`.
 */
import { z } from 'zod';
import type { Beamformers, Topology } from '../phy/network.ts';
import { fimWeightsInto, pathGainsInto, steeringTowards, targetAnglesInto } from '../phy/localization.ts';
import { policySpecSchema } from '../scenario/schema.ts';
import { designCrlb, radarOnlyBeams, solveDesign, type DesignInstance, type DesignOptions, type DesignResult, type DesignTarget } from '../solvers/crlb-design.ts';
import { decideAllFrom, type CentralisedPolicy, type CsiView, type DecisionContext, type Policy, type PolicyDefinition } from './types.ts';

/**
 * Design targets for estimates `posM` [numLocTargets, 2] with |ε|² `eps2`
 * ([numLocTargets, numBs, numTmt]) or 'mean' (E|ε|² = F_{m,n} at the estimate, ζ unknown).
 */
export function designTargets(topo: Topology, posM: Float64Array, eps2: Float64Array | 'mean'): DesignTarget[] {
  const model = topo.localization;
  if (!model) throw new Error('localisation policies need a scenario with a localization: section');
  const { numBs, numTxAnt, bsPosM, broadsideRad } = topo;
  const per = numBs * model.numTmt;
  return Array.from({ length: model.numTargets }, (_, t) => {
    const x = posM[2 * t];
    const y = posM[2 * t + 1];
    const e2 = eps2 === 'mean' ? pathGainsInto(new Float64Array(per), bsPosM, model, x, y) : eps2.subarray(t * per, (t + 1) * per);
    return {
      thetaRad: targetAnglesInto(new Float64Array(numBs), bsPosM, broadsideRad, x, y),
      steering: steeringTowards(bsPosM, broadsideRad, numTxAnt, x, y),
      weights: fimWeightsInto(new Float64Array(3 * numBs), bsPosM, model, x, y, e2),
    };
  });
}

/** The design instance of a central view: its channels and its localisation estimates. */
export function instanceFromView(topo: Topology, view: CsiView, eps: 'latest' | 'mean'): DesignInstance {
  if (!view.loc) throw new Error('localisation policies need the central controller’s target estimates (view.loc)');
  return { topo, H: view.H, targets: designTargets(topo, view.loc.posM, eps === 'mean' ? 'mean' : view.loc.eps2) };
}

export const dbToLinear = (db: number): number => 10 ** (db / 10);

const solverParams = {
  tolerance: z.number().positive().max(1e-3).default(1e-8).describe('tolFeas = tolGap of the interior-point solver'),
  maxIterations: z.number().int().positive().default(100),
  epsilon: z
    .enum(['latest', 'mean'])
    .default('latest')
    .describe('|ε|² of the design: the latest measured ("latest") or its mean F_{m,n} ("mean")'),
};

const designParams = {
  ...solverParams,
  sinrDb: z.number().default(20).describe('Γ, SINR threshold of every user (dB)'),
  rankOneThreshold: z.number().min(0).max(1).default(1 - 1e-6).describe('λ₁/tr at or above which F is taken as rank one'),
  randomizationSamples: z.number().int().nonnegative().default(30),
  fallback: policySpecSchema.default({ name: 'zf', params: {} }).describe('acts when the instance is infeasible or unsolved'),
};

type SolverParams = { tolerance: number; maxIterations: number };

const sdpOptions = (p: SolverParams) => ({ tolFeas: p.tolerance, tolGap: p.tolerance, maxIterations: p.maxIterations });

/** Options of an SINR-constrained design (crlb-sdp, beampattern): they differ only in the objective. */
function constrainedDesign(
  p: z.output<typeof crlbParams>,
  objective: DesignOptions['objective'],
): (inst: DesignInstance, ctx: DecisionContext) => DesignOptions {
  return (_inst, ctx) => ({
    objective,
    sinrMin: dbToLinear(p.sinrDb),
    sdp: sdpOptions(p),
    rankOneThreshold: p.rankOneThreshold,
    randomizationSamples: p.randomizationSamples,
    randn: () => ctx.rng.normal(),
  });
}

const requiresLocalization = (name: string) => (topo: Topology) =>
  topo.localization ? undefined : `${name} needs a localization: section in the scenario (TMTs and localised targets)`;

/** Reports a design and returns its beams, or the fallback's beams when it failed. */
function settle(name: string, res: DesignResult, fallback: Policy, view: CsiView, ctx: DecisionContext): Beamformers {
  const report = {
    policy: name,
    status: res.status,
    message: res.message,
    iterations: res.iterations,
    rankOneRatio: res.minRankOneRatio,
    extraction: res.extraction,
    predictedCrlbM2: res.crlbM2,
  };
  if (res.W) {
    ctx.report?.(report);
    return res.W;
  }
  const W = decideAllFrom(fallback, view, { ...ctx, report: undefined });
  ctx.report?.({ ...report, fallback: fallback.name });
  return W;
}

function designPolicy(
  name: string,
  design: (inst: DesignInstance, ctx: DecisionContext) => DesignOptions,
  eps: 'latest' | 'mean',
  fallback: Policy,
): CentralisedPolicy {
  return {
    name,
    scope: 'centralised',
    decideAll(view, ctx) {
      const inst = instanceFromView(ctx.topo, view, eps);
      return settle(name, solveDesign(inst, design(inst, ctx)), fallback, view, ctx);
    },
  };
}

const crlbParams = z.strictObject(designParams);

export const crlbSdp: PolicyDefinition<typeof crlbParams> = {
  name: 'crlb-sdp',
  summary: 'minimum localisation CRLB under SINR ≥ Γ: SDP relaxation (21) + rank-one extraction (paper 003)',
  params: crlbParams,
  nested: ['fallback'],
  requires: requiresLocalization('crlb-sdp'),
  create: (p, _topo, resolve) =>
    designPolicy('crlb-sdp', constrainedDesign(p, { kind: 'crlb' }), p.epsilon, resolve(p.fallback)),
};

const beampatternParams = z.strictObject({
  ...designParams,
  mainLobeDeg: z.number().positive().max(180).default(10).describe('width of the desired main lobe toward each target'),
  gridDeg: z.number().positive().max(10).default(0.5).describe('angle grid of the matching error over [−90°, 90°]'),
});

export const beampattern: PolicyDefinition<typeof beampatternParams> = {
  name: 'beampattern',
  summary: 'beampattern matching (main lobe toward the target) under SINR ≥ Γ, SDP (paper 003 ref. [7])',
  params: beampatternParams,
  nested: ['fallback'],
  requires: requiresLocalization('beampattern'),
  create: (p, _topo, resolve) =>
    designPolicy(
      'beampattern',
      constrainedDesign(p, { kind: 'beampattern', mainLobeDeg: p.mainLobeDeg, gridDeg: p.gridDeg }),
      p.epsilon,
      resolve(p.fallback),
    ),
};

const radarParams = z.strictObject(solverParams);

/** Radar-only beams: closed form for one target, the SDP without SINR rows otherwise. */
export function radarOnlyDesign(inst: DesignInstance, sdp?: DesignOptions['sdp']): DesignResult {
  if (inst.targets.length === 1) {
    const W = radarOnlyBeams(inst);
    const crlb = designCrlb(inst, W);
    return {
      status: 'optimal',
      message: 'closed form: all power toward the target',
      iterations: 0,
      W,
      rankOneRatios: new Float64Array(0),
      minRankOneRatio: NaN,
      extraction: 'closed-form',
      relaxedObjective: crlb,
      objective: crlb,
      crlbM2: crlb,
      powerSolves: 0,
    };
  }
  return solveDesign(inst, { objective: { kind: 'crlb' }, sinrMin: null, sdp });
}

export const radarOnly: PolicyDefinition<typeof radarParams> = {
  name: 'radar-only',
  summary: 'minimum localisation CRLB with no SINR constraint: all power toward the target (paper 003 baseline)',
  params: radarParams,
  requires: requiresLocalization('radar-only'),
  create: (p): CentralisedPolicy => ({
    name: 'radar-only',
    scope: 'centralised',
    decideAll(view, ctx) {
      const inst = instanceFromView(ctx.topo, view, p.epsilon);
      const res = radarOnlyDesign(inst, sdpOptions(p));
      const status = res.extraction === 'closed-form' ? 'closed-form' : res.status;
      ctx.report?.({
        policy: 'radar-only',
        status,
        message: res.message,
        iterations: res.iterations,
        rankOneRatio: res.minRankOneRatio,
        extraction: res.extraction,
        predictedCrlbM2: res.crlbM2,
      });
      if (!res.W) throw new Error(`radar-only: the design failed (${res.status}: ${res.message})`);
      return res.W;
    },
  }),
};

export const localizationPolicies: PolicyDefinition[] = [crlbSdp as PolicyDefinition, radarOnly as PolicyDefinition, beampattern as PolicyDefinition];
