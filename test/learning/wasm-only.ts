/**
 * Tests that need the wasm backend (the primal-dual suites): `before` loads it (and the fast
 * gradients when asked); `wasmTest` runs a test with it, or prints a visible SKIP line with the
 * reason when wasm cannot load.
 */
import type { Test } from 'uvu';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { registerFastGradients } from '../../src/learning/fast-gradients.ts';

export function wasmOnly(test: Test, o: { fastGradients?: boolean } = {}): (name: string, fn: (tf: Tf) => void | Promise<void>) => void {
  let tf: Tf | undefined;
  let problem = '';
  test.before(async () => {
    try {
      tf = (await initBackend('wasm')).tf;
      if (o.fastGradients) registerFastGradients(tf);
    } catch (e) {
      problem = (e as Error).message;
    }
  });
  return (name, fn) =>
    test(name, async () => {
      if (!tf) {
        console.log(`  SKIP (wasm backend unavailable: ${problem}): ${name}`);
        return;
      }
      await fn(tf);
    });
}
