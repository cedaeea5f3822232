/**
 * Paper 003 inside the twin: a short run of a small localisation scenario writes `loc_slots`
 * rows (same seed → same CRLB rows), an infeasible Γ makes crlb-sdp report `infeasible` and its
 * fallback act (events and flags), the CRLB in the records is that of the beams in force, the
 * snapshot exports the localisation state, and scenarios without the section are untouched.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { queryFile } from '../../src/store/db.ts';
import { runScenario } from '../../src/app/run.ts';
import { takeSnapshot } from '../../src/app/snapshot.ts';
import { ScenarioError } from '../../src/scenario/load.ts';
import type { SlotRecord, TwinEvent } from '../../src/sim/events.ts';
import { Twin } from '../../src/sim/twin.ts';
import { close, record, scenario } from '../helpers.ts';
import { crlbByHand } from './by-hand.ts';

/** Paper 003's geometry, N_t = 8, K = 2 per cell, a design every 20 slots. */
const SMALL = `
name: loc-small
seed: 5
durationSlots: 60
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
  decision: { periodSlots: 20, latency: fixed, fixedMs: 1 }
policy: { name: crlb-sdp, params: { sinrDb: 10 } }
localization:
  targets: { positionsM: [[0, 0]] }
  tmtPositionsM: [[30, 30], [30, -30], [-30, 30], [-30, -30]]
  zeta: { model: block, coherenceSlots: 10 }
  estimate: { periodSlots: 1, delayMs: 1, gateM: 1 }
`;

const all = <T = Record<string, unknown>>(file: string, sql: string): T[] => queryFile<T>(file, sql);

test('a run writes loc_slots rows and solve events; same seed → the same CRLB rows', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loc-'));
  try {
    const rows: Array<Array<Record<string, unknown>>> = [];
    for (const name of ['a', 'b']) {
      const dbPath = path.join(dir, `${name}.sqlite`);
      const s = await runScenario(scenario(SMALL), { dbPath, packageVersion: 'test', measureCompute: false });
      assert.is(s.status, 'completed');
      rows.push(all(dbPath, 'SELECT slot, target, crlb_m2, rmse_bound_m, x_est_m, y_est_m, est_slot, policy, solver_status, solver_iterations, rank_one_ratio, infeasible, decided_slot FROM loc_slots ORDER BY slot'));
      if (name === 'a') {
        const solves = all<{ detail: string }>(dbPath, "SELECT detail FROM events WHERE kind = 'solve' ORDER BY slot");
        assert.is(solves.length, 2, 'designs at slots 20 and 40 (the CU has all CSI from slot 4)');
        for (const e of solves) {
          const d = JSON.parse(e.detail) as { status: string; rankOneRatio: number; iterations: number };
          assert.is(d.status, 'optimal');
          assert.ok(d.rankOneRatio >= 1 - 1e-6 && d.iterations > 0);
        }
      }
    }
    const [a, b] = rows;
    assert.is(a.length, 60);
    assert.equal(a, b);
    // Before the first design lands (slot 20 + 1 ms + 2 ms backhaul) no beams: no localisation.
    assert.is(a[0].crlb_m2, null);
    assert.is(a[0].policy, 'none');
    const after = a.filter((r) => (r.slot as number) >= 24);
    assert.ok(after.every((r) => typeof r.crlb_m2 === 'number' && (r.crlb_m2 as number) > 0));
    assert.ok(after.every((r) => r.policy === 'crlb-sdp' && r.solver_status === 'optimal' && r.infeasible === 0));
    close(after[0].rmse_bound_m as number, Math.sqrt(after[0].crlb_m2 as number), 1e-12);
    // The controller's estimates follow the slots (one slot of delay) once the target is lit.
    assert.ok(after.slice(2).every((r) => r.est_slot === (r.slot as number) - 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the logged CRLB is that of the beams in force on the true geometry and ε', () => {
  const { twin, records } = record(SMALL, 30);
  const last = records[29].loc!;
  const truth = twin.truth.loc!;
  const { bsPosM, broadsideRad, numTxAnt, numBs } = twin.topo;
  // The steering toward the true target position, by hand: a_n = e^{jπ n sin θ_m}, θ_m from the
  // array broadside (180° here) to the target, seen from BS m.
  const a = new Float64Array(2 * numBs * numTxAnt);
  for (let m = 0; m < numBs; m++) {
    const theta = Math.atan2(truth.posM[1] - bsPosM[2 * m + 1], truth.posM[0] - bsPosM[2 * m]) - broadsideRad;
    for (let n = 0; n < numTxAnt; n++) {
      a[2 * (m * numTxAnt + n)] = Math.cos(Math.PI * n * Math.sin(theta));
      a[2 * (m * numTxAnt + n) + 1] = Math.sin(Math.PI * n * Math.sin(theta));
    }
  }
  const c = crlbByHand(twin.beamsInForce(), numTxAnt, a, truth.weights[0]);
  assert.ok(Number.isFinite(last.crlbM2[0]) && last.crlbM2[0] > 0);
  // Each component on its own (x and y swapped, or the sum taken from another slot, would fail).
  close(last.crlbXM2[0], c.xM2, 1e-9, '[C]₁₁');
  close(last.crlbYM2[0], c.yM2, 1e-9, '[C]₂₂');
  close(last.crlbM2[0], c.sumM2, 1e-9, 'C_{x,y}');
  assert.ok(Math.abs(c.xM2 - c.yM2) > 1e-3 * c.sumM2, 'the two components differ here (so a swap would show)');
});

test('infeasible Γ: crlb-sdp reports it, its fallback (zf) acts, and the slots are flagged', () => {
  const yaml = SMALL.replace('params: { sinrDb: 10 }', 'params: { sinrDb: 60, fallback: zf }');
  const { records, events } = record(yaml, 30);
  const solves = events.filter((e): e is Extract<TwinEvent, { kind: 'solve' }> => e.kind === 'solve');
  assert.is(solves.length, 1);
  assert.is(solves[0].status, 'infeasible');
  assert.is(solves[0].fallback, 'zf');
  assert.is(solves[0].rankOneRatio, null);
  const warnings = events.filter((e) => e.kind === 'warning');
  assert.equal(warnings.map((w) => (w as { message: string }).message), ['crlb-sdp: infeasible instance, zf acts instead']);
  const r = records[29];
  assert.equal(r.bs.policy, ['zf', 'zf']);
  assert.equal(Array.from(r.bs.fallback), [1, 1]);
  assert.is(r.loc!.infeasible, true);
  assert.is(r.loc!.policy, 'crlb-sdp');
  assert.is(r.loc!.solverStatus, 'infeasible');
  // zf beams: equal power per stream, the full budget
  close(r.bs.powerW[0], 1, 1e-9);
});

test('snapshot: TMTs, delays, ε, CRLB and the solver of the decision in force', () => {
  const snap = takeSnapshot(scenario(SMALL), 25) as { localization: Record<string, unknown> };
  const loc = snap.localization as {
    tmtPositionsM: number[][];
    targets: Array<{ delaysS: number[][]; epsilon: number[][]; pathGainF: number[][]; zeta: number[][]; crlbM2: number }>;
    solver: { status: string; iterations: number; rankOneRatio: number; policy: string };
  };
  assert.equal(loc.tmtPositionsM, [[30, 30], [30, -30], [-30, 30], [-30, -30]]);
  const t = loc.targets[0];
  close(t.delaysS[0][0], (160 + 30 * Math.SQRT2) / 299792458, 1e-9, 'τ_{1,1} at the origin');
  close(t.epsilon[1][2], Math.sqrt(t.pathGainF[1][2]) * t.zeta[1][2], 1e-15);
  assert.ok(t.crlbM2 > 0);
  assert.is(loc.solver.status, 'optimal');
  assert.is(loc.solver.policy, 'crlb-sdp');
  assert.ok(loc.solver.iterations > 0 && loc.solver.rankOneRatio > 0.999);
});

test('validation: localisation policies need the section; rectangles and TMT counts are checked', () => {
  const noLoc = SMALL.slice(0, SMALL.indexOf('localization:'));
  assert.throws(() => scenario(noLoc), (e: unknown) => e instanceof ScenarioError && /crlb-sdp needs a localization: section/.test((e as Error).message));
  assert.throws(
    () => scenario(SMALL.replace('rectsM: [[[-100, 0], [100, 200]], [[-100, -200], [100, 0]]]', 'rectsM: [[[0, 0], [1, 1]], [[0, 0], [1, 1]], [[0, 0], [1, 1]]]')),
    /3 rectangles given: one for all cells or one per cell \(2\)/,
  );
  assert.throws(() => scenario(SMALL.replace('policy: { name: crlb-sdp, params: { sinrDb: 10 } }', 'policy: { name: crlb-sdp, params: { fallback: nope } }')), /policy\.params\.fallback\.name: unknown policy "nope"/);
  // A scenario without the section has no loc records.
  const plain = record(noLoc.replace('policy: { name: crlb-sdp, params: { sinrDb: 10 } }', 'policy: zf'), 5).records;
  assert.is(plain[4].loc, undefined);
});

test('uniform-in-rect placement keeps each cell\'s users in its rectangle', () => {
  const yaml = SMALL.replace('durationSlots: 60', 'durationSlots: 2').replace('perCell: 2', 'perCell: 20').replace('policy: { name: crlb-sdp, params: { sinrDb: 10 } }', 'policy: mrt');
  const { twin } = record(yaml, 1);
  const pos = twin.truth.userPosM;
  for (let u = 0; u < 40; u++) {
    const [x, y] = [pos[2 * u], pos[2 * u + 1]];
    assert.ok(x >= -100 && x <= 100, `x ${x}`);
    assert.ok(u < 20 ? y >= 0 && y <= 200 : y >= -200 && y <= 0, `user ${u} y ${y}`);
  }
});

test.run();
