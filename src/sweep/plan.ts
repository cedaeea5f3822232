/**
 * Sweep file → plan: the validated sweep, its base scenario and every job with its resolved
 * scenario, stable id and channel key. Everything is checked before anything is written: the
 * sweep file against its schema, each field path against the scenario schema (an unknown path
 * names the sweep file, line and field), each value against the field's schema, and each job's
 * whole scenario through the scenario loader (cross-field rules such as a speed spread below the
 * speed), so a bad combination is refused at the axis value that makes it. Every problem is one
 * SweepError: `sweeps/x.yaml:7:28: axes[0].grid["users.mobility.speedMps"][1]: must be a number, got string "fast"`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
// Registers the learned policies (vfl, percell) so that jobs running them validate.
import { builtinFamilies, resolveModelDir, twinPolicies } from '../learning/policies.ts';
import { METRICS } from '../analysis/metrics.ts';
import { describeIssue, formatPath, parseYaml, ScenarioError, zodToScenarioError, type FieldPath, type SourceMap } from '../scenario/load.ts';
import { scenarioSchema, type PolicySpec, type Scenario } from '../scenario/schema.ts';
import { loadScenario, type LoadedScenario } from '../scenario/validate.ts';
import { COLUMNS } from '../store/schema.ts';
import { channelKey, jobId } from './job-id.ts';
import { checkValue, parsePath, pathText, schemaAt, setAt, type PathSegment } from './paths.ts';
import { sweepSchema, type SweepFile } from './schema.ts';

/** Most jobs one sweep may expand to (a typo such as 1e6 seeds is refused, not started). */
export const MAX_JOBS = 100000;

/** A problem in a sweep file (exit code 2): file:line:column: field: problem. */
export class SweepError extends ScenarioError {
  constructor(file: string, fieldPath: FieldPath, line: number | undefined, column: number | undefined, problem: string) {
    super(file, fieldPath, line, column, problem);
    this.name = 'SweepError';
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    this.message = `${where}: ${fieldPath.length ? `${sweepPathText(fieldPath)}: ` : ''}${problem}`;
  }
}

/** `axes[0].grid["users.mobility.speedMps"][1]`: keys that hold dots are quoted. */
export function sweepPathText(p: FieldPath): string {
  let out = '';
  for (const s of p) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Metrics a job can summarise: the analysis metrics, the outage share and the fallback share. */
export const EXTRA_METRICS = {
  outage: 'share of user-slots in outage (rate below 0.1 bit/s/Hz, or switched off)',
  fallback: 'share of BS-slots served by the fallback policy',
} as const;

/** Per-target localisation metrics (loc_slots), for scenarios with `localization`. */
export const LOCALIZATION_METRICS: readonly string[] = COLUMNS.loc_slots.filter((c) => /^(crlb|rmse_bound|est_error)/.test(c));

export function knownMetrics(localization: boolean): string[] {
  return [...METRICS.map((m) => m.name), ...Object.keys(EXTRA_METRICS), ...(localization ? LOCALIZATION_METRICS : [])];
}

export interface SweepAxis {
  /** The field path as written (`users.mobility.speedMps`). */
  path: string;
  segments: PathSegment[];
  /** Short name: the last segment when no other axis ends the same way, else the path. */
  short: string;
  values: unknown[];
  group: number;
  kind: 'grid' | 'zip';
}

export interface SweepPolicy {
  label: string;
  spec: PolicySpec;
}

export interface SweepJob {
  id: string;
  /** Position in the expansion (points, then seeds, then policies). */
  index: number;
  /** Axis path → value. */
  point: Record<string, unknown>;
  policy: string;
  policySpec: PolicySpec;
  seed: number;
  /** The job's resolved scenario. */
  scenario: Scenario;
  /** Its YAML (what the job's run database stores as the scenario). */
  text: string;
  channelKey: string;
  /** `speedMps 10 · pilotPeriodSlots 5 · vfl · seed 3` */
  label: string;
}

export interface SweepPlan {
  file: string;
  text: string;
  spec: SweepFile;
  name: string;
  description?: string;
  base: LoadedScenario;
  baseFile: string;
  axes: SweepAxis[];
  policies: SweepPolicy[];
  seeds: number[];
  metrics: string[];
  outDir: string;
  codeVersion: string;
  jobs: SweepJob[];
}

export interface PlanOptions {
  codeVersion: string;
  /** Output folder given on the command line (relative to the current folder). */
  out?: string;
}

/** Reads and plans a sweep file; every problem is a SweepError (or the base scenario's ScenarioError). */
export function readSweep(file: string, o: PlanOptions): SweepPlan {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new SweepError(file, [], undefined, undefined, 'is a directory, not a sweep file');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof SweepError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SweepError(file, [], undefined, undefined, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`);
  }
  return planSweep(text, file, o);
}

function rethrowAsSweep(e: unknown): never {
  if (e instanceof ScenarioError && !(e instanceof SweepError)) throw new SweepError(e.file, e.path, e.line, e.column, e.problem);
  throw e;
}

/** Plans a sweep from its text (the base scenario is read from disk, relative to `file`). */
export function planSweep(text: string, file: string, o: PlanOptions): SweepPlan {
  let value: unknown;
  let map: SourceMap;
  try {
    ({ value, map } = parseYaml(text, file));
  } catch (e) {
    rethrowAsSweep(e);
  }
  const fail = (p: FieldPath, problem: string, atKey = false): never => {
    const at = map.locate(p, atKey);
    throw new SweepError(file, p, at?.line, at?.column, problem);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail([], 'a sweep file must be a YAML mapping of fields (name, scenario, axes, …)');
  const parsed = sweepSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) rethrowAsSweep(zodToScenarioError(parsed.error.issues, file, map));
  const spec = parsed.data;

  // The base scenario, relative to the sweep file.
  const baseFile = path.isAbsolute(spec.scenario) ? spec.scenario : path.join(path.dirname(file), spec.scenario);
  if (!existsSync(baseFile)) fail(['scenario'], `no such file ${spec.scenario} (looked for ${baseFile}: the path is relative to the sweep file)`);
  if (statSync(baseFile).isDirectory()) fail(['scenario'], `${spec.scenario} is a directory, not a scenario file`);
  const registry = twinPolicies();
  const base = loadScenario(readFileSync(baseFile, 'utf8'), baseFile, registry);

  // Fixed overrides.
  const checkPath = (written: string, where: FieldPath, atKey: boolean): { segments: PathSegment[]; schemas: ReturnType<typeof schemaAtOk> } => {
    const p = parsePath(written);
    if ('problem' in p) return fail(where, p.problem, atKey);
    const head = p.segments[0];
    if (head === 'seed') fail(where, 'the seed is set by the sweep’s seeds field, not as a field path', atKey);
    if (head === 'policy') fail(where, 'the policy is set by the sweep’s policies field (name and params), not as a field path', atKey);
    const found = schemaAt(scenarioSchema, p.segments);
    if (!found.ok) fail(where, `unknown scenario field ${written}: ${found.problem}`, atKey);
    return { segments: p.segments, schemas: schemaAtOk(found) };
  };
  const checkOne = (schemas: ReturnType<typeof schemaAtOk>, v: unknown, where: FieldPath) => {
    const issue = checkValue(schemas, v);
    if (issue) fail([...where, ...(issue.path as Array<string | number>)], describeIssue(issue));
  };
  const sets: Array<{ path: string; segments: PathSegment[] }> = [];
  for (const [written, v] of Object.entries(spec.set)) {
    const { segments, schemas } = checkPath(written, ['set', written], true);
    checkOne(schemas, v, ['set', written]);
    sets.push({ path: written, segments });
  }

  // Axes.
  const axes: SweepAxis[] = [];
  spec.axes.forEach((g, gi) => {
    const kinds = (['grid', 'zip'] as const).filter((k) => g[k] !== undefined);
    if (kinds.length !== 1) fail(['axes', gi], kinds.length ? 'give either grid or zip in one axis group, not both' : 'an axis group needs grid: or zip: with field paths and their values');
    const kind = kinds[0];
    const fields = Object.entries(g[kind]!);
    if (!fields.length) fail(['axes', gi, kind], `${kind} needs at least one field path with its values`);
    if (kind === 'zip') {
      const n = fields[0][1].length;
      for (const [written, vs] of fields) {
        if (vs.length !== n) fail(['axes', gi, kind, written], `zip fields take their values together: ${vs.length} values here, ${n} for ${fields[0][0]}`, true);
      }
    }
    for (const [written, vs] of fields) {
      const { segments, schemas } = checkPath(written, ['axes', gi, kind, written], true);
      vs.forEach((v, j) => checkOne(schemas, v, ['axes', gi, kind, written, j]));
      const seen = new Set<string>();
      vs.forEach((v, j) => {
        const key = JSON.stringify(v);
        if (seen.has(key)) fail(['axes', gi, kind, written, j], `the value ${key} is listed twice`);
        seen.add(key);
      });
      axes.push({ path: written, segments, short: written, values: vs, group: gi, kind });
    }
  });
  // No field twice, and no field inside another one (both would set the same value).
  const all = [...sets.map((s) => ({ ...s, where: ['set', s.path] as FieldPath })), ...axes.map((a) => ({ path: a.path, segments: a.segments, where: ['axes', a.group, a.kind, a.path] as FieldPath }))];
  for (let i = 0; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [all[i], all[j]];
      const n = Math.min(a.segments.length, b.segments.length);
      if (a.segments.slice(0, n).every((s, k) => s === b.segments[k])) {
        fail(a.where, a.segments.length === b.segments.length ? `${a.path} is also given at ${sweepPathText(b.where)}` : `${a.path} and ${b.path} (at ${sweepPathText(b.where)}) overlap: one is inside the other`, true);
      }
    }
  }
  for (const a of axes) {
    const last = String(a.segments[a.segments.length - 1]);
    if (axes.filter((b) => String(b.segments[b.segments.length - 1]) === last).length === 1) a.short = last;
  }

  // Policies, seeds, metrics.
  const policies: SweepPolicy[] = spec.policies
    ? spec.policies.map((p) => (typeof p === 'string' ? { label: p, spec: { name: p, params: {} } } : { label: p.label ?? p.name, spec: { name: p.name, params: p.params } }))
    : [{ label: base.scenario.policy.name, spec: base.scenario.policy }];
  policies.forEach((p, i) => {
    const j = policies.findIndex((q) => q.label === p.label);
    if (j !== i) fail(['policies', i], `the label "${p.label}" is used by policies[${j}] too: give each a distinct label ({ name, params, label })`);
  });
  const seeds = spec.seeds === undefined ? [base.scenario.seed] : Array.isArray(spec.seeds) ? spec.seeds : Array.from({ length: spec.seeds.count }, (_, i) => (spec.seeds as { from: number }).from + i);
  seeds.forEach((s, i) => {
    if (seeds.indexOf(s) !== i) fail(['seeds', i], `seed ${s} is listed twice`);
  });
  if (seeds.some((s) => s > Number.MAX_SAFE_INTEGER)) fail(['seeds'], 'seeds must stay below 2^53');
  const known = knownMetrics(base.scenario.localization !== undefined);
  spec.metrics.forEach((m, i) => {
    if (!known.includes(m)) fail(['metrics', i], `unknown metric "${m}"; known metrics: ${known.join(', ')}`);
    if (spec.metrics.indexOf(m) !== i) fail(['metrics', i], `metric "${m}" is listed twice`);
  });

  // Points: the product of the groups (first group outermost); a zip group is one index.
  const groups = spec.axes.map((_, gi) => axes.filter((a) => a.group === gi));
  const sizes = groups.map((g) => (g[0].kind === 'zip' ? g[0].values.length : g.reduce((n, a) => n * a.values.length, 1)));
  const numPoints = sizes.reduce((a, b) => a * b, 1);
  const numJobs = numPoints * seeds.length * policies.length;
  if (numJobs > MAX_JOBS) fail(spec.axes.length ? ['axes'] : ['seeds'], `the sweep expands to ${numJobs} jobs (${numPoints} points × ${seeds.length} seeds × ${policies.length} policies), more than ${MAX_JOBS}`, true);
  const points: Array<Record<string, unknown>> = [];
  for (let p = 0; p < numPoints; p++) {
    const point: Record<string, unknown> = {};
    let rest = p;
    for (let gi = groups.length - 1; gi >= 0; gi--) {
      const k = rest % sizes[gi];
      rest = Math.floor(rest / sizes[gi]);
      const g = groups[gi];
      if (g[0].kind === 'zip') for (const a of g) point[a.path] = a.values[k];
      else {
        let r = k;
        for (let ai = g.length - 1; ai >= 0; ai--) {
          point[g[ai].path] = g[ai].values[r % g[ai].values.length];
          r = Math.floor(r / g[ai].values.length);
        }
      }
    }
    points.push(point);
  }

  const describePoint = (point: Record<string, unknown>) => axes.map((a) => `${a.short} ${valueText(point[a.path])}`);
  const jobs: SweepJob[] = [];
  const modelCache = new Map<string, string>();
  const baseResolved = base.scenario;
  for (const point of points) {
    for (const seed of seeds) {
      policies.forEach((pol, pi) => {
        const s = structuredClone(baseResolved) as unknown as Record<string, unknown>;
        for (const set of sets) setAtOrFail(s, set.segments, spec.set[set.path], ['set', set.path]);
        for (const a of axes) setAtOrFail(s, a.segments, point[a.path], ['axes', a.group, a.kind, a.path, a.values.indexOf(point[a.path])]);
        s.seed = seed;
        s.policy = structuredClone(pol.spec);
        const label = [...describePoint(point), pol.label, `seed ${seed}`].join(' · ');
        const jobFile = `${file} (job ${label})`;
        const header = `# sweep ${spec.name}: ${label}\n# base scenario ${baseFile}\n`;
        const jobText = header + stringify(s, { lineWidth: 0 });
        let loaded: LoadedScenario;
        try {
          loaded = loadScenario(jobText, jobFile, registry);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          const source = blame(e.path, pi, sets, axes, point, spec.policies !== undefined);
          const at = map.locate(source.where, source.atKey);
          throw new SweepError(file, source.where, at?.line, at?.column, `the job ${label} is not a valid scenario: ${e.path.length ? `${formatPath(e.path)}: ` : ''}${e.problem}`);
        }
        const models = modelDigests(loaded.scenario, modelCache);
        const code = o.codeVersion;
        jobs.push({
          id: jobId({ scenario: loaded.scenario, seed, policy: pol.spec, codeVersion: code, models }),
          index: jobs.length,
          point,
          policy: pol.label,
          policySpec: pol.spec,
          seed,
          scenario: loaded.scenario,
          text: jobText,
          channelKey: channelKey(loaded.scenario, code),
          label,
        });
      });
    }
  }
  const ids = new Map<string, SweepJob>();
  for (const j of jobs) {
    const twin = ids.get(j.id);
    if (twin) fail(spec.axes.length ? ['axes'] : ['policies'], `the jobs ${twin.label} and ${j.label} are the same scenario (a value equal to the default written twice?)`, true);
    ids.set(j.id, j);
  }

  const outDir = o.out ?? (spec.out ? (path.isAbsolute(spec.out) ? spec.out : path.join(path.dirname(file), spec.out)) : path.join('twin-runs', 'sweeps', spec.name));
  return {
    file,
    text,
    spec,
    name: spec.name,
    description: spec.description,
    base,
    baseFile,
    axes,
    policies,
    seeds,
    metrics: spec.metrics,
    outDir,
    codeVersion: o.codeVersion,
    jobs,
  };

  function setAtOrFail(s: Record<string, unknown>, segments: PathSegment[], v: unknown, where: FieldPath): void {
    const problem = setAt(s, segments, v);
    if (problem) fail(where, `cannot set ${pathText(segments)} on the base scenario: ${problem}`, true);
  }
}

function schemaAtOk(found: ReturnType<typeof schemaAt>) {
  if (!found.ok) throw new Error('unreachable');
  return found.schemas;
}

/**
 * Which field of the sweep file a job's scenario error is about: the policy entry for errors
 * under `policy`; else the axis or fixed override sharing the longest leading part of the
 * error's path (the field itself, one inside it, or a sibling such as speedSpreadMps for an axis
 * over speedMps); else the base scenario.
 */
function blame(
  errPath: FieldPath,
  policyIndex: number,
  sets: ReadonlyArray<{ path: string; segments: PathSegment[] }>,
  axes: readonly SweepAxis[],
  point: Record<string, unknown>,
  policiesGiven: boolean,
): { where: FieldPath; atKey: boolean } {
  if (errPath[0] === 'policy') return policiesGiven ? { where: ['policies', policyIndex], atKey: false } : { where: ['scenario'], atKey: false };
  const common = (segs: readonly PathSegment[]) => {
    let n = 0;
    while (n < segs.length && n < errPath.length && segs[n] === errPath[n]) n++;
    return n;
  };
  let best: { where: FieldPath; atKey: boolean } = { where: ['scenario'], atKey: false };
  let bestN = 0;
  for (const a of axes) {
    const n = common(a.segments);
    if (n > bestN) {
      bestN = n;
      best = { where: ['axes', a.group, a.kind, a.path, a.values.indexOf(point[a.path])], atKey: false };
    }
  }
  for (const s of sets) {
    const n = common(s.segments);
    if (n > bestN) {
      bestN = n;
      best = { where: ['set', s.path], atKey: false };
    }
  }
  return best;
}

/** A value as the job labels show it. */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Digest of each learned policy's model metadata (acting and shadows), by policy name. */
function modelDigests(s: Scenario, cache: Map<string, string>): Record<string, string> {
  const families = builtinFamilies();
  const out: Record<string, string> = {};
  for (const spec of [s.policy, ...s.shadows]) {
    const family = families.get(spec.name);
    if (!family) continue;
    const model = typeof spec.params.model === 'string' ? spec.params.model : family.defaultModel;
    if (!model) continue;
    const meta = path.join(resolveModelDir(model), 'metadata.json');
    let digest = cache.get(meta);
    if (digest === undefined) {
      digest = existsSync(meta) ? createHash('sha256').update(readFileSync(meta)).digest('hex').slice(0, 16) : 'missing';
      cache.set(meta, digest);
    }
    out[`${spec.name}:${model}`] = digest;
  }
  return out;
}
