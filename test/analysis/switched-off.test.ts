/**
 * Issue 16, item 8: a user switched off (zero power on its stream) has SINR exactly 0, or a
 * rounding residue such as −726 dB. The database keeps the linear SINR as it is (0 stays 0,
 * sinr_db NULL); `analyze` counts such user-slots as switched off and as outage (not dropped),
 * keeps them out of the SINR statistics in dB (no −726 dB minimum in `compare`), and a SINR CDF
 * clips its axis at p1 − 10 dB with a note instead of spanning thousands of dB.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { analyzeFile } from '../../src/analysis/analyze.ts';
import { compareFiles } from '../../src/analysis/compare.ts';
import { SWITCHED_OFF_SINR_DB } from '../../src/analysis/metrics.ts';
import { dbAxisFloor, plotSpec } from '../../src/analysis/plot.ts';
import { openRuns } from '../../src/analysis/run-db.ts';
import { runScenario } from '../../src/app/run.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { scenario } from '../helpers.ts';
import { tmp } from './synthetic.ts';

const YAML = `
name: muted
seed: 4
durationSlots: 120
topology: { numCells: 2, numTxAnt: 4, numRxAnt: 4 }
users: { perCell: 2 }
targets: { perCell: 1 }
logging: { batchSlots: 40 }
`;

const policies = builtinPolicies().register({
  name: 'mute-two',
  summary: 'test policy: the first user of BS 0 gets no power, the first of BS 1 a residue of 1e-36',
  params: z.strictObject({}),
  create: () => ({
    name: 'mute-two',
    scope: 'distributed',
    decide: (m, _v, { topo }) => {
      const nt = topo.numTxAnt;
      const rows = topo.servedUsers[m].length;
      const W = new Float64Array(2 * rows * nt);
      const first = m === 0 ? 0 : m === 1 ? 1e-36 : Math.sqrt(topo.powerW[m] / (2 * rows * nt));
      const rest = Math.sqrt((topo.powerW[m] - 2 * nt * first * first) / (2 * Math.max(1, rows - 1) * nt));
      for (let i = 0; i < W.length; i++) W[i] = i < 2 * nt ? first : rest;
      return W;
    },
  }),
});

test('switched-off users: stored faithfully, counted as outage, out of the dB statistics, clipped on the CDF axis', async () => {
  const dir = tmp('switched-off');
  const loaded = scenario(YAML.replace('logging:', 'policy: mute-two\nlogging:'), 'inline.yaml', policies);
  const muted = loaded.topology.servedUsers[0][0];
  const residue = loaded.topology.servedUsers[1][0];
  const file = path.join(dir, 'muted.sqlite');
  const s = await runScenario(loaded, { dbPath: file, packageVersion: 'test', measureCompute: false });
  assert.is(s.status, 'completed');
  const db = new Database(file, { readonly: true });
  const q = (user: number) =>
    db.prepare('SELECT count(*) AS n, sum(sinr = 0) AS zero, sum(sinr_db IS NULL) AS nulls, max(rate) AS rate, min(sinr) AS minSinr, max(sinr) AS maxSinr FROM user_slots WHERE user = ? AND slot >= 20').get(user) as {
      n: number;
      zero: number;
      nulls: number;
      rate: number;
      minSinr: number;
      maxSinr: number;
    };
  const m = q(muted);
  const r = q(residue);
  const minDb = (db.prepare('SELECT min(sinr_db) AS v FROM user_slots WHERE user = ? AND slot >= 20').get(residue) as { v: number }).v;
  db.close();
  assert.is(m.zero, m.n, 'a muted user: linear SINR exactly 0 …');
  assert.is(m.nulls, m.n, '… and sinr_db NULL');
  assert.is(m.rate, 0);
  assert.ok(r.maxSinr > 0 && r.maxSinr < 1e-20, `the residue user keeps its tiny linear SINR (${r.maxSinr})`);
  assert.ok(minDb < -200, `its sinr_db is the residue's (${minDb} dB)`);

  // Outage counts them even with an outage threshold of 0 (rate < 0 never holds).
  const a = await analyzeFile(file, { outageRate: 0 });
  const um = a.users.find((u) => u.user === muted)!;
  const ur = a.users.find((u) => u.user === residue)!;
  assert.is(um.switchedOffSlots, 120, 'muted all along (before the first decision no user has power)');
  assert.is(um.outageShare, 1);
  assert.is(ur.outageShare, 1);
  assert.is(um.metrics.sinr, null, 'no SINR in dB for a user never served');
  assert.is(ur.metrics.sinr, null, 'the residue is not a SINR either');
  const served = a.users.find((u) => u.user !== muted && u.user !== residue)!;
  assert.ok(served.switchedOffSlots > 0 && served.switchedOffSlots < 120, `a served user is off only before its first beams (${served.switchedOffSlots})`);
  assert.ok(served.outageShare! < 1);
  assert.ok(a.pooled.user.sinr!.min >= SWITCHED_OFF_SINR_DB, `pooled SINR min ${a.pooled.user.sinr!.min} dB`);
  assert.ok(a.network.switchedOffUserSlots >= 240);

  // compare: no −726 dB in the per-user SINR.
  const c = await compareFiles([file, file], { batches: 2 });
  for (const an of c.analyses) assert.ok(an.pooled.user.sinr!.min >= SWITCHED_OFF_SINR_DB);

  // The CDF axis starts at p1 − 10 dB and says how many values lie below it.
  const runs = await openRuns([file]);
  try {
    const { spec, notes } = await plotSpec(runs, { kind: 'cdf', metric: 'sinr' });
    const xs = (spec as unknown as { data: { values: Array<{ x: number }> } }).data.values.map((v) => v.x);
    const lo = Math.min(...xs);
    assert.ok(lo > -200, `axis from ${lo} dB`);
    assert.ok(notes.some((n) => /values below the axis/.test(n)), notes.join(' | '));
    const sub = JSON.stringify((spec as unknown as { title: unknown }).title);
    assert.match(sub, 'below the axis');
  } finally {
    for (const r0 of runs) await r0.close();
  }
});

test('dbAxisFloor: p1 − 10 dB over the finite values; nothing below → no clipping', () => {
  const v = Float64Array.from([-Infinity, -726, ...Array.from({ length: 200 }, (_, i) => i / 10)]).sort();
  const f = dbAxisFloor([v]);
  assert.is(f.below, 2);
  assert.ok(Math.abs(f.lo - (v[2 + Math.floor(0.01 * 199)] - 10)) < 1e-12);
  assert.equal(dbAxisFloor([Float64Array.from([1, 2, 3])]), { lo: -Infinity, below: 0 });
  assert.equal(dbAxisFloor([Float64Array.from([-Infinity])]), { lo: -Infinity, below: 0 });
});

test.run();
