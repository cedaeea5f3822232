/** Command-line argument parsers, output-path checks and the scenario reader shared by every command. */
import { InvalidArgumentError } from 'commander';
import { closeSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { ScenarioError } from '../scenario/load.ts';
import { loadScenario, type LoadedScenario } from '../scenario/validate.ts';
import { twinPolicies } from '../learning/policies.ts';
import type { PolicyRegistry } from '../policies/registry.ts';

/** Bad command-line input found after parsing (exit code 2, one line on stderr). */
export class UsageError extends Error {}

/** A whole number in min … max. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
    if (n > max) throw new InvalidArgumentError(`expected a whole number ≤ ${max}, got "${value}"`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (immutable?)',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on the device',
};

/** "permission denied (EACCES)" */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code) return (e as Error).message;
  return REASONS[code] ? `${REASONS[code]} (${code})` : code;
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return 'notdir' as const;
    throw new UsageError(`${p}: ${errnoText(e)}`);
  }
}

/** Creates and removes a probe file in `dir`: the one test of writability that root, immutable folders and /proc all answer truthfully. */
function probeDirectory(flag: string, target: string, dir: string): void {
  const probe = path.join(dir, `.isac-twin-write-test-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(probe, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return; // someone else's probe: the folder takes files
    throw new UsageError(`${flag} ${target}: cannot create files in ${dir}: ${errnoText(e)}`);
  }
  closeSync(fd);
  unlinkSync(probe);
}

/** The nearest existing folder above `p` (itself included), or why there is none. */
function nearestExisting(flag: string, target: string, p: string): string {
  for (let d = path.resolve(p); ; d = path.dirname(d)) {
    const st = statOrUndefined(d);
    if (st === 'notdir') continue;
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`${flag} ${target}: ${d} is a file, not a directory`);
      return d;
    }
    if (d === path.dirname(d)) throw new UsageError(`${flag} ${target}: no existing folder above it`);
  }
}

/**
 * Checks, before any work starts, that `file` can be written: its folder exists and takes new
 * files, and the file is not a directory (nor an existing file when `mayExist` is false).
 * A missing folder is refused (the message says to create it) unless `createParent` — for the
 * default paths that the command documents creating (twin-runs/). Creates nothing.
 */
export function checkOutputFile(flag: string, file: string, o: { mayExist?: boolean; createParent?: boolean } = {}): void {
  const abs = path.resolve(file);
  const st = statOrUndefined(abs);
  if (st === 'notdir') {
    const d = nearestExisting(flag, file, path.dirname(abs));
    throw new UsageError(`${flag} ${file}: a part of the path is a file, not a directory (below ${d})`);
  }
  if (st) {
    if (st.isDirectory()) throw new UsageError(`${flag} ${file}: is a directory; give a file name`);
    if (!o.mayExist) throw new UsageError(`${flag} ${file}: the file exists; choose another name`);
  }
  const dir = path.dirname(abs);
  const dst = statOrUndefined(dir);
  if (dst === undefined || dst === 'notdir') {
    const d = nearestExisting(flag, file, dir);
    if (!o.createParent) throw new UsageError(`${flag} ${file}: the folder ${path.dirname(file)} does not exist; create it first (mkdir -p ${path.dirname(file)})`);
    probeDirectory(flag, file, d);
    return;
  }
  if (!dst.isDirectory()) throw new UsageError(`${flag} ${file}: ${dir} is not a directory`);
  probeDirectory(flag, file, dir);
}

/** Checks that `dir` is (or, when `create`, can be made) a writable folder. Creates nothing. */
export function checkOutputDir(flag: string, dir: string, o: { create?: boolean } = {}): void {
  const st = statOrUndefined(path.resolve(dir));
  if (st && st !== 'notdir') {
    if (!st.isDirectory()) throw new UsageError(`${flag} ${dir}: exists and is not a directory`);
    probeDirectory(flag, dir, path.resolve(dir));
    return;
  }
  const d = nearestExisting(flag, dir, path.dirname(path.resolve(dir)));
  if (st === 'notdir') throw new UsageError(`${flag} ${dir}: a part of the path is a file, not a directory (below ${d})`);
  if (!o.create) throw new UsageError(`${flag} ${dir}: does not exist; create it first`);
  probeDirectory(flag, dir, d);
}

/** Reads and validates a scenario file; every problem is a ScenarioError naming the file. */
export function readScenario(file: string, policies: PolicyRegistry = twinPolicies()): LoadedScenario {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new ScenarioError(file, [], undefined, undefined, 'is a directory, not a scenario file');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(file, [], undefined, undefined, code === 'ENOENT' ? 'no such file' : `cannot read: ${errnoText(e)}`);
  }
  return loadScenario(text, file, policies);
}
