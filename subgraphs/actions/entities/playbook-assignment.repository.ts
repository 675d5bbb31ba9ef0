import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { AssignedArm } from '../domain/plan-assignments';
import { PlaybookAssignment } from './playbook-assignment.entity';

/** The assignment log of one tenant. */
export class PlaybookAssignmentRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** One multi-row insert-or-ignore on (playbook, profile): a retried enrolment, or a re-entry, keeps the first row. */
  async insertIgnoring(rows: readonly PlaybookAssignment[]): Promise<void> {
    if (rows.length === 0) return;
    await this.em.upsertMany(PlaybookAssignment, rows as PlaybookAssignment[], { onConflictFields: ['tenantId', 'playbookId', 'profileId'], onConflictAction: 'ignore' });
  }

  /** The logged assignments of these profiles in these playbooks. One SELECT. */
  of(playbookIds: readonly string[], profileIds: readonly string[]): Promise<PlaybookAssignment[]> {
    if (playbookIds.length === 0 || profileIds.length === 0) return Promise.resolve([]);
    return this.em.find(PlaybookAssignment, { tenantId: this.tenantId, playbookId: { $in: [...new Set(playbookIds)] }, profileId: { $in: [...new Set(profileIds)] } }, { disableIdentityMap: true });
  }

  /**
   * The assignments of these profiles whose window may hold an event of [earliest, latest]:
   * assigned at or before `latest` and still open after `earliest`. One SELECT, plain rows.
   */
  openFor(profileIds: readonly string[], earliest: Date, latest: Date): Promise<PlaybookAssignment[]> {
    if (profileIds.length === 0) return Promise.resolve([]);
    return this.em.find(
      PlaybookAssignment,
      { tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] }, assignedAt: { $lte: latest }, windowEndsAt: { $gt: earliest } },
      { disableIdentityMap: true },
    );
  }

  /** Customers per arm of a playbook assigned in [from, to), with the Σ and count of known CLVs. One aggregate. */
  async armCounts(playbookId: string, from: Date, to: Date): Promise<Map<AssignedArm, { customers: number; clvSum: number; clvKnown: number }>> {
    const rows: { arm: AssignedArm; customers: number | string; clv_sum: number | string | null; clv_known: number | string }[] = await this.em
      .createQueryBuilder(PlaybookAssignment, 'a')
      .select(['a.arm', raw('count(*) as customers'), raw('sum(a.clv) as clv_sum'), raw('count(a.clv) as clv_known')])
      .where({ tenantId: this.tenantId, playbookId, assignedAt: { $gte: from, $lt: to } })
      .groupBy('a.arm')
      .execute('all', false);
    return new Map(rows.map((r) => [r.arm, { customers: Number(r.customers), clvSum: Number(r.clv_sum ?? 0), clvKnown: Number(r.clv_known) }]));
  }
}
