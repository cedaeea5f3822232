/**
 * `sensing.beampattern` in the twin: measured on its slots only, CBF's beam peaks at unit gain on
 * the target it aims at (the meter and the twin's array share one angle convention), the values
 * land in beam_slots, the dashboard draws the focused AP's pattern, a bad grid step is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runScenario } from '../../src/app/run.ts';
import { composeScreen, lineText } from '../../src/dashboard/compose.ts';
import { runInfoOf } from '../../src/dashboard/live.ts';
import { ViewModel } from '../../src/dashboard/model.ts';
import { initialUi, layout } from '../../src/dashboard/ui.ts';
import { gridAngleDeg } from '../../src/metrics/beampattern-meter.ts';
import type { SlotRecord } from '../../src/sim/events.ts';
import { Twin } from '../../src/sim/twin.ts';
import { ScenarioError } from '../../src/scenario/load.ts';
import { scenario } from '../helpers.ts';

const YAML = `
name: bp
seed: 3
durationSlots: 40
topology: { numCells: 3, numTxAnt: 12, numRxAnt: 12 }
users: { perCell: 2, mobility: { model: static } }
targets: { perCell: 1, mobility: { model: static } }
sensing: { beampattern: { widthDeg: 8, everySlots: 5 } }
timing:
  pilotPeriodSlots: 5
  csiFeedbackDelayMs: 1
  backhaul: { delayMs: 1, jitterMs: 0 }
  echo: { periodSlots: 1, angleStdDeg: 0 }
  decision: { periodSlots: 1 }
policy: cbf
logging: { batchSlots: 10 }
`;

test('measured every 5 slots; CBF at an exactly known angle has unit gain there and never above', () => {
  const loaded = scenario(YAML);
  const twin = new Twin(loaded);
  const records: SlotRecord[] = [];
  twin.slots$.subscribe((r) => records.push(r));
  twin.runSlots(40);
  const L = 181;
  for (const r of records) {
    assert.is(r.beampattern !== undefined, r.slot % 5 === 0, `slot ${r.slot}`);
    const bp = r.beampattern;
    if (!bp || r.slot < 10) continue; // the first slots act before the first echo estimate
    for (let m = 0; m < 3; m++) {
      const t = r.targetBs.indexOf(m);
      const P = bp.pattern.subarray(m * L, (m + 1) * L);
      assert.ok(Math.max(...P) <= 1 + 1e-9, `BS${m}: P̄ ≤ 1 (Cauchy–Schwarz)`);
      const deg = gridAngleDeg(r.targetThetaRad[t]);
      const l = Math.round(deg + 90);
      // Within 0.5° of the beam's direction, N_T = 12: 1 − (N²−1)u²/12 ≥ 0.98.
      assert.ok(P[l] >= 0.98, `BS${m} slot ${r.slot}: P̄(${l - 90}°) = ${P[l]} next to its target at ${deg.toFixed(2)}°`);
      assert.ok(bp.desired[m * L + l] === 1 && Number.isFinite(bp.lr[m]) && bp.lr[m] > 0);
    }
  }
});

test('beam_slots holds every AP on the measured slots; the dashboard draws the focused AP', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bp-'));
  try {
    const loaded = scenario(YAML);
    const file = path.join(dir, 'bp.sqlite');
    const records: SlotRecord[] = [];
    const s = await runScenario(loaded, { dbPath: file, packageVersion: 'test', measureCompute: false, attach: (twin) => twin.slots$.subscribe((r) => records.push(r)) });
    assert.is(s.status, 'completed');
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT slot, bs, lr1, lr2, lr, mu FROM beam_slots ORDER BY slot, bs').all() as Array<{ slot: number; bs: number; lr1: number | null; lr2: number | null; lr: number | null; mu: number | null }>;
    db.close();
    assert.is(rows.length, 3 * 8);
    for (const row of rows) {
      const bp = records[row.slot].beampattern!;
      const v = (x: number) => (Number.isFinite(x) ? x : null);
      assert.equal([row.lr1, row.lr2, row.lr, row.mu], [v(bp.lr1[row.bs]), v(bp.lr2[row.bs]), v(bp.lr[row.bs]), null], `slot ${row.slot} BS${row.bs}`);
    }
    const model = new ViewModel(runInfoOf(loaded, 'none'));
    for (const r of records) model.slot(r);
    const view = model.view();
    const screen = composeScreen(view, { ...initialUi, pattern: 1 }, layout(110, 30, 3), 'run').map(lineText);
    const lr = records[35].beampattern!.lr;
    assert.ok(screen.some((l) => l.includes(`Beampattern BS1`) && l.includes(`L_r ${lr[1].toFixed(3)} @slot 35`)), screen.join('\n'));
    assert.ok(screen.some((l) => l.includes('-90°') && l.includes('90°')));
    assert.ok(screen.some((l) => l.includes(`L_r ${lr[0].toFixed(3)}`)), 'the cells panel shows L_r per BS');
    const none = new ViewModel(runInfoOf(scenario(YAML.replace(/^sensing:.*$/m, '')), 'none'));
    for (const r of records) none.slot({ ...r, beampattern: undefined });
    assert.ok(composeScreen(none.view(), { ...initialUi, pattern: 0 }, layout(110, 30, 3), 'run').map(lineText).some((l) => l.includes('does not measure beampatterns')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the constraint monitor: μ ← [μ + η(L_r − ε)]₊ per AP on the measured slots, by hand from the logged L_r', () => {
  const twin = new Twin(scenario(YAML.replace('everySlots: 5 }', 'everySlots: 5, epsilon: 0.04, dualStep: 3 }')));
  const records: SlotRecord[] = [];
  twin.slots$.subscribe((r) => records.push(r));
  twin.runSlots(40);
  const mu = [0, 0, 0];
  let rose = 0;
  for (const r of records) {
    const bp = r.beampattern;
    if (!bp) continue;
    for (let m = 0; m < 3; m++) {
      if (Number.isFinite(bp.lr[m])) {
        const next = Math.max(0, mu[m] + 3 * (bp.lr[m] - 0.04));
        if (next > mu[m]) rose++;
        mu[m] = next;
      }
      assert.ok(Math.abs(bp.mu![m] - mu[m]) <= 1e-15 * Math.max(1, mu[m]), `slot ${r.slot} BS${m}: μ ${bp.mu![m]} vs ${mu[m]}`);
    }
  }
  assert.ok(rose > 0 && mu.some((v) => v > 0), `some AP violates ε = 0.04 (μ ${mu.map((v) => v.toFixed(3))})`);
  const plain = new Twin(scenario(YAML));
  const r0: SlotRecord[] = [];
  plain.slots$.subscribe((r) => r0.push(r));
  plain.runSlots(10);
  assert.is(r0[5].beampattern!.mu, undefined, 'no ε: no monitor');
});

test('a grid step that does not divide 180° is refused with its field and line', () => {
  const bad = YAML.replace('everySlots: 5', 'everySlots: 5, resolutionDeg: 7');
  try {
    scenario(bad, 'bp.yaml');
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, ScenarioError);
    assert.match(String((e as Error).message), /sensing\.beampattern\.resolutionDeg/);
    assert.match(String((e as Error).message), /does not divide 180/);
    assert.match(String((e as Error).message), /bp\.yaml:8:/);
  }
});

test.run();
