/**
 * Lower tail of the Poisson distribution, P(X ≤ k) for X ~ Poisson(mean):
 * Σ_{i=0..k} e^{−μ} μ^i / i!, summed in log space (log-sum-exp) so large means and counts stay finite.
 * Throws a RangeError for a negative or non-finite mean or a negative or fractional k.
 */
export function poissonCdf(k: number, mean: number): number {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`poissonCdf: k must be a whole number >= 0 (k=${k})`);
  if (!Number.isFinite(mean) || mean < 0) throw new RangeError(`poissonCdf: mean must be finite and >= 0 (mean=${mean})`);
  if (mean === 0) return 1;
  const logMean = Math.log(mean);
  let logTerm = -mean; // log of the i = 0 term
  let max = logTerm;
  const logs: number[] = [logTerm];
  for (let i = 1; i <= k; i++) {
    logTerm += logMean - Math.log(i);
    logs.push(logTerm);
    if (logTerm > max) max = logTerm;
  }
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - max);
  return Math.min(1, Math.exp(max + Math.log(sum)));
}
