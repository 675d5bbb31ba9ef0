import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import { ProfileAliases } from '../../common/profile-aliases';
import { evaluateSignals, matchesSignal, signalSourceKey, type SignalFacts } from '../domain/evaluate-signal-rules';
import { Alert, type AlertSeverity } from '../entities/alert.entity';
import { AlertRepository } from '../entities/alert.repository';
import { AlertRuleStateRepository } from '../entities/alert-rule-state.repository';
import { AlertRuleRepository, specOf } from '../entities/alert-rule.repository';
import { ChannelRepository } from '../entities/channel.repository';
import { ProfileAlias } from '../entities/profile-alias.entity';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import type { Enrolment } from './playbook-runs.service';
import type { StepToQueue } from './queue-playbook-steps';
import { storeAlerts } from './store-alerts';

/**
 * The batch stage of FRICTION_SIGNAL alert rules: every such rule of the tenant against every
 * signal of a `signal-alerts` batch, in memory (`evaluateSignals`). Reads: the rules, the
 * profiles' merge aliases, the source keys already alerted on, the (rule, profile) states. Writes,
 * in one transaction (`storeAlerts`): the alerts (keyed on rule + signal), the states, the webhook
 * outbox rows and the playbook runs the alerts enrol. A replayed batch raises nothing new.
 */
export class RaiseSignalAlertsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** The alerts this call inserted, their webhook outbox rows, and the first steps of the runs it enrolled. */
  async raise(signals: readonly Omit<SignalFacts, 'segmentIds'>[], now = new Date()): Promise<{ alerts: Alert[]; deliveries: WebhookDelivery[]; steps: StepToQueue[] }> {
    const none = { alerts: [], deliveries: [], steps: [] };
    const rules = (await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault())
      .filter((r) => r.enabled && !r.archived && r.trigger.type === 'friction_signal')
      .map(specOf);
    if (signals.length === 0 || rules.length === 0) return none;
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(signals.map((s) => s.profileId))]);
    // a signal of a merged-away profile counts for its survivor, the profile the alert must land
    // on; the actions stage keeps no segment membership, so segment conditions see none
    const facts: SignalFacts[] = [...signals]
      .sort((a, b) => (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0))
      .map((s) => ({ ...s, profileId: survivors.get(s.profileId) ?? s.profileId, segmentIds: [] }));
    const candidates = facts.flatMap((s) => rules.filter((r) => r.trigger.type === 'friction_signal' && matchesSignal(r.trigger, s)).map((r) => ({ rule: r, signal: s })));
    if (candidates.length === 0) return none;
    const raised = await new AlertRepository(this.em, this.tenantId).existingSourceKeys(candidates.map((c) => signalSourceKey(c.rule.id, c.signal.signalId)));
    const before = await new AlertRuleStateRepository(this.em, this.tenantId).statesOf(
      [...new Set(candidates.map((c) => c.rule.id))],
      candidates.map((c) => c.signal.profileId),
    );
    const plan = evaluateSignals(rules, facts, before, raised, now);
    if (plan.firings.length === 0) return none;
    const rows = plan.firings.map(({ rule, signal, sourceKey, type, message, reasons }) =>
      this.em.create(
        Alert,
        {
          id: uuidv7(),
          tenantId: this.tenantId,
          profileId: signal.profileId,
          type,
          // the Alert contract has a 0–100 score: a signal's is its severity on that scale
          score: Math.round(signal.severity * 1000) / 10,
          message,
          severity: rule.severity as AlertSeverity,
          team: rule.team,
          ruleId: rule.id,
          ruleVersion: rule.version,
          triggerId: signal.signalId,
          reasons,
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
