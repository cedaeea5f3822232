/**
 * Sweep statistics: t intervals across seeds against scipy (scripts/ref/sweep_reference.py),
 * curves grouped and faceted as documented, paired differences only over jobs sharing a channel
 * key, checked against a naive recomputation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { curves, findAxis, pairedDifferences, seedInterval, type SweepData, type SweepDataJob } from '../../src/sweep/analysis.ts';
import { close } from '../helpers.ts';

test('seedInterval equals scipy.stats.t intervals (scripts/ref/sweep_reference.py)', () => {
  const ref: Array<[number[], number, number, number]> = [
    [[6.38, 6.12, 6.55, 6.01, 6.40], 6.292, 0.220839308095275, 0.274208218250133],
    [[4.123, 9.763], 6.943, 3.98808224589213, 35.8314973567385],
    [[0.2268, 0.2311, 0.219, 0.2402, 0.2255, 0.2299, 0.2347, 0.2201, 0.2288, 0.233], 0.22891, 0.00645849139591523, 0.00462012642210323],
  ];
  for (const [x, m, sd, hw] of ref) {
    const s = seedInterval(x);
    assert.is(s.n, x.length);
    close(s.mean, m, 1e-13, 'mean');
    close(s.sd!, sd, 1e-12, 'sd');
    close(s.halfWidth!, hw, 1e-9, 'half-width');
  }
  const one = seedInterval([3]);
  assert.equal([one.mean, one.sd, one.halfWidth], [3, null, null]);
});

/** A sweep of speed × pilot over policies a, b and seeds, the metric a known function of them. */
function synthetic(): SweepData {
  const jobs: SweepDataJob[] = [];
  const value = (speed: number, pilot: number, policy: string, seed: number) => 10 - 0.1 * speed - 0.05 * pilot + (policy === 'b' ? 1 : 0) + 0.3 * Math.sin(seed * 1.7 + speed) + (policy === 'b' ? 0.02 * seed : 0);
  for (const speed of [1, 10, 30]) {
    for (const pilot of [5, 20]) {
      for (const seed of [1, 2, 3, 4]) {
        for (const policy of ['a', 'b']) {
          // b's seed 4 at speed 30 is missing (a failed job): unpaired there.
          const missing = policy === 'b' && seed === 4 && speed === 30;
          jobs.push({
            id: `${speed}-${pilot}-${policy}-${seed}`,
            policy,
            seed,
            point: { 'users.mobility.speedMps': speed, 'timing.pilotPeriodSlots': pilot },
            channelKey: `${speed}-${pilot}-${seed}`,
            status: missing ? 'failed' : 'completed',
            wallS: 1,
            worker: 'w',
            error: null,
            label: '',
            metrics: missing ? {} : { rc: value(speed, pilot, policy, seed) },
          });
        }
      }
    }
  }
  return {
    dir: 'syn',
    name: 'syn',
    description: '',
    sweepFile: '',
    sweepYaml: '',
    baseScenario: '',
    codeVersion: 'v',
    axes: [
      { path: 'users.mobility.speedMps', short: 'speedMps', column: 'speedMps', values: [30, 1, 10] },
      { path: 'timing.pilotPeriodSlots', short: 'pilotPeriodSlots', column: 'pilotPeriodSlots', values: [5, 20] },
    ],
    policies: ['a', 'b'],
    metrics: ['rc'],
    jobs,
  };
}

test('curves: one point per facet × policy × x (x ascending), mean and interval over that point’s seeds', () => {
  const d = synthetic();
  const pts = curves(d, { x: 'speedMps', metric: 'rc' });
  assert.is(pts.length, 2 * 2 * 3);
  assert.equal(
    pts.slice(0, 3).map((p) => [p.facet, p.group, p.x, p.n]),
    [
      ['pilotPeriodSlots 5', 'a', 1, 4],
      ['pilotPeriodSlots 5', 'a', 10, 4],
      ['pilotPeriodSlots 5', 'a', 30, 4],
    ],
  );
  // Naive: the same numbers straight from the jobs.
  for (const p of pts) {
    const pilot = Number(p.facet.split(' ')[1]);
    const vals = d.jobs.filter((j) => j.status === 'completed' && j.policy === p.group && j.point['timing.pilotPeriodSlots'] === pilot && j.point['users.mobility.speedMps'] === p.x).map((j) => j.metrics.rc!);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1));
    close(p.mean, m, 1e-12);
    close(p.sd!, sd, 1e-12);
    close(p.hi! - p.lo!, 2 * p.halfWidth!, 1e-12);
  }
  assert.is(pts.find((p) => p.group === 'b' && p.x === 30)!.n, 3);
  // Grouped by an axis: the policies become facets.
  const byPilot = curves(d, { x: 'speedMps', metric: 'rc', by: 'pilotPeriodSlots' });
  assert.equal([...new Set(byPilot.map((p) => p.facet))], ['policy a', 'policy b']);
  assert.equal([...new Set(byPilot.map((p) => p.group))], ['5', '20']);
});

test('paired differences: seed by seed over shared channel keys; unpaired seeds left out and counted', () => {
  const d = synthetic();
  const diffs = pairedDifferences(d, { x: 'users.mobility.speedMps', metric: 'rc' });
  assert.is(diffs.length, 2 * 3);
  for (const p of diffs) {
    const pilot = Number(p.facet.split(' ')[1]);
    const at = (policy: string) => new Map(d.jobs.filter((j) => j.status === 'completed' && j.policy === policy && j.point['timing.pilotPeriodSlots'] === pilot && j.point['users.mobility.speedMps'] === p.x).map((j) => [j.seed, j.metrics.rc!]));
    const a = at('a');
    const b = at('b');
    const ds = [...b].filter(([s]) => a.has(s)).map(([s, v]) => v - a.get(s)!);
    const s = seedInterval(ds);
    assert.is(p.n, ds.length);
    close(p.diff, s.mean, 1e-12);
    close(p.halfWidth!, s.halfWidth!, 1e-12);
    assert.is(p.unpaired, p.x === 30 ? 1 : 0);
    // b − a = 1 + 0.02·seed exactly: the pairing removes the seed-to-seed variation of both.
    close(p.diff, 1 + (0.02 * [...b.keys()].filter((k) => a.has(k)).reduce((x, y) => x + y, 0)) / ds.length, 1e-12);
    assert.ok(p.halfWidth! < 0.05, `paired half-width ${p.halfWidth}`);
  }
  // Unpaired intervals of the same points are far wider (the seeds' variation stays in them).
  const c = curves(d, { x: 'speedMps', metric: 'rc' });
  assert.ok(c.find((p) => p.group === 'a' && p.x === 1)!.halfWidth! > 0.2);
});

test('axes by name: path, last part, or a refusal listing the axes', () => {
  const d = synthetic();
  assert.is(findAxis(d, 'speedMps', '--x').path, 'users.mobility.speedMps');
  assert.is(findAxis(d, 'timing.pilotPeriodSlots', '--x').short, 'pilotPeriodSlots');
  assert.throws(() => findAxis(d, 'rho', '--x'), /--x: the sweep has no axis "rho"; its axes: speedMps \(users\.mobility\.speedMps\), pilotPeriodSlots \(timing\.pilotPeriodSlots\)/);
  assert.throws(() => curves(d, { x: 'speedMps', metric: 'rs' }), /--metric: the sweep syn has no metric "rs"; its metrics: rc/);
  assert.throws(() => pairedDifferences(d, { x: 'speedMps', metric: 'rc', reference: 'c' }), /--vs: the sweep syn has no policy "c"; its policies: a, b/);
});

test.run();
