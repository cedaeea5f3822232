/**
 * The bisection + SDP benchmark of paper 001 (src/solvers/bisection-sdp.ts, [28]'s "CVX-based"
 * JSC): against CVXOPT (test/fixtures/paper001/benchmark.json, scripts/ref/paper001_reference.py:
 * [28]'s SOCP bisection and its SDP in the full dimension), closed forms (one user: γ* =
 * (Σ_l √(ρP_l)‖h_l‖)²/σ²; a user orthogonal to the target: SSNR* = c M (Σ_l P_l − γσ²/(M L))),
 * and invariants (bracket, monotone t*(γ), feasible extracted beams, the reduction exact).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceFromAngles, instanceFromPositions, paper001Config, Paper001Evaluator } from '../../src/learning/paper001/system.ts';
import { bisectMaxMinSinr, fixedSensingBeams, jscBenchmark, jscSdp, jscValue, type JscProblem } from '../../src/solvers/bisection-sdp.ts';
import { close, relativeError } from '../helpers.ts';

interface BenchInstance {
  layout: string;
  numUsers: number;
  rho: number;
  pos: number[];
  gammaHigh: number;
  gammaStar: number;
  steps: { gamma: number; s: number; feasible: boolean }[];
  relaxedSsnr: number;
  rankOneRatios: number[];
  extracted: { sinr: number[]; minSinr: number; ssnr: number; apPower: number[] };
}
const bench = JSON.parse(readFileSync(new URL('../fixtures/paper001/benchmark.json', import.meta.url), 'utf8')) as { instances: BenchInstance[] };
const metrics = JSON.parse(readFileSync(new URL('../fixtures/paper001/metrics.json', import.meta.url), 'utf8')) as {
  instances: { numUsers: number; pos: number[]; nullSpaceBeam: number[] }[];
};

function problemOf(N: number, pos: ArrayLike<number>): JscProblem {
  const cfg = paper001Config(N);
  return new Paper001Evaluator(cfg).problem(instanceFromPositions(cfg, pos));
}

/** ‖rows r0…r1−1 of W_l‖² per AP. */
function rowPower(p: JscProblem, W: Float64Array[], r0: number, r1: number): number[] {
  const M = p.topo.numTxAnt;
  return W.map((Wl) => {
    let s = 0;
    for (let k = 2 * r0 * M; k < 2 * r1 * M; k++) s += Wl[k] ** 2;
    return s;
  });
}

test('step A: γ_high and every bisection decision equal CVXOPT on [28]\'s SOCP; γ* to 1e-5', () => {
  for (const inst of bench.instances) {
    const p = problemOf(inst.numUsers, inst.pos);
    const r = bisectMaxMinSinr(p, { rho: inst.rho, skipImplied: false });
    assert.equal(
      r.steps.map((s) => [s.gamma, s.feasible]),
      inst.steps.map((s) => [s.gamma, s.feasible]),
      `${inst.layout} N=${inst.numUsers}: the bisection path`,
    );
    assert.is(r.gammaHigh, inst.gammaHigh);
    // t* = s*² (the SOCP scales the beams' norm, the SDP their power)
    for (let i = 0; i < r.steps.length; i++) close(r.steps[i].t, inst.steps[i].s ** 2, 2e-5, `t*(γ=${inst.steps[i].gamma})`);
    const fine = bisectMaxMinSinr(p, { rho: inst.rho, tol: 1e-6 });
    assert.ok(Math.abs(fine.gammaHigh! - inst.gammaStar) < 1e-5, `γ* ${fine.gammaHigh} vs CVXOPT ${inst.gammaStar}`);
  }
});

test('step B: the JSC SDP optimum equals CVXOPT\'s; extracted beams meet every SINR with equality at γ_high, reach the optimum, within budget', () => {
  for (const inst of bench.instances) {
    const p = problemOf(inst.numUsers, inst.pos);
    const r = jscSdp(p, inst.gammaHigh);
    assert.is(r.status, 'optimal');
    close(r.relaxedSsnr, inst.relaxedSsnr, 1e-6, `${inst.layout} N=${inst.numUsers}: SSNR*`);
    const v = jscValue(p, r.W!);
    for (const s of v.sinr) close(s, inst.gammaHigh, 1e-6, 'SINR_n = γ_high');
    close(v.ssnr, r.relaxedSsnr, 1e-6, 'extracted SSNR = relaxed optimum (tight)');
    assert.ok(relativeError(v.sinr, inst.extracted.sinr) < 1e-5, 'SINRs of the extracted beams vs CVXOPT');
    close(v.ssnr, inst.extracted.ssnr, 1e-5, 'SSNR of the extracted beams vs CVXOPT');
    for (const pw of v.apPowerW) assert.ok(pw <= 1 + 1e-7, `per-AP power ${pw} ≤ P_l`);
    for (let n = 0; n < inst.numUsers; n++) assert.ok(r.rankOneRatios[n] > 1 - 1e-6, `F_${n} rank one (${r.rankOneRatios[n]})`);
  }
});

test('null-space sensing beams equal numpy\'s beam_nulling ([28]), silent at every user', () => {
  for (const inst of metrics.instances) {
    const p = problemOf(inst.numUsers, inst.pos);
    const S = fixedSensingBeams(p, 0.5);
    // numpy's pinv(H_lᴴH_l) squares H_l's condition number: 3e-8 at N = 8, 1e-14 below
    assert.ok(relativeError(S, inst.nullSpaceBeam) < (inst.numUsers === 8 ? 1e-7 : 1e-12), `N=${inst.numUsers}: ${relativeError(S, inst.nullSpaceBeam)}`);
    const N = inst.numUsers;
    for (let n = 0; n < N; n++) {
      let re = 0;
      let im = 0;
      for (let l = 0; l < 2; l++) {
        for (let k = 0; k < 16; k++) {
          const [hr, hi, sr, si] = [p.H[2 * ((l * N + n) * 16 + k)], p.H[2 * ((l * N + n) * 16 + k) + 1], S[2 * (l * 16 + k)], S[2 * (l * 16 + k) + 1]];
          re += hr * sr + hi * si;
          im += hr * si - hi * sr;
        }
      }
      assert.ok(Math.hypot(re, im) < 1e-12, 'h_nᴴ w_s = 0');
    }
  }
});

test('bisection invariants: monotone bracket, t*(γ) increasing, feasible iff t* ≤ 1, skipping changes nothing; NS+OPT and CB+OPT beams feasible', () => {
  const inst = bench.instances[1];
  const p = problemOf(inst.numUsers, inst.pos);
  for (const sensing of ['null-space', 'conjugate'] as const) {
    const all = bisectMaxMinSinr(p, { rho: 0.5, sensing, skipImplied: false });
    const skip = bisectMaxMinSinr(p, { rho: 0.5, sensing });
    assert.equal(skip.steps.map((s) => [s.gamma, s.feasible]), all.steps.map((s) => [s.gamma, s.feasible]), 'same decisions with skipping');
    assert.ok(skip.solves < all.solves, `skipping saves solves (${skip.solves} < ${all.solves})`);
    let lo = 0.01;
    let hi = 60;
    for (const s of all.steps) {
      assert.is(s.gamma, (lo + hi) / 2, 'midpoint of the bracket');
      assert.is(s.status, 'optimal');
      assert.is(s.feasible, s.t <= 1);
      if (s.feasible) lo = s.gamma;
      else hi = s.gamma;
    }
    assert.equal(all.bracket, [lo, hi]);
    assert.ok(hi - lo <= 0.01 && all.gammaHigh === lo, 'γ_high = the last feasible midpoint');
    const solved = [...all.steps].sort((a, b) => a.gamma - b.gamma);
    for (let i = 1; i < solved.length; i++) assert.ok(solved[i].t > solved[i - 1].t, 't*(γ) increasing');
    for (const r of [all, skip]) {
      const v = jscValue(p, r.W!);
      assert.ok(v.minSinr >= r.gammaHigh! * (1 - 1e-7), `${sensing}: min-SINR ${v.minSinr} ≥ γ_high ${r.gammaHigh}`);
      const comm = rowPower(p, r.W!, 0, inst.numUsers);
      close(Math.max(...comm), 0.5, 1e-7, 'the most loaded AP at ρP_l');
      for (const c of comm) assert.ok(c <= 0.5 * (1 + 1e-7));
      for (const s of rowPower(p, r.W!, inst.numUsers, inst.numUsers + 1)) close(s, 0.5, 1e-12, 'sensing at (1−ρ)P_l');
    }
  }
});

test('closed forms: one user, γ* = (Σ_l √(ρP_l)‖h_l‖)²/σ² = 32; orthogonal to the target, SSNR*(γ) = c M (Σ_l P_l − γσ²/(M L))', () => {
  const cfg = paper001Config(1);
  const ev = new Paper001Evaluator(cfg);
  const p = ev.problem(instanceFromAngles(cfg, [Math.acos(0.1), Math.acos(0.225), Math.acos(-0.3), Math.acos(-0.05)]));
  for (const skipImplied of [true, false]) {
    const r = bisectMaxMinSinr(p, { rho: 0.5, tol: 1e-7, skipImplied });
    assert.ok(r.gammaHigh! <= 32 + 1e-9 && r.gammaHigh! > 32 - 2e-7, `γ_high ${r.gammaHigh} (skipImplied ${skipImplied})`);
  }
  // max c Σ_l M (P_l − p_l) s.t. (Σ_l √p_l √M)² ≥ γσ²: p_l = γ/(M L²) → SSNR* = c M (2 − γ/(M·2)) = 1.6 (2 − γ/32)
  for (const gamma of [4, 16, 30]) {
    const j = jscSdp(p, gamma);
    close(j.relaxedSsnr, 1.6 * (2 - gamma / 32), 1e-7, `SSNR*(γ=${gamma})`);
    // The SDP's sensing covariance is blkdiag(μ a_1a_1ᴴ/M, μ a_2a_2ᴴ/M)-like, rank 2 (the APs' parts
    // uncorrelated: the SSNR sees only per-AP blocks); [28]'s extraction keeps its principal
    // eigenpair, one AP's part: half the sensing power (the users' beams sense nothing here).
    close(j.rankOneRatios[1], 0.5, 1e-6, 'sensing covariance: two equal eigenvalues');
    const v = jscValue(p, j.W!);
    close(v.sinr[0], gamma, 1e-7, 'SINR = γ');
    close(v.ssnr, j.relaxedSsnr / 2, 1e-7, 'extracted SSNR: half the relaxed one');
  }
  assert.is(jscSdp(p, 70).status, 'infeasible', 'γ above the single-user maximum at full power, (Σ_l √P_l ‖h_l‖)²/σ² = 64');
});

test('the reduced SDPs equal the full-size ones (same γ_high, same SSNR*)', () => {
  const inst = bench.instances[0];
  const p = problemOf(inst.numUsers, inst.pos);
  const red = jscBenchmark(p, { rho: 0.5 });
  const full = jscBenchmark(p, { rho: 0.5, reduce: false });
  assert.is(full.bisection.gammaHigh, red.bisection.gammaHigh);
  close(full.jsc!.relaxedSsnr, red.jsc!.relaxedSsnr, 1e-6, 'SSNR*');
  close(jscValue(p, full.W!).ssnr, jscValue(p, red.W!).ssnr, 1e-6, 'extracted SSNR');
});

test('bad input is refused with a message naming it', () => {
  const p = problemOf(2, bench.instances[0].pos);
  assert.throws(() => bisectMaxMinSinr(p, { rho: 0 }), /bisection: rho must be in \(0, 1\], got 0/);
  assert.throws(() => bisectMaxMinSinr(p, { rho: 0.5, low: 2, high: 1 }), /need 0 < low < high and tol > 0, got \[2, 1\], tol 0.01/);
  assert.throws(() => jscSdp({ ...p, H: p.H.subarray(2) }, 1), /JscProblem: H has 126 floats, expected 2·L·N·M = 128/);
  assert.throws(() => jscSdp({ ...p, sens: { ...p.sens, geometry: 'monostatic' } }, 1), /needs multistatic sensing/);
});

test.run();
