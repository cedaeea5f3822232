/**
 * Paper 001's cell-free ISAC system (Elrashidy, Masood, Nasir, "Unsupervised learning approach for
 * beamforming in cell-free ISAC", ../shared/papers/001_*.txt §2 and §7; docs/teacher-student.md):
 * L APs with M-antenna ULAs serve N single-antenna users jointly and sense one target.
 *
 *   a(φ) = [1, e^{j2πλcosφ}, …, e^{j2πλ(M−1)cosφ}]ᵀ                     (4), λ = antenna spacing ratio
 *   h_ln = a(θ_ln) (LoS, no path loss, no distance phase: §7, "depends solely on the orientation")
 *   SINR_n = |h_nᴴw_n|² / (Σ_{n'≠n} |h_nᴴw_n'|² + |h_nᴴw_s|² + σ_n²),  h_nᴴw_q = Σ_l h_lnᴴ w_lq   (2)
 *   SSNR = Σ_r Σ_l σ²_{s_lr} ‖a(θ_l)ᴴ W̄_l‖² / Σ_r σ²_{a_r} = c Σ_l Σ_q |a(θ_l)ᴴ w_lq|²           (6)
 *          with c = σ_s²/σ_a² when every σ²_{s_lr} = σ_s² and every σ²_{a_r} = σ_a²
 *
 * Angles φ are measured from the array (x) axis, φ = atan2(Δy, Δx) from the AP to the agent (the
 * benchmark's public code, notes §8 items 1–2). The twin's steering vector (phy/geometry.ts
 * steeringInto) is e^{jπ k sin ϑ} with ϑ from broadside: at λ = ½ the two agree for ϑ = π/2 − φ, so
 * the channels are built with steeringInto (one steering formula in the code base).
 *
 * The metrics are the twin's own (metrics/isac.ts commSinrInto, sensingSinrInto on a multistatic
 * cell-free Topology whose every AP carries every user's stream and one sensing stream): this module
 * only adapts the paper's quantities to them.
 *
 * Layouts (complex interleaved re/im, float64 here, float32 in datasets):
 *   H      [L, N, M]   h_ln (the twin's H [numBs, numUsers, numTxAnt]; losses.ts H [B, M, U, 2N])
 *   A      [L, M]      a(θ_l), the target's steering vector at AP l
 *   W_l    [N+1, M]    AP l's beams: rows 0…N−1 the users, row N the sensing beam (the twin's W_m)
 */
import { czeros, type CArray } from '../../phy/complex.ts';
import { steeringInto } from '../../phy/geometry.ts';
import { associationFrom, type Beamformers, type Topology } from '../../phy/network.ts';
import { emptySensingChannels, multistaticSensingInto, type SensingChannels } from '../../metrics/isac.ts';
import { jscValue, type JscProblem } from '../../solvers/bisection-sdp.ts';

/** The paper's constants (§7) and the benchmark code's choices where the paper is silent (notes §6). */
export interface Paper001Config {
  /** L */ numAps: number;
  /** M */ numTxAnt: number;
  /** N */ numUsers: number;
  /** [L, 2] AP positions (m). */
  apPositionsM: Float64Array;
  /** P_l (W), the same at every AP. */
  powerW: number;
  /** σ_n² (W), every user. */
  noiseCommW: number;
  /** σ²_{s_lr}, every (l, r) pair. */
  sensingGain: number;
  /** σ²_{a_r} (W), every receiving AP. */
  noiseSensW: number;
  /** λ of eq. (4): antenna spacing over wavelength. Only ½ is supported (the twin's ULA). */
  spacing: number;
}

/** §7: 2 APs at (25, 0) and (75, 0) m, M = 16, P_l = 1 W, noise 1 W at the users and the receivers, σ_s² = 0.1. */
export function paper001Config(numUsers: number, over: Partial<Omit<Paper001Config, 'numUsers'>> = {}): Paper001Config {
  const cfg: Paper001Config = {
    numAps: 2,
    numTxAnt: 16,
    numUsers,
    apPositionsM: Float64Array.of(25, 0, 75, 0),
    powerW: 1,
    noiseCommW: 1,
    sensingGain: 0.1,
    noiseSensW: 1,
    spacing: 0.5,
    ...over,
  };
  checkConfig(cfg);
  return cfg;
}

function checkConfig(c: Paper001Config): void {
  const bad = (field: string, why: string) => {
    throw new RangeError(`paper 001 config: ${field} ${why}`);
  };
  for (const k of ['numAps', 'numTxAnt', 'numUsers'] as const) if (!Number.isInteger(c[k]) || c[k] < 1) bad(k, `must be a positive integer, got ${c[k]}`);
  if (c.apPositionsM.length !== 2 * c.numAps) bad('apPositionsM', `has ${c.apPositionsM.length} numbers, expected 2·numAps = ${2 * c.numAps}`);
  for (const k of ['powerW', 'noiseCommW', 'sensingGain', 'noiseSensW'] as const) if (!(c[k] > 0) || !Number.isFinite(c[k])) bad(k, `must be a positive number, got ${c[k]}`);
  if (c.spacing !== 0.5) bad('spacing', `must be 0.5 (the twin's half-wavelength ULA), got ${c.spacing}`);
}

/** c of eq. (6) for equal gains and noises: Σ_r σ_s² / Σ_r σ_a² = σ_s²/σ_a² (no receive-array gain: (6) as printed, notes §8 item 4). */
export function sensingSnrGain(c: Paper001Config): number {
  return (c.numAps * c.sensingGain) / (c.numAps * c.noiseSensW);
}

/** The sensing bound of (6) [D]: ‖aᴴW̄_l‖² ≤ ‖a‖²‖W̄_l‖²_F = M P_l, so SSNR ≤ c·M·Σ_l P_l (3.2 in the paper's setting). */
export function ssnrBound(c: Paper001Config): number {
  return sensingSnrGain(c) * c.numTxAnt * c.numAps * c.powerW;
}

/** The broadside angle of the twin's ULA (phy/geometry.ts) of an angle from the array axis. */
export function axisToBroadside(phiRad: number): number {
  return Math.PI / 2 - phiRad;
}

/** a(φ) of eq. (4) (φ from the array axis, λ = ½) into `out` at element offset `offset`. */
export function steeringFromAxisInto(out: CArray, offset: number, numAnt: number, phiRad: number): void {
  steeringInto(out, offset, numAnt, axisToBroadside(phiRad));
}

/** φ = atan2(y − y_l, x − x_l) from AP l to the point (x, y), rad in (−π, π]. */
export function angleFromAp(c: Paper001Config, l: number, x: number, y: number): number {
  return Math.atan2(y - c.apPositionsM[2 * l + 1], x - c.apPositionsM[2 * l]);
}

/** One snapshot of the paper's system: the channels every metric and solver needs. */
export interface Paper001Instance {
  config: Paper001Config;
  /** [L, N+1] angles from AP l to user n (n < N) and to the target (n = N), rad from the array axis. */
  phiRad: Float64Array;
  /** [L, N, M] h_ln = a(θ_ln). */
  H: CArray;
  /** [L, M] a(θ_l) of the target. */
  A: CArray;
}

/** The instance of angles [L, N+1] (users, then the target), channels from (4). */
export function instanceFromAngles(config: Paper001Config, phiRad: ArrayLike<number>): Paper001Instance {
  const { numAps: L, numUsers: N, numTxAnt: M } = config;
  if (phiRad.length !== L * (N + 1)) throw new RangeError(`paper 001 instance: phiRad has ${phiRad.length} angles, expected L·(N+1) = ${L * (N + 1)}`);
  const phi = Float64Array.from(phiRad);
  const H = czeros(L * N * M);
  const A = czeros(L * M);
  for (let l = 0; l < L; l++) {
    for (let n = 0; n < N; n++) steeringFromAxisInto(H, (l * N + n) * M, M, phi[l * (N + 1) + n]);
    steeringFromAxisInto(A, l * M, M, phi[l * (N + 1) + N]);
  }
  return { config, phiRad: phi, H, A };
}

/** The instance of positions [N+1, 2] (users, then the target; metres). */
export function instanceFromPositions(config: Paper001Config, posM: ArrayLike<number>): Paper001Instance {
  const { numAps: L, numUsers: N } = config;
  if (posM.length !== 2 * (N + 1)) throw new RangeError(`paper 001 instance: posM has ${posM.length} numbers, expected 2·(N+1) = ${2 * (N + 1)}`);
  const phi = new Float64Array(L * (N + 1));
  for (let l = 0; l < L; l++) for (let q = 0; q <= N; q++) phi[l * (N + 1) + q] = angleFromAp(config, l, posM[2 * q], posM[2 * q + 1]);
  return instanceFromAngles(config, phi);
}

/**
 * The twin Topology of the paper's network: cell-free, every AP carrying every user's stream (rows
 * 0…N−1 in user order) and one sensing stream (row N), one target sensed multistatically, per-AP
 * budget P_l and σ_n². Positions are the APs'; the CPU sits at their centroid.
 */
export function paper001Topology(c: Paper001Config): Topology {
  const { numAps: L, numUsers: N, numTxAnt: M } = c;
  const userAps = Array.from({ length: N }, () => Int32Array.from({ length: L }, (_, l) => l));
  let cx = 0;
  let cy = 0;
  for (let l = 0; l < L; l++) {
    cx += c.apPositionsM[2 * l] / L;
    cy += c.apPositionsM[2 * l + 1] / L;
  }
  return {
    kind: 'cell-free',
    numBs: L,
    numTxAnt: M,
    numRxAnt: M,
    numUsers: N,
    numTargets: 1,
    numSensingStreams: 1,
    numStreams: N + 1,
    bsPosM: Float64Array.from(c.apPositionsM),
    cpuPosM: Float64Array.of(cx, cy),
    // the ULAs lie along x: broadside is +y
    broadsideRad: Math.PI / 2,
    cellRadiusM: 50,
    sensingGeometry: 'multistatic',
    receiveArrayGain: false,
    dynamicAssociation: false,
    ...associationFrom(L, userAps, new Int32Array(N), 1, Int32Array.of(0), 0),
    powerW: new Float64Array(L).fill(c.powerW),
    noiseCommW: c.noiseCommW,
    noiseSensW: c.noiseSensW,
    carrierHz: 0,
    lambdaM: 0,
  };
}

/** The multistatic sensing channels g_l = √c a(θ_l) of an instance (metrics/isac.ts multistaticSensingInto). */
export function sensingChannelsOf(topo: Topology, inst: Paper001Instance): SensingChannels {
  const { numAps: L, numUsers: N } = inst.config;
  const sens = emptySensingChannels(topo);
  const theta = Float64Array.from({ length: L }, (_, l) => axisToBroadside(inst.phiRad[l * (N + 1) + N]));
  multistaticSensingInto(sens, topo, theta, new Float64Array(L).fill(sensingSnrGain(inst.config)));
  return sens;
}

/** g₁, g₂ and the per-user SINRs of one beam set. */
export interface Paper001Value {
  /** [N] SINR_n of (2), linear. */
  sinr: Float64Array;
  /** g₂ = min_n SINR_n. */
  minSinr: number;
  /** g₁ = SSNR of (6), linear. */
  ssnr: number;
  /** [L] ‖W̄_l‖²_F (W). */
  apPowerW: Float64Array;
}

/** Evaluates beams on an instance: (2) and (6) through the twin's metrics (solvers/bisection-sdp.ts jscValue). */
export class Paper001Evaluator {
  readonly topo: Topology;

  constructor(readonly config: Paper001Config) {
    this.topo = paper001Topology(config);
  }

  /** The benchmark's problem of an instance (topology, channels, sensing channels). */
  problem(inst: Paper001Instance): JscProblem {
    if (inst.config.numUsers !== this.config.numUsers || inst.config.numTxAnt !== this.config.numTxAnt || inst.config.numAps !== this.config.numAps) {
      throw new RangeError(`paper 001: an instance of L=${inst.config.numAps}, N=${inst.config.numUsers}, M=${inst.config.numTxAnt} on an evaluator of L=${this.config.numAps}, N=${this.config.numUsers}, M=${this.config.numTxAnt}`);
    }
    return { topo: this.topo, H: inst.H, sens: sensingChannelsOf(this.topo, inst) };
  }

  evaluate(inst: Paper001Instance | JscProblem, W: Beamformers): Paper001Value {
    checkBeams(this.config, W);
    return jscValue('topo' in inst ? inst : this.problem(inst), W);
  }
}

function checkBeams(c: Paper001Config, W: Beamformers): void {
  if (W.length !== c.numAps) throw new RangeError(`paper 001 beams: ${W.length} APs, expected ${c.numAps}`);
  const want = 2 * (c.numUsers + 1) * c.numTxAnt;
  W.forEach((Wl, l) => {
    if (Wl.length !== want) throw new RangeError(`paper 001 beams: W[${l}] has ${Wl.length} floats, expected 2·(N+1)·M = ${want}`);
  });
}

/** Beams [L, N+1, 2M] (one sample of the dense tf layout, from `offset`) → Beamformers. */
export function beamsFromDense(c: Paper001Config, dense: ArrayLike<number>, offset = 0): Beamformers {
  const per = 2 * (c.numUsers + 1) * c.numTxAnt;
  return Array.from({ length: c.numAps }, (_, l) => Float64Array.from({ length: per }, (_, i) => dense[offset + l * per + i]));
}

/** Beamformers → dense [L, N+1, 2M] float32 (losses.ts's W of one sample; every AP carries every stream). */
export function denseFromBeams(c: Paper001Config, W: Beamformers): Float32Array {
  checkBeams(c, W);
  const per = 2 * (c.numUsers + 1) * c.numTxAnt;
  const out = new Float32Array(c.numAps * per);
  W.forEach((Wl, l) => out.set(Wl, l * per));
  return out;
}
