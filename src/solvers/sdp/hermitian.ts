/**
 * Complex Hermitian helpers: the real embedding used by the solver, Hermitian eigendecomposition,
 * rank-one extraction (F ≈ f fᴴ) and Gaussian randomisation for semidefinite relaxations.
 *
 * Layout: an n×n complex matrix is a Float64Array of 2·n·n numbers, row-major, interleaved re/im:
 * element (r, c) at [2(r·n + c)] (re) and [2(r·n + c) + 1] (im). A complex n-vector is 2·n numbers.
 *
 * Embedding: E(H) = [[Re H, −Im H], [Im H, Re H]] ([2n, 2n] real symmetric for Hermitian H).
 * E is a real-linear *-homomorphism: E(AB) = E(A)E(B), E(Hᴴ) = E(H)ᵀ, ⟨E(A), E(B)⟩ = 2·Re tr(Aᴴ B),
 * and each eigenvalue of H appears twice in E(H) (eigenvectors [u; v] and [−v; u] for u + iv).
 */
import { innerH, norm2, scaleInPlace } from '../../phy/complex.ts';
import { symEig } from './linalg.ts';

/** The real embedding scale·[[Re H, −Im H], [Im H, Re H]] of complex H [n, n]; returns [2n, 2n]. */
export function embedHermitian(h: Float64Array, n: number, scale = 1): Float64Array {
  const m = 2 * n;
  const e = new Float64Array(m * m);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const re = scale * h[2 * (r * n + c)];
      const im = scale * h[2 * (r * n + c) + 1];
      e[r * m + c] = re;
      e[(r + n) * m + (c + n)] = re;
      e[(r + n) * m + c] = im;
      e[r * m + (c + n)] = -im;
    }
  }
  return e;
}

/**
 * The complex [n, n] matrix whose embedding is closest to the real [2n, 2n] matrix e (the average
 * of its two copies): Re = (E11 + E22)/2, Im = (E21 − E12)/2, times `scale`.
 */
export function extractHermitian(e: Float64Array, n: number, scale = 1): Float64Array {
  const m = 2 * n;
  const h = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      h[2 * (r * n + c)] = 0.5 * scale * (e[r * m + c] + e[(r + n) * m + (c + n)]);
      h[2 * (r * n + c) + 1] = 0.5 * scale * (e[(r + n) * m + c] - e[r * m + (c + n)]);
    }
  }
  return h;
}

export interface HermitianEigResult {
  /** [n] eigenvalues, ascending. */
  values: Float64Array;
  /** [n, n] complex; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition H = U diag(values) Uᴴ of a Hermitian n×n matrix through the real embedding:
 * the 2n real eigenvectors are visited from the largest eigenvalue down, mapped to u + iv and
 * Gram–Schmidt orthogonalised (complex inner product) against those already kept, so a repeated
 * eigenvalue still yields an orthonormal basis. Only the Hermitian part of H is used.
 */
export function hermitianEig(h: Float64Array, n: number): HermitianEigResult {
  const m = 2 * n;
  const { values: ev, vectors: ve } = symEig(embedHermitian(h, n), m);
  const keptValues: number[] = [];
  const kept: Float64Array[] = []; // complex [n] unit vectors
  const qw = new Float64Array(2); // qᴴw
  /** Real eigenvector j as u + iv, with the kept vectors projected out (twice, for accuracy). */
  const residual = (j: number): Float64Array => {
    const w = new Float64Array(2 * n);
    for (let r = 0; r < n; r++) {
      w[2 * r] = ve[r * m + j];
      w[2 * r + 1] = ve[(r + n) * m + j];
    }
    for (let pass = 0; pass < 2; pass++) {
      for (const q of kept) {
        // w ← w − q (qᴴ w)
        innerH(qw, q, 0, w, 0, n);
        const [re, im] = qw;
        for (let r = 0; r < n; r++) {
          w[2 * r] -= q[2 * r] * re - q[2 * r + 1] * im;
          w[2 * r + 1] -= q[2 * r] * im + q[2 * r + 1] * re;
        }
      }
    }
    return w;
  };
  const keep = (w: Float64Array, norm: number, value: number) => {
    scaleInPlace(w, 1 / norm);
    kept.push(w);
    keptValues.push(value);
  };
  for (let j = m - 1; j >= 0 && kept.length < n; j--) {
    const w = residual(j);
    const norm = Math.sqrt(norm2(w));
    if (norm >= 0.5) keep(w, norm, ev[j]); // below: mostly the partner [−v; u] of a kept vector
  }
  // Within a repeated eigenvalue the real basis is arbitrary, and its vectors may each keep less
  // than half their length after projection: complete the basis with the largest residuals.
  while (kept.length < n) {
    let best = -1;
    let bestNorm = 0;
    let bestW: Float64Array | null = null;
    for (let j = m - 1; j >= 0; j--) {
      const w = residual(j);
      const norm = Math.sqrt(norm2(w));
      if (norm > bestNorm) [best, bestNorm, bestW] = [j, norm, w];
    }
    if (!bestW || !(bestNorm > 1e-6)) throw new Error(`hermitianEig: no complex basis from the real embedding (${kept.length} of ${n})`);
    keep(bestW, bestNorm, ev[best]);
  }
  // Descending by eigenvalue (the completion may have appended out of order).
  const order = keptValues.map((_, i) => i).sort((a, b) => keptValues[b] - keptValues[a] || a - b);
  const sortedKept = order.map((i) => kept[i]);
  const sortedValues = order.map((i) => keptValues[i]);
  kept.splice(0, kept.length, ...sortedKept);
  keptValues.splice(0, keptValues.length, ...sortedValues);
  // Ascending order, vectors as columns.
  const values = new Float64Array(n);
  const vectors = new Float64Array(2 * n * n);
  for (let col = 0; col < n; col++) {
    const src = n - 1 - col;
    values[col] = keptValues[src];
    const w = kept[src];
    for (let r = 0; r < n; r++) {
      vectors[2 * (r * n + col)] = w[2 * r];
      vectors[2 * (r * n + col) + 1] = w[2 * r + 1];
    }
  }
  return { values, vectors };
}

export interface RankOneExtraction {
  /** Largest eigenvalue λ₁ of F. */
  value: number;
  /** [n] complex unit eigenvector of λ₁; its largest-magnitude entry is made real positive. */
  vector: Float64Array;
  /** [n] complex √λ₁ · vector, so that F ≈ f fᴴ when F is (near) rank one. */
  beamformer: Float64Array;
  /** λ₁ / tr(F) ∈ [0, 1] for PSD F: 1 means exactly rank one (NaN when tr F = 0). */
  rankOneRatio: number;
}

/** Principal eigenpair of a Hermitian PSD F [n, n] and the beamformer f with F ≈ f fᴴ. */
export function principalEigenvector(f: Float64Array, n: number): RankOneExtraction {
  const { values, vectors } = hermitianEig(f, n);
  const value = values[n - 1];
  const vector = new Float64Array(2 * n);
  let best = 0;
  let bestMag = -1;
  for (let r = 0; r < n; r++) {
    vector[2 * r] = vectors[2 * (r * n + n - 1)];
    vector[2 * r + 1] = vectors[2 * (r * n + n - 1) + 1];
    const mag = Math.hypot(vector[2 * r], vector[2 * r + 1]);
    if (mag > bestMag) {
      bestMag = mag;
      best = r;
    }
  }
  // Fix the global phase: multiply by conj(v_best)/|v_best|.
  const pr = vector[2 * best] / bestMag;
  const pi = -vector[2 * best + 1] / bestMag;
  for (let r = 0; r < n; r++) {
    const re = vector[2 * r];
    const im = vector[2 * r + 1];
    vector[2 * r] = re * pr - im * pi;
    vector[2 * r + 1] = re * pi + im * pr;
  }
  vector[2 * best + 1] = 0;
  const amp = Math.sqrt(Math.max(value, 0));
  const beamformer = vector.map((t) => amp * t);
  let trace = 0;
  for (let r = 0; r < n; r++) trace += f[2 * (r * n + r)];
  return { value, vector, beamformer, rankOneRatio: value / trace };
}

/**
 * Gaussian randomisation for a Hermitian PSD F [n, n]: `numSamples` complex vectors
 * f = U Λ₊^{1/2} r with r ~ CN(0, I) (r = (g₁ + i g₂)/√2, g from `randn`), so E[f fᴴ] = F
 * (negative eigenvalues from round-off are clipped to 0). `randn` must return independent
 * standard normal numbers; it is called 2n times per sample, in order. Returns complex [n] vectors.
 */
export function gaussianRandomization(
  f: Float64Array,
  n: number,
  numSamples: number,
  randn: () => number,
): Float64Array[] {
  if (!Number.isInteger(numSamples) || numSamples < 0) {
    throw new RangeError(`gaussianRandomization: numSamples must be a nonnegative integer, got ${numSamples}`);
  }
  const { values, vectors } = hermitianEig(f, n);
  const roots = values.map((v) => Math.sqrt(Math.max(v, 0)));
  const out: Float64Array[] = [];
  for (let s = 0; s < numSamples; s++) {
    const rr = new Float64Array(n);
    const ri = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      rr[j] = (roots[j] * randn()) / Math.SQRT2;
      ri[j] = (roots[j] * randn()) / Math.SQRT2;
    }
    const v = new Float64Array(2 * n); // U (Λ^{1/2} r)
    for (let r = 0; r < n; r++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < n; j++) {
        const ur = vectors[2 * (r * n + j)];
        const ui = vectors[2 * (r * n + j) + 1];
        re += ur * rr[j] - ui * ri[j];
        im += ur * ri[j] + ui * rr[j];
      }
      v[2 * r] = re;
      v[2 * r + 1] = im;
    }
    out.push(v);
  }
  return out;
}

/** The candidate with the highest score (first one on ties); throws RangeError when empty. */
export function pickBest<T>(candidates: readonly T[], score: (candidate: T) => number): { best: T; score: number } {
  if (candidates.length === 0) throw new RangeError('pickBest: no candidates');
  let best = candidates[0];
  let bestScore = score(best);
  for (let i = 1; i < candidates.length; i++) {
    const s = score(candidates[i]);
    if (s > bestScore) {
      best = candidates[i];
      bestScore = s;
    }
  }
  return { best, score: bestScore };
}

/** h hᴴ for a complex n-vector h: complex [n, n]. */
export function hermitianOuter(h: Float64Array, n: number): Float64Array {
  const out = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      // h_r · conj(h_c)
      out[2 * (r * n + c)] = h[2 * r] * h[2 * c] + h[2 * r + 1] * h[2 * c + 1];
      out[2 * (r * n + c) + 1] = h[2 * r + 1] * h[2 * c] - h[2 * r] * h[2 * c + 1];
    }
  }
  return out;
}

/** The complex n×n identity (so ⟨I, X⟩ = tr X). */
export function hermitianIdentity(n: number): Float64Array {
  const out = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) out[2 * (r * n + r)] = 1;
  return out;
}

/** Real symmetric n×n matrix S with ⟨S, X⟩ = X_ij for symmetric X (½ on both off-diagonal entries). */
export function symmetricUnit(n: number, i: number, j: number): Float64Array {
  const out = new Float64Array(n * n);
  if (i === j) out[i * n + i] = 1;
  else {
    out[i * n + j] = 0.5;
    out[j * n + i] = 0.5;
  }
  return out;
}
