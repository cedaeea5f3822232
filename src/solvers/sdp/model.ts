/**
 * Translation between the public problem (`types.ts`) and the kernel's real standard form
 * (`standard.ts`): validation, the Hermitian embedding, free-variable splitting, inequality
 * slacks, row/objective scaling, and the way back for primal, dual and certificates.
 *
 * Internal blocks, in order: one per user block, then (if any '≤'/'≥' rows) one orthant of slacks.
 *   'sym'  n  → 'psd' n                 data copied (symmetrised)
 *   'herm' n  → 'psd' 2n, embedded       data E(A)/2, primal E(X)  (so ⟨E(A)/2, E(X)⟩ = Re tr(AᴴX))
 *   'nonneg' n → 'lp' n
 *   'free' n  → 'lp' 2n                  x = x⁺ − x⁻, data [a; −a]
 * Row i of the form is row i of the user problem (+ its slack: +1 for '≤', −1 for '≥').
 *
 * Scaling (when enabled): row i is multiplied by d_i = 1/‖a_i‖ (Frobenius over all internal
 * blocks), then b by s_b = 1/max|b′| and c by s_c = 1/max|c| (each 1 when the data are zero).
 * Unscaling: x = x′/s_b, y_i = d_i·y′_i/s_c, z = z′/s_c.
 */
import { dot, minEigenvalue, symEig } from './linalg.ts';
import { embedHermitian, extractHermitian } from './hermitian.ts';
import { lowRankFactor, type ConeBlock, type StandardForm } from './standard.ts';
import { SdpInputError, type BlockSpec, type BlockTerm, type SdpProblem } from './types.ts';

export interface CompiledProblem {
  sf: StandardForm;
  /** Index of the slack orthant among the internal blocks, or −1. */
  slackBlock: number;
  /** [numRows] position of each row's slack in the slack block, or −1 for '='. */
  slackOf: Int32Array;
  /** [numRows] row scale d_i. */
  rowScale: Float64Array;
  bScale: number;
  cScale: number;
}

const KINDS = new Set(['sym', 'herm', 'nonneg', 'free']);

/** Number of stored numbers of a user block's data. */
export function userBlockLength(spec: BlockSpec): number {
  switch (spec.kind) {
    case 'sym':
      return spec.size * spec.size;
    case 'herm':
      return 2 * spec.size * spec.size;
    default:
      return spec.size;
  }
}

/** Validates the problem and builds the (scaled) standard form. Throws SdpInputError. */
export function compileProblem(problem: SdpProblem, scale: boolean): CompiledProblem {
  validateShape(problem);
  const specs = problem.blocks;
  const numRows = problem.constraints.length;
  const blocks: ConeBlock[] = specs.map((spec) => internalBlock(spec));
  const slackOf = new Int32Array(numRows).fill(-1);
  let numSlacks = 0;
  problem.constraints.forEach((con, i) => {
    if ((con.sense ?? 'eq') !== 'eq') slackOf[i] = numSlacks++;
  });
  const slackBlock = numSlacks > 0 ? blocks.length : -1;
  if (numSlacks > 0) blocks.push({ kind: 'lp', n: numSlacks, embedded: false });

  const c = blocks.map((blk) => new Float64Array(blk.kind === 'psd' ? blk.n * blk.n : blk.n));
  addTerms(specs, problem.objective, c, 'objective');
  const a: Array<Array<Float64Array | null>> = [];
  const b = new Float64Array(numRows);
  problem.constraints.forEach((con, i) => {
    const row: Array<Float64Array | null> = blocks.map(() => null);
    const touched = con.terms.map((t) => t.block);
    for (const k of new Set(touched)) {
      const blk = blocks[k];
      row[k] = new Float64Array(blk.kind === 'psd' ? blk.n * blk.n : blk.n);
    }
    addTerms(specs, con.terms, row, `constraints[${i}]`);
    if (slackOf[i] >= 0) {
      const s = new Float64Array(numSlacks);
      s[slackOf[i]] = con.sense === 'le' ? 1 : -1;
      row[slackBlock] = s;
    }
    let norm2 = 0;
    for (const v of row) if (v) norm2 += dot(v, v);
    if (norm2 === 0) throw new SdpInputError(`constraints[${i}]`, 'equality constraint has no nonzero coefficient');
    a.push(row);
    b[i] = con.rhs;
  });

  const rowScale = new Float64Array(numRows).fill(1);
  let bScale = 1;
  let cScale = 1;
  if (scale) {
    for (let i = 0; i < numRows; i++) {
      let norm2 = 0;
      for (const v of a[i]) if (v) norm2 += dot(v, v);
      rowScale[i] = 1 / Math.sqrt(norm2);
      for (const v of a[i]) if (v) for (let t = 0; t < v.length; t++) v[t] *= rowScale[i];
      b[i] *= rowScale[i];
    }
    const bMax = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (bMax > 0) bScale = 1 / bMax;
    for (let i = 0; i < numRows; i++) b[i] *= bScale;
    const cMax = c.reduce((m, v) => v.reduce((mm, t) => Math.max(mm, Math.abs(t)), m), 0);
    if (cMax > 0) cScale = 1 / cMax;
    for (const v of c) for (let t = 0; t < v.length; t++) v[t] *= cScale;
  }
  // Low-rank factors where they pay (rank ≤ n/4), for the kernel's Schur complement.
  const aFactors = a.map((row) =>
    row.map((v, k) => (v && blocks[k].kind === 'psd' ? lowRankFactor(v, blocks[k].n, Math.floor(blocks[k].n / 4)) : null)),
  );
  return { sf: { blocks, c, a, b, aFactors }, slackBlock, slackOf, rowScale, bScale, cScale };
}

/** The kernel block for a user block. */
function internalBlock(spec: BlockSpec): ConeBlock {
  switch (spec.kind) {
    case 'sym':
      return { kind: 'psd', n: spec.size, embedded: false };
    case 'herm':
      return { kind: 'psd', n: 2 * spec.size, embedded: true };
    case 'nonneg':
      return { kind: 'lp', n: spec.size, embedded: false };
    case 'free':
      return { kind: 'lp', n: 2 * spec.size, embedded: false };
  }
}

/** Adds the internal images of `terms` into the per-block arrays `out` (null entries skipped). */
function addTerms(specs: BlockSpec[], terms: BlockTerm[], out: Array<Float64Array | null>, path: string): void {
  terms.forEach((term, t) => {
    const spec = specs[term.block];
    const target = out[term.block] as Float64Array;
    const data = checkedSymmetric(spec, term.matrix, `${path}.terms[${t}].matrix`);
    const n = spec.size;
    switch (spec.kind) {
      case 'sym':
      case 'nonneg':
        for (let i = 0; i < data.length; i++) target[i] += data[i];
        break;
      case 'herm': {
        const e = embedHermitian(data, n, 0.5);
        for (let i = 0; i < e.length; i++) target[i] += e[i];
        break;
      }
      case 'free':
        for (let i = 0; i < n; i++) {
          target[i] += data[i];
          target[n + i] -= data[i];
        }
        break;
    }
  });
}

/**
 * Checks finiteness and (for matrix blocks) symmetry / Hermitian symmetry to a relative 1e-9,
 * and returns the exactly symmetrised data (a copy).
 */
function checkedSymmetric(spec: BlockSpec, m: Float64Array, path: string): Float64Array {
  const data = Float64Array.from(m);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new SdpInputError(path, `entry ${i} is not finite (${data[i]})`);
  }
  const n = spec.size;
  const maxAbs = data.reduce((mm, v) => Math.max(mm, Math.abs(v)), 0);
  const tol = 1e-9 * Math.max(maxAbs, 1e-300);
  if (spec.kind === 'sym') {
    for (let r = 0; r < n; r++) {
      for (let c = r + 1; c < n; c++) {
        const d = Math.abs(data[r * n + c] - data[c * n + r]);
        if (d > tol) throw new SdpInputError(path, `not symmetric: |a[${r},${c}] − a[${c},${r}]| = ${d}`);
        const v = 0.5 * (data[r * n + c] + data[c * n + r]);
        data[r * n + c] = v;
        data[c * n + r] = v;
      }
    }
  } else if (spec.kind === 'herm') {
    for (let r = 0; r < n; r++) {
      const dIm = Math.abs(data[2 * (r * n + r) + 1]);
      if (dIm > tol) throw new SdpInputError(path, `not Hermitian: Im a[${r},${r}] = ${data[2 * (r * n + r) + 1]}`);
      data[2 * (r * n + r) + 1] = 0;
      for (let c = r + 1; c < n; c++) {
        const p = 2 * (r * n + c);
        const q = 2 * (c * n + r);
        const d = Math.hypot(data[p] - data[q], data[p + 1] + data[q + 1]);
        if (d > tol) throw new SdpInputError(path, `not Hermitian: |a[${r},${c}] − conj(a[${c},${r}])| = ${d}`);
        const re = 0.5 * (data[p] + data[q]);
        const im = 0.5 * (data[p + 1] - data[q + 1]);
        data[p] = re;
        data[p + 1] = im;
        data[q] = re;
        data[q + 1] = -im;
      }
    }
  }
  return data;
}

/** Structural validation of blocks, terms, senses and right-hand sides. */
function validateShape(problem: SdpProblem): void {
  if (!problem || !Array.isArray(problem.blocks) || problem.blocks.length === 0) {
    throw new SdpInputError('blocks', 'at least one block is required');
  }
  problem.blocks.forEach((spec, k) => {
    if (!KINDS.has(spec?.kind)) throw new SdpInputError(`blocks[${k}].kind`, `unknown block kind '${spec?.kind}'`);
    if (!Number.isInteger(spec.size) || spec.size < 1) {
      throw new SdpInputError(`blocks[${k}].size`, `must be a positive integer, got ${spec.size}`);
    }
  });
  const checkTerms = (terms: BlockTerm[], path: string): void => {
    if (!Array.isArray(terms)) throw new SdpInputError(path, 'terms must be an array');
    terms.forEach((term, t) => {
      const p = `${path}[${t}]`;
      if (!Number.isInteger(term.block) || term.block < 0 || term.block >= problem.blocks.length) {
        throw new SdpInputError(`${p}.block`, `no block ${term.block} (problem has ${problem.blocks.length})`);
      }
      const spec = problem.blocks[term.block];
      const want = userBlockLength(spec);
      if (!(term.matrix instanceof Float64Array) || term.matrix.length !== want) {
        throw new SdpInputError(
          `${p}.matrix`,
          `expected a Float64Array of length ${want} for ${spec.kind} block ${term.block} of size ${spec.size}, got ${
            term.matrix instanceof Float64Array ? `length ${term.matrix.length}` : typeof term.matrix
          }`,
        );
      }
    });
  };
  checkTerms(problem.objective, 'objective.terms');
  if (!Array.isArray(problem.constraints)) throw new SdpInputError('constraints', 'must be an array');
  problem.constraints.forEach((con, i) => {
    checkTerms(con.terms, `constraints[${i}].terms`);
    const sense = con.sense ?? 'eq';
    if (sense !== 'eq' && sense !== 'le' && sense !== 'ge') {
      throw new SdpInputError(`constraints[${i}].sense`, `unknown sense '${String(sense)}'`);
    }
    if (!Number.isFinite(con.rhs)) throw new SdpInputError(`constraints[${i}].rhs`, `not finite (${con.rhs})`);
  });
}

/** User-layout primal blocks from internal (unscaled) primal blocks. */
export function recoverPrimal(specs: BlockSpec[], xInt: Float64Array[]): Float64Array[] {
  return specs.map((spec, k) => {
    const v = xInt[k];
    switch (spec.kind) {
      case 'sym':
      case 'nonneg':
        return Float64Array.from(v);
      case 'herm':
        return extractHermitian(v, spec.size);
      case 'free':
        return Float64Array.from({ length: spec.size }, (_, i) => v[i] - v[spec.size + i]);
    }
  });
}

/** User-layout dual slack blocks from internal (unscaled) dual slack blocks. */
export function recoverDualSlack(specs: BlockSpec[], zInt: Float64Array[]): Float64Array[] {
  return specs.map((spec, k) => {
    const v = zInt[k];
    switch (spec.kind) {
      case 'sym':
      case 'nonneg':
        return Float64Array.from(v);
      case 'herm':
        return extractHermitian(v, spec.size, 2); // internal data are E(·)/2
      case 'free':
        return Float64Array.from({ length: spec.size }, (_, i) => 0.5 * (v[i] - v[spec.size + i]));
    }
  });
}

/** ⟨A_i, X⟩ of every user constraint, on the original data. */
export function userApplyA(problem: SdpProblem, x: Float64Array[]): Float64Array {
  return Float64Array.from(problem.constraints, (con) =>
    con.terms.reduce((s, term) => s + dot(term.matrix, x[term.block]), 0),
  );
}

/** Σ_k ⟨C_k, X_k⟩ on the original data (interleaved dot = Re tr(CᴴX) for 'herm'). */
export function userObjective(problem: SdpProblem, x: Float64Array[]): number {
  return problem.objective.reduce((s, term) => s + dot(term.matrix, x[term.block]), 0);
}

/** C − Σ_i y_i A_i in the user layout. */
export function userDualSlack(problem: SdpProblem, y: Float64Array): Float64Array[] {
  const out = problem.blocks.map((spec) => new Float64Array(userBlockLength(spec)));
  for (const term of problem.objective) for (let t = 0; t < term.matrix.length; t++) out[term.block][t] += term.matrix[t];
  problem.constraints.forEach((con, i) => {
    for (const term of con.terms) {
      for (let t = 0; t < term.matrix.length; t++) out[term.block][t] -= y[i] * term.matrix[t];
    }
  });
  return out;
}

/** Constraint violation per row: |r| for '=', max(0, r) for '≤', max(0, −r) for '≥', r = ⟨A,X⟩ − b. */
export function constraintViolation(problem: SdpProblem, ax: Float64Array, rhsScale = 1): Float64Array {
  return Float64Array.from(problem.constraints, (con, i) => {
    const r = ax[i] - rhsScale * con.rhs;
    const sense = con.sense ?? 'eq';
    return sense === 'eq' ? Math.abs(r) : sense === 'le' ? Math.max(0, r) : Math.max(0, -r);
  });
}

/**
 * Distance of a user block from its cone, as the 2-norm of the negative part: negative
 * eigenvalues for 'sym'/'herm', negative entries for 'nonneg', 0 for 'free' (or, with
 * `zeroCone`, the whole vector for 'free', whose dual cone is {0}).
 */
export function coneViolation(spec: BlockSpec, v: Float64Array, zeroCone = false): number {
  const n = spec.size;
  let s = 0;
  switch (spec.kind) {
    case 'sym': {
      const ev = symEig(v, n).values;
      for (const e of ev) if (e < 0) s += e * e;
      break;
    }
    case 'herm': {
      const ev = symEig(embedHermitian(v, n), 2 * n).values;
      for (const e of ev) if (e < 0) s += (e * e) / 2; // each eigenvalue appears twice
      break;
    }
    case 'nonneg':
      for (const e of v) if (e < 0) s += e * e;
      break;
    case 'free':
      if (zeroCone) for (const e of v) s += e * e;
      break;
  }
  return Math.sqrt(s);
}

/** Smallest eigenvalue (or entry) of a user block; −Infinity-free; NaN for 'free'. */
export function blockMinEigenvalue(spec: BlockSpec, v: Float64Array): number {
  switch (spec.kind) {
    case 'sym':
      return minEigenvalue(v, spec.size);
    case 'herm':
      return minEigenvalue(embedHermitian(v, spec.size), 2 * spec.size);
    case 'nonneg':
      return v.reduce((m, t) => Math.min(m, t), Infinity);
    case 'free':
      return NaN;
  }
}
