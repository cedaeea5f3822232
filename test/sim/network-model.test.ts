import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { czeros, norm2, type CArray } from '../../src/phy/complex.ts';
import { steeringInto } from '../../src/phy/geometry.ts';
import type { Topology } from '../../src/phy/network.ts';
import { commSinrInto, emptySensingChannels, multistaticGainsInto, multistaticSensingInto, sensingSinrInto } from '../../src/metrics/isac.ts';
import { builtinPolicies } from '../../src/policies/registry.ts';
import { emptyView } from '../../src/sim/csi.ts';
import type { SlotRecord, TwinEvent } from '../../src/sim/events.ts';
import { Twin } from '../../src/sim/twin.ts';
import { close, networkTopology, randomChannels, record, scenario, testRng } from '../helpers.ts';

const policies = builtinPolicies();

const h = (topo: Topology, H: CArray, m: number, u: number) => H.subarray(2 * (m * topo.numUsers + u) * topo.numTxAnt, 2 * (m * topo.numUsers + u + 1) * topo.numTxAnt);
/** √P h/‖h‖ as one beam row. */
const mrtRow = (hv: CArray, P: number) => Float64Array.from(hv, (x) => x * Math.sqrt(P / norm2(hv)));

// ---------------------------------------------------------------- metrics, closed forms

test('coherent MRT from two APs: γ = P(‖h_0‖ + ‖h_1‖)²/σ²', () => {
  const P = 0.7;
  const topo = networkTopology({ numBs: 2, nt: 3, powerW: P, noiseW: 0.02, userAps: [Int32Array.of(0, 1)] });
  const H = randomChannels(topo, testRng('jt'));
  const W = [mrtRow(h(topo, H, 0, 0), P), mrtRow(h(topo, H, 1, 0), P)];
  const out = new Float64Array(1);
  commSinrInto(out, topo, H, W);
  const n0 = Math.sqrt(norm2(h(topo, H, 0, 0)));
  const n1 = Math.sqrt(norm2(h(topo, H, 1, 0)));
  close(out[0], (P * (n0 + n1) ** 2) / 0.02, 1e-12, 'JT SINR');
  // strictly more than either AP alone, and more than the non-coherent sum
  assert.ok(out[0] > (P * (n0 * n0 + n1 * n1)) / 0.02);
});

test('multicell: one AP per user, γ_0 = P‖h_00‖²/(|h_10ᴴ w_1|² + σ²); alone γ_0 = P‖h_00‖²/σ²', () => {
  const P = 1.3;
  const sig = 0.05;
  const topo = networkTopology({ numBs: 2, nt: 4, powerW: P, noiseW: sig, kind: 'multicell', userAps: [Int32Array.of(0), Int32Array.of(1)] });
  const H = randomChannels(topo, testRng('mc'));
  const w1 = mrtRow(h(topo, H, 1, 1), P);
  const W = [mrtRow(h(topo, H, 0, 0), P), w1];
  const out = new Float64Array(2);
  commSinrInto(out, topo, H, W);
  const h10 = h(topo, H, 1, 0);
  let re = 0;
  let im = 0;
  for (let i = 0; i < 4; i++) {
    re += h10[2 * i] * w1[2 * i] + h10[2 * i + 1] * w1[2 * i + 1];
    im += h10[2 * i] * w1[2 * i + 1] - h10[2 * i + 1] * w1[2 * i];
  }
  close(out[0], (P * norm2(h(topo, H, 0, 0))) / (re * re + im * im + sig), 1e-12, 'interfered');
  commSinrInto(out, topo, H, [W[0], czeros(4)]);
  close(out[0], (P * norm2(h(topo, H, 0, 0))) / sig, 1e-12, 'alone');
});

test('sensing rows are interference to the users: γ = |a_uu|²/(|Σ_m h_mᴴ w_m,q|² + σ²)', () => {
  const P = 1;
  const topo = networkTopology({ numBs: 2, nt: 2, powerW: P, noiseW: 0.01, userAps: [Int32Array.of(0, 1)], sensingStreams: 1 });
  assert.equal(Array.from(topo.apStreams[0]), [0, 1]);
  const H = randomChannels(topo, testRng('sens-int'));
  const W = [0, 1].map((m) => {
    const Wm = czeros(2 * 2);
    const r = mrtRow(h(topo, H, m, 0), P / 2);
    Wm.set(r, 0);
    steeringInto(Wm, 2, 2, 0.3 * (m + 1), Math.sqrt(P / 4), 0);
    return Wm;
  });
  const out = new Float64Array(1);
  commSinrInto(out, topo, H, W);
  // amplitudes by hand
  const amp = (s: number) => {
    let re = 0;
    let im = 0;
    for (let m = 0; m < 2; m++) {
      const hv = h(topo, H, m, 0);
      for (let i = 0; i < 2; i++) {
        const wr = W[m][2 * (s * 2 + i)];
        const wi = W[m][2 * (s * 2 + i) + 1];
        re += hv[2 * i] * wr + hv[2 * i + 1] * wi;
        im += hv[2 * i] * wi - hv[2 * i + 1] * wr;
      }
    }
    return re * re + im * im;
  };
  assert.ok(amp(1) > 1e-6, 'the sensing row reaches the user');
  close(out[0], amp(0) / (amp(1) + 0.01), 1e-12);
  const n0 = Math.sqrt(norm2(h(topo, H, 0, 0)));
  const n1 = Math.sqrt(norm2(h(topo, H, 1, 0)));
  close(amp(0), (P / 2) * (n0 + n1) ** 2, 1e-12);
});

test('multicell sensing streams are each BS’s own: at a user they add in power, Σ_m |h_mᴴ w_m,q|², not in amplitude', () => {
  // buildTopology of a 2-cell scenario with one sensing stream per BS
  const topo = scenario(`
name: mc-sens
topology: { numCells: 2, numTxAnt: 3, numRxAnt: 3 }
users: { perCell: 1 }
targets: { perCell: 1 }
sensing: { streams: 1 }
`).topology;
  assert.is(topo.sensingPerAp, true);
  assert.equal(topo.apStreams.map((r) => Array.from(r)), [[0, 2], [1, 3]]);
  assert.is(topo.numStreams, 4);
  const H = randomChannels(topo, testRng('mc-sens'));
  const P = topo.powerW[0];
  // each BS: no user beam, only its sensing row, the same direction a(0.4) at both BSs
  const W = [0, 1].map(() => {
    const Wm = czeros(2 * 3);
    steeringInto(Wm, 3, 3, 0.4, Math.sqrt(P / 3), 0);
    return Wm;
  });
  // user 0 gets a beam of its own so that its SINR is finite and non-zero
  W[0].set(mrtRow(h(topo, H, 0, 0), P / 2), 0);
  const out = new Float64Array(2);
  commSinrInto(out, topo, H, W);
  const dot = (m: number, u: number, row: number) => {
    const hv = h(topo, H, m, u);
    let re = 0;
    let im = 0;
    for (let i = 0; i < 3; i++) {
      const wr = W[m][2 * (row * 3 + i)];
      const wi = W[m][2 * (row * 3 + i) + 1];
      re += hv[2 * i] * wr + hv[2 * i + 1] * wi;
      im += hv[2 * i] * wi - hv[2 * i + 1] * wr;
    }
    return [re, im];
  };
  const p2 = ([re, im]: number[]) => re * re + im * im;
  const desired = p2(dot(0, 0, 0));
  const sensingPower = p2(dot(0, 0, 1)) + p2(dot(1, 0, 1));
  const [a, b] = [dot(0, 0, 1), dot(1, 0, 1)];
  const coherent = (a[0] + b[0]) ** 2 + (a[1] + b[1]) ** 2;
  assert.ok(Math.abs(coherent - sensingPower) > 1e-3 * sensingPower, 'the test channels tell the two sums apart');
  close(out[0], desired / (sensingPower + p2(dot(1, 0, 0)) + topo.noiseCommW), 1e-12, 'incoherent sum of the BSs’ sensing signals');
});

test('multistatic cbf at full power on known angles: SNR = Σ_m c_m N_t P_m (paper 004 bound), c_m from the bistatic gains', () => {
  const nt = 4;
  const Pm = [0.5, 2];
  const topo = networkTopology({ numBs: 2, nt, noiseW: 1e-3, userAps: [Int32Array.of(0, 1), Int32Array.of(1, 0)], targetBs: Int32Array.of(0), sensingStreams: 1 });
  topo.powerW.set(Pm);
  // c_{m,t}: λ²σ/(4π)³ · N_R · d_m^-η Σ_r d_r^-η / (M σ²)
  const d = Float64Array.of(120, 300);
  const c = new Float64Array(2);
  multistaticGainsInto(c, topo, d, 10, 2);
  const k = (topo.lambdaM ** 2 * 10) / (4 * Math.PI) ** 3;
  const sumRx = 120 ** -2 + 300 ** -2;
  close(c[0], (nt * k * 120 ** -2 * sumRx) / (2 * 1e-3), 1e-12);
  close(c[1], (nt * k * 300 ** -2 * sumRx) / (2 * 1e-3), 1e-12);
  const theta = Float64Array.of(0.4, -0.9);
  const sens = emptySensingChannels(topo);
  multistaticSensingInto(sens, topo, theta, c);
  const view = emptyView(topo, 0);
  view.targetApThetaRad.set(theta);
  view.targetApSlot.fill(0);
  const cbf = policies.resolve({ name: 'cbf', params: {} }, topo);
  if (cbf.scope !== 'distributed') throw new Error('cbf is distributed');
  const W = [0, 1].map((m) => cbf.decide(m, view, { topo, rho: 0, slot: 0, rng: testRng('cbf') }));
  W.forEach((w, m) => close(norm2(w), Pm[m], 1e-12, `AP ${m} at full power`));
  const out = new Float64Array(1);
  sensingSinrInto(out, topo, sens, W);
  const bound = c[0] * nt * Pm[0] + c[1] * nt * Pm[1];
  close(out[0], bound, 1e-12, 'SNR = Σ c_m N_t P_m');
  // any other beam of the same power does worse (Cauchy–Schwarz)
  const Wr = W.map((w) => Float64Array.from(w));
  Wr[1][2] = -Wr[1][2];
  Wr[1][3] = -Wr[1][3];
  sensingSinrInto(out, topo, sens, Wr);
  assert.ok(out[0] < bound * (1 - 1e-6));
});


// ---------------------------------------------------------------- the twin, cell-free

const CF = `
name: cf
seed: 5
durationSlots: 60
rho: 0.5
topology:
  kind: cell-free
  numTxAnt: 2
  numRxAnt: 2
  txPowerDbm: 23
  cellFree: { numAps: 4, areaM: 400, apLayout: grid, cpuPositionM: [0, 0] }
sensing: { geometry: multistatic, streams: 1 }
users: { perCell: 2 }
targets: { perCell: 1 }
timing:
  pilotPeriodSlots: 10
  csiFeedbackDelayMs: 1
  backhaul: { delayMs: 1, jitterMs: 0, bitsPerReal: 16 }
policy: { name: crzf, params: { alpha: 0.1 } }
shadows: [local-mmse, lsfpc, cbf]
`;
const withCapacity = (y: string, c: number) => y.replace('jitterMs: 0,', `jitterMs: 0, capacityMbps: ${c},`);
type Backhaul = Extract<TwinEvent, { kind: 'backhaul' }>;
const backhauls = (ev: TwinEvent[]) => ev.filter((e): e is Backhaul => e.kind === 'backhaul');
// U = 2, N = 2, one target (angle + gain), 3 rows (2 users + sensing)
const CSI_BITS = (2 * 2 * 2 + 2) * 16 + 2 * 16;
const BEAM_BITS = 2 * 3 * 2 * 16;

test('cell-free: the CPU knows gains only from csi messages', () => {
  const twin = new Twin(scenario(CF));
  const arrivals: number[] = [];
  twin.events$.subscribe((e) => e.kind === 'backhaul' && e.payload === 'csi' && arrivals.push(e.tUs));
  twin.runSlots(2); // pilot at 0, report at AP at 1000, csi at the CPU at 2000
  assert.ok(twin.viewOf(-1).gain.every((g) => g === 0), 'CPU gains zero before the first csi delivery');
  assert.ok(twin.viewOf(-1).known.every((k) => k === 0));
  assert.ok(twin.viewOf(0).gain.some((g) => g > 0), 'the AP knows its own gains');
  twin.runSlots(1);
  assert.equal(arrivals.slice(0, 4), [2000, 2000, 2000, 2000]);
  const cpu = twin.viewOf(-1);
  const U = twin.topo.numUsers;
  for (let m = 0; m < 4; m++) {
    const ap = twin.viewOf(m);
    assert.equal(Array.from(cpu.gain.subarray(m * U, (m + 1) * U)), Array.from(ap.gain.subarray(m * U, (m + 1) * U)));
    assert.ok(ap.gain.subarray(m * U, (m + 1) * U).every((g) => g > 0));
  }
});

test('cell-free: backhaul bits = payload sizes; slot counters = bits sent that slot; capacity delays arrivals', () => {
  const { events, records } = record(CF, 60);
  const bh = backhauls(events);
  for (const b of bh) assert.is(b.bits, b.payload === 'csi' ? CSI_BITS : b.payload === 'beams' ? BEAM_BITS : NaN, b.payload);
  assert.ok(bh.some((b) => b.payload === 'beams') && bh.some((b) => b.payload === 'csi'));
  // every message sent is delivered within the run (delay 1 ms) except those sent in the last slot
  for (const r of records.slice(0, -2)) {
    const sent = bh.filter((b) => Math.floor(b.sentUs / 1000) === r.slot);
    const up = sent.filter((b) => b.to === -1).reduce((a, b) => a + b.bits, 0);
    const down = sent.filter((b) => b.from === -1).reduce((a, b) => a + b.bits, 0);
    assert.is(r.fronthaul.upBits.reduce((a, b) => a + b, 0), up, `up bits of slot ${r.slot}`);
    assert.is(r.fronthaul.downBits.reduce((a, b) => a + b, 0), down, `down bits of slot ${r.slot}`);
    assert.is(r.fronthaul.peerBits.reduce((a, b) => a + b, 0), 0);
    assert.is(r.fronthaul.upMsgs.reduce((a, b) => a + b, 0), sent.filter((b) => b.to === -1).length);
  }
  // 0.1 Mbit/s: a csi report occupies the link 1920 µs
  const slow = backhauls(record(withCapacity(CF, 0.1), 60).events);
  const firstCsi = (x: Backhaul[]) => x.filter((b) => b.payload === 'csi').slice(0, 4).map((b) => b.tUs);
  assert.equal(firstCsi(bh), [2000, 2000, 2000, 2000]);
  assert.equal(firstCsi(slow), [2000 + (CSI_BITS / 0.1), 2000 + CSI_BITS / 0.1, 2000 + CSI_BITS / 0.1, 2000 + CSI_BITS / 0.1]);
  const firstBeams = (x: Backhaul[]) => x.find((b) => b.payload === 'beams')!;
  assert.is(firstBeams(bh).tUs, 3000);
  assert.is(firstBeams(slow).sentUs, 4000); // the CPU decides at the first slot after the last report
  assert.is(firstBeams(slow).tUs, 4000 + BEAM_BITS / 0.1 + 1000);
});

test('cell-free: crzf at the CPU acts on older CSI than local-mmse at the APs', () => {
  const meanAge = (rs: SlotRecord[]) => {
    const a = rs.slice(20).flatMap((r) => Array.from(r.userCsiAge));
    return a.reduce((x, y) => x + y, 0) / a.length;
  };
  const cent = record(CF, 60).records;
  const dist = record(CF.replace('name: crzf', 'name: local-mmse').replace('params: { alpha: 0.1 }', 'params: {}'), 60).records;
  assert.ok(cent[20].bs.policy.every((p) => p === 'crzf') && dist[20].bs.policy.every((p) => p === 'local-mmse'));
  // AP: report +1; CPU: +1 uplink, beams back +1 downlink
  const d = meanAge(cent) - meanAge(dist);
  assert.ok(Math.abs(d - 2) < 1e-9, `age difference ${d}`);
});

// ---------------------------------------------------------------- protocols

test('hierarchical lsfpc: power messages CPU → AP, the APs precode with the allocation once it lands', () => {
  const y = CF.replace('name: crzf, params: { alpha: 0.1 }', 'name: lsfpc, params: { exponent: 0.5 }');
  const { twin, events, records } = record(y, 30);
  const bh = backhauls(events);
  const power = bh.filter((b) => b.payload === 'power');
  assert.ok(power.length >= 4);
  for (const p of power) {
    assert.is(p.from, -1);
    assert.ok(p.to >= 0);
    assert.is(p.bits, 2 * 16); // one power per served user
    assert.is(p.tUs - p.sentUs, 1000);
  }
  // first allocation: the CPU knows every AP's gains at 2000, allocates at slot 2, lands at 3000
  assert.equal(power.slice(0, 4).map((p) => [p.sentUs, p.tUs]), [[2000, 3000], [2000, 3000], [2000, 3000], [2000, 3000]]);
  const held = (twin as unknown as { decisions: { power: Float64Array[] } }).decisions.power;
  const W = twin.beamsInForce();
  const nt = 2;
  for (let m = 0; m < 4; m++) {
    assert.ok(held[m] !== undefined);
    assert.ok(Math.abs(held[m][0] + held[m][1] - twin.topo.powerW[m]) < 1e-12);
    for (let k = 0; k < 2; k++) close(norm2(W[m], k * nt, nt), held[m][k], 1e-9, `AP ${m} row ${k}`);
  }
  // not the equal split: the allocation made a difference
  assert.ok(held.some((p) => Math.abs(p[0] - p[1]) > 1e-3 * (p[0] + p[1])));
  // before the allocation arrived (slots 1, 2): equal power per row
  const before = records[2];
  assert.is(before.bs.policy[0], 'lsfpc');
});

test('multi-round dist-wmmse: R up + R down per AP per decision, each a delay; beams after the last round', () => {
  const y = CF.replace('name: crzf, params: { alpha: 0.1 }', 'name: dist-wmmse, params: { rounds: 3 }')
    .replace('users: { perCell: 2 }', 'users: { perCell: 2, mobility: { model: static } }')
    .replace('targets: { perCell: 1 }', 'targets: { perCell: 1, mobility: { model: static } }\nchannel: { fading: { model: static } }')
    .replace('shadows: [local-mmse, lsfpc, cbf]', 'shadows: [{ name: lsfpc, params: { exponent: 0 } }]');
  const { events, records } = record(y, 60);
  const rounds = backhauls(events).filter((b) => b.payload === 'round');
  // the first decision: slot 1 (every AP holds its own CSI at 1000)
  const first = rounds.filter((b) => b.sentUs < 7000);
  const U = 2;
  for (let m = 0; m < 4; m++) {
    const mine = first.filter((b) => b.from === m || b.to === m).map((b) => [b.from === m ? 'up' : 'down', b.sentUs, b.tUs, b.bits]);
    assert.equal(mine, [
      ['up', 1000, 2000, 2 * U * U * 16],
      ['down', 2000, 3000, (2 * U * U + 3 * U) * 16],
      ['up', 3000, 4000, 2 * U * U * 16],
      ['down', 4000, 5000, (2 * U * U + 3 * U) * 16],
      ['up', 5000, 6000, 2 * U * U * 16],
      ['down', 6000, 7000, (2 * U * U + 3 * U) * 16],
    ]);
  }
  const applies = events.filter((e): e is Extract<TwinEvent, { kind: 'apply' }> => e.kind === 'apply' && e.policy === 'dist-wmmse');
  assert.equal(applies.slice(0, 4).map((a) => [a.tUs, a.decidedSlot]), [[7000, 1], [7000, 1], [7000, 1], [7000, 1]]);
  assert.ok(records.slice(0, 7).every((r) => r.bs.decidedSlot.every((d) => d === -1)), 'no beams before the last round');
  // the next decision starts when the previous rounds end (slot 7)
  assert.equal(events.filter((e) => e.kind === 'decision').slice(0, 3).map((e) => e.tUs), [1000, 7000, 13000]);
  // static channel: WMMSE beats local MRT (the lsfpc shadow with ν = 0) once its beams land
  for (const r of records.slice(7)) assert.ok(r.rc > r.shadows[0].rc, `slot ${r.slot}: ${r.rc} vs ${r.shadows[0].rc}`);
  // and two decisions on the same CSI (slots 1 and 7, both on the slot-0 pilots) give the same beams
  assert.is(records[13].bs.decidedSlot[0], 7);
  assert.is(records[13].rc, records[8].rc);
});

// ---------------------------------------------------------------- association

// With 3 dB of hysteresis the highway never hands over (over 20 000 slots no neighbour gets more than
// 1.1 dB above a user's BS: the roads of cells 1 and 2 overlap only near x = 0), so this uses the
// scenario's own 1 dB: the first target handover at slot 4100, the first user one at 5700.
test('highway with handover (1 dB, every 50 slots): handover events, association version + 1, userBs follows', () => {
  const fs = readFileSync(new URL('../../scenarios/highway.yaml', import.meta.url), 'utf8')
    .replace(/handover: \{[^}]*\}/, 'handover: { enabled: true, hysteresisDb: 1, periodSlots: 50 }')
    .replace('durationSlots: 20000', 'durationSlots: 6000');
  const { events, records } = record(fs, 6000);
  const ho = events.filter((e): e is Extract<TwinEvent, { kind: 'handover' }> => e.kind === 'handover');
  const assoc = events.filter((e): e is Extract<TwinEvent, { kind: 'association' }> => e.kind === 'association');
  const users = ho.filter((h) => h.node === 'user');
  assert.ok(users.length >= 1, `${ho.length} handovers`);
  assert.is(assoc[0].slot, 0);
  assoc.forEach((a, i) => assert.is(a.version, assoc[0].version + i, 'versions step by one'));
  for (const h of ho) {
    assert.is(h.slot % 50, 0);
    const a = assoc.find((x) => x.slot === h.slot)!;
    assert.is(a.version, h.version);
    const before = records[h.slot - 1];
    const after = records[h.slot];
    assert.is(after.associationVersion, h.version);
    assert.is(before.associationVersion, h.version - 1);
    if (h.node === 'user') {
      assert.is(before.userBs[h.index], h.from);
      assert.is(after.userBs[h.index], h.to);
      assert.equal(a.userAps[h.index], [h.to]);
    } else {
      assert.is(before.targetBs[h.index], h.from);
      assert.is(after.targetBs[h.index], h.to);
    }
  }
  // userBs changes only at handovers
  for (let i = 1; i < records.length; i++) {
    const changed = records[i].userBs.some((b, u) => b !== records[i - 1].userBs[u]);
    if (changed) assert.ok(users.some((h) => h.slot === i), `userBs changed at slot ${i} without a handover`);
  }
});

test('user-centric cell-free association: clusters of 2 containing the strongest AP at the start', () => {
  const y = CF.replace('sensing:', 'association: { mode: user-centric, clusterSize: 2 }\nsensing:').replace('shadows: [local-mmse, lsfpc, cbf]', 'shadows: []');
  const twin = new Twin(scenario(y));
  const gain = twin.truth.channel.gain;
  const U = twin.topo.numUsers;
  for (let u = 0; u < U; u++) {
    const aps = twin.topo.userAps[u];
    assert.is(aps.length, 2);
    let best = 0;
    for (let m = 1; m < 4; m++) if (gain[m * U + u] > gain[best * U + u]) best = m;
    assert.ok(Array.from(aps).includes(best), `user ${u}: ${Array.from(aps)} lacks ${best}`);
    assert.is(twin.topo.userBs[u], best);
    // and the other member is the second strongest
    const second = [0, 1, 2, 3].filter((m) => m !== best).sort((a, b) => gain[b * U + u] - gain[a * U + u])[0];
    assert.ok(Array.from(aps).includes(second));
  }
  const { records } = record(y, 30);
  assert.ok(records[29].rc > 0);
});

// ---------------------------------------------------------------- determinism

test('cell-free determinism: same seed → identical records; another policy → the same true channels', () => {
  const canon = (rs: SlotRecord[]) => JSON.stringify(rs, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array, String) : v));
  const y = withCapacity(CF, 1).replace('jitterMs: 0,', 'jitterMs: 0.4,');
  const a = record(y, 40).records;
  const b = record(y, 40).records;
  assert.is(a.length, 40);
  assert.ok(canon(a) === canon(b));
  const t1 = new Twin(scenario(y));
  const t2 = new Twin(scenario(y.replace('name: crzf, params: { alpha: 0.1 }', 'name: dist-wmmse, params: { rounds: 2 }')));
  for (const k of [1, 17, 33]) {
    t1.runSlots(k - t1.slotsCompleted);
    t2.runSlots(k - t2.slotsCompleted);
    assert.equal(Array.from(t1.truth.channel.H), Array.from(t2.truth.channel.H), `H at slot ${k}`);
    assert.equal(Array.from(t1.truth.userPosM), Array.from(t2.truth.userPosM));
  }
});

test.run();
