/** Small hand-made inputs for the dashboard tests: a run info, slot records and events. */
import type { RunInfo, SlotView } from '../../src/dashboard/model.ts';

/** Two BSs at (0, 0) and (1000, 0), users 0–1 served by BS 0 and 2–3 by BS 1, one target each. */
export function testInfo(over: Partial<RunInfo> = {}): RunInfo {
  return {
    scenario: 'unit',
    policy: 'mrt',
    seed: 7,
    backend: 'none',
    shadows: ['wmmse'],
    slotMs: 1,
    durationSlots: 5000,
    logEvery: 1,
    numBs: 2,
    numUsers: 4,
    numTargets: 2,
    bsPosM: Float64Array.from([0, 0, 866, 0]),
    cellRadiusM: 500,
    userBs: Int32Array.from([0, 0, 1, 1]),
    targetBs: Int32Array.from([0, 1]),
    csiDelaySlots: 2,
    ...over,
  };
}

/** A slot record with the given per-user rates and SINRs (linear), target SINRs and beams. */
export function testSlot(
  slot: number,
  o: { rates?: number[]; sinr?: number[]; age?: number[]; targetSinr?: number[]; targetRate?: number[]; az?: number[]; policy?: string; loc?: SlotView['loc'] } = {},
): SlotView {
  const rates = o.rates ?? [1, 2, 3, 4];
  return {
    slot,
    tUs: slot * 1000,
    rc: rates.reduce((a, b) => a + b, 0),
    rs: 0.5,
    objective: 1,
    userSinr: Float64Array.from(o.sinr ?? [10, 100, 1, 0.1]),
    userRate: Float64Array.from(rates),
    userCsiAge: Int32Array.from(o.age ?? [3, 3, -1, 7]),
    userPosM: Float64Array.from([100, 0, -100, 50, 900, 0, 800, -100]),
    targetSinr: Float64Array.from(o.targetSinr ?? [0.1, 0.01]),
    targetRate: Float64Array.from(o.targetRate ?? [0.25, 0.125]),
    targetPosM: Float64Array.from([0, 200, 866, -200]),
    bs: {
      policy: [o.policy ?? 'mrt', o.policy ?? 'mrt'],
      fallback: Uint8Array.from([0, 1]),
      powerW: Float64Array.from([1, 0.5]),
      beamAzDeg: Float64Array.from(o.az ?? [0, 90]),
    },
    ...(o.loc ? { loc: o.loc } : {}),
  };
}
