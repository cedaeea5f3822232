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
 * The driver (better-sqlite3) is synchronous: small scans query and parse their chunks one after
 * the other on the run's connection; large ones spread the chunks over worker threads (`scan`).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { columnsOf, readChunk, type ChunkQuery } from './chunk-reader.ts';
import { asInputError, type RunDb, type SlotRange } from './run-db.ts';

export { parseIntList } from './chunk-reader.ts';

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
  /** Called once per chunk, chunks in any order. */
  onChunk(chunk: Chunk): void;
}

/** Rows per query: large enough to amortise the query, small enough to keep strings short. */
const CHUNK_ROWS = 1 << 17;

function quantised(v: ValueColumn): string {
  const x = v.log ? `log10(${v.expr})` : `(${v.expr})`;
  const q = `CAST(${x} * ${v.scale} AS INTEGER)`;
  return v.notNull && !v.log ? q : `ifnull(${q}, '')`;
}

interface Task {
  spec: ScanSpec;
  query: ChunkQuery;
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

/** Below this many rows a scan reads in-process: starting worker threads costs ~0.3 s. */
export const PARALLEL_MIN_ROWS = 2_000_000;

export interface ScanOptions {
  /** Worker threads for a parallel scan (default: `scanThreads()`); 1 reads in-process. */
  threads?: number;
  /** Scans of fewer rows read in-process (default PARALLEL_MIN_ROWS). */
  parallelMinRows?: number;
  /** Rows per chunk query (default 131072). */
  chunkRows?: number;
}

/** Worker threads of a parallel scan: one per core, at most four. */
export function scanThreads(): number {
  return Math.min(4, availableParallelism());
}

/**
 * Reads every scan over the logged slots of `range`, calling each spec's onChunk per chunk (in
 * any order). Resolves when all chunks are parsed. Large scans (≥ PARALLEL_MIN_ROWS rows, more
 * than one core) read their chunks in worker threads (scan-worker.mjs, piscina), each with its own
 * read-only connection: SQLite's formatting of the values, most of the time, then runs on every
 * core while this thread sorts the chunks into the summaries.
 */
export async function scan(run: RunDb, range: SlotRange, specs: ScanSpec[], options: ScanOptions = {}): Promise<void> {
  const threads = options.threads ?? scanThreads();
  const minRows = options.parallelMinRows ?? PARALLEL_MIN_ROWS;
  const tasks: Task[] = [];
  const every = run.meta.logEvery;
  let rows = 0;
  for (const spec of specs) {
    const sql = buildSql(spec);
    const width = Math.max(1, Math.floor((options.chunkRows ?? CHUNK_ROWS) / Math.max(1, spec.rowsPerSlot))) * every;
    for (let lo = range.lo; lo < range.hi; lo += width) {
      const hi = Math.min(range.hi, lo + width);
      rows += (Math.ceil((hi - lo) / every) * spec.rowsPerSlot) | 0;
      tasks.push({
        spec,
        query: {
          sql,
          params: [lo, hi, ...(spec.where?.params ?? [])],
          withSlot: spec.withSlot ?? false,
          withGroup: spec.group !== null,
          values: spec.values.map((v) => ({ scale: v.scale, log: v.log })),
          label: `${run.file}: ${spec.table} slots [${lo}, ${hi})`,
        },
      });
    }
  }
  const deliver = (t: Task, data: Float64Array | null) => {
    if (data) t.spec.onChunk(columnsOf(t.query, data));
  };
  try {
    if (threads < 2 || rows < minRows) {
      for (const t of tasks) deliver(t, readChunk(run.db, t.query));
      return;
    }
    const pool = new Piscina({ filename: new URL('./scan-worker.mjs', import.meta.url).href, minThreads: threads, maxThreads: threads });
    try {
      // Chunks are handed on in task order, as in-process, so that sums come out bit-identical.
      const ready: Array<Float64Array | null | undefined> = new Array(tasks.length);
      let next = 0;
      await Promise.all(
        tasks.map((t, i) =>
          pool.run({ file: run.file, query: t.query }).then((data: Float64Array | null) => {
            ready[i] = data;
            for (; next < tasks.length && ready[next] !== undefined; next++) {
              deliver(tasks[next], ready[next] ?? null);
              ready[next] = undefined;
            }
          }),
        ),
      );
    } finally {
      await pool.destroy();
    }
  } catch (e) {
    throw asInputError(run.file, e);
  }
}
