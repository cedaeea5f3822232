// Runs every uvu suite under test/ (files named *.test.ts / *.test.tsx) in one Node process with
// tsx, echoes uvu's report and ends with the line CI reads: `N passed, N failed`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const pattern = process.argv[2] ?? '\\.test\\.tsx?$';
const child = spawn(process.execPath, ['--import', path.join(root, 'scripts', 'quiet-cursor.mjs'), '--import', 'tsx', uvu, 'test', pattern], {
  cwd: root,
  env: { ...testEnv(process.env), NO_COLOR: '1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on('close', (code) => {
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(total) || !Number.isFinite(passed)) {
    console.log('0 passed, 1 failed');
    process.exit(code || 1);
  }
  const failed = total - passed - skipped;
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 || code ? 1 : 0);
});

/**
 * The tests' environment does not depend on where they run: no forced colours, and no CI
 * variables. ink reads CI / CONTINUOUS_INTEGRATION once, when it is imported, and in CI draws no
 * frame until it unmounts; the dashboard tests draw into in-memory terminals and look at the
 * frames, so they need ink's normal mode. (The CLI's own behaviour in CI, plain progress lines,
 * is tested by setting CI for the child it starts: test/dashboard/e2e-tmux.test.ts.)
 */
function testEnv(env) {
  const { FORCE_COLOR: _f, CI: _c, CONTINUOUS_INTEGRATION: _ci, ...rest } = env;
  return rest;
}
