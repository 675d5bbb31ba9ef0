import { raw } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';

import type { EntityManager } from '../../common/orm';
import type { ScoreFollowUpConsumer } from '../../common/queues';
import type { BaseSnapshot, ChurnedBy } from '../domain/base-kpis';
import { headsBySubject } from '../domain/score-history';
import { ActivityEvent } from './activity-event.entity';
import { RiskScore } from './risk-score.entity';

/** Ids per `IN` list, well under SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_STATEMENT = 500;

/** The marker each consumer's acknowledgement clears. */
const MARKERS = { alerts: 'followUpPendingSince', traits: 'traitsPendingSince' } as const satisfies Record<ScoreFollowUpConsumer, keyof RiskScore>;

/** Score histories (`RiskScore` rows), read and appended for many profiles at once. */
export class RiskScoreRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * The head of each profile's profile-level history of `kind` (the row nobody follows; the latest
   * of several), in one query. Profiles without a score are missing from the map.
   */
  async headsOf(profileIds: readonly string[], kind: string): Promise<Map<string, RiskScore>> {
    return headsBySubject(await this.unfollowed(profileIds, kind, 'profile'), (row) => row.profileId);
  }

  /**
   * The head of each journey instance's history of `kind` among the instances of these profiles,
   * in one query, keyed by instance id. Instances without a score are missing from the map.
   */
  async journeyHeadsOf(profileIds: readonly string[], kind: string): Promise<Map<string, RiskScore>> {
    return headsBySubject(await this.unfollowed(profileIds, kind, 'journey'), (row) => row.journeyInstanceId!);
  }

  /**
   * A subquery over `activity_event` (alias `e`, tenant/profile/timestamp index) correlated with
   * the base row `h`: for an event label, the churn event before `at` (the customer is left out
   * when it exists); for an inactivity label, any (or any named) activity in the label's window
   * before `at` (left out when it does not).
   */
  private churnEvidence(churned: ChurnedBy, at: Date): Knex.QueryBuilder {
    const where =
      churned.kind === 'event'
        ? { tenantId: this.tenantId, name: churned.event, timestamp: { $lt: at } }
        : {
            tenantId: this.tenantId,
            timestamp: { $gte: new Date(at.getTime() - churned.days * 86_400_000), $lt: at },
            ...(churned.events ? { name: { $in: churned.events } } : {}),
          };
    return this.em.createQueryBuilder(ActivityEvent, 'e').select(raw('1')).where(where).getKnexQuery().whereRaw('e.profile_id = h.profile_id');
  }

  /**
   * Sums over the latest profile-level churn score of every profile as the base stood at `at`,
   * less the customers `churned` says had churned by then (see `churnEvidence`)
   * (scored before it: a score at `at` belongs to the period that opens there; ties broken by
   * id): one set-based query, a window function picking each profile's head.
   */
  async baseAt(at: Date, churned: ChurnedBy | null = null): Promise<BaseSnapshot> {
    const latest = this.em
      .createQueryBuilder(RiskScore, 'r')
      .select([
        raw('r.profile_id as profile_id'),
        raw('r.probability as probability'),
        raw('r.clv as clv'),
        raw('r.revenue_at_risk as revenue_at_risk'),
        raw('row_number() over (partition by r.profile_id order by r.scored_at desc, r.id desc) as rn'),
      ])
      .where({ tenantId: this.tenantId, kind: 'churn', journeyInstanceId: null, scoredAt: { $lt: at } })
      .getKnexQuery();
    const knex = this.em.getKnex();
    const query = knex
      .select(
        knex.raw(
          'count(*) as profiles, sum(h.probability) as probability_sum, count(h.clv) as clv_known, sum(h.clv) as clv_sum, count(h.revenue_at_risk) as rar_known, sum(h.revenue_at_risk) as rar_sum',
        ),
      )
      .from(latest.as('h'))
      .where('h.rn', 1);
    if (churned?.kind === 'event') query.whereNotExists(this.churnEvidence(churned, at));
    if (churned?.kind === 'inactive') query.whereExists(this.churnEvidence(churned, at));
    const [row] = (await this.em.getConnection().execute(query)) as Record<string, number | string | null>[];
    return {
      profiles: Number(row?.profiles ?? 0),
      probabilitySum: Number(row?.probability_sum ?? 0),
      clvKnown: Number(row?.clv_known ?? 0),
      clvSum: Number(row?.clv_sum ?? 0),
      revenueAtRiskKnown: Number(row?.rar_known ?? 0),
      revenueAtRiskSum: Number(row?.rar_sum ?? 0),
    };
  }

  /** Rows of the profiles' `kind` histories (profile-level or per journey instance) that nobody follows. */
  private async unfollowed(profileIds: readonly string[], kind: string, level: 'profile' | 'journey'): Promise<RiskScore[]> {
    if (profileIds.length === 0) return [];
    const where = { tenantId: this.tenantId, kind, profileId: { $in: [...new Set(profileIds)] } };
    const followed = this.em.createQueryBuilder(RiskScore, 'f').select('f.follows').where({ ...where, follows: { $ne: null } });
    return this.em
      .createQueryBuilder(RiskScore, 'r')
      .select('*')
      // `follows` is text (it also holds `first-…` keys), `id` a uuid on PostgreSQL: compare as text
      .where({
        ...where,
        journeyInstanceId: level === 'profile' ? null : { $ne: null },
        [raw('cast(r.id as text)')]: { $nin: followed.getKnexQuery() },
      })
      .getResultList();
  }

  /**
   * Appends rows in one multi-row statement; a row whose predecessor already has a successor (a
   * concurrent writer got there first) is skipped. Returns the ids of the rows that were stored.
   */
  async appendIgnoringForks(rows: readonly RiskScore[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const data = rows.map((r) => ({
      id: r.id,
      tenantId: r.tenantId,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      profileId: r.profileId,
      kind: r.kind,
      follows: r.follows,
      journeyInstanceId: r.journeyInstanceId,
      score: r.score,
      probability: r.probability,
      bucket: r.bucket,
      pAlive: r.pAlive,
      clv: r.clv,
      revenueAtRisk: r.revenueAtRisk,
      reasons: r.reasons,
      modelId: r.modelId,
      modelVersion: r.modelVersion,
      modelName: r.modelName,
      scoredAt: r.scoredAt,
      followUpPendingSince: r.followUpPendingSince,
      traitsPendingSince: r.traitsPendingSince,
    }));
    await this.em.createQueryBuilder(RiskScore).insert(data).onConflict(['tenantId', 'follows']).ignore().execute();
    const stored: { id: string }[] = await this.em
      .createQueryBuilder(RiskScore)
      .select('id')
      .where({ tenantId: this.tenantId, id: { $in: data.map((d) => d.id) } })
      .execute('all', true);
    return new Set(stored.map((s) => s.id));
  }

  /** A consumer has stored the follow-ups of these scores: clears its marker, one UPDATE per chunk of ids. */
  async followUpsDone(consumer: ScoreFollowUpConsumer, ids: readonly string[]): Promise<void> {
    const marker = MARKERS[consumer];
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      const chunk = ids.slice(i, i + IDS_PER_STATEMENT);
      await this.em.createQueryBuilder(RiskScore).update({ [marker]: null }).where({ tenantId: this.tenantId, id: { $in: chunk } }).execute();
    }
  }

  /** Moves still-current rows forward to `scoredAt`, one statement per distinct time. */
  async redate(idsByTime: ReadonlyMap<number, string[]>): Promise<void> {
    for (const [at, ids] of idsByTime) {
      await this.em.createQueryBuilder(RiskScore).update({ scoredAt: new Date(at) }).where({ tenantId: this.tenantId, id: { $in: ids } }).execute();
    }
  }
}

/** A score whose follow-ups are pending, with the score it follows (null: the first score). */
export interface PendingFollowUp {
  score: RiskScore;
  previous: { score: number; bucket: string } | null;
}

/** Where a sweeper page ends: the marker time and id of its last score (keyset paging). */
export interface FollowUpCursor {
  since: Date;
  id: string;
}

/** The tenants with scores whose `consumer` follow-up has been pending since before `cutoff`. */
export async function tenantsWithPendingFollowUps(em: EntityManager, consumer: ScoreFollowUpConsumer, cutoff: Date): Promise<string[]> {
  const rows = (await em
    .createQueryBuilder(RiskScore, 'r')
    .select('r.tenant_id')
    .distinct()
    .where({ [MARKERS[consumer]]: { $lt: cutoff } })
    .execute('all', false)) as { tenant_id: string }[];
  return rows.map((r) => String(r.tenant_id)).sort();
}

/**
 * One tenant's scores whose `consumer` follow-up has been pending since before `cutoff` (not
 * acknowledged: queued and lost, or never queued), oldest first after `after`, with the score and
 * bucket of the score each follows: two queries. The score sweeper's read (its entity manager
 * crosses tenants on purpose, so the tenant is named here).
 */
export async function pendingFollowUps(
  em: EntityManager,
  tenantId: string,
  consumer: ScoreFollowUpConsumer,
  cutoff: Date,
  limit: number,
  after: FollowUpCursor | null = null,
): Promise<PendingFollowUp[]> {
  const marker = MARKERS[consumer];
  const page = after ? { $or: [{ [marker]: { $gt: after.since } }, { [marker]: after.since, id: { $gt: after.id } }] } : {};
  const scores = await em.find(
    RiskScore,
    { tenantId, [marker]: { $lt: cutoff }, ...page },
    { orderBy: { [marker]: 'asc', id: 'asc' }, limit, disableIdentityMap: true },
  );
  const previousIds = [...new Set(scores.flatMap((s) => (s.follows && !s.follows.startsWith('first-') ? [s.follows] : [])))];
  const previous: { id: string; score: number; bucket: string }[] = previousIds.length
    ? await em.createQueryBuilder(RiskScore).select(['id', 'score', 'bucket']).where({ tenantId, id: { $in: previousIds } }).execute('all', true)
    : [];
  const byId = new Map(previous.map((p) => [p.id, { score: Number(p.score), bucket: p.bucket }]));
  return scores.map((score) => ({ score, previous: (score.follows && byId.get(score.follows)) || null }));
}
