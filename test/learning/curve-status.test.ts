/** curve-status.ts: the "validation curve flattened" rule of issue 14 on hand-made curves. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { curveStatus, describeCurveStatus } from '../../src/learning/curve-status.ts';
import { close } from '../helpers.ts';

test('a curve still falling by 5 % over its last 20 % is not flat; one within 0.5 % is a plateau', () => {
  // 10 epochs, tail = last 2: best before −4.0 (epoch 8), best in the tail −4.2 → 5 % gain
  const rising = [-1, -2, -3, -3.5, -3.7, -3.8, -3.9, -4.0, -4.1, -4.2];
  const s = curveStatus(rising);
  assert.is(s.tailEpochs, 2);
  close(s.tailGain, 0.05, 1e-12);
  assert.is(s.flattened, false);
  assert.is(s.reason, 'still improving');
  // 1 % over the tail: still improving at the 0.5 % rule
  const slow = [-1, -2, -3, -3.5, -3.7, -3.8, -3.9, -4.0, -4.02, -4.04];
  close(curveStatus(slow).tailGain, 0.01, 1e-12);
  assert.is(curveStatus(slow).flattened, false, '1 % is not a plateau');
  const flat = [-1, -2, -3, -3.5, -3.7, -3.8, -3.9, -4.0, -4.01, -4.019];
  const f = curveStatus(flat);
  close(f.tailGain, 0.019 / 4, 1e-12);
  assert.is(f.flattened, true);
  assert.is(f.reason, 'plateau');
  assert.is(describeCurveStatus(f), 'plateau (0.48 % over the last 2 ep)');
});

test('the tail is 20 % of the epochs (at least 2); a worse tail has gain 0; early stopping counts as flattened', () => {
  const c = Array.from({ length: 100 }, (_, i) => -Math.min(i, 79)); // best −79 at epoch 80, flat after
  const s = curveStatus(c);
  assert.is(s.tailEpochs, 20);
  assert.is(s.tailGain, 0);
  assert.is(s.flattened, true);
  const worse = [-5, -6, -7, -6.5, -6.4];
  assert.is(curveStatus(worse).tailGain, 0);
  const e = curveStatus(rising10(), 'early-stopping');
  assert.is(e.flattened, true);
  assert.is(e.reason, 'early-stopping');
  assert.is(curveStatus([-1, -2]).reason, 'too short');
  assert.is(curveStatus([-1, -2]).flattened, false);
});

function rising10(): number[] {
  return Array.from({ length: 10 }, (_, i) => -i);
}

test.run();
