/**
 * Simple closed-form beamformers of paper 001's system, the yardsticks of the teachers and the
 * benchmark (docs/teacher-student.md §Baselines). All meet every AP's budget P_l with equality.
 *
 *   mrt   conjugate beams with equal power on the N+1 beams of every AP:
 *         w_ln = √(P_l/(N+1)) h_ln/‖h_ln‖, w_ls = √(P_l/(N+1)) a(θ_l)/‖a(θ_l)‖ (what an untrained
 *         network with uniform output would send; the teachers' starting point)
 *   zf    joint zero-forcing over the stacked channels, f_n = Σ_k h_k [(HᴴH)⁻¹]_kn so h_mᴴf_n = δ_mn,
 *         w_n = √q f_n with the common q = min_l ρP_l / Σ_n ‖f_ln‖² (every user at SINR q/σ²), plus
 *         the null-space sensing beam √((1−ρ)P_l) Π_l^⊥a/‖Π_l^⊥a‖ of the benchmark (ρ = 1: none).
 *         HᴴH gets a 1e-10·tr/N ridge so two users at one angle do not break it.
 */
import { choleskyInPlace, choleskySolveInPlace, czeros, gramRows } from '../../phy/complex.ts';
import type { Beamformers } from '../../phy/network.ts';
import { fixedSensingBeams, type JscProblem } from '../../solvers/bisection-sdp.ts';

function sizes(p: JscProblem): { L: number; N: number; M: number } {
  return { L: p.topo.numBs, N: p.topo.numUsers, M: p.topo.numTxAnt };
}

/** Conjugate beams, equal power over each AP's N+1 beams. */
export function mrtBeams(p: JscProblem): Beamformers {
  const { L, N, M } = sizes(p);
  return Array.from({ length: L }, (_, l) => {
    const W = czeros((N + 1) * M);
    const put = (row: number, src: Float64Array, off: number) => {
      let s = 0;
      for (let k = 0; k < 2 * M; k++) s += src[2 * off + k] ** 2;
      const k0 = Math.sqrt(p.topo.powerW[l] / (N + 1) / s);
      for (let k = 0; k < 2 * M; k++) W[2 * row * M + k] = k0 * src[2 * off + k];
    };
    for (let n = 0; n < N; n++) put(n, p.H, (l * N + n) * M);
    put(N, p.sens.g, l * M);
    return W;
  });
}

/** Joint ZF with equal SINRs at the largest common power, and null-space sensing with (1−ρ)P_l. */
export function zfBeams(p: JscProblem, rho: number): Beamformers {
  const { L, N, M } = sizes(p);
  if (!(rho > 0 && rho <= 1)) throw new RangeError(`zfBeams: rho must be in (0, 1], got ${rho}`);
  const D = L * M;
  // rows h_n stacked over the APs: [N, D]
  const Hs = czeros(N * D);
  for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) Hs.set(p.H.subarray(2 * (l * N + n) * M, 2 * (l * N + n + 1) * M), 2 * (n * D + l * M));
  const G = gramRows(Hs, N, D); // Σ_d h_i,d conj(h_j,d) = h_jᴴ h_i: conjugate it to G_ij = h_iᴴ h_j
  for (let i = 1; i < G.length; i += 2) G[i] = -G[i];
  let tr = 0;
  for (let i = 0; i < N; i++) tr += G[2 * (i * N + i)];
  for (let i = 0; i < N; i++) G[2 * (i * N + i)] += (1e-10 * tr) / N;
  choleskyInPlace(G, N, 'zfBeams: HᴴH');
  const X = czeros(N * N);
  for (let i = 0; i < N; i++) X[2 * (i * N + i)] = 1;
  choleskySolveInPlace(G, N, X, N); // X = (HᴴH)⁻¹
  // f_n = Σ_k h_k X_kn: [N, D]
  const F = czeros(N * D);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < N; k++) {
      const xr = X[2 * (k * N + n)];
      const xi = X[2 * (k * N + n) + 1];
      for (let d = 0; d < D; d++) {
        const hr = Hs[2 * (k * D + d)];
        const hi = Hs[2 * (k * D + d) + 1];
        F[2 * (n * D + d)] += hr * xr - hi * xi;
        F[2 * (n * D + d) + 1] += hr * xi + hi * xr;
      }
    }
  }
  let q = Infinity;
  for (let l = 0; l < L; l++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < 2 * M; k++) s += F[2 * (n * D + l * M) + k] ** 2;
    q = Math.min(q, (rho * p.topo.powerW[l]) / s);
  }
  const S = fixedSensingBeams(p, rho, 'null-space');
  const sq = Math.sqrt(q);
  return Array.from({ length: L }, (_, l) => {
    const W = czeros((N + 1) * M);
    for (let n = 0; n < N; n++) for (let k = 0; k < 2 * M; k++) W[2 * n * M + k] = sq * F[2 * (n * D + l * M) + k];
    W.set(S.subarray(2 * l * M, 2 * (l + 1) * M), 2 * N * M);
    return W;
  });
}
