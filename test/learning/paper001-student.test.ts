/**
 * Paper 001's student rules (src/learning/paper001/student.ts) on hand-made sequences: the
 * reference gaps and the adaptive λ of eq. (12) (both branches, ties, negative gaps, clipping, a
 * five-batch trace computed by hand), and the 94 % selection of §8.3 on the paper's N = 8 numbers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adaptLambda, LAMBDA_RULE, referenceGap, selectEpoch } from '../../src/learning/paper001/student.ts';
import { close } from '../helpers.ts';

test('G_k = batch mean of (ĝ − g)/ĝ', () => {
  close(referenceGap([1, 2, 3], 4), 0.5, 1e-15);
  close(referenceGap(Float64Array.of(3.2, 3.2), 3.2), 0, 1e-15);
  close(referenceGap([5], 4), -0.25, 1e-15, 'a student above the teacher: negative gap');
  assert.throws(() => referenceGap([1], 0), /the teacher score must be positive, got 0/);
  assert.throws(() => referenceGap([], 1), /empty batch/);
});

test('eq. (12): the larger gap moves λ, G₂ wins ties, clipped to [0, 1]', () => {
  const e = LAMBDA_RULE.epsilon;
  assert.is(LAMBDA_RULE.lambda0, 0.5);
  assert.is(e, 0.01);
  close(adaptLambda(0.5, 0.1, 0.3, e), 0.503, 1e-15, 'SINR further from its teacher: λ up by εG₂');
  close(adaptLambda(0.5, 0.3, 0.1, e), 0.497, 1e-15, 'SSNR further: λ down by εG₁');
  close(adaptLambda(0.5, 0.2, 0.2, e), 0.502, 1e-15, 'tie: the G₂ branch');
  close(adaptLambda(0.5, -0.2, -0.5, e), 0.502, 1e-15, 'both above the teachers: G₂ < G₁, λ − εG₁ rises');
  assert.is(adaptLambda(0.999, 0.1, 0.5, e), 1, 'clipped at 1');
  assert.is(adaptLambda(0.001, 0.5, 0.1, e), 0, 'clipped at 0');
});

test('a five-batch trace from λ⁰ = 0.5 (ĝ₁ = 3.2, ĝ₂ = 2), by hand', () => {
  // batches of (SSNR, min-SINR) scores; the gaps and λ after each batch worked out by hand
  const batches = [
    { ssnr: [1.6, 1.6], sinr: [1, 1] }, //     G₁ = 0.5,  G₂ = 0.5  → tie, λ = 0.5 + 0.005 = 0.505
    { ssnr: [2.4, 2.4], sinr: [0.5, 1.5] }, // G₁ = 0.25, G₂ = 0.5  → λ = 0.505 + 0.005 = 0.510
    { ssnr: [0.8, 1.6], sinr: [1.8, 1.8] }, // G₁ = 0.625, G₂ = 0.1 → λ = 0.510 − 0.00625 = 0.50375
    { ssnr: [3.2, 3.2], sinr: [2, 2] }, //     G₁ = G₂ = 0         → λ unchanged 0.50375
    { ssnr: [3.2, 3.2], sinr: [2.2, 2.2] }, // G₁ = 0, G₂ = −0.1    → G₂ < G₁: λ − ε·0 = 0.50375
  ];
  const want = [0.505, 0.51, 0.50375, 0.50375, 0.50375];
  let lambda: number = LAMBDA_RULE.lambda0;
  batches.forEach((b, i) => {
    lambda = adaptLambda(lambda, referenceGap(b.ssnr, 3.2), referenceGap(b.sinr, 2), LAMBDA_RULE.epsilon);
    close(lambda, want[i], 1e-14, `λ after batch ${i + 1}`);
  });
});

test('§8.3 selection on the paper\'s N = 8 numbers: S* = 1.5743, threshold 1.4798, epoch 222 (SINR 1.4802, SSNR 1.9338)', () => {
  const curve = [
    { epoch: 100, minSinr: 1.2, ssnr: 2.6 }, // best SSNR overall, far below the threshold
    { epoch: 180, minSinr: 1.5743, ssnr: 1.7 }, // S*
    { epoch: 200, minSinr: 1.4797, ssnr: 2.1 }, // just below 0.94 S* = 1.479842: excluded
    { epoch: 222, minSinr: 1.4802, ssnr: 1.9338 },
    { epoch: 240, minSinr: 1.52, ssnr: 1.9338 }, // same SSNR, later: the earliest wins
    { epoch: 300, minSinr: 1.55, ssnr: 1.8 },
  ];
  const r = selectEpoch(curve);
  close(r.best, 1.5743, 1e-15);
  close(r.cut, 1.479842, 1e-12);
  assert.is(r.qualifying, 4);
  assert.equal(r.selected, { epoch: 222, minSinr: 1.4802, ssnr: 1.9338 });
  assert.is(selectEpoch(curve, 1).selected.epoch, 180, 'threshold 1: the best-SINR epoch');
  assert.throws(() => selectEpoch([]), /no epochs/);
  assert.throws(() => selectEpoch(curve, 0), /threshold must be in \(0, 1\], got 0/);
});

test.run();
