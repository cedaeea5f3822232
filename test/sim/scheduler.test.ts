import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { delay, interval, of, Subject, take, mergeMap, timer, map } from 'rxjs';
import { Priority, VirtualScheduler } from '../../src/sim/scheduler.ts';

test('actions run in (time, priority, insertion) order — an exact trace', () => {
  const s = new VirtualScheduler();
  const log: Array<[number, string]> = [];
  const rec = (tag: string) => () => log.push([s.now(), tag]);
  s.at(10, Priority.metrics, rec('metrics@10'));
  s.at(10, Priority.mobility, rec('mobility@10'));
  s.at(5, Priority.decision, rec('decision@5'));
  s.at(10, Priority.mobility, rec('mobility@10 second'));
  s.at(5, Priority.delivery, rec('delivery@5'));
  s.runUntil(100);
  assert.equal(log, [
    [5, 'delivery@5'],
    [5, 'decision@5'],
    [10, 'mobility@10'],
    [10, 'mobility@10 second'],
    [10, 'metrics@10'],
  ]);
  assert.equal(s.now(), 100);
});

test('runUntil is bounded and cancelled actions never run', () => {
  const s = new VirtualScheduler();
  const log: number[] = [];
  s.at(3, 0, () => log.push(3));
  const h = s.at(4, 0, () => log.push(4));
  s.at(9, 0, () => log.push(9));
  h.unsubscribe();
  s.runUntil(5);
  assert.equal(log, [3]);
  assert.equal(s.now(), 5);
  s.runUntil(9);
  assert.equal(log, [3, 9]);
});

test('an action scheduled while running at the same time but higher priority runs before later priorities', () => {
  const s = new VirtualScheduler();
  const log: string[] = [];
  s.at(0, Priority.sounding, () => {
    log.push('pilot');
    s.at(0, Priority.delivery, () => log.push('zero-delay report'));
  });
  s.at(0, Priority.decision, () => log.push('decision'));
  s.runUntil(0);
  assert.equal(log, ['pilot', 'zero-delay report', 'decision']);
});

test('scheduling in the past is a causality error', () => {
  const s = new VirtualScheduler();
  s.runUntil(50);
  assert.throws(() => s.at(49, 0, () => undefined), /cannot schedule at 49 µs: the clock is already at 50 µs/);
});

test('RxJS operators run on virtual time: a message sent at t arrives exactly at t + delay', () => {
  const s = new VirtualScheduler();
  const arrivals: Array<[string, number, number]> = [];
  const link = new Subject<{ id: string; sent: number; d: number }>();
  link.pipe(mergeMap((m) => timer(m.d, s).pipe(map(() => m)))).subscribe((m) => arrivals.push([m.id, m.sent, s.now()]));
  s.at(100, 0, () => link.next({ id: 'a', sent: s.now(), d: 2000 }));
  s.at(150, 0, () => link.next({ id: 'b', sent: s.now(), d: 1000 }));
  s.runUntil(10_000);
  assert.equal(arrivals, [
    ['b', 150, 1150],
    ['a', 100, 2100],
  ]);
  const seen: number[] = [];
  of(1).pipe(delay(250, s)).subscribe(() => seen.push(s.now()));
  interval(1000, s).pipe(take(3)).subscribe(() => seen.push(s.now()));
  s.runUntil(20_000);
  assert.equal(seen, [10_250, 11_000, 12_000, 13_000]);
});

test.run();
