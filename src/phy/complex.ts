/**
 * Complex linear algebra over interleaved typed arrays.
 *
 * Layout: a complex array is a Float64Array with element i at [2i] (re) and [2i+1] (im).
 * Matrices are row-major: element (r, c) of an R×C matrix is element r·C + c.
 * Vectors inside larger arrays are addressed by an element offset (not a float offset).
 *
 * Convention for channels: h is a column vector and the received amplitude is hᴴw, i.e.
 * Σ conj(h_i)·w_i — `innerH(h, w)`.
 */

export type CArray = Float64Array;

/** A complex array of n zeros. */
export function czeros(n: number): CArray {
  return new Float64Array(2 * n);
}

/** Builds a complex array from [re, im] pairs (tests, fixtures). */
export function cfromPairs(pairs: ReadonlyArray<readonly [number, number]>): CArray {
  const out = czeros(pairs.length);
  pairs.forEach(([re, im], i) => {
    out[2 * i] = re;
    out[2 * i + 1] = im;
  });
  return out;
}

/** The complex array as [re, im] pairs (snapshots, JSON). */
export function ctoPairs(a: CArray, offset = 0, n = a.length / 2 - offset): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([a[2 * (offset + i)], a[2 * (offset + i) + 1]]);
  return out;
}

/**
 * aᴴb over n elements starting at element offsets ao, bo. Writes re, im into out[0], out[1]
 * (no allocation: this sits in every hot loop of the metrics).
 */
export function innerH(out: Float64Array, a: CArray, ao: number, b: CArray, bo: number, n: number): void {
  let re = 0;
  let im = 0;
  let i = 2 * ao;
  let j = 2 * bo;
  for (let k = 0; k < n; k++, i += 2, j += 2) {
    const ar = a[i];
    const ai = a[i + 1];
    const br = b[j];
    const bi = b[j + 1];
    re += ar * br + ai * bi;
    im += ar * bi - ai * br;
  }
  out[0] = re;
  out[1] = im;
}

const scratch = new Float64Array(2);

/** |aᴴb|² over n elements. */
export function absInnerH2(a: CArray, ao: number, b: CArray, bo: number, n: number): number {
  innerH(scratch, a, ao, b, bo, n);
  return scratch[0] * scratch[0] + scratch[1] * scratch[1];
}

/** ‖a‖² over n elements starting at element offset ao. */
export function norm2(a: CArray, ao = 0, n = a.length / 2 - ao): number {
  let s = 0;
  const end = 2 * (ao + n);
  for (let i = 2 * ao; i < end; i++) s += a[i] * a[i];
  return s;
}

/** a ← s·a over n elements from element offset ao (s real). */
export function scaleInPlace(a: CArray, s: number, ao = 0, n = a.length / 2 - ao): void {
  const end = 2 * (ao + n);
  for (let i = 2 * ao; i < end; i++) a[i] *= s;
}

/** Copies n complex elements from src (element offset so) into dst (element offset dO). */
export function ccopy(dst: CArray, dO: number, src: CArray, so: number, n: number): void {
  if (n > 32) {
    dst.set(src.subarray(2 * so, 2 * (so + n)), 2 * dO);
    return;
  }
  // Short copies (a channel row, one coefficient) in a loop: no subarray view to allocate.
  for (let i = 0, a = 2 * dO, b = 2 * so, e = 2 * n; i < e; i++) dst[a + i] = src[b + i];
}

/** Thrown when a matrix that must be Hermitian positive definite is not (numerically). */
export class NotPositiveDefiniteError extends Error {
  constructor(readonly where: string, readonly pivot: number, readonly value: number) {
    super(`${where}: matrix is not positive definite (pivot ${pivot} = ${value.toExponential(3)})`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * In-place Cholesky factorisation A = L Lᴴ of an n×n Hermitian positive-definite matrix
 * (row-major, only the lower triangle is read). L overwrites the lower triangle; the strict upper
 * triangle is zeroed. Throws NotPositiveDefiniteError with `where` in the message.
 */
export function choleskyInPlace(A: CArray, n: number, where = 'cholesky'): void {
  for (let j = 0; j < n; j++) {
    // d = A_jj − Σ_{k<j} |L_jk|²
    let d = A[2 * (j * n + j)];
    for (let k = 0; k < j; k++) {
      const re = A[2 * (j * n + k)];
      const im = A[2 * (j * n + k) + 1];
      d -= re * re + im * im;
    }
    if (!(d > 0)) throw new NotPositiveDefiniteError(where, j, d);
    const ljj = Math.sqrt(d);
    A[2 * (j * n + j)] = ljj;
    A[2 * (j * n + j) + 1] = 0;
    for (let i = j + 1; i < n; i++) {
      // L_ij = (A_ij − Σ_{k<j} L_ik conj(L_jk)) / L_jj
      let re = A[2 * (i * n + j)];
      let im = A[2 * (i * n + j) + 1];
      for (let k = 0; k < j; k++) {
        const ar = A[2 * (i * n + k)];
        const ai = A[2 * (i * n + k) + 1];
        const br = A[2 * (j * n + k)];
        const bi = -A[2 * (j * n + k) + 1];
        re -= ar * br - ai * bi;
        im -= ar * bi + ai * br;
      }
      A[2 * (i * n + j)] = re / ljj;
      A[2 * (i * n + j) + 1] = im / ljj;
    }
    for (let i = 0; i < j; i++) {
      A[2 * (i * n + j)] = 0;
      A[2 * (i * n + j) + 1] = 0;
    }
  }
}

/**
 * Solves L Lᴴ X = B in place for X, given the Cholesky factor L (from choleskyInPlace) of an n×n
 * matrix and B of shape [n, nrhs] (row-major). B is overwritten by X.
 */
export function choleskySolveInPlace(L: CArray, n: number, B: CArray, nrhs: number): void {
  for (let c = 0; c < nrhs; c++) {
    // forward: L y = b
    for (let i = 0; i < n; i++) {
      let re = B[2 * (i * nrhs + c)];
      let im = B[2 * (i * nrhs + c) + 1];
      for (let k = 0; k < i; k++) {
        const lr = L[2 * (i * n + k)];
        const li = L[2 * (i * n + k) + 1];
        const yr = B[2 * (k * nrhs + c)];
        const yi = B[2 * (k * nrhs + c) + 1];
        re -= lr * yr - li * yi;
        im -= lr * yi + li * yr;
      }
      const d = L[2 * (i * n + i)];
      B[2 * (i * nrhs + c)] = re / d;
      B[2 * (i * nrhs + c) + 1] = im / d;
    }
    // backward: Lᴴ x = y
    for (let i = n - 1; i >= 0; i--) {
      let re = B[2 * (i * nrhs + c)];
      let im = B[2 * (i * nrhs + c) + 1];
      for (let k = i + 1; k < n; k++) {
        // (Lᴴ)_ik = conj(L_ki)
        const lr = L[2 * (k * n + i)];
        const li = -L[2 * (k * n + i) + 1];
        const xr = B[2 * (k * nrhs + c)];
        const xi = B[2 * (k * nrhs + c) + 1];
        re -= lr * xr - li * xi;
        im -= lr * xi + li * xr;
      }
      const d = L[2 * (i * n + i)];
      B[2 * (i * nrhs + c)] = re / d;
      B[2 * (i * nrhs + c) + 1] = im / d;
    }
  }
}

/**
 * Gram matrix G = A Aᴴ of the rows of A ([rows, cols] row-major): G_ij = a_iᵀ conj(a_j)…
 * precisely G_ij = Σ_c A_ic conj(A_jc). Returns [rows, rows].
 */
export function gramRows(A: CArray, rows: number, cols: number): CArray {
  const G = czeros(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j <= i; j++) {
      let re = 0;
      let im = 0;
      for (let c = 0; c < cols; c++) {
        const ar = A[2 * (i * cols + c)];
        const ai = A[2 * (i * cols + c) + 1];
        const br = A[2 * (j * cols + c)];
        const bi = -A[2 * (j * cols + c) + 1];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      G[2 * (i * rows + j)] = re;
      G[2 * (i * rows + j) + 1] = im;
      G[2 * (j * rows + i)] = re;
      G[2 * (j * rows + i) + 1] = -im;
    }
  }
  return G;
}
