/**
 * ISAC performance metrics of paper 000 (../shared/papers/000_*.txt, Sec. II-A), as pure
 * functions over typed arrays. Beamformers W_m are `[numServed_m, numTxAnt]` (row k = w_{m,k}).
 *
 * Communication SINR of user u served by BS b with stream k (eq. 6):
 *   γ_u = |h_{b,u}ᴴ w_{b,k}|² / (Σ_{(m,k')≠(b,k)} |h_{m,u}ᴴ w_{m,k'}|² + σ_c²)
 * Network rate R_c = Σ_u log2(1 + γ_u) (eq. 7).
 *
 * Sensing SINR after MRC (eqs. 5 and 8). Target t is sensed by its BS m with the receive filter
 * b(θ_t). Writing every term as gᴴw with an equivalent channel g ∈ C^{N_T}:
 *   desired       g_{t,m}  = conj(N_R α_t) a(θ_t)                      (acts on W_m)
 *   other target  c_{t,i}  = conj(b(θ_t)ᴴ b(θ_i) α_i) a(θ_i), i ≠ t     (acts on W_m)
 *   other BS n    g_{t,n}  = G_{n,m}ᴴ b(θ_t)                            (acts on W_n)
 *   γ^s_t = ‖g_{t,m}ᴴ W_m‖² / (Σ_i ‖c_{t,i}ᴴ W_m‖² + Σ_{n≠m} ‖g_{t,n}ᴴ W_n‖² + N_R σ_s²)
 * with ‖gᴴW‖² = Σ_k |gᴴ w_k|² (streams are orthogonal, (1/L) S Sᴴ = I).
 * Choice (paper ambiguity): eq. (8) as printed drops the N_R gain of the MRC, the b(θ_t)ᴴb(θ_i)
 * leakage factor and the filtered noise power N_R σ_s²; we keep all three as they follow from
 * eq. (5), so the SINR is the one the MRC output actually has.
 * Radar information rate R_s = Σ_t log2(1 + γ^s_t) (eq. 9); objective ρ R_c + (1−ρ) R_s (eq. 10).
 *
 * The general network model (phy/network.ts) adds joint transmission — a user's stream sent
 * coherently by several APs (commSinrInto) — and multistatic sensing combined at the CPU
 * (multistaticSensingInto); both reduce to the formulas above for paper 000's multicell network.
 */
import { absInnerH2, czeros, norm2, scaleInPlace, type CArray } from '../phy/complex.ts';
import { steeringInto } from '../phy/geometry.ts';
import type { Beamformers, Topology } from '../phy/network.ts';
import { paperSensingGain } from '../phy/paper-channel.ts';

/** Thrown where a metric becomes NaN or infinite, naming it; never logged as a valid value. */
export class NumericalError extends Error {
  constructor(
    readonly metric: string,
    readonly index: number,
    readonly value: number,
    readonly slot?: number,
    readonly context?: string,
  ) {
    super(`${metric}[${index}] is ${value}${slot === undefined ? '' : ` at slot ${slot}`}${context ? ` (${context})` : ''}`);
    this.name = 'NumericalError';
  }
}

/** Throws NumericalError for the first non-finite entry. */
export function assertFinite(values: ArrayLike<number>, metric: string, slot?: number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new NumericalError(metric, i, values[i], slot);
  }
}

/** Equivalent sensing channels of every target (see the module comment). */
export interface SensingChannels {
  /** How the channels are to be read (the topology's sensing geometry). */
  geometry: 'monostatic' | 'multistatic';
  /**
   * [numTargets, numBs, numTxAnt]. Monostatic: desired (n = own BS) and inter-cell (n ≠ own)
   * channels. Multistatic: g_{t,m} = √c_{m,t} a(θ_{m,t}), every AP's illumination, noise folded
   * in (see multistaticSensingInto).
   */
  g: CArray;
  /** [numTargets, maxTargetsPerBs, numTxAnt]: c_{t,i} over the own BS's targets (zero for i = t). */
  intra: CArray;
  maxTargetsPerBs: number;
}

export function emptySensingChannels(topo: Topology): SensingChannels {
  const maxTargetsPerBs = Math.max(0, ...topo.targetsOf.map((t) => t.length));
  return {
    geometry: topo.sensingGeometry,
    g: czeros(topo.numTargets * topo.numBs * topo.numTxAnt),
    intra: czeros(topo.numTargets * maxTargetsPerBs * topo.numTxAnt),
    maxTargetsPerBs,
  };
}

/**
 * Fills `out` with the equivalent sensing channels for target angles `thetaRad` ([numTargets],
 * from broadside), echo coefficients `alpha` ([numTargets] complex) and BS-to-BS channels `G`
 * ([numBs, numBs, numRxAnt, numTxAnt]).
 */
export function sensingChannelsInto(
  out: SensingChannels,
  topo: Topology,
  thetaRad: Float64Array,
  alpha: CArray,
  G: CArray,
): void {
  const { numBs, numTxAnt: nt, numRxAnt: nr, targetBs, targetsOf } = topo;
  const b = czeros(nr);
  const bi = czeros(nr);
  out.g.fill(0);
  out.intra.fill(0);
  for (let t = 0; t < topo.numTargets; t++) {
    const m = targetBs[t];
    steeringInto(b, 0, nr, thetaRad[t]);
    // desired: conj(N_R α_t) a(θ_t)
    steeringInto(out.g, (t * numBs + m) * nt, nt, thetaRad[t], nr * alpha[2 * t], -nr * alpha[2 * t + 1]);
    // inter-cell: G_{n,m}ᴴ b(θ_t), entry c = Σ_r conj(G_rc) b_r
    for (let n = 0; n < numBs; n++) {
      if (n === m) continue;
      const gOff = (n * numBs + m) * nr * nt;
      const o = 2 * (t * numBs + n) * nt;
      for (let c = 0; c < nt; c++) {
        let re = 0;
        let im = 0;
        for (let r = 0; r < nr; r++) {
          const gr = G[2 * (gOff + r * nt + c)];
          const gi = -G[2 * (gOff + r * nt + c) + 1];
          re += gr * b[2 * r] - gi * b[2 * r + 1];
          im += gr * b[2 * r + 1] + gi * b[2 * r];
        }
        out.g[o + 2 * c] = re;
        out.g[o + 2 * c + 1] = im;
      }
    }
    // intra-cell: conj(b(θ_t)ᴴ b(θ_i) α_i) a(θ_i)
    targetsOf[m].forEach((i, slot) => {
      if (i === t) return;
      steeringInto(bi, 0, nr, thetaRad[i]);
      let re = 0;
      let im = 0;
      for (let r = 0; r < nr; r++) {
        re += b[2 * r] * bi[2 * r] + b[2 * r + 1] * bi[2 * r + 1];
        im += b[2 * r] * bi[2 * r + 1] - b[2 * r + 1] * bi[2 * r];
      }
      const cr = re * alpha[2 * i] - im * alpha[2 * i + 1];
      const ci = re * alpha[2 * i + 1] + im * alpha[2 * i];
      steeringInto(out.intra, (t * out.maxTargetsPerBs + slot) * nt, nt, thetaRad[i], cr, -ci);
    });
  }
}

/**
 * Joint multistatic sensing (paper 004 eq. 7, paper 001 eq. 6): every AP m illuminates target t
 * with all its streams, every AP r in the receiving set R receives the echo, and the CPU combines
 * the receivers:
 *   SNR_t = Σ_m c_{m,t} Σ_s |a(θ_{m,t})ᴴ w_{m,s}|²,   c_{m,t} = G_rx Σ_{r∈R} ζ²_{m,r,t} / Σ_{r∈R} ς²_r
 * with ζ²_{m,r,t} the bistatic path gain m → t → r and ς²_r the receiver noise (G_rx = N_R with
 * the receive-array gain, 1 without: eq. 7 as printed). Written as equivalent channels
 * g_{t,m} = √c_{m,t} a(θ_{m,t}) ([numTargets, numBs, numTxAnt]), SNR_t = Σ_m ‖g_{t,m}ᴴ W_m‖².
 * `thetaRad` and `c` are [numBs, numTargets] (AP-major): angle of t from AP m's broadside, c_{m,t}.
 */
export function multistaticSensingInto(out: SensingChannels, topo: Topology, thetaRad: Float64Array, c: Float64Array): void {
  const { numBs, numTargets, numTxAnt: nt } = topo;
  for (let t = 0; t < numTargets; t++) {
    for (let m = 0; m < numBs; m++) {
      steeringInto(out.g, (t * numBs + m) * nt, nt, thetaRad[m * numTargets + t], Math.sqrt(c[m * numTargets + t]), 0);
    }
  }
}

/**
 * c_{m,t} of the geometric twin (docs/network-model.md): bistatic radar equation
 * ζ²_{m,r,t} = λ² σ_RCS / (4π)³ · d_{m,t}^(−η_s) d_{r,t}^(−η_s) over every receiving AP r, noise σ_s²
 * per receive antenna at each: c_{m,t} = G_rx · λ²σ/(4π)³ · d_{m,t}^(−η_s) · Σ_r d_{r,t}^(−η_s) / (M σ_s²).
 * `distM` is [numBs, numTargets]; `out` [numBs, numTargets]. With paper 004's normalised channel
 * (topo.paperChannel) there is no geometry: c_{m,t} = G_rx ζ²/ς² (phy/paper-channel.ts).
 */
export function multistaticGainsInto(out: Float64Array, topo: Topology, distM: Float64Array, rcsM2: number, sensExponent: number): void {
  const { numBs, numTargets, lambdaM } = topo;
  const rx = topo.receiveArrayGain ? topo.numRxAnt : 1;
  if (topo.paperChannel) {
    // Paper 004's normalised channel: no geometry, every ζ² and ς² equal, c_{m,t} = G_rx ζ²/ς².
    out.fill(paperSensingGain(topo.paperChannel, rx), 0, numBs * numTargets);
    return;
  }
  const k = (lambdaM * lambdaM * rcsM2) / (4 * Math.PI) ** 3;
  for (let t = 0; t < numTargets; t++) {
    let sumRx = 0;
    for (let r = 0; r < numBs; r++) sumRx += distM[r * numTargets + t] ** -sensExponent;
    for (let m = 0; m < numBs; m++) {
      out[m * numTargets + t] = (rx * k * distM[m * numTargets + t] ** -sensExponent * sumRx) / (numBs * topo.noiseSensW);
    }
  }
}

/** ‖gᴴ W‖² = Σ_k |gᴴ w_k|² for W = [rows, nt]. */
export function beamEnergy(g: CArray, gOff: number, W: CArray, rows: number, nt: number): number {
  // Σ_k |gᴴ w_k|², the inner product written out (a cross-module call per row costs a getter
  // under the tsx loader); the same arithmetic, in the same order, as absInnerH2.
  let s = 0;
  const g0 = 2 * gOff;
  for (let k = 0; k < rows; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0, a = g0, b = 2 * k * nt; i < nt; i++, a += 2, b += 2) {
      const ar = g[a];
      const ai = g[a + 1];
      const br = W[b];
      const bi = W[b + 1];
      re += ar * br + ai * bi;
      im += ar * bi - ai * br;
    }
    s += re * re + im * im;
  }
  return s;
}

/**
 * Communication SINR γ_u of every user on channels H [numBs, numUsers, numTxAnt], beams W and the
 * stream of each row (`streams[m][r]`, default the topology's): every AP's copy of a stream adds
 * coherently, a_{u,s} = Σ_{m carries s} h_{m,u}ᴴ w_{m,s}, and
 *   γ_u = |a_{u,u}|² / (Σ_{s≠u} |a_{u,s}|² + σ_c²)
 * (sensing streams s ≥ numUsers count as interference). With one AP per stream (multicell) this
 * is eq. (6) of paper 000, computed in the same order as before the generalisation.
 */
export function commSinrInto(out: Float64Array, topo: Topology, H: CArray, W: Beamformers, streams: Int32Array[] = topo.apStreams): void {
  const { numBs, numUsers, numTxAnt: nt, noiseCommW } = topo;
  let numStreams = topo.numStreams;
  for (let m = 0; m < numBs; m++) {
    const rows = streams[m];
    for (let k = 0; k < rows.length; k++) if (rows[k] >= numStreams) numStreams = rows[k] + 1;
  }
  if (ampScratch.length < 2 * numStreams) ampScratch = new Float64Array(2 * numStreams);
  const amp = ampScratch;
  // Rows that are entirely zero (silent sensing rows, unserved streams) add exactly +0 to every
  // stream amplitude: they are skipped, which leaves every sum bit for bit as it was.
  let rowCount = 0;
  for (let m = 0; m < numBs; m++) rowCount += streams[m].length;
  if (liveScratch.length < rowCount) liveScratch = new Uint8Array(rowCount);
  const live = liveScratch;
  for (let m = 0, r = 0; m < numBs; m++) {
    const Wm = W[m];
    for (let k = 0; k < streams[m].length; k++, r++) {
      let nz = 0;
      for (let i = 2 * k * nt, end = i + 2 * nt; i < end; i++) {
        if (Wm[i] !== 0) {
          nz = 1;
          break;
        }
      }
      live[r] = nz;
    }
  }
  for (let u = 0; u < numUsers; u++) {
    amp.fill(0, 0, 2 * numStreams);
    for (let m = 0, r = 0; m < numBs; m++) {
      const hOff = 2 * (m * numUsers + u) * nt;
      const Wm = W[m];
      const rows = streams[m];
      for (let k = 0; k < rows.length; k++, r++) {
        if (!live[r]) continue;
        // h_{m,u}ᴴ w_{m,k} (innerH, inlined; two antennas per step, accumulated in the same order)
        let re = 0;
        let im = 0;
        let i = hOff;
        let j = 2 * k * nt;
        const end = hOff + 2 * nt;
        for (; i + 2 < end; i += 4, j += 4) {
          const ar = H[i];
          const ai = H[i + 1];
          const br = Wm[j];
          const bi = Wm[j + 1];
          const cr = H[i + 2];
          const ci = H[i + 3];
          const dr = Wm[j + 2];
          const di = Wm[j + 3];
          re += ar * br + ai * bi;
          im += ar * bi - ai * br;
          re += cr * dr + ci * di;
          im += cr * di - ci * dr;
        }
        if (i < end) {
          const ar = H[i];
          const ai = H[i + 1];
          const br = Wm[j];
          const bi = Wm[j + 1];
          re += ar * br + ai * bi;
          im += ar * bi - ai * br;
        }
        const s = rows[k];
        amp[2 * s] += re;
        amp[2 * s + 1] += im;
      }
    }
    let total = 0;
    for (let s = 0; s < numStreams; s++) total += amp[2 * s] * amp[2 * s] + amp[2 * s + 1] * amp[2 * s + 1];
    const desired = amp[2 * u] * amp[2 * u] + amp[2 * u + 1] * amp[2 * u + 1];
    out[u] = desired / (total - desired + noiseCommW);
  }
}

/** Scratch of commSinrInto: stream amplitudes and the live-row flags, grown on demand. */
let ampScratch = new Float64Array(0);
let liveScratch = new Uint8Array(0);

/** Sensing SINR γ^s_t of every target after MRC (eq. 8 as derived above). */
export function sensingSinrInto(out: Float64Array, topo: Topology, sens: SensingChannels, W: Beamformers): void {
  const { numBs, numTxAnt: nt, numRxAnt: nr, targetBs, targetsOf, noiseSensW } = topo;
  if (sens.geometry === 'multistatic') {
    for (let t = 0; t < topo.numTargets; t++) {
      let snr = 0;
      for (let m = 0; m < numBs; m++) snr += beamEnergy(sens.g, (t * numBs + m) * nt, W[m], W[m].length / (2 * nt), nt);
      out[t] = snr;
    }
    return;
  }
  for (let t = 0; t < topo.numTargets; t++) {
    const m = targetBs[t];
    let signal = 0;
    let interference = 0;
    for (let n = 0; n < numBs; n++) {
      const e = beamEnergy(sens.g, (t * numBs + n) * nt, W[n], W[n].length / (2 * nt), nt);
      if (n === m) signal = e;
      else interference += e;
    }
    const rowsM = W[m].length / (2 * nt);
    for (let slot = 0; slot < targetsOf[m].length; slot++) {
      if (targetsOf[m][slot] === t) continue;
      interference += beamEnergy(sens.intra, (t * sens.maxTargetsPerBs + slot) * nt, W[m], rowsM, nt);
    }
    out[t] = signal / (interference + nr * noiseSensW);
  }
}

/** log2(1 + γ) elementwise into out. */
export function ratesInto(out: Float64Array, sinr: Float64Array): void {
  for (let i = 0; i < sinr.length; i++) out[i] = Math.log2(1 + sinr[i]);
}

export function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** ρ R_c + (1−ρ) R_s (eq. 10). */
export function objective(rho: number, rc: number, rs: number): number {
  return rho * rc + (1 - rho) * rs;
}

/** tr(W_m W_mᴴ): transmit power of one BS. */
export function txPower(Wm: CArray): number {
  return norm2(Wm);
}

/**
 * Per-BS power normalisation (eq. 11): W ← √(P / tr(W Wᴴ)) W, in place. A zero W stays zero.
 */
export function normalisePower(Wm: CArray, powerW: number): void {
  const p = norm2(Wm);
  if (p > 0) scaleInPlace(Wm, Math.sqrt(powerW / p));
}

/** All metrics of one slot. */
export interface SlotMetrics {
  /** [numUsers] */ userSinr: Float64Array;
  /** [numUsers] bit/s/Hz */ userRate: Float64Array;
  /** [numTargets] */ targetSinr: Float64Array;
  /** [numTargets] bit/s/Hz */ targetRate: Float64Array;
  /** [numBs] W */ bsPowerW: Float64Array;
  rc: number;
  rs: number;
  objective: number;
}

export function emptySlotMetrics(topo: Topology): SlotMetrics {
  return {
    userSinr: new Float64Array(topo.numUsers),
    userRate: new Float64Array(topo.numUsers),
    targetSinr: new Float64Array(topo.numTargets),
    targetRate: new Float64Array(topo.numTargets),
    bsPowerW: new Float64Array(topo.numBs),
    rc: 0,
    rs: 0,
    objective: 0,
  };
}

/**
 * Evaluates beamformers W on channels (H, sens): every metric of the slot, written into `out`.
 * Throws NumericalError (naming the metric and the slot) on any NaN or infinity.
 */
export function evaluateInto(
  out: SlotMetrics,
  topo: Topology,
  H: CArray,
  sens: SensingChannels,
  W: Beamformers,
  rho: number,
  slot?: number,
  streams: Int32Array[] = topo.apStreams,
): SlotMetrics {
  commSinrInto(out.userSinr, topo, H, W, streams);
  assertFinite(out.userSinr, 'userSinr', slot);
  sensingSinrInto(out.targetSinr, topo, sens, W);
  assertFinite(out.targetSinr, 'targetSinr', slot);
  ratesInto(out.userRate, out.userSinr);
  ratesInto(out.targetRate, out.targetSinr);
  for (let m = 0; m < topo.numBs; m++) out.bsPowerW[m] = txPower(W[m]);
  assertFinite(out.bsPowerW, 'bsPowerW', slot);
  out.rc = sum(out.userRate);
  out.rs = sum(out.targetRate);
  out.objective = objective(rho, out.rc, out.rs);
  return out;
}
