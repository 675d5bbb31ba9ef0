/**
 * Small dense linear algebra for the model fitters (IRLS solves one p × p system per iteration, with
 * p in the tens). Plain arrays keep the inputs and outputs JSON-friendly; no BLAS is worth its weight here.
 */

/** A dense matrix as rows: `a[i][j]` is row i, column j. */
export type Matrix = number[][];
export type Vector = number[];

/** Σ a_i b_i. Throws a RangeError when the lengths differ. */
export function computeDotProduct(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`computeDotProduct: lengths differ (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** A x for an m × n matrix and an n-vector. Throws a RangeError when the shapes do not match. */
export function multiplyMatrixVector(a: readonly (readonly number[])[], x: readonly number[]): Vector {
  return a.map((row) => {
    if (row.length !== x.length) throw new RangeError(`multiplyMatrixVector: row has ${row.length} columns, vector has ${x.length} entries`);
    return computeDotProduct(row, x);
  });
}

/**
 * The lower-triangular L with L Lᵀ = A for a symmetric positive-definite A. A zero, negative or
 * non-finite pivot means A is not (numerically) positive-definite; that is reported as a RangeError
 * rather than returning NaNs, so a caller can regularise and retry instead of silently fitting garbage.
 */
export function decomposeCholesky(a: readonly (readonly number[])[]): Matrix {
  const n = a.length;
  for (let i = 0; i < n; i++) {
    if (a[i].length !== n) throw new RangeError(`decomposeCholesky: matrix must be square (row ${i} has ${a[i].length} columns, expected ${n})`);
    for (let j = 0; j < i; j++) {
      const tolerance = 1e-12 * Math.max(1, Math.abs(a[i][j]), Math.abs(a[j][i]));
      if (!(Math.abs(a[i][j] - a[j][i]) <= tolerance)) {
        throw new RangeError(`decomposeCholesky: matrix is not symmetric (a[${i}][${j}]=${a[i][j]}, a[${j}][${i}]=${a[j][i]})`);
      }
    }
  }
  const l: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let pivot = a[j][j];
    for (let k = 0; k < j; k++) pivot -= l[j][k] * l[j][k];
    if (!(pivot > 0) || !Number.isFinite(pivot)) {
      throw new RangeError(`decomposeCholesky: matrix is not symmetric positive-definite (pivot ${j} is ${pivot})`);
    }
    const diagonal = Math.sqrt(pivot);
    l[j][j] = diagonal;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
      l[i][j] = sum / diagonal;
    }
  }
  return l;
}

/**
 * x with A x = b for a symmetric positive-definite A, by Cholesky and two triangular solves
 * (about half the work of LU and no pivoting, which SPD systems do not need).
 * Throws a RangeError when A is not SPD or b has the wrong length.
 */
export function solveCholesky(a: readonly (readonly number[])[], b: readonly number[]): Vector {
  if (b.length !== a.length) throw new RangeError(`solveCholesky: right-hand side has ${b.length} entries, matrix has ${a.length} rows`);
  const l = decomposeCholesky(a);
  const n = b.length;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i][k] * y[k];
    y[i] = sum / l[i][i];
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k][i] * x[k];
    x[i] = sum / l[i][i];
  }
  return x;
}
