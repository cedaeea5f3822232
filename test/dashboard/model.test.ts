import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextSpeed, ViewModel } from '../../src/dashboard/model.ts';
import type { TwinEvent } from '../../src/sim/events.ts';
import { testInfo, testSlot } from './fixtures.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

test('per BS: sum rate of its users, sensing SINR of its targets (dB), power (dBm), beam', () => {
  const m = new ViewModel(testInfo());
  m.slot(testSlot(0, { rates: [1, 2, 3, 4], targetSinr: [0.1, 0.01], az: [30, 270] }));
  const v = m.view();
  assert.equal(v.slot, 0);
  close(v.bs[0].sumRate, 3);
  close(v.bs[1].sumRate, 7);
  close(v.bs[0].sensSinrDb, -10);
  close(v.bs[1].sensSinrDb, -20);
  close(v.bs[0].radarRate, 0.25);
  close(v.bs[0].powerDbm, 30);
  close(v.bs[1].powerDbm, 10 * Math.log10(0.5) + 30);
  assert.equal([v.bs[0].beamAzDeg, v.bs[1].beamAzDeg], [30, 270]);
  assert.equal([v.bs[0].fallback, v.bs[1].fallback], [false, true]);
});

test('users: SINR in dB, rate, CSI age and serving BS of the latest slot', () => {
  const m = new ViewModel(testInfo());
  m.slot(testSlot(0, { sinr: [1, 1, 1, 1] }));
  m.slot(testSlot(1, { sinr: [10, 100, 1, 0.1], rates: [1.5, 2.5, 0, 4], age: [3, 4, -1, 7] }));
  const u = m.view().users;
  assert.equal(
    u.map((r) => [r.user, r.bs, Math.round(r.sinrDb * 10) / 10, r.rate, r.csiAge]),
    [
      [0, 0, 10, 1.5, 3],
      [1, 0, 20, 2.5, 4],
      [2, 1, 0, 0, -1],
      [3, 1, -10, 4, 7],
    ],
  );
});

test('sparklines: one mean per bucket of slots, newest last, gaps as NaN', () => {
  const m = new ViewModel(testInfo(), { bucketSlots: 100, numBuckets: 4 });
  for (let s = 0; s < 100; s++) m.slot(testSlot(s, { rates: [1, s % 2 ? 3 : 1, 0, 0] })); // BS0 mean 3
  for (let s = 300; s < 350; s++) m.slot(testSlot(s, { rates: [5, 5, 0, 0] })); // bucket 3: 10, buckets 1–2 empty
  const series = m.view().bs[0].series.sumRate;
  assert.equal(series.length, 4);
  close(series[0], 3);
  assert.ok(Number.isNaN(series[1]) && Number.isNaN(series[2]));
  close(series[3], 10);
});

test('bucket ring: only the last numBuckets buckets are kept', () => {
  const m = new ViewModel(testInfo(), { bucketSlots: 10, numBuckets: 3 });
  for (let s = 0; s < 100; s++) m.slot(testSlot(s, { rates: [Math.floor(s / 10), 0, 0, 0] }));
  assert.equal(m.view().bs[0].series.sumRate, [7, 8, 9]);
});

const ev = {
  pilot: (slot: number, bs: number): TwinEvent => ({ kind: 'pilot', tUs: slot * 1000, slot, bs }),
  csi: (slot: number, bs: number, measuredSlot: number): TwinEvent => ({ kind: 'csi-report', tUs: slot * 1000, slot, bs, measuredSlot }),
  bh: (slot: number, latUs: number): TwinEvent => ({ kind: 'backhaul', tUs: slot * 1000, slot, from: 0, to: -1, payload: 'csi', sentUs: slot * 1000 - latUs, bits: 1000 }),
  decision: (slot: number, computeMs: number | null): TwinEvent => ({ kind: 'decision', tUs: slot * 1000, slot, by: 0, policy: 'mrt', computeMs, latencyUs: 0 }),
  miss: (slot: number, by: number): TwinEvent => ({ kind: 'deadline-miss', tUs: slot * 1000, slot, by, policy: 'wmmse', latencyUs: 3000, fallback: 'mrt' }),
  warn: (slot: number, message: string): TwinEvent => ({ kind: 'warning', tUs: slot * 1000, slot, message }),
};

test('event log: chatty events counted per window, one line per window, late CSI spotted', () => {
  const m = new ViewModel(testInfo(), { logWindowSlots: 1000 });
  for (let s = 0; s < 1000; s += 10) {
    m.event(ev.pilot(s, 0));
    m.event(ev.pilot(s, 1));
  }
  for (let s = 0; s < 100; s += 10) m.event(ev.csi(s + 2, 0, s)); // on time: 2 slots
  m.event(ev.csi(995, 1, 990)); // 5 slots: late
  m.event(ev.bh(500, 2000));
  m.event(ev.bh(600, 2500));
  m.event(ev.decision(10, 0.5));
  m.event(ev.decision(20, 1.5));
  m.event(ev.decision(30, null));
  // Still open: shown as the live last line.
  assert.equal(m.view().log, []);
  // 2 messages × 1000 bits over the 996 slots seen so far (slots 0–995); the closed window: over 1 s.
  assert.equal(m.view().openLine?.text, '0.0-1.0 s... 1 late CSI, pilots 200, CSI 11, backhaul 2 2.0-2.5 ms, fronthaul 2.01 kbit/s, decisions 3 1.00 ms');
  m.slot(testSlot(1000));
  const v = m.view();
  assert.equal(
    v.log.map((l) => [l.level, l.text]),
    [['warn', '0.0-1.0 s 1 late CSI, pilots 200, CSI 11, backhaul 2 2.0-2.5 ms, fronthaul 2.00 kbit/s, decisions 3 1.00 ms']],
  );
  assert.equal(v.openLine, undefined, 'the new window has no events yet');
  assert.equal(v.notable, [], 'counts never go to the permanent list');
});

test('event log: a report older than one already received counts as late (reordered)', () => {
  const m = new ViewModel(testInfo(), { logWindowSlots: 100 });
  m.event(ev.csi(12, 0, 10));
  m.event(ev.csi(12, 0, 9)); // on time by delay, but older than slot 10's
  assert.match(m.view().openLine!.text, /1 late CSI, CSI 2$/);
});

test('deadline misses and warnings: the first of each in a window listed (and kept), repeats counted', () => {
  const m = new ViewModel(testInfo(), { logWindowSlots: 1000 });
  m.event(ev.miss(1200, 1));
  m.event(ev.miss(1300, -1));
  m.event(ev.warn(1400, 'solver stalled'));
  m.event(ev.warn(1401, 'solver stalled'));
  m.event(ev.warn(1500, 'other'));
  m.slot(testSlot(2000));
  const v = m.view();
  assert.equal(
    v.log.map((l) => [l.level, l.text]),
    [
      ['error', '1.200 s BS1 wmmse missed its deadline (3.00 ms), fallback mrt'],
      ['warn', '1.400 s warning: solver stalled'],
      ['warn', '1.500 s warning: other'],
      ['error', '1.0-2.0 s 2 deadline misses, 3 warnings'],
    ],
  );
  assert.equal(
    v.notable.map((l) => l.text),
    ['1.200 s BS1 wmmse missed its deadline (3.00 ms), fallback mrt', '1.400 s warning: solver stalled', '1.500 s warning: other'],
  );
  assert.equal(new Set(v.notable.map((l) => l.id)).size, 3, 'ids are unique (keys of <Static>)');
});

test('solver events: counted, the first failure in a window listed', () => {
  const m = new ViewModel(testInfo(), { logWindowSlots: 1000 });
  const solve = (slot: number, fallback: string | null) =>
    ({ kind: 'solve', tUs: slot * 1000, slot, by: -1, policy: 'crlb-sdp', status: fallback ? 'infeasible' : 'optimal', iterations: 20, rankOneRatio: 1, extraction: 'eig', predictedCrlbM2: 1, fallback }) as unknown as TwinEvent;
  m.event(solve(10, null));
  m.event(solve(30, 'mrt'));
  m.event(solve(50, 'mrt'));
  m.slot(testSlot(1000));
  assert.equal(
    m.view().log.map((l) => l.text),
    ['0.030 s central unit crlb-sdp solve infeasible, fallback mrt', '0.0-1.0 s solves 3 (2 failed)'],
  );
});

test('operator notes and the end of the run go to the log and the permanent list', () => {
  const m = new ViewModel(testInfo());
  m.slot(testSlot(41));
  m.note('paused');
  m.setPaused(true);
  assert.equal(m.view().state, 'paused');
  m.progress({ slotsDone: 42, simulatedS: 0.042, wallS: 1 });
  m.finish('interrupted');
  const v = m.view();
  assert.equal(v.state, 'interrupted');
  assert.equal(
    v.notable.map((l) => [l.level, l.text]),
    [
      ['note', '0.041 s paused'],
      ['note', 'run interrupted after 42 slots'],
    ],
  );
  m.setPaused(false);
  assert.equal(m.view().state, 'interrupted', 'a finished run cannot be resumed');
});

test('progress: recent real-time factor, ETA and fraction', () => {
  const m = new ViewModel(testInfo({ durationSlots: 5000 }));
  assert.ok(Number.isNaN(m.view().realTimeFactor));
  m.progress({ slotsDone: 0, simulatedS: 0, wallS: 0 });
  m.progress({ slotsDone: 1000, simulatedS: 1, wallS: 0.5 });
  m.progress({ slotsDone: 2000, simulatedS: 2, wallS: 1 });
  const v = m.view();
  close(v.realTimeFactor, 2);
  close(v.etaS, 1.5);
  close(v.fraction, 0.4);
  // Samples older than 3 s leave the window: a slow-down shows within seconds.
  for (const [wallS, simulatedS] of [[4, 2.2], [5, 2.7], [6, 3.2], [7, 3.7]]) m.progress({ slotsDone: simulatedS * 1000, simulatedS, wallS });
  close(m.view().realTimeFactor, 0.5);
});

test('localisation: √CRLB per localised target, the estimates for the map, CRLB flagged', () => {
  const m = new ViewModel(testInfo(), { bucketSlots: 10, numBuckets: 2 });
  m.slot(testSlot(0, { loc: { crlbM2: Float64Array.from([4, Infinity]), estPosM: Float64Array.from([1, 2, 3, 4]) } }));
  m.slot(testSlot(1, { loc: { crlbM2: Float64Array.from([16, Infinity]), estPosM: Float64Array.from([1, 2, 3, 4]) } }));
  const v = m.view();
  assert.ok(v.hasCrlb);
  assert.equal(v.loc.map((l) => l.rmseBoundM), [4, Infinity]);
  assert.equal(v.loc[0].series, [NaN, 3]);
  assert.ok(Number.isNaN(v.loc[1].series[1]), 'not localisable: no point in the sparkline');
  assert.equal(Array.from(v.locEstPosM), [1, 2, 3, 4]);
  assert.not.ok(new ViewModel(testInfo()).view().hasCrlb);
});

test('reset forgets slots and events but keeps the run info and pace', () => {
  const m = new ViewModel(testInfo());
  m.setPace(2);
  m.slot(testSlot(5));
  m.event(ev.pilot(5, 0));
  m.reset();
  const v = m.view();
  assert.equal([v.slot, v.log.length, v.openLine, v.pace], [-1, 0, undefined, 2]);
  assert.ok(Number.isNaN(v.bs[0].sumRate));
});

test('pace keys: + / − step through the ladder; from max they switch to a paced speed', () => {
  assert.equal(nextSpeed(1, 1, NaN), 2);
  assert.equal(nextSpeed(1, -1, NaN), 0.5);
  assert.equal(nextSpeed(0.5, -1, NaN), 0.2);
  assert.equal(nextSpeed(0.01, -1, NaN), 0.01, 'the slowest stays');
  assert.equal(nextSpeed(1000, 1, NaN), undefined, 'past the fastest: as fast as possible');
  assert.equal(nextSpeed(undefined, -1, 3.3), 2, 'from max, − paces just below the measured speed');
  assert.equal(nextSpeed(undefined, 1, 3.3), 5);
  assert.equal(nextSpeed(undefined, -1, NaN), 0.5, 'unknown speed: around real time');
});

test.run();
