/**
 * The one module that opens SQLite databases for reading and small writes (the run writer thread,
 * writer-worker.mjs, has its own connection). Built on `better-sqlite3`, which is synchronous;
 * the functions keep a promise-returning shape so that callers read the same whichever driver is
 * underneath, and errors arrive as rejections. Parameters: booleans bind as 0/1 and undefined as
 * NULL (better-sqlite3 itself refuses both).
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;
export type Statement = Database.Statement;

export function openDb(file: string, mode: 'create' | 'readwrite' | 'readonly' = 'create'): Promise<Db> {
  return attempt(() => new Database(file, { readonly: mode === 'readonly', fileMustExist: mode !== 'create' }));
}

/** `fn()` as a promise: its value, or its exception as a rejection. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** SQL parameters as better-sqlite3 binds them. */
export function bindable(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export function exec(db: Db, sql: string): Promise<void> {
  return attempt(() => {
    db.exec(sql);
  });
}

export function run(db: Db, sql: string, params: unknown[] = []): Promise<{ lastID: number; changes: number }> {
  return attempt(() => {
    const r = db.prepare(sql).run(bindable(params));
    return { lastID: Number(r.lastInsertRowid), changes: r.changes };
  });
}

export function all<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return attempt(() => db.prepare(sql).all(bindable(params)) as T[]);
}

export function get<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return attempt(() => db.prepare(sql).get(bindable(params)) as T | undefined);
}

export function closeDb(db: Db): Promise<void> {
  return attempt(() => {
    db.close();
  });
}
