/**
 * The live dashboard on a real run (default scenario, logged to SQLite) in an in-memory
 * terminal: it follows the twin, and its keys act on the run through RunControl only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runScenario, RunControl, type Progress } from '../../src/app/run.ts';
import { RunReader } from '../../src/dashboard/db-source.ts';
import { fakeTerminal } from '../../src/dashboard/fake-terminal.ts';
import { startLiveDashboard } from '../../src/dashboard/live.ts';
import type { SlotRecord } from '../../src/sim/events.ts';
import { loadScenario, withOverrides } from '../../src/scenario/validate.ts';
import isInCi from 'is-in-ci';
import { twinPolicies } from '../../src/learning/policies.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-live-'));
const strip = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
const defaultScenario = (slots: number) => withOverrides(loadScenario(readFileSync('scenarios/default.yaml', 'utf8'), 'scenarios/default.yaml', twinPolicies()), { slots, shadows: [], policy: 'mrt' });
let n = 0;

/** Runs with the dashboard; `onChunk(k, term, control)` after every chunk (the keys are typed there). */
async function runWithDashboard(slots: number, onChunk: (k: number, term: ReturnType<typeof fakeTerminal>, control: RunControl) => void | Promise<void>, speed?: number) {
  const term = fakeTerminal(100, 30, true);
  const control = new RunControl(speed);
  const dbPath = path.join(dir, `run-${n++}.sqlite`);
  const loaded = defaultScenario(slots);
  const dash = startLiveDashboard(loaded, control, dbPath, { ...term.streams, patchConsole: false, backend: 'wasm' });
  const records: SlotRecord[] = [];
  let k = 0;
  const summary = await runScenario(
    loaded,
    {
      dbPath,
      packageVersion: 'test',
      chunkSlots: 50,
      attach: (twin) => {
        dash.attach(twin);
        twin.slots$.subscribe((r) => records.push(r));
      },
      onProgress: (p: Progress) => {
        dash.onProgress(p);
        void onChunk(k++, term, control);
      },
    },
    control,
  );
  await dash.close(summary);
  const frames = term.stdout.frames.map(strip);
  return { summary, dbPath, term, records, frames, last: frames.filter((f) => f.includes('isac-twin |')).at(-1) ?? '', dash };
}

test('ink draws live frames in this process (CI unset: npm test clears it, ink reads it at import)', () => {
  assert.not.ok(isInCi, 'CI or CONTINUOUS_INTEGRATION is set, so ink draws no frame before unmounting; run these tests with npm test');
});

test('q stops the run: interrupted, the slots so far in the database, the last frame says so', async () => {
  const r = await runWithDashboard(4000, (k, term) => {
    if (k === 2) term.stdin.type('q');
  });
  assert.equal(r.summary.status, 'interrupted');
  assert.ok(r.summary.slots > 0 && r.summary.slots < 4000, `${r.summary.slots} slots`);
  const reader = await RunReader.open(r.dbPath);
  const p = await reader.progress();
  const [, last] = await reader.slotRange();
  await reader.close();
  assert.equal(p.status, 'interrupted');
  assert.equal(p.slotsDone, r.summary.slots);
  assert.equal(last, r.summary.slots - 1, 'every simulated slot was logged');
  assert.ok(r.last.includes('■ interrupted'), r.last.slice(0, 200));
  assert.ok(r.last.includes('tfjs wasm'));
  assert.ok(r.frames.join('\n').includes('q: stopping; the run is kept and marked interrupted'));
});

test('frames show the slot records the twin emitted (users of the last slot drawn)', async () => {
  const r = await runWithDashboard(300, () => {});
  assert.equal(r.summary.status, 'completed');
  const rec = r.records.at(-1)!;
  assert.equal(rec.slot, 299);
  for (let u = 0; u < 6; u++) {
    const sinrDb = (10 * Math.log10(rec.userSinr[u])).toFixed(1);
    const row = new RegExp(`u${u} +\\d +${sinrDb.replace('.', '\\.')} +${rec.userRate[u].toFixed(2).replace('.', '\\.')} +${rec.userCsiAge[u]}`);
    assert.match(r.last, row);
  }
  assert.ok(r.last.includes('✔ completed'));
  assert.match(r.last, /t 0\.300 \/ 0\.300 s .* 100% \| slot 299 \|/);
});

test('p pauses the run and p resumes it; + / − set a pace', async () => {
  let pausedAt = -1;
  let pausedSeen = false;
  const r = await runWithDashboard(600, async (k, term, control) => {
    if (k === 1) {
      term.stdin.type('p');
      pausedAt = k;
      assert.ok(control.paused);
      // While paused the loop waits. Resume once the screen has drawn the pause (ink renders
      // on its own throttle, so poll rather than guess a delay); give up after 10 s.
      const started = Date.now();
      const poll = setInterval(() => {
        pausedSeen = term.stdout.frames.map(strip).some((f) => f.includes('‖ paused'));
        if (pausedSeen || Date.now() - started > 10_000) {
          clearInterval(poll);
          term.stdin.type('p');
        }
      }, 20);
    }
    if (k === 3) {
      term.stdin.type('-');
      assert.ok(control.speed !== undefined && control.speed > 0, 'from max, − sets a paced speed');
      term.stdin.type('+');
      term.stdin.type('+');
      term.stdin.type('+');
    }
  });
  assert.equal(pausedAt, 1);
  assert.ok(pausedSeen, 'the screen showed the pause');
  assert.equal(r.summary.status, 'completed');
  const log = r.frames.join('\n');
  assert.ok(log.includes(' paused') && log.includes(' resumed'));
  assert.match(log, /pace max -> \d/);
});

test('the dashboard subscribes only: the same run with and without it gives the same records', async () => {
  const plain = await runScenario(defaultScenario(200), { dbPath: path.join(dir, 'plain.sqlite'), packageVersion: 'test' });
  const r = await runWithDashboard(200, () => {});
  assert.equal(r.summary.rcMean, plain.rcMean);
  assert.equal(r.summary.rsMean, plain.rsMean);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
