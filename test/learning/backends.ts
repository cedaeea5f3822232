/**
 * The backend fixture of the suites that compare tfjs backends (conv, batch norm, per-AP nets):
 * before the suite it loads the automatic backend and tries wasm (remembering why wasm is not
 * available, so tests skip visibly), runs the suite's own set-up on the wasm backend's kernel
 * registry, and afterwards runs its tear-down and hands back the automatic backend.
 */
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { initBackend, type BackendName, type Tf } from '../../src/learning/backend.ts';

export interface BackendFixture {
  /** The tfjs namespace (set in `before`). */
  readonly tf: Tf;
  /** Why wasm could not be loaded, or null when it is up. */
  readonly noWasm: string | null;
  /** Runs `body` on each backend (cpu, then wasm; wasm skipped visibly when it cannot load), checking no silent fallback. */
  onBackends(title: string, body: (backend: BackendName) => void | Promise<void>): Promise<void>;
  /** Runs `body` on wasm only (a visible SKIP line when it cannot load). */
  onWasm(title: string, body: () => void | Promise<void>): Promise<void>;
}

export function backendFixture(
  s: Test,
  o: {
    /** With wasm loaded (the registry is global): register kernels, remember what was there. */
    setUp?: (tf: Tf) => void;
    /** After the suite, with wasm loaded when it could be. */
    tearDown?: (tf: Tf) => void;
  } = {},
): BackendFixture {
  let tf: Tf | undefined;
  let noWasm: string | null = null;
  const on = async (backend: BackendName, title: string, body: () => void | Promise<void>) => {
    await initBackend(backend);
    try {
      assert.is(tf!.getBackend(), backend);
      await body();
      assert.is(tf!.getBackend(), backend, `${title}: still on ${backend} after the body (no silent fallback)`);
    } finally {
      await initBackend();
    }
  };
  s.before(async () => {
    tf = (await initBackend()).tf;
    try {
      await initBackend('wasm');
    } catch (error) {
      noWasm = (error as Error).message;
    }
    if (noWasm === null) o.setUp?.(tf);
    await initBackend();
  });
  s.after(async () => {
    if (noWasm === null) o.tearDown?.(tf!);
    await initBackend();
  });
  return {
    get tf() {
      if (!tf) throw new Error('backendFixture: tf is set in the suite’s before hook');
      return tf;
    },
    get noWasm() {
      return noWasm;
    },
    async onBackends(title, body) {
      for (const backend of ['cpu', 'wasm'] as const) {
        if (backend === 'wasm' && noWasm !== null) {
          console.log(`  SKIP ${title} on wasm: wasm backend unavailable (${noWasm})`);
          continue;
        }
        await on(backend, title, () => body(backend));
      }
    },
    async onWasm(title, body) {
      if (noWasm !== null) {
        console.log(`  SKIP ${title}: wasm backend unavailable (${noWasm})`);
        return;
      }
      await on('wasm', title, body);
    },
  };
}
