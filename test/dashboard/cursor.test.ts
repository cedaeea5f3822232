/**
 * ink hides the cursor of in-memory terminals (they claim to be TTYs); restore-cursor then writes
 * ESC[?25h to the real stderr at exit, a stray "[?25h" in CI logs of `npm test` and `npm run bench`.
 * scripts/quiet-cursor.mjs drops it when stderr is not a terminal.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../fixtures/ink-once.mjs', import.meta.url));
const run = (quiet: boolean) =>
  spawnSync(process.execPath, [...(quiet ? ['--import', `${root}scripts/quiet-cursor.mjs`] : []), '--import', 'tsx', script], {
    cwd: root,
    encoding: 'utf8',
    // ink draws nothing (and hides no cursor) when it believes it runs in CI: clear those variables.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'CONTINUOUS_INTEGRATION')),
  });

test('an ink frame in an in-memory terminal leaves no cursor escape on a piped stderr', () => {
  const bare = run(false);
  assert.is(bare.status, 0, bare.stderr);
  assert.ok(bare.stderr.includes('\u001b[?25h'), 'the leak this guards against (restore-cursor at exit)');
  const quiet = run(true);
  assert.is(quiet.status, 0, quiet.stderr);
  assert.not.ok(quiet.stderr.includes('\u001b[?25h'), `stderr: ${JSON.stringify(quiet.stderr)}`);
});

test.run();
