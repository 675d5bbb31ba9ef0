import { chunks } from '../../common/chunks';
import type { FairJob } from '../../common/fair-share';
import { PLAYBOOK_EVENTS, STAGE_BATCH_MAX, playbookEventsJobId, type PlaybookEventsBatch } from '../../common/queues';
import { playbookEventRefs } from '../domain/events/playbook-events';
import type { PlaybookEventRow } from '../entities/event.repository';

/**
 * The `playbook-events` jobs for stored events whose hand-off to the actions stage is pending
 * (`playbookEventsPendingSince` set: named, with a profile): one job per `STAGE_BATCH_MAX` events,
 * in the order given, with deterministic ids (a retried pass queues nothing new; `resend` names a
 * sweeper's re-send). Each job carries the newest marker it hands over, so the acknowledgement
 * leaves a marker set by a later hand-off of the same event pending.
 */
export function playbookEventsJobs(tenantId: string, events: readonly PlaybookEventRow[], resend?: string): FairJob<PlaybookEventsBatch>[] {
  const pending = events.filter((e): e is PlaybookEventRow & { profileId: string; name: string; playbookEventsPendingSince: Date } => e.playbookEventsPendingSince !== null && e.profileId !== null && e.name !== null);
  return chunks(pending, STAGE_BATCH_MAX).map((part) => ({
    name: PLAYBOOK_EVENTS,
    data: {
      tenantId,
      events: playbookEventRefs(part.map((e) => ({ id: e.id, profileId: e.profileId, name: e.name, properties: e.properties, timestamp: e.timestamp }))),
      pendingSince: new Date(Math.max(...part.map((e) => e.playbookEventsPendingSince.getTime()))).toISOString(),
    },
    opts: { jobId: playbookEventsJobId(tenantId, part.map((e) => e.id), resend) },
  }));
}
