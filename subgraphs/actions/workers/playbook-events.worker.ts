import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { ALERT_RAISED } from '../../common/pubsub';
import { PLAYBOOK_EVENTS, PLAYBOOK_EVENTS_DONE, PLAYBOOK_STEP, workerOptions, type PlaybookEventsBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { alertRaisedEvent } from '../services/alert-event';
import { CustomerContactService } from '../services/customer-contact.service';
import { ExperimentService } from '../services/experiment.service';
import { GuardrailService } from '../services/guardrail.service';
import { PlaybookRunService } from '../services/playbook-runs.service';
import { RecordConversionsService } from '../services/record-conversions.service';
import { RecordObservationsService } from '../services/record-observations.service';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

/** Checked events of a batch; a malformed one is named by its index. */
function readEvents(data: PlaybookEventsBatch): { eventId: string; profileId: string; name: string; properties: Record<string, unknown>; occurredAt: Date }[] {
  if (!data || typeof data.tenantId !== 'string' || !data.tenantId) throw new Error('tenantId is required');
  if (!Array.isArray(data.events)) throw new Error('events must be a list');
  return data.events.map((e, i) => {
    const occurredAt = new Date(e?.occurredAt);
    if (typeof e?.eventId !== 'string' || !e.eventId) throw new Error(`events[${i}].eventId is required`);
    if (typeof e.profileId !== 'string' || !e.profileId) throw new Error(`events[${i}].profileId is required`);
    if (typeof e.name !== 'string' || !e.name) throw new Error(`events[${i}].name is required`);
    if (Number.isNaN(occurredAt.getTime())) throw new Error(`events[${i}].occurredAt must be an ISO time`);
    return { eventId: e.eventId, profileId: e.profileId, name: e.name, properties: e.properties && typeof e.properties === 'object' ? e.properties : {}, occurredAt };
  });
}

/**
 * Matches a batch of events against the runs waiting for one (see `PlaybookRunService.applyEvents`)
 * and records the outcomes and guardrail events of assigned customers (see
 * `RecordObservationsService`), experiment conversions (`RecordConversionsService`) and when
 * customers with alerts contacted support or churned (`CustomerContactService`), in one
 * transaction; looks for the automatic winner of the experiments that converted; then checks the guardrails of the playbooks
 * that got guardrail events (see `GuardrailService`: may pause one, and then publishes its alert on
 * `alertRaised` and queues its webhook tries, as every raised alert is), queues the steps that follow
 * and acknowledges the events to signals (`playbook-events-done`, which clears their hand-off
 * marker). Safe to run twice; a malformed payload fails without retries.
 */
export async function applyPlaybookEvents(job: Pick<Job<PlaybookEventsBatch>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'pubSub'>, now: () => Date = () => new Date()): Promise<number> {
  let events;
  try {
    events = readEvents(job.data);
  } catch (err) {
    throw new UnrecoverableError(`playbook-events: malformed job ${job.id}: ${(err as Error).message}`);
  }
  const { tenantId } = job.data;
  const at = now();
  const { steps, guarded, converted } = await forkForTenant(deps.orm, tenantId).transactional(async (tx) => {
    const guarded = await new RecordObservationsService(tx, tenantId).record(events, at);
    const converted = await new RecordConversionsService(tx, tenantId).record(events, at);
    await new CustomerContactService(tx, tenantId).record(events);
    return { steps: await new PlaybookRunService(tx, tenantId).applyEvents(events, at), guarded, converted };
  });
  // a look of the automatic winner after each batch of conversions (anytime-valid, so looking this
  // often costs no false positives); a retry looks again, and the decision is recorded once
  const winners = converted.length ? await forkForTenant(deps.orm, tenantId).transactional((tx) => new ExperimentService(tx, tenantId).look(converted, at)) : [];
  for (const w of winners) deps.log.info({ tenantId, jobId: job.id, experimentId: w.experimentId, arm: w.decision.arm, pValue: w.decision.pValue }, 'experiment winner decided');
  // after the commit, so the counts include this batch; a retry records nothing new but names
  // the same playbooks again, so a crash here is recovered by the job's retry
  const paused = guarded.length ? await forkForTenant(deps.orm, tenantId).transactional((tx) => new GuardrailService(tx, tenantId).check(guarded, at)) : [];
  for (const p of paused) {
    deps.log.warn({ tenantId, jobId: job.id, playbookId: p.playbookId, version: p.version, pValue: p.verdict.pValue, runsEnded: p.runsEnded }, 'playbook paused by a guardrail');
    // committed, and only an alert this check inserted: a replay publishes nothing
    if (p.alert) deps.pubSub.publish(ALERT_RAISED, tenantId, alertRaisedEvent(p.alert));
    // the outbox rows are committed: a crash before this line leaves them to the delivery sweeper
    await queueDeliveryTries(deps.queues, p.deliveries);
  }
  await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, at);
  // committed and the steps queued: signals may clear the hand-off marker of these events (the
  // acks of a window gathered per tenant, each with its job's watermark). A crash before this
  // (or before the window's send) leaves them pending; the re-send matches nothing twice
  // (a run that moved on no longer waits for an event older than its wait)
  const eventIds = [...new Set(events.map((e) => e.eventId).filter(isUuid))];
  if (eventIds.length) {
    await deps.queues.ack(PLAYBOOK_EVENTS_DONE, { tenantId, eventIds, upTo: job.data.pendingSince ?? at.toISOString() });
  }
  if (steps.length) deps.log.info({ tenantId, jobId: job.id, runs: steps.length }, 'playbook runs moved on by events');
  return steps.length;
}

export function startPlaybookEventsWorker(deps: SubgraphDeps, now: () => Date): Worker<PlaybookEventsBatch> {
  const worker = new Worker<PlaybookEventsBatch>(PLAYBOOK_EVENTS, (job) => applyPlaybookEvents(job, deps, now), workerOptions(deps.redis, deps.config.queuePrefix, 2));
  worker.on('error', (err) => deps.log.error({ err }, 'playbook-events worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
