/**
 * Paper 004's baselines (src/solvers/cf-isac.ts): metrics, gradient, CB comm / CB sensing, WMMSE and
 * the PGA reference against test/fixtures/paper004-reference.json (numpy, scripts/ref/
 * paper004_reference.py), plus closed forms (the sensing bound) and invariants (monotone, feasible,
 * stationary).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { norm2, type CArray } from '../../src/phy/complex.ts';
import type { Beamformers, Topology } from '../../src/phy/network.ts';
import { axisToBroadsideRad, drawPaperSample } from '../../src/phy/paper-channel.ts';
import { emptySensingChannels, multistaticSensingInto } from '../../src/metrics/isac.ts';
import {
  cbComm,
  cbSensing,
  cfWmmse,
  isacGradientInto,
  isacValue,
  mixBeams,
  pgaIsac,
  pgaReference,
  projectPerAp,
  REFERENCE_MIXES,
  sensingBound,
  type CfIsacProblem,
} from '../../src/solvers/cf-isac.ts';
import { close, networkTopology, relativeError, testRng } from '../helpers.ts';

interface Instance {
  numAps: number;
  numUsers: number;
  numTxAnt: number;
  H: number[];
  thetaRad: number[];
  F: number[];
  sinr: number[];
  snr: number;
  sumRate: number;
  objective: number;
  gradient: number[];
  cbCommUe: { sinr: number[]; sumRate: number };
  cbCommAp: { sinr: number[]; sumRate: number };
  cbSensing: { snr: number; bound: number; sumRate: number };
  wmmse: { sumRateAfter: Record<'1' | '2' | '5', number>; sumRate: number };
  pgaBeta2: { objective: number };
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/paper004-reference.json', import.meta.url), 'utf8')) as { beta: number; noiseW: number; instances: Instance[] };
const BETA = fixture.beta;

/** The paper's setting on M APs: every AP serves every user, one sensing row, P_m = 1/M, σ² = ς² = 0.1. */
function paperTopology(M: number, U: number, N: number): Topology {
  return networkTopology({
    numBs: M,
    nt: N,
    powerW: 1 / M,
    noiseW: 0.1,
    kind: 'cell-free',
    userAps: Array.from({ length: U }, () => Int32Array.from({ length: M }, (_, m) => m)),
    targetBs: Int32Array.of(0),
    sensingStreams: 1,
    geometry: 'multistatic',
  });
}

/** The problem of (H, θ from the array axis) with c_m = ζ²/ς² = 10 (eq. 7 as printed). */
function problemOf(topo: Topology, H: CArray, thetaAxis: ArrayLike<number>): CfIsacProblem {
  const sens = emptySensingChannels(topo);
  multistaticSensingInto(sens, topo, Float64Array.from(thetaAxis, axisToBroadsideRad), new Float64Array(topo.numBs).fill(10));
  return { topo, H, sens };
}

function instanceProblem(inst: Instance): CfIsacProblem {
  const topo = paperTopology(inst.numAps, inst.numUsers, inst.numTxAnt);
  return problemOf(topo, Float64Array.from(inst.H), inst.thetaRad);
}

/** Fixture beams F[m][s][n] → Beamformers (rows: users, then the sensing row). */
function beamsOf(inst: Instance, flat: number[]): Beamformers {
  const per = 2 * (inst.numUsers + 1) * inst.numTxAnt;
  return Array.from({ length: inst.numAps }, (_, m) => Float64Array.from(flat.slice(m * per, (m + 1) * per)));
}

const flatOf = (W: Beamformers): number[] => W.flatMap((w) => Array.from(w));

test('eq. (4) SINRs, eq. (7) SNR and (8a) of random beams match numpy', () => {
  for (const inst of fixture.instances) {
    const p = instanceProblem(inst);
    const v = isacValue(p, beamsOf(inst, inst.F), BETA);
    assert.ok(relativeError(v.sinr, inst.sinr) < 1e-12, `sinr ${Array.from(v.sinr)} vs ${inst.sinr}`);
    close(v.snr[0], inst.snr, 1e-12, 'snr');
    close(v.sumRate, inst.sumRate, 1e-12, 'sum rate');
    close(v.objective, inst.objective, 1e-12, 'objective');
  }
});

test('the Wirtinger gradient of (8a) matches numpy and central differences of isacValue', () => {
  for (const inst of fixture.instances) {
    const p = instanceProblem(inst);
    const F = beamsOf(inst, inst.F);
    const G = F.map((w) => new Float64Array(w.length));
    isacGradientInto(G, p, F, BETA);
    assert.ok(relativeError(flatOf(G), inst.gradient) < 1e-11, 'gradient vs numpy');
    // dJ/dx = 2 Re G, dJ/dy = 2 Im G for f = x + jy: a few coordinates by differences.
    const eps = 1e-6;
    for (const [m, i] of [[0, 0], [0, 3], [inst.numAps - 1, 2 * inst.numUsers * inst.numTxAnt + 1], [1, 2 * inst.numTxAnt + 5]]) {
      const plus = F.map((w) => Float64Array.from(w));
      const minus = F.map((w) => Float64Array.from(w));
      plus[m][i] += eps;
      minus[m][i] -= eps;
      const d = (isacValue(p, plus, BETA).objective - isacValue(p, minus, BETA).objective) / (2 * eps);
      assert.ok(Math.abs(d - 2 * G[m][i]) < 1e-7, `AP ${m} entry ${i}: ${d} vs ${2 * G[m][i]}`);
    }
  }
});

test('CB comm (UE and AP normalisations) matches numpy; every AP at exactly P_m; sensing rows 0', () => {
  for (const inst of fixture.instances) {
    const p = instanceProblem(inst);
    for (const [kind, want] of [['ue', inst.cbCommUe], ['ap', inst.cbCommAp]] as const) {
      const W = cbComm(p.topo, p.H, kind);
      const v = isacValue(p, W, 0);
      assert.ok(relativeError(v.sinr, want.sinr) < 1e-12, `${kind} sinr`);
      close(v.sumRate, want.sumRate, 1e-12, `${kind} sum rate`);
      W.forEach((w, m) => {
        close(norm2(w), p.topo.powerW[m], 1e-14, `${kind} power of AP ${m}`);
        assert.is(norm2(w, 2 * inst.numUsers * inst.numTxAnt / 2, inst.numTxAnt), 0, 'sensing row silent');
      });
    }
  }
});

test('CB sensing attains the bound N_t Σ_m c_m P_m exactly (80 at the paper setting, every M), sum rate 0', () => {
  for (const inst of fixture.instances) {
    const p = instanceProblem(inst);
    const v = isacValue(p, cbSensing(p), 0);
    close(v.snr[0], inst.cbSensing.snr, 1e-13, 'snr vs numpy');
    close(inst.cbSensing.bound, inst.numTxAnt * 10 * 1, 0, 'numpy bound');
    close(v.snr[0], sensingBound(p), 1e-13, 'snr = bound');
    assert.is(v.sumRate, 0);
  }
  const rng = testRng('cb-sensing-bound');
  for (const M of [2, 3, 5, 7, 10]) {
    const topo = paperTopology(M, 2, 8);
    const s = drawPaperSample(rng, M, 2, 8);
    const p = problemOf(topo, s.H, s.thetaRad);
    const W = cbSensing(p);
    const v = isacValue(p, W, 0);
    close(v.snr[0], 80, 1e-13, `M=${M} snr`);
    close(sensingBound(p), 80, 1e-13, `M=${M} bound`);
    W.forEach((w, m) => close(norm2(w), 1 / M, 1e-14, `M=${M} AP ${m} power`));
    // No feasible beam set beats it: random full-power beams stay below.
    for (let k = 0; k < 20; k++) {
      const R = W.map((w) => Float64Array.from(w, () => rng.normal()));
      R.forEach((r, m) => {
        const s2 = Math.sqrt(1 / M / norm2(r));
        for (let i = 0; i < r.length; i++) r[i] *= s2;
      });
      assert.ok(isacValue(p, R, 0).snr[0] <= 80 * (1 + 1e-12));
    }
  }
});

test('WMMSE (β_s = 0) matches numpy after 1, 2, 5 iterations and at convergence', () => {
  for (const inst of fixture.instances) {
    const p = instanceProblem(inst);
    const r = cfWmmse(p.topo, p.H, { maxIterations: 3000, tolerance: 1e-13 });
    for (const k of ['1', '2', '5'] as const) close(r.wsrTrace[Number(k)], inst.wmmse.sumRateAfter[k], 1e-11, `after ${k}`);
    close(r.wsrTrace[r.wsrTrace.length - 1], inst.wmmse.sumRate, 1e-9, 'converged');
    close(isacValue(p, r.W, 0).sumRate, r.wsrTrace[r.wsrTrace.length - 1], 1e-12, 'trace = metric');
    r.W.forEach((w) => assert.is(norm2(w, 2 * inst.numUsers * inst.numTxAnt / 2, inst.numTxAnt), 0, 'sensing row silent'));
  }
});

test('WMMSE is monotone and feasible at every iteration (the k-iteration runs are its iterates)', () => {
  const rng = testRng('wmmse-monotone');
  for (const M of [2, 5, 9]) {
    const topo = paperTopology(M, 2, 8);
    const s = drawPaperSample(rng, M, 2, 8);
    const full = cfWmmse(topo, s.H, { maxIterations: 40, tolerance: 0 });
    for (let k = 1; k < full.wsrTrace.length; k++) assert.ok(full.wsrTrace[k] >= full.wsrTrace[k - 1] - 1e-12, `M=${M} iteration ${k}: ${full.wsrTrace[k - 1]} → ${full.wsrTrace[k]}`);
    for (let k = 1; k <= 40; k++) {
      const r = cfWmmse(topo, s.H, { maxIterations: k, tolerance: 0 });
      close(r.wsrTrace[k], full.wsrTrace[k], 1e-13, `M=${M} k=${k} deterministic`);
      r.W.forEach((w, m) => assert.ok(norm2(w) <= (1 / M) * (1 + 1e-12), `M=${M} k=${k} AP ${m} power ${norm2(w)}`));
    }
  }
});

test('PGA from the WMMSE point at β_s = 0 gains (almost) nothing: WMMSE is stationary', () => {
  const rng = testRng('pga-stationary');
  for (const M of [3, 5]) {
    const topo = paperTopology(M, 2, 8);
    const s = drawPaperSample(rng, M, 2, 8);
    const p = problemOf(topo, s.H, s.thetaRad);
    const w = cfWmmse(topo, s.H, { maxIterations: 3000, tolerance: 1e-12 });
    const start = isacValue(p, w.W, 0).sumRate;
    const r = pgaIsac(p, 0, w.W, { maxIterations: 2000, tolerance: 1e-12 });
    assert.ok(r.value.objective >= start, 'never worse');
    assert.ok(r.value.objective - start < 1e-6 * start, `M=${M}: PGA gained ${r.value.objective - start} on ${start}`);
  }
});

test('PGA is monotone and feasible; the reference at β_s = 2 matches numpy’s best of the 7 starts', () => {
  for (const inst of fixture.instances) {
    const p = instanceProblem(inst);
    const w = cfWmmse(p.topo, p.H, { maxIterations: 3000, tolerance: 1e-13 }).W;
    const cbs = cbSensing(p);
    for (const rho of REFERENCE_MIXES) {
      mixBeams(w, cbs, rho).forEach((x, m) => assert.ok(norm2(x) <= p.topo.powerW[m] * (1 + 1e-12), `start ρ=${rho} feasible`));
    }
    const one = pgaIsac(p, BETA, mixBeams(w, cbs, 0.5), { maxIterations: 20000, tolerance: 1e-11 });
    for (let k = 1; k < one.trace.length; k++) assert.ok(one.trace[k] > one.trace[k - 1], `step ${k} ascends`);
    one.W.forEach((x, m) => assert.ok(norm2(x) <= p.topo.powerW[m] * (1 + 1e-12)));
    close(isacValue(p, one.W, BETA).objective, one.value.objective, 1e-13, 'value is the metric');
    const ref = pgaReference(p, BETA, w, { maxIterations: 20000, tolerance: 1e-11 });
    assert.is(ref.objectives.length, 7);
    close(ref.value.objective, Math.max(...ref.objectives), 0, 'best kept');
    close(ref.value.objective, inst.pgaBeta2.objective, 1e-6, 'vs numpy');
    // β_s = 2 trades rate for sensing: above WMMSE's and CB sensing's J.
    assert.ok(ref.value.objective > isacValue(p, w, BETA).objective && ref.value.objective > isacValue(p, cbs, BETA).objective);
  }
});

test('the PGA result is stationary: no projected step along the gradient improves it', () => {
  const inst = fixture.instances[2];
  const p = instanceProblem(inst);
  const w = cfWmmse(p.topo, p.H, { maxIterations: 3000, tolerance: 1e-13 }).W;
  const ref = pgaReference(p, BETA, w, { maxIterations: 20000, tolerance: 1e-11 });
  const G = ref.W.map((x) => new Float64Array(x.length));
  isacGradientInto(G, p, ref.W, BETA);
  for (const t of [1e-1, 1e-2, 1e-3, 1e-4]) {
    const moved = projectPerAp(p.topo, ref.W.map((x, m) => Float64Array.from(x, (v, i) => v + t * G[m][i])));
    const gain = isacValue(p, moved, BETA).objective - ref.value.objective;
    assert.ok(gain < 1e-8, `step ${t} gains ${gain}`);
  }
});

test('bad inputs are refused with the field named', () => {
  const inst = fixture.instances[0];
  const p = instanceProblem(inst);
  assert.throws(() => pgaIsac(p, -1, cbSensing(p), { maxIterations: 1, tolerance: 0 }), /beta must be ≥ 0/);
  assert.throws(() => pgaIsac(p, 1, [new Float64Array(2)], { maxIterations: 1, tolerance: 0 }), /beams must be 3 arrays/);
  const noSensingRow = networkTopology({ numBs: 2, nt: 4, kind: 'cell-free', userAps: [Int32Array.of(0, 1)], targetBs: Int32Array.of(0), sensingStreams: 0, geometry: 'multistatic' });
  const sens = emptySensingChannels(noSensingRow);
  assert.throws(() => cbSensing({ topo: noSensingRow, H: new Float64Array(2 * 2 * 4), sens }), /AP 0 carries no sensing stream/);
  const mono = { ...p, sens: { ...p.sens, geometry: 'monostatic' as const } };
  assert.throws(() => cbSensing(mono), /needs multistatic sensing/);
});

test.run();
