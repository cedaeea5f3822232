/**
 * The CSI error level is the scenario's `csiNmseDb` (src/sim/csi.ts): over many pilots, the
 * channel estimate ĥ an AP holds (Twin.viewOf) differs from the true channel of its measured
 * slot (Twin.truth, copied every slot) by E|ĥ − h|² / β = 10^(NMSE/10) per entry, and the central
 * unit holds the same estimates. Users move fast (the channel changes a lot from slot to slot),
 * so an estimate compared with the wrong slot's channel would show a far larger error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Twin } from '../../src/sim/twin.ts';
import { scenario } from '../helpers.ts';

const yaml = (nmseDb: number) => `
name: csi-error
seed: 8
durationSlots: 2000
topology: { numCells: 3, numTxAnt: 8, numRxAnt: 8 }
users: { perCell: 2, mobility: { model: random-waypoint, speedMps: 30, pauseS: 0 } }
targets: { perCell: 1 }
channel: { fading: { model: clarke } }
timing:
  pilotPeriodSlots: 5
  csiFeedbackDelayMs: 2
  csiNmseDb: ${nmseDb}
  backhaul: { delayMs: 1, jitterMs: 0 }
policy: mrt
`;

/** Mean |ĥ − h|² / β over every estimate an AP received (and the CU's estimates compared with the APs'). */
function measure(nmseDb: number): { ratio: number; samples: number; reports: number; cuMismatch: number; oneSlotOff: number } {
  const twin = new Twin(scenario(yaml(nmseDb)));
  const { numBs, numUsers, numTxAnt: nt } = twin.topo;
  const truthH = new Map<number, Float64Array>();
  const truthGain = new Map<number, Float64Array>();
  twin.slots$.subscribe((r) => {
    truthH.set(r.slot, Float64Array.from(twin.truth.channel.H));
    truthGain.set(r.slot, Float64Array.from(twin.truth.channel.gain));
  });
  const last = new Int32Array(numBs).fill(-1);
  let sum = 0;
  let offSum = 0;
  let samples = 0;
  let reports = 0;
  let cuMismatch = 0;
  for (let slot = 0; slot < twin.durationSlots; slot++) {
    twin.runSlots(1);
    for (let m = 0; m < numBs; m++) {
      const view = twin.viewOf(m);
      const s = view.measuredSlot[m];
      if (s < 0 || s === last[m]) continue;
      last[m] = s;
      reports++;
      const H = truthH.get(s)!;
      const prev = truthH.get(s - 1);
      const gain = truthGain.get(s)!;
      for (let u = 0; u < numUsers; u++) {
        const beta = gain[m * numUsers + u];
        for (let i = 0; i < nt; i++) {
          const k = 2 * ((m * numUsers + u) * nt + i);
          sum += ((view.H[k] - H[k]) ** 2 + (view.H[k + 1] - H[k + 1]) ** 2) / beta;
          if (prev) offSum += ((view.H[k] - prev[k]) ** 2 + (view.H[k + 1] - prev[k + 1]) ** 2) / beta;
          samples++;
        }
      }
    }
    // The CU's row of AP m, once it has the same report, is the AP's estimate exactly.
    const cu = twin.viewOf(-1);
    for (let m = 0; m < numBs; m++) {
      if (cu.measuredSlot[m] !== last[m]) continue;
      const ap = twin.viewOf(m);
      const off = 2 * m * numUsers * nt;
      for (let i = 0; i < 2 * numUsers * nt; i++) if (cu.H[off + i] !== ap.H[off + i]) cuMismatch++;
    }
  }
  return { ratio: sum / samples, samples, reports, cuMismatch, oneSlotOff: offSum / samples };
}

for (const nmseDb of [-25, -10]) {
  test(`csiNmseDb ${nmseDb}: E|ĥ − h|²/β over every pilot is 10^(NMSE/10) within 4 %`, () => {
    const m = measure(nmseDb);
    const want = 10 ** (nmseDb / 10);
    // ~400 pilots × 3 APs × 6 users × 8 antennas ≈ 57 600 entries; |e|²/(NMSE·β) is exponential(1),
    // so the mean has a relative sd of 1/√57 600 ≈ 0.42 %: 4 % is ~10 sd.
    assert.ok(m.reports >= 3 * 390, `${m.reports} reports`);
    assert.ok(m.samples >= 55_000, `${m.samples} samples`);
    assert.ok(Math.abs(m.ratio / want - 1) < 0.04, `measured ${m.ratio} (${(10 * Math.log10(m.ratio)).toFixed(2)} dB), want ${want} (${nmseDb} dB)`);
    assert.is(m.cuMismatch, 0, 'the CU holds exactly the estimates the APs sent');
    // The estimate is of its own slot's channel: against the previous slot's it is far off.
    if (nmseDb === -25) assert.ok(m.oneSlotOff > 5 * want, `one slot off: ${m.oneSlotOff} vs ${want}`);
  });
}

test.run();
