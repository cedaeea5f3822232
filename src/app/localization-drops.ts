/**
 * The computations behind `isac-twin localization figures` (paper 003, Figs. 2–4), without I/O:
 * random drops of a localisation scenario, the four algorithms on each, and Fig. 4's patterns.
 *
 * A drop with seed s is slot 0 of a twin run of the scenario with seed s: the same user
 * positions, channels and ζ_{m,n}. As in the paper (a static snapshot), every design knows the
 * true channels, target position and ε (perfect CSI); the CRLB is evaluated on the same data.
 */
import { performance } from 'node:perf_hooks';
import { ChannelModel } from '../phy/channel.ts';
import { czeros, type CArray } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';
import { ZetaProcess, pathGainsInto } from '../phy/localization.ts';
import { Population } from '../phy/mobility.ts';
import { dbmToW, type Beamformers, type Topology } from '../phy/network.ts';
import { streamFor } from '../phy/random.ts';
import { beamGain } from '../metrics/localization.ts';
import { dbToLinear, designTargets, radarOnlyDesign } from '../policies/localization.ts';
import { builtinPolicies } from '../policies/registry.ts';
import { decideAllFrom, type CsiView } from '../policies/types.ts';
import { checkConstraints, designCrlb, solveDesign, type DesignInstance } from '../solvers/crlb-design.ts';
import type { LoadedScenario } from '../scenario/validate.ts';

export const ALGORITHMS = ['crlb-sdp', 'radar-only', 'zf', 'beampattern'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface FigureGrid {
  /** Fig. 2: Γ values (dB) at P = powerDbm. */
  gammasDb: number[];
  /** Fig. 3: P values (dBm) at Γ = gammaDb. */
  powersDbm: number[];
  gammaDb: number;
  powerDbm: number;
  /** Fig. 4 at these Γ (dB): the first is the paper's figure, the others show the trend. */
  patternGammasDb: number[];
  /** Beampattern baseline: main-lobe width and grid (deg). */
  mainLobeDeg: number;
  gridDeg: number;
  /** Interior-point tolerance. */
  tolerance: number;
}

export interface PointResult {
  algorithm: Algorithm;
  /** The design's status (closed forms: 'closed-form'; zf: 'heuristic'). */
  status: string;
  crlbM2: number;
  iterations: number;
  solveMs: number;
  rankOneRatio: number;
  extraction: string;
  /** Share of users with SINR ≥ Γ(1 − 1e-6), and the smallest SINR (dB). */
  usersMeetingGamma: number;
  minSinrDb: number;
}

export interface DropResult {
  seed: number;
  gamma: Array<{ gammaDb: number; results: PointResult[] }>;
  power: Array<{ powerDbm: number; results: PointResult[] }>;
}

/** One random drop: slot 0 of a twin run with this seed (users, channels, ζ). */
export interface Drop {
  seed: number;
  topo: Topology;
  H: CArray;
  /** [numLocTargets, 2] and [numLocTargets, numBs, numTmt]. */
  targetPosM: Float64Array;
  eps2: Float64Array;
}

export function drawDrop(loaded: LoadedScenario, seed: number): Drop {
  const s = loaded.scenario;
  const topo = loaded.topology;
  const model = topo.localization;
  if (!model || !s.localization) throw new Error(`${loaded.file}: the scenario has no localization: section`);
  const geo = { cellCentresM: topo.bsPosM, cellRadiusM: topo.cellRadiusM };
  const users = new Population(topo.userBs, geo, s.users.mobility, s.users.placement, streamFor(seed, 'users'));
  const targets = new Population(topo.targetBs, geo, s.targets.mobility, s.targets.placement, streamFor(seed, 'targets'));
  const channel = new ChannelModel(topo, { ...s.channel, rcsM2: s.targets.rcsM2 }, s.timing.slotMs / 1000, streamFor(seed, 'fading'));
  channel.update(users, targets, 0);
  const targetPosM = Float64Array.from(s.localization.targets.positionsM.flat());
  const zeta = new ZetaProcess(s.localization.zeta, model.numTargets, topo.numBs, model.numTmt, streamFor(seed, 'localization-zeta'));
  const per = topo.numBs * model.numTmt;
  const eps2 = new Float64Array(model.numTargets * per);
  for (let t = 0; t < model.numTargets; t++) {
    const F = pathGainsInto(new Float64Array(per), topo.bsPosM, model, targetPosM[2 * t], targetPosM[2 * t + 1]);
    for (let i = 0; i < per; i++) eps2[t * per + i] = F[i] * zeta.zeta[t * per + i] ** 2;
  }
  return { seed, topo, H: Float64Array.from(channel.state.H), targetPosM, eps2 };
}

/** The drop's design instance at per-BS power P (dBm): perfect knowledge. */
export function dropInstance(drop: Drop, powerDbm: number): DesignInstance {
  const topo = { ...drop.topo, powerW: new Float64Array(drop.topo.numBs).fill(dbmToW(powerDbm)) };
  return { topo, H: drop.H, targets: designTargets(topo, drop.targetPosM, drop.eps2) };
}

function zfBeams(inst: DesignInstance): Beamformers {
  const topo = inst.topo;
  const view = { owner: -1, H: inst.H, known: new Uint8Array(topo.numBs).fill(1) } as unknown as CsiView;
  return decideAllFrom(builtinPolicies().resolve({ name: 'zf', params: {} }, topo), view, { topo, rho: 0.5, slot: 0, rng: streamFor(0, 'zf') });
}

function sinrStats(inst: DesignInstance, W: Beamformers, gamma: number): Pick<PointResult, 'usersMeetingGamma' | 'minSinrDb'> {
  const c = checkConstraints(inst, W, gamma);
  let meet = 0;
  for (const v of c.sinr) if (v >= gamma * (1 - 1e-6)) meet++;
  return { usersMeetingGamma: meet / Math.max(1, c.sinr.length), minSinrDb: 10 * Math.log10(Math.min(...c.sinr)) };
}

/** The algorithms (all four, or `only`) on one instance at threshold Γ (dB). */
export function runAlgorithms(inst: DesignInstance, gammaDb: number, grid: FigureGrid, seed: number, only?: Algorithm[]): PointResult[] {
  const gamma = dbToLinear(gammaDb);
  const sdp = { tolFeas: grid.tolerance, tolGap: grid.tolerance };
  const out: PointResult[] = [];
  const want = (a: Algorithm) => !only || only.includes(a);
  const timed = <T>(fn: () => T): [T, number] => {
    const t0 = performance.now();
    const v = fn();
    return [v, performance.now() - t0];
  };
  for (const kind of ['crlb-sdp', 'beampattern'] as const) {
    if (!want(kind)) continue;
    const rng = streamFor(seed, `figures:${kind}`);
    const [r, ms] = timed(() =>
      solveDesign(inst, {
        objective: kind === 'crlb-sdp' ? { kind: 'crlb' } : { kind: 'beampattern', mainLobeDeg: grid.mainLobeDeg, gridDeg: grid.gridDeg },
        sinrMin: gamma,
        sdp,
        randn: () => rng.normal(),
      }),
    );
    out.push({
      algorithm: kind,
      status: r.status,
      crlbM2: r.W ? designCrlb(inst, r.W) : NaN,
      iterations: r.iterations,
      solveMs: ms,
      rankOneRatio: r.minRankOneRatio,
      extraction: r.extraction,
      ...(r.W ? sinrStats(inst, r.W, gamma) : { usersMeetingGamma: NaN, minSinrDb: NaN }),
    });
  }
  if (want('radar-only')) {
    const [r, ms] = timed(() => radarOnlyDesign(inst, sdp));
    out.push({ algorithm: 'radar-only', status: 'closed-form', crlbM2: r.crlbM2, iterations: r.iterations, solveMs: ms, rankOneRatio: NaN, extraction: r.extraction, ...sinrStats(inst, r.W!, gamma) });
  }
  if (want('zf')) {
    const [W, ms] = timed(() => zfBeams(inst));
    out.push({ algorithm: 'zf', status: 'heuristic', crlbM2: designCrlb(inst, W), iterations: 0, solveMs: ms, rankOneRatio: NaN, extraction: 'none', ...sinrStats(inst, W, gamma) });
  }
  return out;
}

/** Every point of Figs. 2 and 3 for one drop. */
export function evaluateDrop(loaded: LoadedScenario, seed: number, grid: FigureGrid): DropResult {
  const drop = drawDrop(loaded, seed);
  const base = dropInstance(drop, grid.powerDbm);
  // radar-only and zf do not depend on Γ (only their SINR statistics do).
  const gamma = grid.gammasDb.map((g) => ({ gammaDb: g, results: runAlgorithms(base, g, grid, seed) }));
  const power = grid.powersDbm.map((p) => ({ powerDbm: p, results: runAlgorithms(dropInstance(drop, p), grid.gammaDb, grid, seed) }));
  return { seed, gamma, power };
}

export interface PatternRow {
  thetaDeg: number;
  algorithm: Algorithm;
  /** 10 log10(Σ_k |a(θ)ᴴ f_1k|² / P) (dB): the array gain of BS 1's beams. */
  gainDb: number;
}

/** Fig. 4: the beampattern of BS 1 (index 0) for every algorithm on drop `seed` at (Γ, P). */
export function beampatternFigure(
  loaded: LoadedScenario,
  seed: number,
  grid: FigureGrid,
  gammaDb: number,
): { rows: PatternRow[]; targetDeg: number; peaks: Record<string, number>; status: string } {
  const drop = drawDrop(loaded, seed);
  const inst = dropInstance(drop, grid.powerDbm);
  const gamma = dbToLinear(gammaDb);
  const sdp = { tolFeas: grid.tolerance, tolGap: grid.tolerance };
  const rng = streamFor(seed, 'figures:pattern');
  const designs: Record<Algorithm, Beamformers | undefined> = {
    'crlb-sdp': solveDesign(inst, { objective: { kind: 'crlb' }, sinrMin: gamma, sdp, randn: () => rng.normal() }).W,
    'radar-only': radarOnlyDesign(inst, sdp).W,
    zf: zfBeams(inst),
    beampattern: solveDesign(inst, {
      objective: { kind: 'beampattern', mainLobeDeg: grid.mainLobeDeg, gridDeg: grid.gridDeg },
      sinrMin: gamma,
      sdp,
      randn: () => rng.normal(),
    }).W,
  };
  const nt = inst.topo.numTxAnt;
  const a = czeros(nt);
  const rows: PatternRow[] = [];
  const peaks: Record<string, number> = {};
  for (const alg of ALGORITHMS) {
    const W = designs[alg];
    if (!W) continue;
    let best = -Infinity;
    for (let i = 0; i <= 360; i++) {
      const th = -90 + 0.5 * i;
      steeringInto(a, 0, nt, (th * Math.PI) / 180);
      const g = 10 * Math.log10(beamGain(W[0], nt, a) / inst.topo.powerW[0]);
      rows.push({ thetaDeg: th, algorithm: alg, gainDb: g });
      if (g > best) {
        best = g;
        peaks[alg] = th;
      }
    }
  }
  const targetDeg = (inst.targets[0].thetaRad[0] * 180) / Math.PI;
  return { rows, targetDeg, peaks, status: designs['crlb-sdp'] ? 'optimal' : 'infeasible' };
}

