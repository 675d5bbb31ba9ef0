import type { Worker } from 'bullmq';

import { SWEEP_EVENTS, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { EventOutbox } from '../services/event-outbox.service';
import { publishHandedOnWatermark } from '../services/handed-on-watermark.service';
import { InFlightEvents } from '../services/in-flight-events.service';
import { resendPendingJourneyAlerts } from '../services/journey-alerts-sweep';
import { resendPendingPlaybookEvents } from '../services/playbook-events-sweep';
import { resendPendingSignalAlerts } from '../services/signal-alerts-sweep';

type SweepEventsJob = JobPayloads[typeof SWEEP_EVENTS];

/** Id of the one job scheduler behind the sweeper; upserting it again replaces it. */
export const SWEEP_EVENTS_SCHEDULER = 'sweep-events-every';

/**
 * Queues again the stored events whose resolve job was lost, and the processed events whose
 * hand-off to the risk stage was lost (as `event-resolved` batches), and the signals whose
 * hand-off to the actions stage's alert rules was lost (`signal-alerts`), and likewise the journey
 * instances (`journey-alerts`) and the named events whose hand-off to the playbook runs waiting
 * for them was lost (`playbook-events`), then publishes every
 * tenant's handed-on watermark (training waits for it) and lowers the admission counters of
 * events in flight to what the same SQL read counts (`InFlightEvents.reconcile`). Returns how many
 * it queued.
 */
export async function sweepEvents(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'log' | 'redis'>, now = new Date()): Promise<number> {
  const outbox = new EventOutbox(forkAcrossTenants(deps.orm), deps);
  const count = await outbox.sweep(now);
  if (count > 0) deps.log.info({ count }, 'sweeper queued unprocessed events');
  const handOffs = await outbox.sweepHandOffs(now);
  if (handOffs > 0) deps.log.info({ count: handOffs }, 'sweeper queued events whose hand-off to risk was lost');
  const signalAlerts = await resendPendingSignalAlerts(forkAcrossTenants(deps.orm), deps.queues, deps.config.ingest.sweepGraceMs, now);
  if (signalAlerts > 0) deps.log.warn({ count: signalAlerts }, 'sweeper resent signals whose alert rules were not evaluated');
  const journeyAlerts = await resendPendingJourneyAlerts(forkAcrossTenants(deps.orm), deps.queues, deps.config.ingest.sweepGraceMs, now);
  if (journeyAlerts > 0) deps.log.warn({ count: journeyAlerts }, 'sweeper resent journey instances whose alert rules have not seen their latest state');
  const playbookEvents = await resendPendingPlaybookEvents(forkAcrossTenants(deps.orm), deps.queues, deps.config.ingest.sweepGraceMs, now);
  if (playbookEvents > 0) deps.log.warn({ count: playbookEvents }, 'sweeper resent events whose playbook runs have not matched them');
  const inFlight = new InFlightEvents(deps.redis, deps.config.queuePrefix);
  // read before the SQL count, so what changes meanwhile is carried over rather than lost
  const before = await inFlight.readMany(await inFlight.tenants());
  const pending = await publishHandedOnWatermark(forkAcrossTenants(deps.orm), deps, null);
  await inFlight.reconcile(before, pending);
  return count + handOffs + signalAlerts + journeyAlerts + playbookEvents;
}

/** The sweeper: SWEEP_EVENTS every `sweepIntervalMs`, self-healing (see `startScheduledSweeper`). */
export function startSweepEventsWorker(deps: SubgraphDeps): Promise<Worker<SweepEventsJob>> {
  return startScheduledSweeper(deps, {
    queue: SWEEP_EVENTS,
    schedulerId: SWEEP_EVENTS_SCHEDULER,
    everyMs: deps.config.ingest.sweepIntervalMs,
    run: () => sweepEvents(deps),
  });
}
