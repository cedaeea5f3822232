/**
 * Eigendecomposition of a complex Hermitian matrix by cyclic Jacobi rotations.
 *
 * Each rotation first turns the pivot a_pq real with a phase (D = diag(1, e^{−iφ}) on column q),
 * then zeroes it with a real Jacobi rotation (Numerical Recipes' `jacobi` update). The combined
 * unitary V acts on columns p, q: A ← Vᴴ A V, and the eigenvectors accumulate X ← X V.
 * Accurate to machine precision for the small matrices (N_T ≲ 64) the twin needs.
 */
import type { CArray } from './complex.ts';

export interface HermitianEig {
  /** [n] eigenvalues, ascending. */
  values: Float64Array;
  /** [n, n] complex, column j is the unit eigenvector of values[j]. */
  vectors: CArray;
}

/** Eigen-decomposes the n×n Hermitian matrix A (row-major, not modified). */
export function eigHermitian(A: CArray, n: number, maxSweeps = 60): HermitianEig {
  const a = Float64Array.from(A);
  const x = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) x[2 * (i * n + i)] = 1;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale += a[i] * a[i];
  const tol = 1e-30 * Math.max(scale, 1e-300);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) off += a[2 * (p * n + q)] ** 2 + a[2 * (p * n + q) + 1] ** 2;
    }
    if (off <= tol) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(a, x, n, p, q);
    }
  }
  // Sort ascending.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[2 * (i * n + i)] - a[2 * (j * n + j)]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(2 * n * n);
  order.forEach((src, dst) => {
    values[dst] = a[2 * (src * n + src)];
    for (let r = 0; r < n; r++) {
      vectors[2 * (r * n + dst)] = x[2 * (r * n + src)];
      vectors[2 * (r * n + dst) + 1] = x[2 * (r * n + src) + 1];
    }
  });
  return { values, vectors };
}

function rotate(a: Float64Array, x: Float64Array, n: number, p: number, q: number): void {
  const apqr = a[2 * (p * n + q)];
  const apqi = a[2 * (p * n + q) + 1];
  const r = Math.hypot(apqr, apqi);
  if (r === 0) return;
  // e^{−iφ} with a_pq = r e^{iφ}
  const er = apqr / r;
  const ei = -apqi / r;
  const app = a[2 * (p * n + p)];
  const aqq = a[2 * (q * n + q)];
  const tau = (aqq - app) / (2 * r);
  const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
  const c = 1 / Math.sqrt(1 + t * t);
  const s = t * c;
  // V (2×2 on p, q): V_pp = c, V_pq = s, V_qp = −s e^{−iφ}, V_qq = c e^{−iφ}
  const vpp = [c, 0];
  const vpq = [s, 0];
  const vqp = [-s * er, -s * ei];
  const vqq = [c * er, c * ei];
  // A ← A V (columns p, q), X ← X V
  for (const m of [a, x]) {
    for (let i = 0; i < n; i++) {
      const ipr = m[2 * (i * n + p)];
      const ipi = m[2 * (i * n + p) + 1];
      const iqr = m[2 * (i * n + q)];
      const iqi = m[2 * (i * n + q) + 1];
      m[2 * (i * n + p)] = ipr * vpp[0] - ipi * vpp[1] + iqr * vqp[0] - iqi * vqp[1];
      m[2 * (i * n + p) + 1] = ipr * vpp[1] + ipi * vpp[0] + iqr * vqp[1] + iqi * vqp[0];
      m[2 * (i * n + q)] = ipr * vpq[0] - ipi * vpq[1] + iqr * vqq[0] - iqi * vqq[1];
      m[2 * (i * n + q) + 1] = ipr * vpq[1] + ipi * vpq[0] + iqr * vqq[1] + iqi * vqq[0];
    }
  }
  // A ← Vᴴ A (rows p, q): row p' = conj(V_pp) row p + conj(V_qp) row q, row q' = conj(V_pq) row p + conj(V_qq) row q
  for (let j = 0; j < n; j++) {
    const pjr = a[2 * (p * n + j)];
    const pji = a[2 * (p * n + j) + 1];
    const qjr = a[2 * (q * n + j)];
    const qji = a[2 * (q * n + j) + 1];
    a[2 * (p * n + j)] = vpp[0] * pjr + vpp[1] * pji + vqp[0] * qjr + vqp[1] * qji;
    a[2 * (p * n + j) + 1] = vpp[0] * pji - vpp[1] * pjr + vqp[0] * qji - vqp[1] * qjr;
    a[2 * (q * n + j)] = vpq[0] * pjr + vpq[1] * pji + vqq[0] * qjr + vqq[1] * qji;
    a[2 * (q * n + j) + 1] = vpq[0] * pji - vpq[1] * pjr + vqq[0] * qji - vqq[1] * qjr;
  }
  a[2 * (p * n + q)] = 0;
  a[2 * (p * n + q) + 1] = 0;
  a[2 * (q * n + p)] = 0;
  a[2 * (q * n + p) + 1] = 0;
  a[2 * (p * n + p) + 1] = 0;
  a[2 * (q * n + q) + 1] = 0;
}
