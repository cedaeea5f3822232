/**
 * Trains and ships the twin's distributed-exchange models (docs/primal-dual.md §10.4): paper 002's
 * quantiser + optimiser networks (train-distributed.ts, stage-1 form) trained centrally on snapshots
 * of the scenario's geometry with the twin's local CSI (twin-exchange-data.ts, T6), one model per
 * exchange L ∈ {0 (no message), 4, 8, 16, 32}:
 *   <out>-L<L>/q<j>/, d<j>/ (tfjs layers: Dense + ReLU, the quantiser's last Dense with tanh) and
 *   <out>-L<L>/metadata.json (family primal-dual-exchange, dims, moments, data, seed, curve, wall time).
 *
 *   node --import tsx scripts/primal-dual-twin-train.ts --exchange [scenario] [out prefix]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { drawDataset, scenarioHash } from '../learning/dataset.ts';
import { saveLayersModel } from '../learning/model-store.ts';
import { trainDistributed, type Exchange } from '../learning/primal-dual/train-distributed.ts';
import { twinDistributedSet, twinExchangeProblem, twinPoolBatch } from '../learning/primal-dual/twin-exchange-data.ts';
import { buildTopology } from '../phy/network.ts';
import { parseScenarioText } from '../scenario/load.ts';
import { writeText } from './figure-files.ts';

export type Tf = typeof import('@tensorflow/tfjs');

export const EXCHANGE_DEFAULTS = { iterations: 3000, batchSize: 32, learningRate: 1e-3, dualStep: 1, logitPenalty: 0.01, pairStride: 8, evalEvery: 250, trainSamples: 16000, heldOutSamples: 1000, bits: [0, 4, 8, 16, 32] };

export async function trainExchangeModels(tf: Tf, scenarioFile: string, outPrefix: string, o: Partial<typeof EXCHANGE_DEFAULTS> & { seed?: number } = {}, log: (s: string) => void = () => {}): Promise<void> {
  const set = { ...EXCHANGE_DEFAULTS, ...o };
  const seed = o.seed ?? 2003;
  const t0 = performance.now();
  const { scenario } = parseScenarioText(readFileSync(scenarioFile, 'utf8'), scenarioFile);
  const topo = buildTopology(scenario);
  const K = scenario.users.perCell;
  const P = scenario.targets.perCell;
  let angles: number[] = [];
  const pool = drawDataset(scenario, topo, set.trainSamples, seed, 'primal-dual-exchange:train', (n, st) => {
    if (n === 0) angles = Array.from(st.targetThetaRad, (x) => Math.round(((x * 180) / Math.PI) * 100) / 100);
  });
  const held = drawDataset(scenario, topo, set.heldOutSamples, seed, 'primal-dual-exchange:test');
  const targetsDegPerBs = Array.from({ length: topo.numBs }, (_, m) => angles.slice(m * P, (m + 1) * P));
  const dp = twinExchangeProblem(K, topo.numTxAnt, targetsDegPerBs);
  const { moments } = twinDistributedSet(dp, pool.H);
  const evalSet = twinDistributedSet(dp, held.H, moments).set;
  log(`exchange pool ${set.trainSamples} + ${set.heldOutSamples} snapshots in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const L of set.bits) {
    const exchange: Exchange = L === 0 ? { kind: 'none' } : { kind: 'bits', bits: L };
    const r = trainDistributed(tf, dp, {
      exchange, iterations: set.iterations, batchSize: set.batchSize, learningRate: set.learningRate, dualStep: set.dualStep, logitPenalty: set.logitPenalty, pairStride: set.pairStride,
      seed: seed + L, evalEvery: set.evalEvery, evalSet, keepModels: true,
      batchSet: (start, n) => twinPoolBatch(dp, pool.H, moments, start, n),
      onEval: (p) => log(`L = ${L} it ${p.iteration}: R ${p.rate.map((x) => x.toFixed(3)).join(' / ')}, L_r ${p.lr.map((x) => x.toFixed(4)).join(' / ')}, μ ${p.mu.map((x) => x.toFixed(2)).join(' / ')}`),
    });
    const dir = `${outPrefix}-L${L}`;
    for (const [j, q] of r.models!.quant.entries()) await saveLayersModel(tf, q, path.join(dir, `q${j}`));
    for (const [j, d] of r.models!.opt.entries()) await saveLayersModel(tf, d, path.join(dir, `d${j}`));
    [...r.models!.quant, ...r.models!.opt].forEach((m) => m.dispose());
    const meta = {
      format: 'isac-twin/primal-dual-exchange', version: 1, family: 'primal-dual-exchange', paper: '002',
      dims: { numBs: topo.numBs, numTxAnt: topo.numTxAnt, usersPerCell: K, sensingStreams: P, featureDim: dp.featureDim, bits: L, hidden: [2 * K, 3 * K, 2 * K], quantiser: L ? [dp.featureDim, 2 * K, L] : [] },
      targetsDegPerBs, moments,
      mapping: 'twin-exchange-data.ts: stage-1 form (MRT directions × √p, target beams × √q), single array, paper units √(N_0/P_tot); BS j’s local CSI = the gains of its own streams at every user (T6), log, standardised per feature with the pool moments',
      epsilon: dp.cfg.epsilon,
      data: { scenario: path.basename(scenarioFile), scenarioHash: scenarioHash(scenario), trainSamples: set.trainSamples, heldOutSamples: set.heldOutSamples, seed, splits: ['primal-dual-exchange:train', 'primal-dual-exchange:test'] },
      training: { ...set, bits: L, seed: seed + L, params: r.params },
      curve: r.curve, heldOut: { rate: r.final.rate, sum: r.final.rate.reduce((a, b) => a + b, 0), lr: r.final.lr, mu: r.final.mu },
      wallS: r.wallS, backend: tf.getBackend(), date: new Date().toISOString(),
      command: `node --import tsx scripts/primal-dual-twin-train.ts --exchange ${scenarioFile} ${outPrefix}`,
    };
    writeText(path.join(dir, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
    log(`L = ${L}: held-out sum ${meta.heldOut.sum.toFixed(3)} (${r.final.rate.map((x) => x.toFixed(3)).join(' / ')}) in ${r.wallS.toFixed(0)} s → ${dir}`);
  }
}
