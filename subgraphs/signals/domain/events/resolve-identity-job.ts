import type { ResolveIdentityJob } from '../../../common/queues';
import { isJsonObject, type NormalizedEvent } from './validate-event';

/** The parts of a stored event a resolve job is built from. */
export type ResolvableEvent = Pick<
  NormalizedEvent,
  'messageId' | 'type' | 'name' | 'userId' | 'anonymousId' | 'previousId' | 'groupId' | 'traits' | 'properties' | 'context' | 'timestamp'
>;

/**
 * Id of an event's resolve job: one per event, so queueing it again (a retry, the sweeper) is a
 * no-op while the job exists.
 */
export function resolveIdentityJobId(tenantId: string, eventId: string): string {
  return `${tenantId}-${eventId}`;
}

/**
 * What the profiles stage needs of a stored event (`ResolveIdentityJob`): traits are
 * `context.traits` overlaid by the event's own `traits` (the explicit ones win), and
 * `externalIds` are the well-formed `{ id, type }` entries of `context.externalIds` (numeric ids
 * become strings; entries without an id or type are dropped).
 */
export function toResolveIdentityJob(tenantId: string, eventId: string, event: ResolvableEvent): ResolveIdentityJob {
  const contextTraits = isJsonObject(event.context.traits) ? event.context.traits : {};
  return {
    tenantId,
    eventId,
    messageId: event.messageId,
    type: event.type,
    name: event.name,
    userId: event.userId,
    anonymousId: event.anonymousId,
    previousId: event.previousId,
    groupId: event.groupId,
    traits: { ...contextTraits, ...event.traits },
    properties: event.properties,
    externalIds: readExternalIds(event.context.externalIds),
    timestamp: event.timestamp.toISOString(),
  };
}

function readExternalIds(value: unknown): { id: string; type: string }[] {
  if (!Array.isArray(value)) return [];
  const ids: { id: string; type: string }[] = [];
  for (const entry of value) {
    if (!isJsonObject(entry)) continue;
    const { id, type } = entry;
    const text = typeof id === 'number' && Number.isFinite(id) ? String(id) : id;
    if (typeof text === 'string' && text !== '' && typeof type === 'string' && type !== '') ids.push({ id: text, type });
  }
  return ids;
}
