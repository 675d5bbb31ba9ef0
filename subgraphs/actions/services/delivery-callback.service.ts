import { isUuid } from '../../common/ids';
import { RECORD_MESSAGE_OUTCOME } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { readDeliveryCallback, type DeliveryCallback } from '../domain/delivery-callback';
import { readTwilioStatus } from '../domain/twilio-status';
import { channelAcrossTenants } from '../entities/channel.repository';
import { DeliveryReportRepository } from '../entities/delivery-report.repository';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';
import { verifyCallback, type CallbackHeaders } from './channels/callback-signature';
import { activeSecrets } from './channels/channel-resolver';
import { verifyTwilioSignature } from './channels/twilio-signature';
import { deliveryStatusUrl } from './delivery-status-url';
import type { SecretBox } from './channels/secret-box';
import { messageOutcomeJob, messageOutcomeJobId, playbooksOf } from './message-outcome-handoff';

/** The request headers a callback is read with: Standard Webhooks', or Twilio's signature. */
export type CallbackHeaderName = keyof CallbackHeaders | 'x-twilio-signature';

/** The HTTP answer to a callback: a status and a JSON body naming what happened. */
export interface CallbackAnswer {
  status: number;
  body: { accepted: boolean; code: string; message: string; deliveryId?: string; errors?: { field: string; message: string }[] };
}

const refusal = (status: number, code: string, message: string, errors?: { field: string; message: string }[]): CallbackAnswer => ({
  status,
  body: { accepted: false, code, message, ...(errors ? { errors } : {}) },
});

/** 400 BAD_USER_INPUT naming every field that is wrong, as both callback readers answer. */
const badInput = (problems: { field: string; message: string }[]): CallbackAnswer =>
  refusal(400, 'BAD_USER_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);

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
    private readonly deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'log'> & { config: Pick<SubgraphDeps['config'], 'publicUrl'> },
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async receive(channelId: string, headers: Partial<Record<CallbackHeaderName, string | string[] | undefined>>, rawBody: string): Promise<CallbackAnswer> {
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
    const read = headers['x-twilio-signature'] !== undefined ? this.readTwilio(channelId, headers, rawBody, secrets) : this.readSigned(headers, rawBody, secrets, at);
    if ('status' in read) return read;
    const { callback } = read;

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

  /** A Standard Webhooks callback: the signature of its id, timestamp and raw JSON body, then the body. */
  private readSigned(headers: Partial<Record<CallbackHeaderName, string | string[] | undefined>>, rawBody: string, secrets: string[], at: Date): { callback: DeliveryCallback } | CallbackAnswer {
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
    if (!callback) return badInput(problems);
    return { callback };
  }

  /**
   * A Twilio status callback: a form POST signed with `X-Twilio-Signature` over the URL Twilio was
   * given (`PUBLIC_URL` + this path, as the SMS channel sends it as `StatusCallback`) and its
   * parameters, under the channel's secret (the auth token). A status on the way (`queued`, `sent`)
   * is answered 200 `IGNORED` and records nothing.
   */
  private readTwilio(channelId: string, headers: Partial<Record<CallbackHeaderName, string | string[] | undefined>>, rawBody: string, secrets: string[]): { callback: DeliveryCallback } | CallbackAnswer {
    const params = Object.fromEntries(new URLSearchParams(rawBody));
    if (!secrets.length || !verifyTwilioSignature(headers['x-twilio-signature'], deliveryStatusUrl(this.deps.config.publicUrl, channelId), params, secrets)) {
      return refusal(401, 'BAD_SIGNATURE', 'missing or invalid X-Twilio-Signature: it must sign this callback URL under PUBLIC_URL and its parameters with the channel secret (the auth token)');
    }
    const read = readTwilioStatus(params);
    if (read.problems.length) return badInput(read.problems);
    if (read.ignored !== null) return { status: 200, body: { accepted: true, code: 'IGNORED', message: `status ${read.ignored} is not a delivery report: nothing recorded` } };
    return { callback: read.callback! };
  }
}
