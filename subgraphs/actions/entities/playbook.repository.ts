import type { EntityManager } from '../../common/orm';
import { PlaybookVersion } from './playbook-version.entity';

/** Playbook versions of one tenant. */
export class PlaybookRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** The current version of every playbook, in creation order. One SELECT. */
  current(includeArchived: boolean): Promise<PlaybookVersion[]> {
    return this.em.find(PlaybookVersion, { tenantId: this.tenantId, current: true, ...(includeArchived ? {} : { archived: false }) }, { orderBy: { createdAt: 'asc', playbookId: 'asc' } });
  }

  findCurrent(playbookId: string): Promise<PlaybookVersion | null> {
    return this.em.findOne(PlaybookVersion, { tenantId: this.tenantId, playbookId, current: true });
  }

  /** The current versions of these playbooks. One SELECT. */
  currentOf(playbookIds: readonly string[]): Promise<PlaybookVersion[]> {
    if (playbookIds.length === 0) return Promise.resolve([]);
    return this.em.find(PlaybookVersion, { tenantId: this.tenantId, playbookId: { $in: [...new Set(playbookIds)] }, current: true }, { disableIdentityMap: true });
  }

  /**
   * Pauses this version if it is still current and not paused (compare-and-set, one UPDATE), so
   * two jobs that both find a guardrail worse pause it once. True for the call that paused it.
   */
  async pause(versionId: string, reason: string, now: Date): Promise<boolean> {
    const changed = await this.em.nativeUpdate(PlaybookVersion, { tenantId: this.tenantId, id: versionId, current: true, pausedAt: null }, { pausedAt: now, pauseReason: reason, updatedAt: now });
    return changed === 1;
  }

  /** These exact versions (what runs were enrolled under). One SELECT. */
  async versionsOf(keys: readonly { playbookId: string; version: number }[]): Promise<Map<string, PlaybookVersion>> {
    const out = new Map<string, PlaybookVersion>();
    if (keys.length === 0) return out;
    const rows = await this.em.find(PlaybookVersion, { tenantId: this.tenantId, $or: keys.map((k) => ({ playbookId: k.playbookId, version: k.version })) }, { disableIdentityMap: true });
    for (const r of rows) out.set(versionKey(r.playbookId, r.version), r);
    return out;
  }
}

export function versionKey(playbookId: string, version: number): string {
  return `${playbookId}@${version}`;
}
