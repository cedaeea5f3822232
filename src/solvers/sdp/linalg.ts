/**
 * Dense real linear algebra for the SDP solver.
 *
 * Layout: an n×n matrix is a Float64Array of length n·n, row-major: element (r, c) is at r·n + c.
 * Vectors are Float64Arrays of length n. Functions that take an `out` argument write into it and
 * never allocate; `out` must not alias an input unless the doc says so.
 *
 * Contents: products (A·B, A·Bᵀ, congruences GᵀAG, GAGᵀ and Gᵀdiag(d)G), Cholesky with jitter and failure
 * reporting, triangular solves, and the symmetric eigendecomposition by Householder
 * tridiagonalisation + implicit QL (EISPACK tred2/tql2, as in JAMA).
 */

/** Thrown when a Cholesky factorisation fails even after the allowed diagonal jitter. */
export class CholeskyError extends Error {
  override readonly name = 'CholeskyError';
  constructor(
    readonly pivot: number,
    readonly n: number,
  ) {
    super(`Cholesky factorisation failed at pivot ${pivot} of ${n}: matrix is not positive definite`);
  }
}

/** Thrown when the implicit QL iteration does not converge (should not happen for finite input). */
export class EigenConvergenceError extends Error {
  override readonly name = 'EigenConvergenceError';
  constructor(readonly n: number) {
    super(`symmetric eigendecomposition of a ${n}×${n} matrix did not converge`);
  }
}

/** out[n×n] = a[n×n] · b[n×n]. `bLower`: b is lower triangular, whose zeros are skipped. Zeros of a are skipped. */
export function matMul(a: Float64Array, b: Float64Array, out: Float64Array, n: number, bLower = false): Float64Array {
  out.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ri + k];
      if (aik === 0) continue;
      const rk = k * n;
      const end = bLower ? k + 1 : n;
      for (let j = 0; j < end; j++) out[ri + j] += aik * b[rk + j];
    }
  }
  return out;
}

/** out[n×n] = a · bᵀ. */
export function matMulTransB(a: Float64Array, b: Float64Array, out: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += a[ri + k] * b[rj + k];
      out[ri + j] = s;
    }
  }
  return out;
}

/**
 * out = gᵀ · a · g for symmetric a (exactly symmetric: the upper triangle is computed and
 * mirrored). `gLower`: g is lower triangular (a Cholesky factor), whose zeros are skipped.
 * work: scratch of length n·n.
 */
export function congruenceT(
  g: Float64Array,
  a: Float64Array,
  out: Float64Array,
  n: number,
  work: Float64Array,
  gLower = false,
): Float64Array {
  matMul(a, g, work, n, gLower); // [n, n] = a g
  return symmetricProduct(g, true, work, out, n);
}

/** out = g · a · gᵀ for symmetric a (exactly symmetric, as congruenceT). work: scratch of length n·n. */
export function congruence(
  g: Float64Array,
  a: Float64Array,
  out: Float64Array,
  n: number,
  work: Float64Array,
): Float64Array {
  matMulTransB(a, g, work, n); // [n, n] = a gᵀ
  return symmetricProduct(g, false, work, out, n);
}

/**
 * out = op(g) · w for a product known to be symmetric (op(g) = gᵀ when `transposeG`): only the
 * upper triangle is computed, then mirrored. Zeros of g are skipped.
 */
function symmetricProduct(g: Float64Array, transposeG: boolean, w: Float64Array, out: Float64Array, n: number): Float64Array {
  out.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < n; k++) {
      const gik = transposeG ? g[k * n + i] : g[ri + k];
      if (gik === 0) continue;
      const rk = k * n;
      for (let j = i; j < n; j++) out[ri + j] += gik * w[rk + j];
    }
  }
  return mirrorUpper(out, n);
}

/**
 * out = gᵀ · diag(d) · g = Σ_k d_k g_kᵀ g_k (g_k: row k of g): n³/2 products instead of the 2n³
 * of a general congruence (power constraints tr(X) ≤ P have a = I).
 */
export function congruenceDiagT(g: Float64Array, d: Float64Array, out: Float64Array, n: number): Float64Array {
  return sumOfOuterProducts(g, d, n, n, out);
}

/**
 * out[n×n] = Σ_k weight_k · r_kᵀ r_k over the m rows r_k of r [m, n] (row-major); the upper
 * triangle is computed and mirrored. `weight` is one number for every row, or one per row.
 */
export function sumOfOuterProducts(r: Float64Array, weight: Float64Array | number, m: number, n: number, out: Float64Array): Float64Array {
  out.fill(0, 0, n * n);
  for (let k = 0; k < m; k++) {
    const wk = typeof weight === 'number' ? weight : weight[k];
    if (wk === 0) continue;
    const rk = k * n;
    for (let i = 0; i < n; i++) {
      const v = wk * r[rk + i];
      if (v === 0) continue;
      const ri = i * n;
      for (let j = i; j < n; j++) out[ri + j] += v * r[rk + j];
    }
  }
  return mirrorUpper(out, n);
}

/** The diagonal of a when a is diagonal, else null. */
export function diagonalOf(a: Float64Array, n: number): Float64Array | null {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) if (i !== j && a[ri + j] !== 0) return null;
  }
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  return d;
}

/** Copies the upper triangle of a onto its lower triangle, in place. */
export function mirrorUpper(a: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[j * n + i] = a[i * n + j];
  return a;
}

/** Replaces a by (a + aᵀ)/2 in place. */
export function symmetrize(a: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** Frobenius inner product Σ a_ij b_ij of two arrays of equal length (matrices or vectors). */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Inner product of two symmetric n×n matrices using only their upper triangles. */
export function symDot(a: Float64Array, b: Float64Array, n: number): number {
  let diag = 0;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    diag += a[ri + i] * b[ri + i];
    for (let j = i + 1; j < n; j++) off += a[ri + j] * b[ri + j];
  }
  return diag + 2 * off;
}

/**
 * In-place Cholesky factorisation a = L·Lᵀ of a symmetric n×n matrix (only the lower triangle is
 * read). On success the lower triangle holds L, the strict upper triangle is zeroed and −1 is
 * returned; on failure the index of the first non-positive pivot is returned and a is garbage.
 */
export function choleskyInPlace(a: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0) || !Number.isFinite(d)) return j;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / ljj;
    }
    for (let i = j + 1; i < n; i++) a[rj + i] = 0;
  }
  return -1;
}

export interface CholeskyFactor {
  /** [n, n] lower-triangular L with L·Lᵀ = a + jitter·I. */
  factor: Float64Array;
  /** Diagonal shift that was added (0 when the plain factorisation succeeded). */
  jitter: number;
}

/**
 * Cholesky factor of a symmetric positive (semi)definite n×n matrix, retrying with a growing
 * diagonal shift jitter = relJitter·max|a_ii| (relJitter = 1e-14, ×100 per retry, up to
 * maxRelJitter) when a pivot fails. Throws CholeskyError when even maxRelJitter fails.
 */
export function choleskyWithJitter(a: Float64Array, n: number, maxRelJitter = 1e-6): CholeskyFactor {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]));
  if (maxDiag === 0) maxDiag = 1;
  const work = new Float64Array(n * n);
  let rel = 0;
  let pivot = -1;
  for (;;) {
    work.set(a.subarray(0, n * n));
    const jitter = rel * maxDiag;
    if (jitter > 0) for (let i = 0; i < n; i++) work[i * n + i] += jitter;
    pivot = choleskyInPlace(work, n);
    if (pivot < 0) return { factor: work, jitter };
    rel = rel === 0 ? 1e-14 : rel * 100;
    if (rel > maxRelJitter * (1 + 1e-12)) break;
  }
  throw new CholeskyError(pivot, n);
}

/** Solves L·x = b in place (b ← x) for lower-triangular L [n, n]. */
export function solveLower(l: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
  return b;
}

/** Solves Lᵀ·x = b in place (b ← x) for lower-triangular L [n, n]. */
export function solveLowerTrans(l: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
  return b;
}

/** Solves (L·Lᵀ)·x = b in place (b ← x) given the Cholesky factor L [n, n]. */
export function choleskySolve(l: Float64Array, b: Float64Array, n: number): Float64Array {
  return solveLowerTrans(l, solveLower(l, b, n), n);
}

/** out[n] = a[n×n] · x[n]. */
export function matVec(a: Float64Array, x: Float64Array, out: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const ri = i * n;
    for (let j = 0; j < n; j++) s += a[ri + j] * x[j];
    out[i] = s;
  }
  return out;
}

export interface SymEig {
  /** [n] eigenvalues in ascending order. */
  values: Float64Array;
  /** [n, n] row-major; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition a = V·diag(values)·Vᵀ of a symmetric n×n matrix (a is not modified; only
 * its lower triangle is read by the first step). Householder tridiagonalisation followed by the
 * implicit QL method with Wilkinson-like shifts (EISPACK tred2 + tql2). Throws
 * EigenConvergenceError if QL needs more than 60 sweeps for one eigenvalue.
 */
export function symEig(a: Float64Array, n: number): SymEig {
  const v = Float64Array.from(a.subarray(0, n * n)); // [n, n] becomes the eigenvectors
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: v };
  tred2(v, d, e, n);
  tql2(v, d, e, n);
  return { values: d, vectors: v };
}

/**
 * Eigenvalues (ascending) of the symmetric n×n matrix a (not modified), without accumulating
 * eigenvectors: the same tred2/tql2 path as `symEig`, about 3× cheaper.
 */
export function symEigenvalues(a: Float64Array, n: number): Float64Array {
  const v = Float64Array.from(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  tred2(v, d, e, n, false);
  tql2(v, d, e, n, false);
  return d;
}

/** Smallest eigenvalue of the symmetric n×n matrix a (not modified). */
export function minEigenvalue(a: Float64Array, n: number): number {
  if (n === 0) return Infinity;
  return symEigenvalues(a, n)[0];
}

/**
 * Householder reduction of the symmetric v to tridiagonal form (d diagonal, e sub-diagonal);
 * v ← accumulated transform when `vectors`, else v is scratch.
 */
function tred2(v: Float64Array, d: Float64Array, e: Float64Array, n: number, vectors = true): void {
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j];
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[j * n + i] = f;
        g = e[j] + v[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[k * n + j] * d[k];
          e[k] += v[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) v[k * n + j] -= f * e[k] + g * d[k];
        d[j] = v[(i - 1) * n + j];
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  if (!vectors) {
    // Without accumulation the diagonal is left on the diagonal of v (see the loop below).
    for (let j = 0; j < n; j++) d[j] = v[j * n + j];
    e[0] = 0;
    return;
  }
  // Accumulate transformations.
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = v[i * n + i];
    v[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k * n + i + 1] * v[k * n + j];
        for (let k = 0; k <= i; k++) v[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j];
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * √(a² + b²). Math.hypot is several times slower in V8 (variadic, extra care for every input);
 * here the plain formula is used unless a square could overflow or underflow.
 */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const m = x > y ? x : y;
  if (m > 1e150 || m < 1e-150) {
    if (m === 0) return 0;
    const u = x / m;
    const w = y / m;
    return m * Math.sqrt(u * u + w * w);
  }
  return Math.sqrt(x * x + y * y);
}

/** Implicit QL on the tridiagonal (d, e); accumulates rotations into v when `vectors`; sorts ascending. */
function tql2(v: Float64Array, d: Float64Array, e: Float64Array, n: number, vectors = true): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new EigenConvergenceError(n);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (!vectors) continue;
          for (let k = 0; k < n; k++) {
            const rk = k * n;
            h = v[rk + i + 1];
            v[rk + i + 1] = s * v[rk + i] + c * h;
            v[rk + i] = c * v[rk + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      if (!vectors) continue;
      for (let j = 0; j < n; j++) {
        const rj = j * n;
        const t = v[rj + i];
        v[rj + i] = v[rj + k];
        v[rj + k] = t;
      }
    }
  }
}
