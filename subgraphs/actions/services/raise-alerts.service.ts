import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import { ProfileAliases } from '../../common/profile-aliases';
import { evaluateRiskChanges, type RiskChangeFacts } from '../domain/evaluate-alert-rules';
import { Alert, type AlertSeverity } from '../entities/alert.entity';
import { AlertRepository } from '../entities/alert.repository';
import { AlertRuleStateRepository } from '../entities/alert-rule-state.repository';
import { AlertRuleRepository, specOf } from '../entities/alert-rule.repository';
import { ChannelRepository } from '../entities/channel.repository';
import { ProfileAlias } from '../entities/profile-alias.entity';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { WebhookDeliveryRepository } from '../entities/webhook-delivery.repository';
import { alertDeliveries } from './webhook-delivery.service';

/**
 * The batch stage of alerting: every active rule of the tenant against every risk change of a
 * batch, in memory. Reads: the rules, the profiles' merge aliases, the (rule, profile) states.
 * Writes, in one transaction: the new alerts (one multi-row insert-or-ignore on the source key),
 * the moved states (one multi-row upsert) and one webhook outbox row per (new alert, subscribed
 * webhook channel) (one multi-row insert-or-ignore). A replayed batch finds its scores already
 * seen and its alerts already stored: it raises and delivers nothing new.
 */
export class RaiseAlertsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** Returns the alerts this call inserted (none on a replay). */
  async raiseFor(changes: readonly RiskChangeFacts[], now = new Date()): Promise<Alert[]> {
    return (await this.raiseWithDeliveries(changes, now)).alerts;
  }

  /** The alerts this call inserted and their webhook outbox rows (to queue after the commit). */
  async raiseWithDeliveries(changes: readonly RiskChangeFacts[], now = new Date()): Promise<{ alerts: Alert[]; deliveries: WebhookDelivery[] }> {
    const none = { alerts: [], deliveries: [] };
    if (changes.length === 0) return none;
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(changes.map((c) => c.profileId))]);
    // a change of a merged-away profile counts for its survivor, the profile the alert must land on
    const followed = changes.map((c) => ({ ...c, profileId: survivors.get(c.profileId) ?? c.profileId }));
    const rules = (await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault()).filter((r) => r.enabled && !r.archived).map(specOf);
    if (rules.length === 0) return none;
    const states = new AlertRuleStateRepository(this.em, this.tenantId);
    const before = await states.statesOf(rules.map((r) => r.id), followed.map((c) => c.profileId));
    const plan = evaluateRiskChanges(rules, followed, before, now);
    const rows = plan.firings.map(({ rule, change, sourceKey, type, message }) =>
      this.em.create(
        Alert,
        {
          id: uuidv7(),
          tenantId: this.tenantId,
          profileId: change.profileId,
          type,
          score: change.score,
          message,
          severity: rule.severity as AlertSeverity,
          team: rule.team,
          ruleId: rule.id,
          ruleVersion: rule.version,
          scoreId: change.scoreId,
          scoreKind: change.kind,
          previousScore: change.previousScore,
          bucket: change.bucket,
          previousBucket: change.previousBucket,
          reasons: change.reasons,
          sourceKey,
          createdAt: now,
          updatedAt: now,
        },
        { persist: false },
      ),
    );
    const endpoints = rows.length ? await new ChannelRepository(this.em, this.tenantId).subscribedTo('alert.raised') : [];
    return this.em.transactional(async (tx) => {
      const inserted = await new AlertRepository(tx, this.tenantId).insertIgnoring(rows);
      await new AlertRuleStateRepository(tx, this.tenantId).saveAll(plan.states);
      const deliveries = await new WebhookDeliveryRepository(tx, this.tenantId).insertIgnoring(alertDeliveries(tx, inserted, endpoints, now));
      return { alerts: inserted, deliveries };
    });
  }
}
