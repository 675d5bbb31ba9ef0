/** Largest global control group a tenant may set: half its customers untouched is already a lot. */
export const MAX_GLOBAL_CONTROL = 0.5;
export const MAX_GLOBAL_CONTROL_PERIOD_DAYS = 365;

import { contactEventNameProblems } from './customer-contact';

export interface MeasurementSettingsDraft {
  globalControlFraction?: number | null;
  globalControlPeriodDays?: number | null;
  supportEvents?: string[] | null;
  churnEvents?: string[] | null;
}

/** Checks a settings change; each problem names its field (`globalControlFraction`, `supportEvents[2]`, …). */
export function validateMeasurementSettings(draft: MeasurementSettingsDraft): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const f = draft.globalControlFraction;
  if (f != null && !(typeof f === 'number' && f >= 0 && f <= MAX_GLOBAL_CONTROL)) problems.push({ field: 'globalControlFraction', message: `must be a number from 0 to ${MAX_GLOBAL_CONTROL}` });
  const d = draft.globalControlPeriodDays;
  if (d != null && !(Number.isInteger(d) && d >= 1 && d <= MAX_GLOBAL_CONTROL_PERIOD_DAYS)) problems.push({ field: 'globalControlPeriodDays', message: `must be a whole number of days from 1 to ${MAX_GLOBAL_CONTROL_PERIOD_DAYS}` });
  if (draft.supportEvents != null) problems.push(...contactEventNameProblems('supportEvents', draft.supportEvents));
  if (draft.churnEvents != null) problems.push(...contactEventNameProblems('churnEvents', draft.churnEvents));
  return problems;
}
