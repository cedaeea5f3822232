/**
 * One chunk of a bulk scan (reader.ts): a query that returns a single row holding, per column,
 * the chunk's values as comma-joined integers (a BLOB), and the parser that turns those bytes into
 * Float64Arrays. Shared by the in-process scan and the worker threads of a parallel scan
 * (scan-worker.mjs), so it depends on nothing but a database handle.
 */
import type { Db } from '../store/db.ts';

/** What a chunk query selects and how to read it back. */
export interface ChunkQuery {
  sql: string;
  params: unknown[];
  withSlot: boolean;
  withGroup: boolean;
  /** Per value column: values travel as trunc(x·scale) (or log10 first). */
  values: Array<{ scale: number; log?: boolean }>;
  /** Names the chunk in errors, e.g. "user_slots slots [0, 21845)". */
  label: string;
}

/** A parsed chunk: row i is (slot[i], group[i], values[0][i], …); NaN where the database holds NULL. */
export interface ParsedChunk {
  rows: number;
  slot: Float64Array | null;
  group: Float64Array | null;
  values: Float64Array[];
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

/** Columns of a chunk query's result: slot, group, then the values. */
export function numColumns(q: ChunkQuery): number {
  return (q.withSlot ? 1 : 0) + (q.withGroup ? 1 : 0) + q.values.length;
}

/**
 * Runs one chunk query on `db` and parses it; null when the chunk holds no rows. All columns live
 * in one buffer (`columnsOf` splits it), so a worker can hand the chunk over in one transfer.
 */
export function readChunk(db: Db, q: ChunkQuery): Float64Array | null {
  const row = db.prepare(q.sql).get(q.params) as Record<string, Buffer | number | null> | undefined;
  const n = Number(row?.n ?? 0);
  if (!row || n === 0) return null;
  const data = new Float64Array(n * numColumns(q));
  let c = 0;
  const col = (s: Buffer | number | null, scale: number, log = false): void => {
    const out = data.subarray(c * n, (c + 1) * n);
    const got = parseIntList(s === null ? null : Buffer.isBuffer(s) ? s : Buffer.from(String(s)), out, scale, log);
    if (got !== n) throw new Error(`${q.label}: ${got} values for ${n} rows`);
    c++;
  };
  if (q.withSlot) col(row.s, 1);
  if (q.withGroup) col(row.g, 1);
  q.values.forEach((v, i) => col(row[`v${i}`], v.scale, v.log));
  return data;
}

/** The columns of a chunk read by `readChunk`. */
export function columnsOf(q: ChunkQuery, data: Float64Array): ParsedChunk {
  const n = data.length / numColumns(q);
  let c = 0;
  const next = () => data.subarray(c * n, ++c * n);
  const slot = q.withSlot ? next() : null;
  const group = q.withGroup ? next() : null;
  return { rows: n, slot, group, values: q.values.map(() => next()) };
}
