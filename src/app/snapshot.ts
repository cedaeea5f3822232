/**
 * One slot of a run as plain JSON, for checking the twin against another tool. Layouts are
 * documented in docs/snapshot.md; complex numbers are [re, im].
 */
import { ctoPairs, type CArray } from '../phy/complex.ts';
import { delaysInto } from '../phy/localization.ts';
import type { SlotRecord } from '../sim/events.ts';
import { Twin } from '../sim/twin.ts';
// Registers the learned policies (vfl, percell): they read model files, so they live outside the core.
import type { LoadedScenario } from '../scenario/validate.ts';

type Pair = [number, number];

/** Reshapes an interleaved complex array into nested arrays of [re, im] with the given dims. */
export function nest(a: CArray, dims: number[]): unknown {
  const pairs = ctoPairs(a);
  const build = (offset: number, d: number): unknown => {
    if (d === dims.length - 1) return pairs.slice(offset, offset + dims[d]);
    const stride = dims.slice(d + 1).reduce((x, y) => x * y, 1);
    return Array.from({ length: dims[d] }, (_, i) => build(offset + i * stride, d + 1));
  };
  return build(0, 0);
}

const rows2 = (a: Float64Array): Pair[] => Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]]);

export function takeSnapshot(loaded: LoadedScenario, slot: number): Record<string, unknown> {
  const s = loaded.scenario;
  if (slot < 0 || slot >= s.durationSlots) throw new RangeError(`--slot ${slot} is outside the run (0 … ${s.durationSlots - 1})`);
  const twin = new Twin(loaded);
  const topo = twin.topo;
  let record: SlotRecord | undefined;
  let beams: CArray[] = [];
  let truth: Record<string, unknown> = {};
  let localization: Record<string, unknown> | undefined;
  twin.slots$.subscribe((r) => {
    if (r.slot !== slot) return;
    record = r;
    beams = twin.beamsInForce();
    const t = twin.truth;
    const st = t.channel;
    truth = {
      H: nest(st.H, [topo.numBs, topo.numUsers, topo.numTxAnt]),
      pathGain: Array.from({ length: topo.numBs }, (_, m) => Array.from(st.gain.subarray(m * topo.numUsers, (m + 1) * topo.numUsers))),
      targetThetaDeg: Array.from(st.targetThetaRad, (x) => (x * 180) / Math.PI),
      targetDistanceM: Array.from(st.targetDistM),
      targetAlpha: ctoPairs(st.targetAlpha),
      G: nest(st.G, [topo.numBs, topo.numBs, topo.numRxAnt, topo.numTxAnt]),
      sensingEquivalent: nest(t.sens.g, [topo.numTargets, topo.numBs, topo.numTxAnt]),
      sensingIntra: nest(t.sens.intra, [topo.numTargets, t.sens.maxTargetsPerBs, topo.numTxAnt]),
    };
    if (t.loc && r.loc) localization = localizationSnapshot(topo.bsPosM, t.loc, r.loc);
  });
  twin.runSlots(slot + 1);
  if (!record) throw new Error(`slot ${slot} was not reached`);
  const r = record;
  return {
    format: 'isac-twin-snapshot/1',
    scenario: s.name,
    seed: s.seed,
    slot,
    tMs: r.tUs / 1000,
    policy: s.policy,
    rho: s.rho,
    dims: {
      numBs: topo.numBs,
      numTxAnt: topo.numTxAnt,
      numRxAnt: topo.numRxAnt,
      numUsers: topo.numUsers,
      numTargets: topo.numTargets,
    },
    geometry: {
      bsPositionsM: rows2(topo.bsPosM),
      arrayBroadsideDeg: (topo.broadsideRad * 180) / Math.PI,
      userPositionsM: rows2(r.userPosM),
      targetPositionsM: rows2(r.targetPosM),
      userServingBs: Array.from(topo.userBs),
      userStream: Array.from(topo.userStream),
      targetSensingBs: Array.from(topo.targetBs),
    },
    carrierHz: topo.carrierHz,
    wavelengthM: topo.lambdaM,
    noise: { commW: topo.noiseCommW, sensPerAntennaW: topo.noiseSensW },
    powerBudgetW: Array.from(topo.powerW),
    channels: truth,
    beamformers: beams.map((W, m) => nest(W, [topo.servedUsers[m].length, topo.numTxAnt])),
    beamformerPolicy: r.bs.policy,
    metrics: {
      userSinr: Array.from(r.userSinr),
      userRate: Array.from(r.userRate),
      targetSinr: Array.from(r.targetSinr),
      targetRate: Array.from(r.targetRate),
      bsPowerW: Array.from(r.bs.powerW),
      rc: r.rc,
      rs: r.rs,
      objective: r.objective,
      userCsiAgeSlots: Array.from(r.userCsiAge),
    },
    ...(localization ? { localization } : {}),
  };
}

type LocTruth = NonNullable<Twin['truth']['loc']>;

/** The localisation part of a snapshot (paper 003): geometry, delays, ε, CRLB, the design in force. */
function localizationSnapshot(bsPosM: Float64Array, t: LocTruth, l: NonNullable<SlotRecord['loc']>): Record<string, unknown> {
  const { model } = t;
  const numBs = bsPosM.length / 2;
  const per = numBs * model.numTmt;
  const grid = (a: ArrayLike<number>) => Array.from({ length: numBs }, (_, m) => Array.from({ length: model.numTmt }, (_, n) => a[m * model.numTmt + n]));
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    tmtPositionsM: rows2(model.tmtPosM),
    effectiveBandwidthHz: model.effectiveBandwidthHz,
    snapshots: model.snapshots,
    symbolDurationS: model.symbolDurationS,
    noisePsdWPerHz: model.noisePsdWPerHz,
    kappa: model.kappa,
    targets: Array.from({ length: model.numTargets }, (_, i) => {
      const [x, y] = [t.posM[2 * i], t.posM[2 * i + 1]];
      const zeta = t.zeta.subarray(i * per, (i + 1) * per);
      const F = t.pathGain.subarray(i * per, (i + 1) * per);
      return {
        positionM: [x, y],
        estimateM: [l.estPosM[2 * i], l.estPosM[2 * i + 1]],
        estimateSlot: l.estSlot[i],
        delaysS: grid(delaysInto(new Float64Array(per), bsPosM, model, x, y)),
        pathGainF: grid(F),
        zeta: grid(zeta),
        epsilon: grid(F.map((f, k) => Math.sqrt(f) * zeta[k])),
        fimWeights: Array.from({ length: numBs }, (_, m) => Array.from(t.weights[i].subarray(3 * m, 3 * m + 3))),
        crlbM2: finite(l.crlbM2[i]),
        crlbXM2: finite(l.crlbXM2[i]),
        crlbYM2: finite(l.crlbYM2[i]),
      };
    }),
    solver: {
      policy: l.policy,
      status: l.solverStatus,
      iterations: finite(l.solverIterations),
      rankOneRatio: finite(l.rankOneRatio),
      infeasible: l.infeasible,
      decidedSlot: l.decidedSlot,
    },
  };
}
