/**
 * The scenario file format: one zod schema is the single source of the YAML fields, their
 * defaults, their documentation and the JSON Schema that editors use (`isac-twin schema`).
 *
 * Defaults follow the multicell ISAC paper (../shared/papers/000_*.txt, Table I and Sec. IV):
 * cell radius 500 m, path-loss exponents 3.6 (communication) and 2 (sensing), Rician factor 3,
 * target RCS 1 m², M = 3 cells, N_T = N_R = 12, K = 2 users and J = 2 targets per cell.
 * The paper sweeps SNR and gives no absolute powers; the twin's defaults (30 dBm per BS,
 * −94 dBm noise, 3.5 GHz) are documented choices, taken from paper 003's noise power.
 *
 * Units are in the field names: M (metres), Mps (m/s), Dbm, Db, Ms (milliseconds), Hz, Deg, S.
 *
 * Bounds: every field has physical bounds (in its description) wide enough for any deployment
 * the twin models and narrow enough that the arithmetic stays finite (10^(dBm/10) overflows past
 * ~3000 dBm; typed arrays have a length limit) — a value outside is refused at validation rather
 * than crashing the run. The memory the channel state needs is checked at validation too
 * (validate.ts, `estimateMemoryBytes`).
 */
import { z } from 'zod';

/** Upper bounds of the counts (see each field's description for the reason). */
export const LIMITS = {
  /** BSs / APs: a city-scale network; the BS–BS channel grows as M². */
  nodes: 1024,
  /** Antennas per array: 1024 covers massive MIMO (64–256 elements today) with room to spare. */
  antennas: 1024,
  /** Users or targets per cell. */
  perCell: 4096,
  /** Slots of one run: 1e9 slots of 1 ms are 11.6 simulated days. */
  slots: 1e9,
} as const;

const positive = () => z.number().positive();
const nonNegative = () => z.number().nonnegative();
const count = () => z.number().int().positive();
/** A coordinate within ±1000 km of the origin (a country; keeps squared distances exact). */
const coord = () => z.number().min(-1e6).max(1e6);
const point = z.tuple([coord(), coord()]).describe('[x, y] in metres (|x|, |y| ≤ 1e6)');
/** A speed up to 1000 m/s (Mach 3: faster than any vehicle or aircraft a network serves). */
const speed = (d: number) => nonNegative().max(1000).default(d);
/** A power level in dBm: −200 … 80 (80 dBm = 100 kW, above any transmitter; −200 dBm is far below thermal noise). */
const dbm = () => z.number().min(-200).max(80);
/** An estimation error in dB: −300 is exact for every practical purpose (ideal-CSI variants, tests). */
const errorDb = () => z.number().min(-300).max(20);
/** A duration in ms up to one hour. */
const ms = () => nonNegative().max(3.6e6);

const frame = z
  .enum(['cell', 'world'])
  .default('cell')
  .describe('coordinates relative to the node’s own BS ("cell") or absolute ("world")');

export const mobilitySchema = z
  .discriminatedUnion('model', [
    z.strictObject({ model: z.literal('static') }).describe('does not move'),
    z
      .strictObject({
        model: z.literal('constant-velocity'),
        speedMps: speed(1.5).describe('m/s, ≤ 1000'),
        headingDeg: z
          .union([z.number().min(-360).max(360), z.literal('random')])
          .default('random')
          .describe('direction of motion, degrees from east counter-clockwise, or "random" per node'),
        boundary: z
          .enum(['reflect', 'none'])
          .default('reflect')
          .describe('"reflect" keeps the node inside its cell disc; "none" lets it leave'),
      })
      .describe('straight line at constant speed'),
    z
      .strictObject({
        model: z.literal('waypoints'),
        speedMps: speed(1.5).describe('m/s, ≤ 1000'),
        waypointsM: z.array(point).min(1),
        loop: z.boolean().default(true).describe('after the last waypoint go back to the first; else stop'),
        frame,
      })
      .describe('visits the listed points in order at constant speed (starts at the first)'),
    z
      .strictObject({
        model: z.literal('random-waypoint'),
        speedMps: speed(1.5).describe('m/s, ≤ 1000'),
        speedSpreadMps: nonNegative().max(1000).default(0).describe('each leg draws its speed uniformly in speed ± spread; must be below speedMps (a leg at speed ≤ 0 never ends)'),
        pauseS: nonNegative().max(86400).default(0).describe('pause at each waypoint (s, ≤ one day)'),
      })
      .describe('random waypoint model inside the node’s cell disc'),
    z
      .strictObject({
        model: z.literal('lane'),
        speedMps: speed(30).describe('m/s, ≤ 1000'),
        roadM: z.array(point).min(2).describe('road polyline; nodes start at random points along it'),
        frame,
        direction: z
          .enum(['forward', 'backward', 'both'])
          .default('both')
          .describe('driving direction along the polyline; "both" alternates nodes between the two'),
      })
      .describe('follows a road polyline; a node reaching its end re-enters at the start (a new vehicle)'),
  ])
  .describe('mobility model');

export const placementSchema = z
  .discriminatedUnion('model', [
    z.strictObject({
      model: z.literal('uniform-in-cell'),
      minDistanceM: nonNegative().max(1e5).default(35).describe('minimum distance from the BS (≤ 100 km)'),
      maxDistanceM: positive().max(1e5).optional().describe('maximum distance from the BS (default: the cell radius; ≤ 100 km)'),
    }),
    z
      .strictObject({
        model: z.literal('uniform-in-area'),
        minDistanceM: nonNegative().max(1e5).default(10).describe('minimum distance from every AP (≤ 100 km)'),
      })
      .describe('cell-free: uniform over the deployment area, at least minDistanceM from every AP'),
    z.strictObject({
      model: z.literal('explicit'),
      positionsM: z.array(point).min(1).describe('one point per node, cell by cell (cell 0 first)'),
      frame,
    }),
    z
      .strictObject({
        model: z.literal('uniform-in-rect'),
        rectsM: z
          .array(z.tuple([point, point]))
          .min(1)
          .describe('[[xMin, yMin], [xMax, yMax]]: one rectangle shared by every cell, or one per cell'),
        frame: frame.describe('rectangles relative to the node’s own BS ("cell") or absolute ("world")'),
      })
      .describe('uniform in an axis-aligned rectangle (paper 003: users anywhere in a 200 × 400 m² area)'),
  ])
  .describe('initial positions (lane mobility places nodes along the road instead)');

const nodesShape = (perCell: number, speed: number) => ({
  perCell: z.number().int().nonnegative().max(LIMITS.perCell).default(perCell).describe(`nodes per cell, each bound to its cell’s BS (≤ ${LIMITS.perCell}; the memory check of validation may refuse less)`),
  placement: placementSchema.prefault({ model: 'uniform-in-cell' }),
  mobility: mobilitySchema.prefault({ model: 'random-waypoint', speedMps: speed }),
});

export const cellFreeSchema = z.strictObject({
  numAps: count().max(LIMITS.nodes).default(16).describe(`M, number of access points (≤ ${LIMITS.nodes}: the AP–AP channel grows as M²)`),
  areaM: positive().max(1e5).default(1000).describe('side of the square deployment area, centred on the origin (≤ 100 km)'),
  wrapAround: z.boolean().default(false).describe('torus: distances (path loss, angles) to the nearest image of each AP'),
  apLayout: z
    .enum(['grid', 'random', 'explicit'])
    .default('grid')
    .describe('grid: ⌈√M⌉ columns, each AP at the centre of its grid cell; random: uniform (stream "ap-layout"); explicit: apPositionsM'),
  apPositionsM: z.array(point).optional().describe('AP positions for apLayout "explicit" (world frame)'),
  cpuPositionM: point.default([0, 0]).describe('position of the central processing unit (drawing only)'),
});

export const associationSchema = z.strictObject({
  mode: z
    .enum(['cell', 'all', 'user-centric'])
    .optional()
    .describe('who carries a user’s stream. cell: one AP (its cell’s BS; cell-free: the strongest AP); all: every AP coherently; user-centric: the clusterSize strongest APs. Default: cell (multicell), all (cell-free)'),
  clusterSize: count().max(LIMITS.nodes).default(4).describe('user-centric: APs per user (by large-scale gain)'),
  handover: z
    .strictObject({
      enabled: z.boolean().default(false).describe('re-associate as users move (logged as handover events)'),
      hysteresisDb: nonNegative().max(100).default(3).describe('a new AP must be this much stronger (large-scale gain) than the current one'),
      periodSlots: count().max(LIMITS.slots).default(100).describe('association is re-evaluated every this many slots'),
    })
    .prefault({}),
});

export const sensingSchema = z.strictObject({
  geometry: z
    .enum(['monostatic', 'multistatic'])
    .optional()
    .describe('monostatic: each target sensed by its nearest BS after MRC (paper 000); multistatic: every AP illuminates, every AP receives, echoes combined at the CPU (paper 004 eq. 7 / paper 001 eq. 6). Default by topology kind'),
  receiveArrayGain: z
    .boolean()
    .default(true)
    .describe('multistatic: count the N_R receive-array gain of each receiving AP (false: eq. 7 as printed)'),
  streams: z
    .number()
    .int()
    .min(0)
    .max(8)
    .optional()
    .describe('dedicated sensing streams carried by every AP (0 in paper 000; default 1 for cell-free; paper 002 in the twin: one per target, 3)'),
  beampattern: z
    .strictObject({
      widthDeg: z.number().min(0).max(180).default(10).describe('Δ, width of the desired beam d(θ) around each sensed target (degrees, paper 002 eq. 8)'),
      resolutionDeg: z.number().min(0.1).max(10).default(1).describe('angle grid step from −90° to 90° (must divide 180)'),
      everySlots: count().max(LIMITS.slots).default(1).describe('measure every this many slots (L_r,2 costs O(L²) per BS)'),
      epsilon: z.number().min(0).max(1e6).optional().describe('ε of the sensing constraint L_r ≤ ε (paper 002 eq. 10): when set, a dual variable per AP μ ← [μ + η(L_r − ε)]₊ is updated at every measured slot as a constraint-violation monitor (a μ that keeps rising flags a violated constraint) and logged'),
      dualStep: z.number().min(0).max(1e6).default(1).describe('η of the monitor’s dual update'),
    })
    .optional()
    .describe('measure every AP’s transmit beampattern P(θ) = Σ_s |a(θ)ᴴ w_s|² against the desired pattern of its targets: L_r,1, L_r,2, L_r (paper 002 eqs. 7–10) logged per AP in beam_slots; the dashboard draws it (key b). Absent: not measured'),
});

export const topologySchema = z.strictObject({
  kind: z.enum(['multicell', 'cell-free']).default('multicell').describe('multicell: cells with one BS each; cell-free: APs over an area and a CPU'),
  numCells: count().max(LIMITS.nodes).default(3).describe(`M, number of cells (one BS each; ≤ ${LIMITS.nodes}: the BS–BS channel grows as M²)`),
  layout: z.enum(['hex', 'explicit']).default('hex').describe('"hex": BS positions from a hexagonal layout'),
  bsPositionsM: z.array(point).optional().describe('BS positions for layout "explicit"'),
  cellRadiusM: positive().max(1e5).default(500).describe('m, ≤ 100 km (beyond any cell)'),
  numTxAnt: count().max(LIMITS.antennas).default(12).describe(`N_T, transmit antennas per BS (half-wavelength ULA; ≤ ${LIMITS.antennas}, above any massive-MIMO array)`),
  numRxAnt: count().max(LIMITS.antennas).default(12).describe(`N_R, receive antennas per BS (half-wavelength ULA; ≤ ${LIMITS.antennas})`),
  txPowerDbm: z.number().min(-100).max(80).default(30).describe('P_T, power budget of every BS (−100 … 80 dBm: 80 dBm = 100 kW is above any transmitter; far beyond, 10^(P/10) overflows to Infinity)'),
  arrayBroadsideDeg: z.number().min(-360).max(360).default(90).describe('azimuth of every ULA’s broadside, degrees from east'),
  cellFree: cellFreeSchema.prefault({}).describe('cell-free networks: APs, area, CPU (used when kind is cell-free)'),
});

/**
 * Paper 004's normalised channel (`channel.model: paper`, docs/gnn.md): i.i.d. Rayleigh h_{m,u} ~
 * CN(0, I) with no path loss or geometry, target angles θ_m ~ U[angleDeg) from each AP's array axis,
 * P_m = sumPowerW / M, σ² = noiseW, and the joint sensing SNR of eq. (7) with ζ² = echoGain and
 * ς² = radarNoiseW (c_m = ζ²/ς², × N_R with sensing.receiveArrayGain). Normalised units: W stands
 * for the paper's dimensionless powers. The dBm fields (topology.txPowerDbm, channel.noise) are not
 * read in this mode.
 */
export const paperChannelSchema = z.strictObject({
  sumPowerW: z.number().min(1e-12).max(1e6).default(1).describe('Σ_m P_m: every AP gets sumPowerW / M (paper: 1; 1e-12 … 1e6)'),
  noiseW: z.number().min(1e-12).max(1e6).default(0.1).describe('σ², noise power of every user (paper: 0.1, its "10 dB"; 1e-12 … 1e6)'),
  radarNoiseW: z.number().min(1e-12).max(1e6).optional().describe('ς², radar receiver noise of every AP (default: noiseW, reading notes A3; 1e-12 … 1e6)'),
  echoGain: nonNegative().max(1e6).default(1).describe('ζ², variance of every bistatic echo coefficient α_{m_t m_r} (paper: 1; ≤ 1e6)'),
  angleDeg: z
    .tuple([z.number().min(0).max(180), z.number().min(0).max(180)])
    .default([0, 90])
    .describe('[lo, hi): θ_m ~ U[lo, hi) degrees from the array axis, a(θ)_k = e^{jπk cos θ} (paper: [0, 90); 0 … 180, lo < hi)'),
});

export const channelSchema = z.strictObject({
  model: z
    .enum(['geometric', 'paper'])
    .optional()
    .describe('geometric (default): path loss, Rician LoS from positions, fading below; paper: paper 004’s normalised i.i.d. Rayleigh channel with random target angles (channel.paper; cell-free, multistatic)'),
  paper: paperChannelSchema.optional().describe('settings of channel.model: paper (defaults: the paper’s)'),
  carrierHz: z.number().min(1e6).max(1e13).default(3.5e9).describe('carrier frequency (1 MHz … 10 THz)'),
  ricianK: nonNegative().max(1e6).default(3).describe('Rician factor v (linear) of BS–user and BS–BS links (≤ 1e6: pure line of sight)'),
  commPathLossExp: positive().max(10).default(3.6).describe('path-loss exponent (≤ 10: measured exponents stay below 6)'),
  sensPathLossExp: positive().max(10).default(2).describe('per direction of the round trip (≤ 10)'),
  bsBsPathLossExp: positive().max(10).default(3.6).describe('BS-to-BS interference links (ground level, like users; ≤ 10)'),
  refDistanceM: positive().max(1e4).default(1).describe('free-space reference distance of the path-loss law'),
  minDistanceM: positive().max(1e4).default(1).describe('distances are clamped below this'),
  fading: z
    .strictObject({
      model: z
        .enum(['clarke', 'gauss-markov', 'block', 'static'])
        .default('clarke')
        .describe('clarke: sum-of-sinusoids field over each user’s position, autocorrelation J0(2π f_D n T) at every lag (docs/fading.md); gauss-markov: AR(1) h ← ρh + √(1−ρ²)n, ρ = J0(2π f_D T_slot), lag-n correlation ρⁿ (legacy: decorrelates far too slowly); block: redraw; static: never'),
      coherenceSlots: count().max(LIMITS.slots).default(10).describe('block model: slots between redraws'),
      sinusoids: count().max(256).default(16).describe('clarke: sinusoids per channel entry'),
    })
    .prefault({}),
  noise: z
    .strictObject({
      commDbm: dbm().default(-94).describe('σ_c², receiver noise of a user (−200 … 80 dBm)'),
      sensDbm: dbm().default(-94).describe('σ_s², noise per receive antenna of a BS (−200 … 80 dBm)'),
    })
    .prefault({}),
});

export const timingSchema = z.strictObject({
  slotMs: z.number().min(0.001).max(1000).default(1).describe('slot length: 0.001 … 1000 ms (1 µs is below any numerology; 1 s slots miss every fading process)'),
  slotsPerFrame: count().max(LIMITS.slots).default(10),
  pilotPeriodSlots: count().max(LIMITS.slots).default(10).describe('every BS sounds its channels every this many slots'),
  pilotOffsetSlots: z.number().int().nonnegative().max(LIMITS.slots).default(0).describe('slot of the first pilot'),
  csiFeedbackDelayMs: ms().default(1).describe('pilot → CSI report at the BS (a multiple of the slot, shorter than the run)'),
  csiNmseDb: errorDb().default(-20).describe('estimation error power relative to the link’s mean gain (−300 … 20 dB; −300: exact)'),
  csiQuantBits: z.number().int().nonnegative().max(16).default(0).describe('bits per real component; 0 = off'),
  backhaul: z
    .strictObject({
      delayMs: ms().default(2).describe('one-way BS/AP ↔ central unit delay (≤ one hour)'),
      jitterMs: ms().default(0.5).describe('extra delay, uniform in [0, jitter] per message'),
      capacityMbps: positive().max(1e9)
        .optional()
        .describe('capacity of each link and direction: a message of B bits waits for the link, then takes B/C before the delay. Absent: unlimited'),
      bitsPerReal: count().max(64).default(16).describe('payload size of one real number in a message (CSI, gains, beams)'),
    })
    .describe('the fronthaul (cell-free) or backhaul (multicell): one link per AP to the CPU')
    .prefault({}),
  echo: z
    .strictObject({
      periodSlots: count().max(LIMITS.slots).default(1).describe('target-angle estimates from echoes every this many slots'),
      angleStdDeg: nonNegative().max(360).default(0.5).describe('standard deviation of the angle estimate'),
      alphaNmseDb: errorDb().default(-20).describe('error of the echo-coefficient estimate relative to its power (−300 … 20 dB; −300: exact)'),
    })
    .prefault({}),
  decision: z
    .strictObject({
      periodSlots: count()
        .max(LIMITS.slots)
        .default(1)
        .describe('a decision is started every this many slots (when idle); policies whose beams depend on the CSI alone (mrt, zf, imt, local-mmse) are not recomputed while an AP’s CSI and association are unchanged'),
      latency: z
        .enum(['none', 'fixed', 'measured'])
        .default('none')
        .describe('none: instant; fixed: fixedMs; measured: the policy’s compute time × measuredScale'),
      fixedMs: ms().default(0),
      measuredScale: positive().max(1e6).default(1).describe('simulated ms per measured ms of compute'),
      deadlineMs: positive().max(3.6e6).optional().describe('past this the fallback policy acts until the slow result lands'),
      fallback: z.string().default('mrt').describe('policy that acts when the deadline passes'),
    })
    .prefault({}),
});

/**
 * TOA localisation sensing (paper 003, Sec. II-C): N single-antenna target monitoring terminals
 * (TMTs) receive the targets' reflections of every BS's signal; the central controller estimates
 * the delays τ_{m,n} and the target position. The metric is the CRLB of Lemma 1 (eq. 10).
 * ε_{m,n} = √F_{m,n} ζ_{m,n}, F_{m,n} = λ² / ((4π)³ d_m² d'_n²), ζ ~ N(0, 1) (paper Sec. IV-A).
 */
export const localizationSchema = z.strictObject({
  targets: z
    .strictObject({
      positionsM: z.array(point).min(1).describe('initial [x, y] of each localised target (world frame, m)'),
      mobility: mobilitySchema.prefault({ model: 'static' }),
    })
    .describe('the targets the central controller localises (paper 003: one, at the origin)'),
  tmtPositionsM: z.array(point).min(1).describe('TMT positions (world frame, m)'),
  effectiveBandwidthHz: positive().max(1e12).default(100e6).describe('β, effective (RMS) bandwidth of the pulse g(t)'),
  snapshots: count().max(1e7).default(256).describe('L, sensing snapshots (symbols) per slot'),
  symbolDurationS: positive()
    .max(1)
    .default(1e-8)
    .describe('T_s; L·T_s is the sensing interval of a slot. Paper 003 gives none: default 1/β = 10 ns'),
  noisePsdDbmHz: z.number().min(-250).max(0).default(-174).describe('σ_s², PSD of the sensing noise at the TMTs (−250 … 0 dBm/Hz)'),
  zeta: z
    .strictObject({
      model: z
        .enum(['static', 'block', 'gauss-markov'])
        .default('block')
        .describe('static: drawn once; block: redrawn every coherenceSlots; gauss-markov: ζ ← cζ + √(1−c²)n per slot'),
      coherenceSlots: count().max(LIMITS.slots).default(10),
      correlation: z.number().min(0).max(1).default(0.99).describe('c of the gauss-markov model'),
    })
    .prefault({})
    .describe('time evolution of ζ_{m,n} ~ N(0, 1), the RCS factor of path BS m → target → TMT n'),
  estimate: z
    .strictObject({
      periodSlots: count().max(LIMITS.slots).default(1).describe('the central controller localises every this many slots'),
      delayMs: ms().default(1).describe('TMT signals → central controller → estimate available'),
      gateM: positive().max(1e6).default(1).describe('no estimate (a miss) when the RMSE bound √C exceeds this'),
    })
    .prefault({})
    .describe('estimates: truth + N(0, CRLB matrix) of the beams in force (an efficient estimator)'),
});

export const policySpecSchema = z
  .union([
    z.string().transform((name) => ({ name, params: {} as Record<string, unknown> })),
    z.strictObject({
      name: z.string(),
      params: z.record(z.string(), z.unknown()).default({}),
    }),
  ], {
    error: (iss) =>
      iss.code === 'invalid_union' ? `must be a policy name (isac-twin policies) or { name, params }, got ${describeInput(iss.input)}` : undefined,
  })
  .describe('a policy name, or { name, params }');

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).default('unnamed'),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(1).describe('drives every random stream (a whole number ≤ 2^53 − 1)'),
  durationSlots: count().max(LIMITS.slots).default(10000).describe(`slots to simulate (≤ ${LIMITS.slots}: 11.6 simulated days of 1 ms slots; a longer run would not end)`),
  rho: z.number().min(0).max(1).default(0.5).describe('objective weight: ρ·R_c + (1−ρ)·R_s'),
  topology: topologySchema.prefault({}),
  users: z.strictObject(nodesShape(2, 1.5)).prefault({}).describe('communication users (K per cell)'),
  targets: z
    .strictObject({ ...nodesShape(2, 1.5), rcsM2: positive().max(1e6).default(1).describe('radar cross-section (m², ≤ 1e6)') })
    .prefault({})
    .describe('point targets (J per cell), sensed by their cell’s BS'),
  channel: channelSchema.prefault({}),
  timing: timingSchema.prefault({}),
  policy: policySpecSchema.default({ name: 'mrt', params: {} }),
  shadows: z.array(policySpecSchema).default([]).describe('policies evaluated beside the acting one and logged'),
  association: associationSchema.prefault({}),
  sensing: sensingSchema.prefault({}),
  localization: localizationSchema
    .optional()
    .describe('TOA localisation of targets by TMTs and the central controller (paper 003); absent: off'),
  logging: z
    .strictObject({
      everySlots: count().max(LIMITS.slots).default(1).describe('log one slot in this many (decimation)'),
      batchSlots: count().max(1e6).default(500).describe('slots per SQLite transaction (≤ 1e6)'),
    })
    .prefault({}),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type MobilitySpec = z.output<typeof mobilitySchema>;
export type PlacementSpec = z.output<typeof placementSchema>;
export type LocalizationSpec = z.output<typeof localizationSchema>;
export type AssociationSpec = z.output<typeof associationSchema>;
export type PaperChannelSpec = z.output<typeof paperChannelSchema>;
export type PolicySpec = { name: string; params: Record<string, unknown> };

/** JSON Schema of scenario files, generated from the zod schema (for editors). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
