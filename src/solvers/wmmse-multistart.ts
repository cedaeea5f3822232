/**
 * A stronger WMMSE for the figures (paper 000's benchmark [8]): the same block-coordinate
 * iteration (solvers/wmmse.ts) from several starting points, keeping the best end point.
 *
 * Starts:
 *   - `mrt`  MRT at full power, equal power per stream (WMMSE's usual start);
 *   - `zf`   nulling: every BS zero-forces towards ALL users of all cells (IMT) when the network has
 *            no more users than N_T, else towards its own users only (ZF); equal power per stream;
 *   - `previous` a given solution (e.g. the same sample's at the neighbouring SNR point), scaled to
 *            each BS's budget.
 * WMMSE is a local method on a non-convex problem, so different starts end at different values:
 * the result reports each start's value and the spread (max − min), and returns the best.
 */
import type { CArray } from '../phy/complex.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { equalPowerPerStream, emptyBeams } from '../policies/common.ts';
import { zeroForcingBeams } from '../policies/zf.ts';
import { wmmse, type WmmseOptions } from './wmmse.ts';

export type WmmseStart = 'mrt' | 'zf' | 'previous';

export interface MultiStartOptions extends Omit<WmmseOptions, 'init'> {
  /** Starts to run (default ['mrt', 'zf'], plus 'previous' when `previous` is given). */
  starts?: WmmseStart[];
  /** A previous solution to start from (scaled to each BS's budget). */
  previous?: Beamformers;
}

export interface StartResult {
  start: WmmseStart;
  wsr: number;
  iterations: number;
  converged: boolean;
  /** Weighted sum rate of the start itself (trace[0]). */
  initialWsr: number;
}

export interface MultiStartResult {
  W: Beamformers;
  /** Weighted sum rate of the best start's end point. */
  wsr: number;
  best: WmmseStart;
  runs: StartResult[];
  /** max − min of the end values over the starts (bit/s/Hz). */
  spread: number;
}

/** The nulling start: IMT (all users nulled) when numUsers ≤ N_T, else intra-cell ZF; equal power per stream. */
export function zfInit(topo: Topology, H: CArray): Beamformers {
  const all = Int32Array.from({ length: topo.numUsers }, (_, u) => u);
  return topo.servedUsers.map((serve, m) => {
    if (serve.length === 0) return emptyBeams(topo, m);
    const nulled = topo.numUsers <= topo.numTxAnt ? all : serve;
    const W = zeroForcingBeams(topo, H, m, nulled, serve);
    return equalPowerPerStream(W, serve.length, topo.numTxAnt, topo.powerW[m]);
  });
}

/** `previous` scaled so that BS m uses its whole budget (a zero BS stays zero: WMMSE restarts its dead streams). */
function scaledPrevious(topo: Topology, prev: Beamformers): Beamformers {
  return prev.map((w, m) => {
    let p = 0;
    for (let i = 0; i < w.length; i++) p += w[i] * w[i];
    const s = p > 0 ? Math.sqrt(topo.powerW[m] / p) : 0;
    return Float64Array.from(w, (x) => x * s);
  });
}

/** The initial beams of one start. */
export function startBeams(topo: Topology, H: CArray, start: WmmseStart, previous?: Beamformers): Beamformers | undefined {
  if (start === 'mrt') return undefined; // wmmse's default start
  if (start === 'zf') return zfInit(topo, H);
  if (!previous) throw new Error("wmmse multi-start: start 'previous' needs a previous solution");
  return scaledPrevious(topo, previous);
}

/** Runs WMMSE from every start; returns the best end point, each start's value and the spread. */
export function wmmseMultiStart(topo: Topology, H: CArray, opts: MultiStartOptions): MultiStartResult {
  const starts = opts.starts ?? (opts.previous ? ['mrt', 'zf', 'previous'] : ['mrt', 'zf']);
  let best: { W: Beamformers; wsr: number; start: WmmseStart } | undefined;
  const runs: StartResult[] = [];
  for (const start of starts) {
    const init = startBeams(topo, H, start, opts.previous);
    const r = wmmse(topo, H, { ...opts, init });
    const wsr = r.wsrTrace.at(-1)!;
    runs.push({ start, wsr, iterations: r.iterations, converged: r.converged, initialWsr: r.wsrTrace[0] });
    if (!best || wsr > best.wsr) best = { W: r.W, wsr, start };
  }
  if (!best) throw new Error('wmmse multi-start: no start given');
  const values = runs.map((r) => r.wsr);
  return { W: best.W, wsr: best.wsr, best: best.start, runs, spread: Math.max(...values) - Math.min(...values) };
}

