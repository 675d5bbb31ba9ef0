import type { AlertRuleDraft } from '../../../../subgraphs/actions/domain/validate-alert-rule';

/** A valid risk-crossing rule as an admin sends it (untrimmed name, upper-case severity), with `over` and `trigger` applied. */
export const ruleDraft = (over: Partial<AlertRuleDraft> = {}, trigger: Partial<AlertRuleDraft['trigger']> = {}): AlertRuleDraft => ({
  name: ' Churn over 70 ',
  severity: 'HIGH',
  team: 'retention',
  trigger: { type: 'risk_crossing', riskKind: 'churn', threshold: 70, direction: 'up', hysteresis: 5, ...trigger },
  ...over,
});
