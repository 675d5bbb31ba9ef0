import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { PhasedArmCount } from '../domain/uplift/experiment-assignment';
import { ExperimentAssignment } from './experiment-assignment.entity';
import { ExperimentConversion } from './experiment-conversion.entity';

/** The experiment assignment log of one tenant, and the conversions recorded against it. */
export class ExperimentAssignmentRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** The logged arm of a profile in an experiment, or null. */
  async armOf(experimentId: string, profileId: string): Promise<string | null> {
    const row = await this.em.findOne(ExperimentAssignment, { tenantId: this.tenantId, experimentId, profileId }, { fields: ['arm'], disableIdentityMap: true });
    return row?.arm ?? null;
  }

  /** Insert-or-ignore on (experiment, profile): a replayed step, or a re-entry, keeps the first row. */
  async insertIgnoring(rows: readonly ExperimentAssignment[]): Promise<void> {
    if (rows.length === 0) return;
    await this.em.upsertMany(ExperimentAssignment, rows as ExperimentAssignment[], { onConflictFields: ['tenantId', 'experimentId', 'profileId'], onConflictAction: 'ignore' });
  }

  /** The assignments of these profiles whose window may hold an event of [earliest, latest]. One SELECT, plain rows. */
  openFor(profileIds: readonly string[], earliest: Date, latest: Date): Promise<ExperimentAssignment[]> {
    if (profileIds.length === 0) return Promise.resolve([]);
    return this.em.find(
      ExperimentAssignment,
      { tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] }, assignedAt: { $lte: latest }, windowEndsAt: { $gt: earliest } },
      { disableIdentityMap: true },
    );
  }

  /** One multi-row insert-or-ignore on (assignment, event id). */
  async insertConversions(rows: readonly ExperimentConversion[]): Promise<void> {
    if (rows.length === 0) return;
    await this.em.upsertMany(ExperimentConversion, rows as ExperimentConversion[], { onConflictFields: ['assignmentId', 'eventId'], onConflictAction: 'ignore' });
  }

  /** Customers assigned in [from, to) per arm, before and after the winner was decided. One aggregate. */
  async armCounts(experimentId: string, from: Date, to: Date): Promise<PhasedArmCount[]> {
    const rows: { arm: string; after_winner: boolean | number | string; customers: number | string }[] = await this.em
      .createQueryBuilder(ExperimentAssignment, 'a')
      .select(['a.arm', 'a.after_winner', raw('count(*) as customers')])
      .where({ tenantId: this.tenantId, experimentId, assignedAt: { $gte: from, $lt: to } })
      .groupBy(['a.arm', 'a.afterWinner'])
      .execute('all', false);
    const byArm = new Map<string, PhasedArmCount>();
    for (const r of rows) {
      const c = byArm.get(r.arm) ?? { arm: r.arm, beforeWinner: 0, afterWinner: 0 };
      // SQLite returns booleans as 0/1
      if (r.after_winner === true || Number(r.after_winner) === 1) c.afterWinner += Number(r.customers);
      else c.beforeWinner += Number(r.customers);
      byArm.set(r.arm, c);
    }
    return [...byArm.values()];
  }

  /** Customers assigned in [from, to) with at least one conversion, per arm. One aggregate. */
  async convertedByArm(experimentId: string, from: Date, to: Date): Promise<Map<string, number>> {
    const rows: { arm: string; customers: number | string }[] = await this.em
      .createQueryBuilder(ExperimentConversion, 'c')
      .select(['c.arm', raw('count(distinct c.assignment_id) as customers')])
      .where({ tenantId: this.tenantId, experimentId, assignedAt: { $gte: from, $lt: to } })
      .groupBy('c.arm')
      .execute('all', false);
    return new Map(rows.map((r) => [r.arm, Number(r.customers)]));
  }
}
