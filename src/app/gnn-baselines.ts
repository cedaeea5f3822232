/**
 * The baselines of `isac-twin figures gnn` on paper 004's test set (docs/gnn.md): for one number of
 * APs M, the i.i.d. samples of the paper channel drawn from a fixed seed, and per sample the sum
 * rate and sensing SNR of WMMSE (β_s = 0), CB comm ('ue' and 'ap' normalisations) and CB sensing,
 * and on the first `pgaSamples` samples the PGA reference at every β_s > 0. Every value is
 * metrics/isac.ts's (solvers/cf-isac.ts isacValue) on the sample's true channel.
 *
 * Pure given its inputs (no I/O); gnn-figures.ts runs it in worker threads (gnn-worker.ts) and
 * caches the result.
 */
import { emptySensingChannels, multistaticGainsInto, multistaticSensingInto, type SensingChannels } from '../metrics/isac.ts';
import { buildTopology, type Topology } from '../phy/network.ts';
import { axisToBroadsideRad, drawPaperSamples, resolvePaperChannel, type PaperSample } from '../phy/paper-channel.ts';
import { streamFor } from '../phy/random.ts';
import type { Scenario } from '../scenario/schema.ts';
import { cbComm, cbSensing, cfWmmse, isacValue, pgaReference, type CfIsacProblem } from '../solvers/cf-isac.ts';

/** The β_s grid of Fig. 3 (reading notes A8) and the M range of Fig. 4. */
export const DEFAULT_BETAS = [0, 0.5, 1, 2, 5, 10];
export const DEFAULT_APS = [2, 3, 4, 5, 6, 7, 8, 9, 10];
/** The models Fig. 4 uses (trained at M = 5). */
export const FIG4_BETAS = [0, 2];

/** Solver settings of the figures (stated in the captions). */
export interface BaselineSettings {
  /** WMMSE iteration cap and relative tolerance (notes §3.2: 300 and 1e-7; 1e-6 here: ≤ 2e-5 of the rate, 30 % faster). */
  wmmseIterations: number;
  wmmseTolerance: number;
  /** PGA step cap per start and relative tolerance. */
  pgaIterations: number;
  pgaTolerance: number;
}

export const DEFAULT_BASELINE_SETTINGS: BaselineSettings = { wmmseIterations: 300, wmmseTolerance: 1e-6, pgaIterations: 3000, pgaTolerance: 1e-8 };

/** WMMSE iterates at which the rate is reported as a fraction of the final one (notes §3.2). */
export const WMMSE_CHECKPOINTS = [10, 20, 50, 100] as const;

/** One test set: which samples, how many, for which M. */
export interface TestSetSpec {
  seed: number;
  numAps: number;
  samples: number;
}

/** Per-sample results for samples [from, to) of a test set. */
export interface BaselineChunk {
  from: number;
  to: number;
  wmmseRate: number[];
  /** WMMSE's sensing SNR: its comm beams illuminate the target too (sensing rows are 0). */
  wmmseSnr: number[];
  wmmseIterations: number[];
  /** [checkpoint][sample] rate after WMMSE_CHECKPOINTS[k] iterations / final (1 once converged). */
  wmmseFraction: number[][];
  cbUeRate: number[];
  cbUeSnr: number[];
  cbApRate: number[];
  cbApSnr: number[];
  cbsSnr: number[];
  cbsRate: number[];
  /** Per β_s (the order of `pgaBetas`): rate, SNR and start index of the PGA reference, samples < pgaSamples only. */
  pga: Array<{ beta: number; rate: number[]; snr: number[]; start: number[] }>;
}

/** The scenario with M APs (the paper's P_m = ΣP/M follows). */
export function scenarioWithAps(s: Scenario, numAps: number): Scenario {
  const c = structuredClone(s);
  c.topology.cellFree.numAps = numAps;
  return c;
}

/** The figures need paper mode, one target, one sensing stream, all APs serving all users. */
export function figureSettingProblem(s: Scenario): string | undefined {
  if (s.channel.model !== 'paper') return 'channel.model must be paper (paper 004’s normalised channel)';
  if (s.topology.kind !== 'cell-free') return 'topology.kind must be cell-free';
  if (s.targets.perCell !== 1) return `targets.perCell must be 1 (paper 004 senses one target), got ${s.targets.perCell}`;
  if ((s.sensing.streams ?? 1) !== 1) return 'sensing.streams must be 1 (Q = 1)';
  if ((s.association.mode ?? 'all') !== 'all') return `association.mode must be all (every AP serves every user), got ${s.association.mode}`;
  return undefined;
}

/** The test set's samples: stream `paper004/test/M=<M>` of the seed. */
export function testSamples(s: Scenario, spec: TestSetSpec): PaperSample[] {
  const rng = streamFor(spec.seed, `paper004/test/M=${spec.numAps}`);
  return drawPaperSamples(rng, spec.samples, spec.numAps, s.users.perCell, s.topology.numTxAnt, resolvePaperChannel(s.channel.paper));
}

/** c_m of the topology (eq. 7 with the scenario's ζ², ς² and receive-gain choice). */
export function sensingGains(topo: Topology): Float64Array {
  const c = new Float64Array(topo.numBs * topo.numTargets);
  multistaticGainsInto(c, topo, new Float64Array(c.length).fill(1), 1, 2);
  return c;
}

/** The sample as a problem on `topo` (sensing channels √c_m a(θ_m)). */
export function problemOfSample(topo: Topology, c: Float64Array, sample: PaperSample, sens: SensingChannels = emptySensingChannels(topo)): CfIsacProblem {
  multistaticSensingInto(sens, topo, Float64Array.from(sample.thetaRad, axisToBroadsideRad), c);
  return { topo, H: sample.H, sens };
}

/** Runs the baselines on samples [from, to) of the test set. */
export function evaluateBaselines(
  s: Scenario,
  spec: TestSetSpec,
  range: { from: number; to: number },
  pga: { betas: number[]; samples: number },
  settings: BaselineSettings = DEFAULT_BASELINE_SETTINGS,
): BaselineChunk {
  const sc = scenarioWithAps(s, spec.numAps);
  const topo = buildTopology(sc);
  const c = sensingGains(topo);
  const samples = testSamples(sc, spec).slice(range.from, range.to);
  const out: BaselineChunk = {
    ...range,
    wmmseRate: [],
    wmmseSnr: [],
    wmmseIterations: [],
    wmmseFraction: WMMSE_CHECKPOINTS.map(() => []),
    cbUeRate: [],
    cbUeSnr: [],
    cbApRate: [],
    cbApSnr: [],
    cbsSnr: [],
    cbsRate: [],
    pga: pga.betas.map((beta) => ({ beta, rate: [], snr: [], start: [] })),
  };
  samples.forEach((sample, k) => {
    const p = problemOfSample(topo, c, sample);
    const w = cfWmmse(topo, sample.H, { maxIterations: settings.wmmseIterations, tolerance: settings.wmmseTolerance });
    const final = w.wsrTrace[w.wsrTrace.length - 1];
    const wv = isacValue(p, w.W, 0);
    out.wmmseRate.push(wv.sumRate);
    out.wmmseSnr.push(wv.snr[0]);
    out.wmmseIterations.push(w.iterations);
    WMMSE_CHECKPOINTS.forEach((it, j) => out.wmmseFraction[j].push(w.wsrTrace[Math.min(it, w.wsrTrace.length - 1)] / final));
    for (const [kind, rate, snr] of [['ue', out.cbUeRate, out.cbUeSnr], ['ap', out.cbApRate, out.cbApSnr]] as const) {
      const v = isacValue(p, cbComm(topo, sample.H, kind), 0);
      rate.push(v.sumRate);
      snr.push(v.snr[0]);
    }
    const cbs = isacValue(p, cbSensing(p), 0);
    out.cbsSnr.push(cbs.snr[0]);
    out.cbsRate.push(cbs.sumRate);
    if (range.from + k < pga.samples) {
      for (const row of out.pga) {
        const r = pgaReference(p, row.beta, w.W, { maxIterations: settings.pgaIterations, tolerance: settings.pgaTolerance });
        row.rate.push(r.value.sumRate);
        row.snr.push(r.value.snr[0]);
        row.start.push(r.start);
      }
    }
  });
  return out;
}

/** Concatenates chunks (in sample order) into one. */
export function mergeChunks(chunks: BaselineChunk[]): BaselineChunk {
  const sorted = [...chunks].sort((a, b) => a.from - b.from);
  const cat = (f: (c: BaselineChunk) => number[]) => sorted.flatMap(f);
  return {
    from: sorted[0]?.from ?? 0,
    to: sorted[sorted.length - 1]?.to ?? 0,
    wmmseRate: cat((c) => c.wmmseRate),
    wmmseSnr: cat((c) => c.wmmseSnr),
    wmmseIterations: cat((c) => c.wmmseIterations),
    wmmseFraction: WMMSE_CHECKPOINTS.map((_, j) => cat((c) => c.wmmseFraction[j])),
    cbUeRate: cat((c) => c.cbUeRate),
    cbUeSnr: cat((c) => c.cbUeSnr),
    cbApRate: cat((c) => c.cbApRate),
    cbApSnr: cat((c) => c.cbApSnr),
    cbsSnr: cat((c) => c.cbsSnr),
    cbsRate: cat((c) => c.cbsRate),
    pga: (sorted[0]?.pga ?? []).map((row, i) => ({
      beta: row.beta,
      rate: cat((c) => c.pga[i].rate),
      snr: cat((c) => c.pga[i].snr),
      start: cat((c) => c.pga[i].start),
    })),
  };
}
