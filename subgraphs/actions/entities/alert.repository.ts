import { raw, type FilterQuery } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { Alert, AlertOutcome, AlertStatus, NO_PROFILE, type AlertSeverity } from './alert.entity';
import { PlaybookRun } from './playbook-run.entity';
import { StepDelivery } from './step-delivery.entity';

/** Which alerts to list; every field given must hold. */
export interface AlertListFilter {
  status?: AlertStatus | null;
  team?: string | null;
  severity?: AlertSeverity | null;
  ruleId?: string | null;
  profileId?: string | null;
}

/** Alert reads and the batch stage's multi-row write, for one tenant. */
export class AlertRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Alerts about a customer raised in [from, to), less those resolved as false positives, and of
   * those the ones resolved proactively: outcome SAVED, resolved before the customer contacted
   * support or churned (`customerActedAt`), or with no such moment. One aggregate.
   */
  async resolutionCounts(from: Date, to: Date): Promise<{ alerts: number; saved: number }> {
    const [row]: { alerts: number | string; saved: number | string | null }[] = await this.em
      .createQueryBuilder(Alert, 'a')
      .select([
        raw('count(*) as alerts'),
        raw(
          `sum(case when a.status = '${AlertStatus.RESOLVED}' and a.outcome = '${AlertOutcome.SAVED}' and (a.customer_acted_at is null or a.resolved_at < a.customer_acted_at) then 1 else 0 end) as saved`,
        ),
      ])
      .where({
        tenantId: this.tenantId,
        createdAt: { $gte: from, $lt: to },
        profileId: { $ne: NO_PROFILE },
        $or: [{ outcome: null }, { outcome: { $ne: AlertOutcome.FALSE_POSITIVE } }],
      })
      .execute('all', false);
    return { alerts: Number(row?.alerts ?? 0), saved: Number(row?.saved ?? 0) };
  }

  /**
   * For each alert about a customer raised in [from, to) that enrolled a run (`enrolledBy` =
   * `alert:<id>`) which sent a message: when the fact behind it happened (`signalAt`; when it was
   * raised for alerts from before that was kept) and when the first message was sent.
   * One aggregate joining alerts, their runs and the runs' sent deliveries.
   */
  async firstActions(from: Date, to: Date): Promise<{ raisedAt: Date; firstSentAt: Date }[]> {
    const alerts = this.em
      .createQueryBuilder(Alert, 'a')
      // the run's `enrolledBy` key; ids are uuids on PostgreSQL, so cast to text first
      // from the fact behind the alert where it is known, else from the alert's raising
      .select([raw(`'alert:' || cast(a.id as text) as alert_key`), raw('coalesce(a.signal_at, a.created_at) as raised_at')])
      .where({ tenantId: this.tenantId, createdAt: { $gte: from, $lt: to }, profileId: { $ne: NO_PROFILE } })
      .getKnexQuery();
    const runs = this.em
      .createQueryBuilder(PlaybookRun, 'r')
      .select([raw('r.id as run_id'), raw('r.enrolled_by as enrolled_by')])
      .where({ tenantId: this.tenantId, enrolledBy: { $like: 'alert:%' } })
      .getKnexQuery();
    const sent = this.em
      .createQueryBuilder(StepDelivery, 'd')
      .select([raw('d.run_id as run_id'), raw('d.finished_at as sent_at')])
      .where({ tenantId: this.tenantId, status: 'sent', finishedAt: { $ne: null } })
      .getKnexQuery();
    const knex = this.em.getKnex();
    const query = knex
      .select('x.raised_at', knex.raw('min(s.sent_at) as first_sent_at'))
      .from(alerts.as('x'))
      .join(runs.as('r'), 'r.enrolled_by', 'x.alert_key')
      .join(sent.as('s'), 's.run_id', 'r.run_id')
      .groupBy('x.alert_key', 'x.raised_at');
    const rows = (await this.em.getConnection().execute(query)) as { raised_at: Date | number | string; first_sent_at: Date | number | string }[];
    return rows.map((r) => ({ raisedAt: new Date(r.raised_at), firstSentAt: new Date(r.first_sent_at) }));
  }

  /**
   * The alerts of these customers raised at or before `upTo` that have no contact moment yet, or
   * a later one than `since` (the batch's earliest contact event could be earlier). One read.
   */
  async awaitingContact(profileIds: readonly string[], since: Date, upTo: Date): Promise<{ id: string; profileId: string; createdAt: Date; customerActedAt: Date | null }[]> {
    if (profileIds.length === 0) return [];
    const rows = await this.em.find(
      Alert,
      {
        tenantId: this.tenantId,
        profileId: { $in: [...profileIds] },
        createdAt: { $lte: upTo },
        $or: [{ customerActedAt: null }, { customerActedAt: { $gt: since } }],
      },
      { fields: ['id', 'profileId', 'createdAt', 'customerActedAt'], disableIdentityMap: true },
    );
    return rows.map((r) => ({ id: r.id, profileId: r.profileId, createdAt: r.createdAt, customerActedAt: r.customerActedAt ?? null }));
  }

  /**
   * Stores each alert's contact moment where none is stored or the stored one is later (so a
   * replay, or events handled out of order, keep the earliest): one UPDATE per distinct moment,
   * and a batch rarely holds more than a few support or churn events.
   */
  async recordCustomerActed(moments: ReadonlyMap<string, Date>): Promise<number> {
    const byMoment = new Map<number, string[]>();
    for (const [id, at] of moments) byMoment.set(at.getTime(), [...(byMoment.get(at.getTime()) ?? []), id]);
    let updated = 0;
    for (const [ms, ids] of byMoment) {
      const at = new Date(ms);
      updated += await this.em.nativeUpdate(
        Alert,
        { tenantId: this.tenantId, id: { $in: ids }, $or: [{ customerActedAt: null }, { customerActedAt: { $gt: at } }] },
        { customerActedAt: at },
      );
    }
    return updated;
  }

  /**
   * One multi-row INSERT that skips rows whose (tenant, source key) is stored already, then one
   * read of the rows this call inserted (by their fresh ids): what a replay inserts is nothing.
   */
  async insertIgnoring(rows: readonly Alert[]): Promise<Alert[]> {
    if (rows.length === 0) return [];
    // the ids are read before the upsert: MikroORM loads a row that conflicted into its entity,
    // id included, so afterwards a skipped row would name the alert already stored
    const ids = rows.map((r) => r.id);
    await this.em.upsertMany(Alert, rows as Alert[], { onConflictFields: ['tenantId', 'sourceKey'], onConflictAction: 'ignore' });
    return this.em.find(Alert, { tenantId: this.tenantId, id: { $in: ids } }, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  }

  /** Which of these source keys have an alert stored already: one query per 500 keys. */
  async existingSourceKeys(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.em.find(Alert, { tenantId: this.tenantId, sourceKey: { $in: unique.slice(i, i + 500) } }, { fields: ['sourceKey'], disableIdentityMap: true });
      for (const r of rows) found.add(r.sourceKey);
    }
    return found;
  }

  /** A page of alerts, newest first (ids are uuidv7: id order is creation order), after the alert `afterId`. */
  page(filter: AlertListFilter, first: number, afterId: string | null): Promise<Alert[]> {
    const where: FilterQuery<Alert> = {
      tenantId: this.tenantId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.team ? { team: filter.team } : {}),
      ...(filter.severity ? { severity: filter.severity } : {}),
      ...(filter.ruleId ? { ruleId: filter.ruleId } : {}),
      ...(filter.profileId ? { profileId: filter.profileId } : {}),
      ...(afterId ? { id: { $lt: afterId } } : {}),
    };
    return this.em.find(Alert, where, { orderBy: { id: 'desc' }, limit: first });
  }
}
