/** `watch`: reading a run database (finished or being written) into the same view model. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { runScenario, RunControl } from '../../src/app/run.ts';
import { registerWatchCommand } from '../../src/cli/dashboard-commands.ts';
import { RunReader, WatchError } from '../../src/dashboard/db-source.ts';
import { fakeTerminal } from '../../src/dashboard/fake-terminal.ts';
import { watchDashboard, WatchSession } from '../../src/dashboard/watch.ts';
import { watchPlain } from '../../src/dashboard/watch-plain.ts';
import type { SlotRecord, TwinEvent } from '../../src/sim/events.ts';
import { loadScenario, withOverrides } from '../../src/scenario/validate.ts';
import { twinPolicies } from '../../src/learning/policies.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-watch-'));
const strip = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scenario = (slots: number) => withOverrides(loadScenario(readFileSync('scenarios/default.yaml', 'utf8'), 'scenarios/default.yaml', twinPolicies()), { slots, shadows: [], policy: 'mrt' });

const finished = path.join(dir, 'finished.sqlite');
const records: SlotRecord[] = [];
const events: TwinEvent[] = [];

test.before(async () => {
  await runScenario(scenario(700), {
    dbPath: finished,
    packageVersion: 'test',
    backend: 'wasm',
    attach: (twin) => {
      twin.slots$.subscribe((r) => records.push(r));
      twin.events$.subscribe((e) => events.push(e));
    },
  });
});

test('reader: run info and slot records as the twin emitted them', async () => {
  const reader = await RunReader.open(finished);
  try {
    const i = reader.info;
    assert.equal([i.scenario, i.policy, i.seed, i.backend, i.durationSlots, i.numBs, i.numUsers, i.numTargets, i.slotMs, i.csiDelaySlots], ['default', 'mrt', 1, 'wasm', 700, 3, 6, 3, 1, 2]);
    assert.equal(Array.from(i.userBs), [0, 0, 1, 1, 2, 2]);
    assert.equal(await reader.slotRange(), [0, 699]);
    const rows = await reader.slots(409, 412);
    assert.equal(rows.map((r) => r.slot), [410, 411, 412]);
    for (const r of rows) {
      const rec = records[r.slot];
      assert.equal(Array.from(r.userSinr), Array.from(rec.userSinr));
      assert.equal(Array.from(r.userRate), Array.from(rec.userRate));
      assert.equal(Array.from(r.userCsiAge), Array.from(rec.userCsiAge));
      assert.equal(Array.from(r.userPosM), Array.from(rec.userPosM));
      assert.equal(Array.from(r.targetPosM), Array.from(rec.targetPosM));
      assert.equal(r.bs.policy, rec.bs.policy);
      assert.ok(Math.abs(r.bs.sumRate![0] - (rec.userRate[0] + rec.userRate[1])) < 1e-12);
      assert.equal(r.rc, rec.rc);
    }
    const thinned = await reader.slots(-1, 699, 100);
    assert.equal(thinned.map((r) => r.slot), [0, 100, 200, 300, 400, 500, 600]);
  } finally {
    await reader.close();
  }
});

test('reader: logged events come back as twin events', async () => {
  const reader = await RunReader.open(finished);
  try {
    const got = await reader.events(99, 120);
    const want = events.filter((e) => e.slot > 99 && e.slot <= 120 && ['pilot', 'csi-report', 'backhaul'].includes(e.kind));
    assert.equal(got, want);
  } finally {
    await reader.close();
  }
});

test('reader: files that are not run databases are refused with a message naming them', async () => {
  const missing = path.join(dir, 'missing.sqlite');
  try {
    await RunReader.open(missing);
    assert.unreachable('opened a missing file');
  } catch (e) {
    assert.instance(e, WatchError);
    assert.match((e as Error).message, `${missing}: cannot open`);
  }
  const text = path.join(dir, 'text.sqlite');
  writeFileSync(text, 'not a database at all, just some text '.repeat(40));
  try {
    await RunReader.open(text);
    assert.unreachable('opened a text file');
  } catch (e) {
    assert.instance(e, WatchError);
    assert.match((e as Error).message, `${text}: not an isac-twin run database`);
  }
});

test('session on a finished run: opens on the last slot, scrubs, replays at a pace', async () => {
  const reader = await RunReader.open(finished);
  let now = 0;
  const s = new WatchSession(reader, () => now);
  try {
    await s.tick();
    let v = s.model.view();
    assert.equal([s.cursor, s.follow, v.slot, v.state], [699, false, 699, 'completed']);
    assert.equal(v.mode, 'cursor 699');
    const rec = records[699];
    assert.equal(
      v.users.map((u) => u.rate),
      Array.from(rec.userRate),
    );
    const controls = s.controls(() => {});
    controls.scrub!('back'); // 1 % of 700 slots
    await s.tick();
    assert.equal([s.cursor, s.model.view().slot], [692, 692]);
    assert.equal(
      s.model.view().users.map((u) => u.rate),
      Array.from(records[692].userRate),
    );
    controls.scrub!('start');
    await s.tick();
    assert.equal(s.cursor, 0);
    controls.scrub!('forward-far');
    await s.tick();
    assert.equal(s.cursor, 70);
    // Replay: p plays from the cursor at the replay pace (1× → 100 slots per 0.1 s of wall time).
    controls.togglePause();
    await s.tick();
    now = 0.1;
    await s.tick();
    assert.equal(s.cursor, 170);
    assert.equal(s.model.view().mode, 'replay 1x');
    controls.faster();
    now = 0.2;
    await s.tick();
    assert.equal(s.cursor, 370, '2× now');
    controls.togglePause();
    now = 5;
    await s.tick();
    assert.equal(s.cursor, 370, 'paused');
    v = s.model.view();
    assert.ok(v.log.some((l) => /^0\.0-1\.0 s|pilots/.test(l.text)) || v.openLine !== undefined, 'events of the range are in the log');
  } finally {
    await reader.close();
  }
});

test('session on a run being written: follows the committed slots live until it ends', async () => {
  const db = path.join(dir, 'live.sqlite');
  const control = new RunControl(1); // paced: ~0.5 s for 500 slots, committed every chunk
  const run = runScenario(scenario(500), { dbPath: db, packageVersion: 'test' }, control);
  let reader: RunReader | undefined;
  for (let t = 0; t < 100 && !reader; t++) {
    try {
      reader = await RunReader.open(db);
    } catch {
      await tick(20);
    }
  }
  assert.ok(reader, 'the database appears');
  const s = new WatchSession(reader!, () => performance.now() / 1000);
  const seen: number[] = [];
  try {
    for (let t = 0; t < 600; t++) {
      await s.tick();
      seen.push(s.cursor);
      if (s.model.view().state === 'completed') break;
      await tick(50);
    }
    await run;
    await s.tick();
    const v = s.model.view();
    assert.equal(v.state, 'completed');
    assert.equal(s.cursor, 499);
    assert.ok(seen.some((c) => c > 0 && c < 499), `saw the run in progress: ${seen.join(' ')}`);
    assert.ok(
      seen.every((c, k) => k === 0 || c >= seen[k - 1]),
      'never goes back',
    );
  } finally {
    await reader!.close();
  }
});

test('watch dashboard in a terminal: draws the run, q leaves (exit code 0)', async () => {
  const term = fakeTerminal(100, 30, true);
  const done = watchDashboard(finished, { ...term.streams, pollMs: 30 });
  for (let t = 0; t < 1000 && !term.stdout.frames.some((f) => strip(f).includes('cursor 699')); t++) await tick(10);
  term.stdin.type('q');
  assert.equal(await done, 0);
  const f = term.stdout.frames.map(strip).filter((x) => x.includes('isac-twin |')).at(-1)!;
  assert.ok(f.includes('isac-twin | default | mrt | seed 1 | tfjs wasm'), f.slice(0, 300));
  assert.ok(f.includes('cursor 699') && f.includes('✔ completed'));
  assert.ok(f.includes('q quit  p play/follow  left/right scrub'));
});

test('plain watch (no TTY): progress lines until the run is over', async () => {
  const lines: string[] = [];
  assert.equal(await watchPlain(finished, { write: (l) => lines.push(l) }), 0);
  assert.equal(lines[0], `watching ${finished}: default · policy mrt · seed 1 · 700 slots`);
  assert.equal(lines.at(-1), 'run completed: 700 slots, last logged slot 699');
});

test('CLI: `watch <run.sqlite> --plain` prints the progress, a bad file exits 2 with a message', async () => {
  const run = async (...args: string[]) => {
    const result = { code: -1 };
    const program = new Command('isac-twin').exitOverride();
    registerWatchCommand(program, result);
    const out: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (l: string) => out.push(l);
    console.error = (l: string) => out.push(l);
    try {
      await program.parseAsync(['node', 'isac-twin', 'watch', ...args]);
    } finally {
      console.log = log;
      console.error = error;
    }
    return { code: result.code, out };
  };
  const ok = await run(finished, '--plain', '--poll-ms', '20');
  assert.equal(ok.code, 0);
  assert.equal(ok.out.at(-1), 'run completed: 700 slots, last logged slot 699');
  const bad = await run(path.join(dir, 'nope.sqlite'), '--plain');
  assert.equal(bad.code, 2);
  assert.match(bad.out[0], /^error: .*nope\.sqlite: cannot open/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
