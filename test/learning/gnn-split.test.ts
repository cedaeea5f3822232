/**
 * The split GNN (src/learning/gnn-split.ts): its beams equal the centralised GNN's (the tfjs
 * forward of layers/graph.ts, an independent implementation) at any M, U, sum and mean
 * aggregation; its messages have the sizes of the module comment, round by round; in the twin,
 * with a fronthaul without delay, the beams in force equal the `gnn` policy's and the fronthaul
 * carries exactly those sizes; with a delay each decision takes R round trips.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend, type Tf } from '../../src/learning/backend.ts';
import { resolveModelDir, twinPolicies } from '../../src/learning/policies.ts';
import { PAPER004_SETTING } from '../../src/learning/gnn-data.ts';
import { gnnPolicy, loadGnnModel, readGnn } from '../../src/learning/gnn-family.ts';
import { decideWithStaleAggregates, gnnSplitDefinition, gnnSplitPolicy, gnnSplitRounds } from '../../src/learning/gnn-split.ts';
import { initialGnnMetadata } from '../../src/learning/gnn-train.ts';
import { HeteroEdgeGnn, saveEdgeGnn, type Aggregation } from '../../src/learning/layers/graph.ts';
import { writeMetadata } from '../../src/learning/model-store.ts';
import { decideAllFrom, type DecisionContext } from '../../src/policies/types.ts';
import { streamFor } from '../../src/phy/random.ts';
import { loadScenario } from '../../src/scenario/validate.ts';
import { Twin } from '../../src/sim/twin.ts';
import { relativeError } from '../helpers.ts';

const G = suite('learning/gnn-split');

let tf: Tf;
G.before(async () => {
  tf = (await initBackend()).tf;
});
const dirs: string[] = [];
G.after(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The twin's registry with the learned policies and gnn-split (as the composition root wires it). */
const policies = () => twinPolicies({ inferenceTf: tf }).register(gnnSplitDefinition({ resolveModelDir, inferenceTf: () => tf }));

/** An untrained GNN of N_t = 8 saved with gnn metadata (random weights: the plumbing is what is tested). */
async function modelDir(hidden: number[], aggregation: Aggregation, seed: number): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gnn-split-'));
  dirs.push(dir);
  const model = new HeteroEdgeGnn(tf, { numTxAntennas: 8, hiddenDims: hidden, aggregation, seed });
  const meta = initialGnnMetadata(tf, model, {
    setting: PAPER004_SETTING, betaS: 2, hiddenDims: hidden, epochs: 1, trainSamples: 0, validationSamples: 0, seed,
    backend: tf.getBackend(), scenario: 'test', scenarioHash: 'none', batchSize: 256, learningRate: 4e-4, aggregation, datasetHash: 'none', validationSeed: 0,
  });
  await saveEdgeGnn(model, dir);
  writeMetadata(dir, meta);
  model.dispose();
  return dir;
}

const BASE = readFileSync(new URL('../../scenarios/paper004-m5.yaml', import.meta.url), 'utf8');

/** paper004-m5.yaml with M APs, U users and the given policy (and edits). */
function paperYaml(M: number, U: number, policy: string, edits: Array<[RegExp, string]> = []): string {
  let y = BASE.replace(/numAps: 5 /, `numAps: ${M} `)
    .replace(/perCell: 2 {17}# U/, `perCell: ${U}`)
    .replace(/^policy: .*$/m, `policy: ${policy}`)
    .replace(/^shadows: .*$/m, 'shadows: []');
  for (const [re, s] of edits) {
    assert.ok(re.test(y), `edit ${re} applies`);
    y = y.replace(re, s);
  }
  return y;
}

const ctxOf = (twin: Twin, slot: number): DecisionContext => ({ topo: twin.topo, rho: 0.5, slot, rng: streamFor(1, 'gnn-split-test') });

G('without delay the split beams equal the centralised GNN’s (tfjs forward), at any M and U, sum and mean aggregation', async () => {
  const cases: Array<{ M: number; U: number; hidden: number[]; agg: Aggregation }> = [
    { M: 5, U: 2, hidden: [16, 16], agg: 'sum' },
    { M: 3, U: 1, hidden: [12, 20, 8], agg: 'mean' },
    { M: 7, U: 3, hidden: [16], agg: 'sum' },
  ];
  for (const c of cases) {
    const dir = await modelDir(c.hidden, c.agg, 4 + c.M);
    const twin = new Twin(loadScenario(paperYaml(c.M, c.U, 'mrt'), 'split.yaml', policies()));
    twin.slots$.subscribe(() => undefined);
    const loaded = loadGnnModel(tf, dir);
    const central = gnnPolicy('gnn', loaded, twin.topo);
    const { meta, inference } = readGnn(dir);
    const split = gnnSplitPolicy('gnn-split', meta, inference, twin.topo);
    assert.is(split.rounds, c.hidden.length + 1, 'one round per layer');
    for (const slots of [3, 14, 27]) {
      twin.runSlots(slots - twin.slotsCompleted);
      const view = twin.viewOf(-1);
      const want = central.decideAll(view, ctxOf(twin, slots));
      const got = decideAllFrom(split, view, ctxOf(twin, slots));
      for (let m = 0; m < c.M; m++) {
        const e = relativeError(got[m], want[m]);
        assert.ok(e < 1e-5, `M=${c.M} U=${c.U} ${c.agg} slot ${slots} AP ${m}: relative error ${e}`);
        let p = 0;
        for (const x of got[m]) p += x * x;
        assert.ok(Math.abs(p - twin.topo.powerW[m]) <= 1e-6 * twin.topo.powerW[m] && p <= twin.topo.powerW[m] * (1 + 1e-12), `AP ${m} transmits its budget (${p})`);
      }
    }
    loaded.dispose();
  }
});

G('messages: round 0 carries e⁰ ((U+1)·2N_t reals up), later rounds the new edge parts ((U+1)·k); the CPU replies (U+1)·k, the same to every AP', async () => {
  const hidden = [24, 12];
  const dir = await modelDir(hidden, 'sum', 9);
  const M = 4;
  const U = 3;
  const twin = new Twin(loadScenario(paperYaml(M, U, 'mrt'), 'split.yaml', policies()));
  twin.slots$.subscribe(() => undefined);
  twin.runSlots(5);
  const { meta, inference } = readGnn(dir);
  const split = gnnSplitPolicy('gnn-split', meta, inference, twin.topo);
  const view = twin.viewOf(-1);
  const ctx = ctxOf(twin, 5);
  // the rounds driven by hand, recording every payload's length
  const started = twin.topo.apStreams.map((_, m) => split.start(m, view, ctx));
  let up = started.map((s) => s.up);
  const seen: Array<{ up: number[]; down: number[] }> = [];
  let beams = 0;
  for (let r = 0; r < split.rounds; r++) {
    const down = split.combine(r, up, ctx);
    seen.push({ up: up.map((x) => x.length), down: down.map((x) => x.length) });
    for (let m = 1; m < M; m++) assert.equal(Array.from(down[m]), Array.from(down[0]), 'the reply is a broadcast');
    const next: Float64Array[] = [];
    for (let m = 0; m < M; m++) {
      const o = split.step(m, r, started[m].state, down[m], view, ctx);
      if ('W' in o) beams++;
      else next[m] = o.up;
    }
    up = next;
  }
  assert.is(beams, M, 'every AP formed its beams after the last round');
  // widths of the model: k = 24, 12, then the output layer's 2N_t = 16
  const wantUp = [(U + 1) * 16, (U + 1) * 24, (U + 1) * 12];
  const wantDown = [(U + 1) * 24, (U + 1) * 12, (U + 1) * 16];
  assert.equal(seen.map((s) => s.up), wantUp.map((n) => Array(M).fill(n)));
  assert.equal(seen.map((s) => s.down), wantDown.map((n) => Array(M).fill(n)));
  assert.equal(gnnSplitRounds(inference.layers, U), wantUp.map((n, r) => ({ up: n, down: wantDown[r] })));
  assert.throws(() => split.combine(2, up, ctx), /got round 2.s messages, expected round 3/, "a round out of order is refused");
});

G('in the twin (paper mode, no fronthaul delay): the beams in force equal the gnn policy’s, and the fronthaul carries R rounds of the declared sizes per decision', () => {
  const model = 'models/gnn-beta0';
  const run = (policy: string) => {
    const twin = new Twin(loadScenario(paperYaml(5, 2, `{ name: ${policy}, params: { model: ${model} } }`), 'split.yaml', policies()));
    let up = 0;
    let down = 0;
    twin.slots$.subscribe((r) => {
      if (r.slot >= 10) for (let m = 0; m < 5; m++) (up += r.fronthaul.upBits[m]), (down += r.fronthaul.downBits[m]);
    });
    twin.runSlots(10);
    twin.runSlots(6); // slots 10…15: one drop (block fading, 10 slots): the CPU's and the APs' CSI and angles agree
    return { W: twin.beamsInForce(), up, down };
  };
  const split = run('gnn-split');
  const central = run('gnn');
  for (let m = 0; m < 5; m++) {
    const e = relativeError(split.W[m], central.W[m]);
    assert.ok(e < 1e-5, `AP ${m}: relative error ${e}`);
  }
  // 4 × 64, U = 2, N_t = 8, 16 bits per real: up 3·16 + 4·3·64 reals, down 4·3·64 + 3·16 per AP and
  // decision, one decision per slot; the split sends no CSI report's beams (but the CSI reports still go up)
  const perDecisionUp = (3 * 16 + 4 * 3 * 64) * 16;
  const perDecisionDown = (4 * 3 * 64 + 3 * 16) * 16;
  const csiUp = central.up / (6 * 5); // the centralised run: CSI reports only, per AP and slot
  assert.ok(Math.abs(split.up / (6 * 5) - (perDecisionUp + csiUp)) < 1e-9, `split uplink per AP and slot ${split.up / 30} = ${perDecisionUp} + CSI ${csiUp}`);
  assert.ok(Math.abs(split.down / (6 * 5) - perDecisionDown) < 1e-9, `split downlink per AP and slot ${split.down / 30}`);
  assert.is(central.down / (6 * 5), 2 * 3 * 8 * 16, 'the centralised GNN sends each AP its 3 beams of 8 complex');
});

G('with a 1 ms fronthaul delay each split decision takes R = 5 round trips (10 slots); the centralised one decides every slot', () => {
  const edits: Array<[RegExp, string]> = [[/backhaul: \{ delayMs: 0, jitterMs: 0 \}/, 'backhaul: { delayMs: 1, jitterMs: 0 }']];
  const decisions = (policy: string) => {
    const twin = new Twin(loadScenario(paperYaml(5, 2, `{ name: ${policy}, params: { model: models/gnn-beta0 } }`, edits), 'split.yaml', policies()));
    const slots: number[] = [];
    twin.events$.subscribe((e) => e.kind === 'decision' && slots.push(e.slot));
    twin.slots$.subscribe(() => undefined);
    twin.runSlots(60);
    return slots;
  };
  const split = decisions('gnn-split');
  assert.ok(split.length >= 5, `${split.length} split decisions`);
  for (let i = 1; i < split.length; i++) assert.is(split[i] - split[i - 1], 10, `split decisions at slots ${split.join(', ')}`);
  const central = decisions('gnn');
  assert.ok(central.length >= 55, `${central.length} centralised decisions in 60 slots`);
});

G('stale aggregates: the CPU part runs on the stale view, each AP on its fresh one; an AP whose CSI did not change forms the stale decision’s beams', async () => {
  const dir = await modelDir([16, 16], 'sum', 11);
  const twin = new Twin(loadScenario(paperYaml(4, 2, 'mrt'), 'split.yaml', policies()));
  twin.slots$.subscribe(() => undefined);
  twin.runSlots(5);
  const { meta, inference } = readGnn(dir);
  const split = gnnSplitPolicy('gnn-split', meta, inference, twin.topo);
  const stale = twin.viewOf(-1);
  const ctx = ctxOf(twin, 5);
  const same = decideWithStaleAggregates(split, stale, stale, ctx);
  const base = decideAllFrom(split, stale, ctx);
  for (let m = 0; m < 4; m++) assert.equal(Array.from(same[m]), Array.from(base[m]), `stale = fresh: the ordinary decision (AP ${m})`);
  // AP 2's CSI row changes (a fresh channel), the others' do not
  const N = twin.topo.numTxAnt;
  const H = stale.H.slice();
  const rng = streamFor(3, 'fresh-row');
  for (let i = 2 * 2 * 2 * N; i < 2 * 3 * 2 * N; i++) H[i] = Math.SQRT1_2 * rng.normal();
  const fresh = { ...stale, H };
  const mixed = decideWithStaleAggregates(split, fresh, stale, ctx);
  const allFresh = decideAllFrom(split, fresh, ctx);
  for (const m of [0, 1, 3]) assert.equal(Array.from(mixed[m]), Array.from(base[m]), `AP ${m}: own CSI unchanged, same replies → the stale beams`);
  assert.ok(relativeError(mixed[2], base[2]) > 1e-2, 'AP 2 uses its fresh CSI');
  assert.ok(relativeError(mixed[2], allFresh[2]) > 1e-2, 'AP 2 with stale aggregates is not the fresh decision');
});

G.run();
