/**
 * Worker thread of `isac-twin localization figures --jobs N`: evaluates one random drop per
 * message ({ text, file, seed, grid } → { ok, result } or { ok: false, error }).
 */
import { parentPort } from 'node:worker_threads';
import { loadScenario } from '../scenario/validate.ts';
import { twinPolicies } from '../learning/policies.ts';
import { evaluateDrop, type FigureGrid } from './localization-drops.ts';

parentPort?.on('message', (m: { text: string; file: string; seed: number; grid: FigureGrid }) => {
  try {
    parentPort!.postMessage({ ok: true, result: evaluateDrop(loadScenario(m.text, m.file, twinPolicies()), m.seed, m.grid) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
