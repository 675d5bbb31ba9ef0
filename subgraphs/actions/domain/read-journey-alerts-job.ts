import type { JourneyStateFacts } from './evaluate-journey-rules';
import type { RejectedChange } from './read-raise-alerts-job';

/** A `journey-alerts` job, checked: the usable states (without segments), the markers to acknowledge, and the rejected states by index. */
export interface JourneyAlertsWork {
  tenantId: string;
  states: Omit<JourneyStateFacts, 'segmentIds'>[];
  pending: { instanceId: string; since: string }[];
  rejected: RejectedChange[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATES = ['active', 'stalled', 'completed', 'abandoned'];

/**
 * Reads a `journey-alerts` payload `{ tenantId, states, pending }`. A malformed state is rejected
 * with its index (naming the field) and the others are kept; a payload without a tenant, or
 * whose lists are missing or whose markers are malformed, throws a `RangeError` (the worker fails
 * it without retries).
 */
export function readJourneyAlertsJob(data: unknown): JourneyAlertsWork {
  const d = (data ?? {}) as Record<string, unknown>;
  if (typeof d.tenantId !== 'string' || !d.tenantId) throw new RangeError('readJourneyAlertsJob: tenantId must be a non-empty string');
  if (!Array.isArray(d.states)) throw new RangeError('readJourneyAlertsJob: states must be a list');
  if (!Array.isArray(d.pending)) throw new RangeError('readJourneyAlertsJob: pending must be a list');
  const pending = d.pending.map((p: unknown, i) => {
    const q = (p ?? {}) as Record<string, unknown>;
    if (typeof q.instanceId !== 'string' || !UUID.test(q.instanceId) || typeof q.since !== 'string' || Number.isNaN(Date.parse(q.since))) {
      throw new RangeError(`readJourneyAlertsJob: pending[${i}] must be { instanceId: uuid, since: ISO time }`);
    }
    return { instanceId: q.instanceId, since: q.since };
  });
  const states: JourneyAlertsWork['states'] = [];
  const rejected: RejectedChange[] = [];
  d.states.forEach((raw, index) => {
    const state = readState(raw);
    if (typeof state === 'string') rejected.push({ index, reason: state });
    else states.push(state);
  });
  return { tenantId: d.tenantId, states, pending, rejected };
}

function readState(raw: unknown): JourneyAlertsWork['states'][number] | string {
  if (!raw || typeof raw !== 'object') return 'not an object';
  const s = raw as Record<string, unknown>;
  if (typeof s.instanceId !== 'string' || !UUID.test(s.instanceId)) return 'instanceId must be a journey instance id (uuid)';
  if (typeof s.profileId !== 'string' || !UUID.test(s.profileId)) return 'profileId must be a profile id (uuid)';
  if (typeof s.journeyId !== 'string' || !UUID.test(s.journeyId)) return 'journeyId must be a journey id (uuid)';
  if (typeof s.state !== 'string' || !STATES.includes(s.state)) return `state must be one of ${STATES.join(', ')}`;
  if (typeof s.stepIndex !== 'number' || !Number.isInteger(s.stepIndex) || s.stepIndex < 0) return 'stepIndex must be a whole number';
  const at = new Date(typeof s.observedAt === 'string' ? s.observedAt : Number.NaN);
  if (Number.isNaN(at.getTime())) return 'observedAt must be an ISO time';
  return {
    instanceId: s.instanceId,
    profileId: s.profileId,
    journeyId: s.journeyId,
    journeyName: typeof s.journeyName === 'string' && s.journeyName ? s.journeyName.slice(0, 200) : s.journeyId,
    state: s.state as JourneyStateFacts['state'],
    stepIndex: s.stepIndex,
    step: typeof s.step === 'string' ? s.step.slice(0, 64) : String(s.stepIndex),
    started: s.started === true,
    at,
  };
}
