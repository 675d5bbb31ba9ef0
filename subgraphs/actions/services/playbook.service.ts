import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import type { ExperimentStep } from '../domain/playbook';
import { validatePlaybook, type PlaybookDraft, type ValidPlaybook } from '../domain/validate-playbook';
import { ExperimentRepository } from '../entities/experiment.repository';
import { PlaybookVersion } from '../entities/playbook-version.entity';
import { PlaybookRepository } from '../entities/playbook.repository';

/** Playbook administration for one tenant: playbooks are versioned, never edited in place (as alert rules). */
export class PlaybookService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  list(includeArchived: boolean): Promise<PlaybookVersion[]> {
    return new PlaybookRepository(this.em, this.tenantId).current(includeArchived);
  }

  get(playbookId: string): Promise<PlaybookVersion | null> {
    return new PlaybookRepository(this.em, this.tenantId).findCurrent(playbookId);
  }

  /** Stores version 1 of a new playbook, and its experiments, in one transaction. */
  async create(draft: PlaybookDraft): Promise<PlaybookVersion> {
    const p = checked(draft);
    return this.em.transactional(async (tx) => {
      const row = tx.create(PlaybookVersion, { tenantId: this.tenantId, playbookId: uuidv7(), version: 1, name: p.name, description: p.description, definition: p.definition, measurement: p.measurement });
      await tx.flush();
      await syncExperiments(tx, this.tenantId, row);
      return row;
    });
  }

  /**
   * Stores the next version and makes it current, in one transaction. Runs already going keep
   * their version; new enrolments take this one. Two concurrent updates: one wins, the other gets CONFLICT.
   */
  async update(playbookId: string, draft: PlaybookDraft): Promise<PlaybookVersion> {
    const p = checked(draft);
    try {
      return await this.em.transactional(async (tx) => {
        const current = await this.currentOrFail(tx, playbookId);
        if (current.archived) throw new AppError('CONFLICT', `playbook ${playbookId} is archived`, { field: 'id' });
        current.current = false;
        const next = tx.create(PlaybookVersion, { tenantId: this.tenantId, playbookId, version: current.version + 1, name: p.name, description: p.description, definition: p.definition, measurement: p.measurement, pausedAt: current.pausedAt, pauseReason: current.pauseReason, guardrailsFrom: current.guardrailsFrom });
        await tx.flush();
        await syncExperiments(tx, this.tenantId, next);
        return next;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', `playbook ${playbookId} was changed meanwhile; read it and try again`, { field: 'id' });
      throw err;
    }
  }

  /** Stops enrolments for good (runs going on continue). Idempotent. */
  async archive(playbookId: string): Promise<PlaybookVersion> {
    const current = await this.currentOrFail(this.em, playbookId);
    if (!current.archived) {
      current.archived = true;
      await this.em.flush();
    }
    return current;
  }

  /**
   * Lifts a pause (by a guardrail): the playbook enrols again. Guardrails then count only the
   * customers assigned from now on, so the assignments that paused it do not pause it again at
   * once. The runs the pause ended stay ended. Resuming a playbook that is not paused changes nothing.
   */
  async resume(playbookId: string, now = new Date()): Promise<PlaybookVersion> {
    const current = await this.currentOrFail(this.em, playbookId);
    if (current.pausedAt) {
      current.pausedAt = null;
      current.pauseReason = null;
      current.guardrailsFrom = now;
      await this.em.flush();
    }
    return current;
  }

  private async currentOrFail(em: EntityManager, playbookId: string): Promise<PlaybookVersion> {
    const row = await new PlaybookRepository(em, this.tenantId).findCurrent(playbookId);
    if (!row) throw new AppError('NOT_FOUND', `playbook ${playbookId} not found`, { field: 'id' });
    return row;
  }
}

/** Records the experiment steps of a version (ids stable across versions: keyed on the step's `key`). */
async function syncExperiments(em: EntityManager, tenantId: string, row: PlaybookVersion): Promise<void> {
  const steps = row.definition.steps.filter((s): s is ExperimentStep => s.type === 'experiment');
  await new ExperimentRepository(em, tenantId).sync(row.playbookId, row.version, steps, row.createdAt);
}

/** The validated playbook, or BAD_USER_INPUT naming every field in error (`input.<path>`). */
function checked(draft: PlaybookDraft): ValidPlaybook {
  const { playbook, problems } = validatePlaybook(draft);
  if (!playbook) {
    const fields = problems.map((p) => ({ field: `input.${p.field}`, message: p.message }));
    throw new AppError('BAD_USER_INPUT', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
  }
  return playbook;
}
