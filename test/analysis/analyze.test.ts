/**
 * `analyze` on a database whose statistics are computed by hand (synthetic.ts, handRun), the
 * same numbers through the SQL views (a second implementation), ranges in slots and in time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { analyzeFile, type Analysis } from '../../src/analysis/analyze.ts';
import { AnalysisInputError } from '../../src/analysis/errors.ts';
import { formatAnalysis } from '../../src/analysis/format.ts';
import { parseBound } from '../../src/analysis/run-db.ts';
import { allSync, openDbSync } from '../../src/store/db.ts';
import { viewSelect } from '../../src/store/views.ts';
import { handRun, tmp, writeRun } from './synthetic.ts';

const dir = tmp('analyze');
const file = path.join(dir, 'hand.sqlite');
let a: Analysis;

/** Values travel at 1e-6 (rates, ms) / 1e-8 (radar rates) / 1e-4 dB resolution, rounded towards zero. */
function near(actual: number | null | undefined, expected: number, tol: number, what: string): void {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);
}

test.before(async () => {
  await writeRun(file, handRun());
  a = await analyzeFile(file);
});

test('run metadata and range', () => {
  assert.is(a.run.policy, 'mrt');
  assert.equal(a.run.shadows, ['zf']);
  assert.is(a.run.status, 'completed');
  assert.is(a.run.slotMs, 0.5);
  assert.is(a.run.rho, 0.5);
  assert.equal(a.range, { fromSlot: 0, toSlot: 9, slots: 10, fromS: 0, toS: 0.005 });
  assert.equal(a.notes, []);
});

test('network metrics per policy: acting and shadow (type-7 percentiles)', () => {
  assert.equal(
    a.policies.map((p) => [p.policy, p.role]),
    [
      ['mrt', 'acting'],
      ['zf', 'shadow'],
    ],
  );
  const rc = a.policies[0].metrics.rc!;
  // rc = 0…9: p5 = 0 + 0.45·1, p50 = 4.5, p95 = 8 + 0.55·1
  assert.is(rc.n, 10);
  near(rc.mean, 4.5, 1e-6, 'rc mean');
  near(rc.p5, 0.45, 1e-6, 'rc p5');
  near(rc.p50, 4.5, 1e-6, 'rc p50');
  near(rc.p95, 8.55, 1e-6, 'rc p95');
  near(rc.min, 0, 0, 'rc min');
  near(rc.max, 9, 0, 'rc max');
  const rs = a.policies[0].metrics.rs!;
  near(rs.mean, 0.45, 1e-8, 'rs mean');
  near(rs.p5, 0.045, 1e-8, 'rs p5');
  near(rs.p95, 0.855, 1e-8, 'rs p95');
  const zf = a.policies[1].metrics.rc!;
  near(zf.mean, 9, 1e-6, 'zf rc mean');
  near(zf.p95, 17.1, 1e-6, 'zf rc p95');
});

test('per user: rate percentiles, outage share, SINR without the NULL slot, CSI age', () => {
  const [u0, u1] = a.users;
  assert.is(u0.user, 0);
  assert.is(u0.bs, 0);
  assert.is(u1.bs, 1);
  const r = u0.metrics.rate!;
  // rates 0, .05, .2, 1, 1, 1, 2, 2, 3, 4
  near(r.mean, 1.425, 1e-6, 'rate mean');
  near(r.p5, 0.0225, 1e-6, 'rate p5');
  near(r.p50, 1, 1e-6, 'rate p50');
  near(r.p95, 3.55, 1e-6, 'rate p95');
  near(u0.outageShare, 0.2, 1e-12, 'outage user 0');
  near(u1.outageShare, 0, 0, 'outage user 1');
  near(a.network.outageShare, 0.1, 1e-12, 'network outage');
  const s = u0.metrics.sinr!;
  // slot 0 has SINR 0 (NULL in dB): 9 values −10, −5, 0, 0, 0, 3, 3, 5, 7
  assert.is(s.n, 9);
  near(s.mean, 1 / 3, 1e-4, 'sinr mean');
  near(s.p5, -8, 1e-4, 'sinr p5');
  near(s.p50, 0, 1e-4, 'sinr p50');
  near(s.p95, 6.2, 1e-4, 'sinr p95');
  const age = u0.metrics.csi_age!;
  assert.equal([age.n, age.mean, age.p5, age.p50, age.p95], [8, 2.5, 2, 2.5, 3]);
  // pooled over both users: 20 rates, 2 of them below 0.1
  assert.is(a.pooled.user.rate!.n, 20);
  near(a.pooled.user.rate!.mean, (14.25 + 20) / 20, 1e-6, 'pooled mean');
});

test('CSI age vs rate, per BS decision time and fallback, per target, events', () => {
  assert.equal(
    a.network.csiAgeVsRate.map((e) => [e.ageSlots, e.n]),
    [
      [2, 8],
      [3, 8],
    ],
  );
  near(a.network.csiAgeVsRate[0].meanRate, 14.2 / 8, 1e-6, 'age 2');
  near(a.network.csiAgeVsRate[1].meanRate, 2, 1e-6, 'age 3');
  const b0 = a.bs[0];
  near(b0.fallbackShare, 0.2, 1e-12, 'fallback');
  near(a.bs[1].fallbackShare, 0, 0, 'fallback bs 1');
  const d = b0.metrics.decision_ms!;
  assert.is(d.n, 9);
  near(d.mean, 14 / 9, 1e-6, 'decision mean');
  near(d.p50, 0.5, 1e-6, 'decision p50');
  near(d.p95, 6.2, 1e-6, 'decision p95');
  near(b0.metrics.bs_rate!.mean, 1.425, 1e-6, 'bs rate');
  const t = a.targets[0];
  assert.is(t.bs, 0);
  near(t.metrics.sens_sinr!.mean, -11, 1e-4, 'sens mean');
  near(t.metrics.sens_sinr!.p5, -19.1, 1e-4, 'sens p5');
  near(t.metrics.radar_rate!.p95, 0.855, 1e-8, 'radar p95');
  assert.equal(a.network.events, [
    { kind: 'csi-report', n: 2 },
    { kind: 'pilot', n: 4 },
  ]);
});

test('the SQL views give the same per-user, per-BS and CSI-age numbers (second implementation)', async () => {
  const db = openDbSync(file, 'readonly');
  try {
    const users = allSync<{ user: number; mean_rate: number; outage_share: number; mean_csi_age_slots: number }>(db, `SELECT * FROM (${viewSelect('v_user_outage')}) ORDER BY user`);
    assert.is(users.length, 2);
    users.forEach((u, i) => {
      near(a.users[i].metrics.rate!.mean, u.mean_rate, 1e-6, `view mean rate ${i}`);
      near(a.users[i].outageShare, u.outage_share, 1e-12, `view outage ${i}`);
      near(a.users[i].metrics.csi_age!.mean, u.mean_csi_age_slots, 1e-12, `view age ${i}`);
    });
    const bs = allSync<{ bs: number; fallback_share: number; mean_decision_ms: number }>(db, `SELECT * FROM (${viewSelect('v_bs_means')}) ORDER BY bs`);
    near(a.bs[0].fallbackShare, bs[0].fallback_share, 1e-12, 'view fallback');
    near(a.bs[0].metrics.decision_ms!.mean, bs[0].mean_decision_ms, 1e-6, 'view decision');
    const ages = allSync<{ csi_age_slots: number; n: number; mean_rate: number }>(db, `SELECT * FROM (${viewSelect('v_csi_age_rate')}) ORDER BY csi_age_slots`);
    assert.equal(
      ages.map((r) => [r.csi_age_slots, r.n]),
      a.network.csiAgeVsRate.map((e) => [e.ageSlots, e.n]),
    );
    const gaps = allSync<{ shadow: string; mean_rc_gap: number }>(db, `SELECT * FROM (${viewSelect('v_shadow_gap_means')})`);
    near(gaps[0].mean_rc_gap, a.policies[0].metrics.rc!.mean - a.policies[1].metrics.rc!.mean, 1e-5, 'shadow gap');
  } finally {
    db.close();
  }
});

test('with createViews (as the CLI does) the views appear in the writable, finished database', async () => {
  const copy = path.join(dir, 'views.sqlite');
  await writeRun(copy, handRun());
  await analyzeFile(copy, { createViews: true });
  const db = openDbSync(copy, 'readonly');
  try {
    const views = allSync<{ name: string }>(db, `SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name`).map((r) => r.name);
    assert.ok(views.includes('v_user_outage') && views.includes('v_bs_means') && views.includes('v_shadow_gaps'), views.join(','));
  } finally {
    db.close();
  }
});

test('--from/--to in slots and in simulated time select the same slots [2, 6)', async () => {
  const bySlot = await analyzeFile(file, { range: { from: parseBound('2', '--from'), to: parseBound('6', '--to') } });
  const byTime = await analyzeFile(file, { range: { from: parseBound('1ms', '--from'), to: parseBound('0.003s', '--to') } });
  for (const x of [bySlot, byTime]) {
    assert.equal([x.range.fromSlot, x.range.toSlot, x.range.slots], [2, 5, 4]);
    near(x.policies[0].metrics.rc!.mean, 3.5, 1e-6, 'rc mean in range');
    near(x.users[0].outageShare, 0, 0, 'no outage in 2..5');
  }
  assert.equal(bySlot.network.events, [{ kind: 'csi-report', n: 1 }, { kind: 'pilot', n: 2 }]);
});

test('--outage-rate moves the threshold', async () => {
  const x = await analyzeFile(file, { outageRate: 1.5 });
  // user 0 below 1.5: 0, .05, .2, 1, 1, 1 → 6 of 10; user 1 (rate 2) never
  near(x.users[0].outageShare, 0.6, 1e-12, 'outage 1.5');
  near(x.network.outageShare, 0.3, 1e-12, 'network outage 1.5');
});

test('an empty range is an AnalysisInputError naming the file and what the run has', async () => {
  try {
    await analyzeFile(file, { range: { from: { slot: 10 } } });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, AnalysisInputError);
    assert.match((e as Error).message, `${file}: no logged slots in slots [10, ∞): the run has logged slots 0–9`);
  }
  try {
    await analyzeFile(file, { range: { from: { slot: 5 }, to: { slot: 5 } } });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, AnalysisInputError);
    assert.match((e as Error).message, 'is not before --to');
  }
  assert.throws(() => parseBound('soon', '--from'), /--from: expected a slot index/);
});

test('the text output carries the hand-computed numbers', () => {
  const text = formatAnalysis(a);
  assert.match(text, 'policy mrt · shadows zf');
  assert.match(text, /R_c \[bit\/s\/Hz\]\s+10\s+4\.5000\s+0\.4500\s+4\.5000\s+8\.5500/);
  assert.match(text, /outage\s+20\.00 %/);
});

test.run();
