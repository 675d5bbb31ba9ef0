import { UniqueConstraintViolationException } from '@mikro-orm/core';

import { AppError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import type { SegmentCondition } from '../domain/segments/condition';
import { isTimeBased } from '../domain/segments/requirements';
import { parseSegmentCondition, SegmentConditionError } from '../domain/segments/validate-condition';
import { Segment } from '../entities/segment.entity';
import type { SegmentPageChain } from './segment-page-chain';

export interface SegmentInput {
  name: string;
  description?: string | null;
  /** Untrusted JSON; validated by `parseSegmentCondition`. */
  condition: unknown;
}

export type SegmentPatch = Partial<SegmentInput>;

/** Segment definitions of one tenant: reads, and writes that start a backfill when the condition changes. */
export class SegmentDefinitionService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly chain: SegmentPageChain,
    private readonly log: Logger,
  ) {}

  byId(id: string): Promise<Segment | null> {
    return this.em.getRepository(Segment).byId(this.tenantId, id);
  }

  list(): Promise<Segment[]> {
    return this.em.find(Segment, { tenantId: this.tenantId }, { orderBy: { name: 'asc' } });
  }

  /** Stores a segment and queues its evaluation over every existing profile (in pages). */
  async create(input: SegmentInput, now = new Date()): Promise<Segment> {
    const condition = validCondition(input.condition);
    await this.assertNameFree(input.name);
    const segment = this.em.create(Segment, {
      tenantId: this.tenantId,
      name: input.name,
      description: input.description ?? null,
      condition,
      timeBased: isTimeBased(condition),
      checkedThrough: now,
    });
    await this.flushNamed(input.name);
    await this.chain.startBackfill(segment);
    this.log.info({ tenantId: this.tenantId, segmentId: segment.id }, 'segment created');
    return segment;
  }

  /**
   * Changes name, description and/or condition; `version` goes up by one. A new condition is
   * evaluated over every existing profile in the background; until then members reflect the old one.
   */
  async update(id: string, patch: SegmentPatch, now = new Date()): Promise<Segment> {
    const segment = await this.require(id);
    const condition = patch.condition === undefined ? null : validCondition(patch.condition);
    if (patch.name !== undefined && patch.name !== segment.name) {
      await this.assertNameFree(patch.name);
      segment.name = patch.name;
    }
    if (patch.description !== undefined) segment.description = patch.description;
    let conditionChanged = false;
    if (condition !== null && JSON.stringify(condition) !== JSON.stringify(segment.condition)) {
      conditionChanged = true;
      segment.condition = condition;
      segment.timeBased = isTimeBased(condition);
      segment.checkedThrough = now;
    }
    segment.version += 1;
    await this.flushNamed(segment.name);
    if (conditionChanged) await this.chain.startBackfill(segment);
    return segment;
  }

  /** Deletes a segment with its membership history. No exits are announced. Returns the id. */
  async delete(id: string): Promise<string> {
    const segment = await this.require(id);
    await this.em.getRepository(Segment).deleteWithMemberships(this.tenantId, segment.id);
    this.em.getUnitOfWork().unsetIdentity(segment);
    return segment.id;
  }

  /** The segment, or NOT_FOUND. */
  async require(id: string): Promise<Segment> {
    const segment = await this.byId(id);
    if (!segment) throw new AppError('NOT_FOUND', `segment ${id} not found`);
    return segment;
  }

  private async assertNameFree(name: string): Promise<void> {
    const clash = await this.em.getRepository(Segment).idNamed(this.tenantId, name);
    if (clash) throw new AppError('CONFLICT', `a segment named "${name}" already exists`, { segmentId: clash });
  }

  private async flushNamed(name: string): Promise<void> {
    try {
      await this.em.flush();
    } catch (err) {
      // a concurrent create took the name between the check and the insert
      if (err instanceof UniqueConstraintViolationException) {
        throw new AppError('CONFLICT', `a segment named "${name}" already exists`);
      }
      throw err;
    }
  }
}

/** A validated condition, or BAD_USER_INPUT naming where the tree is wrong. */
function validCondition(input: unknown): SegmentCondition {
  try {
    return parseSegmentCondition(input, 'condition');
  } catch (err) {
    if (err instanceof SegmentConditionError) {
      throw new AppError('BAD_USER_INPUT', `invalid segment condition: ${err.message}`, { conditionPath: err.path });
    }
    throw err;
  }
}
