import { RESOLVE_BATCH_MAX, type EventToResolve, type ResolveIdentityJob } from '../../../common/queues';
import { isJsonObject, type NormalizedEvent } from './validate-event';

/** The parts of a stored event a resolve job is built from. */
export type ResolvableEvent = Pick<
  NormalizedEvent,
  'messageId' | 'type' | 'name' | 'userId' | 'anonymousId' | 'previousId' | 'groupId' | 'traits' | 'properties' | 'context' | 'timestamp'
>;

/** A stored event with its row id and tenant, as the outbox hands it over. */
export type StoredResolvableEvent = ResolvableEvent & { id: string; tenantId: string };

/** A `resolve-identity` job as BullMQ's `addBulk` takes it. */
export interface ResolveIdentityJobSpec {
  data: ResolveIdentityJob;
  jobId: string;
}

/**
 * Id of the resolve job for events of one tenant: `<tenantId>-<first event id>`, and
 * `-<last event id>` when there are several. Queueing the same events again (a retry, the
 * sweeper finding the same page) is a no-op while the job exists; a different set of events
 * gets a job of its own, whose already-resolved events replay as no-ops in the profiles stage.
 */
export function resolveIdentityJobId(tenantId: string, eventIds: readonly string[]): string {
  const first = eventIds[0];
  const last = eventIds[eventIds.length - 1];
  return eventIds.length > 1 ? `${tenantId}-${first}-${last}` : `${tenantId}-${first}`;
}

/**
 * The resolve jobs for stored events: grouped by tenant (a job never mixes tenants), in the given
 * order within each tenant, at most `maxPerJob` events a job.
 */
export function toResolveIdentityJobs(events: readonly StoredResolvableEvent[], maxPerJob = RESOLVE_BATCH_MAX): ResolveIdentityJobSpec[] {
  const byTenant = new Map<string, StoredResolvableEvent[]>();
  for (const event of events) {
    const list = byTenant.get(event.tenantId);
    if (list) list.push(event);
    else byTenant.set(event.tenantId, [event]);
  }
  const jobs: ResolveIdentityJobSpec[] = [];
  for (const [tenantId, list] of byTenant) {
    for (let i = 0; i < list.length; i += maxPerJob) {
      const chunk = list.slice(i, i + maxPerJob);
      jobs.push({
        data: { tenantId, events: chunk.map((event) => toEventToResolve(tenantId, event.id, event)) },
        jobId: resolveIdentityJobId(tenantId, chunk.map((event) => event.id)),
      });
    }
  }
  return jobs;
}

/**
 * What the profiles stage needs of a stored event (`EventToResolve`): traits are
 * `context.traits` overlaid by the event's own `traits` (the explicit ones win), and
 * `externalIds` are the well-formed `{ id, type }` entries of `context.externalIds` (numeric ids
 * become strings; entries without an id or type are dropped).
 */
export function toEventToResolve(tenantId: string, eventId: string, event: ResolvableEvent): EventToResolve {
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
