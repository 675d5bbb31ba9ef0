import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import { ProfileAliases } from '../../common/profile-aliases';
import { evaluateRiskChanges, type RiskChangeFacts } from '../domain/evaluate-alert-rules';
import { Alert, type AlertSeverity } from '../entities/alert.entity';
import { AlertRuleStateRepository } from '../entities/alert-rule-state.repository';
import { AlertRuleRepository, specOf } from '../entities/alert-rule.repository';
import { ChannelRepository } from '../entities/channel.repository';
import { ProfileAlias } from '../entities/profile-alias.entity';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { PlaybookRunService, type Enrolment } from './playbook-runs.service';
import type { StepToQueue } from './queue-playbook-steps';
import { storeAlerts } from './store-alerts';

/**
 * The batch stage of alerting: every active rule of the tenant against every risk change of a
 * batch, in memory. Reads: the rules, the profiles' merge aliases, the (rule, profile) states.
 * Writes, in one transaction: the new alerts (one multi-row insert-or-ignore on the source key),
 * the moved states (one multi-row upsert) and one webhook outbox row per (new alert, subscribed
 * webhook channel) (one multi-row insert-or-ignore). A replayed batch finds its scores already
 * seen and its alerts already stored: it raises and delivers nothing new.
 *
 * Playbooks ride along in the same transaction: an inserted alert whose rule names a playbook
 * enrols its profile (one multi-row insert-or-ignore of runs), and a change back to Low ends the
 * profile's live runs whose playbook exits on it (also during a wait).
 */
export class RaiseAlertsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * The alerts this call inserted, their webhook outbox rows, and the first playbook steps of the
   * runs it enrolled (both to queue after the commit).
   */
  async raise(changes: readonly RiskChangeFacts[], now = new Date()): Promise<{ alerts: Alert[]; deliveries: WebhookDelivery[]; steps: StepToQueue[]; runsEnded: number }> {
    const none = { alerts: [], deliveries: [], steps: [], runsEnded: 0 };
    if (changes.length === 0) return none;
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(changes.map((c) => c.profileId))]);
    // a change of a merged-away profile counts for its survivor, the profile the alert must land on
    const followed = changes.map((c) => ({ ...c, profileId: survivors.get(c.profileId) ?? c.profileId }));
    const rules = (await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault()).filter((r) => r.enabled && !r.archived).map(specOf);
    // back to Low: a first score that is Low is no return, and must not end a run it never risked
    const lowered = [...new Set(followed.filter((c) => c.bucket === 'low' && c.previousBucket !== null && c.previousBucket !== 'low').map((c) => c.profileId))];
    if (rules.length === 0) {
      const runsEnded = lowered.length ? await new PlaybookRunService(this.em, this.tenantId).endOnLowRisk(lowered, now) : 0;
      return { ...none, runsEnded };
    }
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
          signalAt: change.scoredAt ?? null,
          sourceKey,
          createdAt: now,
          updatedAt: now,
        },
        { persist: false },
      ),
    );
    const endpoints = rows.length ? await new ChannelRepository(this.em, this.tenantId).subscribedTo('alert.raised') : [];
    const playbookOf = new Map(rules.filter((r) => r.playbookId).map((r) => [r.id, r.playbookId!]));
    // the CLV risk sent with the change that fired, for the assignment log (revenue protected)
    const clvOf = new Map(followed.map((c) => [c.scoreId, c.clv]));
    return this.em.transactional(async (tx) => {
      const enrolmentOf = (a: Alert): Enrolment | null => {
        const playbookId = a.ruleId ? playbookOf.get(a.ruleId) : undefined;
        return playbookId
          ? { playbookId, profileId: a.profileId, enrolledBy: `alert:${a.id}`, risk: { score: a.score, bucket: a.bucket, kind: a.scoreKind, previousBucket: a.previousBucket }, alert: { id: a.id, message: a.message, severity: a.severity, team: a.team, type: a.type }, clv: a.scoreId ? (clvOf.get(a.scoreId) ?? null) : null }
          : null;
      };
      const { alerts, deliveries, steps, runs } = await storeAlerts(tx, this.tenantId, { rows, states: plan.states, endpoints, enrolmentOf }, now);
      const runsEnded = lowered.length ? await runs.endOnLowRisk(lowered, now) : 0;
      return { alerts, deliveries, steps, runsEnded };
    });
  }
}
