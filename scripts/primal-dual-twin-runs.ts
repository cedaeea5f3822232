/**
 * Paper 002's twin runs (docs/primal-dual.md §10) and their tables and figures, all from the run
 * databases: writes scenario variants and databases under twin-runs/paper002-twin/, then CSV, SVG
 * and README.md (captions with the setting) under docs/figures/primal-dual-twin/.
 *
 *   nice -n 10 node --import tsx scripts/primal-dual-twin-runs.ts [static] [moving] [exchange]   (default: all)
 *
 * offline   the shipped models on their held-out snapshots (seed 2002, split primal-dual-twin:test) against
 *           MRT and MISO WMMSE (both at full power with q⋆ sensing), in paper units (no inter-cell interference)
 * static    scenarios/paper002-twin.yaml: primal-dual, and MRT (sensing streams silent) as reference
 * moving    scenarios/paper002-twin-moving.yaml: primal-dual without and with fallbackDeg (remedy (a)),
 *           L_r, μ and SE per BS binned by the BS's largest true angle offset from the trained angles
 * exchange  the static scenario with primal-dual-exchange at L ∈ {0, 4, 8, 16, 32}: rate vs bits,
 *           stale-bit counts (backhaul 2 ms + 0.5 ms jitter), and L = 16 at 0 delay / 10 ms delay
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { specToSvg } from '../src/analysis/plot.ts';
import { drawDataset } from '../src/learning/dataset.ts';
import { MlpRunner, readDenseLayers } from '../src/learning/inference.ts';
import { commBasis } from '../src/learning/primal-dual/stage2.ts';
import { misoWmmseDecision, mrtDecision } from '../src/learning/primal-dual/stage2-baselines.ts';
import { evaluateTwin, twinDecision } from '../src/learning/primal-dual/twin-head.ts';
import { twinChannelSet, twinProblem } from '../src/learning/primal-dual/twin-problem.ts';
import { bsSamples } from '../src/learning/primal-dual/twin-train.ts';
import { readTwinMeta } from '../src/learning/primal-dual/twin-policy.ts';
import { buildTopology } from '../src/phy/network.ts';
import { parseScenarioText } from '../src/scenario/load.ts';

const OUT = 'docs/figures/primal-dual-twin';
const RUNS = 'twin-runs/paper002-twin';
mkdirSync(OUT, { recursive: true });
mkdirSync(RUNS, { recursive: true });
const which = process.argv.slice(2);
const want = (s: string) => which.length === 0 || which.includes(s);
const t0 = performance.now();
const log = (s: string) => console.log(`[+${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`);

function variant(base: string, name: string, policy: string, edits: Array<[RegExp, string]> = []): string {
  let y = readFileSync(base, 'utf8').replace(/^policy: .*$/m, `policy: ${policy}`);
  for (const [re, by] of edits) {
    if (!re.test(y)) throw new Error(`${base}: ${re} not found`);
    y = y.replace(re, by);
  }
  const file = path.join(RUNS, `${name}.yaml`);
  writeFileSync(file, y);
  return file;
}

function run(yaml: string, name: string): string {
  const db = path.join(RUNS, `${name}.sqlite`);
  if (existsSync(db)) rmSync(db);
  const s = performance.now();
  const r = spawnSync(process.execPath, ['bin/isac-twin.js', 'run', yaml, '--out', db, '--quiet', '--no-dashboard'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`run ${name} failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  log(`${name}: ${((performance.now() - s) / 1000).toFixed(1)} s`);
  return db;
}

const csv = (head: string[], rows: Array<Array<string | number>>) => [head.join(','), ...rows.map((r) => r.map((v) => (typeof v === 'number' ? (Number.isFinite(v) ? +v.toPrecision(6) : '') : v)).join(','))].join('\n') + '\n';
const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const readme: string[] = ['# Paper 002 in the twin: runs, tables and figures', '', 'Regenerate: `nice -n 10 node --import tsx scripts/primal-dual-twin-runs.ts` (databases under twin-runs/paper002-twin/; docs/primal-dual.md §10 explains every choice).', ''];

interface BsRow { bs: number; rate: number; lr: number; mu: number; viol: number; fallback: number; slots: number }

/** Per-BS means over slots ≥ from: SE (bs_slots.sum_rate), L_r (beam_slots), last μ, L_r > ε share, fallback share. */
function perBs(db: string, from: number, eps: number): BsRow[] {
  const d = new Database(db, { readonly: true });
  const rows = d.prepare(`select b.bs as bs, avg(b.sum_rate) as rate, avg(b.fallback) as fallback, count(*) as slots from bs_slots b where b.slot >= ? group by b.bs order by b.bs`).all(from) as Array<{ bs: number; rate: number; fallback: number; slots: number }>;
  const out = rows.map((r) => {
    const l = d.prepare(`select avg(lr) as lr, avg(case when lr > ? then 1.0 else 0.0 end) as viol from beam_slots where bs = ? and slot >= ? and lr is not null`).get(eps, r.bs, from) as { lr: number; viol: number };
    const mu = d.prepare(`select mu from beam_slots where bs = ? order by slot desc limit 1`).get(r.bs) as { mu: number } | undefined;
    return { bs: r.bs, rate: r.rate, lr: l.lr, mu: mu?.mu ?? NaN, viol: l.viol, fallback: r.fallback, slots: r.slots };
  });
  d.close();
  return out;
}

function meanRc(db: string, from: number): number {
  const d = new Database(db, { readonly: true });
  const r = d.prepare('select avg(rc) as rc from slots where slot >= ?').get(from) as { rc: number };
  d.close();
  return r.rc;
}

const EPS = 0.3;
/** The trained angles of every target (BS by BS), from the shipped model. */
const TRAINED = readTwinMeta('models/primal-dual-twin').bs.flatMap((b) => b.targetsDeg);

async function main() {
  if (want('offline')) {
    const file = 'scenarios/paper002-twin.yaml';
    const { scenario } = parseScenarioText(readFileSync(file, 'utf8'), file);
    const topo = buildTopology(scenario);
    const meta = readTwinMeta('models/primal-dual-twin');
    const held = drawDataset(scenario, topo, 1000, 2002, 'primal-dual-twin:test');
    const rows: Array<Array<string | number>> = [];
    readme.push('## Offline: held-out snapshots (`offline.csv`)', '', 'The 1000 held-out snapshots of the training run (scenario geometry, seed 2002, split primal-dual-twin:test) of each BS, in paper units (T2): own-cell eq. (11) SE (no inter-cell interference) and the whole-covariance L_r (T4) against ε = 0.30. MRT and MISO WMMSE (stage2-baselines.ts: the leakage folded into the noise) at full power K·P_max with the least-L_r split q⋆ as sensing.', '', '| BS | method | SE (bit/s/Hz) | mean L_r | L_r > ε |', '| --- | --- | --- | --- | --- |');
    for (let m = 0; m < topo.numBs; m++) {
      const tp = twinProblem({ numUsers: 5, numTxAnt: topo.numTxAnt, targetsDeg: meta.bs[m].targetsDeg, epsilon: meta.epsilon });
      const set = twinChannelSet(tp, bsSamples(tp, held, m), meta.bs[m].moments);
      const { layers, leakyAlpha } = readDenseLayers(path.join('models/primal-dual-twin', `bs${m}`));
      const z = new MlpRunner(layers, leakyAlpha).runBatch(set.xGains, set.n);
      const methods = [
        ['primal-dual (transfer)', twinDecision(tp, commBasis(tp.pb, set), z, set.n)],
        ['MRT + q⋆', mrtDecision(tp.pb, set)],
        ['MISO WMMSE + q⋆', misoWmmseDecision(tp.pb, set)],
      ] as const;
      for (const [name, d] of methods) {
        const e = evaluateTwin(tp, set, d);
        rows.push([m + 1, name, e.meanRate, e.meanLr, e.violationShare]);
        readme.push(`| ${m + 1} | ${name} | ${f(e.meanRate)} | ${f(e.meanLr, 4)} | ${f(100 * e.violationShare, 1)} % |`);
      }
    }
    writeFileSync(path.join(OUT, 'offline.csv'), csv(['bs', 'method', 'se_bit_s_hz', 'mean_lr', 'lr_above_eps_share'], rows));
    readme.push('');
    log('offline done');
  }
  if (want('static')) {
    const rows: Array<[string, BsRow[], number]> = [];
    for (const [name, pol] of [['static-primal-dual', '{ name: primal-dual, params: { model: models/primal-dual-twin } }'], ['static-mrt', 'mrt']] as const) {
      const db = run(variant('scenarios/paper002-twin.yaml', name, pol), name);
      rows.push([name.replace('static-', ''), perBs(db, 100, EPS), meanRc(db, 100)]);
    }
    writeFileSync(path.join(OUT, 'static.csv'), csv(['policy', 'bs', 'se_bit_s_hz', 'mean_lr', 'lr_above_eps_share', 'final_mu', 'fallback_share'], rows.flatMap(([p, r]) => r.map((x) => [p, x.bs, x.rate, x.lr, x.viol, x.mu, x.fallback]))));
    readme.push('## Static targets (`static.csv`)', '', 'scenarios/paper002-twin.yaml (3 BSs × 12 antennas, K = 5 pedestrian users and 3 static targets per BS at the paper’s Fig. 11 angle sets, 2000 slots of 1 ms, seed 1, beampattern every 10 slots, ε = 0.30, η = 1), means over slots 100–1999 from the run database: SE = bs_slots.sum_rate (true channel, every cell’s interference), L_r = beam_slots.lr (whole transmit covariance), μ = the online monitor at the last measured slot.', '', '| policy | BS | SE (bit/s/Hz) | mean L_r | L_r > ε | final μ | R_c (network) |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const [p, r, rc] of rows) for (const x of r) readme.push(`| ${p} | ${x.bs + 1} | ${f(x.rate)} | ${f(x.lr, 4)} | ${f(100 * x.viol, 1)} % | ${f(x.mu, 2)} | ${x.bs === 0 ? f(rc) : ''} |`);
    readme.push('');
  }

  if (want('moving')) {
    const variants = [
      ['moving-primal-dual', '{ name: primal-dual, params: { model: models/primal-dual-twin } }'],
      ['moving-fallback3', '{ name: primal-dual, params: { model: models/primal-dual-twin, fallbackDeg: 3 } }'],
      ['moving-fallback1', '{ name: primal-dual, params: { model: models/primal-dual-twin, fallbackDeg: 1 } }'],
      ['moving-fallback6', '{ name: primal-dual, params: { model: models/primal-dual-twin, fallbackDeg: 6 } }'],
    ] as const;
    const bins: Array<Record<string, number | string>> = [];
    const series: Array<Record<string, number | string>> = [];
    const perTarget: Array<Record<string, number | string>> = [];
    for (const [name, pol] of variants) {
      const db = run(variant('scenarios/paper002-twin-moving.yaml', name, pol), name);
      const d = new Database(db, { readonly: true });
      // per BS and measured slot: the largest |true − trained| of its targets, L_r, μ, SE
      const rows = d.prepare(`select b.slot as slot, b.bs as bs, b.lr as lr, b.mu as mu, s.sum_rate as rate, s.fallback as fb from beam_slots b join bs_slots s on s.slot = b.slot and s.bs = b.bs where b.lr is not null and b.slot >= 100`).all() as Array<{ slot: number; bs: number; lr: number; mu: number; rate: number; fb: number }>;
      const th = d.prepare('select slot, target, theta_deg from target_slots where slot % 10 = 0').all() as Array<{ slot: number; target: number; theta_deg: number }>;
      // the twin's own sensing metric per target (every slot ≥ 100) by the target's own offset, 5° bins
      const ts = d.prepare('select target, theta_deg, sens_sinr_db, radar_rate from target_slots where slot >= 100').all() as Array<{ target: number; theta_deg: number; sens_sinr_db: number; radar_rate: number }>;
      const tb = new Map<number, { n: number; sinr: number; rate: number }>();
      for (const t of ts) {
        const bin = Math.min(Math.floor(Math.abs(t.theta_deg - TRAINED[t.target]) / 5) * 5, 20);
        const a = tb.get(bin) ?? { n: 0, sinr: 0, rate: 0 };
        a.n++;
        a.sinr += t.sens_sinr_db;
        a.rate += t.radar_rate;
        tb.set(bin, a);
      }
      for (const [bin, a] of [...tb.entries()].sort((x, y) => x[0] - y[0])) perTarget.push({ policy: name.replace('moving-', ''), offset_bin_deg: bin, samples: a.n, mean_sens_sinr_db: a.sinr / a.n, mean_radar_rate: a.rate / a.n });
      d.close();
      const off = new Map<string, number>();
      for (const t of th) {
        const bs = Math.floor(t.target / 3);
        const k = `${t.slot}:${bs}`;
        off.set(k, Math.max(off.get(k) ?? 0, Math.abs(t.theta_deg - TRAINED[t.target])));
      }
      const acc = new Map<string, { n: number; lr: number; mu: number; rate: number; fb: number }>();
      for (const r of rows) {
        const o = off.get(`${r.slot}:${r.bs}`);
        if (o === undefined) continue;
        const bin = Math.min(Math.floor(o / 2) * 2, 20);
        const k = `${r.bs}:${bin}`;
        const a = acc.get(k) ?? { n: 0, lr: 0, mu: 0, rate: 0, fb: 0 };
        a.n++;
        a.lr += r.lr;
        a.mu += r.mu;
        a.rate += r.rate;
        a.fb += r.fb;
        acc.set(k, a);
        series.push({ policy: name.replace('moving-', ''), bs: r.bs + 1, slot: r.slot, offset_deg: o, lr: r.lr, mu: r.mu, se: r.rate });
      }
      for (const [k, a] of [...acc.entries()].sort()) {
        const [bs, bin] = k.split(':').map(Number);
        bins.push({ policy: name.replace('moving-', ''), bs: bs + 1, offset_bin_deg: bin, samples: a.n, mean_lr: a.lr / a.n, mean_mu: a.mu / a.n, mean_se: a.rate / a.n, fallback_share: a.fb / a.n });
      }
    }
    writeFileSync(path.join(OUT, 'moving-bins.csv'), csv(Object.keys(bins[0]), bins.map((b) => Object.values(b) as Array<string | number>)));
    writeFileSync(path.join(OUT, 'moving-series.csv'), csv(Object.keys(series[0]), series.map((b) => Object.values(b) as Array<string | number>)));
    const binned = bins.map((b) => ({ ...b, offset_deg: (b.offset_bin_deg as number) + 1 }));
    const spec = (y: string, title: string) => ({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 200, height: 150, data: { values: binned }, title,
      mark: { type: 'line', point: true }, encoding: { x: { field: 'offset_deg', type: 'quantitative', title: 'max |θ − θ_trained| (°, 2° bins)' }, y: { field: y, type: 'quantitative', scale: { zero: false } }, color: { field: 'policy', type: 'nominal' }, column: { field: 'bs', type: 'ordinal', title: 'BS' } },
    });
    writeFileSync(path.join(OUT, 'moving-lr.svg'), await specToSvg(spec('mean_lr', 'moving targets: mean L_r (whole covariance) per BS vs angle offset, ε = 0.30') as never));
    writeFileSync(path.join(OUT, 'moving-mu.svg'), await specToSvg(spec('mean_mu', 'moving targets: online dual monitor μ vs angle offset') as never));
    writeFileSync(path.join(OUT, 'moving-se.svg'), await specToSvg(spec('mean_se', 'moving targets: BS sum SE (bit/s/Hz) vs angle offset') as never));
    readme.push('## Moving targets (`moving-bins.csv`, `moving-series.csv`, `moving-{lr,mu,se}.svg`)', '', 'scenarios/paper002-twin-moving.yaml: the static scenario with every target driving east at 10 m/s for 6 s (6000 slots, seed 1), so the angles drift up to 22.5° off the trained ones; the same channels for both runs. Per BS and measured slot (every 10th, from slot 100), the largest true offset of its three targets, binned in 2°; means of L_r, μ and the BS’s SE per bin. fallback3 = `fallbackDeg: 3` (remedy (a): once an estimate is > 3° off its trained angle, the sensing streams come from beampattern matching, eq. (5), over target beams at the estimated angles; twin-fallback.ts). Figures: the binned means, one panel per BS.', '', '| BS | offset bin (°) | L_r no fallback | L_r fallback 3° | μ no fallback | μ fallback | SE no fallback | SE fallback | fallback share |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const get = (p: string, bs: number, bin: number) => bins.find((b) => b.policy === p && b.bs === bs && b.offset_bin_deg === bin);
    for (let bs = 1; bs <= 3; bs++) {
      for (let bin = 0; bin <= 20; bin += 2) {
        const a = get('primal-dual', bs, bin);
        const b = get('fallback3', bs, bin);
        if (!a || !b) continue;
        readme.push(`| ${bs} | ${bin}–${bin + 2} | ${f(a.mean_lr as number, 4)} | ${f(b.mean_lr as number, 4)} | ${f(a.mean_mu as number, 2)} | ${f(b.mean_mu as number, 2)} | ${f(a.mean_se as number)} | ${f(b.mean_se as number)} | ${f(100 * (b.fallback_share as number), 0)} % |`);
      }
    }
    writeFileSync(path.join(OUT, 'moving-targets.csv'), csv(Object.keys(perTarget[0]), perTarget.map((b) => Object.values(b) as Array<string | number>)));
    readme.push('', 'The twin’s own sensing metric (`moving-targets.csv`): per target and slot (≥ 100), its monostatic sensing SINR (target_slots.sens_sinr_db, the echo after MRC on the true channel) and radar rate, binned by the target’s own offset in 5° (the geometry changes with time too — the targets drive — so compare the policies within a bin, not the bins).', '', '| offset (°) | samples | SINR no fallback (dB) | SINR fallback 3° (dB) | radar rate no fallback | radar rate fallback 3° |', '| --- | --- | --- | --- | --- | --- |');
    for (const bin of [0, 5, 10, 15, 20]) {
      const a = perTarget.find((r) => r.policy === 'primal-dual' && r.offset_bin_deg === bin);
      const b = perTarget.find((r) => r.policy === 'fallback3' && r.offset_bin_deg === bin);
      if (a && b) readme.push(`| ${bin}–${bin + 5} | ${a.samples} | ${f(a.mean_sens_sinr_db as number, 2)} | ${f(b.mean_sens_sinr_db as number, 2)} | ${f(a.mean_radar_rate as number)} | ${f(b.mean_radar_rate as number)} |`);
    }
    // the threshold: means over the BS-slots with offset ≥ 8° (and < 2°), per policy and BS
    readme.push('', 'Threshold X of the fallback: means over the measured BS-slots whose largest offset is below 2° / at least 8° (from `moving-series.csv`).', '', '| policy | BS | L_r < 2° | L_r ≥ 8° | SE < 2° | SE ≥ 8° | final μ |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const p of ['primal-dual', 'fallback1', 'fallback3', 'fallback6']) {
      for (let bs = 1; bs <= 3; bs++) {
        const sel = series.filter((r) => r.policy === p && r.bs === bs);
        const mean = (rows: typeof sel, k: string) => rows.reduce((a, r) => a + (r[k] as number), 0) / rows.length;
        const lo = sel.filter((r) => (r.offset_deg as number) < 2);
        const hi = sel.filter((r) => (r.offset_deg as number) >= 8);
        readme.push(`| ${p} | ${bs} | ${f(mean(lo, 'lr'), 4)} | ${f(mean(hi, 'lr'), 4)} | ${f(mean(lo, 'se'))} | ${f(mean(hi, 'se'))} | ${f(sel[sel.length - 1].mu as number, 2)} |`);
      }
    }
    readme.push('');
  }

  if (want('exchange')) {
    const rows: Array<Record<string, number | string>> = [];
    const cases: Array<[string, string, Array<[RegExp, string]>]> = [];
    for (const L of [0, 4, 8, 16, 32]) cases.push([`exchange-L${L}`, `{ name: primal-dual-exchange, params: { model: models/primal-dual-twin-exchange-L${L} } }`, []]);
    cases.push(['exchange-L16-nodelay', '{ name: primal-dual-exchange, params: { model: models/primal-dual-twin-exchange-L16 } }', [[/backhaul: \{ delayMs: 2, jitterMs: 0.5 \}/, 'backhaul: { delayMs: 0, jitterMs: 0 }']]]);
    cases.push(['exchange-L16-delay10', '{ name: primal-dual-exchange, params: { model: models/primal-dual-twin-exchange-L16 } }', [[/backhaul: \{ delayMs: 2, jitterMs: 0.5 \}/, 'backhaul: { delayMs: 10, jitterMs: 2 }']]]);
    cases.push(['exchange-L16-delay10-zeroed', '{ name: primal-dual-exchange, params: { model: models/primal-dual-twin-exchange-L16, maxStaleReports: 0 } }', [[/backhaul: \{ delayMs: 2, jitterMs: 0.5 \}/, 'backhaul: { delayMs: 10, jitterMs: 2 }']]]);
    for (const [name, pol, edits] of cases) {
      const db = run(variant('scenarios/paper002-twin.yaml', name, pol, edits), name);
      const d = new Database(db, { readonly: true });
      const per = d.prepare('select bs, avg(sum_rate) as rate, avg(fallback) as fb, sum(case when policy = \'stale-bits\' then 1 else 0 end) as stale, sum(case when policy = \'zeroed-bits\' then 1 else 0 end) as zeroed from bs_slots where slot >= 100 group by bs order by bs').all() as Array<{ bs: number; rate: number; fb: number; stale: number; zeroed: number }>;
      // link_slots has a row only where a link carried something: divide by every AP-slot
      const apSlots = 3 * (d.prepare('select count(*) as n from slots where slot >= 100').get() as { n: number }).n;
      const link = d.prepare(`select sum(up_bits) / ${apSlots}.0 as up, sum(down_bits) / ${apSlots}.0 as down from link_slots where slot >= 100`).get() as { up: number; down: number };
      const dec = d.prepare('select count(distinct decided_slot) as n from bs_slots where bs = 0 and slot >= 100').get() as { n: number } | undefined;
      d.close();
      const L = Number(/L(\d+)/.exec(name)![1]);
      rows.push({ run: name, bits_L: L, bits_up_per_decision: L, bits_down_per_decision: 2 * L, se_bs1: per[0].rate, se_bs2: per[1].rate, se_bs3: per[2].rate, se_sum: per.reduce((a, r) => a + r.rate, 0), stale_share: per.reduce((a, r) => a + r.fb, 0) / per.length, up_bits_per_slot: link.up, down_bits_per_slot: link.down, decisions: dec?.n ?? NaN, rc: meanRc(db, 100) });
    }
    writeFileSync(path.join(OUT, 'exchange.csv'), csv(Object.keys(rows[0]), rows.map((r) => Object.values(r) as Array<string | number>)));
    const main = rows.filter((r) => !String(r.run).includes('-', 12));
    writeFileSync(path.join(OUT, 'exchange-rate-vs-bits.svg'), await specToSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 320, height: 200, data: { values: main }, title: 'twin: sum SE of the 3 BSs vs exchanged bits L (backhaul 2 ms + 0.5 ms jitter)',
      mark: { type: 'line', point: true }, encoding: { x: { field: 'bits_L', type: 'quantitative', title: 'L (bits per BS per decision)' }, y: { field: 'se_sum', type: 'quantitative', title: 'Σ_j SE_j (bit/s/Hz)', scale: { zero: false } } },
    } as never));
    readme.push('## Distributed exchange over the backhaul (`exchange.csv`, `exchange-rate-vs-bits.svg`)', '', 'scenarios/paper002-twin.yaml with `primal-dual-exchange` (one round per decision: each BS sends its L sign bits to the CPU, 1 bit per real; the CPU relays the other two BSs’ 2L bits; each BS forms its powers), backhaul 2 ms one-way + U[0, 0.5] ms jitter unless stated; means over slots 100–1999. stale = share of BS-slots whose beams were formed with bits older than the BS’s own CSI (bs_slots.policy = stale-bits). The models: `models/primal-dual-twin-exchange-L*` (trained centrally on the scenario’s geometry, 3000 iterations each). Bits per AP-slot: every message on the AP’s backhaul link (CSI reports included) over all slots ≥ 100; decisions: distinct decision slots in force at BS 1.', '', '| run | L | SE BS 1 / 2 / 3 | Σ SE | R_c | stale share | up / down bits per AP-slot | decisions in force |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) readme.push(`| ${r.run} | ${r.bits_L} | ${f(r.se_bs1 as number)} / ${f(r.se_bs2 as number)} / ${f(r.se_bs3 as number)} | ${f(r.se_sum as number)} | ${f(r.rc as number)} | ${f(100 * (r.stale_share as number), 1)} % | ${f(r.up_bits_per_slot as number, 1)} / ${f(r.down_bits_per_slot as number, 1)} | ${r.decisions} |`);
    readme.push('');
  }
  const file = path.join(OUT, `README${which.length ? '-' + which.join('-') : ''}.md`);
  writeFileSync(file, readme.join('\n') + '\n');
  log(`wrote ${file}`);
}

await main();
