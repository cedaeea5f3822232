/**
 * Sweeps across machines through BullMQ on a real Redis (test/sweep/redis-server.ts): a small
 * sweep through two worker processes, one SIGKILLed in the middle of a job — the job is taken up
 * again (stalled-job recovery) and the results equal the local sweep's row for row; a second
 * `sweep --queue` runs nothing; an unreachable Redis, a bad URL and another code version are
 * refused with one message and exit 2, nothing written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { allSync, openDbSync } from '../../src/store/db.ts';
import { parseQueueTarget, QUEUE_PREFIX } from '../../src/sweep/redis.ts';
import { runWorker } from '../../src/sweep/worker.ts';
import type { QueueJobData } from '../../src/sweep/queue.ts';
import { testRedis, type TestRedis } from './redis-server.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'twin-sweep-queue-'));
const BIN = path.resolve('bin/isac-twin.js');
const BASE = path.resolve('scenarios/default.yaml');
const { FORCE_COLOR: _f, NO_COLOR: _n, ...rest } = process.env;
const VERSION = 'test-queue';
const env = { ...rest, ISAC_TWIN_CODE_VERSION: VERSION };
const queueName = `t${process.pid}x${Date.now().toString(36)}`;
const refusalQueue = `${queueName}r`;
const cli = (args: string[], e: NodeJS.ProcessEnv = env) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, env: e, timeout: 120000 });

const file = path.join(dir, 'q.yaml');
writeFileSync(
  file,
  `name: q
scenario: ${BASE}
set: { durationSlots: 2000, shadows: [], users.mobility.pauseS: 0, logging.batchSlots: 100 }
axes:
  - grid: { users.mobility.speedMps: [1.4, 20] }
policies: [mrt, zf]
seeds: [1, 2]
metrics: [rc, rs, csi_age]
queue: { attempts: 3, backoffMs: 200 }
`,
);

const redis = await testRedis();

/** Starts `isac-twin worker`; resolves once it runs, with its job processes' pids. */
async function startWorker(url: string, name: string): Promise<{ child: ChildProcess; pids: number[]; out: () => string }> {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--queue-name', queueName, '--concurrency', '1', '--runs-dir', path.join(dir, `runs-${name}`), '--lock-ms', '1500', '--stalled-ms', '500'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (s) => (out += s));
  child.stderr!.on('data', (s) => (out += s));
  for (let t = 0; t < 60000 && !/\(pids [\d, ]+\)/.test(out); t += 50) await new Promise((r) => setTimeout(r, 50));
  const m = /\(pids ([\d, ]+)\)/.exec(out);
  assert.ok(m, `worker ${name} did not start: ${out}`);
  return { child, pids: m![1].split(', ').map(Number), out: () => out };
}

const exitOf = (c: ChildProcess) => new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

type Row = { job_id: string; speedMps: number; policy: string; seed: number; rc: number; rs: number; csi_age: number; worker: string };
const rowsOf = (out: string) => {
  const db = openDbSync(path.join(dir, out, 'sweep.sqlite'), 'readonly');
  try {
    return allSync<Row>(db, 'SELECT * FROM v_results ORDER BY position');
  } finally {
    db.close();
  }
};

if ('skip' in redis) {
  console.log(`skipped: the BullMQ sweep tests need Redis: ${redis.skip}`);
  test.skip('a sweep through BullMQ with two workers, one killed mid-job, equals the local sweep row for row', () => undefined);
  test.skip('refusals: unreachable Redis, a bad URL, a worker or a sweep of another code version', () => undefined);
  test.skip('a job of another code version is put back untouched and the worker stops', () => undefined);
} else {
  const r = redis as TestRedis;
  /** Processes to kill if a test fails half-way. */
  const started: ChildProcess[] = [];

  test('a sweep through BullMQ with two workers, one killed mid-job, equals the local sweep row for row', async () => {
    const local = cli(['sweep', file, '--workers', '2', '--out', 'local', '--quiet']);
    assert.is(local.status, 0, local.stderr + local.stdout);
    const a = await startWorker(r.url, 'a');
    const b = await startWorker(r.url, 'b');
    started.push(a.child, b.child);
    const sub = spawn(process.execPath, [BIN, 'sweep', file, '--queue', r.url, '--queue-name', queueName, '--out', 'queued'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(sub);
    let subOut = '';
    sub.stdout!.on('data', (s) => (subOut += s));
    sub.stderr!.on('data', (s) => (subOut += s));
    // Kill worker a while one of its job processes is in the middle of a job.
    let killed: string | undefined;
    for (let t = 0; t < 90000 && !killed; t += 25) {
      await new Promise((res) => setTimeout(res, 25));
      if (!existsSync(path.join(dir, 'queued', 'sweep.sqlite'))) continue;
      let running: Array<{ job_id: string; worker: string }> = [];
      const db = openDbSync(path.join(dir, 'queued', 'sweep.sqlite'), 'readonly');
      try {
        running = allSync<{ job_id: string; worker: string }>(db, "SELECT job_id, worker FROM jobs WHERE status = 'running'");
      } catch {
        // The catalog is being created.
      } finally {
        db.close();
      }
      const mine = running.find((x) => a.pids.includes(Number(x.worker?.split(':')[1])));
      if (mine) {
        a.child.kill('SIGKILL');
        killed = mine.job_id;
      }
    }
    assert.ok(killed, `worker a never ran a job: ${a.out()}`);
    assert.is(await exitOf(sub), 0, subOut);
    assert.match(subOut, /sweep q completed: 8 jobs · 8 completed now · 0 already done · 0 failed/);
    // The killed worker's job process went with it.
    await new Promise((res) => setTimeout(res, 300));
    for (const pid of a.pids) assert.throws(() => process.kill(pid, 0), `job process ${pid} of the killed worker is still alive`);
    const q = rowsOf('queued');
    const l = rowsOf('local');
    const key = (x: Row) => ({ job: x.job_id, speed: x.speedMps, policy: x.policy, seed: x.seed, rc: x.rc, rs: x.rs, csi_age: x.csi_age });
    assert.equal(q.map(key), l.map(key));
    // The killed job was taken up again by worker b.
    const again = q.find((x) => x.job_id === killed)!;
    assert.ok(b.pids.includes(Number(again.worker.split(':')[1])), `job ${killed} ran on ${again.worker}, not on worker b (${b.pids})`);
    const db = openDbSync(path.join(dir, 'queued', 'sweep.sqlite'), 'readonly');
    const attempts = allSync<{ job_id: string; attempts: number }>(db, 'SELECT job_id, attempts FROM jobs');
    db.close();
    assert.equal(attempts.filter((x) => x.attempts !== 1), [{ job_id: killed, attempts: 2 }], 'the killed job was started twice, every other once');
    // Nothing new the second time; no worker needed.
    const second = cli(['sweep', file, '--queue', r.url, '--queue-name', queueName, '--out', 'queued', '--quiet']);
    assert.is(second.status, 0, second.stderr);
    assert.match(second.stdout, /8 jobs · 0 completed now · 8 already done/);
    b.child.kill('SIGTERM');
    assert.is(await exitOf(b.child), 130);
  });

  test('refusals: unreachable Redis, a bad URL, a worker or a sweep of another code version', async () => {
    // A queue of its own: whatever the first test left running cannot take these jobs.
    const dead = cli(['sweep', file, '--queue', 'redis://127.0.0.1:1', '--out', 'never']);
    assert.is(dead.status, 2);
    assert.is(dead.stderr.trim(), 'error: --queue redis://127.0.0.1:1: cannot reach Redis (ECONNREFUSED: is redis-server running there?)');
    assert.not.ok(existsSync(path.join(dir, 'never')));
    const w = cli(['worker', '--queue', 'redis://127.0.0.1:1']);
    assert.is(w.status, 2);
    assert.match(w.stderr, /cannot reach Redis \(ECONNREFUSED/);
    const url = cli(['sweep', file, '--queue', 'http://127.0.0.1:6379', '--out', 'never']);
    assert.is(url.status, 2);
    assert.is(url.stderr.trim(), 'error: --queue http://127.0.0.1:6379: the scheme must be redis:// or rediss://, got http://');
    // A sweep of VERSION stopped before any worker came: its jobs stay queued.
    const f2 = path.join(dir, 'q2.yaml');
    writeFileSync(f2, `name: q2\nscenario: ${BASE}\nset: { durationSlots: 100, shadows: [] }\npolicies: [mrt]\nseeds: [1, 2]\n`);
    const sub = spawn(process.execPath, [BIN, 'sweep', f2, '--queue', r.url, '--queue-name', refusalQueue, '--out', 'q2'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sub.stdout!.on('data', (s) => (out += s));
    for (let t = 0; t < 60000 && !/queued 2 jobs/.test(out); t += 50) await new Promise((res) => setTimeout(res, 50));
    sub.kill('SIGINT');
    assert.is(await exitOf(sub), 130, out);
    assert.match(out, /the 2 unfinished jobs stay on the queue/);
    const other = { ...env, ISAC_TWIN_CODE_VERSION: 'other' };
    // The queue's jobs were computed by VERSION: a worker of another version refuses to start,
    // and a sweep of another version is refused while they are unfinished, writing nothing.
    const wrong = cli(['worker', '--queue', r.url, '--queue-name', refusalQueue], other);
    assert.is(wrong.status, 2);
    assert.is(wrong.stderr.trim(), `error: --queue ${r.url}: the queue "${refusalQueue}" holds jobs of isac-twin ${VERSION}, this worker runs other: install the same isac-twin (version and sources) on this machine`);
    const refused = cli(['sweep', f2, '--queue', r.url, '--queue-name', refusalQueue, '--out', 'q2-other'], other);
    assert.is(refused.status, 2);
    assert.is(refused.stderr.trim(), `error: --queue ${r.url}: the queue "${refusalQueue}" still holds 2 unfinished jobs of code version ${VERSION}; this is other: wait for them, or use another --queue-name`);
    assert.not.ok(existsSync(path.join(dir, 'q2-other')));
  });

  test('a job of another code version is put back untouched and the worker stops', async () => {
    const name = `${queueName}v`;
    const target = parseQueueTarget(r.url, name);
    const q = new Queue<QueueJobData>(name, { prefix: QUEUE_PREFIX, connection: target.connection });
    const spec = { id: 'j1', sweep: 's', label: 'L', scenarioText: '', scenarioFile: '', metrics: [], codeVersion: 'older' };
    await q.add('s', { spec }, { jobId: 'j1', attempts: 3 });
    let ran = 0;
    const out = await runWorker({
      target,
      codeVersion: 'newer',
      concurrency: 1,
      log: () => undefined,
      execute: async () => {
        ran++;
        throw new Error('must not run');
      },
    });
    assert.is(out.reason, 'code-version');
    assert.is(out.message, 'job j1 (s) is for isac-twin older, this worker runs newer: put back on the queue; stopping');
    assert.is(ran, 0);
    const job = (await q.getJob('j1'))!;
    assert.ok(['delayed', 'waiting'].includes(await job.getState()), await job.getState());
    assert.is(job.attemptsMade, 0, 'no attempt spent');
    await q.obliterate({ force: true });
    await q.close();
  });

  test.after(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const name of [queueName, refusalQueue]) {
      const q = new Queue(name, { prefix: QUEUE_PREFIX, connection: parseQueueTarget(r.url, name).connection });
      await q.obliterate({ force: true });
      await (await q.client).del(`${QUEUE_PREFIX}:${name}:code-version`);
      await q.close();
    }
    await r.stop();
  });
}

test.run();
