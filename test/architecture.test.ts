/**
 * Keeps the layers honest (STYLE.md habit 10): the core — sim, phy, metrics, policies, solvers,
 * scenario — is pure and deterministic. It may not import I/O, UI or tfjs backend modules (single-
 * or double-quoted, side-effect, re-exported or dynamic imports, require), nor read the wall
 * clock, Math.random, process.*, console.* or crypto. Side effects live in app/, store/,
 * dashboard/, cli/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const CORE = ['sim', 'phy', 'metrics', 'policies', 'solvers', 'scenario'];
/** Modules the core may not load, however written: Node I/O, clocks, crypto, the OS; drivers, UI, tfjs backends; the outer layers. */
const FORBIDDEN_MODULE =
  String.raw`(?:node:)?(?:fs|fs/promises|child_process|worker_threads|cluster|net|http|https|http2|dgram|dns|tls|os|readline|process|timers|timers/promises|perf_hooks|crypto|v8|vm)|` +
  String.raw`sqlite3|better-sqlite3|ink|react|cli-progress|@tensorflow/tfjs-node|@tensorflow/tfjs-backend-wasm|` +
  String.raw`(?:\.\./)+(?:store|dashboard|cli|app|analysis)/[^'"\`]*`;
/** `from '…'`, `from "…"`, side-effect `import '…'`, `export … from`, and dynamic `import('…')` / `import(\`…\`)`. */
const FORBIDDEN_IMPORTS = new RegExp(String.raw`(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)(['"\`])(?:${FORBIDDEN_MODULE})\1`);
/** A dynamic import or require of anything at all (the core's imports are static and checked above). */
const DYNAMIC_LOADS = /\bimport\s*\(|\brequire\s*\(|\brequire\.resolve\b|\bcreateRequire\b/;
const FORBIDDEN_CALLS = /\b(Date\.now|new Date\(|Math\.random|performance\.now|setTimeout|setInterval|setImmediate|queueMicrotask|process\.hrtime)\b|\bprocess\s*\.|\bprocess\s*\[|\bconsole\s*\.|\bcrypto\b/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx|mts|js|mjs)$/.test(f) ? [p] : [];
  });
}

test('the core imports no I/O, UI or tfjs backends (statically or dynamically), never reads the clock, Math.random, process, console or crypto', () => {
  const offenders: string[] = [];
  for (const dir of CORE) {
    for (const file of files(path.join('src', dir))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '');
          if (/^\s*(\*|\/\*)/.test(line)) return; // comments
          if (FORBIDDEN_IMPORTS.test(code) || DYNAMIC_LOADS.test(code) || FORBIDDEN_CALLS.test(code)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.equal(offenders, []);
});

test('the rule itself catches what it should (so it cannot silently pass)', () => {
  const caught = (line: string) => FORBIDDEN_IMPORTS.test(line) || DYNAMIC_LOADS.test(line) || FORBIDDEN_CALLS.test(line);
  for (const line of [
    "import sqlite3 from 'sqlite3';",
    'import Database from "better-sqlite3";',
    "import { RunStore } from '../store/run-store.ts';",
    'import { RunStore } from "../../store/run-store.ts";',
    "export { openDbSync } from '../store/db.ts';",
    "import { readFileSync } from 'fs';",
    'import { readFileSync } from "node:fs";',
    "import 'node:fs';",
    'import "fs/promises";',
    "import { randomBytes } from 'node:crypto';",
    'import os from "os";',
    'const fs = await import("fs");',
    "const fs = await import('node:fs');",
    'const m = await import(`node:${name}`);',
    "const m = await import(spec);",
    "const fs = require('fs');",
    'const { createRequire } = mod; const req = createRequire(url);',
    'const t = Date.now();',
    'x = Math.random()',
    'if (process.env.DEBUG) debug();',
    "const argv = process['argv'];",
    'console.log(x);',
    'console.warn("slow");',
    'const id = crypto.randomUUID();',
    'globalThis.crypto.getRandomValues(buf);',
    'queueMicrotask(fn);',
  ]) {
    assert.ok(caught(line), `not caught: ${line}`);
  }
  for (const line of [
    "import { Subject } from 'rxjs';",
    "import { czeros } from '../phy/complex.ts';",
    'import type { Scenario } from "../scenario/schema.ts";',
    "import { parse } from 'yaml';",
    "import { z } from 'zod';",
    'const processed = processSlot(x); // a name containing "process"',
    'const consoles = 2;',
    'const reportedCount = 1;',
  ]) {
    assert.not.ok(caught(line), `wrongly caught: ${line}`);
  }
});

test.run();
