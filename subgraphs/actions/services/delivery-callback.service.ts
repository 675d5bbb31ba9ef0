import { isUuid } from '../../common/ids';
import { RECORD_MESSAGE_OUTCOME } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { readDeliveryCallback } from '../domain/delivery-callback';
import { channelAcrossTenants } from '../entities/channel.repository';
import { DeliveryReportRepository } from '../entities/delivery-report.repository';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';
import { verifyCallback, type CallbackHeaders } from './channels/callback-signature';
import { activeSecrets } from './channels/channel-resolver';
import type { SecretBox } from './channels/secret-box';
import { messageOutcomeJob, messageOutcomeJobId, playbooksOf } from './message-outcome-handoff';

/** The HTTP answer to a callback: a status and a JSON body naming what happened. */
export interface CallbackAnswer {
  status: number;
  body: { accepted: boolean; code: string; message: string; deliveryId?: string; errors?: { field: string; message: string }[] };
}

const refusal = (status: number, code: string, message: string, errors?: { field: string; message: string }[]): CallbackAnswer => ({
  status,
  body: { accepted: false, code, message, ...(errors ? { errors } : {}) },
});

/**
 * A provider's delivery-status callback for one channel (`POST /v1/channels/:channelId/delivery-status`):
 * the channel is looked up by id, the request must carry a Standard Webhooks signature of its raw
 * body under one of the channel's active secrets (else 401), the body names the provider's message
 * id and a status (else 400 naming the field), and the message must be a sent row of the channel's
 * ledger (else 404, so a report racing the send's commit is retried by the provider). Then one
 * `record-message-outcome` job is queued with the id `<tenant>-message-<row>-<status>`, which
 * records `Message Delivered` / `Message Bounced` / `Message Complained` through the normal event
 * path with the messageId `message-<status>-<row>`: a provider re-sending the report queues nothing
 * new, and signals stores the event once. The report is stored first (`delivery_report`, pending
 * until the event is in the stream, re-queued by the run reconciler after a Redis flush). 202 once
 * the job is queued.
 */
export class DeliveryCallbackService {
  constructor(
    private readonly deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'log'>,
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async receive(channelId: string, headers: Partial<Record<keyof CallbackHeaders, string | string[] | undefined>>, rawBody: string): Promise<CallbackAnswer> {
    const channel = isUuid(channelId) ? await channelAcrossTenants(this.deps.orm, channelId) : null;
    if (!channel) return refusal(404, 'UNKNOWN_CHANNEL', 'no channel with this id');
    const at = this.now();
    let secrets: string[];
    try {
      secrets = activeSecrets(channel.secrets, at).map((s) => this.box.open(s.value, channel.tenantId, channel.id));
    } catch (err) {
      // an env:NAME secret whose variable is missing: the operator's to fix; the provider retries
      this.deps.log.error({ err, tenantId: channel.tenantId, channelId }, 'delivery callback: channel secret cannot be opened');
      return refusal(503, 'UNAVAILABLE', 'the channel secret cannot be read: retry later');
    }
    if (!secrets.length || !verifyCallback(headers, rawBody, secrets, at)) {
      return refusal(401, 'BAD_SIGNATURE', 'missing, stale or invalid webhook-signature: sign webhook-id, webhook-timestamp and the body with the channel secret');
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      return refusal(400, 'INVALID_JSON', 'the body is not valid JSON');
    }
    const { callback, problems } = readDeliveryCallback(json);
    if (!callback) return refusal(400, 'BAD_USER_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);

    const { tenantId } = channel;
    const em = forkForTenant(this.deps.orm, tenantId);
    const row = await new StepDeliveryRepository(em, tenantId).sentByProviderId(channel.name, callback.messageId);
    if (!row) return refusal(404, 'UNKNOWN_MESSAGE', `no message sent on channel ${channel.name} has the provider id ${callback.messageId}`);
    // stored before the answer: a report whose job Redis loses is queued again from SQL
    const report = await new DeliveryReportRepository(em, tenantId).recordOnce({ deliveryId: row.id, status: callback.status, reason: callback.reason, occurredAt: callback.occurredAt ?? at }, at);
    const playbook = (await playbooksOf(em, [row])).get(row.runId) ?? null;
    const job = messageOutcomeJob(tenantId, { ...row, status: callback.status, reason: report.reason, at: report.occurredAt }, playbook);
    await this.deps.queues.get(RECORD_MESSAGE_OUTCOME).add(RECORD_MESSAGE_OUTCOME, job, { jobId: messageOutcomeJobId(tenantId, row.id, callback.status) });
    this.deps.log.info({ tenantId, channel: channel.name, deliveryId: row.id, status: callback.status }, 'delivery report received');
    return { status: 202, body: { accepted: true, code: 'ACCEPTED', message: `${callback.status} recorded`, deliveryId: row.id } };
  }
}
