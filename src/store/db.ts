/** Promise wrappers over the `sqlite3` package (the only module that imports it). */
import sqlite3 from 'sqlite3';

export type Db = sqlite3.Database;
export type Statement = sqlite3.Statement;

export function openDb(file: string, mode: 'create' | 'readwrite' | 'readonly' = 'create'): Promise<Db> {
  const flags =
    mode === 'readonly'
      ? sqlite3.OPEN_READONLY
      : mode === 'readwrite'
        ? sqlite3.OPEN_READWRITE
        : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, flags, (err) => (err ? reject(err) : resolve(db)));
  });
}

export function exec(db: Db, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}

export function run(db: Db, sql: string, params: unknown[] = []): Promise<{ lastID: number; changes: number }> {
  return new Promise((resolve, reject) =>
    db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(err);
      else resolve({ lastID: this.lastID, changes: this.changes });
    }),
  );
}

export function all<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
}

export function get<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return new Promise((resolve, reject) => db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
}

export function prepare(db: Db, sql: string): Promise<Statement> {
  return new Promise((resolve, reject) => {
    const st = db.prepare(sql, (err) => (err ? reject(err) : resolve(st)));
  });
}

export function stmtRun(st: Statement, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => st.run(params, (err) => (err ? reject(err) : resolve())));
}

export function finalize(st: Statement): Promise<void> {
  return new Promise((resolve) => st.finalize(() => resolve()));
}

export function closeDb(db: Db): Promise<void> {
  return new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
}
