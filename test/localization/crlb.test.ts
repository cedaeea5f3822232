/**
 * Paper 003's localisation model and CRLB (Lemma 1, eqs. 9–13), checked three ways:
 *  - against an independent numerical Fisher information of (x, y) built from the signal model
 *    itself: sampled Gaussian pulse trains, the TMT signals μ_n(t) of eq. (7), finite differences
 *    of μ_n in x and y, and the Slepian–Bangs integral (eq. 22);
 *  - closed forms (2×2 inverse, singular information, the delay gradients);
 *  - properties of the ζ processes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { czeros } from '../../src/phy/complex.ts';
import { SPEED_OF_LIGHT_MPS, steeringInto, wavelengthM } from '../../src/phy/geometry.ts';
import {
  buildLocalizationModel,
  delayGradientsInto,
  delaysInto,
  fimWeightsInto,
  pathGainsInto,
  steeringTowards,
  targetAnglesInto,
  ZetaProcess,
} from '../../src/phy/localization.ts';
import { beamGain, crlbOf, crlbOfBeams, fisherInformation } from '../../src/metrics/localization.ts';
import { localizationSchema } from '../../src/scenario/schema.ts';
import { close, testRng } from '../helpers.ts';

const BS = Float64Array.from([80, 80 * Math.sqrt(3), 80, -80 * Math.sqrt(3)]);
const spec = (tmt: number[][], extra: Record<string, unknown> = {}) =>
  localizationSchema.parse({ targets: { positionsM: [[0, 0]] }, tmtPositionsM: tmt, ...extra });

test('delay gradients (the columns of Λ, eq. 11) equal central differences of the delays (eq. 9)', () => {
  const model = buildLocalizationModel(spec([[30, 30], [30, -30], [-30, 30], [-30, -30]]), wavelengthM(24e9), 1);
  const [x, y, h] = [7, -4, 1e-3];
  const grad = delayGradientsInto(new Float64Array(16), BS, model, x, y);
  const d = (px: number, py: number) => delaysInto(new Float64Array(8), BS, model, px, py);
  const [xp, xm, yp, ym] = [d(x + h, y), d(x - h, y), d(x, y + h), d(x, y - h)];
  for (let i = 0; i < 8; i++) {
    close(grad[2 * i], (xp[i] - xm[i]) / (2 * h), 1e-7, `∂τ/∂x[${i}]`);
    close(grad[2 * i + 1], (yp[i] - ym[i]) / (2 * h), 1e-7, `∂τ/∂y[${i}]`);
  }
  // τ itself: (d_m + d'_n)/c for BS 0, TMT 0
  close(d(x, y)[0], (Math.hypot(80 - x, BS[1] - y) + Math.hypot(30 - x, 30 - y)) / SPEED_OF_LIGHT_MPS, 1e-12);
});

test('CRLB of Lemma 1 equals the inverse of a numerical Slepian–Bangs Fisher information of (x, y)', () => {
  // Two BSs (N_t = 4, K = 2 random beams each), two TMTs, a target off the origin.
  const tmt = [
    [30, 30],
    [-30, -30],
  ];
  const sigmaT = 1.125e-9; // Gaussian pulse g(t) = exp(−t²/2σ²): β² = 1/(8π²σ²) → β ≈ 100 MHz
  const beta = 1 / (2 * Math.SQRT2 * Math.PI * sigmaT);
  const pulses = 8;
  const Ts = 10e-9;
  const energy = pulses * sigmaT * Math.sqrt(Math.PI); // ∫|s_mk|² of every stream (unit amplitude)
  // L·T_s = energy: the model's κ = 8π² L T_s β² / σ_s² with L = 1, T_s = energy.
  const model = buildLocalizationModel(spec(tmt, { effectiveBandwidthHz: beta, snapshots: 1, symbolDurationS: energy }), wavelengthM(24e9), 1);
  const nt = 4;
  const K = 2;
  const rng = testRng('slepian-bangs');
  const W = [0, 1].map(() => {
    const w = czeros(K * nt);
    rng.complexNormal(w, 0.1);
    return w;
  });
  const [x0, y0] = [5, -3];
  const zeta = Float64Array.from({ length: 4 }, () => rng.normal());
  const eps = pathGainsInto(new Float64Array(4), BS, model, x0, y0).map((f, i) => Math.sqrt(f) * zeta[i]); // ε_{m,n} real
  // Symbols ±1, ±j; stream q = m·K + k occupies its own 200-ns block, so every pair of streams is
  // orthogonal for any delay difference (eq. 3b).
  const symbols = Array.from({ length: 2 * K }, () => Array.from({ length: pulses }, () => [[1, 0], [-1, 0], [0, 1], [0, -1]][rng.int(4)]));
  const block = 200e-9;
  const broadside = Math.PI; // arrays facing west, as in scenarios/localization.yaml
  const dt = sigmaT / 8;
  const t0 = 0.4e-6;
  const numSamples = Math.ceil((2 * K * block + 0.5e-6) / dt);
  /** μ_n(t) of eq. (7) sampled, for a target at (x, y): [numSamples] complex. */
  const mu = (n: number, x: number, y: number): Float64Array => {
    const out = new Float64Array(2 * numSamples);
    const tau = delaysInto(new Float64Array(4), BS, model, x, y);
    // the steering (AoD) depends on the position too, but the derivative of aᴴf is a nuisance term
    // (Lemma 2: J(τ, θ) = 0 by eq. 2); keep θ at the true position as the lemma does.
    const a = steeringTowards(BS, broadside, nt, x0, y0);
    for (let m = 0; m < 2; m++) {
      for (let k = 0; k < K; k++) {
        // b = a_mᴴ f_mk
        let br = 0;
        let bi = 0;
        for (let i = 0; i < nt; i++) {
          const [ar, ai] = [a[2 * (m * nt + i)], a[2 * (m * nt + i) + 1]];
          const [wr, wi] = [W[m][2 * (k * nt + i)], W[m][2 * (k * nt + i) + 1]];
          br += ar * wr + ai * wi;
          bi += ar * wi - ai * wr;
        }
        const e = eps[m * 2 + n];
        const q = m * K + k;
        for (let l = 0; l < pulses; l++) {
          const centre = q * block + 20e-9 + l * Ts + tau[m * 2 + n] - t0 + 0.2e-6;
          const [cr, ci] = symbols[q][l];
          const lo = Math.max(0, Math.floor((centre - 8 * sigmaT) / dt));
          const hi = Math.min(numSamples - 1, Math.ceil((centre + 8 * sigmaT) / dt));
          for (let s = lo; s <= hi; s++) {
            const g = Math.exp(-((s * dt - centre) ** 2) / (2 * sigmaT * sigmaT));
            out[2 * s] += e * g * (br * cr - bi * ci);
            out[2 * s + 1] += e * g * (br * ci + bi * cr);
          }
        }
      }
    }
    return out;
  };
  const h = 1e-4;
  const J = [0, 0, 0];
  for (let n = 0; n < 2; n++) {
    const [xp, xm, yp, ym] = [mu(n, x0 + h, y0), mu(n, x0 - h, y0), mu(n, x0, y0 + h), mu(n, x0, y0 - h)];
    for (let s = 0; s < 2 * numSamples; s++) {
      const dx = (xp[s] - xm[s]) / (2 * h);
      const dy = (yp[s] - ym[s]) / (2 * h);
      J[0] += dx * dx * dt;
      J[1] += dx * dy * dt;
      J[2] += dy * dy * dt;
    }
  }
  const numeric = J.map((v) => (2 / model.noisePsdWPerHz) * v); // eq. (22): (2/σ_s²) ∫ Re(∂μᴴ ∂μ)
  const eps2 = eps.map((e) => e * e);
  const steering = steeringTowards(BS, broadside, nt, x0, y0);
  const lemma = crlbOfBeams(W, nt, steering, fimWeightsInto(new Float64Array(6), BS, model, x0, y0, eps2));
  const fromNumeric = crlbOf(numeric);
  close(lemma.sumM2, fromNumeric.sumM2, 1e-5, 'C_xy');
  close(lemma.xM2, fromNumeric.xM2, 1e-5, '[C]11');
  close(lemma.yM2, fromNumeric.yM2, 1e-5, '[C]22');
  close(lemma.xyM2, fromNumeric.xyM2, 1e-4, '[C]12');
  assert.ok(lemma.sumM2 > 0 && Number.isFinite(lemma.sumM2));
});

test('crlbOf: the 2×2 inverse, and +∞ for a singular Fisher information', () => {
  const c = crlbOf([4, 1, 2]); // J = [[4, 1], [1, 2]], det 7, J⁻¹ = [[2, −1], [−1, 4]]/7
  close(c.xM2, 2 / 7, 1e-15);
  close(c.yM2, 4 / 7, 1e-15);
  close(c.xyM2, -1 / 7, 1e-15);
  close(c.sumM2, 6 / 7, 1e-15);
  assert.equal(crlbOf([1, 1, 1]).sumM2, Infinity); // rank one
  assert.equal(crlbOf([0, 0, 0]).sumM2, Infinity);
  assert.equal(fisherInformation([2, 3], Float64Array.from([1, 0, 1, 0, 1, 2])).join(), [2, 3, 8].join());
});

test('beam gain: all power along a(θ) gives N_t·P toward θ; the target angles are from the broadside', () => {
  const nt = 8;
  const a = czeros(nt);
  steeringInto(a, 0, nt, 0.3);
  const w = a.map((v) => v / Math.sqrt(nt)); // unit power
  close(beamGain(w, nt, a), nt, 1e-12);
  const theta = targetAnglesInto(new Float64Array(2), BS, Math.PI, 0, 0);
  close((theta[0] * 180) / Math.PI, 60, 1e-9, 'BS 1 sees the origin at +60°');
  close((theta[1] * 180) / Math.PI, -60, 1e-9, 'BS 2 at −60°');
});

test('F_{m,n} = λ²/((4π)³ d_m² d\'_n²) and the FIM weights scale with |ε|²', () => {
  const model = buildLocalizationModel(spec([[30, 30]]), wavelengthM(24e9), 1);
  const F = pathGainsInto(new Float64Array(2), BS, model, 0, 0);
  const lambda = SPEED_OF_LIGHT_MPS / 24e9;
  close(F[0], (lambda * lambda) / ((4 * Math.PI) ** 3 * 160 ** 2 * (30 * Math.SQRT2) ** 2), 1e-12);
  const w1 = fimWeightsInto(new Float64Array(6), BS, model, 0, 0, Float64Array.from([1, 1]));
  const w3 = fimWeightsInto(new Float64Array(6), BS, model, 0, 0, Float64Array.from([3, 1]));
  for (let i = 0; i < 3; i++) close(w3[i], 3 * w1[i], 1e-14);
  for (let i = 3; i < 6; i++) close(w3[i], w1[i], 1e-14);
  // κ = 8π² L T_s β² / σ_s², σ_s² = −174 dBm/Hz
  close(model.kappa, (8 * Math.PI ** 2 * 256 * 1e-8 * 1e16) / 10 ** (-20.4), 1e-12);
});

test('ζ processes: static never changes, block redraws on its boundaries, gauss-markov stays N(0, 1)', () => {
  const mk = (z: Record<string, unknown>) => new ZetaProcess(localizationSchema.shape.zeta.parse(z), 1, 2, 4, testRng('zeta'));
  const s = mk({ model: 'static' });
  const z0 = Array.from(s.zeta);
  for (let k = 1; k < 50; k++) s.update(k);
  assert.equal(Array.from(s.zeta), z0);
  const b = mk({ model: 'block', coherenceSlots: 5 });
  const b0 = Array.from(b.zeta);
  for (let k = 1; k < 5; k++) b.update(k);
  assert.equal(Array.from(b.zeta), b0);
  b.update(5);
  assert.not.equal(Array.from(b.zeta), b0);
  const g = new ZetaProcess(localizationSchema.shape.zeta.parse({ model: 'gauss-markov', correlation: 0.9 }), 1, 50, 40, testRng('gm'));
  let m2 = 0;
  let lag = 0;
  let n = 0;
  for (let k = 1; k <= 40; k++) {
    const prev = Float64Array.from(g.zeta);
    g.update(k);
    g.zeta.forEach((v, i) => {
      m2 += v * v;
      lag += v * prev[i];
      n++;
    });
  }
  close(m2 / n, 1, 0.05, 'E ζ²');
  close(lag / n, 0.9, 0.05, 'E ζ_k ζ_{k−1}');
});

test.run();
