/**
 * The one module that opens SQLite databases for reading and small writes (the run writer thread,
 * writer-worker.mjs, has its own connection). Built on `better-sqlite3`, which is synchronous, and
 * so is this API: `openDbSync` returns the connection, the helpers return rows, errors are thrown.
 * Parameters: booleans bind as 0/1 and undefined as NULL (better-sqlite3 itself refuses both).
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;
export type Statement = Database.Statement;

/** Opens `file`: `create` makes it if missing; `readwrite` and `readonly` require it to exist. */
export function openDbSync(file: string, mode: 'create' | 'readwrite' | 'readonly' = 'create'): Db {
  return new Database(file, { readonly: mode === 'readonly', fileMustExist: mode !== 'create' });
}

/** SQL parameters as better-sqlite3 binds them. */
export function bindable(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export function execSync(db: Db, sql: string): void {
  db.exec(sql);
}

export function runSync(db: Db, sql: string, params: readonly unknown[] = []): { lastID: number; changes: number } {
  const r = db.prepare(sql).run(bindable(params));
  return { lastID: Number(r.lastInsertRowid), changes: r.changes };
}

export function allSync<T = Record<string, unknown>>(db: Db, sql: string, params: readonly unknown[] = []): T[] {
  return db.prepare(sql).all(bindable(params)) as T[];
}

export function getSync<T = Record<string, unknown>>(db: Db, sql: string, params: readonly unknown[] = []): T | undefined {
  return db.prepare(sql).get(bindable(params)) as T | undefined;
}

/** Rows of one query on a database opened read-only for it (and closed again, whatever happens). */
export function queryFile<T = Record<string, unknown>>(file: string, sql: string, params: readonly unknown[] = []): T[] {
  const db = openDbSync(file, 'readonly');
  try {
    return allSync<T>(db, sql, params);
  } finally {
    db.close();
  }
}
