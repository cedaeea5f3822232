/**
 * Joint transmission (JT): coherent multi-AP downlink over a general serving pattern, and its
 * classical linear precoders. Pure functions; the twin's policies wrap them.
 *
 * System model. M APs with N transmit antennas each, U single-antenna users. AP m carries the
 * stream s_u of user u iff serving[m·U + u] = 1:
 *   multicell     exactly one AP per user,
 *   cell-free     every AP serves every user,
 *   user-centric  each user is served by a subset D_u = {m : serving[m·U+u] = 1}.
 * Beam w_{m,u} ∈ C^N (zero when m ∉ D_u). With unit-power independent symbols, user u receives
 *   y_u = Σ_j (Σ_m h_{m,u}ᴴ w_{m,j}) s_j + n_u,   n_u ~ CN(0, σ²),
 * so, writing the effective gain of stream j at user u as
 *   G_{u,j} = Σ_m h_{m,u}ᴴ w_{m,j}            (coherent combining across APs, per stream),
 *   SINR_u  = |G_{u,u}|² / (Σ_{j≠u} |G_{u,j}|² + σ²),
 * and the weighted sum rate is Σ_u α_u log2(1 + SINR_u). Per-AP power: Σ_u ‖w_{m,u}‖² ≤ P_m.
 *
 * Precoders (U_m = number of users AP m serves):
 *   jtMrt        w_{m,u} = √(P_m/U_m) h_{m,u}/‖h_{m,u}‖ (conjugate beamforming, equal split).
 *   jtLocalZf    AP m alone, from its own channels H_m = [h_{m,u}]_{u served}: V = H_m(H_mᴴH_m)⁻¹,
 *                so h_{m,i}ᴴ v_j = δ_ij among the users it serves (needs N ≥ U_m; interference
 *                towards users it does not serve is not controlled). Columns unit-norm, √(P_m/U_m).
 *   jtLocalMmse  AP m alone: v_u = (Σ_{j∈K_m} (P_m/U_m) h_{m,j}h_{m,j}ᴴ + δ I)⁻¹ h_{m,u}, K_m all
 *                users whose local channel it knows ('all', default) or only those it serves
 *                ('served', partial MMSE); δ = σ² by default. Columns unit-norm, √(P_m/U_m).
 *   jtCentralZf / jtCentralRzf   at the central unit, per user u over its serving set D_u: let
 *                Ĥ^{(u)} = [D_u h_1, …, D_u h_U] ∈ C^{MN×U} be every user's stacked channel with
 *                the APs outside D_u zeroed, and v_u = Ĥ^{(u)} (Ĥ^{(u)ᴴ} Ĥ^{(u)} + αI)⁻¹ e_u. The
 *                beam lives on D_u only, so for α = 0 it nulls every other user across APs:
 *                Σ_m h_{m,j}ᴴ v_{m,u} = (D_u h_j)ᴴ v_u = 0 for j ≠ u (needs |D_u|·N ≥ U). In
 *                cell-free (D_u = all) this is the usual V = Ĥ(ĤᴴĤ + αI)⁻¹; users sharing a
 *                serving set share one factorisation. α → ∞ tends to the stacked MRT direction.
 *                Power: ONE common factor c = min_m √(P_m / Σ_u ‖v_{m,u}‖²) scales every beam,
 *                so the nulls (a property of the directions across APs) survive; the tightest AP
 *                transmits at exactly P_m, the others below. `columns: 'unit'` first normalises
 *                every stacked v_u to unit norm (equal power per stream before the common factor);
 *                'raw' (default) keeps (RZF's channel-inversion) column norms.
 */
import { choleskyInPlace, choleskySolveInPlace, czeros, gramRows, innerH, norm2, scaleInPlace, type CArray } from '../phy/complex.ts';

export interface JtProblem {
  numAps: number;
  numUsers: number;
  numTxAnt: number;
  /** [numAps, numUsers, numTxAnt] complex h_{m,u} (offset 2*((m*numUsers+u)*numTxAnt)) */
  H: CArray;
  /** [numAps, numUsers] 1 where AP m carries user u's stream */
  serving: Uint8Array;
  /** [numAps] P_m (W) */
  powerW: Float64Array;
  noiseW: number;
  /** [numUsers] rate weights (default 1) */
  weights?: Float64Array;
}

/** Beams of every AP: entry m is [numUsers, numTxAnt] complex, row u = w_{m,u} (zero rows where not serving). */
export type JtBeams = CArray[];

/** Element offset of h_{m,u} in p.H (and of row u in a beam matrix when m = 0). */
export const jtChannelOffset = (p: JtProblem, m: number, u: number): number => (m * p.numUsers + u) * p.numTxAnt;

/** Throws when the arrays do not match the sizes the problem declares. */
export function checkJtProblem(p: JtProblem): void {
  const { numAps: M, numUsers: U, numTxAnt: N } = p;
  const bad = (what: string) => {
    throw new Error(`JtProblem: ${what} (M=${M}, U=${U}, N=${N})`);
  };
  if (p.H.length !== 2 * M * U * N) bad(`H has ${p.H.length} floats, expected 2·M·U·N = ${2 * M * U * N}`);
  if (p.serving.length !== M * U) bad(`serving has ${p.serving.length} entries, expected M·U = ${M * U}`);
  if (p.powerW.length !== M) bad(`powerW has ${p.powerW.length} entries, expected M`);
  if (p.weights && p.weights.length !== U) bad(`weights has ${p.weights.length} entries, expected U`);
  if (!(p.noiseW > 0)) bad(`noiseW must be > 0, got ${p.noiseW}`);
}

/** Per AP, the users it serves (ascending). */
export function jtServedUsers(p: JtProblem): Int32Array[] {
  const out: Int32Array[] = [];
  for (let m = 0; m < p.numAps; m++) {
    const users: number[] = [];
    for (let u = 0; u < p.numUsers; u++) if (p.serving[m * p.numUsers + u]) users.push(u);
    out.push(Int32Array.from(users));
  }
  return out;
}

/** All-zero beams of the right shapes. */
export function jtZeroBeams(p: JtProblem): JtBeams {
  return Array.from({ length: p.numAps }, () => czeros(p.numUsers * p.numTxAnt));
}

/** [numAps] transmit power Σ_u ‖w_{m,u}‖² of every AP. */
export function jtApPowers(p: JtProblem, W: JtBeams): Float64Array {
  return Float64Array.from(W, (Wm) => norm2(Wm));
}

/**
 * Effective gains G_{u,j} = Σ_m h_{m,u}ᴴ w_{m,j} into out ([numUsers, numUsers] complex, row u
 * = what user u sees of every stream j). Every row of W counts, served or not.
 */
export function jtGainsInto(out: CArray, p: JtProblem, W: JtBeams): CArray {
  const { numAps: M, numUsers: U, numTxAnt: N, H } = p;
  const z = new Float64Array(2);
  out.fill(0);
  for (let m = 0; m < M; m++) {
    const Wm = W[m];
    for (let u = 0; u < U; u++) {
      const h = jtChannelOffset(p, m, u);
      for (let j = 0; j < U; j++) {
        innerH(z, H, h, Wm, j * N, N);
        out[2 * (u * U + j)] += z[0];
        out[2 * (u * U + j) + 1] += z[1];
      }
    }
  }
  return out;
}

/** SINR of every user from the gains matrix G ([U, U] complex, see jtGainsInto). */
export function jtSinrFromGainsInto(out: Float64Array, G: CArray, numUsers: number, noiseW: number): Float64Array {
  for (let u = 0; u < numUsers; u++) {
    let interference = noiseW;
    let desired = 0;
    for (let j = 0; j < numUsers; j++) {
      const e = G[2 * (u * numUsers + j)] ** 2 + G[2 * (u * numUsers + j) + 1] ** 2;
      if (j === u) desired = e;
      else interference += e;
    }
    out[u] = desired / interference;
  }
  return out;
}

/** SINR_u of every user (coherent JT, see the module comment) into out ([numUsers]). */
export function jtSinrInto(out: Float64Array, p: JtProblem, W: JtBeams, gains = czeros(p.numUsers * p.numUsers)): Float64Array {
  return jtSinrFromGainsInto(out, jtGainsInto(gains, p, W), p.numUsers, p.noiseW);
}

/** Weighted sum rate Σ_u α_u log2(1 + SINR_u) (α = p.weights, default all 1), bit/s/Hz. */
export function jtSumRate(p: JtProblem, W: JtBeams, sinr = new Float64Array(p.numUsers)): number {
  jtSinrInto(sinr, p, W);
  let s = 0;
  for (let u = 0; u < p.numUsers; u++) s += (p.weights ? p.weights[u] : 1) * Math.log2(1 + sinr[u]);
  return s;
}

/** Conjugate beamforming: w_{m,u} = √(P_m/U_m) h_{m,u}/‖h_{m,u}‖ on every served pair. */
export function jtMrt(p: JtProblem): JtBeams {
  checkJtProblem(p);
  const N = p.numTxAnt;
  return jtServedUsers(p).map((users, m) => {
    const Wm = czeros(p.numUsers * N);
    for (const u of users) {
      const h = jtChannelOffset(p, m, u);
      const n2 = norm2(p.H, h, N);
      if (n2 === 0) continue;
      const s = Math.sqrt(p.powerW[m] / users.length / n2);
      for (let i = 0; i < 2 * N; i++) Wm[2 * u * N + i] = s * p.H[2 * h + i];
    }
    return Wm;
  });
}

/**
 * Writes the unit-normalised direction d (N complex, from element offset `at`, optionally
 * conjugated) times `amp` into row u of Wm. A zero direction leaves the row zero.
 */
function putRow(Wm: CArray, u: number, N: number, d: CArray, at: number, amp: number, conj: boolean): void {
  const n2 = norm2(d, at, N);
  if (n2 === 0) return;
  const s = amp / Math.sqrt(n2);
  const sgn = conj ? -1 : 1;
  for (let i = 0; i < N; i++) {
    Wm[2 * (u * N + i)] = s * d[2 * (at + i)];
    Wm[2 * (u * N + i) + 1] = sgn * s * d[2 * (at + i) + 1];
  }
}

/** [rows.length, N] complex: row k = conj(h_{m,rows[k]}) (i.e. H_mᴴ). */
function localChannelsH(p: JtProblem, m: number, rows: Int32Array): CArray {
  const N = p.numTxAnt;
  const out = czeros(rows.length * N);
  rows.forEach((u, k) => {
    const h = 2 * jtChannelOffset(p, m, u);
    for (let i = 0; i < N; i++) {
      out[2 * (k * N + i)] = p.H[h + 2 * i];
      out[2 * (k * N + i) + 1] = -p.H[h + 2 * i + 1];
    }
  });
  return out;
}

/**
 * Local zero forcing: AP m inverts its own channels to the users it serves,
 * V_m = H_m(H_mᴴH_m)⁻¹, columns unit-norm at √(P_m/U_m). Throws when an AP serves more users than
 * it has antennas, or when its local channels are linearly dependent.
 */
export function jtLocalZf(p: JtProblem): JtBeams {
  checkJtProblem(p);
  const N = p.numTxAnt;
  const W = jtZeroBeams(p);
  jtServedUsers(p).forEach((users, m) => {
    const K = users.length;
    if (K === 0) return;
    if (K > N) {
      throw new Error(`jtLocalZf: AP ${m} serves ${K} users but has ${N} antennas; local ZF needs N ≥ the number of users it serves`);
    }
    const Hh = localChannelsH(p, m, users); // H_mᴴ [K, N]
    const G = gramRows(Hh, K, N); // H_mᴴ H_m
    choleskyInPlace(G, K, `jtLocalZf: AP ${m} Gram of its ${K} served users' channels`);
    choleskySolveInPlace(G, K, Hh, N); // rows now conj(v_k)ᵀ: Vᴴ = (H_mᴴH_m)⁻¹ H_mᴴ
    const amp = Math.sqrt(p.powerW[m] / K);
    users.forEach((u, k) => putRow(W[m], u, N, Hh, k * N, amp, true));
  });
  return W;
}

export interface JtLocalMmseOptions {
  /** Diagonal loading δ of the local covariance (default σ² = p.noiseW). */
  regularisation?: number;
  /** Users in the local covariance: every user AP m knows ('all', default) or only its served ones ('served'). */
  interferers?: 'all' | 'served';
}

/**
 * Local MMSE: v_u = (Σ_{j∈K_m} (P_m/U_m) h_{m,j}h_{m,j}ᴴ + δ I)⁻¹ h_{m,u} from AP m's own channels,
 * served users' beams kept, columns unit-norm at √(P_m/U_m).
 */
export function jtLocalMmse(p: JtProblem, opts: JtLocalMmseOptions = {}): JtBeams {
  checkJtProblem(p);
  const { numUsers: U, numTxAnt: N } = p;
  const delta = opts.regularisation ?? p.noiseW;
  if (!(delta > 0)) throw new Error(`jtLocalMmse: regularisation must be > 0, got ${delta}`);
  const W = jtZeroBeams(p);
  const everyone = Int32Array.from({ length: U }, (_, u) => u);
  jtServedUsers(p).forEach((users, m) => {
    const K = users.length;
    if (K === 0) return;
    const known = opts.interferers === 'served' ? users : everyone;
    const q = p.powerW[m] / K;
    // Columns √q·h_{m,j}, laid out [N, |known|], so gramRows gives Σ_j q h_j h_jᴴ (N×N).
    const J = known.length;
    const Hs = czeros(N * J);
    known.forEach((j, c) => {
      const h = 2 * jtChannelOffset(p, m, j);
      const s = Math.sqrt(q);
      for (let i = 0; i < N; i++) {
        Hs[2 * (i * J + c)] = s * p.H[h + 2 * i];
        Hs[2 * (i * J + c) + 1] = s * p.H[h + 2 * i + 1];
      }
    });
    const C = gramRows(Hs, N, J);
    for (let i = 0; i < N; i++) C[2 * (i * N + i)] += delta;
    choleskyInPlace(C, N, `jtLocalMmse: AP ${m} local covariance`);
    // Right-hand sides [N, K]: column k = h_{m,users[k]}.
    const B = czeros(N * K);
    users.forEach((u, k) => {
      const h = 2 * jtChannelOffset(p, m, u);
      for (let i = 0; i < N; i++) {
        B[2 * (i * K + k)] = p.H[h + 2 * i];
        B[2 * (i * K + k) + 1] = p.H[h + 2 * i + 1];
      }
    });
    choleskySolveInPlace(C, N, B, K);
    const amp = Math.sqrt(q);
    const col = czeros(N);
    users.forEach((u, k) => {
      for (let i = 0; i < N; i++) {
        col[2 * i] = B[2 * (i * K + k)];
        col[2 * i + 1] = B[2 * (i * K + k) + 1];
      }
      putRow(W[m], u, N, col, 0, amp, false);
    });
  });
  return W;
}

export interface JtCentralOptions {
  /** 'raw' (default): RZF columns as they come; 'unit': every stacked v_u normalised first. */
  columns?: 'unit' | 'raw';
}

export interface JtCentralRzfOptions extends JtCentralOptions {
  /** Regularisation α ≥ 0 of (ĤᴴĤ + αI) (α = 0 is ZF), in the units of |h|². */
  alpha: number;
}

/** Central zero forcing over each user's serving set (jtCentralRzf with α = 0). */
export function jtCentralZf(p: JtProblem, opts: JtCentralOptions = {}): JtBeams {
  return centralRzf(p, 0, opts.columns ?? 'raw', 'jtCentralZf');
}

/** Central regularised ZF over each user's serving set, one common power factor (module comment). */
export function jtCentralRzf(p: JtProblem, opts: JtCentralRzfOptions): JtBeams {
  if (!(opts.alpha >= 0)) throw new Error(`jtCentralRzf: alpha must be ≥ 0, got ${opts.alpha}`);
  return centralRzf(p, opts.alpha, opts.columns ?? 'raw', 'jtCentralRzf');
}

function centralRzf(p: JtProblem, alpha: number, columns: 'unit' | 'raw', who: string): JtBeams {
  checkJtProblem(p);
  const { numAps: M, numUsers: U, numTxAnt: N } = p;
  const W = jtZeroBeams(p);
  // Users grouped by serving set.
  const groups = new Map<string, number[]>();
  for (let u = 0; u < U; u++) {
    let key = '';
    for (let m = 0; m < M; m++) key += p.serving[m * U + u] ? '1' : '0';
    const g = groups.get(key);
    if (g) g.push(u);
    else groups.set(key, [u]);
  }
  for (const [key, members] of groups) {
    const aps: number[] = [];
    for (let m = 0; m < M; m++) if (key[m] === '1') aps.push(m);
    if (aps.length === 0) continue; // unserved users get no beam
    const d = aps.length * N;
    if (alpha === 0 && d < U) {
      throw new Error(
        `${who}: user ${members[0]} is served by ${aps.length} APs × ${N} antennas = ${d} < ${U} users; ZF over a serving set needs |D_u|·N ≥ U`,
      );
    }
    // Ĥᴴ [U, d]: row j = conj of user j's channel restricted to this serving set.
    const Hh = czeros(U * d);
    for (let j = 0; j < U; j++) {
      aps.forEach((m, a) => {
        const h = 2 * jtChannelOffset(p, m, j);
        for (let i = 0; i < N; i++) {
          Hh[2 * (j * d + a * N + i)] = p.H[h + 2 * i];
          Hh[2 * (j * d + a * N + i) + 1] = -p.H[h + 2 * i + 1];
        }
      });
    }
    const G = gramRows(Hh, U, d);
    for (let j = 0; j < U; j++) G[2 * (j * U + j)] += alpha;
    choleskyInPlace(G, U, `${who}: Gram ĤᴴĤ + αI of the ${U} users over serving set {${aps.join(',')}}`);
    choleskySolveInPlace(G, U, Hh, d); // rows now conj(v_j)ᵀ: Vᴴ = (ĤᴴĤ + αI)⁻¹ Ĥᴴ
    for (const u of members) {
      const s = columns === 'unit' ? 1 / Math.sqrt(norm2(Hh, u * d, d)) : 1;
      if (!Number.isFinite(s)) continue;
      aps.forEach((m, a) => {
        for (let i = 0; i < N; i++) {
          W[m][2 * (u * N + i)] = s * Hh[2 * (u * d + a * N + i)];
          W[m][2 * (u * N + i) + 1] = -s * Hh[2 * (u * d + a * N + i) + 1];
        }
      });
    }
  }
  // One common factor: the tightest AP at exactly P_m.
  let c = Infinity;
  for (let m = 0; m < M; m++) {
    const pw = norm2(W[m]);
    if (pw > 0) c = Math.min(c, Math.sqrt(p.powerW[m] / pw));
  }
  if (Number.isFinite(c)) for (const Wm of W) scaleInPlace(Wm, c);
  return W;
}
