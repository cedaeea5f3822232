/**
 * Scenario text → a scenario the twin can run: YAML syntax, schema, then the checks that need
 * several fields at once (counts that must agree, delays that must be whole slots, policies that
 * must exist and fit the topology). Every failure is one ScenarioError with file, path and line.
 */
import { buildTopology, numCellsOf, type Topology } from '../phy/network.ts';
import type { PolicyProblem, PolicyRegistry } from '../policies/registry.ts';
import { describeIssue, parseScenarioText, ScenarioError, type FieldPath, type SourceMap } from './load.ts';
import { LIMITS, type MobilitySpec, type PolicySpec, type Scenario } from './schema.ts';

export interface LoadedScenario {
  scenario: Scenario;
  topology: Topology;
  /** The original text (stored with every run). */
  text: string;
  file: string;
  /** The policies the scenario was checked against; the twin builds its policies from them. */
  policies: PolicyRegistry;
}

/** Whole multiples within floating-point noise. */
function isMultiple(value: number, step: number): boolean {
  const q = value / step;
  return Math.abs(q - Math.round(q)) < 1e-9 * Math.max(1, q);
}

/** The most memory a scenario's channel state may need (validation refuses more). */
export const MEMORY_LIMIT_BYTES = 4 * 2 ** 30;

/**
 * Estimate of the memory (bytes) the twin's channel state needs, from the counts alone: complex
 * float64 (16 B) per entry of the channel H (M·U·N_T, held twice: the field and the true
 * channel), the BS–BS channel G (M²·N_R·N_T), the CSI views of every AP and the central unit
 * ((M+1)·M·U·N_T), and for clarke fading 6 float64 per sinusoid (M·U·N_T·sinusoids).
 */
export function estimateMemoryBytes(s: Scenario): { bytes: number; terms: Record<string, number> } {
  const M = s.topology.kind === 'cell-free' ? s.topology.cellFree.numAps : s.topology.numCells;
  const cells = numCellsOf(s);
  const U = cells * s.users.perCell + (s.sensing.streams ?? (s.topology.kind === 'cell-free' ? 1 : 0));
  const T = cells * s.targets.perCell;
  const NT = s.topology.numTxAnt;
  const NR = s.topology.numRxAnt;
  const sinusoids = s.channel.fading.model === 'clarke' ? s.channel.fading.sinusoids : 0;
  const terms = {
    channels: 16 * 2 * M * U * NT,
    'BS–BS channel': 16 * M * M * NR * NT,
    'CSI views': 16 * (M + 1) * M * U * NT,
    'fading sinusoids': 48 * M * U * NT * sinusoids,
    targets: 16 * 2 * M * T * (NT + NR),
  };
  return { bytes: Object.values(terms).reduce((a, b) => a + b, 0), terms };
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 10 * 2 ** 30 ? 1 : 0)} GiB`;

/** Refuses a scenario whose channel state cannot fit in MEMORY_LIMIT_BYTES (the message names the fields). */
function memoryProblem(s: Scenario): { path: FieldPath; message: string } | undefined {
  const { bytes, terms } = estimateMemoryBytes(s);
  if (bytes <= MEMORY_LIMIT_BYTES) return undefined;
  const cellFree = s.topology.kind === 'cell-free';
  const top = Object.entries(terms).sort((a, b) => b[1] - a[1])[0];
  const fields = [
    cellFree ? `topology.cellFree.numAps = ${s.topology.cellFree.numAps}` : `topology.numCells = ${s.topology.numCells}`,
    `users.perCell = ${s.users.perCell}`,
    `topology.numTxAnt = ${s.topology.numTxAnt}`,
    `topology.numRxAnt = ${s.topology.numRxAnt}`,
    ...(s.channel.fading.model === 'clarke' ? [`channel.fading.sinusoids = ${s.channel.fading.sinusoids}`] : []),
  ];
  return {
    path: ['topology'],
    message: `the channel state would need about ${gib(bytes)} of memory (most for the ${top[0]}: ${gib(top[1])}), more than the ${gib(MEMORY_LIMIT_BYTES)} limit: reduce ${fields.join(', ')}`,
  };
}

/** A parameter's problem in the wording of the scenario's own messages (the registry passes zod's). */
function policyProblemMessage(policies: PolicyRegistry, spec: PolicySpec, problem: PolicyProblem): string {
  if (problem.atKey || problem.path[0] !== 'params') return problem.message;
  const parsed = policies.definition(spec.name)?.params.safeParse(spec.params ?? {}, { reportInput: true });
  const issue = parsed && !parsed.success ? parsed.error.issues[0] : undefined;
  if (!issue || issue.code === 'unrecognized_keys' || JSON.stringify(['params', ...issue.path]) !== JSON.stringify(problem.path)) return problem.message;
  return describeIssue(issue);
}

/**
 * Paper 004's normalised channel (`channel.model: paper`) is a cell-free model sensed
 * multistatically (eq. 7); its block is only read in that mode; its angle range must be an interval.
 */
function paperChannelProblem(s: Scenario): { path: FieldPath; message: string; atKey?: boolean } | undefined {
  const c = s.channel;
  if (c.model !== 'paper') {
    return c.paper ? { path: ['channel', 'paper'], message: 'is only read with channel.model: paper (set it, or remove this block)', atKey: true } : undefined;
  }
  if (s.topology.kind !== 'cell-free') {
    return { path: ['channel', 'model'], message: `the paper channel (paper 004) is a cell-free model: set topology.kind: cell-free (got ${s.topology.kind})` };
  }
  if (s.sensing.geometry === 'monostatic') {
    return { path: ['sensing', 'geometry'], message: 'the paper channel senses multistatically (eq. 7, echoes combined at the CPU): use multistatic or leave it out' };
  }
  const deg = c.paper?.angleDeg;
  if (deg && !(deg[0] < deg[1])) return { path: ['channel', 'paper', 'angleDeg'], message: `[lo, hi) needs lo < hi, got [${deg[0]}, ${deg[1]}]` };
  return undefined;
}

/** Slots from a pilot to the first CSI report at the BS; the run must last longer. */
function csiArrivalSlot(s: Scenario): number {
  return s.timing.pilotOffsetSlots + Math.round(s.timing.csiFeedbackDelayMs / s.timing.slotMs);
}

export function loadScenario(text: string, file: string, policies: PolicyRegistry): LoadedScenario {
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
  const checkSpread = (m: MobilitySpec, path: FieldPath) => {
    if (m.model === 'random-waypoint' && m.speedSpreadMps > 0 && m.speedSpreadMps >= m.speedMps) {
      fail([...path, 'speedSpreadMps'], `must be below speedMps (${m.speedMps} m/s): legs drawn at speed ≤ 0 never end, so the nodes would freeze`);
    }
  };
  checkSpread(s.users.mobility, ['users', 'mobility']);
  checkSpread(s.targets.mobility, ['targets', 'mobility']);
  if (loc) checkSpread(loc.targets.mobility, ['localization', 'targets', 'mobility']);
  const slot = s.timing.slotMs;
  if (!isMultiple(s.timing.csiFeedbackDelayMs, slot)) {
    fail(['timing', 'csiFeedbackDelayMs'], `${s.timing.csiFeedbackDelayMs} ms is not a multiple of the slot (${slot} ms): CSI reports travel in uplink slots`);
  }
  if (csiArrivalSlot(s) >= s.durationSlots) {
    fail(
      ['timing', 'csiFeedbackDelayMs'],
      `the first CSI report arrives in slot ${csiArrivalSlot(s)} (pilot offset ${s.timing.pilotOffsetSlots} + ${s.timing.csiFeedbackDelayMs} ms delay), after the run's ${s.durationSlots} slots: CSI would never arrive`,
    );
  }
  const bp = s.sensing.beampattern;
  if (bp && !isMultiple(180, bp.resolutionDeg)) {
    fail(['sensing', 'beampattern', 'resolutionDeg'], `${bp.resolutionDeg}° does not divide 180°: the grid runs from −90° to 90° in whole steps (e.g. 0.5, 1, 2, 5)`);
  }
  const paperProblem = paperChannelProblem(s);
  if (paperProblem) fail(paperProblem.path, paperProblem.message, paperProblem.atKey);
  const memory = memoryProblem(s);
  if (memory) fail(memory.path, memory.message, true);
  const topology = buildTopology(s);
  const checkSpec = (spec: PolicySpec, path: FieldPath) => {
    const problem = policies.check(spec, topology);
    if (problem) fail([...path, ...problem.path], policyProblemMessage(policies, spec, problem), problem.atKey);
  };
  checkSpec(s.policy, ['policy']);
  s.shadows.forEach((spec, i) => checkSpec(spec, ['shadows', i]));
  const fallback = { name: s.timing.decision.fallback, params: {} };
  checkSpec(fallback, ['timing', 'decision', 'fallback']);
  if (policies.resolve(fallback, topology).scope !== 'distributed') {
    fail(['timing', 'decision', 'fallback'], `the fallback acts at each BS on its own CSI: "${fallback.name}" is centralised`);
  }
  return { scenario: s, topology, text, file, policies };
}

/** Applies command-line overrides (seed, policy, slots) and re-validates through the same path. */
export function withOverrides(
  loaded: LoadedScenario,
  o: { seed?: number; policy?: string; slots?: number; logEvery?: number; shadows?: string[] },
): LoadedScenario {
  const s = structuredClone(loaded.scenario);
  if (o.seed !== undefined) s.seed = o.seed;
  if (o.policy !== undefined) s.policy = { name: o.policy, params: s.policy.name === o.policy ? s.policy.params : {} };
  if (o.slots !== undefined) {
    if (!(Number.isInteger(o.slots) && o.slots >= 1 && o.slots <= LIMITS.slots)) {
      throw new ScenarioError('command line', ['--slots'], undefined, undefined, `must be a whole number in 1 … ${LIMITS.slots}, got ${o.slots}`);
    }
    s.durationSlots = o.slots;
    if (csiArrivalSlot(s) >= s.durationSlots) {
      throw new ScenarioError(
        'command line',
        ['--slots'],
        undefined,
        undefined,
        `${o.slots} slots end before the first CSI report arrives (slot ${csiArrivalSlot(s)}: ${loaded.file} timing.pilotOffsetSlots + csiFeedbackDelayMs): CSI would never arrive`,
      );
    }
  }
  if (o.logEvery !== undefined) s.logging.everySlots = o.logEvery;
  if (o.shadows !== undefined) s.shadows = o.shadows.map((name) => ({ name, params: {} }));
  const topology = buildTopology(s);
  const check = (spec: PolicySpec, flag: string) => {
    const problem = loaded.policies.check(spec, topology);
    if (problem) throw new ScenarioError('command line', [flag], undefined, undefined, policyProblemMessage(loaded.policies, spec, problem));
  };
  if (o.policy !== undefined) check(s.policy, '--policy');
  s.shadows.forEach((spec) => check(spec, '--shadow'));
  return { ...loaded, scenario: s, topology };
}

export type { SourceMap };
