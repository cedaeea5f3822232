/**
 * Rng.permutation: a permutation of 0 … n−1, the Fisher–Yates order written out by hand on the
 * same stream (the training shuffles of several suites depend on it staying exactly this), and
 * uniform over the n! orders (χ² over the 24 permutations of 4).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { streamFor } from '../../src/phy/random.ts';

test('a permutation, in the Fisher–Yates order of its stream', () => {
  const p = streamFor(7, 'perm').permutation(50);
  assert.equal([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  const rng = streamFor(7, 'perm');
  const a = Array.from({ length: 50 }, (_, i) => i);
  for (let i = 49; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  assert.equal(Array.from(p), a);
  assert.equal(Array.from(streamFor(1, 'x').permutation(0)), []);
  assert.equal(Array.from(streamFor(1, 'x').permutation(1)), [0]);
});

test('uniform over the 24 orders of 4 (χ² with 23 degrees of freedom below its 99.9 % point)', () => {
  const rng = streamFor(3, 'uniform');
  const counts = new Map<string, number>();
  const n = 48000;
  for (let k = 0; k < n; k++) {
    const key = rng.permutation(4).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.is(counts.size, 24);
  const e = n / 24;
  let chi2 = 0;
  for (const c of counts.values()) chi2 += (c - e) ** 2 / e;
  assert.ok(chi2 < 49.7, `χ² = ${chi2}`);
});

test.run();
