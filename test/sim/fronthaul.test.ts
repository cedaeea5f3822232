import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { czeros } from '../../src/phy/complex.ts';
import { streamFor } from '../../src/phy/random.ts';
import { Fronthaul, payloadBits, type Delivery, type EchoEstimates, type FronthaulMessage } from '../../src/sim/fronthaul.ts';
import { VirtualScheduler } from '../../src/sim/scheduler.ts';

const noEchoes = (): EchoEstimates => ({ targets: new Int32Array(0), theta: new Float64Array(0), alpha: czeros(0), gain: new Float64Array(0), slot: new Int32Array(0) });

function csi(from: number, U: number, N: number, echoes = noEchoes()): FronthaulMessage {
  return { kind: 'csi', from, to: -1, measuredSlot: 0, row: czeros(U * N), gains: new Float64Array(U), echoes };
}

test('payload sizes follow from the contents', () => {
  const b = 16;
  // U = 3 users × N = 4 antennas: 2UN reals of H, U gains
  assert.is(payloadBits(csi(0, 3, 4), b), (2 * 3 * 4 + 3) * b);
  // multistatic echoes: 2 targets × (angle, gain) = 4 reals
  const ms: EchoEstimates = { targets: Int32Array.of(0, 1), theta: new Float64Array(2), alpha: czeros(0), gain: new Float64Array(2), slot: new Int32Array(2) };
  assert.is(payloadBits(csi(0, 3, 4, ms), b), (2 * 3 * 4 + 3) * b + 2 * 2 * b);
  // monostatic echoes: 1 target × (angle, Re α, Im α)
  const mono: EchoEstimates = { targets: Int32Array.of(0), theta: new Float64Array(1), alpha: czeros(1), gain: new Float64Array(0), slot: new Int32Array(1) };
  assert.is(payloadBits(csi(0, 3, 4, mono), b), (2 * 3 * 4 + 3) * b + 3 * b);
  // quantised CSI: H at csiBitsPerReal, gains at the link's bitsPerReal
  assert.is(payloadBits({ ...(csi(0, 3, 4) as Extract<FronthaulMessage, { kind: 'csi' }>), csiBitsPerReal: 4 }, b), 2 * 3 * 4 * 4 + 3 * b);
  // beams: 2 · rows · N reals
  assert.is(payloadBits({ kind: 'beams', from: -1, to: 0, decidedSlot: 0, W: czeros(5 * 4), streams: new Int32Array(5), tag: null }, b), 2 * 5 * 4 * b);
  assert.is(payloadBits({ kind: 'power', from: -1, to: 0, decidedSlot: 0, power: new Float64Array(3), streams: new Int32Array(4) }, b), 3 * b);
  assert.is(payloadBits({ kind: 'round', from: 0, to: -1, decisionSlot: 0, round: 0, payload: new Float64Array(10), bitsPerReal: 8 }, b), 80);
});

function link(p: { delayMs: number; jitterMs: number; capacityMbps?: number; bitsPerReal: number }, numAps = 2) {
  const scheduler = new VirtualScheduler();
  const fh = new Fronthaul(numAps, p, scheduler, { up: streamFor(1, 'u'), down: streamFor(1, 'd'), peer: streamFor(1, 'p') });
  const got: { tUs: number; d: Delivery }[] = [];
  fh.delivered$.subscribe((d) => got.push({ tUs: scheduler.now(), d }));
  return { scheduler, fh, got };
}

test('capacity: arrival = max(t, free) + B/C + delay; back-to-back messages queue (exact µs)', () => {
  const { scheduler, fh, got } = link({ delayMs: 1, jitterMs: 0, capacityMbps: 10, bitsPerReal: 16 });
  // U = 8, N = 4: (64 + 8)·16 = 1152 bits → 115.2 µs at 10 Mbit/s
  const B = (2 * 8 * 4 + 8) * 16;
  assert.is(B, 1152);
  scheduler.at(100, 0, () => {
    fh.send(csi(0, 8, 4));
    fh.send(csi(0, 8, 4)); // same uplink: waits until 215.2
    fh.send(csi(1, 8, 4)); // another AP's uplink: free
  });
  scheduler.at(200, 0, () => fh.send(csi(0, 8, 4))); // queued behind the two: starts at 330.4
  scheduler.runUntil(10_000);
  const trace = got.map((g) => [g.tUs, g.d.msg.from, g.d.sentUs, g.d.bits]);
  assert.equal(trace, [
    [Math.round(100 + 115.2) + 1000, 0, 100, 1152], // 1215
    [Math.round(100 + 115.2) + 1000, 1, 100, 1152],
    [Math.round(100 + 2 * 115.2) + 1000, 0, 100, 1152], // 1330
    [Math.round(100 + 3 * 115.2) + 1000, 0, 200, 1152], // 1446
  ]);
  const c = fh.takeCounters();
  assert.equal(Array.from(c.upBits), [3 * 1152, 1152]);
  assert.equal(Array.from(c.upMsgs), [3, 1]);
  // longest wait on AP 0's uplink: the 4th message, 330.4 − 200
  assert.ok(Math.abs(c.upQueueUs[0] - (100 + 2 * 115.2 - 200)) < 1e-9, String(c.upQueueUs[0]));
  assert.is(c.upQueueUs[1], 0);
  // counters restart
  assert.equal(Array.from(fh.takeCounters().upBits), [0, 0]);
});

test('up and down links of one AP are independent queues', () => {
  const { scheduler, fh, got } = link({ delayMs: 0.5, jitterMs: 0, capacityMbps: 1, bitsPerReal: 16 });
  scheduler.at(0, 0, () => {
    fh.send({ kind: 'power', from: -1, to: 0, decidedSlot: 0, power: new Float64Array(4), streams: new Int32Array(4) }); // 64 bits
    fh.send({ kind: 'round', from: 0, to: -1, decisionSlot: 0, round: 0, payload: new Float64Array(2) }); // 32 bits
  });
  scheduler.runUntil(10_000);
  assert.equal(got.map((g) => [g.tUs, g.d.msg.kind]), [[532, 'round'], [564, 'power']]);
});

test('no capacity: arrival = t + delay + jitter·u (the first twin, bit for bit)', () => {
  const { scheduler, fh, got } = link({ delayMs: 2, jitterMs: 0.7, bitsPerReal: 16 });
  const u = streamFor(1, 'u');
  const expected: number[] = [];
  scheduler.at(300, 0, () => {
    for (let i = 0; i < 5; i++) {
      fh.send(csi(0, 8, 4));
      expected.push(300 + Math.round((2 + 0.7 * u.uniform()) * 1000));
    }
  });
  scheduler.runUntil(10_000);
  assert.equal(got.map((g) => g.tUs).sort((a, b) => a - b), expected.sort((a, b) => a - b));
  assert.ok(fh.takeCounters().upQueueUs[0] === 0);
});

test.run();
