import type { EntityManager } from '../../common/orm';
import { stateKey, type RuleState } from '../domain/evaluate-alert-rules';
import { AlertRuleState } from './alert-rule-state.entity';

/** (rule, profile) states of one tenant, read and written once per batch. */
export class AlertRuleStateRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** The states of these rules for these profiles, keyed by `stateKey`. One SELECT. */
  async statesOf(ruleIds: readonly string[], profileIds: readonly string[]): Promise<Map<string, RuleState>> {
    const states = new Map<string, RuleState>();
    if (ruleIds.length === 0 || profileIds.length === 0) return states;
    const rows = await this.em.find(
      AlertRuleState,
      { tenantId: this.tenantId, ruleId: { $in: [...ruleIds] }, profileId: { $in: [...new Set(profileIds)] } },
      { disableIdentityMap: true },
    );
    for (const r of rows) states.set(stateKey(r.ruleId, r.profileId), { ruleId: r.ruleId, profileId: r.profileId, active: r.active, lastTriggerId: r.lastTriggerId, lastFiredAt: r.lastFiredAt });
    return states;
  }

  /** One multi-row upsert of the states a batch moved. */
  async saveAll(states: readonly RuleState[]): Promise<void> {
    if (states.length === 0) return;
    const rows = states.map((s) =>
      this.em.create(AlertRuleState, { tenantId: this.tenantId, ruleId: s.ruleId, profileId: s.profileId, active: s.active, lastTriggerId: s.lastTriggerId, lastFiredAt: s.lastFiredAt }, { persist: false }),
    );
    await this.em.upsertMany(AlertRuleState, rows, {
      onConflictFields: ['tenantId', 'ruleId', 'profileId'],
      onConflictAction: 'merge',
      onConflictMergeFields: ['active', 'lastTriggerId', 'lastFiredAt', 'updatedAt'],
    });
  }
}
