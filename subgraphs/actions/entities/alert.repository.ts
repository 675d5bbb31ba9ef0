import type { FilterQuery } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { Alert, type AlertSeverity, type AlertStatus } from './alert.entity';

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
