/**
 * The static shape of a network and its current association: where the access points (APs, the
 * BSs of a multicell network) are, their antennas, powers and noise, and who serves whom.
 *
 * One model for both kinds (docs/network-model.md):
 * - `multicell` (paper 000): M cells, one BS each; user u of cell ⌊u/K⌋ is served by that BS
 *   alone; target t is sensed monostatically by its nearest BS.
 * - `cell-free` (papers 001, 004): M APs spread over a square area and a central processing unit
 *   (CPU); every AP (or a user-centric cluster of the strongest) serves a user *coherently*; the
 *   targets are sensed multistatically, the echoes combined at the CPU.
 *
 * Streams: every user has one communication stream, global index s = u; a network may add Q
 * dedicated sensing streams per AP. Cell-free: the APs share them (s = numUsers + q, carried
 * coherently by every AP, one waveform). Multicell (`sensingPerAp`): each BS transmits its own
 * radar waveforms, s = numUsers + m·Q + q, so two BSs' sensing signals add in power, not in
 * amplitude, at a user. AP m carries the streams `apStreams[m]`, in row
 * order: its beamformer W_m is `[apStreams[m].length, numTxAnt]` complex, row r = w_{m,s} for
 * s = apStreams[m][r] (communication rows first, in user order, then sensing rows). User u hears
 * stream s through Σ_m h_{m,u}ᴴ w_{m,s} over the APs carrying s (coherent joint transmission);
 * multicell is the special case where every stream has exactly one AP.
 *
 * The association fields (`userBs`, `userStream`, `servedUsers`, `apStreams`, `userAps`,
 * `targetBs`, `targetsOf`) describe the association *in force*; a change (handover, a new
 * user-centric cluster) produces a new Topology object with `associationVersion` + 1, built by
 * `withAssociation`, so a decision keeps the shape it was made with.
 */
import type { Scenario } from '../scenario/schema.ts';
import type { CArray } from './complex.ts';
import { hexLayout, wavelengthM } from './geometry.ts';
import { buildLocalizationModel, type LocalizationModel } from './localization.ts';
import { resolvePaperChannel, type PaperChannel } from './paper-channel.ts';
import { streamFor } from './random.ts';

export type NetworkKind = 'multicell' | 'cell-free';
export type SensingGeometryKind = 'monostatic' | 'multistatic';

/** A square deployment area of a cell-free network (world frame, metres). */
export interface DeploymentArea {
  minM: [number, number];
  maxM: [number, number];
  /** Wrap-around (torus): distances are to the nearest image. */
  wrap: boolean;
}

/** Who serves whom: the part of a Topology that can change during a run. */
export interface Association {
  /** [numUsers] primary AP of each user: its serving BS (multicell), its strongest AP (cell-free). */
  userBs: Int32Array;
  /** [numUsers] row of the user's stream in its primary AP's W. */
  userStream: Int32Array;
  /** Per AP: the users whose streams it carries, in row order (its communication rows). */
  servedUsers: Int32Array[];
  /** Per AP: global stream index of each row of W_m (users first, then sensing streams). */
  apStreams: Int32Array[];
  /** Per user: the APs carrying its stream (ascending). */
  userAps: Int32Array[];
  /** [numTargets] AP that senses each target monostatically (the nearest); multistatic: nearest AP. */
  targetBs: Int32Array;
  /** Per AP: the targets it senses monostatically (the inverse of targetBs). */
  targetsOf: Int32Array[];
  /** Incremented at every change (0 for the initial association). */
  associationVersion: number;
}

export interface Topology extends Association {
  kind: NetworkKind;
  /** M: number of BSs / APs (the name is kept from the multicell model). */
  numBs: number;
  numTxAnt: number;
  numRxAnt: number;
  numUsers: number;
  numTargets: number;
  /** Dedicated sensing streams per AP, Q (0 in paper 000's multicell model; 1 in cell-free by default). */
  numSensingStreams: number;
  /** Multicell: each BS's Q sensing streams are its own (numUsers + m·Q + q); absent/false: shared by all APs. */
  sensingPerAp?: boolean;
  /** numUsers + Q (shared) or numUsers + numBs·Q (per AP). */
  numStreams: number;
  /** [numBs, 2] BS / AP positions (m). */
  bsPosM: Float64Array;
  /** [2] position of the central unit / CPU (m). */
  cpuPosM: Float64Array;
  /** Azimuth (rad) of every ULA's broadside. */
  broadsideRad: number;
  /** Multicell: the cell radius. Cell-free: half the area's side (for drawing and defaults). */
  cellRadiusM: number;
  /** Cell-free deployment area (undefined for multicell). */
  area?: DeploymentArea;
  /** How targets are sensed (see metrics/isac.ts). */
  sensingGeometry: SensingGeometryKind;
  /** Multistatic: the receive array gain N_R multiplies the echo SNR (false: paper 004's eq. 7 as printed). */
  receiveArrayGain: boolean;
  /** The association may change during the run (handover enabled). */
  dynamicAssociation: boolean;
  /** [numBs] power budget P_T (W). */
  powerW: Float64Array;
  /** σ_c² (W). */
  noiseCommW: number;
  /** σ_s² per receive antenna (W). */
  noiseSensW: number;
  carrierHz: number;
  lambdaM: number;
  /** TOA localisation sensing (paper 003) when the scenario has a `localization:` section. */
  localization?: LocalizationModel;
  /**
   * Paper 004's normalised channel (`channel.model: paper`, phy/paper-channel.ts): powerW,
   * noiseCommW and noiseSensW hold its P_m, σ² and ς²; the multistatic gains are c_m = G_rx ζ²/ς².
   */
  paperChannel?: PaperChannel;
}

/** Beamformers of all BSs: entry m is W_m, `[apStreams[m].length, numTxAnt]` complex. */
export type Beamformers = CArray[];

export const dbmToW = (dbm: number): number => 10 ** ((dbm - 30) / 10);
export const wToDbm = (w: number): number => 10 * Math.log10(w) + 30;

/** AP positions of a cell-free area: a √M × √M grid (M a square; else rows of ⌈√M⌉), random, or explicit. */
export function apLayout(s: Scenario): Float64Array {
  const cf = s.topology.cellFree;
  const M = cf.numAps;
  const half = cf.areaM / 2;
  if (cf.apLayout === 'explicit') return Float64Array.from(cf.apPositionsM!.flat());
  const out = new Float64Array(2 * M);
  if (cf.apLayout === 'random') {
    const rng = streamFor(s.seed, 'ap-layout');
    for (let m = 0; m < M; m++) {
      out[2 * m] = -half + cf.areaM * rng.uniform();
      out[2 * m + 1] = -half + cf.areaM * rng.uniform();
    }
    return out;
  }
  // Grid: cols = ⌈√M⌉, rows = ⌈M / cols⌉, each AP at the centre of its grid cell.
  const cols = Math.ceil(Math.sqrt(M));
  const rows = Math.ceil(M / cols);
  for (let m = 0; m < M; m++) {
    const c = m % cols;
    const r = Math.floor(m / cols);
    out[2 * m] = -half + ((c + 0.5) * cf.areaM) / cols;
    out[2 * m + 1] = -half + ((r + 0.5) * cf.areaM) / rows;
  }
  return out;
}

/** Inverse of an owner map: per owner, the indices it owns in ascending order. */
export function groupsOf(owner: Int32Array, numOwners: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: numOwners }, () => []);
  owner.forEach((m, i) => {
    if (m >= 0) lists[m].push(i);
  });
  return lists.map((l) => Int32Array.from(l));
}

/**
 * Association from serving sets: `userAps[u]` the APs carrying user u's stream, `primary[u]` its
 * primary AP (must be in userAps[u]), Q sensing streams on every AP (shared, or each AP's own with
 * `sensingPerAp`), `targetBs` the monostatic sensing AP of each target.
 */
export function associationFrom(
  numBs: number,
  userAps: Int32Array[],
  primary: Int32Array,
  numSensingStreams: number,
  targetBs: Int32Array,
  version: number,
  sensingPerAp = false,
): Association {
  const numUsers = userAps.length;
  const served: number[][] = Array.from({ length: numBs }, () => []);
  userAps.forEach((aps, u) => aps.forEach((m) => served[m].push(u)));
  const servedUsers = served.map((l) => Int32Array.from(l));
  const apStreams = servedUsers.map((users, m) => {
    const rows = new Int32Array(users.length + numSensingStreams);
    rows.set(users);
    const first = numUsers + (sensingPerAp ? m * numSensingStreams : 0);
    for (let q = 0; q < numSensingStreams; q++) rows[users.length + q] = first + q;
    return rows;
  });
  const userStream = new Int32Array(numUsers);
  primary.forEach((m, u) => {
    const k = servedUsers[m].indexOf(u);
    if (k < 0) throw new Error(`user ${u}'s primary AP ${m} does not serve it`);
    userStream[u] = k;
  });
  return {
    userBs: Int32Array.from(primary),
    userStream,
    servedUsers,
    apStreams,
    userAps: userAps.map((a) => Int32Array.from(a).sort()),
    targetBs: Int32Array.from(targetBs),
    targetsOf: groupsOf(targetBs, numBs),
    associationVersion: version,
  };
}

/** The same topology with another association (a new object; the old one is unchanged). */
export function withAssociation(topo: Topology, a: Association): Topology {
  return { ...topo, ...a };
}

/** Nodes per "cell": multicell K (or J) per cell; cell-free the whole area is one cell. */
export function numCellsOf(s: Scenario): number {
  return s.topology.kind === 'cell-free' ? 1 : s.topology.numCells;
}

/**
 * Builds the topology of a validated scenario with its *initial* association, before anyone has
 * moved: multicell users by cell, targets by cell (the twin re-assigns targets to the nearest BS
 * and, in cell-free networks, users to their strongest APs once nodes are placed: sim/association.ts).
 * Random AP positions (cell-free `apLayout: random`) come from the stream 'ap-layout' of the seed.
 */
export function buildTopology(s: Scenario): Topology {
  const cellFree = s.topology.kind === 'cell-free';
  const numBs = cellFree ? s.topology.cellFree.numAps : s.topology.numCells;
  const bsPosM = cellFree
    ? apLayout(s)
    : s.topology.layout === 'explicit' && s.topology.bsPositionsM
      ? Float64Array.from(s.topology.bsPositionsM.flat())
      : hexLayout(numBs, s.topology.cellRadiusM);
  const cells = numCellsOf(s);
  const K = s.users.perCell;
  const J = s.targets.perCell;
  const numUsers = cells * K;
  const numTargets = cells * J;
  const numSensingStreams = s.sensing.streams ?? (cellFree ? 1 : 0);
  const sensingPerAp = !cellFree;
  // Initial serving sets: multicell by cell; cell-free every AP (refined after placement).
  const userAps = Array.from({ length: numUsers }, (_, u) =>
    cellFree ? Int32Array.from({ length: numBs }, (_, m) => m) : Int32Array.of(Math.floor(u / K)),
  );
  const primary = Int32Array.from(userAps, (a) => a[0]);
  const targetBs = Int32Array.from({ length: numTargets }, (_, t) => (cellFree ? 0 : Math.floor(t / J)));
  const half = s.topology.cellFree.areaM / 2;
  // Paper 004's channel: normalised powers and noise instead of the dBm fields.
  const paper = s.channel.model === 'paper' ? resolvePaperChannel(s.channel.paper) : undefined;
  return {
    kind: s.topology.kind,
    numBs,
    numTxAnt: s.topology.numTxAnt,
    numRxAnt: s.topology.numRxAnt,
    numUsers,
    numTargets,
    numSensingStreams,
    sensingPerAp,
    numStreams: numUsers + (sensingPerAp ? numBs : 1) * numSensingStreams,
    bsPosM,
    cpuPosM: Float64Array.from(cellFree ? s.topology.cellFree.cpuPositionM : [bsPosM[0], bsPosM[1]]),
    broadsideRad: (s.topology.arrayBroadsideDeg * Math.PI) / 180,
    cellRadiusM: cellFree ? half : s.topology.cellRadiusM,
    ...(cellFree ? { area: { minM: [-half, -half], maxM: [half, half], wrap: s.topology.cellFree.wrapAround } as DeploymentArea } : {}),
    sensingGeometry: s.sensing.geometry ?? (cellFree ? 'multistatic' : 'monostatic'),
    receiveArrayGain: s.sensing.receiveArrayGain,
    ...associationFrom(numBs, userAps, primary, numSensingStreams, targetBs, 0, sensingPerAp),
    dynamicAssociation: s.association.handover.enabled,
    powerW: new Float64Array(numBs).fill(paper ? paper.sumPowerW / numBs : dbmToW(s.topology.txPowerDbm)),
    noiseCommW: paper ? paper.noiseW : dbmToW(s.channel.noise.commDbm),
    noiseSensW: paper ? paper.radarNoiseW : dbmToW(s.channel.noise.sensDbm),
    carrierHz: s.channel.carrierHz,
    lambdaM: wavelengthM(s.channel.carrierHz),
    ...(s.localization
      ? { localization: buildLocalizationModel(s.localization, wavelengthM(s.channel.carrierHz), s.channel.minDistanceM) }
      : {}),
    ...(paper ? { paperChannel: paper } : {}),
  };
}

/** Zero beamformers shaped for the topology's association. */
export function zeroBeamformers(topo: Topology): Beamformers {
  return topo.apStreams.map((rows) => new Float64Array(2 * rows.length * topo.numTxAnt));
}
