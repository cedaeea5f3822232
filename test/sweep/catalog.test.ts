/** The sweep catalog: rows and views against numbers put in by hand; current jobs; the guide names every view. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Catalog, VIEWS } from '../../src/sweep/catalog.ts';
import { EXTRA_METRICS, readSweep } from '../../src/sweep/plan.ts';
import { allSync } from '../../src/store/db.ts';
import type { JobResult } from '../../src/sweep/job.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-sweep-catalog-'));
const BASE = path.resolve('scenarios/default.yaml');
const file = path.join(dir, 'c.yaml');
const body = (seeds: string) =>
  `name: c\nscenario: ${BASE}\nset: { durationSlots: 100, shadows: [] }\naxes:\n  - grid: { channel.fading.model: [clarke, block], rho: [0.2] }\npolicies: [mrt, zf]\nseeds: ${seeds}\nmetrics: [rc, outage]\nout: out\n`;

const result = (id: string, rc: number, worker: string, status: JobResult['status'] = 'completed'): JobResult => ({
  id,
  status,
  wallS: 2,
  slots: 100,
  backend: 'none',
  worker,
  error: status === 'failed' ? 'Error: boom' : undefined,
  metrics: status === 'completed' ? [{ metric: 'rc', n: 100, mean: rc, p5: 0, p50: 0, p95: 0 }, { metric: 'outage', n: null, mean: 0.25, p5: null, p50: null, p95: null }] : [],
});

test('rows and views: results per job, mean and sd across seeds per point, status, workers, failures', () => {
  writeFileSync(file, body('[1, 2, 3]'));
  const plan = readSweep(file, { codeVersion: 'v' });
  const c = Catalog.openForPlan(plan);
  const job = (model: string, pol: string, seed: number) => plan.jobs.find((j) => j.point['channel.fading.model'] === model && j.policy === pol && j.seed === seed)!.id;
  const rcs = [3, 4, 8];
  rcs.forEach((rc, i) => c.record(result(job('clarke', 'mrt', i + 1), rc, `h:${i % 2}`)));
  c.record(result(job('block', 'zf', 1), 0, 'h:1', 'failed'));
  const results = allSync<Record<string, unknown>>(c.db, 'SELECT model, rho, policy, seed, rc, outage, worker FROM v_results');
  assert.equal(results, [
    { model: 'clarke', rho: 0.2, policy: 'mrt', seed: 1, rc: 3, outage: 0.25, worker: 'h:0' },
    { model: 'clarke', rho: 0.2, policy: 'mrt', seed: 2, rc: 4, outage: 0.25, worker: 'h:1' },
    { model: 'clarke', rho: 0.2, policy: 'mrt', seed: 3, rc: 8, outage: 0.25, worker: 'h:0' },
  ]);
  const [pt] = allSync<{ seeds: number; rc_mean: number; rc_sd: number }>(c.db, 'SELECT seeds, rc_mean, rc_sd FROM v_points');
  // mean 5, sample sd sqrt(((3−5)² + (4−5)² + (8−5)²)/2) = sqrt(7)
  assert.is(pt.seeds, 3);
  assert.is(pt.rc_mean, 5);
  assert.ok(Math.abs(pt.rc_sd - Math.sqrt(7)) < 1e-12);
  assert.equal(allSync(c.db, 'SELECT * FROM v_status'), [
    { status: 'completed', jobs: 3 },
    { status: 'failed', jobs: 1 },
    { status: 'pending', jobs: 8 },
  ]);
  assert.equal(allSync(c.db, 'SELECT worker, jobs, wall_s FROM v_workers'), [
    { worker: 'h:0', jobs: 2, wall_s: 4 },
    { worker: 'h:1', jobs: 1, wall_s: 2 },
  ]);
  assert.equal(allSync(c.db, 'SELECT error FROM v_failed'), [{ error: 'Error: boom' }]);
  assert.is(allSync(c.db, 'SELECT * FROM v_jobs').length, 12);
  c.close();
  // Fewer seeds: the third seed's jobs are kept, not current; their results leave the views.
  writeFileSync(file, body('[1, 2]'));
  const c2 = Catalog.openForPlan(readSweep(file, { codeVersion: 'v' }));
  assert.equal(allSync(c2.db, 'SELECT seeds, rc_mean FROM v_points'), [{ seeds: 2, rc_mean: 3.5 }]);
  assert.equal(allSync(c2.db, 'SELECT count(*) AS n, sum(current) AS cur FROM jobs'), [{ n: 12, cur: 8 }]);
  c2.close();
});

test('docs/sweeps.md names every view and every extra metric', () => {
  const doc = readFileSync('docs/sweeps.md', 'utf8');
  for (const v of VIEWS) assert.ok(doc.includes(`\`${v}\``), `view ${v} missing from docs/sweeps.md`);
  for (const m of Object.keys(EXTRA_METRICS)) assert.ok(doc.includes(`\`${m}\``), `metric ${m} missing from docs/sweeps.md`);
});

test.run();
