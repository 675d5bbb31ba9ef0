import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import { ProfileAliases } from '../../common/profile-aliases';
import type { AlertTriggerType } from '../domain/alert-rule';
import { candidateKeys, evaluateTriggers, type DescribeFiring, type TriggerFacts } from '../domain/evaluate-trigger-rules';
import { Alert, type AlertSeverity } from '../entities/alert.entity';
import { AlertRepository } from '../entities/alert.repository';
import { AlertRuleStateRepository } from '../entities/alert-rule-state.repository';
import { AlertRuleRepository, specOf } from '../entities/alert-rule.repository';
import { ChannelRepository } from '../entities/channel.repository';
import { ProfileAlias } from '../entities/profile-alias.entity';
import { SegmentStayRepository } from '../entities/segment-stay.repository';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import type { Enrolment } from './playbook-runs.service';
import type { StepToQueue } from './queue-playbook-steps';
import { storeAlerts } from './store-alerts';

/**
 * The batch stage of the event-like alert triggers (FRICTION_SIGNAL, SEGMENT, JOURNEY): every rule
 * of one trigger type of the tenant against every fact of a batch, in memory (`evaluateTriggers`).
 * Reads: the rules, the profiles' merge aliases and current segments (the actions stage's copy,
 * `SegmentStay`), the source keys already alerted on, the (rule, profile) states. Writes, in one transaction (`storeAlerts`): the alerts (keyed on rule + fact),
 * the states, the webhook outbox rows and the playbook runs the alerts enrol. A replayed batch
 * raises nothing new.
 */
export class RaiseTriggerAlertsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * The alerts this call inserted, their webhook outbox rows, and the first steps of the runs it
   * enrolled (both to queue after the commit). `facts` in the order they happened.
   */
  async raise<F extends TriggerFacts>(
    triggerType: AlertTriggerType,
    facts: readonly F[],
    describe: DescribeFiring<F>,
    now = new Date(),
  ): Promise<{ alerts: Alert[]; deliveries: WebhookDelivery[]; steps: StepToQueue[] }> {
    const none = { alerts: [], deliveries: [], steps: [] };
    if (facts.length === 0) return none;
    const rules = (await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault()).filter((r) => r.enabled && !r.archived && r.trigger.type === triggerType).map(specOf);
    if (rules.length === 0) return none;
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(facts.map((f) => f.profileId))]);
    // a fact of a merged-away profile counts for its survivor, the profile the alert must land on;
    // its segments are the ones actions has heard of (the stay copy) and the ones the fact shows
    const survivorOf = (id: string) => survivors.get(id) ?? id;
    const segments = await new SegmentStayRepository(this.em, this.tenantId).currentOf(facts.map((f) => survivorOf(f.profileId)));
    const followed = facts.map((f) => {
      const profileId = survivorOf(f.profileId);
      return { ...f, profileId, segmentIds: [...new Set([...f.segmentIds, ...(segments.get(profileId) ?? [])])] };
    });
    const keys = candidateKeys(rules, followed, describe);
    if (keys.length === 0) return none;
    const raised = await new AlertRepository(this.em, this.tenantId).existingSourceKeys(keys);
    const before = await new AlertRuleStateRepository(this.em, this.tenantId).statesOf(
      rules.map((r) => r.id),
      followed.map((f) => f.profileId),
    );
    const plan = evaluateTriggers(rules, followed, describe, before, raised, now);
    if (plan.firings.length === 0) return none;
    const rows = plan.firings.map(({ rule, profileId, triggerId, sourceKey, type, message, score, reasons, at }) =>
      this.em.create(
        Alert,
        {
          id: uuidv7(),
          tenantId: this.tenantId,
          profileId,
          type,
          score,
          message,
          severity: rule.severity as AlertSeverity,
          team: rule.team,
          ruleId: rule.id,
          ruleVersion: rule.version,
          triggerId,
          reasons,
          signalAt: at,
          sourceKey,
          createdAt: now,
          updatedAt: now,
        },
        { persist: false },
      ),
    );
    const endpoints = await new ChannelRepository(this.em, this.tenantId).subscribedTo('alert.raised');
    const playbookOf = new Map(rules.filter((r) => r.playbookId).map((r) => [r.id, r.playbookId!]));
    const enrolmentOf = (a: Alert): Enrolment | null => {
      const playbookId = a.ruleId ? playbookOf.get(a.ruleId) : undefined;
      return playbookId ? { playbookId, profileId: a.profileId, enrolledBy: `alert:${a.id}`, alert: { id: a.id, message: a.message, severity: a.severity, team: a.team, type: a.type } } : null;
    };
    return this.em.transactional(async (tx) => {
      const { alerts, deliveries, steps } = await storeAlerts(tx, this.tenantId, { rows, states: plan.states, endpoints, enrolmentOf }, now);
      return { alerts, deliveries, steps };
    });
  }
}
