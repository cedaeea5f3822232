/**
 * The split GNN with stale aggregates (docs/gnn.md "Split variant"), offline on the twin's true
 * channels of scenarios/cellfree-gnn.yaml: at every slot t, for an age τ,
 *   - central GNN (and WMMSE) on the channels of slot t − τ (the CPU's CSI τ old),
 *   - split GNN, pipelined: each AP on its own channel of slot t, the CPU's aggregates (every
 *     layer's q_u, q_S) from slot t − τ (`decideWithStaleAggregates`),
 *   - MRT on the channels of slot t (each AP, local),
 * every beam set scored on the channels of slot t (Σ_u log2(1 + SINR_u)). True channels and
 * angles: the ageing alone, no estimation error.
 *
 *   node --import tsx scripts/gnn-stale-aggregates.ts [slots=300] [seeds=4] > twin-runs/gnn/stale-aggregates.md
 */
import { readFileSync } from 'node:fs';
import { loadGnnBeamformer, gnnPolicy, readGnn } from '../src/learning/gnn-family.ts';
import { decideWithStaleAggregates, gnnSplitPolicy } from '../src/learning/gnn-split.ts';
import { twinPolicies } from '../src/learning/policies.ts';
import { commSinrInto } from '../src/metrics/isac.ts';
import type { CArray } from '../src/phy/complex.ts';
import type { Beamformers, Topology } from '../src/phy/network.ts';
import { streamFor } from '../src/phy/random.ts';
import { decideAllFrom, type CsiView, type DecisionContext } from '../src/policies/types.ts';
import { loadScenario } from '../src/scenario/validate.ts';
import { Twin } from '../src/sim/twin.ts';

const SLOTS = Number(process.argv[2] ?? 300);
const SEEDS = Number(process.argv[3] ?? 4);
const AGES = [0, 1, 2, 4, 10, 20];
const WARM = 20;
const MODEL = 'models/gnn-beta0';
const base = readFileSync(new URL('../scenarios/cellfree-gnn.yaml', import.meta.url), 'utf8');

const sumRate = (topo: Topology, H: CArray, W: Beamformers) => {
  const s = new Float64Array(topo.numUsers);
  commSinrInto(s, topo, H, W);
  let r = 0;
  for (const x of s) r += Math.log2(1 + x);
  return r;
};

type Row = Record<string, number[]>;
const results = new Map<string, Row>();
const t0 = Date.now();
for (const speed of [1.4, 15]) {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const yaml = base
      .replace(/^seed: 1$/m, `seed: ${seed}`)
      .replace(/speedMps: 1.4, speedSpreadMps: 0.3/, `speedMps: ${speed}, speedSpreadMps: 0.3`)
      .replace(/^policy: .*$/m, 'policy: mrt')
      .replace(/^shadows:\n(  - .*\n)+/m, 'shadows: []\n');
    const registry = twinPolicies();
    const twin = new Twin(loadScenario(yaml, 'cellfree-gnn.yaml', registry));
    twin.slots$.subscribe(() => undefined);
    const topo = twin.topo;
    const cpu = twin.viewOf(-1);
    const views: CsiView[] = [];
    for (let t = 0; t < SLOTS; t++) {
      twin.runSlots(1);
      const ch = twin.truth.channel;
      views.push({ ...cpu, H: ch.H.slice(), known: new Uint8Array(topo.numBs).fill(1), targetApThetaRad: ch.apTargetThetaRad.slice(), targetApSlot: new Int32Array(topo.numBs * topo.numTargets).fill(t) });
    }
    const central = gnnPolicy('gnn', loadGnnBeamformer(MODEL), topo);
    const { meta, inference } = readGnn(MODEL);
    const split = gnnSplitPolicy('gnn-split', meta, inference, topo);
    const wmmse = registry.resolve({ name: 'jt-wmmse', params: { iterations: 100, tolerance: 1e-5, warmStart: false } }, topo);
    const mrt = registry.resolve({ name: 'mrt', params: {} }, topo);
    const ctx = (t: number): DecisionContext => ({ topo, rho: 0.5, slot: t, rng: streamFor(seed, 'stale') });
    for (const tau of AGES) {
      const key = `${speed}|${tau}`;
      const row = results.get(key) ?? { gnn: [], split: [], wmmse: [], mrt: [] };
      let g = 0, sp = 0, w = 0, m = 0, n = 0;
      for (let t = WARM; t < SLOTS; t++) {
        const now = views[t];
        const old = views[t - tau];
        g += sumRate(topo, now.H, central.decideAll(old, ctx(t)));
        sp += sumRate(topo, now.H, decideWithStaleAggregates(split, now, old, ctx(t)));
        w += sumRate(topo, now.H, decideAllFrom(wmmse, old, ctx(t)));
        m += sumRate(topo, now.H, decideAllFrom(mrt, now, ctx(t)));
        n++;
      }
      row.gnn.push(g / n);
      row.split.push(sp / n);
      row.wmmse.push(w / n);
      row.mrt.push(m / n);
      results.set(key, row);
    }
    process.stderr.write(`speed ${speed} seed ${seed} done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const ci = (x: number[]) => {
  const m = mean(x);
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
  const t = { 2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365 }[x.length] ?? 1.96;
  return `${m >= 0 ? '+' : ''}${m.toFixed(2)} ± ${(t * sd / Math.sqrt(x.length)).toFixed(2)}`;
};
console.log(`Σ_u R_u (bit/s/Hz) on the channels of slot t; CSI/aggregates τ slots old; ${SEEDS} seeds × ${SLOTS - WARM} slots, true channels (no estimation error); ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
console.log('| speed (m/s) | τ (slots) | central GNN | split GNN, stale aggregates | WMMSE | MRT (fresh, local) | split − central (95 % CI over seeds) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [key, r] of results) {
  const [speed, tau] = key.split('|');
  console.log(`| ${speed} | ${tau} | ${mean(r.gnn).toFixed(3)} | ${mean(r.split).toFixed(3)} | ${mean(r.wmmse).toFixed(3)} | ${mean(r.mrt).toFixed(3)} | ${ci(r.split.map((x, i) => x - r.gnn[i]))} |`);
}
