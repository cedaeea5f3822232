// The SQLite writer thread of a run (plain JavaScript: it runs in a worker without the
// TypeScript loader). It owns the database connection: the main thread sends it batches of rows
// packed in Float64Arrays (transferred, not copied), text columns as indices into a per-batch
// string list, NaN meaning NULL. Each batch is one transaction; the reply comes after COMMIT, so
// an acknowledged batch is durable. Messages:
//   { op: 'open', file, schemaSql, pragmas, meta: [[k, v]…], runSql, runParams, tables }
//   { op: 'batch', tables: { name: { rows, data, strings } }, runUpdate?: [sql, params] }
//   { op: 'finish', sql, params }
// Replies: { id, ok: true, result? } or { id, ok: false, error }.
import { parentPort } from 'node:worker_threads';
import sqlite3 from 'sqlite3';

// Rows per INSERT statement: a batch is cut greedily into statements of these sizes (400 rows of
// ≤ 10 columns stays far below SQLite's 32766-parameter limit; larger statements bind faster).
const SIZES = [400, 100, 20, 1];
let db;
let tables = {};
/** statements[table][i] inserts SIZES[i] rows. */
const statements = {};

const call = (fn) => new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
const exec = (sql) => call((cb) => db.exec(sql, cb));
const run = (sql, params = []) =>
  new Promise((resolve, reject) =>
    db.run(sql, params, function (err) {
      if (err) reject(err);
      else resolve({ lastID: this.lastID, changes: this.changes });
    }),
  );
const prepare = (sql) =>
  new Promise((resolve, reject) => {
    const st = db.prepare(sql, (err) => (err ? reject(err) : resolve(st)));
  });
const stmtRun = (st, params) => call((cb) => st.run(params, cb));

async function open(msg) {
  db = await new Promise((resolve, reject) => {
    const d = new sqlite3.Database(msg.file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => (err ? reject(err) : resolve(d)));
  });
  db.serialize();
  await exec(msg.pragmas);
  await exec(msg.schemaSql);
  for (const [k, v] of msg.meta) await run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [k, v]);
  const { lastID } = await run(msg.runSql, msg.runParams);
  tables = msg.tables;
  for (const [name, t] of Object.entries(tables)) {
    const one = `(${t.columns.map(() => '?').join(', ')})`;
    const head = `INSERT INTO ${name} (${t.columns.join(', ')}) VALUES `;
    statements[name] = [];
    for (const n of SIZES) statements[name].push(await prepare(head + Array(n).fill(one).join(', ')));
  }
  return lastID;
}

/** Row i of a packed table as SQL parameters. */
function rowParams(t, data, strings, i, out, at) {
  const w = t.columns.length;
  for (let c = 0; c < w; c++) {
    const v = data[i * w + c];
    out[at + c] = Number.isNaN(v) ? null : t.text[c] ? strings[v] : v;
  }
}

async function batch(msg) {
  await run('BEGIN');
  try {
    const pending = [];
    for (const [name, packed] of Object.entries(msg.tables)) {
      const t = tables[name];
      const w = t.columns.length;
      const { rows, data, strings } = packed;
      let i = 0;
      SIZES.forEach((n, k) => {
        for (; i + n <= rows; i += n) {
          const params = new Array(n * w);
          for (let r = 0; r < n; r++) rowParams(t, data, strings, i + r, params, r * w);
          pending.push(stmtRun(statements[name][k], params));
        }
      });
    }
    if (msg.runUpdate) pending.push(run(msg.runUpdate[0], msg.runUpdate[1]));
    await Promise.all(pending);
    await run('COMMIT');
  } catch (e) {
    await run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

async function finish(msg) {
  await run(msg.sql, msg.params);
  for (const st of Object.values(statements).flat()) await call((cb) => st.finalize(cb));
  await exec('PRAGMA wal_checkpoint(TRUNCATE);');
  await call((cb) => db.close(cb));
}

// Messages are handled strictly in order.
let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(async () => {
    try {
      const result = msg.op === 'open' ? await open(msg) : msg.op === 'batch' ? await batch(msg) : await finish(msg);
      parentPort.postMessage({ id: msg.id, ok: true, result });
    } catch (e) {
      parentPort.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  });
});
