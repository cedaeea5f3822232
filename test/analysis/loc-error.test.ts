/**
 * Issue 16, item 7: before the controller has any estimate of a target (est_slot −1, the
 * initial cue) there is no estimate error. It used to be stored as 0 m, biasing the mean and
 * the percentiles of `analyze`; it is NULL now and left out of the statistics.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import { analyzeFile } from '../../src/analysis/analyze.ts';
import { runScenario } from '../../src/app/run.ts';
import { scenario } from '../helpers.ts';
import { tmp } from './synthetic.ts';

// A moving target whose first estimate arrives after a few slots (estimate delay 3 ms).
const YAML = `
name: loc-null
seed: 3
durationSlots: 30
topology:
  numCells: 2
  layout: explicit
  bsPositionsM: [[80, 138.5640646], [80, -138.5640646]]
  cellRadiusM: 200
  numTxAnt: 8
  numRxAnt: 8
  txPowerDbm: 30
  arrayBroadsideDeg: 180
users:
  perCell: 2
  placement: { model: uniform-in-rect, rectsM: [[[-100, 0], [100, 200]], [[-100, -200], [100, 0]]], frame: world }
  mobility: { model: static }
targets: { perCell: 0 }
channel: { carrierHz: 24.0e9, commPathLossExp: 2 }
timing:
  pilotPeriodSlots: 10
  csiFeedbackDelayMs: 1
  csiNmseDb: -30
  backhaul: { delayMs: 2, jitterMs: 0 }
policy: { name: mrt }
localization:
  targets: { positionsM: [[0, 0]] }
  tmtPositionsM: [[30, 30], [30, -30], [-30, 30], [-30, -30]]
  zeta: { model: block, coherenceSlots: 10 }
  estimate: { periodSlots: 1, delayMs: 3, gateM: 100 }
`;

test('loc_slots: est_error_m is NULL while est_slot = −1, and analyze leaves those rows out', async () => {
  const file = path.join(tmp('loc-error'), 'run.sqlite');
  const s = await runScenario(scenario(YAML), { dbPath: file, packageVersion: 'test', measureCompute: false });
  assert.is(s.status, 'completed');
  const db = new Database(file, { readonly: true });
  const c = db
    .prepare(
      `SELECT sum(est_slot < 0) AS cue, sum(est_slot < 0 AND est_error_m IS NULL) AS cue_null,
              sum(est_slot >= 0) AS est, sum(est_slot >= 0 AND est_error_m IS NOT NULL) AS est_set,
              avg(CASE WHEN est_slot >= 0 THEN est_error_m END) AS mean_est, max(est_error_m) AS max_err
       FROM loc_slots`,
    )
    .get() as { cue: number; cue_null: number; est: number; est_set: number; mean_est: number; max_err: number };
  db.close();
  assert.ok(c.cue > 0, 'some slots precede the first estimate');
  assert.ok(c.est > 0, 'some slots have an estimate');
  assert.is(c.cue_null, c.cue, 'no error before an estimate exists');
  assert.is(c.est_set, c.est, 'an error once one exists');
  const a = await analyzeFile(file);
  const e = a.targets[0].metrics.est_error_m!;
  assert.is(e.n, c.est, 'the statistics count only slots with an estimate');
  assert.ok(Math.abs(e.mean - c.mean_est) < 1e-5, `mean ${e.mean} vs ${c.mean_est}`);
  assert.ok(e.mean > 0);
});

test.run();
