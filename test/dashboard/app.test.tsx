/** The ink screen at a fixed width: frames hold the numbers fed in, keys do what they say. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render as inkRender } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { Dashboard, type DashboardControls } from '../../src/dashboard/App.tsx';
import { fakeTerminal } from '../../src/dashboard/fake-terminal.ts';
import { ViewModel } from '../../src/dashboard/model.ts';
import { testInfo, testSlot } from './fixtures.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred()` holds (React redraws on a later tick, later still on a loaded machine), or fails. */
async function until(pred: () => boolean, what: () => string): Promise<void> {
  for (let t = 0; t < 5000; t += 5) {
    if (pred()) return;
    await tick(5);
  }
  assert.unreachable(what());
}

/** Waits until the last frame satisfies `pred` (React redraws on a later tick), or fails with it. */
async function frameWhere(lastFrame: () => string | undefined, pred: (f: string) => boolean, what: string): Promise<string> {
  for (let t = 0; t < 2000; t += 5) {
    const f = strip(lastFrame() ?? '');
    if (pred(f)) return f;
    await tick(5);
  }
  assert.unreachable(`${what}; last frame:\n${strip(lastFrame() ?? '')}`);
  return '';
}
const strip = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

function spyControls(): DashboardControls & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    quit: () => calls.push('quit'),
    togglePause: () => calls.push('pause'),
    faster: () => calls.push('faster'),
    slower: () => calls.push('slower'),
  };
}

function model(sinr = [10, 100, 1, 0.1]) {
  const m = new ViewModel(testInfo());
  m.slot(testSlot(2500, { sinr, rates: [1.25, 2.5, 0.5, 3.75], age: [2, 9, -1, 11] }));
  m.progress({ slotsDone: 2501, simulatedS: 2.501, wallS: 1 });
  return m;
}

test.after.each(() => cleanup());

test('frame at 100 columns: header, users, per-BS values and the map, as fed', () => {
  const { lastFrame } = render(<Dashboard view={model().view()} controls={spyControls()} />);
  const f = strip(lastFrame()!);
  const lines = f.split('\n');
  assert.ok(lines.every((l) => l.length <= 100), 'nothing wider than the terminal');
  assert.equal(lines.length, 23, 'ink-testing-library has no rows: 24 assumed, one kept free');
  assert.ok(lines[0].startsWith('isac-twin | unit | mrt (vs wmmse) | seed 7 | tfjs none'));
  assert.match(lines[1], /^t 2\.501 \/ 5\.000 s .* 50% \| slot 2500 \|/);
  assert.ok(f.includes('u1    0      20.0   2.50        9'), f);
  assert.ok(f.includes('u3    1     -10.0   3.75       11'));
  assert.match(f, /rate .*3\.75\n/, 'BS0 sum rate 1.25 + 2.5');
  assert.match(f, /rate .*4\.25\n/, 'BS1 sum rate 0.5 + 3.75');
  assert.ok(f.includes('FALLBACK'));
  assert.ok(f.includes('•') && f.includes('✕'), 'users and targets on the map');
});

test('a new snapshot redraws with its numbers', () => {
  const c = spyControls();
  const { lastFrame, rerender } = render(<Dashboard view={model().view()} controls={c} />);
  assert.ok(strip(lastFrame()!).includes('u0    0      10.0'));
  rerender(<Dashboard view={model([1000, 1, 1, 1]).view()} controls={c} />);
  assert.ok(strip(lastFrame()!).includes('u0    0      30.0'));
});

test('keys: q quits, p pauses, + and − pace, others stay on the screen', async () => {
  const c = spyControls();
  const { stdin } = render(<Dashboard view={model().view()} controls={c} />);
  await tick();
  for (const k of ['q', 'p', ' ', '+', '=', '-', 'x']) {
    stdin.write(k);
    await tick();
  }
  assert.equal(c.calls, ['quit', 'pause', 'pause', 'faster', 'faster', 'slower']);
});

test('keys: tab moves the focus, ? shows the help and esc closes it, s switches the sensing sparkline', async () => {
  const c = spyControls();
  const { stdin, lastFrame } = render(<Dashboard view={model().view()} controls={c} />);
  await tick();
  assert.ok(strip(lastFrame()!).includes('[map]'));
  stdin.write('\t');
  await frameWhere(lastFrame, (f) => f.includes('[cells]') && f.includes('━ Cells') && f.includes('─ Map'), 'tab focuses the cells');
  stdin.write('\u001b[Z'); // shift-tab
  await frameWhere(lastFrame, (f) => f.includes('[map]') && f.includes('━ Map'), 'shift-tab focuses the map again');
  stdin.write('?');
  await frameWhere(lastFrame, (f) => f.includes('stop the run (it is kept and marked interrupted)'), '? shows the help');
  stdin.write('\u001b');
  await frameWhere(lastFrame, (f) => !f.includes('stop the run') && f.includes('rate, sens'), 'esc closes the help');
  await tick(20);
  stdin.write('s');
  await frameWhere(lastFrame, (f) => f.includes('rate, radar') && f.includes('  radar'), 's shows the radar rate');
  assert.equal(c.calls, [], 'screen keys never touch the run');
});

test('watch keys: arrows and home / end scrub (only when the controls can)', async () => {
  const c = spyControls();
  const scrubs: string[] = [];
  const { stdin } = render(<Dashboard view={model().view()} controls={{ ...c, scrub: (to) => scrubs.push(to) }} kind="watch" />);
  await tick();
  for (const [i, k] of ['\u001b[D', '\u001b[C', '\u001b[1;2D', '[', ']', '\u001b[H', '\u001b[F'].entries()) {
    stdin.write(k);
    await until(() => scrubs.length > i, () => `key ${JSON.stringify(k)} did not scrub: ${scrubs}`);
  }
  assert.equal(scrubs, ['back', 'forward', 'back-far', 'back-far', 'forward-far', 'start', 'end']);
});

test('notable lines go to <Static>, above the live region, once each', async () => {
  const m = model();
  const c = spyControls();
  const { lastFrame, rerender } = render(<Dashboard view={m.view()} controls={c} />);
  m.note('paused');
  rerender(<Dashboard view={m.view()} controls={c} />);
  m.note('resumed');
  rerender(<Dashboard view={m.view()} controls={c} />);
  const f = strip(lastFrame()!);
  assert.ok(f.startsWith('2.500 s paused\n2.500 s resumed\nisac-twin'), f.slice(0, 120));
});

test('80 × 24 and resizing: the live region follows the terminal size', async () => {
  const term = fakeTerminal(80, 24, true);
  const m = model();
  const inst = inkRender(<Dashboard view={m.view()} controls={spyControls()} />, { ...term.streams, debug: true, patchConsole: false, exitOnCtrlC: false });
  await tick();
  const frame = () => strip(term.stdout.frames.at(-1)!).split('\n');
  let lines = frame();
  assert.equal(lines.length, 23);
  assert.ok(lines.every((l) => l.length <= 80));
  assert.ok(lines.some((l) => l.startsWith('u3    1     -10.0')), 'the users still fit at 80×24');
  term.stdout.resize(120, 40);
  await until(() => frame().length === 39, () => `after 120×40: ${frame().length} lines`);
  lines = frame();
  assert.equal(lines.length, 39);
  assert.ok(lines.some((l) => l.length > 100), 'wider lines after the resize');
  term.stdout.resize(60, 20);
  await until(() => frame().length === 19, () => `after 60×20: ${frame().length} lines`);
  lines = frame();
  assert.equal(lines.length, 19);
  assert.ok(lines.every((l) => l.length <= 60));
  inst.unmount();
});

test('without a terminal on stdin the screen still draws (keys off, no raw-mode error)', async () => {
  const term = fakeTerminal(100, 30, true);
  Object.defineProperty(term.stdin, 'isTTY', { value: false });
  const inst = inkRender(<Dashboard view={model().view()} controls={spyControls()} />, { ...term.streams, debug: true, patchConsole: false, exitOnCtrlC: false });
  const drawn = () => strip(term.stdout.frames.at(-1) ?? '').includes('u1    0      20.0   2.50        9');
  await until(drawn, () => `not drawn:\n${strip(term.stdout.frames.at(-1) ?? '')}`);
  inst.unmount();
});

test.run();
