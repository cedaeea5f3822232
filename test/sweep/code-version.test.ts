/** The code version's source digest: which files count, and line endings do not. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computesNumbers, sourceDigest } from '../../src/sweep/code-version.ts';

test('the digest follows the files that compute numbers, and only those', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'twin-digest-'));
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  put('src/phy/a.ts', 'export const a = 1;\n');
  put('src/cli/b.ts', 'x\n');
  put('src/sweep/runner.ts', 'r\n');
  put('src/sweep/pool.ts', 'p\n');
  put('package-lock.json', '{}\n');
  const d0 = sourceDigest(root);
  assert.match(d0, /^[0-9a-f]{12}$/);
  put('src/cli/b.ts', 'y\n');
  put('src/sweep/pool.ts', 'q\n');
  put('src/dashboard/c.tsx', 'z\n');
  assert.is(sourceDigest(root), d0, 'user interface and sweep machinery do not count');
  put('src/phy/a.ts', 'export const a = 1;\r\n');
  assert.is(sourceDigest(root), d0, 'CRLF checkouts agree');
  put('src/phy/a.ts', 'export const a = 2;\n');
  const d1 = sourceDigest(root);
  assert.is.not(d1, d0);
  put('src/sweep/runner.ts', 's\n');
  assert.is.not(sourceDigest(root), d1);
  const d2 = sourceDigest(root);
  put('package-lock.json', '{"a":1}\n');
  assert.is.not(sourceDigest(root), d2);
  assert.equal(['src/sim/twin.ts', 'src/analysis/analyze.ts', 'src/sweep/runner.ts', 'src/sweep/plan.ts', 'src/cli/main.ts', 'test/x.ts'].map(computesNumbers), [true, true, true, false, false, false]);
});

test.run();
