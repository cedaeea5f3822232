/**
 * The code version of a sweep job: the package version (what run databases and model metadata
 * already record as `package_version` / `codeVersion`) plus a digest of the sources that compute
 * the numbers, so that a changed twin re-runs the jobs it would compute differently even when
 * nobody bumped the version, and a worker on another machine is refused unless it runs the same
 * code. `0.1.0+src.3f9c0a1b2d4e` reads "version 0.1.0, sources 3f9c…".
 *
 * The digest covers the sources that compute a job's numbers — every file under src/ except the
 * user interface (src/cli, src/dashboard) and the sweep machinery (src/sweep, but for the job
 * runner that summarises a job) — path and content, line endings normalised so a Windows checkout
 * agrees with a Linux one; and the dependency lock (package-lock.json: the tfjs and solver
 * libraries the numbers depend on). Hashing them takes a few milliseconds. So editing the
 * progress display re-runs nothing, editing a policy re-runs every job.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Whether a file (path relative to the package root, with /) decides a job's numbers. */
export function computesNumbers(rel: string): boolean {
  if (!rel.startsWith('src/')) return false;
  if (rel.startsWith('src/cli/') || rel.startsWith('src/dashboard/')) return false;
  if (rel.startsWith('src/sweep/')) return rel === 'src/sweep/runner.ts';
  return true;
}

/** Digest (12 hex digits) of the sources under `root`/src that compute numbers, and its package-lock.json. */
export function sourceDigest(root = ROOT): string {
  const h = createHash('sha256');
  const files = filesUnder(path.join(root, 'src'))
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .filter(computesNumbers)
    .sort();
  if (existsSync(path.join(root, 'package-lock.json'))) files.push('package-lock.json');
  for (const rel of files) {
    const text = readFileSync(path.join(root, rel)).toString('latin1').replace(/\r\n/g, '\n');
    h.update(`${rel}\0${text.length}\0`);
    h.update(text, 'latin1');
  }
  return h.digest('hex').slice(0, 12);
}

/** The package version from `root`/package.json. */
export function packageVersionAt(root = ROOT): string {
  return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

let cached: string | undefined;

/** Environment variable that replaces the computed code version (see codeVersion). */
export const CODE_VERSION_ENV = 'ISAC_TWIN_CODE_VERSION';

/**
 * `<package version>+src.<digest>` of this installation (computed once per process), or the value
 * of ISAC_TWIN_CODE_VERSION when set: for machines whose trees differ in files known not to change
 * the numbers, and for tests that edit nothing but run beside people who do. Whoever sets it
 * vouches that the jobs compute the same numbers.
 */
export function codeVersion(): string {
  const forced = process.env[CODE_VERSION_ENV];
  if (forced) return forced;
  cached ??= `${packageVersionAt()}+src.${sourceDigest()}`;
  return cached;
}
