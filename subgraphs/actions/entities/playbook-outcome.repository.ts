import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { AssignedArm } from '../domain/plan-assignments';
import { PlaybookOutcome, type ObservationKind } from './playbook-outcome.entity';

/** Per arm and kind: customers with at least one such event, and the Σ of their amounts. */
export type ObservationCounts = Map<`${AssignedArm}|${ObservationKind}`, { customers: number; valueSum: number }>;

/** The observed outcomes and guardrail events of one tenant's assignments. */
export class PlaybookOutcomeRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** One multi-row insert-or-ignore on (assignment, kind, event id): a replayed batch counts nothing twice. */
  async insertIgnoring(rows: readonly PlaybookOutcome[]): Promise<void> {
    if (rows.length === 0) return;
    await this.em.upsertMany(PlaybookOutcome, rows as PlaybookOutcome[], { onConflictFields: ['assignmentId', 'kind', 'eventId'], onConflictAction: 'ignore' });
  }

  /** Per (arm, kind), for the assignments of a playbook made in [from, to). One aggregate. */
  async armCounts(playbookId: string, from: Date, to: Date): Promise<ObservationCounts> {
    const rows: { arm: AssignedArm; kind: ObservationKind; customers: number | string; value_sum: number | string | null }[] = await this.em
      .createQueryBuilder(PlaybookOutcome, 'o')
      .select(['o.arm', 'o.kind', raw('count(distinct o.assignment_id) as customers'), raw('sum(o.value) as value_sum')])
      .where({ tenantId: this.tenantId, playbookId, assignedAt: { $gte: from, $lt: to } })
      .groupBy(['o.arm', 'o.kind'])
      .execute('all', false);
    return new Map(rows.map((r) => [`${r.arm}|${r.kind}` as const, { customers: Number(r.customers), valueSum: Number(r.value_sum ?? 0) }]));
  }

  /**
   * Per arm, for a REVENUE playbook's assignments made in [from, to): Σ and Σ² over customers of
   * their revenue in the window (each customer's outcome amounts summed first), for Welch's test.
   * Customers without revenue add 0 to both, so the arm sizes come from the assignments. One
   * aggregate over a per-customer aggregate.
   */
  async revenueMoments(playbookId: string, from: Date, to: Date): Promise<Map<AssignedArm, { sum: number; sumSquares: number }>> {
    const perCustomer = this.em
      .createQueryBuilder(PlaybookOutcome, 'o')
      .select(['o.arm', raw('coalesce(sum(o.value), 0) as revenue')])
      .where({ tenantId: this.tenantId, playbookId, kind: 'outcome', assignedAt: { $gte: from, $lt: to } })
      .groupBy(['o.arm', 'o.assignmentId'])
      .getKnexQuery();
    const knex = this.em.getKnex();
    const query = knex
      .select('c.arm', knex.raw('sum(c.revenue) as revenue_sum'), knex.raw('sum(c.revenue * c.revenue) as revenue_squares'))
      .from(perCustomer.as('c'))
      .groupBy('c.arm');
    const rows = (await this.em.getConnection().execute(query)) as { arm: AssignedArm; revenue_sum: number | string | null; revenue_squares: number | string | null }[];
    return new Map(rows.map((r) => [r.arm, { sum: Number(r.revenue_sum ?? 0), sumSquares: Number(r.revenue_squares ?? 0) }]));
  }
}
