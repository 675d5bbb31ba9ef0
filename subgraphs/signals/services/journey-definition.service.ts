import { UniqueConstraintViolationException } from '@mikro-orm/core';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { JourneyDefinitionError, parseJourneyDefinition, type JourneySpec } from '../domain/journeys/definition';
import { JourneyDefinition } from '../entities/journey-definition.entity';

/** Untrusted fields of `createJourney` (every field) and `updateJourney` (the fields to change). */
export interface JourneyDefinitionData {
  name?: string | null;
  /** Undefined keeps the description; null clears it. */
  description?: string | null;
  steps?: unknown[] | null;
  completionStep?: string | null;
  slaMs?: number | null;
  retryLoop?: { count?: number | null; windowMs?: number | null } | null;
  sessionTimeoutMs?: number | null;
}

/** A stored definition with its parsed spec. */
export interface LoadedDefinition {
  def: JourneyDefinition;
  spec: JourneySpec;
}

/** Journey definitions of one tenant (admin), and the parsed specs the replay and the sweep run on. */
export class JourneyDefinitionService {
  private loaded: Promise<Map<string, LoadedDefinition>> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  listDefinitions(): Promise<JourneyDefinition[]> {
    return this.em.getRepository(JourneyDefinition).allOf(this.tenantId);
  }

  definition(id: string): Promise<JourneyDefinition | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.em.findOne(JourneyDefinition, { tenantId: this.tenantId, id });
  }

  async createDefinition(input: JourneyDefinitionData): Promise<JourneyDefinition> {
    const spec = validate(input);
    await this.assertNameFree(spec.name, null);
    const def = this.em.create(JourneyDefinition, { tenantId: this.tenantId, description: input.description ?? null, ...spec });
    await this.flushDefinition(spec.name);
    return def;
  }

  /**
   * Changes a definition. New steps apply to events from then on: open instances keep the steps
   * they reached (by key) and continue under the new definition.
   */
  async updateDefinition(id: string, patch: JourneyDefinitionData): Promise<JourneyDefinition> {
    const def = await this.requireDefinition(id);
    const stepsChanged = patch.steps !== undefined && patch.steps !== null;
    const spec = validate({
      name: patch.name ?? def.name,
      steps: stepsChanged ? patch.steps : def.steps,
      // new steps without a completion step: the last one, as on create
      completionStep: patch.completionStep ?? (stepsChanged ? undefined : def.completionStep),
      slaMs: patch.slaMs ?? def.slaMs,
      retryLoop: { ...def.retryLoop, ...withoutNulls(patch.retryLoop ?? {}) },
      sessionTimeoutMs: patch.sessionTimeoutMs ?? def.sessionTimeoutMs,
    });
    if (spec.name !== def.name) await this.assertNameFree(spec.name, def.id);
    this.em.assign(def, { ...spec, version: def.version + 1 });
    if (patch.description !== undefined) def.description = patch.description;
    await this.flushDefinition(spec.name);
    return def;
  }

  /** Deletes a definition with its instances; returns its id. Signals already recorded stay. */
  async deleteDefinition(id: string): Promise<string> {
    const def = await this.requireDefinition(id);
    await this.em.getRepository(JourneyDefinition).deleteWithInstances(this.tenantId, def.id);
    this.em.getUnitOfWork().unsetIdentity(def);
    return def.id;
  }

  /** The definition, or NOT_FOUND. */
  async requireDefinition(id: string): Promise<JourneyDefinition> {
    const def = await this.definition(id);
    if (!def) throw new AppError('NOT_FOUND', `no journey definition ${id}`);
    return def;
  }

  /** Every definition with its spec, by id: read once per service (one request or job). */
  specs(): Promise<Map<string, LoadedDefinition>> {
    // definitions change rarely, and never mid-job
    this.loaded ??= this.listDefinitions().then((defs) => new Map(defs.map((def) => [def.id, { def, spec: def.toSpec() }])));
    return this.loaded;
  }

  private async assertNameFree(name: string, exceptId: string | null): Promise<void> {
    const clash = await this.em.findOne(JourneyDefinition, { tenantId: this.tenantId, name });
    if (clash && clash.id !== exceptId) throw new AppError('CONFLICT', `a journey named "${name}" already exists`, { definitionId: clash.id });
  }

  private async flushDefinition(name: string): Promise<void> {
    try {
      await this.em.flush();
    } catch (err) {
      // a concurrent create of the same name
      if (err instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', `a journey named "${name}" already exists`);
      throw err;
    }
  }
}

function withoutNulls<T extends object>(o: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as never;
}

function validate(input: JourneyDefinitionData & { steps?: unknown }): JourneySpec {
  try {
    return parseJourneyDefinition(input);
  } catch (err) {
    if (err instanceof JourneyDefinitionError) throw new AppError('BAD_USER_INPUT', err.message, { problems: err.problems });
    throw err;
  }
}
