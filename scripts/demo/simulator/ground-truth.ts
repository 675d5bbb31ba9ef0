/**
 * The hidden process the demo's bank customers follow, which Foresight must discover from their
 * behaviour alone. Friction (failed ID uploads, stalled onboarding, declined payments, tickets,
 * detractor NPS answers) adds to a customer's friction load, which decays with a three-week time
 * constant; the daily probability of closing the account grows exponentially with that load:
 *
 *   h(t) = min(h_max, h₀ · exp(β · load(t))) · (1 − τ · treated(t))
 *
 * τ, the playbook's effect, is heterogeneous: it depends on the customer's segment (students
 * respond most, affluent customers not at all).
 */
export const GROUND_TRUTH = {
  /** Daily hazard of closing the account with no friction at all. */
  baseHazardPerDay: 0.0012,
  /** β: log-hazard added per unit of friction load. */
  frictionCoefficient: 1.8,
  /** Cap on the daily hazard. */
  maxHazardPerDay: 0.3,
  /** Share of the load left after one day: exp(−1/21), a 21-day time constant. */
  loadDecayPerDay: Math.exp(-1 / 21),
  /** Log-engagement lost per unit of load (friction makes customers use the app less). */
  disengagementPerLoad: 0.35,
  /** Load added by each kind of friction incident. */
  load: { retryLoop: 1.4, stall: 1.2, declinedPayments: 1.2, ticket: 0.45, detractor: 0.9 },
  /** τ by segment: the relative cut in daily hazard once the customer got the playbook's email. */
  effectBySegment: { student: 0.7, salaried: 0.4, affluent: 0 } as Record<string, number>,
} as const;

/** The daily hazard of closing for a friction load, without and with the playbook's effect τ. */
export function dailyHazard(load: number, effect = 0): number {
  if (!(load >= 0)) throw new RangeError(`dailyHazard: load must be >= 0 (load=${load})`);
  if (!(effect >= 0 && effect <= 1)) throw new RangeError(`dailyHazard: effect must be in [0, 1] (effect=${effect})`);
  const { baseHazardPerDay, frictionCoefficient, maxHazardPerDay } = GROUND_TRUTH;
  return Math.min(maxHazardPerDay, baseHazardPerDay * Math.exp(frictionCoefficient * load)) * (1 - effect);
}
