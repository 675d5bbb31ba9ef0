import type { SignalForAlerts } from '../../../common/queues';
import { signalSummary, type ActivitySignal } from './activity-items';

/** Most event ids an alert's evidence names (a long retry loop names the first ones). */
const MAX_EVENT_IDS = 50;
/** Longest signal summary handed on, characters. */
const MAX_SUMMARY = 512;

/**
 * A stored signal as the actions stage's FRICTION_SIGNAL alert rules evaluate it: its type,
 * severity and time, and the summary and event ids an alert shows as its evidence.
 */
export function signalForAlerts(signal: ActivitySignal): SignalForAlerts {
  const ids = signal.evidence.eventIds;
  return {
    signalId: signal.id,
    profileId: signal.profileId,
    type: signal.type,
    severity: signal.severity,
    detectedAt: signal.detectedAt.toISOString(),
    journeyInstanceId: signal.journeyInstanceId,
    summary: signalSummary(signal).slice(0, MAX_SUMMARY),
    eventIds: Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string').slice(0, MAX_EVENT_IDS) : [],
  };
}
