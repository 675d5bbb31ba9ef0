import { poissonCdf } from '../../../common/math/poisson';
import type { FrictionFinding } from './finding';
import type { InactivityDropOptions } from './settings';

const DAY = 86_400_000;

/** A profile's activity counts as the sweep reads them. */
export interface ActivitySummary {
  profileId: string;
  /** Events in the baseline window `[now − recent − baseline, now − recent)`. */
  baselineCount: number;
  /** Events in the recent window `[now − recent, now)`. */
  recentCount: number;
  /** The profile's first event ever seen (bounds the baseline of a young profile). */
  firstSeenAt: Date;
  /** Its latest event. */
  lastSeenAt: Date;
}

/**
 * Inactivity drop against the customer's own baseline. Baseline rate λ = baselineCount ÷ the
 * baseline days actually observed (from the later of the window start and the first event to the
 * start of the recent window); expected recent count μ = λ × recentDays. Flags when the history is
 * long enough (`minHistoryDays`, `minBaselineEvents`), the recent count k is at most `maxRatio` × μ,
 * and the Poisson lower tail P(X ≤ k | μ) is below `alpha` — a drop this deep is unlikely to be
 * chance for this customer. Severity 1 − k ÷ μ. Dedupe key per recent-window period:
 * `inactivity_drop-<profile>-period-<floor(now ÷ recent) × recent>`, so an ongoing drop is reported
 * once per `recentDays`.
 */
export function detectInactivityDrop(activity: ActivitySummary, options: InactivityDropOptions, now: Date): FrictionFinding | null {
  if (!options.enabled) return null;
  const recentMs = options.recentDays * DAY;
  const recentStart = now.getTime() - recentMs;
  const baselineStart = Math.max(recentStart - options.baselineDays * DAY, activity.firstSeenAt.getTime());
  const baselineDays = (recentStart - baselineStart) / DAY;
  if (baselineDays < options.minHistoryDays || activity.baselineCount < options.minBaselineEvents) return null;
  const rate = activity.baselineCount / baselineDays;
  const expected = rate * options.recentDays;
  const k = activity.recentCount;
  if (k > options.maxRatio * expected) return null;
  const p = poissonCdf(k, expected);
  if (p >= options.alpha) return null;
  const period = Math.floor(now.getTime() / recentMs) * recentMs;
  const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
  return {
    type: 'inactivity_drop',
    profileId: activity.profileId,
    severity: round(Math.min(1, Math.max(0, 1 - k / expected))),
    detectedAt: now,
    evidence: {
      summary:
        `${k} events in the last ${options.recentDays} days against ${round(expected, 1)} expected ` +
        `from this customer's baseline of ${round(rate, 1)}/day (p = ${p.toExponential(1)})`,
      recentCount: k,
      expectedCount: round(expected, 2),
      baselineCount: activity.baselineCount,
      baselineDays: round(baselineDays, 1),
      baselineRatePerDay: round(rate, 3),
      ratio: round(k / expected, 3),
      pValue: p,
      lastSeenAt: activity.lastSeenAt.toISOString(),
      threshold: { maxRatio: options.maxRatio, alpha: options.alpha, recentDays: options.recentDays },
      eventIds: [],
    },
    dedupeKey: `inactivity_drop-${activity.profileId}-period-${period}`,
  };
}
