/**
 * A file cache of the figures' multi-start WMMSE (paper 000, `figures vfl --paper`): minutes of CPU per
 * SNR point that depend on nothing a model changes. One JSON file per point, named by the hash of
 * everything the result depends on — the scenario, the test-set size, the samples WMMSE runs on, the
 * SNR chain up to this point (each point warm-starts from the previous one's solution), the iteration
 * limit, the tolerance and a code version — so a changed input misses the cache instead of reading a
 * stale result. Written atomically (tmp + rename): an interrupted run keeps the points it finished.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Beamformers } from '../phy/network.ts';
import { stableJson } from './labels.ts';

/** Bump when solvers/wmmse.ts or wmmse-multistart.ts changes what they return. */
export const WMMSE_CACHE_VERSION = 1;

export interface WmmsePoint {
  /** [sample][bs] the best start's beams. */
  W: Beamformers[];
  /** Per sample: max − min end value over the starts, and the start that won. */
  spread: number[];
  best: string[];
}

export interface WmmseCacheKey {
  scenario: unknown;
  testSamples: number;
  wmmseSamples: number;
  /** The SNR points up to and including this one, in evaluation order. */
  snrChainDb: number[];
  iterations: number;
  tolerance: number;
}

export function wmmseCacheFile(dir: string, key: WmmseCacheKey): string {
  const hash = createHash('sha256').update(stableJson({ ...key, v: WMMSE_CACHE_VERSION })).digest('hex').slice(0, 24);
  return path.join(dir, `paper000-wmmse-${hash}.json`);
}

/** The cached point, or undefined (absent, or written for another sample count). */
export function readWmmsePoint(file: string, samples: number): WmmsePoint | undefined {
  if (!existsSync(file)) return undefined;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { W: number[][][]; spread: number[]; best: string[] };
  if (raw.W.length !== samples || raw.spread.length !== samples || raw.best.length !== samples) return undefined;
  return { W: raw.W.map((bs) => bs.map((w) => Float64Array.from(w))), spread: raw.spread, best: raw.best };
}

export function writeWmmsePoint(file: string, p: WmmsePoint): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const text = JSON.stringify({ W: p.W.map((bs) => bs.map((w) => Array.from(w))), spread: p.spread, best: p.best });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
