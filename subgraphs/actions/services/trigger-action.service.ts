import { createHash } from 'node:crypto';

import type { Queue } from 'bullmq';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import type { PlaybookStepJob } from '../../common/queues';
import { startRun, type RunFacts } from '../domain/playbook-run';
import { validatePlaybook, type PlaybookStepDraft } from '../domain/validate-playbook';
import { PlaybookRun } from '../entities/playbook-run.entity';
import { PlaybookRunRepository } from '../entities/playbook-run.repository';
import { queuePlaybookSteps } from './queue-playbook-steps';

/** What `triggerAction` does: one step of these types, for one profile. */
export const ACTION_TYPES = ['send', 'createTask', 'webhook', 'updateTraits'] as const;

/** A one-off action as a client sends it: the step's fields, a profile and an idempotency key. */
export interface ActionDraft extends Omit<PlaybookStepDraft, 'id' | 'next'> {
  /** The client's idempotency key: the same key again returns the same run and acts once. */
  key: string;
  profileId: string;
  /** Traits for the templates (consent traits are honoured by a send). */
  traits?: Record<string, unknown> | null;
}

const KEY = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * One-off actions outside a playbook (`triggerAction`): a run of a one-step definition carried by
 * the run itself, so the action goes through the same queue, outbox, retries, dead letter,
 * guardrails and ledger as a playbook step. The run's id and its `playbookId` are derived from
 * (tenant, key), so the same key never acts twice and different keys never block each other.
 */
export class TriggerActionService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async trigger(queue: Pick<Queue<PlaybookStepJob>, 'addBulk'>, draft: ActionDraft): Promise<PlaybookRun> {
    const key = (draft.key ?? '').trim();
    if (!KEY.test(key)) throw new AppError('BAD_USER_INPUT', 'input.key: must be 1–100 characters of letters, digits and _ . : -', { field: 'input.key' });
    if (!(ACTION_TYPES as readonly string[]).includes(draft.type)) throw new AppError('BAD_USER_INPUT', `input.type: must be one of ${ACTION_TYPES.join(', ')}`, { field: 'input.type' });
    const { key: _key, profileId, traits, ...fields } = draft;
    const { playbook, problems } = validatePlaybook({ name: 'action', exitWhenRiskLow: false, steps: [{ ...fields, id: 'action', next: null }] });
    if (!playbook) {
      const named = problems.map((p) => ({ field: p.field.replace(/^steps\[0\]\./, 'input.'), message: p.message }));
      throw new AppError('BAD_USER_INPUT', named.map((p) => `${p.field}: ${p.message}`).join('; '), { field: named[0].field, fields: named });
    }
    const id = uuidOf(`${this.tenantId}\u0000${key}`);
    const repo = new PlaybookRunRepository(this.em, this.tenantId);
    const existing = await repo.find(id);
    if (existing) return this.same(existing, profileId, key);

    const now = this.now();
    const facts: RunFacts = { profile: { id: profileId, traits: traits ?? {} }, risk: {}, alert: {} };
    const { state, schedule } = startRun(playbook.definition, facts, now);
    const row = this.em.create(
      PlaybookRun,
      {
        id,
        tenantId: this.tenantId,
        playbookId: id,
        playbookVersion: 0,
        profileId,
        facts,
        definition: playbook.definition,
        enrolledBy: `action:${key}`,
        status: state.status,
        stepId: state.stepId,
        visit: state.visit,
        nextDueAt: state.nextDueAt,
        enteredAt: state.enteredAt,
        history: state.history,
        createdAt: now,
        updatedAt: now,
      },
      { persist: false },
    );
    const [inserted] = await repo.insertIgnoring([row]);
    // a concurrent call with the same key inserted first: answer with its run
    if (!inserted) return this.same((await repo.find(id))!, profileId, key);
    if (schedule) await queuePlaybookSteps(queue, [{ tenantId: this.tenantId, runId: id, stepId: schedule.stepId, visit: schedule.visit, dueAt: schedule.dueAt }], now);
    return inserted;
  }

  private same(run: PlaybookRun, profileId: string, key: string): PlaybookRun {
    if (run.profileId !== profileId) throw new AppError('CONFLICT', `input.key: ${key} was used for another profile`, { field: 'input.key' });
    return run;
  }
}

/** A UUID (version 8, RFC 9562) from a SHA-256 of `text`: the same text, the same id. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
