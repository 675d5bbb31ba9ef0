import type { SignalFacts } from './evaluate-signal-rules';
import type { RejectedChange } from './read-raise-alerts-job';

/** A `signal-alerts` job, checked: the usable signals (without segments yet), and the rejected ones by index. */
export interface SignalAlertsWork {
  tenantId: string;
  signals: Omit<SignalFacts, 'segmentIds'>[];
  rejected: RejectedChange[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Reads a `signal-alerts` payload `{ tenantId, signals }`. A signal that is malformed is rejected
 * with its index (naming the field) and the others are kept; a payload without a tenant or a
 * list of signals throws a `RangeError` (the worker fails it without retries).
 */
export function readSignalAlertsJob(data: unknown): SignalAlertsWork {
  const d = (data ?? {}) as Record<string, unknown>;
  if (typeof d.tenantId !== 'string' || !d.tenantId) throw new RangeError('readSignalAlertsJob: tenantId must be a non-empty string');
  if (!Array.isArray(d.signals)) throw new RangeError('readSignalAlertsJob: signals must be a list');
  const signals: SignalAlertsWork['signals'] = [];
  const rejected: RejectedChange[] = [];
  d.signals.forEach((raw, index) => {
    const signal = readSignal(raw);
    if (typeof signal === 'string') rejected.push({ index, reason: signal });
    else signals.push(signal);
  });
  return { tenantId: d.tenantId, signals, rejected };
}

/** One signal, or the reason it is unusable (naming the field). */
function readSignal(raw: unknown): SignalAlertsWork['signals'][number] | string {
  if (!raw || typeof raw !== 'object') return 'not an object';
  const s = raw as Record<string, unknown>;
  if (typeof s.signalId !== 'string' || !UUID.test(s.signalId)) return 'signalId must be a signal id (uuid)';
  if (typeof s.profileId !== 'string' || !UUID.test(s.profileId)) return 'profileId must be a profile id (uuid)';
  if (typeof s.type !== 'string' || !TYPE.test(s.type)) return 'type must be a signal type such as retry_loop';
  if (typeof s.severity !== 'number' || !(s.severity >= 0 && s.severity <= 1)) return 'severity must be a number from 0 to 1';
  const detectedAt = new Date(typeof s.detectedAt === 'string' ? s.detectedAt : Number.NaN);
  if (Number.isNaN(detectedAt.getTime())) return 'detectedAt must be an ISO time';
  if (s.journeyInstanceId != null && (typeof s.journeyInstanceId !== 'string' || !UUID.test(s.journeyInstanceId))) return 'journeyInstanceId must be a uuid or null';
  if (s.summary !== undefined && typeof s.summary !== 'string') return 'summary must be a string';
  if (s.eventIds !== undefined && !(Array.isArray(s.eventIds) && s.eventIds.every((id) => typeof id === 'string'))) return 'eventIds must be a list of ids';
  return {
    signalId: s.signalId,
    profileId: s.profileId,
    type: s.type,
    severity: s.severity,
    at: detectedAt,
    journeyInstanceId: (s.journeyInstanceId as string | null | undefined) ?? null,
    summary: ((s.summary as string | undefined) || s.type).slice(0, 512),
    eventIds: ((s.eventIds as string[] | undefined) ?? []).slice(0, 50),
  };
}
