/**
 * Train/serve parity: the inputs a learned policy builds in the twin from its view equal the
 * training features (dataset.ts) computed from the same true channel, so a model acts in the loop
 * on what it was trained on. With perfect, instant CSI and exact echoes the twin's beams of BS m
 * must equal the model run on the dataset's features of that slot's true channel.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dimsOf, inputDim, localFeaturesInto, sizes } from '../../src/learning/dataset.ts';
import { MlpRunner, readDenseLayers } from '../../src/learning/inference.ts';
import { bsDir, readMetadata } from '../../src/learning/model-store.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { Twin } from '../../src/sim/twin.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

const MODEL = 'models/default-vfl-rho0.5';

test('vfl in the twin acts on the training features of the true channel (perfect, instant CSI)', () => {
  const yaml = readFileSync('scenarios/default.yaml', 'utf8')
    .replace(/^durationSlots: .*$/m, 'durationSlots: 40')
    .replace(/^shadows: .*$/m, 'shadows: []')
    .replace(/  pilotPeriodSlots: 10 .*$/m, '  pilotPeriodSlots: 1')
    .replace(/  csiFeedbackDelayMs: 2 .*$/m, '  csiFeedbackDelayMs: 0')
    .replace(/  csiNmseDb: -20$/m, '  csiNmseDb: -300')
    .replace(/  echo: \{ periodSlots: 1, angleStdDeg: 0.5 \}$/m, '  echo: { periodSlots: 1, angleStdDeg: 0, alphaNmseDb: -300 }')
    .replace(/  mobility: \{ model: random-waypoint, speedMps: 10 \}$/m, '  mobility: { model: static }');
  assert.match(yaml, /csiNmseDb: -300/);
  assert.match(yaml, /alphaNmseDb: -300/);
  const twin = new Twin(loadScenario(yaml, 'parity.yaml', twinPolicies()));
  twin.slots$.subscribe(() => undefined);
  twin.runSlots(30); // the other cells' echoes reach every BS over the backhaul (2–2.5 ms) long before
  const topo = twin.topo;
  const meta = readMetadata(MODEL);
  const d = dimsOf(topo);
  const z = sizes(d);
  const nt = topo.numTxAnt;
  const { channel: st, sens } = twin.truth;
  // The dataset's features of this true channel (dataset.ts: H̃ = h √(P/σ_c²), G̃ = g √(P/(N_R σ_s²))).
  const H = new Float64Array(2 * topo.numBs * z.numUsers * nt);
  const G = new Float64Array(2 * z.numTargets * topo.numBs * nt);
  for (let m = 0; m < topo.numBs; m++) {
    const hs = Math.sqrt(topo.powerW[m] / topo.noiseCommW);
    for (let i = 0; i < 2 * z.numUsers * nt; i++) H[2 * m * z.numUsers * nt + i] = st.H[2 * m * z.numUsers * nt + i] * hs;
    const gs = Math.sqrt(topo.powerW[m] / (topo.numRxAnt * topo.noiseSensW));
    for (let t = 0; t < z.numTargets; t++) for (let i = 0; i < 2 * nt; i++) G[2 * (t * topo.numBs + m) * nt + i] = sens.g[2 * (t * topo.numBs + m) * nt + i] * gs;
  }
  const beams = twin.beamsInForce();
  for (let m = 0; m < topo.numBs; m++) {
    const x = new Float32Array(inputDim(d, false));
    localFeaturesInto(x, 0, d, m, H, 0, G, 0, false, meta.featureScale);
    const { layers, leakyAlpha } = readDenseLayers(bsDir(MODEL, m));
    const raw = new MlpRunner(layers, leakyAlpha, undefined).run(x);
    const p = raw.reduce((s, v) => s + v * v, 0);
    const W = Array.from(raw, (v) => v * Math.sqrt(topo.powerW[m] / p));
    const got = Array.from(beams[m]);
    const err = Math.max(...W.map((v, i) => Math.abs(v - got[i])));
    assert.ok(err <= 1e-6 * Math.sqrt(topo.powerW[m]), `BS ${m}: twin beams differ from the model on the training features by ${err}`);
  }
});

test.run();
