/** Shared test helpers: small topologies, random channels, tolerances. */
import * as assert from 'uvu/assert';
import { czeros, type CArray } from '../src/phy/complex.ts';
import { streamFor, type Rng } from '../src/phy/random.ts';
import { associationFrom, type Topology } from '../src/phy/network.ts';
import { loadScenario, type LoadedScenario } from '../src/scenario/validate.ts';
import { twinPolicies } from '../src/learning/policies.ts';
import type { PolicyRegistry } from '../src/policies/registry.ts';
import type { SlotRecord, TwinEvent } from '../src/sim/events.ts';
import { Twin } from '../src/sim/twin.ts';

/** max |got − want| / max |want| (max |got − want| when want is all zero); sizes must agree. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.is(got.length, want.length, 'sizes');
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return den === 0 ? num : num / den;
}

/** |a − b| ≤ tol·max(1, |b|). */
export function close(actual: number, expected: number, tol = 1e-9, what = ''): void {
  const ok = Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
  assert.ok(ok, `${what} expected ${expected}, got ${actual} (tol ${tol})`);
}

/** A multicell topology with K users and J targets per BS (users numbered cell by cell). */
export function smallTopology(o: { numBs: number; K: number; J?: number; nt: number; nr?: number; powerW?: number; noiseW?: number }): Topology {
  const { numBs, K } = o;
  const J = o.J ?? 0;
  const userAps = Array.from({ length: numBs * K }, (_, u) => Int32Array.of(Math.floor(u / K)));
  const targetBs = Int32Array.from({ length: numBs * J }, (_, i) => Math.floor(i / J));
  return networkTopology({ ...o, kind: 'multicell', userAps, targetBs, sensingStreams: 0, geometry: 'monostatic' });
}

/**
 * A topology with explicit serving sets: `userAps[u]` the APs carrying user u's stream (the first
 * is its primary AP), `targetBs` the monostatic sensing AP of each target.
 */
export function networkTopology(o: {
  numBs: number;
  nt: number;
  nr?: number;
  powerW?: number;
  noiseW?: number;
  kind?: 'multicell' | 'cell-free';
  userAps: Int32Array[];
  targetBs?: Int32Array;
  sensingStreams?: number;
  geometry?: 'monostatic' | 'multistatic';
}): Topology {
  const { numBs, nt } = o;
  const nr = o.nr ?? nt;
  const targetBs = o.targetBs ?? new Int32Array(0);
  const numSensingStreams = o.sensingStreams ?? 0;
  const numUsers = o.userAps.length;
  return {
    kind: o.kind ?? 'cell-free',
    numBs,
    numTxAnt: nt,
    numRxAnt: nr,
    numUsers,
    numTargets: targetBs.length,
    numSensingStreams,
    numStreams: numUsers + numSensingStreams,
    bsPosM: new Float64Array(2 * numBs),
    cpuPosM: new Float64Array(2),
    broadsideRad: Math.PI / 2,
    cellRadiusM: 500,
    sensingGeometry: o.geometry ?? 'multistatic',
    receiveArrayGain: true,
    dynamicAssociation: false,
    ...associationFrom(numBs, o.userAps, Int32Array.from(o.userAps, (a) => a[0]), numSensingStreams, targetBs, 0),
    powerW: new Float64Array(numBs).fill(o.powerW ?? 1),
    noiseCommW: o.noiseW ?? 0.01,
    noiseSensW: o.noiseW ?? 0.01,
    carrierHz: 3.5e9,
    lambdaM: 299792458 / 3.5e9,
  };
}

/** Random channels H [numBs, numUsers, nt] with CN(0, 1) entries. */
export function randomChannels(topo: Topology, rng: Rng): CArray {
  const H = czeros(topo.numBs * topo.numUsers * topo.numTxAnt);
  rng.complexNormal(H);
  return H;
}

export const testRng = (name: string, seed = 7): Rng => streamFor(seed, name);

/** Loads an inline YAML scenario (defaults for everything not given). */
export function scenario(yaml: string, file = 'inline.yaml', policies: PolicyRegistry = twinPolicies()): LoadedScenario {
  return loadScenario(yaml, file, policies);
}

/** Runs an inline scenario for `slots` slots, recording every slot record and event (exact traces). */
export function record(yaml: string, slots = 60, policies?: PolicyRegistry) {
  const twin = new Twin(scenario(yaml, 'inline.yaml', policies));
  const records: SlotRecord[] = [];
  const events: TwinEvent[] = [];
  twin.slots$.subscribe((r) => records.push(r));
  twin.events$.subscribe((e) => events.push(e));
  twin.runSlots(slots);
  return { twin, records, events };
}
