import { computeDotProduct, decomposeCholesky, multiplyMatrixVector, solveCholesky } from '../../../../subgraphs/common/math/linear-algebra';

describe('computeDotProduct', () => {
  it('sums the element-wise products', () => {
    expect(computeDotProduct([1, 2, 3], [4, -5, 6])).toBe(12);
    expect(computeDotProduct([], [])).toBe(0);
  });

  it('refuses vectors of different lengths', () => {
    expect(() => computeDotProduct([1, 2], [1])).toThrow(RangeError);
  });
});

describe('multiplyMatrixVector', () => {
  it('multiplies a rectangular matrix by a vector', () => {
    expect(multiplyMatrixVector([[1, 2, 3], [0, -1, 4]], [1, 1, 2])).toEqual([9, 7]);
  });

  it('refuses a vector that does not match the columns', () => {
    expect(() => multiplyMatrixVector([[1, 2]], [1, 2, 3])).toThrow(RangeError);
  });
});

describe('decomposeCholesky', () => {
  it('returns the lower factor L with L Lᵀ = A', () => {
    // the textbook example: A = [[4, 12, −16], [12, 37, −43], [−16, −43, 98]], L = [[2,0,0],[6,1,0],[−8,5,3]]
    const l = decomposeCholesky([
      [4, 12, -16],
      [12, 37, -43],
      [-16, -43, 98],
    ]);
    expect(l).toEqual([
      [2, 0, 0],
      [6, 1, 0],
      [-8, 5, 3],
    ]);
  });

  it('throws a RangeError naming positive-definiteness for a singular or indefinite matrix', () => {
    expect(() => decomposeCholesky([[1, 1], [1, 1]])).toThrow(/not symmetric positive-definite/);
    expect(() => decomposeCholesky([[1, 2], [2, 1]])).toThrow(RangeError);
    expect(() => decomposeCholesky([[Number.NaN]])).toThrow(RangeError);
  });

  it('throws a RangeError for a non-symmetric or non-square matrix', () => {
    expect(() => decomposeCholesky([[2, 1], [0, 2]])).toThrow(/not symmetric/);
    expect(() => decomposeCholesky([[1, 0, 0], [0, 1, 0]])).toThrow(/square/);
  });
});

describe('solveCholesky', () => {
  it('solves a symmetric positive-definite system', () => {
    const a = [
      [4, 12, -16],
      [12, 37, -43],
      [-16, -43, 98],
    ];
    const x = solveCholesky(a, [1, 2, 3]);
    const back = multiplyMatrixVector(a, x);
    back.forEach((value, i) => expect(value).toBeCloseTo([1, 2, 3][i], 10));
    expect(x[0]).toBeCloseTo(28.583333333333332, 10);
    expect(x[1]).toBeCloseTo(-7.666666666666667, 10);
    expect(x[2]).toBeCloseTo(1.3333333333333333, 10);
  });

  it('handles the empty system and refuses a mismatched right-hand side', () => {
    expect(solveCholesky([], [])).toEqual([]);
    expect(() => solveCholesky([[1]], [1, 2])).toThrow(RangeError);
  });
});
