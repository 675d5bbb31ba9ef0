import { estimateGradient, minimize, NON_FINITE_PENALTY, runNelderMead } from '../../../../subgraphs/common/math/minimize';

const rosenbrock = ([x, y]: number[]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;

describe('minimize', () => {
  it('finds the Rosenbrock minimum at (1, 1)', () => {
    const r = minimize(rosenbrock, [[-1.2, 1]]);
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
    expect(r.value).toBeLessThan(1e-10);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.evaluations).toBeGreaterThan(r.iterations);
  });

  it('keeps the best of several starts', () => {
    // two basins: a shallow one at x = −2 (value 1) and the global one at x = 3 (value 0)
    const f = ([x]: number[]) => Math.min((x + 2) ** 2 + 1, (x - 3) ** 2);
    const r = minimize(f, [[-2.5], [4]]);
    expect(r.x[0]).toBeCloseTo(3, 5);
    expect(r.value).toBeCloseTo(0, 8);
  });

  it('backs off from non-finite values instead of failing', () => {
    // ln is undefined below 0: NaN there must read as a very poor value
    const f = ([x]: number[]) => x - 2 * Math.log(x);
    const r = minimize(f, [[0.5], [10]]);
    expect(r.x[0]).toBeCloseTo(2, 5);
    expect(r.converged).toBe(true);
  });

  it('reports no convergence when every value is non-finite', () => {
    const r = minimize(() => Number.NaN, [[1, 2]]);
    expect(r.value).toBe(NON_FINITE_PENALTY);
    expect(r.converged).toBe(false);
  });

  it('returns plain data', () => {
    const r = minimize(rosenbrock, [[0, 0]]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it.each([[[]], [[[]]], [[[1], [1, 2]]], [[[Number.NaN]]]])('refuses starts %j', (starts) => {
    expect(() => minimize(rosenbrock, starts)).toThrow(RangeError);
  });
});

describe('runNelderMead', () => {
  it('minimises a quadratic without gradients', () => {
    const r = runNelderMead(([x, y]) => (x - 1) ** 2 + 3 * (y + 2) ** 2, [5, 5], 2000);
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(-2, 4);
    expect(r.iterations).toBeGreaterThan(0);
  });

  it('finds the Rosenbrock minimum along its curved valley without gradients', () => {
    const r = runNelderMead(rosenbrock, [-1.2, 1], 5000);
    expect(r.value).toBeLessThan(1e-8);
  });
});

describe('estimateGradient', () => {
  it('matches the analytic gradient', () => {
    const g = estimateGradient(rosenbrock, [0.5, 2]);
    expect(g[0]).toBeCloseTo(-2 * 0.5 - 400 * 0.5 * (2 - 0.25), 4);
    expect(g[1]).toBeCloseTo(200 * (2 - 0.25), 4);
  });
});
