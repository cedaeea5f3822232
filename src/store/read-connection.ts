/**
 * Connections for reading run databases (analysis, the dashboard's `watch`) that leave no -wal /
 * -shm files behind.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execSync, getSync, openDbSync, type Db } from './db.ts';

/**
 * A connection for reading that waits briefly instead of failing while the writer checkpoints.
 *
 * Reading a WAL-mode database creates its -wal and -shm files, and SQLite deletes them only when
 * the last connection to close is a read-write one: a read-only connection leaves them behind.
 * So when the database has no -wal/-shm yet (no writer has it open, none crashed), the connection
 * is opened read-write with `query_only` (SQLite refuses every write on it) and closing it removes
 * the files it made. Otherwise, or when the file cannot be opened for writing (read-only file or
 * folder), it is a plain read-only connection and the side files stay as they were found.
 */
export function openReadOnly(file: string): Db {
  const key = path.resolve(file);
  if ((queryOnlyOpen.get(key) ?? 0) > 0 || (!existsSync(`${file}-wal`) && !existsSync(`${file}-shm`))) {
    let db: Db | undefined;
    try {
      db = openDbSync(file, 'readwrite');
      execSync(db, 'PRAGMA query_only = ON; PRAGMA busy_timeout = 5000');
      getSync(db, 'SELECT count(*) FROM sqlite_master');
      queryOnlyOpen.set(key, (queryOnlyOpen.get(key) ?? 0) + 1);
      queryOnlyKey.set(db, key);
      return db;
    } catch {
      // not writable here (or damaged: the read-only open below reports it)
      if (db) closeQuietly(db);
    }
  }
  const db = openDbSync(file, 'readonly');
  try {
    execSync(db, 'PRAGMA busy_timeout = 5000');
  } catch (e) {
    closeQuietly(db);
    throw e;
  }
  return db;
}

/**
 * The query-only connections openReadOnly has open, per database (absolute path): while one is,
 * the -wal/-shm files are this process's own, and a further connection to the same file (compare
 * a.sqlite a.sqlite) is query-only too, so that whichever closes last removes them.
 */
const queryOnlyOpen = new Map<string, number>();
const queryOnlyKey = new WeakMap<Db, string>();

/** Closes a connection, ignoring a failure to (there is nothing left to do with it). */
export function closeQuietly(db: Db): void {
  const key = queryOnlyKey.get(db);
  if (key !== undefined) {
    queryOnlyKey.delete(db);
    const n = (queryOnlyOpen.get(key) ?? 1) - 1;
    if (n > 0) queryOnlyOpen.set(key, n);
    else queryOnlyOpen.delete(key);
  }
  try {
    db.close();
  } catch {
    // already closed or unusable
  }
}
