/**
 * Cell-free networks on the dashboard: the 64-AP cells panel (aggregate rows, top-k APs,
 * scrolling), the users' primary AP from the record, the map of a cell-free area, the events'
 * handover and fronthaul counts; and a multicell frame that must not change (captured from the
 * dashboard before cell-free networks, test/dashboard/multicell-frame.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AGGREGATE_ROWS, composeScreen, lineText, lineWidth, rankAps } from '../../src/dashboard/compose.ts';
import { AP_MARKER, mapText } from '../../src/dashboard/map.ts';
import { ViewModel, type RunInfo, type SlotView } from '../../src/dashboard/model.ts';
import { initialUi, layout, type UiState } from '../../src/dashboard/ui.ts';
import { testInfo, testSlot } from './fixtures.ts';
import { MULTICELL_FRAME } from './multicell-frame.ts';

/** M APs on a √M × √M grid over a square of side `areaM` around (0, 0), U users, 2 targets. */
function cfInfo(M: number, U: number, areaM: number): RunInfo {
  const side = Math.sqrt(M);
  const pos = new Float64Array(2 * M);
  for (let m = 0; m < M; m++) {
    pos[2 * m] = -areaM / 2 + ((m % side) + 0.5) * (areaM / side);
    pos[2 * m + 1] = -areaM / 2 + (Math.floor(m / side) + 0.5) * (areaM / side);
  }
  return testInfo({
    scenario: 'cf',
    kind: 'cell-free',
    area: { minM: [-areaM / 2, -areaM / 2], maxM: [areaM / 2, areaM / 2] },
    cpuPosM: [0, 0],
    numBs: M,
    numUsers: U,
    numTargets: 2,
    bsPosM: pos,
    cellRadiusM: areaM / 2,
    userBs: new Int32Array(U),
    targetBs: Int32Array.from([0, 1]),
  });
}

/** A slot where user u has primary AP `primary[u]`, rate 1 + u / 10, and AP m sent 100·m bits. */
function cfSlot(slot: number, M: number, U: number, primary: number[]): SlotView {
  const up = Float64Array.from({ length: M }, (_, m) => 100 * m);
  return {
    slot,
    tUs: slot * 1000,
    rc: 10,
    rs: 0.5,
    objective: 1,
    userSinr: new Float64Array(U).fill(2),
    userRate: Float64Array.from({ length: U }, (_, u) => 1 + u / 10),
    userCsiAge: new Int32Array(U).fill(1),
    userPosM: new Float64Array(2 * U).fill(10),
    targetSinr: Float64Array.from([0.1, 0.1]),
    targetRate: Float64Array.from([0.2, 0.3]),
    targetPosM: Float64Array.from([100, 100, -100, -100]),
    bs: { policy: new Array<string>(M).fill('mrt'), fallback: new Uint8Array(M), powerW: new Float64Array(M).fill(0.2), beamAzDeg: new Float64Array(M).fill(NaN) },
    userBs: Int32Array.from(primary),
    targetBs: Int32Array.from([0, 1]),
    fronthaul: { upBits: up, downBits: new Float64Array(M), peerBits: new Float64Array(M) },
  };
}

const M = 64;
const U = 16;
/** User u's primary AP: 4u + 3 (so the served APs are 3, 7, …, 63). */
const PRIMARY = Array.from({ length: U }, (_, u) => 4 * u + 3);

function cfScreen(ui: UiState = initialUi, cols = 100, rows = 30) {
  const m = new ViewModel(cfInfo(M, U, 2000));
  for (let s = 0; s < 300; s++) m.slot(cfSlot(s, M, U, PRIMARY));
  m.event({ kind: 'handover', tUs: 299000, slot: 299, node: 'user', index: 2, from: 5, to: 11, version: 1 });
  m.progress({ slotsDone: 300, simulatedS: 0.3, wallS: 1 });
  const L = layout(cols, rows, M);
  const lines = composeScreen(m.view(), ui, L, 'run');
  const text = lines.map(lineText);
  // The right-hand column of the top row (the cells / APs panel).
  const right = text.slice(2, 2 + L.topH).map((l) => l.slice(L.leftW + 1));
  const left = text.slice(2 + L.topH, 2 + L.topH + L.bottomH).map((l) => l.slice(0, L.leftW));
  return { m, L, lines, text, right, left };
}

const apRows = (right: string[]) => right.filter((l) => /^AP\d+ /.test(l)).map((l) => Number(/^AP(\d+)/.exec(l)![1]));

test('64 APs at 100 × 30: aggregate rows, then at most k AP rows ranked by served rate', () => {
  const { lines, text, right, L } = cfScreen();
  assert.equal(lines.length, L.lines);
  lines.forEach((l, k) => assert.equal(lineWidth(l), 100, `line ${k}: ${text[k]}`));
  assert.ok(right[0].startsWith('─ APs '), right[0]);
  assert.match(right[0], /top 1-\d+\/64 by rate/);
  assert.ok(right[1].startsWith('net R_c '), right[1]);
  assert.match(right[1], / R_s .*0\.500/);
  // Fronthaul: AP m sends 100·m bits per slot: total 100·(0+…+63) = 201 600 bit, max 6 300 (AP63).
  assert.ok(right[2].includes('FH/slot total 202 kbit  max 6.30 kbit (AP63)'), right[2]);
  const shown = apRows(right);
  const k = L.topH - 1 - AGGREGATE_ROWS;
  assert.ok(shown.length > 0 && shown.length <= k, `${shown.length} AP rows, k = ${k}`);
  assert.ok(shown.length < M, 'never a row per AP');
  // The best first: user 15 (rate 2.5) is on AP 63, user 14 on AP 59 …
  assert.equal(shown.slice(0, 3), [63, 59, 55]);
  assert.not.ok(right.some((l) => /^BS\d/.test(l)), 'rows are labelled AP in a cell-free network');
});

test('64 APs: scrolling the focused panel moves down the ranking', () => {
  const top = apRows(cfScreen({ ...initialUi, focus: 'cells' }).right);
  const { right, m } = cfScreen({ ...initialUi, focus: 'cells', scroll: { ...initialUi.scroll, cells: 5 } });
  const scrolled = apRows(right);
  assert.not.equal(scrolled, top);
  const ranked = rankAps(m.view().bs).map((b) => b.bs);
  assert.equal(scrolled, ranked.slice(5, 5 + scrolled.length));
  assert.match(right[0], /top 6-\d+\/64/);
  // Past the end: the last k of the ranking.
  const end = apRows(cfScreen({ ...initialUi, focus: 'cells', scroll: { ...initialUi.scroll, cells: 999 } }).right);
  assert.equal(end, ranked.slice(M - end.length));
});

test('16 users: the AP column is the record primary AP (not the run info), the list scrolls, handovers counted', () => {
  const { left } = cfScreen();
  assert.ok(left[0].startsWith('─ Users ') && left[0].includes('ho 1'), left[0]);
  assert.match(left[0], /1-\d+\/16/);
  assert.ok(left[1].startsWith('user  AP  SINR dB'), left[1]);
  assert.ok(left.some((l) => l.startsWith('u0    3 ')), left.join('\n'));
  assert.ok(left.some((l) => l.startsWith('u1    7 ')), left.join('\n'));
  const scrolled = cfScreen({ ...initialUi, focus: 'users', scroll: { ...initialUi.scroll, users: 10 } }).left;
  assert.ok(scrolled.some((l) => l.startsWith('u10   43 ')), scrolled.join('\n'));
  assert.not.ok(scrolled.some((l) => l.startsWith('u0 ')));
});

test('map of a cell-free area: the square outline, an AP marker per AP, the CPU, no hexagons and no BS digits', () => {
  const info = cfInfo(16, 4, 1000);
  const input = {
    bsPosM: info.bsPosM,
    cellRadiusM: info.cellRadiusM,
    userPosM: [100, 100, -300, 200, 300, -300, -100, -350],
    userBs: [10, 9, 6, 1],
    targetPosM: [0, 400],
    beamAzDeg: new Float64Array(16).fill(45),
    cellFree: { area: info.area, cpuPosM: [0, 0], links: true },
  };
  const lines = mapText(input, 40, 20);
  const all = lines.join('\n');
  assert.equal([...all].filter((c) => c === AP_MARKER).length, 16, all);
  assert.equal([...all].filter((c) => c === 'C').length, 1, all);
  assert.equal([...all].filter((c) => c === '•').length, 4, all);
  assert.not.ok(/[0-9]/.test(all), 'no BS index digits');
  const braille = (c: string) => c >= '\u2801' && c <= '\u28ff';
  // The outline: a top and a bottom edge of braille spanning the square, and the same left and
  // right column on every row between them (a hexagon's border slants).
  const rowsWith = lines.map((l) => [...l].filter(braille).length);
  const top = rowsWith.findIndex((n) => n >= 15);
  const bottom = rowsWith.length - 1 - [...rowsWith].reverse().findIndex((n) => n >= 15);
  assert.ok(top >= 0 && bottom - top >= 15, `edges at ${top}, ${bottom}:\n${all}`);
  const leftCol = [...lines[top]].findIndex(braille);
  const rightCol = lines[top].length - 1 - [...lines[top]].reverse().findIndex(braille);
  for (let r = top; r <= bottom; r++) {
    assert.ok(braille(lines[r][leftCol]) && braille(lines[r][rightCol]), `row ${r}: ${lines[r]}`);
  }
  // No beam rays in a cell-free map; links to the primary AP are dotted in its colour.
  const noLinks = mapText({ ...input, cellFree: { ...input.cellFree, links: false } }, 40, 20).join('\n');
  const inner = (s: string) => s.split('\n').slice(top + 1, bottom).map((l) => l.slice(leftCol + 1, rightCol)).join('');
  assert.not.ok([...inner(noLinks)].some(braille), 'without links nothing is drawn inside the area');
  assert.ok([...inner(all)].some(braille), 'the links are');
});

test('events: handovers and the fronthaul bit rate in the window line', () => {
  const m = new ViewModel(cfInfo(16, 4, 1000));
  for (let s = 0; s < 1000; s++) {
    m.event({ kind: 'backhaul', tUs: s * 1000 + 1000, slot: s, from: s % 16, to: -1, payload: 'csi', sentUs: s * 1000, bits: 2000 });
  }
  m.event({ kind: 'handover', tUs: 500000, slot: 500, node: 'user', index: 0, from: 1, to: 2, version: 1 });
  m.event({ kind: 'handover', tUs: 600000, slot: 600, node: 'target', index: 1, from: 2, to: 3, version: 2 });
  m.event({ kind: 'pilot', tUs: 1000000, slot: 1000, bs: 0 });
  const line = m.view().log.at(-1)!.text;
  // 1000 messages × 2000 bits in 1 s.
  assert.ok(line.includes('fronthaul 2.00 Mbit/s'), line);
  assert.ok(line.includes('handovers 2'), line);
  assert.equal(m.view().net.handovers, 2);
  assert.equal(m.view().net.associationVersion, 2);
});

test('a multicell frame is unchanged (80 × 24 and 100 × 30)', () => {
  const m = new ViewModel(testInfo());
  for (let s = 0; s < 1500; s += 7) {
    m.event({ kind: 'pilot', tUs: s * 1000, slot: s, bs: s % 2 });
    // A backhaul event as older databases hold them (no bits).
    m.event({ kind: 'backhaul', tUs: s * 1000 + 1500, slot: s, from: 0, to: -1, payload: 'csi', sentUs: s * 1000 } as never);
    m.slot(testSlot(s, { rates: [1 + (s % 5) / 5, 2, 0.25 + (s % 3) / 4, 4], az: [s % 360, 90], targetSinr: [0.1 + (s % 11) / 50, 0.01] }));
  }
  m.progress({ slotsDone: 1500, simulatedS: 1.5, wallS: 1 });
  const got = [
    [80, 24],
    [100, 30],
  ]
    .map(([c, r]) => composeScreen(m.view(), initialUi, layout(c, r, 2), 'run').map(lineText).join('\n'))
    .join('\n');
  assert.fixture(got, MULTICELL_FRAME);
});

test.run();
