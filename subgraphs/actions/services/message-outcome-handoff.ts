import type { EntityManager } from '../../common/orm';
import { RECORD_MESSAGE_OUTCOME, type MessageOutcomeJob, type Queues } from '../../common/queues';
import { PlaybookRun } from '../entities/playbook-run.entity';
import { PlaybookVersion } from '../entities/playbook-version.entity';
import { versionKey } from '../entities/playbook.repository';
import { pendingDeliveryReportsAcrossTenants } from '../entities/delivery-report.repository';
import { StepDelivery } from '../entities/step-delivery.entity';
import { pendingOutcomeEventsAcrossTenants, type PendingOutcomeEvent } from '../entities/step-delivery.repository';

/** Sends per page, and pages per pass: a pass re-queues at most 10,000 message events. */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

/**
 * The deterministic id of a `record-message-outcome` job: one per outbox row, replay and outcome,
 * so a retried step queues nothing new while a replay's outcome (`replay` > 0, `replaySend`) is a
 * job of its own; a re-send (`resend`, one per grace period) is a new job even while the first is
 * kept as completed. The first send's ids (replay 0) carry no replay part.
 */
export function messageOutcomeJobId(tenantId: string, deliveryId: string, status: string, resend?: string, replay = 0): string {
  return `${tenantId}-message-${deliveryId}-${status}${replay ? `-replay${replay}` : ''}${resend ? `-${resend}` : ''}`;
}

/**
 * The `record-message-outcome` payload of a send's final outcome, as its outbox row holds it;
 * `replay`: the replay (`replaySend`) it is the outcome of, 0 for the first send (left out of the
 * payload then, as before replays existed). A provider's report passes none: a row is sent once.
 */
export function messageOutcomeJob(
  tenantId: string,
  delivery: Pick<PendingOutcomeEvent, 'id' | 'profileId' | 'runId' | 'stepId' | 'channel' | 'providerId'> & { status: MessageOutcomeJob['status']; reason: string | null; at: Date },
  playbook: { id: string; name: string | null } | null,
  replay = 0,
): MessageOutcomeJob {
  return {
    tenantId,
    profileId: delivery.profileId,
    deliveryId: delivery.id,
    runId: delivery.runId,
    stepId: delivery.stepId,
    channel: delivery.channel,
    playbookId: playbook?.id ?? null,
    playbook: playbook?.name ?? null,
    status: delivery.status,
    providerId: delivery.providerId ?? null,
    reason: delivery.reason,
    at: delivery.at.toISOString(),
    ...(replay ? { replay } : {}),
  };
}

/** The final outcome of one send, as its outbox row holds it (what `queueMessageOutcome` hands on). */
export interface SendOutcome {
  status: 'sent' | 'skipped' | 'failed';
  deliveryId: string;
  providerId: string | null;
  /** Why it failed or was skipped. */
  reason: string | null;
  at: Date;
}

/**
 * Queues the `Message Sent` / `Message Failed` event of a send's outcome (`record-message-outcome`),
 * one job id per outbox row, replay and outcome. The row stays marked (`outcomeEventPendingSince`)
 * until the event is recorded, so a lost job is re-queued by the run reconciler.
 */
export async function queueMessageOutcome(
  queues: Pick<Queues, 'get'>,
  tenantId: string,
  send: { profileId: string; runId: string; stepId: string; channel: string; replay: number },
  playbook: { id: string; name: string | null } | null,
  sent: SendOutcome,
): Promise<void> {
  await queues.get(RECORD_MESSAGE_OUTCOME).add(
    RECORD_MESSAGE_OUTCOME,
    messageOutcomeJob(tenantId, { ...send, id: sent.deliveryId, status: sent.status, providerId: sent.providerId, reason: sent.reason, at: sent.at }, playbook, send.replay),
    { jobId: messageOutcomeJobId(tenantId, sent.deliveryId, sent.status, undefined, send.replay) },
  );
}

/**
 * The suffix of a sweep's job ids, `swept<period>` (one period per grace period): a sweep in the
 * next period queues again while the job of this one is kept as completed.
 */
export function sweptSuffix(graceMs: number, now: Date): string {
  return `swept${graceMs > 0 ? Math.floor(now.getTime() / graceMs) : now.getTime()}`;
}

type OutcomeJob = { name: typeof RECORD_MESSAGE_OUTCOME; data: MessageOutcomeJob; opts: { jobId: string } };

/**
 * The paging both sweeps share: rows pending since before `now - graceMs`, keyset-paged by id in
 * pages of `PAGE_SIZE` (at most `MAX_PAGES`), each page queued as one `addBulk`. Job ids carry
 * `swept<period>` (one per grace period), so a sweep in the next period sends again while the
 * job of this one is kept as completed. Returns how many jobs it queued.
 */
async function resendInPages<Row extends { id: string }>(
  queues: Pick<Queues, 'get'>,
  graceMs: number,
  now: Date,
  pageOf: (cutoff: Date, after: string | null) => Promise<Row[]>,
  jobsOf: (rows: Row[], resend: string) => Promise<OutcomeJob[]>,
): Promise<number> {
  const cutoff = new Date(now.getTime() - graceMs);
  const resend = sweptSuffix(graceMs, now);
  let after: string | null = null;
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const rows = await pageOf(cutoff, after);
    if (rows.length === 0) break;
    const jobs = await jobsOf(rows, resend);
    if (jobs.length) await queues.get(RECORD_MESSAGE_OUTCOME).addBulk(jobs);
    total += jobs.length;
    if (rows.length < PAGE_SIZE) break;
    after = rows[rows.length - 1].id;
  }
  return total;
}

/**
 * Queues `record-message-outcome` again for every send whose message event has been pending for
 * longer than `graceMs` (the job was lost: a Redis flush; or never queued: a crash between the
 * outcome's commit and the queueing). The event's messageId names the row and outcome, so signals
 * stores it once however often it is sent. The marker is cleared by the worker once the event is
 * recorded, never here. `em` crosses tenants on purpose. Returns how many it re-queued.
 */
export function resendPendingMessageOutcomes(em: EntityManager, queues: Pick<Queues, 'get'>, graceMs: number, now: Date): Promise<number> {
  return resendInPages(
    queues,
    graceMs,
    now,
    (cutoff, after) => pendingOutcomeEventsAcrossTenants(em, cutoff, PAGE_SIZE, after),
    async (rows, resend) => {
      // a row put back to claimed (a replayed send) has no final outcome to record yet
      const pending = rows.filter((d) => d.status !== 'claimed');
      const playbooks = await playbooksOf(em, pending);
      return pending.map((d) => ({
        name: RECORD_MESSAGE_OUTCOME,
        data: messageOutcomeJob(d.tenantId, { ...d, status: d.status as MessageOutcomeJob['status'], reason: d.error ?? null, at: d.finishedAt ?? d.outcomeEventPendingSince! }, playbooks.get(d.runId) ?? null, d.replays),
        opts: { jobId: messageOutcomeJobId(d.tenantId, d.id, d.status, resend, d.replays) },
      }));
    },
  );
}

/**
 * Queues again the `record-message-outcome` job of every provider report whose event has been
 * pending for longer than `graceMs` (its job lost to a Redis flush, or a crash between the report's
 * insert and the queueing), from its `delivery_report` row and the message's ledger row. The
 * event's messageId names the message and status, so signals stores it once. `em` crosses tenants
 * on purpose. Returns how many it re-queued.
 */
export function resendPendingDeliveryReports(em: EntityManager, queues: Pick<Queues, 'get'>, graceMs: number, now: Date): Promise<number> {
  return resendInPages(
    queues,
    graceMs,
    now,
    (cutoff, after) => pendingDeliveryReportsAcrossTenants(em, cutoff, PAGE_SIZE, after),
    async (reports, resend) => {
      const sends = await em.find(StepDelivery, { id: { $in: [...new Set(reports.map((r) => r.deliveryId))] } }, { disableIdentityMap: true });
      const sendOf = new Map(sends.map((s) => [s.id, s]));
      const playbooks = await playbooksOf(em, sends);
      return reports.flatMap((r) => {
        const send = sendOf.get(r.deliveryId);
        if (!send) return [];
        const status = r.status as MessageOutcomeJob['status'];
        return [
          {
            name: RECORD_MESSAGE_OUTCOME,
            data: messageOutcomeJob(r.tenantId, { ...send, status, reason: r.reason, at: r.occurredAt }, playbooks.get(send.runId) ?? null),
            opts: { jobId: messageOutcomeJobId(r.tenantId, r.deliveryId, r.status, resend) },
          },
        ];
      });
    },
  );
}

/** The playbook (id and version name) of each send's run; a one-off action's run has none. Two queries. */
export async function playbooksOf(em: EntityManager, sends: readonly PendingOutcomeEvent[]): Promise<Map<string, { id: string; name: string | null }>> {
  const out = new Map<string, { id: string; name: string | null }>();
  if (!sends.length) return out;
  const runs = await em.find(
    PlaybookRun,
    { id: { $in: [...new Set(sends.map((s) => s.runId))] } },
    { fields: ['id', 'tenantId', 'playbookId', 'playbookVersion', 'definition'], disableIdentityMap: true },
  );
  const ofPlaybooks = runs.filter((r) => r.definition === null);
  const versions = ofPlaybooks.length
    ? await em.find(PlaybookVersion, { $or: ofPlaybooks.map((r) => ({ tenantId: r.tenantId, playbookId: r.playbookId, version: r.playbookVersion })) }, { fields: ['tenantId', 'playbookId', 'version', 'name'], disableIdentityMap: true })
    : [];
  const names = new Map(versions.map((v) => [`${v.tenantId}/${versionKey(v.playbookId, v.version)}`, v.name]));
  for (const r of ofPlaybooks) out.set(r.id, { id: r.playbookId, name: names.get(`${r.tenantId}/${versionKey(r.playbookId, r.playbookVersion)}`) ?? null });
  return out;
}
