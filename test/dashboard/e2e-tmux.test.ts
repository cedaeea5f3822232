/**
 * End to end in a real pseudo-terminal (tmux): `isac-twin run` on the default scenario (with MRT
 * acting) shows the dashboard, the keys are typed into the pane, q stops it; then the database
 * holds an `interrupted` run with its slots. In a CI job (CI set) the same terminal gets plain
 * progress lines instead, since ink draws nothing there until it unmounts. Skipped, saying so,
 * when tmux is not installed (apt-get install -y tmux).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RunReader } from '../../src/dashboard/db-source.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `isac-dash-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (history = 0) => tmux('capture-pane', '-p', '-t', 'dash', '-S', String(-history)).stdout ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, pred: (s: string) => boolean, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = screen();
    if (pred(s)) return s;
    if (Date.now() - t0 > timeoutMs) assert.unreachable(`timed out waiting for ${what}; the screen:\n${s}`);
    await sleep(100);
  }
}

if (!hasTmux) {
  console.log('  e2e-tmux: tmux is not installed, skipping the terminal end-to-end test (apt-get install -y tmux)');
  test.skip('run in tmux, keys, q → interrupted run in the database', () => {});
  test.skip('run in tmux with CI set: plain progress lines', () => {});
} else {
  test('run in tmux: the dashboard draws, p / ? / esc work, q stops → interrupted run with its slots', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-e2e-'));
    const db = path.join(dir, 'run.sqlite');
    const exitFile = path.join(dir, 'exit');
    const cmd = `cd '${process.cwd()}' && env -u CI -u NODE_ENV TERM=xterm-256color node bin/isac-twin.js run scenarios/default.yaml --policy mrt --slots 30000 --speed 1 --out '${db}'; echo $? > '${exitFile}'; sleep 60`;
    try {
      assert.equal(tmux('new-session', '-d', '-s', 'dash', '-x', '100', '-y', '30', cmd).status, 0);
      let s = await until('the dashboard with the run in progress', (x) => /▶ running/.test(x) && /slot [1-9]\d{2,} \|/.test(x), 30_000);
      assert.ok(s.includes('isac-twin | default | mrt (vs wmmse) | seed 1 | tfjs none'), s);
      assert.ok(s.includes('user  BS  SINR dB   rate  CSI age'));
      assert.match(s, /BS2 mrt \| 30\.0 dBm \| beam \d+ deg/);
      tmux('send-keys', '-t', 'dash', 'p');
      s = await until('the pause', (x) => x.includes('‖ paused') && x.includes('ETA paused'), 10_000);
      tmux('send-keys', '-t', 'dash', 'p');
      await until('the run resumed', (x) => x.includes('▶ running'), 10_000);
      tmux('send-keys', '-t', 'dash', '?');
      await until('the help', (x) => x.includes('stop the run (it is kept and marked interrupted)'), 10_000);
      tmux('send-keys', '-t', 'dash', 'Escape');
      await until('the help closed', (x) => !x.includes('stop the run') && x.includes('─ Users'), 10_000);
      tmux('send-keys', '-t', 'dash', 'q');
      const t0 = Date.now();
      while (!existsSync(exitFile) && Date.now() - t0 < 20_000) await sleep(100);
      assert.ok(existsSync(exitFile), `the run did not end after q; the screen:\n${screen()}`);
      await sleep(100);
      assert.equal(readFileSync(exitFile, 'utf8').trim(), '130', 'exit code of an interrupted run');
      s = screen(40); // the summary lines pushed the header into the scrollback
      assert.ok(s.includes('■ interrupted'), s);
      assert.match(s, /run interrupted: default · policy mrt · seed 1/);
      const reader = await RunReader.open(db);
      try {
        const p = await reader.progress();
        const [, last] = await reader.slotRange();
        assert.equal(p.status, 'interrupted');
        assert.ok(p.slotsDone > 0 && p.slotsDone < 30000, `${p.slotsDone} slots done`);
        assert.equal(last, p.slotsDone - 1, 'every slot simulated is in the database');
      } finally {
        await reader.close();
      }
    } finally {
      tmux('kill-server');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('run in tmux with CI set: plain progress lines and the summary, no dashboard', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-e2e-ci-'));
    const db = path.join(dir, 'run.sqlite');
    const cmd = `cd '${process.cwd()}' && env -u NODE_ENV CI=true TERM=xterm-256color node bin/isac-twin.js run scenarios/default.yaml --policy mrt --slots 400 --out '${db}'; echo "exit $?"; sleep 60`;
    try {
      assert.equal(tmux('new-session', '-d', '-s', 'dash', '-x', '100', '-y', '30', cmd).status, 0);
      const s = await until('the end of the run', (x) => /^exit \d+$/m.test(x), 60_000);
      assert.match(s, /^exit 0$/m);
      assert.match(s, /^ {2}slot 400\/400 \(100%\) · sim 0\.40 s/m);
      assert.match(s, /run completed: default · policy mrt · seed 1/);
      assert.not.ok(s.includes('─ Users') || s.includes('▶ running'), s);
    } finally {
      tmux('kill-server');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
