// A query thread of a parallel scan (reader.ts): runs the chunk queries it is sent on its own
// read-only connection and posts each result row back (the value lists as bytes); parsing stays
// on the main thread, in chunk order. Plain JavaScript, no TypeScript loader: it starts in ~50 ms.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();

parentPort.on('message', (task) => {
  if (task === null) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let st = statements.get(task.sql);
    if (!st) statements.set(task.sql, (st = db.prepare(task.sql)));
    parentPort.postMessage({ index: task.index, row: st.get(task.params) ?? null });
  } catch (e) {
    parentPort.postMessage({ index: task.index, error: e instanceof Error ? e.message : String(e) });
  }
});
