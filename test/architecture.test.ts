/**
 * Keeps the layers honest (STYLE.md habit 10): the core — sim, phy, metrics, policies, solvers,
 * scenario — is pure and deterministic. It may not import I/O, UI or tfjs backend modules, nor
 * read the wall clock or Math.random. Side effects live in app/, store/, dashboard/, cli/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const CORE = ['sim', 'phy', 'metrics', 'policies', 'solvers', 'scenario'];
const FORBIDDEN_IMPORTS = /from\s+'(node:)?(fs|fs\/promises|child_process|worker_threads|net|http|timers|timers\/promises|perf_hooks)'|from\s+'(sqlite3|better-sqlite3|ink|react|cli-progress|@tensorflow\/tfjs-node|@tensorflow\/tfjs-backend-wasm)'|from\s+'\.\.\/(store|dashboard|cli|app|analysis)\//;
const FORBIDDEN_CALLS = /\b(Date\.now|new Date\(|Math\.random|performance\.now|setTimeout|setInterval|setImmediate|process\.hrtime)\b/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx|mts|js|mjs)$/.test(f) ? [p] : [];
  });
}

test('the core imports no I/O, UI or tfjs backends and never reads the clock or Math.random', () => {
  const offenders: string[] = [];
  for (const dir of CORE) {
    for (const file of files(path.join('src', dir))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '');
          if (/^\s*(\*|\/\*)/.test(line)) return; // comments
          if (FORBIDDEN_IMPORTS.test(code) || FORBIDDEN_CALLS.test(code)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.equal(offenders, []);
});

test('the rule itself catches what it should (so it cannot silently pass)', () => {
  assert.ok(FORBIDDEN_IMPORTS.test("import sqlite3 from 'sqlite3';"));
  assert.ok(FORBIDDEN_IMPORTS.test("import Database from 'better-sqlite3';"));
  assert.ok(FORBIDDEN_IMPORTS.test("import { RunStore } from '../store/run-store.ts';"));
  assert.ok(FORBIDDEN_CALLS.test('const t = Date.now();'));
  assert.ok(FORBIDDEN_CALLS.test('x = Math.random()'));
  assert.not.ok(FORBIDDEN_IMPORTS.test("import { Subject } from 'rxjs';"));
});

test.run();
