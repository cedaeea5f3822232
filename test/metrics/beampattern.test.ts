/**
 * Paper 002's sensing and SINR metrics (src/metrics/beampattern.ts) against closed forms (a
 * single steered beam's Dirichlet pattern, an omnidirectional R, the exact diagonal of the
 * target-beam covariance, single-user MRT), against each other (factor vs full covariance: two
 * code paths) and against numpy (scripts/ref/paper002_reference.py → test/fixtures/paper002).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  angleGridDeg,
  beampatternError,
  beampatternOfCovariance,
  beampatternOfFactor,
  beampatternSpec,
  covarianceOfFactor,
  desiredPattern,
  isacSinrInto,
  radarLeakage,
  sensingLossOfCovariance,
  sensingLossOfFactor,
  splitFactor,
  steeringMatrix,
  sumRate,
  targetBeams,
} from '../../src/metrics/beampattern.ts';
import { czeros } from '../../src/phy/complex.ts';
import { streamFor } from '../../src/phy/random.ts';
import { close, relativeError } from '../helpers.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/paper002/reference.json', import.meta.url), 'utf8'));
const DEG = Math.PI / 180;

/** |Σ_n e^{jnψ}|² / M² = sin²(Mψ/2) / (M² sin²(ψ/2)), 1 at ψ = 0 (mod 2π). */
function dirichlet2(M: number, psi: number): number {
  const s = Math.sin(psi / 2);
  if (Math.abs(s) < 1e-12) return 1;
  return Math.sin((M * psi) / 2) ** 2 / (M * M * s * s);
}

test('angle grid and desired pattern: 181 points, windows |θ − θ_p| ≤ Δ/2 with both ends included', () => {
  const grid = angleGridDeg();
  assert.is(grid.length, 181);
  assert.is(grid[0], -90);
  assert.is(grid[180], 90);
  const d = desiredPattern(grid, [-70, 0, 40], 10);
  assert.is(d.reduce((a, b) => a + b, 0), 33);
  const at = (deg: number) => d[deg + 90];
  for (const [deg, want] of [[-76, 0], [-75, 1], [-65, 1], [-64, 0], [-6, 0], [-5, 1], [5, 1], [6, 0], [35, 1], [45, 1], [46, 0]]) {
    assert.is(at(deg), want, `d(${deg}°)`);
  }
  // a window cut by the end of the grid, and two overlapping windows
  assert.is(desiredPattern(grid, [88], 10).reduce((a, b) => a + b, 0), 8);
  assert.is(desiredPattern(grid, [0, 4], 10).reduce((a, b) => a + b, 0), 15);
  assert.throws(() => angleGridDeg(7), /divide 180/);
  assert.throws(() => beampatternSpec({ numAnt: 12, targetsDeg: [100], widthDeg: 10, radarPowerW: 1 }), /targetsDeg\[0\]/);
});

test('a single steered beam: P(θ) is the Dirichlet pattern (c/M)·sin²(Mψ/2)/sin²(ψ/2), P(θ_0) = c·M', () => {
  for (const [M, theta0, c] of [[12, 40, 0.7], [10, -70, 1.3], [20, 0, 0.05]] as const) {
    const grid = angleGridDeg();
    const A = steeringMatrix(M, grid);
    const b = targetBeams(M, [theta0]); // unit modulus, √M a(θ_0)
    const W = splitFactor(b, M, [c]); // R = c b bᴴ
    const R = covarianceOfFactor(W, 1, M);
    const viaFactor = beampatternOfFactor(A, M, W, 1);
    const viaR = beampatternOfCovariance(A, M, R);
    const want = Float64Array.from(grid, (deg) => c * M * dirichlet2(M, Math.PI * (Math.sin(deg * DEG) - Math.sin(theta0 * DEG))));
    assert.ok(relativeError(viaFactor, want) < 1e-12, `factor path, M ${M}`);
    assert.ok(relativeError(viaR, want) < 1e-12, `covariance path, M ${M}`);
    close(viaR[theta0 + 90], c * M, 1e-12, 'peak');
    // no grid point exceeds the peak: P(θ) ≤ tr(R)·‖a‖² = c·M
    assert.ok(Math.max(...viaR) <= c * M * (1 + 1e-12));
  }
});

test('an omnidirectional R = σI: P(θ) = σ everywhere, L_r,1 and L_r,2 in closed form', () => {
  const M = 12;
  const targets = [-70, 0, 40];
  const spec = beampatternSpec({ numAnt: M, targetsDeg: targets, widthDeg: 10, radarPowerW: 0.1 });
  const sigma = 0.1 / M; // tr(R) = P_R
  const R = czeros(M * M);
  for (let i = 0; i < M; i++) R[2 * (i * M + i)] = sigma;
  const P = beampatternOfCovariance(spec.A, M, R);
  for (const v of P) close(v, sigma, 1e-14, 'P(θ)');
  // R̄ = (P/P_R)·σ I = (3/M) I
  const s = spec.scale * sigma;
  close(s, 3 / M, 1e-14, 'scaled level');
  const L = 181;
  const ones = 33;
  const l1 = (ones * (1 - s) ** 2 + (L - ones) * s * s) / L;
  let pairs = 0;
  for (let l = 0; l < L; l++) {
    for (let r = l + 1; r < L; r++) pairs += s * Math.sqrt(dirichlet2(M, Math.PI * (Math.sin((r - 90) * DEG) - Math.sin((l - 90) * DEG))));
  }
  const l2 = (2 / (L * L - L)) * pairs;
  const loss = sensingLossOfCovariance(spec, R);
  close(loss.patternError, l1, 1e-12, 'L_r,1');
  close(loss.crossCorrelation, l2, 1e-12, 'L_r,2');
  close(loss.total, l1 + l2, 1e-12, 'L_r');
  // the same R as a factor √σ·I
  const W = czeros(M * M);
  for (let i = 0; i < M; i++) W[2 * (i * M + i)] = Math.sqrt(sigma);
  const viaFactor = sensingLossOfFactor(spec, W, M);
  close(viaFactor.patternError, l1, 1e-12, 'factor L_r,1');
  close(viaFactor.crossCorrelation, l2, 1e-12, 'factor L_r,2');
});

test('diag(R) of the target-beam covariance Σ_p q_p b_p b_pᴴ is exactly Σ_p q_p (any angles, any split)', () => {
  const rng = streamFor(7, 'beampattern-diag');
  for (let trial = 0; trial < 20; trial++) {
    const M = 10 + rng.int(11);
    const P = 1 + rng.int(4);
    const angles = Array.from({ length: P }, () => rng.between(-90, 90));
    const q = Array.from({ length: P }, () => rng.uniform());
    const total = q.reduce((a, b) => a + b, 0);
    const R = covarianceOfFactor(splitFactor(targetBeams(M, angles), M, q), P, M);
    for (let i = 0; i < M; i++) {
      close(R[2 * (i * M + i)], total, 1e-14, `diag ${i}`);
      assert.ok(Math.abs(R[2 * (i * M + i) + 1]) < 1e-15, 'real diagonal');
    }
    // Hermitian
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < M; b++) {
        close(R[2 * (a * M + b)], R[2 * (b * M + a)], 1e-14);
        close(R[2 * (a * M + b) + 1], -R[2 * (b * M + a) + 1], 1e-14);
      }
    }
  }
  assert.throws(() => splitFactor(targetBeams(4, [0]), 4, [-1]), /q\[0\] must be ≥ 0/);
});

test('factor and full-covariance paths agree on random R (two independent code paths)', () => {
  const rng = streamFor(3, 'beampattern-paths');
  const spec = beampatternSpec({ numAnt: 8, targetsDeg: [-30, 20], widthDeg: 6, radarPowerW: 2 });
  for (let trial = 0; trial < 3; trial++) {
    const rows = 1 + trial * 2;
    const W = czeros(rows * 8);
    rng.complexNormal(W, 0.3);
    const a = sensingLossOfFactor(spec, W, rows);
    const b = sensingLossOfCovariance(spec, covarianceOfFactor(W, rows, 8));
    close(a.patternError, b.patternError, 1e-12, 'L_r,1');
    close(a.crossCorrelation, b.crossCorrelation, 1e-12, 'L_r,2');
  }
});

test('numpy reference: pattern, desired pattern, L_r,1 and L_r,2 of a random factor and of a target-beam split', () => {
  const bp = ref.beampattern;
  const spec = beampatternSpec({ numAnt: bp.numAnt, targetsDeg: bp.targetsDeg, widthDeg: bp.widthDeg, radarPowerW: bp.radarPowerW });
  assert.equal(Array.from(spec.desired), bp.desired);
  const W = Float64Array.from(bp.factor.W);
  const rows = bp.factor.rows;
  assert.ok(relativeError(beampatternOfFactor(spec.A, spec.numAnt, W, rows), bp.factor.pattern) < 1e-12, 'pattern');
  const loss = sensingLossOfFactor(spec, W, rows);
  close(loss.patternError, bp.factor.patternError, 1e-12, 'L_r,1');
  close(loss.crossCorrelation, bp.factor.crossCorrelation, 1e-12, 'L_r,2');
  const R = covarianceOfFactor(W, rows, spec.numAnt);
  close(sensingLossOfCovariance(spec, R).crossCorrelation, bp.factor.crossCorrelation, 1e-12, 'L_r,2 via R');
  // the target-beam split
  const Wq = splitFactor(targetBeams(spec.numAnt, bp.targetsDeg), spec.numAnt, bp.split.q);
  assert.ok(relativeError(beampatternOfFactor(spec.A, spec.numAnt, Wq, 3), bp.split.pattern) < 1e-12, 'split pattern');
  const lq = sensingLossOfFactor(spec, Wq, 3);
  close(lq.patternError, bp.split.patternError, 1e-12, 'split L_r,1');
  close(lq.crossCorrelation, bp.split.crossCorrelation, 1e-12, 'split L_r,2');
  const Rq = covarianceOfFactor(Wq, 3, spec.numAnt);
  bp.split.diag.forEach((v: number, i: number) => close(Rq[2 * (i * spec.numAnt + i)], v, 1e-14, `diag ${i}`));
  // beampatternError is eq. (7) itself
  close(beampatternError([0.5, 1, 0], [1, 1, 0]), 0.25 / 3, 1e-15);
});

test('SINR of eq. (11): numpy reference (multi-user interference + radar leakage), factor and full R agree', () => {
  const s = ref.sinr;
  const input = {
    numUsers: s.numUsers,
    numCommAnt: s.numCommAnt,
    numRadarAnt: s.numRadarAnt,
    G: Float64Array.from(s.G),
    Fr: Float64Array.from(s.Fr),
    F: Float64Array.from(s.F),
    noiseW: s.noiseW,
  };
  const factor = { W: Float64Array.from(s.radarW), rows: s.radarRows };
  const gamma = isacSinrInto(new Float64Array(s.numUsers), { ...input, radarFactor: factor });
  assert.ok(relativeError(gamma, s.sinr) < 1e-12, 'sinr');
  assert.ok(relativeError(radarLeakage({ ...input, radarFactor: factor }), s.leakage) < 1e-12, 'leakage (factor)');
  const R = covarianceOfFactor(factor.W, factor.rows, s.numRadarAnt);
  assert.ok(relativeError(radarLeakage({ ...input, R }), s.leakage) < 1e-12, 'leakage (full R)');
  assert.throws(() => radarLeakage({ ...input }), /exactly one of R and radarFactor/);
  close(sumRate(gamma), s.sinr.reduce((a: number, g: number) => a + Math.log2(1 + g), 0), 1e-12, 'sum rate');
});

test('SINR closed form: one user, MRT at power p, no radar power: γ = p‖g‖²/N_0; radar leakage adds ‖fᵀ w‖²', () => {
  const rng = streamFor(11, 'beampattern-mrt');
  const MC = 6;
  const MR = 4;
  const g = czeros(MC);
  rng.complexNormal(g);
  const fr = czeros(MR);
  rng.complexNormal(fr);
  const p = 0.3;
  let n2 = 0;
  for (let i = 0; i < 2 * MC; i++) n2 += g[i] ** 2;
  // F = √p g*/‖g‖ so that gᵀF = √p‖g‖
  const F = czeros(MC);
  for (let i = 0; i < MC; i++) {
    F[2 * i] = (Math.sqrt(p) * g[2 * i]) / Math.sqrt(n2);
    F[2 * i + 1] = (-Math.sqrt(p) * g[2 * i + 1]) / Math.sqrt(n2);
  }
  const base = { numUsers: 1, numCommAnt: MC, numRadarAnt: MR, G: g, Fr: fr, F, noiseW: 0.02 };
  const zero = { W: czeros(MR), rows: 1 };
  close(isacSinrInto(new Float64Array(1), { ...base, radarFactor: zero })[0], (p * n2) / 0.02, 1e-12, 'MRT SINR');
  // a radar beam w = fᴴ-aligned (w = c·f*) leaks |fᵀ w|² = c²‖f‖⁴
  let f2 = 0;
  for (let i = 0; i < 2 * MR; i++) f2 += fr[i] ** 2;
  const c = 0.1;
  const w = czeros(MR);
  for (let i = 0; i < MR; i++) {
    w[2 * i] = c * fr[2 * i];
    w[2 * i + 1] = -c * fr[2 * i + 1];
  }
  close(radarLeakage({ ...base, radarFactor: { W: w, rows: 1 } })[0], c * c * f2 * f2, 1e-12, 'leakage');
  close(isacSinrInto(new Float64Array(1), { ...base, radarFactor: { W: w, rows: 1 } })[0], (p * n2) / (c * c * f2 * f2 + 0.02), 1e-12);
});

test.run();
