import type { EntityManager } from '../../common/orm';
import type { ExperimentStep } from '../domain/playbook';
import type { WinnerDecision } from '../domain/uplift/auto-winner';
import type { MsprtState } from '../domain/uplift/msprt';
import { Experiment } from './experiment.entity';

/** The experiments of one tenant's playbooks. */
export class ExperimentRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Records the experiment steps of a playbook version: one multi-row upsert on (playbook, key)
   * that keeps the id, the sequential state and any winner of an experiment already known, and
   * takes the new version's definition.
   */
  async sync(playbookId: string, playbookVersion: number, steps: readonly ExperimentStep[], now: Date): Promise<void> {
    if (steps.length === 0) return;
    const rows = steps.map((definition) => this.em.create(Experiment, { tenantId: this.tenantId, playbookId, key: definition.key, playbookVersion, definition, createdAt: now, updatedAt: now }, { persist: false }));
    await this.em.upsertMany(Experiment, rows, { onConflictFields: ['tenantId', 'playbookId', 'key'], onConflictAction: 'merge', onConflictMergeFields: ['playbookVersion', 'definition', 'updatedAt'] });
  }

  find(id: string): Promise<Experiment | null> {
    return this.em.findOne(Experiment, { tenantId: this.tenantId, id }, { refresh: true });
  }

  byKey(playbookId: string, key: string): Promise<Experiment | null> {
    return this.em.findOne(Experiment, { tenantId: this.tenantId, playbookId, key }, { refresh: true });
  }

  ofPlaybook(playbookId: string): Promise<Experiment[]> {
    return this.em.find(Experiment, { tenantId: this.tenantId, playbookId }, { orderBy: { createdAt: 'asc', key: 'asc' }, refresh: true });
  }

  /** These experiments, one SELECT. */
  many(ids: readonly string[]): Promise<Experiment[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.em.find(Experiment, { tenantId: this.tenantId, id: { $in: [...new Set(ids)] } }, { refresh: true });
  }

  /** Stores the sequential state after a look (a lost concurrent look only makes the running p-value larger). */
  async saveLook(id: string, sequential: Record<string, MsprtState>, now: Date): Promise<void> {
    await this.em.nativeUpdate(Experiment, { tenantId: this.tenantId, id }, { sequential, lastLookAt: now, updatedAt: now });
  }

  /** Records the winner once: a compare-and-set on `winner_arm is null`. True when this call decided it. */
  async decideWinner(id: string, decision: WinnerDecision, now: Date): Promise<boolean> {
    const n = await this.em.nativeUpdate(Experiment, { tenantId: this.tenantId, id, winnerArm: null }, { winnerArm: decision.arm, winnerDecidedAt: now, winnerDecision: decision, updatedAt: now });
    return n === 1;
  }
}
