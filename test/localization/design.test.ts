/**
 * The paper-003 designs (src/solvers/crlb-design.ts): relaxation (21) on the paper's instance
 * (rank one, Theorem 1; constraints of the returned beams to 1e-6 relative; the relaxation is
 * tight), the radar-only closed form against the SDP, the beampattern baseline, infeasible Γ,
 * Gaussian randomisation, and the ULA-pattern interpolation behind the beampattern SDP.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { drawDrop, dropInstance } from '../../src/app/localization-drops.ts';
import { czeros } from '../../src/phy/complex.ts';
import { steeringInto } from '../../src/phy/geometry.ts';
import { beamGain } from '../../src/metrics/localization.ts';
import { dbToLinear, radarOnlyDesign } from '../../src/policies/localization.ts';
import { hermitianOuter } from '../../src/solvers/sdp/index.ts';
import {
  checkConstraints,
  dirichletWeight,
  patternError,
  patternModel,
  radarOnlyBeams,
  solveDesign,
  type DesignResult,
} from '../../src/solvers/crlb-design.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { close, testRng } from '../helpers.ts';
import { crlbByHand } from './by-hand.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

const PAPER = 'scenarios/localization.yaml';
const paper = loadScenario(readFileSync(PAPER, 'utf8'), PAPER, twinPolicies());
/** The paper's geometry with N_t = 8 and K = 2 users per cell (fast). */
const small = loadScenario(
  readFileSync(PAPER, 'utf8').replace('numTxAnt: 16', 'numTxAnt: 8').replace('perCell: 4 ', 'perCell: 2 '),
  'small.yaml',
  twinPolicies(),
);
const SDP = { tolFeas: 1e-9, tolGap: 1e-9 };
const G20 = dbToLinear(20);

function assertFeasible(r: DesignResult, inst: ReturnType<typeof dropInstance>, gamma: number, what: string): void {
  assert.ok(r.W, `${what}: no beams (${r.status})`);
  const c = checkConstraints(inst, r.W!, gamma);
  assert.ok(c.minSinrRatio >= 1 - 1e-6, `${what}: SINR/Γ = ${c.minSinrRatio}`);
  assert.ok(c.maxPowerRatio <= 1 + 1e-6, `${what}: power/P = ${c.maxPowerRatio}`);
}

test('paper instance (M = 2, K = 4, N_t = 16, Γ = 20 dB, P = 30 dBm): rank one, feasible, tight', () => {
  assert.is(paper.topology.numTxAnt, 16);
  const inst = dropInstance(drawDrop(paper, 1), 30);
  const r = solveDesign(inst, { objective: { kind: 'crlb' }, sinrMin: G20, sdp: SDP, randomizationSamples: 0 });
  assert.is(r.status, 'optimal');
  assert.is(r.extraction, 'eigenvector');
  assert.is(r.rankOneRatios.length, 8);
  for (const ratio of r.rankOneRatios) assert.ok(ratio >= 1 - 1e-6, `λ₁/tr = ${ratio} (Theorem 1: N_t = 16 > MK = 8)`);
  assertFeasible(r, inst, G20, 'crlb-sdp');
  // The CRLB the design reports is that of its beams, computed here by hand (g_m, J, J⁻¹).
  const byHand = inst.targets.reduce((sum, t) => sum + crlbByHand(r.W!, inst.topo.numTxAnt, t.steering, t.weights).sumM2, 0);
  close(r.crlbM2, byHand, 1e-9, 'reported CRLB vs the beams\' CRLB by hand');
  // Tight relaxation: the rank-one beams reach the relaxed optimum.
  close(r.crlbM2, r.relaxedObjective, 1e-6, 'CRLB of the beams vs the relaxation');
  // Bounds: radar-only (no SINR constraint) is a lower bound.
  assert.ok(radarOnlyDesign(inst).crlbM2 <= r.crlbM2);
});

test('radar-only: the closed form equals the SDP without SINR rows and puts N_t·P toward the target', () => {
  const inst = dropInstance(drawDrop(small, 2), 30);
  const closed = radarOnlyDesign(inst);
  assert.is(closed.extraction, 'closed-form');
  const sdp = solveDesign(inst, { objective: { kind: 'crlb' }, sinrMin: null, sdp: SDP });
  assert.is(sdp.status, 'optimal');
  close(sdp.relaxedObjective, closed.crlbM2, 1e-6, 'SDP optimum vs closed form');
  close(sdp.crlbM2, closed.crlbM2, 1e-6, 'SDP beams vs closed form');
  const W = radarOnlyBeams(inst);
  const nt = inst.topo.numTxAnt;
  W.forEach((Wm, m) => close(beamGain(Wm, nt, inst.targets[0].steering, m * nt), nt * inst.topo.powerW[m], 1e-12));
});

test('beampattern baseline: feasible, full power, its main lobe on the target; never below the CRLB design', () => {
  const inst = dropInstance(drawDrop(small, 3), 30);
  const gamma = dbToLinear(10);
  const bp = solveDesign(inst, { objective: { kind: 'beampattern', mainLobeDeg: 10, gridDeg: 0.5 }, sinrMin: gamma, sdp: SDP, randn: testRng('bp').normal.bind(testRng('bp')) });
  assert.is(bp.status, 'optimal');
  assertFeasible(bp, inst, gamma, 'beampattern');
  const c = checkConstraints(inst, bp.W!, gamma);
  close(c.maxPowerRatio, 1, 1e-6, 'the beampattern design uses the whole budget (α would vanish otherwise)');
  // This drop's F̃ are not rank one (randomisation): the beams' matching error is bounded below by the
  // SDP's own optimum (an independent number, the solver's primal objective) and stays near it.
  assert.is(bp.extraction, 'randomization');
  const err = patternError(inst, bp.W!, 10, 0.5);
  assert.ok(err >= bp.relaxedObjective * (1 - 1e-6) && err <= bp.relaxedObjective * 1.05, `matching error ${err} vs SDP optimum ${bp.relaxedObjective}`);
  // Where the relaxation is tight (drop 1: rank one), the beams reach the SDP optimum.
  const inst1 = dropInstance(drawDrop(small, 1), 30);
  const tight = solveDesign(inst1, { objective: { kind: 'beampattern', mainLobeDeg: 10, gridDeg: 0.5 }, sinrMin: gamma, sdp: SDP, randomizationSamples: 0 });
  assert.is(tight.extraction, 'eigenvector');
  close(patternError(inst1, tight.W!, 10, 0.5), tight.relaxedObjective, 1e-6, 'matching error of rank-one beams vs the SDP optimum');
  const cr = solveDesign(inst, { objective: { kind: 'crlb' }, sinrMin: gamma, sdp: SDP, randn: testRng('cr').normal.bind(testRng('cr')) });
  assertFeasible(cr, inst, gamma, 'crlb-sdp');
  assert.ok(cr.crlbM2 <= bp.crlbM2 * (1 + 1e-6), `crlb-sdp ${cr.crlbM2} vs beampattern ${bp.crlbM2}`);
  assert.ok(cr.relaxedObjective <= bp.crlbM2, 'the relaxation bounds every feasible design');
  // BS 1's strongest direction is within the desired main lobe (±5°) of the target.
  const nt = inst.topo.numTxAnt;
  const a = czeros(nt);
  let best = { th: 0, g: -1 };
  for (let d = -90; d <= 90; d += 0.25) {
    steeringInto(a, 0, nt, (d * Math.PI) / 180);
    const g = beamGain(bp.W![0], nt, a);
    if (g > best.g) best = { th: d, g };
  }
  assert.ok(Math.abs(best.th - 60) <= 5, `beampattern peak at ${best.th}°`);
});

test('an infeasible Γ is reported as infeasible (no beams), for both SINR-constrained designs', () => {
  const inst = dropInstance(drawDrop(small, 1), 30);
  for (const objective of [{ kind: 'crlb' as const }, { kind: 'beampattern' as const, mainLobeDeg: 10, gridDeg: 1 }]) {
    const r = solveDesign(inst, { objective, sinrMin: dbToLinear(60), sdp: SDP });
    assert.is(r.status, 'infeasible', objective.kind);
    assert.is(r.W, undefined);
    assert.is(r.extraction, 'none');
  }
});

test('Gaussian randomisation (forced): seeded, feasible, never below the relaxation and close to it', () => {
  const inst = dropInstance(drawDrop(small, 4), 30);
  const gamma = dbToLinear(10);
  const run = () => {
    const rng = testRng('randomisation', 9);
    return solveDesign(inst, { objective: { kind: 'crlb' }, sinrMin: gamma, sdp: SDP, rankOneThreshold: 1.1, randomizationSamples: 6, randn: () => rng.normal() });
  };
  const a = run();
  const b = run();
  assert.is(a.extraction, 'randomization');
  assert.is(a.powerSolves, 7);
  assertFeasible(a, inst, gamma, 'randomised');
  assert.equal(Array.from(a.W![0]), Array.from(b.W![0]), 'same seed → same beams');
  assert.ok(a.crlbM2 >= a.relaxedObjective * (1 - 1e-6), `${a.crlbM2} ≥ ${a.relaxedObjective}`);
  // The principal directions are candidate 0, and the relaxation is tight here: (near) optimal.
  close(a.crlbM2, a.relaxedObjective, 1e-4, 'randomised CRLB vs relaxation');
});

test('the ULA pattern is the Dirichlet interpolation of its values at 2N_t − 1 nodes (beampattern SDP)', () => {
  const nt = 6;
  const rng = testRng('pattern');
  const f = czeros(3 * nt);
  rng.complexNormal(f);
  const R = new Float64Array(2 * nt * nt);
  for (let k = 0; k < 3; k++) hermitianOuter(f.subarray(2 * k * nt, 2 * (k + 1) * nt), nt).forEach((v, i) => (R[i] += v));
  const model = patternModel(nt, [(20 * Math.PI) / 180], 10, 1);
  const numNodes = 2 * nt - 1;
  const a = czeros(nt);
  const quad = (th: number) => {
    steeringInto(a, 0, nt, th);
    let s = 0;
    for (let p = 0; p < nt; p++) {
      for (let q = 0; q < nt; q++) {
        // conj(a_p) R_pq a_q
        const [ar, ai] = [a[2 * p], -a[2 * p + 1]];
        const [rr, ri] = [R[2 * (p * nt + q)], R[2 * (p * nt + q) + 1]];
        const [br, bi] = [a[2 * q], a[2 * q + 1]];
        const [tr, ti] = [ar * rr - ai * ri, ar * ri + ai * rr];
        s += tr * br - ti * bi;
      }
    }
    return s;
  };
  const nodes = Array.from(model.nodeThetaRad, quad);
  const omegaJ = Array.from(model.nodeThetaRad, (t) => Math.PI * Math.sin(t));
  for (const th of [-1.4, -0.7, 0, 0.33, 1.2, Math.PI / 2]) {
    const interp = nodes.reduce((s, p, j) => s + p * dirichletWeight(Math.PI * Math.sin(th), omegaJ[j], numNodes), 0);
    close(interp, quad(th), 1e-9, `θ = ${th}`);
  }
  assert.is(model.desired.reduce((s, d) => s + d, 0), 11, 'a 10° main lobe on a 1° grid holds 11 points');
});

test.run();
