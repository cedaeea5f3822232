/** The sweep progress display as exact text, on a clock the test moves; and the ink screen's frame. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, cleanup } from 'ink-testing-library';
import { createElement } from 'react';
import { duration, finishedLine, liveLines, plainReporter, statusLine, SweepProgress } from '../../src/sweep/progress.ts';
import { SweepScreen } from '../../src/sweep/progress-view.tsx';
import type { JobResult } from '../../src/sweep/job.ts';

const done = (wallS: number, rc: number): JobResult => ({ id: 'x', status: 'completed', wallS, slots: 100, backend: 'none', metrics: [{ metric: 'rc', n: 100, mean: rc, p5: 0, p50: 0, p95: 0 }], worker: 'h:7' });

test('counts, rate and ETA: done plus the running jobs’ shares, over the wall time; skipped jobs left out of the rate', () => {
  let now = 0;
  const p = new SweepProgress('ageing', 10, 2, () => now);
  assert.is(statusLine(p.view()), '2/10 done (2 skipped) · 0 running · 0 failed · – jobs/min · ETA –');
  p.start('a', 'speed 1 · mrt · seed 1', 'h:7');
  p.start('b', 'speed 1 · zf · seed 1', 'h:8');
  now = 30_000;
  p.progress('a', { slotsDone: 500, durationSlots: 1000 });
  // 0.5 job in 30 s: 1 job/min; 8 − 0.5 = 7.5 jobs left → 450 s.
  assert.is(statusLine(p.view()), '2/10 done (2 skipped) · 2 running · 0 failed · 1.0 jobs/min · ETA 7 min 30 s');
  now = 60_000;
  p.finish('a', 'speed 1 · mrt · seed 1', done(60, 6.3812));
  p.progress('b', { slotsDone: 1000, durationSlots: 2000 });
  p.finish('b', 'speed 1 · zf · seed 1', { ...done(60, 0), status: 'failed', error: 'boom', metrics: [] });
  const v = p.view();
  assert.equal([v.completed, v.failed, v.running.length, v.fraction], [1, 1, 0, 0.4]);
  // 2 jobs in 60 s: 2 jobs/min, 6 left → 180 s.
  assert.is(statusLine(v), '4/10 done (2 skipped) · 0 running · 1 failed · 2.0 jobs/min · ETA 3 min 0 s');
  p.stop();
  assert.is(statusLine(p.view()), '4/10 done (2 skipped) · 0 running · 1 failed · 2.0 jobs/min · stopping');
  assert.equal([duration(null), duration(42.4), duration(3725)], ['–', '42 s', '1 h 2 min']);
});

test('finished lines and the live region at a fixed width', () => {
  assert.is(finishedLine({ label: 'speed 1 · mrt · seed 1', status: 'completed', wallS: 3.21, headline: 'rc 6.381', worker: 'h:7' }, 3, 120), '[  3/120] completed   speed 1 · mrt · seed 1 · 3.2 s · rc 6.381 (h:7)');
  assert.is(finishedLine({ label: 'speed 1 · zf · seed 1', status: 'failed', wallS: 0, error: 'Error: x' }, 12, 120), '[ 12/120] failed      speed 1 · zf · seed 1 · Error: x');
  let now = 0;
  const p = new SweepProgress('s', 4, 0, () => now);
  p.start('a', 'speed 1 · mrt · seed 1', 'h:7');
  now = 10_000;
  p.progress('a', { slotsDone: 250, durationSlots: 1000 });
  const lines = liveLines(p.view(), 'isac-twin sweep s · 4 jobs', 60);
  assert.equal(lines, [
    'isac-twin sweep s · 4 jobs',
    // 0.25 of one job in 4: 6 %, 3 of 40 cells; the status is cut at 60 columns.
    '███░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░   6%  0/4 done · 1…',
    '  h:7  speed 1 · mrt · seed 1                           25%',
    'q or Ctrl-C stops (finished jobs are kept; run the same sweep again to resume)',
  ]);
});

test('plain reporter: a line per finished job, a status line at most every 10 s and at the end', () => {
  let now = 0;
  const p = new SweepProgress('s', 3, 0, () => now);
  const out: string[] = [];
  const r = plainReporter(p, (l) => out.push(l), () => now, 10);
  p.start('a', 'A', 'h:1');
  now = 2000;
  r.finished(p.finish('a', 'A', done(2, 1.5)));
  r.tick();
  now = 12_500;
  r.tick();
  r.tick();
  r.final();
  assert.equal(out, [
    '  [1/3] completed   A · 2.0 s · rc 1.500 (h:7)',
    '  sweep s: 1/3 done · 0 running · 0 failed · 4.8 jobs/min · ETA 25 s',
    '  sweep s: 1/3 done · 0 running · 0 failed · 4.8 jobs/min · ETA 25 s',
  ]);
});

test('the ink screen draws the live lines and the finished ones; q stops', async () => {
  let stopped = 0;
  const { lastFrame, stdin, frames } = render(createElement(SweepScreen, { lines: ['header', 'status'], finished: ['[1/2] completed A'], onStop: () => stopped++ }));
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(frames.join('\n').includes('[1/2] completed A'));
  assert.is(lastFrame(), '[1/2] completed A\nheader\nstatus');
  stdin.write('q');
  await new Promise((r) => setTimeout(r, 20));
  assert.is(stopped, 1);
  cleanup();
});

test.run();
