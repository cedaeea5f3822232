/**
 * Learned beamformers (issue 4): VFL training samples/s and the step/forward ratio in the VFL
 * setup (3 BS parties, 4×512 MLPs, batch 128, default scenario), per-BS inference p50/p99 for one
 * decision, and the twin's slots/s with VFL acting (default scenario, no shadows, no logging).
 * The in-loop rows need the shipped model models/default-vfl-rho0.5.
 */
import { existsSync, readFileSync } from 'node:fs';
import { initBackend } from '../src/learning/backend.ts';
import { registerFastGradients } from '../src/learning/fast-gradients.ts';
import { createMlp } from '../src/learning/mlp.ts';
import { drawDataset, featureScale, inputDim, localFeatureMatrix, outputDim, sizes } from '../src/learning/dataset.ts';
import { BsParty, CentralServer } from '../src/learning/vfl.ts';
import { createLearnedPolicy, DEFAULT_MODELS, twinPolicies } from '../src/learning/policies.ts';
import { Twin } from '../src/sim/twin.ts';
import { loadScenario, withOverrides } from '../src/scenario/validate.ts';
import type { BenchRow } from './index.ts';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const median = (xs: number[]) => quantile(xs, 0.5);

export async function benchVfl(o: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const { tf } = await initBackend();
  registerFastGradients(tf);
  const rows: BenchRow[] = [];
  const loaded = loadScenario(readFileSync('scenarios/default.yaml', 'utf8'), 'scenarios/default.yaml', twinPolicies({ inferenceTf: tf }));
  const d0 = drawDataset(loaded.scenario, loaded.topology, 128, 1, 'bench');
  const d = d0.dims;
  const z = sizes(d);
  const inDim = inputDim(d, false);
  const B = 128;
  const scale = featureScale(d0);
  const nt2 = 2 * d.numTxAnt;
  const J = d.targetsPerCell;
  const xs = Array.from({ length: d.numBs }, (_, m) => tf.tensor2d(localFeatureMatrix(d0, m, false, scale), [B, inDim]));
  const H = tf.tensor4d(d0.H, [B, d.numBs, z.numUsers, nt2]);
  const G = tf.tensor4d(d0.G, [B, z.numTargets, d.numBs, nt2]);
  const I = tf.tensor4d(d0.I, [B, z.numTargets, J, nt2]);
  const locals = Array.from({ length: d.numBs }, (_, m) => ({
    H: tf.squeeze(tf.slice(H, [0, m, 0, 0], [B, 1, z.numUsers, nt2]), [1]),
    G: tf.squeeze(tf.slice(G, [0, 0, m, 0], [B, z.numTargets, 1, nt2]), [2]),
    I: tf.slice(I, [0, m * J, 0, 0], [B, J, J, nt2]),
  }));
  const parties = Array.from({ length: d.numBs }, (_, m) => new BsParty(tf, createMlp(tf, { inputDim: inDim, hiddenDims: [512, 512, 512, 512], outputDim: outputDim(d), seed: m }), { bs: m, seed: 1 }));
  const server = new CentralServer(tf, d, 0.5);
  const iteration = () => {
    const uploads = parties.map((p, m) => p.upload(xs[m], locals[m]));
    const { downloads } = server.step(uploads);
    parties.forEach((p, m) => p.update(xs[m], downloads[m]));
    tf.dispose([...uploads.map((u) => u.W), ...downloads.map((g) => g.dW)]);
  };
  const forward = () => {
    const ys = parties.map((p, m) => p.forward(xs[m]));
    ys.forEach((y) => y.dataSync());
    tf.dispose(ys);
  };
  for (let i = 0; i < 3; i++) {
    iteration();
    forward();
  }
  const reps = o.quick ? 5 : 15;
  const tStep: number[] = [];
  const tFwd: number[] = [];
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    iteration();
    tStep.push(performance.now() - t);
    t = performance.now();
    forward();
    tFwd.push(performance.now() - t);
  }
  const step = median(tStep);
  const fwd = median(tFwd);
  rows.push({ name: 'VFL training, 3 parties × 4×512 MLP, batch 128 (backend ' + tf.getBackend() + ')', value: (B * 1000) / step, unit: 'samples/s' });
  rows.push({ name: 'VFL iteration / forward of the same batch (all parties)', value: step / fwd, unit: '×', target: '≤ 3', ratio: 3 / (step / fwd) });
  parties.forEach((p) => p.dispose());
  tf.dispose([...xs, H, G, I, ...locals.flatMap((l) => [l.H, l.G, l.I])]);

  if (!existsSync(DEFAULT_MODELS.vfl)) {
    rows.push({ name: `in-loop rows skipped: no model at ${DEFAULT_MODELS.vfl}`, value: 0, unit: '' });
    return rows;
  }
  // Per-BS inference of one decision, through the policy (features, model, normalisation).
  const slots = o.quick ? 1000 : 4000;
  const vfl = withOverrides(loaded, { slots, shadows: [], policy: 'vfl' });
  const policy = createLearnedPolicy('vfl', DEFAULT_MODELS.vfl, vfl.topology, tf);
  const times: number[] = [];
  const twinT = new Twin(vfl, { computeClock: () => performance.now() });
  twinT.events$.subscribe((e) => e.kind === 'decision' && e.computeMs !== null && times.push(e.computeMs));
  twinT.runSlots(slots);
  rows.push({ name: 'per-BS VFL decision (features + MLP + eq. 11), p50', value: median(times), unit: 'ms' });
  rows.push({ name: 'per-BS VFL decision, p99', value: quantile(times, 0.99), unit: 'ms', target: '< 0.5 ms', ratio: 0.5 / quantile(times, 0.99) });
  policy.runners.forEach((r) => r.dispose());
  // Twin slots/s with VFL acting (no compute clock, no logging, no shadows), median of 3.
  const walls: number[] = [];
  for (let i = 0; i < 3; i++) {
    const twin = new Twin(vfl);
    const t = performance.now();
    twin.runSlots(slots);
    walls.push((performance.now() - t) / 1000);
  }
  const sps = slots / median(walls);
  rows.push({ name: 'twin, default scenario, VFL acting (no shadows, no logging)', value: sps, unit: 'slots/s', target: '≥ 2000', ratio: sps / 2000 });
  const mrt = withOverrides(loaded, { slots, shadows: [], policy: 'mrt' });
  const tm = performance.now();
  new Twin(mrt).runSlots(slots);
  rows.push({ name: 'same with MRT acting (reference)', value: slots / ((performance.now() - tm) / 1000), unit: 'slots/s' });
  return rows;
}
