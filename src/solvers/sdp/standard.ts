/**
 * Internal real standard form solved by the interior-point kernel:
 *
 *   minimise ⟨c, x⟩  s.t.  ⟨a_i, x⟩ = b_i,  x = (x_0 … x_{p−1}),  x_k ∈ S₊^{n_k} or ℝ₊^{n_k}.
 *
 * Every block is either a real PSD block ('psd', [n, n] row-major symmetric) or a nonnegative
 * orthant ('lp', [n]). A complex Hermitian block of size s is carried as a real PSD block of size
 * n = 2s holding its embedding [[Re, −Im], [Im, Re]] (`embedded: true`); the kernel keeps such
 * blocks inside the embedding subspace by projecting its primal steps (see `projectEmbedded`).
 */
import { dot } from './linalg.ts';

export interface ConeBlock {
  kind: 'psd' | 'lp';
  /** Real dimension: matrix side for 'psd', vector length for 'lp'. */
  n: number;
  /** True for a 'psd' block that holds the real embedding of a Hermitian block (n even). */
  embedded: boolean;
}

export interface StandardForm {
  blocks: ConeBlock[];
  /** Objective per block: 'psd' [n, n], 'lp' [n]. */
  c: Float64Array[];
  /** Constraint coefficients [numRows][numBlocks]; null where a row does not touch a block. */
  a: Array<Array<Float64Array | null>>;
  /** [numRows] right-hand side. */
  b: Float64Array;
  /** Optional low-rank factors of the 'psd' entries of `a`, same shape (null: use dense). */
  aFactors?: Array<Array<LowRankFactor | null>>;
}

/** Length of the storage of one block: n·n for 'psd', n for 'lp'. */
export function blockLength(block: ConeBlock): number {
  return block.kind === 'psd' ? block.n * block.n : block.n;
}

/** A block vector of zeros shaped like the form's variable. */
export function zerosLike(blocks: ConeBlock[]): Float64Array[] {
  return blocks.map((blk) => new Float64Array(blockLength(blk)));
}

/** The identity of the cone (I for 'psd', ones for 'lp'): the kernel's starting point. */
export function coneIdentity(blocks: ConeBlock[]): Float64Array[] {
  return blocks.map((blk) => {
    if (blk.kind === 'lp') return new Float64Array(blk.n).fill(1);
    const e = new Float64Array(blk.n * blk.n);
    for (let i = 0; i < blk.n; i++) e[i * blk.n + i] = 1;
    return e;
  });
}

/** Σ_k ⟨u_k, v_k⟩ over all blocks. */
export function blockDot(u: Float64Array[], v: Float64Array[]): number {
  let s = 0;
  for (let k = 0; k < u.length; k++) s += dot(u[k], v[k]);
  return s;
}

/**
 * out_k = α·u_k + β·v_k for every block (new arrays). Written as loops: a typed array's
 * `.map` with a closure costs tens of ns per element in V8, which showed in the kernel's profile.
 */
export function blockLinear(alpha: number, u: Float64Array[], beta: number, v: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = new Array(u.length);
  for (let k = 0; k < u.length; k++) {
    const uk = u[k];
    const vk = v[k];
    const o = new Float64Array(uk.length);
    for (let t = 0; t < o.length; t++) o[t] = alpha * uk[t] + beta * vk[t];
    out[k] = o;
  }
  return out;
}

/** ‖u‖ (Frobenius over all blocks). */
export function blockNorm(u: Float64Array[]): number {
  return Math.sqrt(blockDot(u, u));
}

/** out[i] = ⟨a_i, x⟩, i = 0 … numRows−1. */
export function applyA(sf: StandardForm, x: Float64Array[]): Float64Array {
  const out = new Float64Array(sf.b.length);
  for (let i = 0; i < sf.a.length; i++) {
    const row = sf.a[i];
    let s = 0;
    for (let k = 0; k < row.length; k++) {
      const aik = row[k];
      if (aik) s += dot(aik, x[k]);
    }
    out[i] = s;
  }
  return out;
}

/** Σ_i y_i a_i as a block vector. */
export function applyAT(sf: StandardForm, y: Float64Array): Float64Array[] {
  const out = zerosLike(sf.blocks);
  for (let i = 0; i < sf.a.length; i++) {
    const yi = y[i];
    if (yi === 0) continue;
    const row = sf.a[i];
    for (let k = 0; k < row.length; k++) {
      const aik = row[k];
      if (!aik) continue;
      const o = out[k];
      for (let t = 0; t < aik.length; t++) o[t] += yi * aik[t];
    }
  }
  return out;
}

/**
 * Orthogonal projection of a real [2s, 2s] matrix onto the embeddings of s×s Hermitian matrices,
 * in place: E11 = E22 ← (E11 + E22)/2, E21 = −E12 ← (E21 − E12)/2. Keeps PSD matrices PSD (it is
 * the average of E and J·E·Jᵀ with J = [[0, −I], [I, 0]]).
 */
export function projectEmbedded(e: Float64Array, n: number): Float64Array {
  const s = n / 2;
  for (let r = 0; r < s; r++) {
    for (let c = 0; c < s; c++) {
      const re = 0.5 * (e[r * n + c] + e[(r + s) * n + (c + s)]);
      const im = 0.5 * (e[(r + s) * n + c] - e[r * n + (c + s)]);
      e[r * n + c] = re;
      e[(r + s) * n + (c + s)] = re;
      e[(r + s) * n + c] = im;
      e[r * n + (c + s)] = -im;
    }
  }
  return e;
}

/**
 * A semidefinite low-rank factorisation a = sign · V Vᵀ of a PSD-block coefficient matrix,
 * V stored row-major [n, rank]. Lets the kernel form Gᵀ a G as sign·(GᵀV)(GᵀV)ᵀ in 2·n²·rank
 * operations instead of 2·n³ (rank-one data such as h hᴴ are the common case in beamforming).
 */
export interface LowRankFactor {
  sign: 1 | -1;
  rank: number;
  /** [n, rank] row-major. */
  v: Float64Array;
}

/**
 * Pivoted outer-product Cholesky of ±a (sign from the trace), accepted when it stops within
 * `maxRank` steps and the remainder is below 1e-12·max|a| entrywise; otherwise null.
 */
export function lowRankFactor(a: Float64Array, n: number, maxRank: number): LowRankFactor | null {
  let maxAbs = 0;
  let trace = 0;
  for (let i = 0; i < n * n; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]));
  for (let i = 0; i < n; i++) trace += a[i * n + i];
  if (maxAbs === 0 || trace === 0) return null;
  const sign: 1 | -1 = trace > 0 ? 1 : -1;
  const w = a.map((t) => sign * t); // [n, n] remainder
  const tol = 1e-12 * maxAbs;
  const cols: Float64Array[] = [];
  for (let step = 0; step <= maxRank; step++) {
    let p = -1;
    let best = tol;
    for (let i = 0; i < n; i++) {
      if (w[i * n + i] > best) {
        best = w[i * n + i];
        p = i;
      }
    }
    if (p < 0) break;
    if (step === maxRank) return null;
    const root = Math.sqrt(best);
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = w[i * n + p] / root;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) w[i * n + j] -= col[i] * col[j];
    }
    cols.push(col);
  }
  for (let i = 0; i < n * n; i++) if (Math.abs(w[i]) > tol) return null;
  const rank = cols.length;
  const v = new Float64Array(n * rank);
  cols.forEach((col, j) => {
    for (let i = 0; i < n; i++) v[i * rank + j] = col[i];
  });
  return { sign, rank, v };
}
