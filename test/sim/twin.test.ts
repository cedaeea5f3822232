import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { norm2 } from '../../src/phy/complex.ts';
import type { SlotRecord, TwinEvent } from '../../src/sim/events.ts';
import { Twin } from '../../src/sim/twin.ts';
import { close, record, scenario } from '../helpers.ts';

const BASE = `
name: t
seed: 3
durationSlots: 60
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2 }
targets: { perCell: 1 }
timing:
  pilotPeriodSlots: 10
  csiFeedbackDelayMs: 3
  backhaul: { delayMs: 2, jitterMs: 0 }
`;

test('CSI reports arrive exactly feedback delay after the pilot; backhaul exactly delay later', () => {
  const { events } = record(BASE);
  const pilots = events.filter((e) => e.kind === 'pilot').map((e) => [e.tUs, (e as { bs: number }).bs]);
  assert.equal(pilots.slice(0, 3), [[0, 0], [0, 1], [0, 2]]);
  const reports = events.filter((e): e is Extract<TwinEvent, { kind: 'csi-report' }> => e.kind === 'csi-report');
  for (const r of reports) assert.equal(r.tUs, r.measuredSlot * 1000 + 3000);
  assert.equal(reports.length, 18); // pilots at 0,10,…,50 × 3 BSs
  const bh = events.filter((e): e is Extract<TwinEvent, { kind: 'backhaul' }> => e.kind === 'backhaul');
  assert.ok(bh.length >= 15);
  for (const b of bh) assert.equal(b.tUs - b.sentUs, 2000);
});

test('backhaul jitter stays within [delay, delay + jitter] and is causal', () => {
  const { events } = record(BASE.replace('jitterMs: 0', 'jitterMs: 0.7'));
  const bh = events.filter((e): e is Extract<TwinEvent, { kind: 'backhaul' }> => e.kind === 'backhaul');
  const lags = bh.map((b) => b.tUs - b.sentUs);
  assert.ok(lags.every((l) => l >= 2000 && l <= 2700), lags.join(','));
  assert.ok(new Set(lags).size > 3, 'jitter varies');
  for (let i = 1; i < events.length; i++) assert.ok(events[i].tUs >= events[i - 1].tUs, 'events in time order');
});

test('CSI age grows by one per slot between pilots and resets when a new report lands', () => {
  const { records } = record(BASE);
  const age = records.map((r) => r.userCsiAge[0]);
  // no beam before the first report (slot 3); then 0 at the pilot slot + 3 … 
  assert.equal(age.slice(0, 3), [-1, -1, -1]);
  assert.equal(age.slice(3, 16), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 3, 4, 5]);
  assert.equal(Math.max(...age), 12);
});

test('a centralised policy decides on older CSI than a distributed one (backhaul)', () => {
  const dist = record(BASE).records;
  const cent = record(BASE + 'policy: wmmse\n').records;
  const meanAge = (rs: SlotRecord[]) => {
    const a = rs.slice(20).map((r) => r.userCsiAge[0]);
    return a.reduce((x, y) => x + y, 0) / a.length;
  };
  // BS: report at +3; central unit: +3 (report) +2 (uplink) and beams back +2 (downlink)
  assert.ok(meanAge(cent) - meanAge(dist) > 3.5, `${meanAge(cent)} vs ${meanAge(dist)}`);
  // first WMMSE beams land at slot 3 + 2 + 2 = 7
  assert.equal(cent.findIndex((r) => r.bs.policy[0] === 'wmmse'), 7);
});

test('same scenario and seed → identical records; another policy → the same channels and motion', () => {
  const a = record(BASE).records;
  const b = record(BASE).records;
  // Serialised exactly (typed arrays element by element; NaN compared as NaN).
  const canon = (rs: SlotRecord[]) => JSON.stringify(rs, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array, String) : v));
  assert.ok(a.length === 60 && canon(a) === canon(b));
  const c = record(BASE + 'policy: equal-power\nshadows: [zf]\n').records;
  for (let i = 0; i < a.length; i++) {
    assert.equal(c[i].userPosM, a[i].userPosM);
    assert.equal(c[i].targetPosM, a[i].targetPosM);
    assert.equal(c[i].targetThetaEstRad, a[i].targetThetaEstRad);
  }
  assert.ok(a.some((r, i) => r.rc !== c[i].rc), 'different policies give different rates');
  const d = record(BASE.replace('seed: 3', 'seed: 4')).records;
  assert.ok(d[5].userPosM[0] !== a[5].userPosM[0], 'another seed moves users elsewhere');
});

test('true channels evolve consistently: faster users decorrelate faster', () => {
  const corr = (speed: number) => {
    const twin = new Twin(scenario((BASE + `users: { perCell: 2, mobility: { model: constant-velocity, speedMps: ${speed} } }\n`).replace('users: { perCell: 2 }\n', '')));
    twin.runSlots(1);
    const H0 = Float64Array.from(twin.truth.channel.H);
    twin.runSlots(6);
    const H1 = twin.truth.channel.H;
    let re = 0;
    let im = 0;
    for (let i = 0; i < H0.length; i += 2) {
      re += H0[i] * H1[i] + H0[i + 1] * H1[i + 1];
      im += H0[i] * H1[i + 1] - H0[i + 1] * H1[i];
    }
    return Math.hypot(re, im) / Math.sqrt(norm2(H0) * norm2(H1));
  };
  const slow = corr(1);
  const fast = corr(40);
  assert.ok(slow > 0.9, `slow ${slow}`);
  assert.ok(fast < slow - 0.3, `fast ${fast} vs slow ${slow}`);
});

test('decision latency past the deadline: the fallback acts until the slow result lands', () => {
  const yaml = BASE + `policy: zf\n`;
  const slow = yaml.replace('timing:\n', 'timing:\n  decision: { latency: fixed, fixedMs: 4, deadlineMs: 1, fallback: mrt, periodSlots: 10 }\n');
  const { records, events } = record(slow);
  const pol = records.map((r) => `${r.bs.policy[0]}${r.bs.fallback[0] ? '*' : ''}`);
  // CSI at slot 3; decisions every 10 slots → first at 10: fallback mrt from 11 (deadline 1 ms), ZF lands at 14
  assert.equal(pol.slice(9, 16), ['none', 'none', 'mrt*', 'mrt*', 'mrt*', 'zf', 'zf']);
  assert.ok(events.some((e) => e.kind === 'deadline-miss' && e.tUs === 11_000));
});

test('every slot’s recorded BS power is the power of the beams in force in that slot', () => {
  // (The twin refuses beams over budget when they are applied, so "power ≤ budget" cannot fail
  // here; what the records say about power is checked instead, against Σ|w|² summed by hand.)
  const twin = new Twin(scenario(BASE + 'policy: wmmse\n'));
  const seen: Array<{ logged: number[]; byHand: number[] }> = [];
  twin.slots$.subscribe((r) => {
    const byHand = twin.beamsInForce().map((W) => {
      let p = 0;
      for (let i = 0; i < W.length; i++) p += W[i] * W[i];
      return p;
    });
    seen.push({ logged: Array.from(r.bs.powerW), byHand });
  });
  twin.runSlots(60);
  assert.is(seen.length, 60);
  for (const [slot, { logged, byHand }] of seen.entries()) {
    for (let m = 0; m < 3; m++) close(logged[m], byHand[m], 1e-12, `slot ${slot} BS ${m}`);
  }
  // Before the first beams (slot 7) nothing is radiated; WMMSE then spends the whole budget at every BS.
  assert.equal(seen[0].logged, [0, 0, 0]);
  for (const { logged } of seen.slice(8)) for (let m = 0; m < 3; m++) close(logged[m], twin.topo.powerW[m], 1e-6, `WMMSE power at BS ${m}`);
});

/** Min and max distance of every user and target from its home BS over a whole run of `yaml`. */
function placementExtremes(yaml: string) {
  const loaded = scenario(yaml);
  const { bsPosM, userBs, targetBs } = loaded.topology;
  const twin = new Twin(loaded);
  const ext = { user: [Infinity, -Infinity], target: [Infinity, -Infinity], slots: 0 };
  const track = (which: [number, number] | number[], pos: Float64Array, home: Int32Array) => {
    for (let i = 0; i < home.length; i++) {
      const d = Math.hypot(pos[2 * i] - bsPosM[2 * home[i]], pos[2 * i + 1] - bsPosM[2 * home[i] + 1]);
      which[0] = Math.min(which[0], d);
      which[1] = Math.max(which[1], d);
    }
  };
  twin.slots$.subscribe(() => {
    track(ext.user, twin.truth.userPosM, userBs);
    track(ext.target, twin.truth.targetPosM, targetBs);
    ext.slots++;
  });
  twin.runSlots(twin.durationSlots);
  return ext;
}

test('placement bounds hold over a whole run of the default scenario (and with fast nodes in narrow annuli)', () => {
  // The default scenario's nodes and motion (the acting policy does not move them: see above).
  const base = readFileSync('scenarios/default.yaml', 'utf8').replace('policy: vfl', 'policy: mrt').replace('shadows: [wmmse]', 'shadows: []');
  assert.ok(base.includes('policy: mrt') && base.includes('shadows: []'));
  // Fast nodes in annuli whose inner circles are large: both bounds are met again and again.
  const fast = base
    .replace('speedMps: 1.4, speedSpreadMps: 0.3, pauseS: 2', 'speedMps: 40, speedSpreadMps: 5, pauseS: 0')
    .replace('mobility: { model: random-waypoint, speedMps: 10 }', 'mobility: { model: random-waypoint, speedMps: 60, pauseS: 0 }')
    .replace('placement: { model: uniform-in-cell, minDistanceM: 35 }', 'placement: { model: uniform-in-cell, minDistanceM: 250 }')
    .replace('placement: { model: uniform-in-cell, minDistanceM: 50, maxDistanceM: 300 }', 'placement: { model: uniform-in-cell, minDistanceM: 180, maxDistanceM: 300 }');
  assert.ok(fast.includes('speedMps: 60') && fast.includes('minDistanceM: 250') && fast.includes('minDistanceM: 180'));
  const cases = [
    { name: 'default', yaml: base, user: [35, 500], target: [50, 300] },
    { name: 'fast', yaml: fast, user: [250, 500], target: [180, 300] },
  ];
  for (const c of cases) {
    const e = placementExtremes(c.yaml);
    assert.is(e.slots, 5000, c.name);
    assert.ok(e.user[0] >= c.user[0] - 1e-9 && e.user[1] <= c.user[1] + 1e-9, `${c.name} users ${e.user[0]} … ${e.user[1]} m, bounds ${c.user}`);
    assert.ok(e.target[0] >= c.target[0] - 1e-9 && e.target[1] <= c.target[1] + 1e-9, `${c.name} targets ${e.target[0]} … ${e.target[1]} m, bounds ${c.target}`);
    if (c.name === 'fast') {
      // The nodes come within 30 m of both circles: a leak through either would show.
      assert.ok(e.user[0] < c.user[0] + 30 && e.user[1] > c.user[1] - 30, `fast users span ${e.user[0]} … ${e.user[1]} m`);
      assert.ok(e.target[0] < c.target[0] + 30 && e.target[1] > c.target[1] - 30, `fast targets span ${e.target[0]} … ${e.target[1]} m`);
    }
  }
});

test('measured decision latency: compute time × scale becomes simulated delay (injected clock)', () => {
  // A fake compute clock that advances 0.5 ms per reading: every decision "takes" 0.5 ms,
  // × measuredScale 4 = 2 ms of simulated latency.
  let now = 0;
  const yaml = BASE + 'policy: mrt\n';
  const loaded = scenario(yaml.replace('timing:\n', 'timing:\n  decision: { latency: measured, measuredScale: 4, periodSlots: 10 }\n'));
  const twin = new Twin(loaded, { computeClock: () => (now += 0.5) });
  const recs: SlotRecord[] = [];
  const evs: TwinEvent[] = [];
  twin.slots$.subscribe((r) => recs.push(r));
  twin.events$.subscribe((e) => evs.push(e));
  twin.runSlots(30);
  const d = evs.filter((e): e is Extract<TwinEvent, { kind: 'decision' }> => e.kind === 'decision' && e.by === 0);
  assert.equal(d.map((e) => [e.slot, e.computeMs, e.latencyUs]), [[10, 0.5, 2000], [20, 0.5, 2000]]);
  assert.equal(recs.map((r) => r.bs.policy[0]).slice(10, 14), ['none', 'none', 'mrt', 'mrt']);
  assert.throws(() => new Twin(loaded), /needs a compute clock/);
});

test('CSI quantisation: B-bit uniform levels within ±3σ', async () => {
  const { quantise } = await import('../../src/sim/twin.ts');
  const a = Float64Array.of(0.1, -0.1, 5, -5, 0.74, 0);
  quantise(a, 0, 3, 1 / 3, 2); // range ±1, 4 levels: −0.75, −0.25, 0.25, 0.75
  assert.equal(Array.from(a), [0.25, -0.25, 0.75, -0.75, 0.75, 0.25]);
});

test.run();
