// Unconstrained minimisation for maximum-likelihood fits. numeric.uncmin is a BFGS quasi-Newton
// method; the likelihoods here have no closed-form gradient worth maintaining, so it runs on central
// finite differences. Likelihood surfaces of the lifetime models have flat ridges where a single
// start stalls (BG/NBD on CDNOW from all-ones stops at LL −9600.18 instead of −9582.43), hence
// several starts and the best kept, and a Nelder–Mead pass that walks off such ridges before BFGS
// resumes.
import numeric from 'numeric';

/** Stand-in for a non-finite objective value, so that line searches back off instead of failing. */
export const NON_FINITE_PENALTY = 1e12;

export interface MinimizeOptions {
  /** Stop when the quasi-Newton step is shorter than this (numeric.uncmin's `tol`). Default 1e-9. */
  tolerance?: number;
  /**
   * Largest gradient component (central differences, objective units per unit of x) still taken as
   * a stationary point. Default 1e-3: for a log-likelihood, a change of 1e-3 per e-fold of a
   * log-parameter is far below anything a likelihood-ratio test could see.
   */
  gradientTolerance?: number;
  /** Iteration budget per start and phase (uncmin's `maxit`; Nelder–Mead iterations). Default 1000. */
  maxIterations?: number;
}

export interface MinimizeResult {
  /** Argument of the smallest value found. */
  x: number[];
  value: number;
  /** Iterations summed over every start and phase, so that fits of different data can be compared. */
  iterations: number;
  /** Objective evaluations summed over every start and phase (gradients included), for cost accounting. */
  evaluations: number;
  /** Whether the kept start ended at a stationary point (gradient within gradientTolerance). */
  converged: boolean;
}

/** Where one local search (a BFGS or Nelder–Mead phase) stopped. */
export interface Run {
  x: number[];
  value: number;
  iterations: number;
}

/**
 * Minimises `f` from each start and returns the best result. Non-finite values of `f` are replaced
 * by NON_FINITE_PENALTY. Each start runs BFGS, then Nelder–Mead from where BFGS stopped, then BFGS
 * again from the simplex's best vertex; the last two phases cost little at a true optimum and rescue
 * starts that stalled on a ridge.
 */
export function minimize(f: (x: number[]) => number, starts: number[][], opts: MinimizeOptions = {}): MinimizeResult {
  if (!starts.length) throw new RangeError('minimize: at least one start is needed');
  const dim = starts[0].length;
  if (!dim || starts.some((s) => s.length !== dim || s.some((v) => !Number.isFinite(v)))) {
    throw new RangeError('minimize: starts must be non-empty vectors of finite numbers of one length');
  }
  const tolerance = opts.tolerance ?? 1e-9;
  const gradientTolerance = opts.gradientTolerance ?? 1e-3;
  const maxIterations = opts.maxIterations ?? 1000;
  let evaluations = 0;
  const safe = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : NON_FINITE_PENALTY;
  };
  let best: Run | null = null;
  let iterations = 0;
  for (const start of starts) {
    const first = runQuasiNewton(safe, start, tolerance, maxIterations);
    const simplex = runNelderMead(safe, first.x, maxIterations);
    const polished = runQuasiNewton(safe, simplex.x, tolerance, maxIterations);
    iterations += first.iterations + simplex.iterations + polished.iterations;
    const run = [first, simplex, polished].reduce((a, b) => (b.value < a.value ? b : a));
    if (!best || run.value < best.value) best = run;
  }
  const kept = best as Run;
  const gradient = estimateGradient(safe, kept.x);
  const converged = kept.value < NON_FINITE_PENALTY && gradient.every((g) => Math.abs(g) <= gradientTolerance);
  return { x: kept.x, value: kept.value, iterations, evaluations, converged };
}

/**
 * BFGS (numeric.uncmin) on central differences, returning where it stopped. `f` is finite
 * everywhere (see minimize), so uncmin's NaN checks never fire; errors `f` throws propagate.
 */
function runQuasiNewton(f: (x: number[]) => number, start: number[], tolerance: number, maxIterations: number): Run {
  const r = numeric.uncmin(f, start.slice(), tolerance, (x: number[]) => estimateGradient(f, x), maxIterations);
  return { x: r.solution.slice(), value: r.f, iterations: r.iterations };
}

/**
 * Central differences with a step of 1e-6 relative to each coordinate: exactly 2n evaluations and
 * never a throw. numeric.gradient, uncmin's default, sizes its step from the objective's value
 * (1e-6·|f|, ~0.01 on a log-likelihood of −9582), then shrinks it up to 20 times by an error
 * estimate and throws "Numerical gradient fails" when that runs out.
 */
export function estimateGradient(f: (x: number[]) => number, x: readonly number[]): number[] {
  const probe = x.slice();
  return x.map((xi, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(xi));
    probe[i] = xi + h;
    const up = f(probe);
    probe[i] = xi - h;
    const down = f(probe);
    probe[i] = xi;
    return (up - down) / (2 * h);
  });
}

/**
 * Nelder–Mead with the standard coefficients (reflection 1, expansion 2, contraction ½, shrink ½)
 * from an initial simplex of unit steps along each axis (the parameters live in log space, so a
 * unit step is a factor of e). Stops when the values across the simplex agree to 1e-10 relative.
 */
export function runNelderMead(f: (x: number[]) => number, start: readonly number[], maxIterations: number): Run {
  const n = start.length;
  let points: number[][] = [start.slice()];
  for (let i = 0; i < n; i++) {
    const p = start.slice();
    p[i] += 1;
    points.push(p);
  }
  let values = points.map(f);
  let iterations = 0;
  const combine = (a: number[], b: number[], t: number): number[] => a.map((ai, i) => ai + t * (b[i] - ai));
  for (; iterations < maxIterations; iterations++) {
    const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
    points = order.map((i) => points[i]);
    values = order.map((i) => values[i]);
    const spread = Math.abs(values[n] - values[0]);
    if (spread <= 1e-10 * Math.max(1, Math.abs(values[0]))) break;
    const centroid = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) centroid[i] += points[k][i] / n;
    const worst = points[n];
    const reflected = combine(centroid, worst, -1);
    const fr = f(reflected);
    if (fr < values[0]) {
      const expanded = combine(centroid, worst, -2);
      const fe = f(expanded);
      [points[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [points[n], values[n]] = [reflected, fr];
    } else {
      const outside = fr < values[n];
      const contracted = outside ? combine(centroid, worst, -0.5) : combine(centroid, worst, 0.5);
      const fc = f(contracted);
      if (fc < (outside ? fr : values[n])) {
        [points[n], values[n]] = [contracted, fc];
      } else {
        for (let k = 1; k <= n; k++) {
          points[k] = combine(points[0], points[k], 0.5);
          values[k] = f(points[k]);
        }
      }
    }
  }
  let bestIndex = 0;
  for (let k = 1; k <= n; k++) if (values[k] < values[bestIndex]) bestIndex = k;
  return { x: points[bestIndex], value: values[bestIndex], iterations };
}
