import { raw, type FilterQuery } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';

import { medianRows, middleMean } from '../domain/journeys/funnel';
import type { JourneyStepTime } from './journey-step.entity';

/** Step times of journey instances: rewritten per replay, read by the funnel. */
export class JourneyStepRepository extends EntityRepository<JourneyStepTime> {
  /** Known durations per step index in a cohort: one grouped query. */
  async durationCountsByStep(cohort: FilterQuery<JourneyStepTime>): Promise<Map<number, number>> {
    const rows = (await this.createQueryBuilder('s')
      .select(['s.step_index', raw('count(*) as ??', ['cnt'])])
      .where({ ...(cohort as object), durationMs: { $ne: null } })
      .groupBy('s.step_index')
      .execute('all', false)) as { step_index: number | string; cnt: number | string }[];
    return new Map(rows.map((r) => [Number(r.step_index), Number(r.cnt)]));
  }

  /** Median of the `n` known durations at one step: the middle one or two rows, in index order. */
  async medianDuration(cohort: FilterQuery<JourneyStepTime>, stepIndex: number, n: number): Promise<number> {
    const { offset, limit } = medianRows(n);
    const rows = await this.find(
      { ...(cohort as object), stepIndex, durationMs: { $ne: null } } as FilterQuery<JourneyStepTime>,
      { fields: ['durationMs'], orderBy: { durationMs: 'asc' }, limit, offset, disableIdentityMap: true },
    );
    return middleMean(rows.map((r) => r.durationMs!));
  }

  /** Deletes an instance's step times (a replay writes them anew). */
  async deleteOfInstance(tenantId: string, instanceId: string): Promise<void> {
    await this.nativeDelete({ tenantId, instanceId });
  }
}
