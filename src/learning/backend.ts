/**
 * TensorFlow.js backend selection for the learned beamformers.
 *
 * Order of preference when no backend is forced:
 *   1. 'tensorflow' — `@tensorflow/tfjs-node` (native libtensorflow, multi-threaded). It is an
 *      optional dependency; its install script downloads libtensorflow, so it is often absent.
 *   2. 'wasm' — `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD). In Node, tfjs-backend-wasm 4.22
 *      always loads the single-threaded SIMD binary: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is
 *      hard-wired to false under Node (tfjs issue #3830) and forcing it fails, because the
 *      pthread workers are created from Blob URLs that `worker_threads` cannot load. So one core
 *      does the maths whatever `nproc` says; we do not call `setThreadsCount`.
 *   3. 'cpu' — the pure-JS reference backend (20–30× slower than wasm on matrix products).
 *
 * This module never prints: callers report `backendName()` themselves. It is an edge adapter
 * (it touches the file system to locate the .wasm binaries), not part of the simulation core.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');

/** Names accepted by `initBackend`; they are also the tfjs backend names. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface LoadedBackend {
  /** tfjs backend name actually active: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** The tfjs namespace to use with this backend. */
  tf: Tf;
}

/** Raised when a forced backend cannot be loaded; the message names the backend and the cause. */
export class BackendError extends Error {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** One result object per backend name, so that repeated calls return the identical object. */
const loaded = new Map<BackendName, LoadedBackend>();
/** Loads in flight, so that concurrent calls share one initialisation. */
const pending = new Map<BackendName, Promise<LoadedBackend>>();
let active: LoadedBackend | null = null;
/** The best backend that loaded on the first unforced call ('tensorflow', else 'wasm', else 'cpu'). */
let best: BackendName | null = null;
let wasmPathsSet = false;

/**
 * Selects, initialises and activates a tfjs backend.
 *
 * - `initBackend()` activates the best available backend: on the first such call it tries
 *   'tensorflow', then 'wasm', then 'cpu' and remembers the first that loads; later calls switch
 *   back to it if a forced call activated another one since (a test that forces 'cpu' does not
 *   change what the next caller without a preference gets).
 * - `initBackend(name)` forces that backend (switching to it if another one is active) and throws
 *   a `BackendError` that names it when it cannot be loaded.
 *
 * Repeated calls that end on the same backend return the identical object.
 */
export async function initBackend(preferred?: BackendName): Promise<LoadedBackend> {
  if (preferred === undefined) {
    if (best !== null) return activate(best);
    const failures: string[] = [];
    for (const name of BACKEND_NAMES) {
      try {
        const b = await activate(name);
        best = name;
        return b;
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    throw new BackendError('any', `No TensorFlow.js backend could be loaded (${failures.join('; ')})`);
  }
  if (!BACKEND_NAMES.includes(preferred)) {
    throw new BackendError(
      String(preferred),
      `Unknown backend '${String(preferred)}': expected one of ${BACKEND_NAMES.join(', ')}`,
    );
  }
  return activate(preferred);
}

/**
 * Name of the tfjs backend now active ('tensorflow' | 'wasm' | 'cpu'), or null before the first
 * successful `initBackend`. Read from tfjs, so it stays true if a caller switched backends itself.
 */
export function backendName(): string | null {
  return active === null ? null : active.tf.getBackend();
}

async function activate(name: BackendName): Promise<LoadedBackend> {
  const ready = loaded.get(name);
  if (ready !== undefined) {
    if (ready.tf.getBackend() !== name) await setBackendOrThrow(ready.tf, name);
    active = ready;
    return ready;
  }
  let inFlight = pending.get(name);
  if (inFlight === undefined) {
    inFlight = load(name).finally(() => pending.delete(name));
    pending.set(name, inFlight);
  }
  const result = await inFlight;
  active = result;
  return result;
}

async function load(name: BackendName): Promise<LoadedBackend> {
  let tf: Tf;
  try {
    if (name === 'tensorflow') {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const spec = '@tensorflow/tfjs-node';
      tf = (await import(spec)) as Tf;
    } else {
      tf = await import('@tensorflow/tfjs');
      if (name === 'wasm') await loadWasm();
    }
  } catch (error) {
    throw new BackendError(name, `Backend '${name}' could not be loaded: ${(error as Error).message}`);
  }
  await setBackendOrThrow(tf, name);
  if (name === 'cpu') silenceCpuGreeting(tf);
  const result: LoadedBackend = { name, tf };
  loaded.set(name, result);
  return result;
}

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (wasmPathsSet) return;
  // The .wasm binaries sit next to the package's main file in dist/; pointing tfjs at that
  // directory makes loading independent of the caller's working directory and of bundling.
  const require = createRequire(import.meta.url);
  const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(distDir + path.sep);
  wasmPathsSet = true;
}

/**
 * The cpu backend prints a "install tfjs-node" banner through tfjs's logger on its first tensor
 * write. This module must not print, so the first write happens here with tfjs's `PROD` flag
 * (which mutes that logger) raised for the duration of one tiny allocation, then restored.
 */
function silenceCpuGreeting(tf: Tf): void {
  const env = tf.env();
  const prod = env.getBool('PROD');
  env.set('PROD', true);
  try {
    tf.tensor1d([0]).dispose();
  } finally {
    env.set('PROD', prod);
  }
}

async function setBackendOrThrow(tf: Tf, name: BackendName): Promise<void> {
  let ok = false;
  let cause = 'tf.setBackend returned false';
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    cause = (error as Error).message ?? String(error);
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(name, `Backend '${name}' failed to initialise: ${cause}`);
  }
}
