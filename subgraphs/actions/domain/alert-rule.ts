/** Facts of a risk bucket crossing, as the actions stage receives them. */
export interface RiskCrossing {
  score: number;
  bucket: string;
  previousBucket: string | null;
}

/**
 * The default alert rule: alert when a profile enters the High bucket (from any other bucket or
 * from no score at all). Moving within High, or down, raises nothing.
 */
export function shouldAlertOnCrossing(crossing: RiskCrossing): boolean {
  return crossing.bucket === 'high' && crossing.previousBucket !== 'high';
}

/** The human-readable line shown in the alert. */
export function describeCrossing(crossing: RiskCrossing): string {
  const from = crossing.previousBucket ?? 'unscored';
  return `Churn risk rose to ${Math.round(crossing.score)}/100 (${from} → ${crossing.bucket}).`;
}
