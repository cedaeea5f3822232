// The SQLite writer thread of a run (plain JavaScript: it runs in a worker without the
// TypeScript loader). It owns the database connection (better-sqlite3, synchronous: binding and
// inserting happen on this thread, nothing on the simulation's). The main thread sends it batches
// of rows packed in Float64Arrays (transferred, not copied), text columns as indices into a
// per-batch string list, NaN meaning NULL. Each batch is one transaction; the reply comes after
// COMMIT, so an acknowledged batch is durable. Messages:
//   { op: 'open', file, schemaSql, pragmas, meta: [[k, v]…], runSql, runParams, tables, heartbeat?: { sql, everyMs } }
//   { op: 'batch', tables: { name: { rows, data, strings } }, runUpdate?: [sql, params] }
//   { op: 'finish', sql, params }
// Replies: { id, ok: true, result? } or { id, ok: false, error }.
// Heartbeat: after `open`, `heartbeat.sql` (run id bound) runs every `heartbeat.everyMs` between
// messages, so the run row shows the writer alive also while the run is paused or a slot is slow;
// readers call a `running` run whose heartbeat is old "stopped unexpectedly" (schema.ts).
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';

// Rows per INSERT statement: a batch is cut greedily into statements of these sizes (100 rows of
// ≤ 20 columns stays far below SQLite's parameter limit; wider statements bind a little faster
// than one row at a time: ≈ 15 %).
const SIZES = [100, 10, 1];
let db;
let tables = {};
let heartbeat;
/** statements[table][i] inserts SIZES[i] rows. */
const statements = {};

function open(msg) {
  db = new Database(msg.file);
  db.exec(msg.pragmas);
  db.exec(msg.schemaSql);
  const meta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  for (const [k, v] of msg.meta) meta.run(k, v);
  const { lastInsertRowid } = db.prepare(msg.runSql).run(msg.runParams);
  tables = msg.tables;
  const runId = Number(lastInsertRowid);
  if (msg.heartbeat) {
    const beat = db.prepare(msg.heartbeat.sql);
    heartbeat = setInterval(() => {
      try {
        beat.run(runId);
      } catch {
        // Busy or closing: the next beat (or batch) stamps it.
      }
    }, msg.heartbeat.everyMs);
  }
  for (const [name, t] of Object.entries(tables)) {
    const one = `(${t.columns.map(() => '?').join(', ')})`;
    const head = `INSERT INTO ${name} (${t.columns.join(', ')}) VALUES `;
    statements[name] = SIZES.map((n) => db.prepare(head + Array(n).fill(one).join(', ')));
  }
  return Number(lastInsertRowid);
}

/** Row i of a packed table as SQL parameters. */
function rowParams(t, data, strings, i, out, at) {
  const w = t.columns.length;
  for (let c = 0; c < w; c++) {
    const v = data[i * w + c];
    out[at + c] = Number.isNaN(v) ? null : t.text[c] ? strings[v] : v;
  }
}

/** Parameter arrays reused per (table, statement size). */
const paramBuffers = new Map();

function insertBatch(msg) {
  for (const [name, packed] of Object.entries(msg.tables)) {
    const t = tables[name];
    const w = t.columns.length;
    const { rows, data, strings } = packed;
    let i = 0;
    SIZES.forEach((n, k) => {
      const key = `${name}:${n}`;
      let params = paramBuffers.get(key);
      if (!params) paramBuffers.set(key, (params = new Array(n * w)));
      for (; i + n <= rows; i += n) {
        for (let r = 0; r < n; r++) rowParams(t, data, strings, i + r, params, r * w);
        statements[name][k].run(params);
      }
    });
  }
  if (msg.runUpdate) db.prepare(msg.runUpdate[0]).run(msg.runUpdate[1]);
}

function finish(msg) {
  clearInterval(heartbeat);
  db.prepare(msg.sql).run(msg.params);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

// Messages arrive in order and each is handled to the end before the next (all synchronous).
let batch;
parentPort.on('message', (msg) => {
  try {
    const result = msg.op === 'open' ? open(msg) : msg.op === 'batch' ? (batch ??= db.transaction(insertBatch))(msg) : finish(msg);
    parentPort.postMessage({ id: msg.id, ok: true, result });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
