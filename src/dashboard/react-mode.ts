/**
 * Development React validates every element and costs the dashboard about ten times more CPU
 * per frame (60 ms instead of 3–5 ms for the 100 × 30 screen), so the CLI selects the
 * production build before React is first loaded. React picks its build when it is loaded, from
 * NODE_ENV, and react, react-reconciler and scheduler must agree: NODE_ENV is only set when it is
 * unset and none of them is loaded yet (tests that load React first keep development React).
 */
import { createRequire } from 'node:module';

const REACT = /[\\/]node_modules[\\/](react|react-reconciler|scheduler)[\\/]/;

/** Sets NODE_ENV=production when that is still safe; returns the mode React will run in. */
export function preferReactProduction(): 'production' | 'development' {
  if (process.env.NODE_ENV === undefined) {
    const cache = createRequire(import.meta.url).cache;
    if (!Object.keys(cache).some((k) => REACT.test(k))) process.env.NODE_ENV = 'production';
  }
  return process.env.NODE_ENV === 'production' ? 'production' : 'development';
}
