/** Pure pieces of the screen: text helpers, the map, the screen-side state and layout, the composed lines. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { composeScreen, lineText, lineWidth, wrapLogText } from '../../src/dashboard/compose.ts';
import { bar, duration, fit, pace, sparkline } from '../../src/dashboard/format.ts';
import { cellAt, mapText, renderMap } from '../../src/dashboard/map.ts';
import { ViewModel } from '../../src/dashboard/model.ts';
import { initialUi, layout, uiReducer, type UiState } from '../../src/dashboard/ui.ts';
import { testInfo, testSlot } from './fixtures.ts';

test('sparkline: right-aligned, scaled from lo to hi, blanks for NaN, mid-height when flat', () => {
  assert.equal(sparkline([0, 1, 2, 3], 6, 0, 3), '  ▁▃▆█');
  assert.equal(sparkline([0, NaN, 3], 3, 0, 3), '▁ █');
  assert.equal(sparkline([5, 5], 2, 5, 5), '▄▄');
  assert.equal(sparkline([1, 2, 3, 4, 5], 2, 0, 5), '▇█', 'only the newest fit');
});

test('bar, fit, duration, pace', () => {
  assert.equal(bar(0.5, 10), '█████░░░░░');
  assert.equal(bar(0.55, 10), '█████▌░░░░');
  assert.equal(bar(2, 4), '████');
  assert.equal(fit('abcdef', 4), 'abc…');
  assert.equal(fit('ab', 4), 'ab  ');
  assert.equal([duration(4.2), duration(65), duration(7322), duration(NaN)], ['4.2 s', '1m05s', '2h02m', '–']);
  assert.equal([pace(undefined), pace(0.5), pace(2), pace(0.05)], ['max', '0.5x', '2x', '0.05x']);
});

test('map: hexagonal cells (pointy top) around each BS', () => {
  const bs = [0, 0];
  assert.equal(cellAt(bs, 500, 0, 0), 0);
  assert.equal(cellAt(bs, 500, 430, 0), 0, 'inside the apothem 433 m');
  assert.equal(cellAt(bs, 500, 440, 0), -1);
  assert.equal(cellAt(bs, 500, 0, 490), 0, 'towards the top vertex at 500 m');
  assert.equal(cellAt(bs, 500, 0, 510), -1);
  assert.equal(cellAt([0, 0, 866, 0], 500, 500, 0), 1, 'nearest BS');
});

test('map: BS at the centre, beam ray along its azimuth, users and targets where they are', () => {
  const input = { bsPosM: [0, 0], cellRadiusM: 500, userPosM: [-200, 0], userBs: [0], targetPosM: [0, 300], beamAzDeg: [0] };
  const lines = mapText(input, 20, 10);
  assert.equal(lines.length, 10);
  lines.forEach((l) => assert.equal(l.length, 20));
  assert.equal(lines[5][10], '0', 'BS 0 at the centre');
  const braille = (ch: string) => ch >= '\u2801' && ch <= '\u28ff';
  // East-pointing beam: dots right of the BS on its row, none left of it up to the user.
  assert.ok([...lines[5].slice(11, 17)].every(braille), lines[5]);
  assert.ok([...lines[5].slice(7, 10)].every((c) => c === ' '), lines[5]);
  assert.equal(lines[5][6], '•', 'user 200 m west (7.7 dots = 3.8 characters)');
  const targetRow = lines.findIndex((l) => l.includes('✕'));
  assert.ok(targetRow >= 0 && targetRow < 5, 'target north of the BS');
  // Turning the beam north moves the dots.
  const north = mapText({ ...input, beamAzDeg: [90] }, 20, 10);
  assert.ok([...north[5].slice(11, 17)].every((c) => c === ' '), north[5]);
  assert.ok(braille(north[3][10]), north[3]);
  // Colours: the user in its BS's colour, cell borders grey.
  const runs = renderMap(input, 20, 10).flat();
  assert.equal(runs.find((r) => r.text === '•')?.color, 'cyan');
  assert.ok(runs.some((r) => r.color === 'gray' && [...r.text].every(braille)));
});

test('map: no beam when silent (NaN azimuth), nodes outside the view are left out', () => {
  const lines = mapText({ bsPosM: [0, 0], cellRadiusM: 500, userPosM: [5000, 0], userBs: [0], targetPosM: [], beamAzDeg: [NaN] }, 20, 10);
  assert.ok([...lines[5].slice(11, 17)].every((c) => c === ' '), lines[5]);
  assert.not.ok(lines.join('').includes('•'));
});

test('ui: tab cycles the focus, arrows scroll the focused list or zoom the map, s cycles the sensing metric', () => {
  let s: UiState = initialUi;
  const seen = [s.focus];
  for (let i = 0; i < 4; i++) seen.push((s = uiReducer(s, { type: 'focus-next' })).focus);
  assert.equal(seen, ['map', 'cells', 'users', 'events', 'map']);
  assert.equal(uiReducer(initialUi, { type: 'focus-prev' }).focus, 'events');
  assert.equal(uiReducer(initialUi, { type: 'scroll', by: -1 }).zoom, 1.5, 'up zooms in');
  assert.equal(uiReducer(initialUi, { type: 'scroll', by: 1 }).zoom, 0.75);
  const users = { ...initialUi, focus: 'users' as const };
  assert.equal(uiReducer(users, { type: 'scroll', by: 3 }).scroll.users, 3);
  assert.equal(uiReducer(users, { type: 'scroll', by: -3 }).scroll.users, 0, 'never above the top');
  const events = { ...initialUi, focus: 'events' as const };
  assert.equal(uiReducer(events, { type: 'scroll', by: -2 }).scroll.events, 2, 'up goes back in time');
  assert.equal(uiReducer(uiReducer(initialUi, { type: 'help' }), { type: 'close-help' }).help, false);
  const sens = (hasCrlb: boolean) => {
    const out: string[] = [];
    let u = initialUi;
    for (let i = 0; i < 3; i++) out.push((u = uiReducer(u, { type: 'sens-next', hasCrlb })).sens!);
    return out;
  };
  assert.equal(sens(false), ['rate', 'sinr', 'rate']);
  assert.equal(sens(true), ['sinr', 'rate', 'crlb'], 'starts from CRLB when the run localises');
});

test('layout: 80×24 keeps one line free and gives every BS three lines; many BSs get one', () => {
  assert.equal(layout(80, 24, 3), { cols: 80, lines: 23, leftW: 34, rightW: 45, topH: 12, bottomH: 8, linesPerBs: 3 });
  const big = layout(160, 50, 3);
  assert.equal(big.lines, 49);
  assert.equal(big.topH + big.bottomH + 3, big.lines);
  assert.equal(big.leftW + 1 + big.rightW, 160);
  assert.equal(layout(80, 24, 7).linesPerBs, 1);
});

test('log lines wrap at their separators, continuations indented', () => {
  // A part that fits only without its trailing comma goes to the next line.
  assert.equal(wrapLogText('ab, cd, ef', 6), ['ab,   ', '  cd, ', '  ef  ']);
  assert.equal(wrapLogText('0.0-1.0 s pilots 300, CSI 300, backhaul 300 2.0-2.5 ms', 30), [
    '0.0-1.0 s pilots 300, CSI 300,',
    '  backhaul 300 2.0-2.5 ms     ',
  ]);
});

function screen(cols: number, rows: number, ui: UiState = initialUi) {
  const m = new ViewModel(testInfo());
  m.slot(testSlot(1234, { sinr: [10, 100, 1, 0.1], rates: [1.5, 2.5, 0.25, 4], age: [3, 4, -1, 7], az: [45, 90] }));
  m.progress({ slotsDone: 1235, simulatedS: 1.235, wallS: 1 });
  m.event({ kind: 'pilot', tUs: 1234000, slot: 1234, bs: 0 });
  const lines = composeScreen(m.view(), ui, layout(cols, rows, 2), 'run');
  return { lines, text: lines.map(lineText) };
}

test('composed screen at 80×24: 23 lines of exactly 80 columns with the numbers fed in', () => {
  const { lines, text } = screen(80, 24);
  assert.equal(lines.length, 23);
  lines.forEach((l, k) => assert.equal(lineWidth(l), 80, `line ${k}: ${text[k]}`));
  assert.ok(text[0].startsWith('isac-twin | unit | mrt (vs wmmse) | seed 7 | tfjs none'), text[0]);
  assert.ok(text[0].trimEnd().endsWith('▶ running'), text[0]);
  assert.match(text[1], /^t 1\.235 \/ 5\.000 s .* 24% \| slot 1234 \| - real time \| pace max \| ETA/);
  const all = text.join('\n');
  assert.ok(all.includes('user  BS  SINR dB   rate  CSI age'));
  for (const row of ['u0    0      10.0   1.50        3', 'u1    0      20.0   2.50        4', 'u2    1       0.0   0.25        -', 'u3    1     -10.0   4.00        7']) {
    assert.ok(all.includes(row), `missing "${row}"`);
  }
  assert.ok(all.includes('BS0 mrt | 30.0 dBm | beam 45 deg'));
  assert.ok(all.includes('BS1 mrt | 27.0 dBm | beam 90 deg  FALLBACK'));
  assert.match(all, /  rate .* 4\.00\n/);
  assert.match(all, /  sens .* -20\.0 dB/);
  assert.ok(all.includes('1.0-1.2 s... pilots 1'), 'the open log window');
  assert.ok(text[22].startsWith('q quit  p pause  +/- pace  tab focus'));
});

test('composed screen: the focused panel has the heavy rule; help replaces the panels', () => {
  const plain = screen(100, 30).text;
  assert.ok(plain[2].startsWith('━ Map'), plain[2]);
  const focused = screen(100, 30, { ...initialUi, focus: 'users' }).text;
  assert.ok(focused[2].startsWith('─ Map'));
  assert.ok(focused.some((l) => l.startsWith('━ Users')));
  const help = screen(100, 30, { ...initialUi, help: true }).text;
  assert.ok(help.some((l) => l.includes('  q                 stop the run (it is kept and marked interrupted)')));
  assert.not.ok(help.some((l) => l.includes('─ Users')));
});

test.run();
