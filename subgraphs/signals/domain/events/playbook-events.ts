import type { PlaybookEventRef } from '../../../common/queues';

/** What of an event the actions stage matches against runs waiting for one (`waitForEvent`). */
export interface NamedEvent {
  id: string;
  profileId: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: Date;
}

/**
 * The named events of a batch (track events, named pages and screens) for the playbook runs that
 * wait on them, in the order received. Unnamed events (identify, alias, group) are never awaited.
 */
export function playbookEventRefs(events: readonly NamedEvent[]): PlaybookEventRef[] {
  return events.map((e) => ({ eventId: e.id, profileId: e.profileId, name: e.name, properties: e.properties, occurredAt: e.timestamp.toISOString() }));
}
