/**
 * The static shape of a network: who is where at the start, who serves whom, powers and noise.
 * Users and targets are numbered globally, cell by cell: user u belongs to cell ⌊u / K⌋ etc.
 *
 * Beamformers: BS m holds W_m, stored as `[numServed_m, numTxAnt]` complex — row k is the
 * beam w_{m,k} of its k-th served user (`servedUsers[m][k]`). Multicell: a BS serves the users of
 * its own cell (paper 000). The arrays allow a BS to serve any list of users, which cell-free
 * models need.
 */
import type { Scenario } from '../scenario/schema.ts';
import type { CArray } from './complex.ts';
import { hexLayout, wavelengthM } from './geometry.ts';
import { buildLocalizationModel, type LocalizationModel } from './localization.ts';

export interface Topology {
  numBs: number;
  numTxAnt: number;
  numRxAnt: number;
  numUsers: number;
  numTargets: number;
  /** [numBs, 2] BS positions (m). */
  bsPosM: Float64Array;
  /** Azimuth (rad) of every ULA's broadside. */
  broadsideRad: number;
  cellRadiusM: number;
  /** [numUsers] serving BS of each user. */
  userBs: Int32Array;
  /** [numUsers] row of the user's beam in its serving BS's W. */
  userStream: Int32Array;
  /** Per BS: the users it serves, in stream order. */
  servedUsers: Int32Array[];
  /** [numTargets] BS that senses each target (its cell's BS, the nearest one). */
  targetBs: Int32Array;
  /** Per BS: the targets it senses. */
  targetsOf: Int32Array[];
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
}

/** Beamformers of all BSs: entry m is W_m, `[numServed_m, numTxAnt]` complex. */
export type Beamformers = CArray[];

export const dbmToW = (dbm: number): number => 10 ** ((dbm - 30) / 10);
export const wToDbm = (w: number): number => 10 * Math.log10(w) + 30;

/** Builds the topology of a validated scenario. */
export function buildTopology(s: Scenario): Topology {
  const numBs = s.topology.numCells;
  const bsPosM =
    s.topology.layout === 'explicit' && s.topology.bsPositionsM
      ? Float64Array.from(s.topology.bsPositionsM.flat())
      : hexLayout(numBs, s.topology.cellRadiusM);
  const K = s.users.perCell;
  const J = s.targets.perCell;
  const cellsOf = (perCell: number) => Int32Array.from({ length: numBs * perCell }, (_, i) => Math.floor(i / perCell));
  const userBs = cellsOf(K);
  const targetBs = cellsOf(J);
  const groups = (owner: Int32Array) =>
    Array.from({ length: numBs }, (_, m) => Int32Array.from(owner.reduce<number[]>((a, b, i) => (b === m ? [...a, i] : a), [])));
  const servedUsers = groups(userBs);
  const userStream = new Int32Array(userBs.length);
  servedUsers.forEach((users) => users.forEach((u, k) => (userStream[u] = k)));
  return {
    numBs,
    numTxAnt: s.topology.numTxAnt,
    numRxAnt: s.topology.numRxAnt,
    numUsers: userBs.length,
    numTargets: targetBs.length,
    bsPosM,
    broadsideRad: (s.topology.arrayBroadsideDeg * Math.PI) / 180,
    cellRadiusM: s.topology.cellRadiusM,
    userBs,
    userStream,
    servedUsers,
    targetBs,
    targetsOf: groups(targetBs),
    powerW: new Float64Array(numBs).fill(dbmToW(s.topology.txPowerDbm)),
    noiseCommW: dbmToW(s.channel.noise.commDbm),
    noiseSensW: dbmToW(s.channel.noise.sensDbm),
    carrierHz: s.channel.carrierHz,
    lambdaM: wavelengthM(s.channel.carrierHz),
    ...(s.localization
      ? { localization: buildLocalizationModel(s.localization, wavelengthM(s.channel.carrierHz), s.channel.minDistanceM) }
      : {}),
  };
}

/** Zero beamformers shaped for the topology. */
export function zeroBeamformers(topo: Topology): Beamformers {
  return topo.servedUsers.map((users) => new Float64Array(2 * users.length * topo.numTxAnt));
}
