// A worker thread of a parallel scan (reader.ts, piscina): reads one chunk of a run database per
// task with its own read-only connection and sends the parsed columns back (moved, not copied).
// Plain JavaScript so that it can register the TypeScript loader before importing the reader.
import Database from 'better-sqlite3';
import { move } from 'piscina';
import { register } from 'tsx/esm/api';

register();
const { readChunk } = await import('./chunk-reader.ts');

/** One connection per file for the worker's life. */
const connections = new Map();

export default function ({ file, query }) {
  let db = connections.get(file);
  if (!db) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    connections.set(file, db);
  }
  const data = readChunk(db, query);
  return data === null ? null : move(data);
}
