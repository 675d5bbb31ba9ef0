import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import type { OutboundMessage } from '../domain/channel';
import { capReason, capWindowStart, type ContactPolicy } from '../domain/contact-policy';
import { stepOf, type PlaybookDefinition, type PlaybookStep, type SendStep, type WebhookStep } from '../domain/playbook';
import type { RunFacts } from '../domain/playbook-run';
import { renderTemplate } from '../domain/playbook-template';
import type { PlaybookRun } from '../entities/playbook-run.entity';
import type { PlaybookVersion } from '../entities/playbook-version.entity';
import { PlaybookRepository } from '../entities/playbook.repository';
import type { StepDelivery } from '../entities/step-delivery.entity';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';
import type { SendOutcome } from './message-outcome-handoff';
import type { PlaybookCollaborators } from './playbook-collaborators';

/**
 * The send half of a step, shared by the step runner (`RunStepService`, the first send) and the
 * replay of a dead-lettered send (`RunReplayService`): what a run's step is rendered from, and one
 * provider call of a claimed ledger row with its guardrails, retries and dead letter.
 */

/** A send failed in a way worth another try; the job is retried with backoff (the outbox row stays claimed). */
export class RetryableSendError extends Error {}

/** What a step of a run is taken with: its definition and step, and the profile's current traits. */
export interface StepContext {
  def: PlaybookDefinition;
  /** The playbook version the run follows; undefined for a one-off action (its own `definition`). */
  version: PlaybookVersion | undefined;
  step: PlaybookStep | null;
  traits: Record<string, unknown>;
  /** The run's facts with the profile's current traits: what templates are rendered from. */
  facts: RunFacts;
  /** The playbook the message events name; null for a one-off action. */
  playbook: { id: string; name: string | null } | null;
}

/**
 * Reads what step `stepId` of `run` is taken with: the run's playbook version (a one-off action,
 * `triggerAction`, carries its own one-step definition) and the profile's traits as they are now
 * (the ones it was enrolled with when the profiles stage knows none).
 */
export async function stepContextOf(em: EntityManager, tenantId: string, collaborators: PlaybookCollaborators, run: PlaybookRun, stepId: string): Promise<StepContext> {
  const version = run.definition ? undefined : (await new PlaybookRepository(em, tenantId).versionsOf([{ playbookId: run.playbookId, version: run.playbookVersion }])).values().next().value;
  const def = run.definition ?? version?.definition;
  if (!def) throw new Error(`playbook ${run.playbookId} version ${run.playbookVersion} of run ${run.id} is missing`);
  const traits = (await collaborators.traits.traitsOf(tenantId, run.profileId)) ?? run.facts.profile.traits;
  return {
    def,
    version,
    step: stepOf(def, stepId),
    traits,
    facts: { ...run.facts, profile: { id: run.profileId, traits } },
    playbook: run.definition ? null : { id: run.playbookId, name: version?.name ?? null },
  };
}

/**
 * One provider call of a claimed ledger row (the first send of a step visit, or a replay of it),
 * through the tenant's channel. A retryable failure throws (the job retries with backoff) until
 * `maxSendAttempts` provider calls, then the send is dead-lettered (status failed, error kept).
 */
export class StepSender {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly collaborators: PlaybookCollaborators,
  ) {}

  /**
   * Sends `row` (status claimed) as `step` says, to the run's profile (`facts.profile`: the
   * survivor of a merge since the row was claimed), rendered from `facts`; records and returns the outcome.
   */
  async send(row: StepDelivery, step: SendStep | WebhookStep, facts: RunFacts, now: Date, policy: ContactPolicy | null): Promise<SendOutcome> {
    const deliveries = new StepDeliveryRepository(this.em, this.tenantId);
    const finish = async (status: SendOutcome['status'], fields: { providerId?: string | null; error?: string }): Promise<SendOutcome> => {
      // a send's outcome becomes a message event: pending from this UPDATE until it is recorded
      await deliveries.record(row.id, status, { ...fields, outcomeEvent: step.type === 'send' }, now);
      return { status, deliveryId: row.id, providerId: fields.providerId ?? null, reason: fields.error ?? null, at: now };
    };
    // a retry of a call already made (attempts > 0) is the same send: the cap counted it already;
    // a replay ranks as of now (the row was claimed long before: sends since count against it)
    const rank = row.replays > 0 ? uuidv7() : row.id;
    const capped = policy?.cap && row.attempts === 0 ? capReason(policy, await deliveries.countSentBefore(facts.profile.id, step.channel, capWindowStart(now, policy.cap), row.id, rank)) : null;
    // a webhook calls a partner system, not the customer: consent traits do not apply
    const skip = step.type === 'send' ? (skipReason(facts.profile.traits, step.channel) ?? capped) : null;
    if (skip) return finish('skipped', { error: skip });
    const adapter = await this.collaborators.channels.resolve(this.tenantId, step.channel);
    if (!adapter) return finish('failed', { error: `channel ${step.channel} is not configured` });
    if (step.type === 'webhook' && adapter.kind !== 'webhook') return finish('failed', { error: `channel ${step.channel} is not a webhook channel` });
    // counted before the call: a crash mid-call still uses up a try (the provider dedupes on the key)
    if (!(await deliveries.startAttempt(row.id, row.attempts, now))) throw new RetryableSendError(`step delivery ${row.id} was taken by another try`);
    const result = await adapter.send(step.type === 'send' ? messageOf(row, step, facts, adapter.kind) : webhookMessageOf(row, step, facts));
    if (result.ok) return finish('sent', { providerId: result.providerId });
    if (result.retryable && row.attempts + 1 < this.collaborators.maxSendAttempts) {
      await deliveries.record(row.id, 'claimed', { error: result.error }, now);
      throw new RetryableSendError(`send ${row.runId}/${row.stepId}/${row.visit}${row.replays ? ` replay ${row.replays}` : ''} failed (try ${row.attempts + 1}): ${result.error}`);
    }
    return finish('failed', { error: result.error });
  }
}

/** Why a send must not go out (consent and suppression traits), or null. */
export function skipReason(traits: Record<string, unknown>, channel: string): string | null {
  if (traits.doNotContact === true) return 'doNotContact';
  const optOuts = traits.optOuts;
  if (Array.isArray(optOuts) && optOuts.includes(channel)) return `opted out of ${channel}`;
  return null;
}

/**
 * The idempotency key of a row's provider call: `run:<id>:step:<s>:<visit>` for the first send
 * (retries of it share it, so the provider dedupes a call repeated after a crash), and
 * `…:replay<n>` for replay n, which the provider must not dedupe away against the first send.
 */
export function sendIdempotencyKey(row: Pick<StepDelivery, 'runId' | 'stepId' | 'visit' | 'replays'>): string {
  return `run:${row.runId}:step:${row.stepId}:${row.visit}${row.replays ? `:replay${row.replays}` : ''}`;
}

/** A webhook step's call: its data rendered as text, with the run's coordinates. */
function webhookMessageOf(row: StepDelivery, step: WebhookStep, facts: RunFacts): OutboundMessage {
  const data = Object.fromEntries(Object.entries(step.data).map(([k, v]) => [k, renderTemplate(v, facts, 'text')]));
  return {
    idempotencyKey: sendIdempotencyKey(row),
    tenantId: row.tenantId,
    profileId: facts.profile.id,
    to: null,
    type: 'playbook.webhook',
    payload: { runId: row.runId, stepId: row.stepId, visit: row.visit, profileId: facts.profile.id, data },
  };
}

function messageOf(row: StepDelivery, step: SendStep, facts: RunFacts, kind: string): OutboundMessage {
  const defaultTo = kind === 'email' ? '{{profile.traits.email}}' : kind === 'sms' ? '{{profile.traits.phone}}' : null;
  const to = step.to ?? defaultTo;
  return {
    idempotencyKey: sendIdempotencyKey(row),
    tenantId: row.tenantId,
    profileId: facts.profile.id,
    to: to ? renderTemplate(to, facts, 'text') : null,
    ...(step.subject ? { subject: renderTemplate(step.subject, facts, 'text') } : {}),
    ...(step.body ? { body: renderTemplate(step.body, facts, 'text') } : {}),
    ...(step.html ? { html: renderTemplate(step.html, facts, 'html') } : {}),
    type: 'playbook.step',
    payload: { runId: row.runId, stepId: row.stepId, visit: row.visit },
    origin: { runId: row.runId, stepId: row.stepId, deliveryId: row.id },
  };
}
