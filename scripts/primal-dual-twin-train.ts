/**
 * Trains and ships the twin's primal-dual models (docs/primal-dual.md §10):
 *   nice -n 10 node --import tsx scripts/primal-dual-twin-train.ts [scenarios/paper002-twin.yaml] [models/primal-dual-twin] [--quick]
 *   … --exchange [scenario] [models/primal-dual-twin-exchange]   # the distributed-exchange models, L ∈ {0, 4, 8, 16, 32}
 * --quick: 200 + 200 iterations on 2000 snapshots (a smoke run, not for shipping).
 */
import { initBackend } from '../src/learning/backend.ts';
import { trainTwinModels } from '../src/app/primal-dual-twin-train.ts';
import { trainExchangeModels } from '../src/app/primal-dual-twin-exchange.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quick = process.argv.includes('--quick');
const { tf } = await initBackend('wasm');
const t0 = performance.now();
const log = (s: string) => console.log(`[+${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`);
if (process.argv.includes('--exchange')) {
  await trainExchangeModels(tf, args[0] ?? 'scenarios/paper002-twin.yaml', args[1] ?? 'models/primal-dual-twin-exchange', quick ? { iterations: 100, trainSamples: 1000, heldOutSamples: 200, evalEvery: 50, bits: [0, 4] } : {}, log);
} else {
  await trainTwinModels(tf, args[0] ?? 'scenarios/paper002-twin.yaml', args[1] ?? 'models/primal-dual-twin', quick ? { stage1Iterations: 200, iterations: 200, trainSamples: 2000, heldOutSamples: 300, evalEvery: 100 } : {}, log);
}
