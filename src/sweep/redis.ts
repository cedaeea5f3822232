/**
 * Where a BullMQ queue lives, and the checks made before anything is queued or run: the Redis
 * URL parses, the server answers, and the queue's code version agrees with ours. Each failure is
 * a QueueInputError with one line saying what and where (exit code 2).
 *
 * The queue's code version is a Redis key beside BullMQ's own (`<prefix>:<queue>:code-version`):
 * `sweep --queue` sets it when it enqueues; a worker of another version refuses to start (and a
 * job carrying another version is never run: the worker puts it back and stops). A sweep of
 * another version is refused while the queue still holds unfinished jobs of the first.
 */
import { Queue, type RedisOptions } from 'bullmq';

/** BullMQ's key prefix for isac-twin queues. */
export const QUEUE_PREFIX = 'isac-twin';

export class QueueInputError extends Error {
  override readonly name = 'QueueInputError';
}

export interface QueueTarget {
  /** The URL as given (for messages; a password is shown as ***). */
  url: string;
  name: string;
  connection: RedisOptions;
}

/** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS) → connection options. */
export function parseQueueTarget(url: string, name: string): QueueTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueInputError(`--queue ${url}: not a URL; write redis://host:6379`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueInputError(`--queue ${url}: the scheme must be redis:// or rediss://, got ${u.protocol}//`);
  if (!u.hostname) throw new QueueInputError(`--queue ${url}: no host; write redis://host:6379`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new QueueInputError(`--queue ${url}: the path must be a database number (redis://host:6379/0), got /${dbText}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new QueueInputError(`--queue-name ${name}: letters, digits, ".", "_" or "-" only`);
  const shown = u.password ? url.replace(`:${u.password}@`, ':***@') : url;
  return {
    url: shown,
    name,
    connection: {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port,
      db: dbText === '' ? 0 : Number(dbText),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

/**
 * Opens the queue with a connection that does not retry, pings the server and reads the queue's
 * code version; a failure names the URL and the reason.
 */
export async function probeQueue(t: QueueTarget, timeoutMs = 3000): Promise<{ codeVersion: string | null; unfinished: number }> {
  const queue = new Queue(t.name, {
    prefix: QUEUE_PREFIX,
    connection: { ...t.connection, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false },
  });
  let lastError: Error | undefined;
  queue.on('error', (e: Error) => (lastError = e));
  try {
    const client = await queue.client;
    const codeVersion = await client.get(codeVersionKey(t));
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
    return { codeVersion, unfinished: Object.values(counts).reduce((a, b) => a + b, 0) };
  } catch (e) {
    const err = lastError ?? (e as Error);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code ? `${code}${code === 'ECONNREFUSED' ? ': is redis-server running there?' : ''}` : err.message;
    throw new QueueInputError(`--queue ${t.url}: cannot reach Redis (${why})`);
  } finally {
    await queue.close().catch(() => undefined);
  }
}

/** The key holding the queue's code version. */
export function codeVersionKey(t: QueueTarget): string {
  return `${QUEUE_PREFIX}:${t.name}:code-version`;
}

/** Connection options for BullMQ (workers need blocking commands without a retry limit). */
export function bullConnection(t: QueueTarget): RedisOptions {
  return { ...t.connection, maxRetriesPerRequest: null };
}
