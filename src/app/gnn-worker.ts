/**
 * Worker thread of `isac-twin figures gnn --jobs N`: evaluates the baselines on one range of a test
 * set per message ({ text, file, spec, range, pga, settings } → { ok, result } or { ok: false, error }).
 */
import { parentPort } from 'node:worker_threads';
import { loadScenario } from '../scenario/validate.ts';
import { twinPolicies } from '../learning/policies.ts';
import { evaluateBaselines, type BaselineSettings, type TestSetSpec } from './gnn-baselines.ts';

interface Job {
  text: string;
  file: string;
  spec: TestSetSpec;
  range: { from: number; to: number };
  pga: { betas: number[]; samples: number };
  settings: BaselineSettings;
}

parentPort?.on('message', (m: Job) => {
  try {
    parentPort!.postMessage({ ok: true, result: evaluateBaselines(loadScenario(m.text, m.file, twinPolicies()).scenario, m.spec, m.range, m.pga, m.settings) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
