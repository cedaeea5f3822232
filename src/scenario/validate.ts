/**
 * Scenario text → a scenario the twin can run: YAML syntax, schema, then the checks that need
 * several fields at once (counts that must agree, delays that must be whole slots, policies that
 * must exist and fit the topology). Every failure is one ScenarioError with file, path and line.
 */
import { buildTopology, type Topology } from '../phy/network.ts';
import { checkPolicySpec, resolvePolicy } from '../policies/registry.ts';
import { parseScenarioText, ScenarioError, type FieldPath, type SourceMap } from './load.ts';
import type { PolicySpec, Scenario } from './schema.ts';

export interface LoadedScenario {
  scenario: Scenario;
  topology: Topology;
  /** The original text (stored with every run). */
  text: string;
  file: string;
}

/** Whole multiples within floating-point noise. */
function isMultiple(value: number, step: number): boolean {
  const q = value / step;
  return Math.abs(q - Math.round(q)) < 1e-9 * Math.max(1, q);
}

export function loadScenario(text: string, file: string): LoadedScenario {
  const { scenario: s, map } = parseScenarioText(text, file);
  const fail = (path: FieldPath, message: string, atKey = false): never => {
    const at = map.locate(path, atKey);
    throw new ScenarioError(file, path, at?.line, at?.column, message);
  };
  const M = s.topology.numCells;
  if (s.topology.layout === 'explicit') {
    const n = s.topology.bsPositionsM?.length;
    if (n === undefined) fail(['topology', 'layout'], 'layout "explicit" needs topology.bsPositionsM');
    if (n !== M) fail(['topology', 'bsPositionsM'], `${n} positions given for numCells = ${M}`);
  }
  for (const group of ['users', 'targets'] as const) {
    const g = s[group];
    const p = g.placement;
    if (p.model === 'explicit' && p.positionsM.length !== g.perCell * M) {
      fail([group, 'placement', 'positionsM'], `${p.positionsM.length} positions given for ${g.perCell} per cell × ${M} cells`);
    }
    if (p.model === 'uniform-in-cell') {
      const max = p.maxDistanceM ?? s.topology.cellRadiusM;
      if (p.minDistanceM >= max) fail([group, 'placement', 'minDistanceM'], `must be below the maximum distance (${max} m)`);
    }
    if (p.model === 'uniform-in-rect' && p.rectsM.length !== 1 && p.rectsM.length !== M) {
      fail([group, 'placement', 'rectsM'], `${p.rectsM.length} rectangles given: one for all cells or one per cell (${M})`);
    }
  }
  const loc = s.localization;
  if (loc) {
    if (M * loc.tmtPositionsM.length < 2) {
      fail(['localization', 'tmtPositionsM'], `${M} BS × ${loc.tmtPositionsM.length} TMT give one delay: two are needed to locate a target in the plane`);
    }
    if (loc.targets.mobility.model === 'lane' && loc.targets.mobility.frame === 'cell') {
      fail(['localization', 'targets', 'mobility', 'frame'], 'localised targets belong to no cell: use frame "world"');
    }
    if (loc.targets.mobility.model === 'waypoints' && loc.targets.mobility.frame === 'cell') {
      fail(['localization', 'targets', 'mobility', 'frame'], 'localised targets belong to no cell: use frame "world"');
    }
  }
  const slot = s.timing.slotMs;
  if (!isMultiple(s.timing.csiFeedbackDelayMs, slot)) {
    fail(['timing', 'csiFeedbackDelayMs'], `${s.timing.csiFeedbackDelayMs} ms is not a multiple of the slot (${slot} ms): CSI reports travel in uplink slots`);
  }
  const topology = buildTopology(s);
  const checkSpec = (spec: PolicySpec, path: FieldPath) => {
    const problem = checkPolicySpec(spec, topology);
    if (problem) fail([...path, ...problem.path], problem.message, problem.atKey);
  };
  checkSpec(s.policy, ['policy']);
  s.shadows.forEach((spec, i) => checkSpec(spec, ['shadows', i]));
  const fallback = { name: s.timing.decision.fallback, params: {} };
  checkSpec(fallback, ['timing', 'decision', 'fallback']);
  if (resolvePolicy(fallback, topology).scope !== 'distributed') {
    fail(['timing', 'decision', 'fallback'], `the fallback acts at each BS on its own CSI: "${fallback.name}" is centralised`);
  }
  return { scenario: s, topology, text, file };
}

/** Applies command-line overrides (seed, policy, slots) and re-validates through the same path. */
export function withOverrides(
  loaded: LoadedScenario,
  o: { seed?: number; policy?: string; slots?: number; logEvery?: number; shadows?: string[] },
): LoadedScenario {
  const s = structuredClone(loaded.scenario);
  if (o.seed !== undefined) s.seed = o.seed;
  if (o.policy !== undefined) s.policy = { name: o.policy, params: s.policy.name === o.policy ? s.policy.params : {} };
  if (o.slots !== undefined) s.durationSlots = o.slots;
  if (o.logEvery !== undefined) s.logging.everySlots = o.logEvery;
  if (o.shadows !== undefined) s.shadows = o.shadows.map((name) => ({ name, params: {} }));
  const topology = buildTopology(s);
  const check = (spec: PolicySpec, flag: string) => {
    const problem = checkPolicySpec(spec, topology);
    if (problem) throw new ScenarioError('command line', [flag], undefined, undefined, problem.message);
  };
  if (o.policy !== undefined) check(s.policy, '--policy');
  s.shadows.forEach((spec) => check(spec, '--shadow'));
  return { ...loaded, scenario: s, topology };
}

export type { SourceMap };
