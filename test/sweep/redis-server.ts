/**
 * A real Redis for the queue tests: the one named by ISAC_TWIN_TEST_REDIS (.ci/run starts one on
 * loopback), else a redis-server of our own on a free loopback port in a temporary folder, else
 * nothing — and the caller marks its tests skipped, saying why. Queue names are unique per test
 * file and run, so a shared server is safe.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A Redis to test against, or why there is none. */
export async function testRedis(): Promise<TestRedis | { skip: string }> {
  const given = process.env.ISAC_TWIN_TEST_REDIS;
  if (given) return { url: given, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version']).status !== 0) return { skip: 'redis-server is not installed (apt-get install redis-server; .ci/run installs it)' };
  const dir = mkdtempSync(path.join(tmpdir(), 'twin-redis-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const ready = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10000);
      child.stdout!.on('data', (s: Buffer) => {
        log += s;
        if (log.includes('Ready to accept connections')) {
          clearTimeout(t);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (ready) {
      return {
        url: `redis://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((resolve) => {
            child.once('exit', () => {
              rmSync(dir, { recursive: true, force: true });
              resolve();
            });
            child.kill('SIGTERM');
          }),
      };
    }
    child.kill('SIGKILL');
  }
  return { skip: 'redis-server did not start on a loopback port' };
}
