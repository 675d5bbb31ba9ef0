import type { AckKind } from '../../common/ack-buffer';
import { chunks } from '../../common/chunks';
import { addFairly, type FairJob, type FairShare, type Lane } from '../../common/fair-share';
import { PLAYBOOK_EVENTS, STAGE_BATCH_MAX, playbookEventsJobId, type PlaybookEventsBatch, type Queues } from '../../common/queues';
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
  const pending = pendingOnly(events);
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

type PendingPlaybookEvent = PlaybookEventRow & { profileId: string; name: string; playbookEventsPendingSince: Date };

function pendingOnly(events: readonly PlaybookEventRow[]): PendingPlaybookEvent[] {
  return events.filter((e): e is PendingPlaybookEvent => e.playbookEventsPendingSince !== null && e.profileId !== null && e.name !== null);
}

/** A detect pass's events owed to the actions stage, held per tenant and lane over the ack window. */
interface HeldPlaybookEvents {
  tenantId: string;
  lane: Lane;
  events: PendingPlaybookEvent[];
}

const HELD_PLAYBOOK_EVENTS: AckKind<HeldPlaybookEvents> = {
  keyOf: (h) => `${h.tenantId}\u0000${h.lane}`,
  // a replayed pass holds its events again: each once (the newest marker kept, so the job's
  // watermark covers it), and the job id stays the one a lone pass gets
  merge: (held, more) => {
    const byId = new Map(held.events.map((e) => [e.id, e]));
    for (const e of more.events) {
      const seen = byId.get(e.id);
      if (!seen || seen.playbookEventsPendingSince < e.playbookEventsPendingSince) byId.set(e.id, e);
    }
    return { ...held, events: [...byId.values()] };
  },
  size: (h) => h.events.length,
  maxIds: STAGE_BATCH_MAX,
};

/**
 * The live detect path's `playbook-events` hand-off: the pass's pending events are held with the
 * process's other passes per tenant and lane for `QUEUE_ACK_WINDOW_MS` (`Queues.held`), then
 * queued fairly as one job per window (per `STAGE_BATCH_MAX` events) instead of one per pass.
 * A waiting run is moved on at most a window later, which no playbook wait is measured in.
 * Nothing is lost by holding: each event keeps `playbookEventsPendingSince` until actions
 * acknowledges, so events the process dies holding are re-sent by `sweep-events` after the grace
 * period. A sweeper's re-send goes out at once through `playbookEventsJobs`.
 */
export function holdPlaybookEvents(queues: Queues, fair: FairShare, tenantId: string, events: readonly PlaybookEventRow[], lane: Lane = 'live'): Promise<void> {
  const pending = pendingOnly(events);
  if (pending.length === 0) return Promise.resolve();
  const buffer = queues.held('playbook-events', HELD_PLAYBOOK_EVENTS, async (held) => {
    for (const h of held) await addFairly(queues.get(PLAYBOOK_EVENTS), fair, playbookEventsJobs(h.tenantId, h.events), (b) => b.tenantId, h.lane);
  });
  return buffer.add({ tenantId, lane, events: pending });
}
