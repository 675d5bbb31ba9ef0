import { EntityRepository } from '@mikro-orm/knex';

import type { ReportedSignal, SignalWindow } from '../domain/friction/detect-batch';
import type { FrictionFinding } from '../domain/friction/finding';
import { Signal } from './signal.entity';

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
}
