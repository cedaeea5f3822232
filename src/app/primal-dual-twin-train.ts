/**
 * Trains and ships the twin's primal-dual models (docs/primal-dual.md §10): for every BS of a
 * scenario (scenarios/paper002-twin.yaml) a stage-1 trunk and a transfer head
 * (learning/primal-dual/twin-train.ts) on channel snapshots of that scenario's geometry, saved as
 * <out>/bs<m>/model.json + weights.bin (the head network; its trunk frozen inside) with one
 * <out>/metadata.json (family, dims, per-BS trained angles and feature moments, data hash, seed,
 * curves, held-out scores, wall time).
 *
 *   node --import tsx scripts/primal-dual-twin-train.ts [scenario] [out] [--quick]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { drawDataset, scenarioHash } from '../learning/dataset.ts';
import { saveLayersModel } from '../learning/model-store.ts';
import { paperHiddenDims } from '../learning/primal-dual/network.ts';
import { twinProblem, type FeatureMoments } from '../learning/primal-dual/twin-problem.ts';
import { bsSamples, trainTwinBs, type TwinTrainOptions } from '../learning/primal-dual/twin-train.ts';
import { featureDim } from '../learning/primal-dual/problem.ts';
import { buildTopology } from '../phy/network.ts';
import { parseScenarioText } from '../scenario/load.ts';
import { writeText } from './figure-files.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** What `primal-dual` (twin-policy.ts) reads of a twin model's metadata.json. */
export interface TwinModelMeta {
  format: 'isac-twin/primal-dual-twin';
  family: 'primal-dual-twin';
  dims: { numBs: number; numTxAnt: number; usersPerCell: number; sensingStreams: number; inputDim: number; hiddenDims: number[]; outputDim: number };
  epsilon: number;
  beamWidthDeg: number;
  bs: Array<{ targetsDeg: number[]; moments: FeatureMoments }>;
}

export const TWIN_DEFAULTS: Omit<TwinTrainOptions, 'seed' | 'onEval'> & { trainSamples: number; heldOutSamples: number; epsilon: number } = {
  stage1Iterations: 2000,
  iterations: 3000,
  batchSize: 32,
  learningRate: 1e-3,
  dualStep: 1,
  logitPenalty: 0.01,
  pairStride: 8,
  sensingSamples: 8,
  evalEvery: 250,
  trainSamples: 16000,
  heldOutSamples: 1000,
  epsilon: 0.3,
};

export async function trainTwinModels(tf: Tf, scenarioFile: string, out: string, o: Partial<typeof TWIN_DEFAULTS> & { seed?: number } = {}, log: (s: string) => void = () => {}): Promise<void> {
  const t0 = performance.now();
  const set = { ...TWIN_DEFAULTS, ...o };
  const seed = o.seed ?? 2002;
  const text = readFileSync(scenarioFile, 'utf8');
  const { scenario } = parseScenarioText(text, scenarioFile);
  const topo = buildTopology(scenario);
  const K = scenario.users.perCell;
  const N = topo.numTxAnt;
  const J = scenario.targets.perCell;
  if (topo.numSensingStreams !== J) throw new Error(`${scenarioFile}: sensing.streams must equal targets.perCell (${J}): one sensing stream per target`);
  let angles: number[] = [];
  const pool = drawDataset(scenario, topo, set.trainSamples, seed, 'primal-dual-twin:train', (n, st) => {
    if (n === 0) angles = Array.from(st.targetThetaRad, (x) => Math.round((x * 180) / Math.PI * 100) / 100);
  });
  const held = drawDataset(scenario, topo, set.heldOutSamples, seed, 'primal-dual-twin:test');
  log(`pool ${set.trainSamples} + ${set.heldOutSamples} snapshots drawn in ${((performance.now() - t0) / 1000).toFixed(1)} s; target angles ${angles.join(', ')}`);
  const perBs: Array<Record<string, unknown>> = [];
  const metaBs: TwinModelMeta['bs'] = [];
  for (let m = 0; m < topo.numBs; m++) {
    const targetsDeg = angles.slice(m * J, (m + 1) * J);
    const tp = twinProblem({ numUsers: K, numTxAnt: N, targetsDeg, epsilon: set.epsilon, beamWidthDeg: scenario.sensing.beampattern?.widthDeg });
    const r = trainTwinBs(tf, tp, bsSamples(tp, pool, m), bsSamples(tp, held, m), {
      ...set,
      seed: seed + 10 * m,
      onEval: (what, p) => log(`BS ${m} ${what} it ${p.iteration}: rate ${p.rate.toFixed(3)} L_r ${p.lr.toFixed(4)} μ ${p.mu.toFixed(3)}`),
    });
    await saveLayersModel(tf, r.model, path.join(out, `bs${m}`));
    metaBs.push({ targetsDeg, moments: r.moments });
    perBs.push({
      bs: m,
      targetsDeg,
      moments: r.moments,
      seed: seed + 10 * m,
      stage1: { iterations: set.stage1Iterations, finalMu: r.stage1.mu, heldOutRate: r.stage1.rate, heldOutLrSensingOnly: r.stage1.lr, wallS: r.stage1.wallS, curve: r.stage1.curve },
      transfer: { iterations: set.iterations, trainedParams: r.trainedParams, finalMu: r.mu, wallS: r.wallS, curve: r.curve },
      heldOut: { samples: set.heldOutSamples, rate: r.final.meanRate, lr: r.final.meanLr, lr1: r.final.meanLr1, lr2: r.final.meanLr2, violationShare: r.final.violationShare },
    });
    log(`BS ${m}: held-out rate ${r.final.meanRate.toFixed(3)} L_r ${r.final.meanLr.toFixed(4)} (ε ${set.epsilon}); stage 1 ${r.stage1.wallS.toFixed(0)} s, transfer ${r.wallS.toFixed(0)} s`);
  }
  const meta = {
    format: 'isac-twin/primal-dual-twin',
    version: 1,
    family: 'primal-dual-twin',
    paper: '002',
    dims: { numBs: topo.numBs, numTxAnt: N, usersPerCell: K, sensingStreams: J, inputDim: featureDim(twinProblem({ numUsers: K, numTxAnt: N, targetsDeg: angles.slice(0, J), epsilon: set.epsilon }).pb, 'gains'), hiddenDims: paperHiddenDims(K), outputDim: 2 * N * (K + J) },
    epsilon: set.epsilon,
    beamWidthDeg: scenario.sensing.beampattern?.widthDeg ?? 10,
    mapping: 'single array (T1): M_C = M_R = N_T, f_k = g_k; paper units (T2) P_max = 0.1, P_R = 0.1, N_0 = 0.01, g = conj(h)·√(P_m/σ_c²)·√(N_0/P_tot); features (T3) C9 log-gains re-standardised per kind with the pool moments; L_r (T4) of the whole covariance; head (T5) 2N(K+P): comm coefficients in [u | complement], P sensing rows with per-antenna norm √(P_R/N)',
    features: 'gains',
    activation: 'relu',
    bs: metaBs,
    data: { scenario: path.basename(scenarioFile), scenarioHash: scenarioHash(scenario), trainSamples: set.trainSamples, heldOutSamples: set.heldOutSamples, seed, splits: ['primal-dual-twin:train', 'primal-dual-twin:test'] },
    training: { ...set },
    perBs,
    wallS: (performance.now() - t0) / 1000,
    backend: tf.getBackend(),
    date: new Date().toISOString(),
    command: `node --import tsx scripts/primal-dual-twin-train.ts ${scenarioFile} ${out}`,
  };
  writeText(path.join(out, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
  log(`shipped ${out} in ${meta.wallS.toFixed(0)} s`);
}
