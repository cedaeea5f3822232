/**
 * `export --csv <dir>`: one CSV file per table of a run database (RFC 4180: comma separated,
 * header row, fields with commas, quotes or line breaks quoted, NULL as an empty field; numbers
 * as JavaScript prints them, which round-trips every double exactly). Per-slot tables honour
 * the range and, for a run still being written, stop at the slots committed when the file was
 * opened. Rows are read in chunks of slots and streamed, so memory stays flat.
 */
import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { AnalysisInputError } from './errors.ts';
import { RunDb, type RangeSpec } from './run-db.ts';

export interface ExportResult {
  dir: string;
  files: Array<{ table: string; file: string; rows: number }>;
  notes: string[];
}

/** Tables first in this order, then any others alphabetically. */
const ORDER = ['meta', 'runs', 'slots', 'bs_slots', 'user_slots', 'target_slots', 'shadow_slots', 'events'];

/** Rows per query when reading per-slot tables. */
const CHUNK_ROWS = 20000;

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with its line break). */
export function csvLine(values: unknown[]): string {
  return values.map(csvField).join(',') + '\n';
}

async function writeTable(run: RunDb, table: string, file: string, lo: number, hi: number): Promise<number> {
  const cols = run.columns(table);
  const tmp = `${file}.partial`;
  const out = createWriteStream(tmp);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  let rows = 0;
  try {
    await write(csvLine([...cols]));
    const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const select = `SELECT ${cols.map(q).join(', ')} FROM ${q(table)}`;
    const emit = async (batch: Array<Record<string, unknown>>) => {
      let text = '';
      for (const r of batch) text += csvLine(cols.map((c) => r[c]));
      rows += batch.length;
      await write(text);
    };
    if (cols.includes('slot')) {
      const perSlot = table === 'events' ? 8 : table === 'slots' ? 1 : table === 'bs_slots' ? run.meta.numBs : table === 'user_slots' ? run.meta.numUsers : table === 'target_slots' ? run.meta.numTargets : 4;
      const width = Math.max(1, Math.floor(CHUNK_ROWS / Math.max(1, perSlot))) * run.meta.logEvery;
      const order = cols.includes('id') ? ' ORDER BY slot, id' : '';
      const sql = `${select} WHERE slot >= ? AND slot < ?${order}`;
      // Next chunk's query runs while this one is formatted and written.
      let a = lo;
      let next = a < hi ? run.all(sql, [a, Math.min(hi, a + width)]) : undefined;
      while (next) {
        const batch = await next;
        a += width;
        next = a < hi ? run.all(sql, [a, Math.min(hi, a + width)]) : undefined;
        try {
          await emit(batch);
        } catch (e) {
          next?.catch(() => undefined);
          throw e;
        }
      }
    } else {
      await emit(await run.all(select));
    }
    out.end();
    await once(out, 'finish');
  } catch (e) {
    out.destroy();
    throw e;
  }
  renameSync(tmp, file);
  return rows;
}

/** Writes every table of an open run as `<dir>/<table>.csv`. */
export async function exportRun(run: RunDb, dir: string, opts: { range?: RangeSpec } = {}): Promise<ExportResult> {
  try {
    if (!statSync(dir).isDirectory()) throw new AnalysisInputError(dir, 'exists and is not a directory');
  } catch (e) {
    if (e instanceof AnalysisInputError) throw e;
    mkdirSync(dir, { recursive: true });
  }
  // Per-slot tables: the range asked for, or everything committed (possibly nothing yet).
  let lo = 0;
  let hi = 0;
  if (opts.range?.from || opts.range?.to || run.committed.slots > 0) {
    const r = await run.range(opts.range);
    lo = r.lo;
    hi = r.hi;
  }
  const tables = [...run.tables.keys()].filter((t) => !t.startsWith('sqlite_'));
  tables.sort((x, y) => {
    const ix = ORDER.indexOf(x);
    const iy = ORDER.indexOf(y);
    return (ix < 0 ? ORDER.length : ix) - (iy < 0 ? ORDER.length : iy) || x.localeCompare(y);
  });
  const files: ExportResult['files'] = [];
  for (const table of tables) {
    const file = path.join(dir, `${table}.csv`);
    files.push({ table, file, rows: await writeTable(run, table, file, lo, hi) });
  }
  return { dir, files, notes: [...run.notes] };
}

/** Opens, exports and closes a run database. */
export async function exportFile(file: string, dir: string, opts: { range?: RangeSpec; createViews?: boolean } = {}): Promise<ExportResult> {
  const run = await RunDb.open(file, { createViews: opts.createViews });
  try {
    return await exportRun(run, dir, opts);
  } finally {
    await run.close();
  }
}
