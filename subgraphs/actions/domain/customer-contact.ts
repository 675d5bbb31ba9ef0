import { FIELD_LIMITS } from '../../common/limits';

/**
 * When a customer "acted" after an alert: contacted support or churned. The proactive resolution
 * KPI counts an alert as resolved proactively when the team resolved it (SAVED) before that
 * moment, so the first such event after each alert is what is kept.
 */

/** Support-contact event names a new tenant starts with (Segment/Zendesk-style names). */
export const DEFAULT_SUPPORT_EVENTS: readonly string[] = ['Ticket Created', 'Support Ticket Created', 'Support Contacted'];
/** Churn event names a new tenant starts with. */
export const DEFAULT_CHURN_EVENTS: readonly string[] = ['Account Closed', 'Subscription Cancelled'];

/** Most names in either list, and the longest name (the one table: `FIELD_LIMITS`). */
export const MAX_CONTACT_EVENT_NAMES = FIELD_LIMITS.contactEventNames;
export const MAX_CONTACT_EVENT_NAME_LENGTH = FIELD_LIMITS.contactEventNameLength;

export interface ContactEvent {
  profileId: string;
  occurredAt: Date;
}

export interface OpenAlert {
  id: string;
  profileId: string;
  createdAt: Date;
  /** the moment stored so far, if any */
  customerActedAt: Date | null;
}

/**
 * For each alert, the first contact event of its profile at or after it was raised, when that is
 * earlier than what is stored (so events handled out of order, or twice, give the same answer):
 * alert id → the new moment. Alerts with nothing earlier to record are left out.
 */
export function firstContactAfter(alerts: readonly OpenAlert[], events: readonly ContactEvent[]): Map<string, Date> {
  const byProfile = new Map<string, number[]>();
  for (const e of events) {
    const list = byProfile.get(e.profileId) ?? [];
    list.push(e.occurredAt.getTime());
    byProfile.set(e.profileId, list);
  }
  for (const list of byProfile.values()) list.sort((a, b) => a - b);
  const moments = new Map<string, Date>();
  for (const alert of alerts) {
    const times = byProfile.get(alert.profileId);
    if (!times) continue;
    const raised = alert.createdAt.getTime();
    const first = times.find((t) => t >= raised);
    if (first === undefined) continue;
    if (alert.customerActedAt && alert.customerActedAt.getTime() <= first) continue;
    moments.set(alert.id, new Date(first));
  }
  return moments;
}

/** Problems with a list of event names (`field` names it); none when it is fine. */
export function contactEventNameProblems(field: string, names: unknown): { field: string; message: string }[] {
  if (!Array.isArray(names)) return [{ field, message: 'must be a list of event names' }];
  if (names.length > MAX_CONTACT_EVENT_NAMES) return [{ field, message: `at most ${MAX_CONTACT_EVENT_NAMES} event names` }];
  const problems: { field: string; message: string }[] = [];
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_CONTACT_EVENT_NAME_LENGTH) {
      problems.push({ field: `${field}[${i}]`, message: `must be a non-empty event name of at most ${MAX_CONTACT_EVENT_NAME_LENGTH} characters` });
    }
  });
  return problems;
}
