/**
 * Keeps a fit's parameters, optimised in log space, inside a box of plausible magnitudes.
 *
 * The lifetime models' likelihoods have ridges running off to infinity (BG/NBD's r, α → ∞ with r/α
 * fixed is the Poisson limit of a homogeneous population). Far enough along them the log-gamma
 * differences cancel to garbage: on a simulated bank's purchases the BG/NBD likelihood read 0 at
 * r ≈ 1e27, "better" than the true optimum (−5,099.5 at r = 7.1), and the fit stopped there with
 * parameters that made every CLV NaN. Outside the box the objective is +∞, which `minimize` treats
 * as a very poor point, so the search backs off. Inside it (1e-6…1e6 by default) every published
 * fit we reproduce lies far from the walls.
 */
export const LOG_PARAMETER_BOUND = Math.log(1e6);

export function boundedInLogSpace(objective: (v: number[]) => number, bound = LOG_PARAMETER_BOUND): (v: number[]) => number {
  return (v) => (v.every((x) => Math.abs(x) <= bound) ? objective(v) : Number.POSITIVE_INFINITY);
}
