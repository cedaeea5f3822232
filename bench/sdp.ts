/**
 * Benchmark of the SDP solver (src/solvers/sdp) on instances shaped like the semidefinite
 * relaxation (21) of paper 003 (coordinated multi-cell ISAC beamforming, CRLB minimisation):
 *
 *   min μ₁ + μ₂  s.t.  tr Σ_k F_mk ≤ P                                        ∀m      (21b)
 *                      Γ(Σ_{(i,j)≠(m,k)} h_imkᴴ F_ij h_imk + σ²) ≤ h_mmkᴴ F_mk h_mmk  ∀m,k  (21c)
 *                      [[Λ Z Λᵀ, e_i], [e_iᵀ, μ_i]] ⪰ 0                     i = 1, 2 (21d)
 *                      F_mk ⪰ 0 (Hermitian N_t × N_t)                                  (21e)
 *
 * with Λ Z Λᵀ = Σ_m B_m ⟨a*_m a_mᵀ, Σ_k F_mk⟩ (= Σ_m B_m a_mᵀ(Σ_k F_mk)a*_m), B_m = Σ_n c_mn λ_mn λ_mnᵀ,
 * λ_mn = ∇_(x,y) of the bistatic range BS m → target → TMT n. Structure and geometry are the
 * paper's (BSs on a circle of radius 160 m, the two-BS case at (80, ±80√3) m; TMTs at (±30, ±30) m;
 * target at the origin; half-wavelength ULA), but the data are normalised, not the paper's link
 * budget: channels h ~ CN(0, I), σ² = 1, Γ = 10 dB, P = 100, and sensing gains c_mn = ζ²/(d_m² d'_n²)
 * rescaled so that Λ Z Λᵀ = O(1) at full power (ζ ~ N(0, 1)).
 *
 * Each 3×3 LMI is a real 'sym' block S_i linked to the F blocks by 5 equalities (entries (0,0),
 * (0,1), (1,1) equal the Λ Z Λᵀ entries; (0,2), (1,2) equal e_i), and μ_i = S_i[2,2].
 *
 * `node --import tsx bench/sdp.ts` prints the metrics; `--dump FILE [NT M K]` writes the instance
 * (default N_t=16, M=2, K=4, seed 3) in the test-fixture format for
 * `/usr/bin/python3 scripts/ref/sdp_reference.py time FILE`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  hermitianIdentity,
  hermitianOuter,
  principalEigenvector,
  solveSdp,
  symmetricUnit,
  type SdpConstraint,
  type SdpOptions,
  type SdpProblem,
  type SdpSolution,
} from '../src/solvers/sdp/index.ts';
import type { BenchRow } from './index.ts';

export interface IsacRelaxationParams {
  numBs: number;
  /** Users per BS (K). */
  numUsers: number;
  numTxAnt: number;
  seed: number;
  /** SINR threshold Γ in dB. Default 10. */
  sinrDb?: number;
  /** Per-BS power budget P (linear, noise = 1). Default 100. */
  powerBudget?: number;
}

export interface IsacRelaxation {
  problem: SdpProblem;
  /** Block index of F_mk. */
  blockOf: (bs: number, user: number) => number;
  /** Block indices of the two 3×3 LMIs. */
  lmiBlocks: [number, number];
}

/** Seeded standard normal source (mulberry32 + Box–Muller); bench-only, not for the core. */
export function normalSource(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    const u1 = Math.max(uniform(), 1e-300);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** Builds the relaxation (21) described in the file comment. */
export function buildIsacRelaxation(params: IsacRelaxationParams): IsacRelaxation {
  const { numBs: M, numUsers: K, numTxAnt: nt, seed } = params;
  const gamma = 10 ** ((params.sinrDb ?? 10) / 10);
  const power = params.powerBudget ?? 100;
  const randn = normalSource(seed);

  // Geometry (metres): BSs on a radius-160 circle (two BSs: (80, ±80√3)), TMTs at (±30, ±30).
  const bsPos = Array.from({ length: M }, (_, m) => {
    const ang = M === 1 ? 0 : ((60 - (120 * m) / (M - 1)) * Math.PI) / 180;
    return [160 * Math.cos(ang), 160 * Math.sin(ang)];
  });
  const tmtPos = [
    [30, 30],
    [30, -30],
    [-30, 30],
    [-30, -30],
  ];
  // Array response a(θ_m) toward the target at the origin; a*aᵀ = conj(a)·conj(a)ᴴ.
  const steerConjOuter = bsPos.map(([bx, by]) => {
    const theta = Math.atan2(-by, -bx);
    const aConj = new Float64Array(2 * nt); // [nt] complex conj(a)
    for (let i = 0; i < nt; i++) {
      aConj[2 * i] = Math.cos(Math.PI * i * Math.sin(theta));
      aConj[2 * i + 1] = -Math.sin(Math.PI * i * Math.sin(theta));
    }
    return hermitianOuter(aConj, nt); // [nt, nt] complex
  });
  // B_m = Σ_n c_mn λ_mn λ_mnᵀ (2×2), λ_mn = ∇ of (d_m + d'_n) at the target (units of 1/c dropped).
  const bMats = bsPos.map(([bx, by]) => {
    const dm = Math.hypot(bx, by);
    const out = [0, 0, 0]; // (0,0), (0,1), (1,1)
    for (const [tx, ty] of tmtPos) {
      const dn = Math.hypot(tx, ty);
      const lx = -bx / dm - tx / dn;
      const ly = -by / dm - ty / dn;
      const zeta = randn();
      const cmn = (zeta * zeta * 1e8) / (dm * dm * dn * dn); // ≈ O(1) after the 1/(N_t P) below
      out[0] += cmn * lx * lx;
      out[1] += cmn * lx * ly;
      out[2] += cmn * ly * ly;
    }
    return out.map((v) => v / (nt * power));
  });
  // Channels h_{i,m,k}: from BS i to user k of BS m, CN(0, I).
  const chan: Float64Array[][][] = Array.from({ length: M }, () =>
    Array.from({ length: M }, () =>
      Array.from({ length: K }, () => Float64Array.from({ length: 2 * nt }, () => randn() / Math.SQRT2)),
    ),
  );

  const blockOf = (m: number, k: number): number => m * K + k;
  const blocks: SdpProblem['blocks'] = [];
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) blocks.push({ kind: 'herm', size: nt });
  const lmiBlocks: [number, number] = [M * K, M * K + 1];
  blocks.push({ kind: 'sym', size: 3 }, { kind: 'sym', size: 3 });

  const constraints: SdpConstraint[] = [];
  const eye = hermitianIdentity(nt);
  for (let m = 0; m < M; m++) {
    constraints.push({
      terms: Array.from({ length: K }, (_, k) => ({ block: blockOf(m, k), matrix: eye })),
      sense: 'le',
      rhs: power,
    }); // (21b)
  }
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      const terms = [];
      for (let i = 0; i < M; i++) {
        const hh = hermitianOuter(chan[i][m][k], nt); // h_imk h_imkᴴ
        for (let j = 0; j < K; j++) {
          const own = i === m && j === k;
          terms.push({ block: blockOf(i, j), matrix: hh.map((v) => (own ? -v : gamma * v)) });
        }
      }
      constraints.push({ terms, sense: 'le', rhs: -gamma }); // (21c) with σ² = 1
    }
  }
  const entries: Array<[number, number, number]> = [
    [0, 0, 0],
    [0, 1, 1],
    [1, 1, 2],
  ];
  lmiBlocks.forEach((blk, lmi) => {
    for (const [p, q, bIdx] of entries) {
      const terms = [{ block: blk, matrix: symmetricUnit(3, p, q) }];
      for (let m = 0; m < M; m++) {
        const coef = -bMats[m][bIdx];
        const mat = steerConjOuter[m].map((v) => coef * v);
        for (let k = 0; k < K; k++) terms.push({ block: blockOf(m, k), matrix: mat });
      }
      constraints.push({ terms, rhs: 0 }); // S[p,q] = (Λ Z Λᵀ)[p,q]
    }
    for (let p = 0; p < 2; p++) {
      constraints.push({ terms: [{ block: blk, matrix: symmetricUnit(3, p, 2) }], rhs: p === lmi ? 1 : 0 });
    }
  });
  const objective = lmiBlocks.map((blk) => ({ block: blk, matrix: symmetricUnit(3, 2, 2) }));
  return { problem: { blocks, objective, constraints }, blockOf, lmiBlocks };
}

/** Smallest rank-one ratio λ₁/tr over the F blocks of a solved relaxation. */
export function minRankOneRatio(inst: IsacRelaxation, sol: SdpSolution, numBs: number, numUsers: number): number {
  let worst = 1;
  for (let m = 0; m < numBs; m++) {
    for (let k = 0; k < numUsers; k++) {
      const b = inst.blockOf(m, k);
      const size = inst.problem.blocks[b].size;
      worst = Math.min(worst, principalEigenvector(sol.X[b], size).rankOneRatio);
    }
  }
  return worst;
}

/** Best wall time (ms) of `repeats` solves of `problem`, after one untimed warm-up solve unless `warm` is false. */
export function bestSolve(problem: SdpProblem, options: SdpOptions | undefined, repeats: number, warm = true): { ms: number; sol: SdpSolution } {
  let sol = warm ? solveSdp(problem, options) : undefined;
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    sol = solveSdp(problem, options);
    best = Math.min(best, performance.now() - t0);
  }
  if (!sol) throw new Error('bestSolve: no solve (repeats 0 and no warm-up)');
  return { ms: best, sol };
}

function timeSolve(params: IsacRelaxationParams, repeats: number, options?: SdpOptions): { ms: number; sol: SdpSolution; inst: IsacRelaxation } {
  const inst = buildIsacRelaxation(params);
  return { ...bestSolve(inst.problem, options, repeats), inst };
}

/**
 * CVXOPT's time on an instance (best of 5), measured now by scripts/ref/sdp_reference.py when
 * Debian's python3-cvxopt is installed; undefined otherwise or when CVXOPT does not solve it.
 * `tol` fixes CVXOPT's tolerance (default: its tightest of 1e-11 … 1e-9 that succeeds).
 * Python is only ever used here and in test fixtures, never by the product.
 */
export function cvxoptMs(problem: SdpProblem, name: string, tol?: number): { ms: number; iterations: number } | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-bench-'));
  try {
    const file = path.join(dir, 'instance.json');
    writeFileSync(file, problemToJson(problem, name));
    const env = tol === undefined ? process.env : { ...process.env, SDP_REF_TOL: String(tol) };
    const r = spawnSync('/usr/bin/python3', ['scripts/ref/sdp_reference.py', 'time', file, '5'], { encoding: 'utf8', env });
    if (r.status !== 0) return undefined;
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { status?: string; ms?: number; iterations?: number };
    return out.status === 'optimal' && out.ms !== undefined ? { ms: out.ms, iterations: out.iterations ?? NaN } : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Solve time and iterations for the paper-003-shaped relaxation and its growth in N_t and M·K. */
export async function benchSdp(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const base = { numBs: 2, numUsers: 4, numTxAnt: 16, seed: 3 };
  const main = timeSolve(base, 3);
  if (main.sol.status !== 'optimal') throw new Error(`bench instance not solved: ${main.sol.status}`);
  out.push({ name: 'sdp.isac003.M2K4Nt16.solve', value: main.ms, unit: 'ms' });
  out.push({ name: 'sdp.isac003.M2K4Nt16.iterations', value: main.sol.iterations, unit: 'count' });
  out.push({ name: 'sdp.isac003.M2K4Nt16.min_rank_one_ratio', value: minRankOneRatio(main.inst, main.sol, 2, 4), unit: 'ratio' });
  // Against CVXOPT at the same tolerance (1e-9), in this run.
  // Best of 5 + 5 around CVXOPT's best of 5: this machine's noise comes in bursts of seconds.
  const tol9 = { tolFeas: 1e-9, tolGap: 1e-9 };
  const tight = timeSolve(base, 5, tol9);
  const ref = cvxoptMs(tight.inst.problem, 'isac003_M2K4Nt16');
  tight.ms = Math.min(tight.ms, timeSolve(base, 5, tol9).ms);
  out.push({ name: 'sdp.isac003.M2K4Nt16.solve (tol 1e-9)', value: tight.ms, unit: 'ms' });
  if (ref) {
    out.push({ name: 'CVXOPT 1.3, same instance (tol 1e-9)', value: ref.ms, unit: 'ms' });
    out.push({ name: 'sdp.isac003.M2K4Nt16 time / CVXOPT time', value: tight.ms / ref.ms, unit: '×', target: '≤ 1', ratio: ref.ms / tight.ms });
  } else {
    out.push({ name: 'CVXOPT comparison skipped (no /usr/bin/python3 with cvxopt)', value: 0, unit: '' });
  }
  for (const nt of [8, 32]) {
    const r = timeSolve({ ...base, numTxAnt: nt }, nt > 16 ? 1 : 3);
    out.push({ name: `sdp.isac003.M2K4Nt${nt}.solve`, value: r.ms, unit: 'ms' });
    out.push({ name: `sdp.isac003.M2K4Nt${nt}.iterations`, value: r.sol.iterations, unit: 'count' });
  }
  for (const [m, k] of [
    [2, 2],
    [2, 6],
    [3, 4],
  ]) {
    const r = timeSolve({ ...base, numBs: m, numUsers: k }, 1);
    out.push({ name: `sdp.isac003.M${m}K${k}Nt16.solve`, value: r.ms, unit: 'ms' });
    out.push({ name: `sdp.isac003.M${m}K${k}Nt16.iterations`, value: r.sol.iterations, unit: 'count' });
  }
  return out;
}

/** Writes a problem in the fixture JSON format (plain arrays). */
export function problemToJson(problem: SdpProblem, name: string): string {
  const terms = (ts: SdpProblem['objective']) => ts.map((t) => ({ block: t.block, matrix: Array.from(t.matrix) }));
  return JSON.stringify({
    name,
    blocks: problem.blocks,
    objective: terms(problem.objective),
    constraints: problem.constraints.map((c) => ({ sense: c.sense ?? 'eq', rhs: c.rhs, terms: terms(c.terms) })),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dumpAt = process.argv.indexOf('--dump');
  if (dumpAt >= 0) {
    const file = process.argv[dumpAt + 1];
    const [nt, m, k] = [2, 3, 4].map((o, i) => Number(process.argv[dumpAt + o] ?? [16, 2, 4][i]));
    const inst = buildIsacRelaxation({ numBs: m, numUsers: k, numTxAnt: nt, seed: 3 });
    writeFileSync(file, problemToJson(inst.problem, `isac003_M${m}K${k}Nt${nt}`));
    const sol = solveSdp(inst.problem);
    console.log(JSON.stringify({ file, status: sol.status, objective: sol.primalObjective, iterations: sol.iterations }));
  } else {
    void benchSdp().then((rows) => {
      for (const r of rows) console.log(`${r.name}\t${r.value.toFixed(r.unit === 'ms' ? 1 : 4)}\t${r.unit}`);
    });
  }
}
