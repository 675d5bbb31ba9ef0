import { severityRank } from './alert-rule';

/** What an `alertRaised` subscriber asked for; every present criterion must match. */
export interface AlertRaisedCriteria {
  team?: string | null;
  /** At least this severe. */
  minSeverity?: string | null;
  ruleId?: string | null;
}

/** True when the alert passes the subscriber's filter. An absent criterion passes everything. */
export function matchesAlertRaised(alert: { team: string; severity: string; ruleId: string | null }, criteria: AlertRaisedCriteria): boolean {
  if (criteria.team != null && alert.team !== criteria.team) return false;
  if (criteria.minSeverity != null && severityRank(alert.severity) < severityRank(criteria.minSeverity)) return false;
  if (criteria.ruleId != null && alert.ruleId !== criteria.ruleId) return false;
  return true;
}
