/**
 * The risk part of the KPI report (issue #13): the scored base at the start and at the end of a
 * period, each a sum over the latest churn score of every profile at that instant.
 */

/** Fewest profiles (with the value in question) a mean or total is shown for. Default 30. */
export const KPI_MIN_PROFILES = 30;

/**
 * Who counts as churned at an instant, by the active churn model's label, so the active base
 * leaves them out: those who performed the churn `event` before it, or (an inactivity label) had
 * no activity (`events` null) or none of `events` in the `days` before it.
 */
export type ChurnedBy = { kind: 'event'; event: string } | { kind: 'inactive'; days: number; events: string[] | null };

/**
 * The `ChurnedBy` of a churn model from its stored settings (`label`) and parameters
 * (`featureOptions.purchaseEvent`, for a no-purchase label); null when it names none (no model, or
 * settings it cannot read), and then nobody is left out.
 */
export function churnedByLabel(settings: Record<string, unknown> | null | undefined, params: Record<string, unknown> | null | undefined): ChurnedBy | null {
  const label = settings?.label as { kind?: unknown; event?: unknown; days?: unknown; activity?: unknown } | undefined;
  if (!label || typeof label !== 'object') return null;
  if (label.kind === 'event' && typeof label.event === 'string' && label.event.trim()) return { kind: 'event', event: label.event };
  if (label.kind === 'inactivity' && typeof label.days === 'number' && label.days > 0) {
    if (label.activity !== 'purchase') return { kind: 'inactive', days: label.days, events: null };
    const purchase = (params?.featureOptions as { purchaseEvent?: unknown } | undefined)?.purchaseEvent;
    return typeof purchase === 'string' && purchase ? { kind: 'inactive', days: label.days, events: [purchase] } : null;
  }
  return null;
}

/** Sums over the latest churn score per profile at one instant. */
export interface BaseSnapshot {
  /** Profiles with a churn score before the instant who had not churned by it: the active base. */
  profiles: number;
  probabilitySum: number;
  /** Of those, profiles whose latest score carries a CLV, and the sum of those CLVs. */
  clvKnown: number;
  clvSum: number;
  /** Profiles whose latest score carries a revenue at risk (churn × CLV), and its sum. */
  revenueAtRiskKnown: number;
  revenueAtRiskSum: number;
}

export interface ChurnKpi {
  activeProfiles: number;
  activeProfilesAtStart: number;
  /** Mean churn probability (0–1) of the base at the end; null below the minimum sample. */
  meanProbability: number | null;
  meanProbabilityAtStart: number | null;
  /** meanProbability − meanProbabilityAtStart (probability points); null when either is. */
  change: number | null;
  sampleNote: string | null;
}

export interface ClvKpi {
  totalAtStart: number | null;
  totalAtEnd: number | null;
  /** (totalAtEnd − totalAtStart) / totalAtStart; null when either total is, or the start is 0. */
  growth: number | null;
  sampleNote: string | null;
}

export interface RevenueAtRiskKpi {
  atStart: number | null;
  atEnd: number | null;
  sampleNote: string | null;
}

/** The churn part; a side below `minProfiles` profiles shows no mean and the note says which. */
export function churnKpi(start: BaseSnapshot, end: BaseSnapshot, minProfiles = KPI_MIN_PROFILES): ChurnKpi {
  const mean = (s: BaseSnapshot) => (s.profiles >= minProfiles ? s.probabilitySum / s.profiles : null);
  const atStart = mean(start);
  const atEnd = mean(end);
  return {
    activeProfiles: end.profiles,
    activeProfilesAtStart: start.profiles,
    meanProbability: atEnd,
    meanProbabilityAtStart: atStart,
    change: atStart !== null && atEnd !== null ? atEnd - atStart : null,
    sampleNote: noteOf([[start.profiles, 'scored profiles at the start'], [end.profiles, 'scored profiles at the end']], minProfiles),
  };
}

/** The CLV part: totals of the known CLVs at both instants and their relative growth. */
export function clvKpi(start: BaseSnapshot, end: BaseSnapshot, minProfiles = KPI_MIN_PROFILES): ClvKpi {
  const total = (s: BaseSnapshot) => (s.clvKnown >= minProfiles ? s.clvSum : null);
  const atStart = total(start);
  const atEnd = total(end);
  return {
    totalAtStart: atStart,
    totalAtEnd: atEnd,
    growth: atStart !== null && atEnd !== null && atStart !== 0 ? (atEnd - atStart) / atStart : null,
    sampleNote: noteOf([[start.clvKnown, 'profiles with a CLV at the start'], [end.clvKnown, 'profiles with a CLV at the end']], minProfiles),
  };
}

/** The revenue-at-risk part: Σ churn × CLV over the base at both instants. */
export function revenueAtRiskKpi(start: BaseSnapshot, end: BaseSnapshot, minProfiles = KPI_MIN_PROFILES): RevenueAtRiskKpi {
  const total = (s: BaseSnapshot) => (s.revenueAtRiskKnown >= minProfiles ? s.revenueAtRiskSum : null);
  return {
    atStart: total(start),
    atEnd: total(end),
    sampleNote: noteOf([[start.revenueAtRiskKnown, 'profiles with a revenue at risk at the start'], [end.revenueAtRiskKnown, 'profiles with a revenue at risk at the end']], minProfiles),
  };
}

/** "12 scored profiles at the start; at least 30 are needed", for the first side short of the minimum. */
function noteOf(sides: readonly [number, string][], minProfiles: number): string | null {
  const short = sides.find(([n]) => n < minProfiles);
  return short ? `${short[0]} ${short[1]}; at least ${minProfiles} are needed` : null;
}
