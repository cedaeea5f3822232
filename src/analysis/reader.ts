/**
 * Fast bulk reading of per-slot columns from a run database.
 *
 * A JS object (or array) per row costs ~0.3–1 µs, too slow for the 14 million rows of a
 * 1,000,000-slot run. Instead each query returns one row per chunk of slots holding,
 * per column, all values of the chunk joined by commas (`group_concat`, cast to a BLOB so that
 * it arrives as a Buffer), and every value travels as an integer: `CAST(x × scale AS INTEGER)`.
 * Integers format and parse several times faster than doubles, and a hand-written parser turns
 * the bytes into Float64Arrays.
 *
 * Exactness: a value x arrives as trunc(x·scale)/scale, i.e. rounded towards zero to the
 * column's resolution 1/scale (per metric in metrics.ts: 1e-6 bit/s/Hz for communication rates,
 * 1e-8 for radar rates, 1e-4 dB, 1 ns), a monotone map, so every order statistic (min,
 * percentiles, max) is the exact one to within that resolution, and so are means. Columns
 * flagged `log` (CRLB, spanning decades) travel as log10(x), exact to a relative 2.3e-6. NULL
 * arrives as NaN and the consumers drop it. The resolution is a trade: the time goes into
 * making and parsing the digits, so fewer digits read faster.
 *
 * The driver (better-sqlite3) is synchronous. Small scans query and parse their chunks one after
 * the other on the run's connection. Large ones (≥ PARALLEL_MIN_ROWS rows, more than one core) send
 * the queries to two query threads (scan-worker.mjs, each with its own read-only connection) —
 * SQLite making the digits is most of the time — while this thread parses the results in chunk
 * order, so the numbers are bit-identical to the sequential scan (docs/analysis.md, "Speed").
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { allSync } from '../store/db.ts';
import { asInputError, type RunDb, type SlotRange } from './run-db.ts';

export interface ValueColumn {
  /** SQL expression (usually a column name). */
  expr: string;
  /** Values travel as trunc(expr × scale); the resolution is 1/scale. */
  scale: number;
  /** Travel as log10(expr) (positive quantities spanning decades). */
  log?: boolean;
  /** The expression is never NULL (saves the NULL handling). */
  notNull?: boolean;
}

/** One chunk of rows, column-wise; row i is (slot[i], group[i], values[0][i], …). */
export interface Chunk {
  rows: number;
  /** Slot numbers (when `withSlot`). */
  slot: Float64Array | null;
  /** Entity index (bs, user, target) when the scan has a group column. */
  group: Float64Array | null;
  /** [numValueColumns][rows]; NaN where the database holds NULL. */
  values: Float64Array[];
}

export interface ScanSpec {
  table: string;
  /** Column naming the entity (bs, user, target); null for tables with one row per slot. */
  group: string | null;
  /** Extra condition, e.g. `policy = ?`. */
  where?: { sql: string; params: unknown[] };
  values: ValueColumn[];
  withSlot?: boolean;
  /** Rows per logged slot (sizes the chunks). */
  rowsPerSlot: number;
  /** Called once per chunk, in chunk order. */
  onChunk(chunk: Chunk): void;
  /**
   * The chunk's arrays are only lent for the call (onChunk copies what it keeps): they are then
   * parsed into buffers reused from chunk to chunk instead of fresh ones. Fresh arrays of a
   * million-slot scan are ~0.5 GB of new memory, whose page faults and collection cost more than
   * the parsing.
   */
  transient?: boolean;
}

/** Rows per query: large enough to amortise the query, small enough to keep strings short. */
const CHUNK_ROWS = 1 << 17;

function quantised(v: ValueColumn): string {
  const x = v.log ? `log10(${v.expr})` : `(${v.expr})`;
  const q = `CAST(${x} * ${v.scale} AS INTEGER)`;
  return v.notNull && !v.log ? q : `ifnull(${q}, '')`;
}

/**
 * Parses `group_concat` output of integers (ASCII bytes) into out[0..]; an empty entry is NaN.
 * Returns the count.
 */
export function parseIntList(b: Uint8Array | null, out: Float64Array, scale: number, log = false): number {
  if (b === null) return 0;
  const len = b.length;
  let n = 0;
  let i = 0;
  // Reading past the end gives undefined, which ends every digit loop.
  while (i < len) {
    let c = b[i];
    if (c === 44) {
      out[n++] = NaN;
      i++;
      continue;
    }
    let neg = false;
    if (c === 45) {
      neg = true;
      c = b[++i];
    }
    let v = 0;
    while (c >= 48) {
      v = v * 10 + (c - 48);
      c = b[++i];
    }
    const x = (neg ? -v : v) / scale;
    out[n++] = log ? 10 ** x : x;
    i++; // the comma
  }
  // A trailing comma (or an empty list) ends with one empty entry.
  if (len === 0 || b[len - 1] === 44) out[n++] = NaN;
  return n;
}

interface Task {
  spec: ScanSpec;
  sql: string;
  lo: number;
  hi: number;
}

function buildSql(spec: ScanSpec): string {
  // As BLOBs the lists reach JS as Buffers: no UTF-8 decoding, and bytes parse fastest.
  const list = (x: string) => `CAST(group_concat(${x}) AS BLOB)`;
  const cols = ['count(*) AS n'];
  if (spec.withSlot) cols.push(`${list('slot')} AS s`);
  if (spec.group) cols.push(`${list(spec.group)} AS g`);
  spec.values.forEach((v, i) => cols.push(`${list(quantised(v))} AS v${i}`));
  const where = ['slot >= ?', 'slot < ?'];
  if (spec.where) where.push(`(${spec.where.sql})`);
  return `SELECT ${cols.join(', ')} FROM ${spec.table} WHERE ${where.join(' AND ')}`;
}

/** Scans of at least this many rows use query threads (starting them costs ~0.1 s). */
export const PARALLEL_MIN_ROWS = 1_000_000;

export interface ScanOptions {
  /** Query threads (default: 2 when the machine has more than one core, else 0 = in-process). */
  threads?: number;
  /** Scans of fewer rows read in-process (default PARALLEL_MIN_ROWS). */
  parallelMinRows?: number;
  /** Rows per chunk query (default 131,072; tests use tiny chunks). */
  chunkRows?: number;
  /** Script of the query threads (default scan-worker.mjs; tests pass one that fails). */
  worker?: URL;
}

type ResultRow = Record<string, Uint8Array | number | null>;

/**
 * Reads every scan over the logged slots of `range`, calling each spec's onChunk per chunk, in
 * chunk order. Resolves when all chunks are parsed.
 */
export async function scan(run: RunDb, range: SlotRange, specs: ScanSpec[], options: ScanOptions = {}): Promise<void> {
  const tasks: Task[] = [];
  const every = run.meta.logEvery;
  let rows = 0;
  for (const spec of specs) {
    const sql = buildSql(spec);
    const width = Math.max(1, Math.floor((options.chunkRows ?? CHUNK_ROWS) / Math.max(1, spec.rowsPerSlot))) * every;
    for (let lo = range.lo; lo < range.hi; lo += width) {
      const hi = Math.min(range.hi, lo + width);
      rows += Math.ceil((hi - lo) / every) * spec.rowsPerSlot;
      tasks.push({ spec, sql, lo, hi });
    }
  }
  const params = (t: Task) => [t.lo, t.hi, ...(t.spec.where?.params ?? [])];
  const scratch = new Map<ScanSpec, Float64Array[]>();
  const parse = (t: Task, row: ResultRow | null) => {
    const n = Number(row?.n ?? 0);
    if (!row || n === 0) return;
    let k = 0;
    const buffers = t.spec.transient ? (scratch.get(t.spec) ?? scratch.set(t.spec, []).get(t.spec)!) : null;
    const col = (s: Uint8Array | number | null | undefined, scale: number, log = false): Float64Array => {
      let out: Float64Array;
      if (buffers) {
        if (!buffers[k] || buffers[k].length < n) buffers[k] = new Float64Array(Math.max(n, CHUNK_ROWS));
        out = buffers[k++].subarray(0, n);
      } else {
        out = new Float64Array(n);
      }
      const bytes = s === null || s === undefined ? null : s instanceof Uint8Array ? s : Buffer.from(String(s));
      const got = parseIntList(bytes, out, scale, log);
      if (got !== n) throw new Error(`${run.file}: ${t.spec.table} slots [${t.lo}, ${t.hi}): ${got} values for ${n} rows`);
      return out;
    };
    t.spec.onChunk({
      rows: n,
      slot: t.spec.withSlot ? col(row.s, 1) : null,
      group: t.spec.group ? col(row.g, 1) : null,
      values: t.spec.values.map((v, i) => col(row[`v${i}`], v.scale, v.log)),
    });
  };
  const threads = options.threads ?? (availableParallelism() > 1 ? 2 : 0);
  try {
    let done = 0;
    if (threads > 0 && rows >= (options.parallelMinRows ?? PARALLEL_MIN_ROWS) && tasks.length > 1) {
      done = await scanInThreads(run.file, tasks, params, parse, threads, options.worker ?? new URL('./scan-worker.mjs', import.meta.url));
    }
    for (const t of tasks.slice(done)) parse(t, allSync<ResultRow>(run.db, t.sql, params(t))[0] ?? null);
  } catch (e) {
    throw asInputError(run.file, e);
  }
}

/**
 * Queries `tasks` on `threads` query threads (two tasks in flight per thread) and parses the
 * results here in task order. Returns the number of tasks parsed: all of them, or fewer when a
 * thread could not start or died (the caller reads the rest in-process). An error SQLite reports
 * for a query is thrown, as the in-process scan would.
 */
async function scanInThreads(
  file: string,
  tasks: Task[],
  params: (t: Task) => unknown[],
  parse: (t: Task, row: ResultRow | null) => void,
  threads: number,
  url: URL,
): Promise<number> {
  const results = new Map<number, ResultRow | null>();
  let queryError: Error | null = null;
  let threadFailed = false;
  let wake: (() => void) | null = null;
  let next = 0;
  const send = (w: Worker) => {
    if (next < tasks.length) {
      const t = tasks[next];
      w.postMessage({ index: next++, sql: t.sql, params: params(t) });
    }
  };
  // No inherited --import tsx: the worker is plain JavaScript.
  const workers = Array.from({ length: Math.min(threads, tasks.length) }, () => new Worker(url, { workerData: { file }, execArgv: [] }));
  for (const w of workers) {
    w.on('message', (m: { index: number; row?: ResultRow | null; error?: string }) => {
      if (m.error !== undefined) queryError ??= new Error(m.error);
      else results.set(m.index, m.row ?? null);
      send(w);
      wake?.();
    });
    const fail = () => {
      threadFailed = true;
      wake?.();
    };
    w.on('error', fail);
    w.on('exit', (code) => code !== 0 && fail());
    send(w);
    send(w);
  }
  let parsed = 0;
  try {
    for (; parsed < tasks.length; parsed++) {
      while (!results.has(parsed)) {
        if (queryError) throw queryError;
        if (threadFailed) return parsed;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
      const row = results.get(parsed)!;
      results.delete(parsed);
      parse(tasks[parsed], row);
    }
    return parsed;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
