import { EntityRepository } from '@mikro-orm/knex';

import type { ReportedSignal, SignalWindow } from '../domain/friction/detect-batch';
import type { FrictionFinding } from '../domain/friction/finding';
import { Signal } from './signal.entity';

/** Ids per `IN` list, well under SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_STATEMENT = 500;

/** Set-based reads and writes of friction signals for the signals stage. */
export class SignalRepository extends EntityRepository<Signal> {
  /** Signals of the profiles in the batch's reported ranges (`batchReads`): one query. */
  async reportedIn(tenantId: string, profileIds: readonly string[], windows: readonly SignalWindow[]): Promise<ReportedSignal[]> {
    if (!profileIds.length || !windows.length) return [];
    const rows = await this.find(
      { tenantId, profileId: { $in: [...profileIds] }, $or: windows.map((w) => ({ type: w.type, detectedAt: { $gte: w.from, $lte: w.to } })) },
      { fields: ['profileId', 'type', 'detectedAt', 'evidence'], disableIdentityMap: true },
    );
    return rows.map((s) => ({ profileId: s.profileId, type: s.type, detectedAt: s.detectedAt, evidence: s.evidence }));
  }

  /**
   * Stores each finding once per dedupe key (one multi-row insert that ignores the keys already
   * there), new rows claimed for announcement at `claimedAt` so the sweep's `announcePending`
   * leaves them to this job; then returns the stored rows of all the keys (one query).
   */
  async storeOnce(tenantId: string, findings: readonly FrictionFinding[], claimedAt: Date): Promise<Signal[]> {
    if (!findings.length) return [];
    const rows = findings.map((f) =>
      this.em.create(
        Signal,
        {
          tenantId,
          profileId: f.profileId,
          type: f.type,
          severity: f.severity,
          detectedAt: f.detectedAt,
          evidence: f.evidence,
          dedupeKey: f.dedupeKey,
          journeyInstanceId: f.journeyInstanceId ?? null,
          announceClaimedAt: claimedAt,
          alertsPendingSince: claimedAt,
        },
        { persist: false },
      ),
    );
    await this.createQueryBuilder().insert(rows).onConflict(['tenantId', 'dedupeKey']).ignore().execute();
    return this.find({ tenantId, dedupeKey: { $in: findings.map((f) => f.dedupeKey) } }, { disableIdentityMap: true, orderBy: { id: 'asc' } });
  }

  /** The follow-ups of these signals were sent. One UPDATE. */
  async announced(tenantId: string, ids: readonly string[], at: Date): Promise<void> {
    if (!ids.length) return;
    await this.nativeUpdate({ tenantId, id: { $in: [...ids] } }, { announcedAt: at });
  }

  /** Actions evaluated its alert rules against these signals: clears their marker, one UPDATE per chunk of ids. */
  async alertsDone(tenantId: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      await this.nativeUpdate({ tenantId, id: { $in: ids.slice(i, i + IDS_PER_STATEMENT) } }, { alertsPendingSince: null });
    }
  }

  /**
   * One tenant's signals whose alerts hand-off has been pending since before `cutoff`, in id
   * order after `after` (keyset paging). The sweeper's read: its entity manager crosses tenants
   * on purpose, so the tenant is named here.
   */
  pendingAlerts(tenantId: string, cutoff: Date, limit: number, after: string | null): Promise<Signal[]> {
    return this.find(
      { tenantId, alertsPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) },
      { orderBy: { id: 'asc' }, limit, disableIdentityMap: true },
    );
  }

  /** The tenants with signals whose alerts hand-off has been pending since before `cutoff`. One query. */
  async tenantsWithPendingAlerts(cutoff: Date): Promise<string[]> {
    const rows = (await this.createQueryBuilder('s').select('s.tenant_id').distinct().where({ alertsPendingSince: { $lt: cutoff } }).execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }
}
