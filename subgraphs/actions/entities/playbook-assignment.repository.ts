import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { AssignedArm } from '../domain/plan-assignments';
import { PlaybookAssignment } from './playbook-assignment.entity';
import { PlaybookOutcome } from './playbook-outcome.entity';

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

  /**
   * Per arm (treatment, control) over every playbook, for the assignments made in [from, to):
   * customers, and those whose goal happened — no outcome event for a CHURNED outcome, one for
   * CONVERTED and REVENUE (outcomes are only recorded inside their window). Three aggregates.
   */
  async goalCounts(from: Date, to: Date): Promise<Map<AssignedArm, { customers: number; goalsMet: number }>> {
    const where = { tenantId: this.tenantId, arm: { $in: ['treatment', 'control'] as AssignedArm[] }, assignedAt: { $gte: from, $lt: to } };
    const assigned: { arm: AssignedArm; customers: number | string; to_avoid: number | string | null }[] = await this.em
      .createQueryBuilder(PlaybookAssignment, 'a')
      .select(['a.arm', raw('count(*) as customers'), raw("sum(case when a.outcome_kind = 'churned' then 1 else 0 end) as to_avoid")])
      .where(where)
      .groupBy('a.arm')
      .execute('all', false);
    // customers with an outcome event, among assignments whose outcome is to avoid (churned) and the others
    const withOutcome = async (toAvoid: boolean) => {
      const ids = this.em
        .createQueryBuilder(PlaybookAssignment, 'i')
        .select('i.id')
        .where({ ...where, outcomeKind: toAvoid ? 'churned' : { $ne: 'churned' } });
      const rows: { arm: AssignedArm; customers: number | string }[] = await this.em
        .createQueryBuilder(PlaybookOutcome, 'o')
        .select(['o.arm', raw('count(distinct o.assignment_id) as customers')])
        .where({ tenantId: this.tenantId, kind: 'outcome', assignmentId: { $in: ids.getKnexQuery() } })
        .groupBy('o.arm')
        .execute('all', false);
      return new Map(rows.map((r) => [r.arm, Number(r.customers)]));
    };
    const [avoidedNot, reached] = await Promise.all([withOutcome(true), withOutcome(false)]);
    return new Map(
      assigned.map((r) => [
        r.arm,
        { customers: Number(r.customers), goalsMet: Number(r.to_avoid ?? 0) - (avoidedNot.get(r.arm) ?? 0) + (reached.get(r.arm) ?? 0) },
      ]),
    );
  }
}
