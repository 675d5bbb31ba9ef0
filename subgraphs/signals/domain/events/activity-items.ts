import { eventAmount } from '../../../common/ecommerce';
import type { SignalDetectedEvent } from '../../../common/pubsub';
import type { EventType, RecordActivityJob } from '../../../common/queues';

type EventActivity = Extract<RecordActivityJob, { kind: 'event' }>;
type SignalActivity = Extract<RecordActivityJob, { kind: 'signal' }>;

/** What the risk stage's copy of an event is built from. */
export interface ActivityEvent {
  id: string;
  type: EventType;
  name: string | null;
  timestamp: Date;
  profileId: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** What the risk stage's copy of a signal is built from. */
export interface ActivitySignal {
  id: string;
  profileId: string;
  type: string;
  severity: number;
  detectedAt: Date;
  journeyInstanceId: string | null;
  evidence: Record<string, unknown>;
}

/** Longest signal summary handed on, characters. */
const MAX_SUMMARY = 512;

/**
 * The risk stage's copy of an event: its amount (churn and lifetime features) and, for `identify`
 * and `group`, its traits (`trait:*` features) — every event with a profile, named or not.
 */
export function eventActivity(tenantId: string, event: ActivityEvent): EventActivity {
  return {
    kind: 'event',
    tenantId,
    profileId: event.profileId,
    eventId: event.id,
    type: event.type,
    name: event.name,
    timestamp: event.timestamp.toISOString(),
    revenue: eventAmount(event.properties),
    traits: event.type === 'identify' || event.type === 'group' ? traitsOf(event) : {},
  };
}

/** `context.traits` overlaid by the event's own traits (the explicit ones win), as profiles applies them. */
function traitsOf(event: Pick<ActivityEvent, 'traits' | 'context'>): Record<string, unknown> {
  const context = event.context.traits;
  return { ...(context && typeof context === 'object' && !Array.isArray(context) ? (context as Record<string, unknown>) : {}), ...event.traits };
}

/** The summary a signal is announced with: its evidence's, else its type. */
export function signalSummary(signal: Pick<ActivitySignal, 'type' | 'evidence'>): string {
  return typeof signal.evidence.summary === 'string' ? signal.evidence.summary : signal.type;
}

/** The risk stage's copy of a signal (features, and the evidence behind a score's reasons). */
export function signalActivity(tenantId: string, signal: ActivitySignal): SignalActivity {
  return {
    kind: 'signal',
    tenantId,
    profileId: signal.profileId,
    signalId: signal.id,
    type: signal.type,
    severity: signal.severity,
    detectedAt: signal.detectedAt.toISOString(),
    journeyInstanceId: signal.journeyInstanceId,
    summary: signalSummary(signal).slice(0, MAX_SUMMARY),
  };
}

/** The `signalDetected` announcement of a stored signal (what partners subscribed to it see). */
export function signalDetected(tenantId: string, signal: ActivitySignal): SignalDetectedEvent {
  return {
    tenantId,
    signalId: signal.id,
    profileId: signal.profileId,
    type: signal.type,
    severity: signal.severity,
    journeyInstanceId: signal.journeyInstanceId,
    detectedAt: signal.detectedAt.toISOString(),
    summary: signalSummary(signal),
  };
}

/** Items of one key once, the first kept, in order (e.g. a journey snapshot two events both sent). */
export function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
