/**
 * Benchmark of the offline analysis: a synthetic run database of 1,000,000 logged slots with the
 * default scenario's shape (3 BSs, 6 users, 3 targets, one shadow policy; 14 million per-slot
 * rows), generated in SQL and cached under twin-runs/bench-cache/, then `analyze` timed on it
 * (and a downsampled timeseries plot). Values are full-precision doubles from a hash of
 * (slot, entity), so formatting costs are realistic.
 *
 * Run alone: node --import tsx bench/analysis.ts [slots]
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeFile } from '../src/analysis/analyze.ts';
import { renderPlot } from '../src/analysis/plot.ts';
import { execSync, openDbSync, runSync } from '../src/store/db.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from '../src/store/schema.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'twin-runs', 'bench-cache');

/** Bump when the generator changes, so a stale cache is rebuilt. */
const GENERATOR_VERSION = 1;

/** A uniform number in [0, 1) from integers, full double precision (SQL expression). */
const hash = (a: string, b: string, salt: number) => `(((${a}) * 2654435761 + (${b}) * 40503 + ${salt} * 97) % 1000003) / 1000003.0`;

/** Builds the synthetic run database (about 45 s and 600 MB for 1,000,000 slots). */
export async function buildSyntheticRun(file: string, numSlots: number): Promise<void> {
  const tmp = `${file}.partial`;
  rmSync(tmp, { force: true });
  const db = openDbSync(tmp, 'create');
  try {
    execSync(db, 'PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;');
    execSync(db, SCHEMA_SQL);
    runSync(db, `INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('kind', 'isac-twin-run')`, [String(SCHEMA_VERSION)]);
    const resolved = { name: 'bench-synthetic', seed: 1, durationSlots: numSlots, rho: 0.5, policy: { name: 'mrt', params: {} }, shadows: [{ name: 'wmmse', params: {} }] };
    runSync(
      db,
      `INSERT INTO runs (name, scenario_file, scenario_yaml, resolved_json, topology_json, seed, policy, shadows_json, package_version, backend,
        status, started_at, ended_at, slot_ms, duration_slots, slots_done, log_every, num_bs, num_users, num_targets)
       VALUES ('bench-synthetic', 'bench/analysis.ts', 'name: bench-synthetic', ?, '{}', 1, 'mrt', '["wmmse"]', 'bench', 'none',
        'completed', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', 1, ?, ?, 1, 3, 6, 3)`,
      [JSON.stringify(resolved), numSlots, numSlots],
    );
    execSync(
      db,
      `BEGIN;
CREATE TEMP TABLE n (slot INTEGER PRIMARY KEY);
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ${numSlots - 1}) INSERT INTO temp.n SELECT x FROM c;
CREATE TEMP TABLE u (user INTEGER PRIMARY KEY, bs INTEGER);
INSERT INTO temp.u VALUES (0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (5, 2);
CREATE TEMP TABLE b (bs INTEGER PRIMARY KEY);
INSERT INTO temp.b VALUES (0), (1), (2);
INSERT INTO user_slots
  SELECT slot, user, bs, 100.0 * user, 50.0 * user, sinr, 10 * log10(sinr), log2(1 + sinr), CASE WHEN slot < 2 THEN NULL ELSE 2 + slot % 10 END
  FROM (SELECT slot, user, bs, pow(10, (-12 + 20 * ${hash('slot', 'user', 1)}) / 10) AS sinr FROM temp.n, temp.u);
INSERT INTO target_slots
  SELECT slot, bs, bs, 200.0 * bs, -100.0, 30.0 * bs, 30.0 * bs + 0.5 * (${hash('slot', 'bs', 2)} - 0.5), s, 10 * log10(s), 0.5 * log2(1 + s)
  FROM (SELECT slot, bs, pow(10, (-20 + 15 * ${hash('slot', 'bs', 3)}) / 10) AS s FROM temp.n, temp.b);
INSERT INTO bs_slots
  SELECT t.slot, t.bs, 'mrt', 0, (SELECT sum(rate) FROM user_slots AS us WHERE us.slot = t.slot AND us.bs = t.bs), t.radar_rate, 1.0,
    t.theta_deg, 0.5 + 2 * ${hash('t.slot', 't.bs', 4)}, t.slot
  FROM target_slots AS t;
INSERT INTO slots
  SELECT n.slot, n.slot * 1.0, rc, rs, 0.5 * rc + 0.5 * rs
  FROM temp.n AS n, (SELECT slot, sum(sum_rate) AS rc, sum(radar_rate) AS rs FROM bs_slots GROUP BY slot) AS a WHERE a.slot = n.slot;
INSERT INTO shadow_slots SELECT slot, 'wmmse', 1.3 * rc, 1.2 * rs, 0.65 * rc + 0.6 * rs FROM slots;
INSERT INTO events (slot, t_ms, kind, bs, detail) SELECT slot, slot * 1.0, 'pilot', bs, '{}' FROM temp.n, temp.b WHERE slot % 10 = 0;
COMMIT;`,
    );
  } finally {
    db.close();
  }
  renameSync(tmp, file);
}

/** The cached synthetic database, built when missing. */
export async function syntheticRun(numSlots: number): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `synthetic-v${GENERATOR_VERSION}-${numSlots}.sqlite`);
  if (!existsSync(file)) await buildSyntheticRun(file, numSlots);
  return file;
}

/** `npm run bench` passes `{ quick }`; the standalone script passes a slot count. */
export async function benchAnalysis(o: number | { quick?: boolean } = {}): Promise<Array<{ name: string; value: number; unit: string }>> {
  // The 1,000,000-slot run is the target; it is built once and cached, so --quick keeps it.
  const numSlots = typeof o === 'number' ? o : 1_000_000;
  const t0 = performance.now();
  const file = await syntheticRun(numSlots);
  const buildS = (performance.now() - t0) / 1000;
  const label = numSlots >= 1e6 ? `${numSlots / 1e6}M` : `${numSlots / 1e3}k`;
  // Warm the page cache once, then time (best of two: the wall clock suffers from other load),
  // with the query threads (the default) and in-process, alternately.
  await analyzeFile(file);
  const best = { threads: { wall: Infinity, cpu: Infinity }, inProcess: { wall: Infinity, cpu: Infinity } };
  let rows = 0;
  for (let i = 0; i < 2; i++) {
    for (const mode of ['threads', 'inProcess'] as const) {
      const c0 = process.cpuUsage();
      const t1 = performance.now();
      const a = await analyzeFile(file, mode === 'inProcess' ? { scan: { threads: 0 } } : {});
      best[mode].wall = Math.min(best[mode].wall, (performance.now() - t1) / 1000);
      const c = process.cpuUsage(c0);
      best[mode].cpu = Math.min(best[mode].cpu, (c.user + c.system) / 1e6);
      rows = a.range.slots * (1 + 3 + 6 + 3 + 1);
    }
  }
  const analyzeS = best.threads.wall;
  const t2 = performance.now();
  await renderPlot([file], { metric: 'rate', kind: 'timeseries', format: 'svg' });
  const plotS = (performance.now() - t2) / 1000;
  return [
    { name: `analyze ${label}-slot run (wall)`, value: analyzeS, unit: 's' },
    // CPU of the process, all threads: steadier than wall time on a busy machine.
    { name: `analyze ${label}-slot run (CPU, all threads)`, value: best.threads.cpu, unit: 's' },
    { name: `analyze ${label}-slot run in-process, one thread (wall)`, value: best.inProcess.wall, unit: 's' },
    { name: 'analyze in-process / with query threads (wall)', value: best.inProcess.wall / analyzeS, unit: '×' },
    { name: 'analyze throughput', value: rows / analyzeS / 1e6, unit: 'M rows/s' },
    { name: `plot timeseries ${label}-slot run (downsampled)`, value: plotS, unit: 's' },
    { name: 'synthetic database (cached) ready', value: buildS, unit: 's' },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const n = process.argv[2] ? Number(process.argv[2]) : undefined;
  for (const r of await benchAnalysis(n)) console.log(`${r.name.padEnd(48)} ${r.value.toFixed(3).padStart(10)} ${r.unit}`);
}
