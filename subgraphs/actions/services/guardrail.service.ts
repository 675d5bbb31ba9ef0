import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import { measurementOf } from '../domain/playbook-measurement';
import { guardrailWorse, type GuardrailVerdict } from '../domain/uplift/guardrail-test';
import { Alert, AlertSeverity, NO_PROFILE } from '../entities/alert.entity';
import { ChannelRepository } from '../entities/channel.repository';
import { PlaybookAssignmentRepository } from '../entities/playbook-assignment.repository';
import { PlaybookOutcomeRepository } from '../entities/playbook-outcome.repository';
import type { PlaybookVersion } from '../entities/playbook-version.entity';
import { PlaybookRepository } from '../entities/playbook.repository';
import { PlaybookRunRepository } from '../entities/playbook-run.repository';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { storeAlerts } from './store-alerts';

/** The team a guardrail alert goes to. */
export const GUARDRAIL_TEAM = 'cx';
/** `endReason` of the runs a guardrail pause ended. */
export const GUARDRAIL_END_REASON = 'playbook paused by a guardrail';

/** A playbook a guardrail check paused. */
export interface GuardrailPause {
  playbookId: string;
  version: number;
  verdict: GuardrailVerdict;
  runsEnded: number;
  /** The alert this check inserted (null on a replay that found it stored): to publish after the commit. */
  alert: Alert | null;
  /** Its webhook outbox rows, one per channel subscribed to `alert.raised`: to queue after the commit. */
  deliveries: WebhookDelivery[];
}

/**
 * Auto-pause on guardrails (issue #13), for one tenant, inside the caller's transaction. For each
 * playbook that just got guardrail events: customers per arm and customers with a guardrail event
 * per arm, two SQL aggregates over the assignments since `guardrailsFrom` (never loading rows),
 * then the pure `guardrailWorse`. When the treated arm is significantly worse: the current
 * version is paused by compare-and-set (so it happens once however many jobs race), the
 * playbook's live runs are ended (one UPDATE; ending, not holding, because a paused playbook's
 * message is the harm), and one alert is raised for the team, keyed on
 * `guardrail-<playbookId>-<version>[-<guardrailsFrom>]`, so a replay raises nothing new. The alert
 * is stored through `storeAlerts`, the write every alert-raising path shares, so it gets its
 * `alert.raised` webhook outbox rows in the same transaction; the caller publishes `alertRaised`
 * and queues the delivery tries after the commit.
 */
export class GuardrailService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  async check(playbookIds: readonly string[], now: Date): Promise<GuardrailPause[]> {
    const playbooks = new PlaybookRepository(this.em, this.tenantId);
    const versions = (await playbooks.currentOf(playbookIds)).filter((v) => !v.archived && !v.pausedAt);
    const paused: GuardrailPause[] = [];
    for (const version of versions) {
      const verdict = await this.verdictOf(version, now);
      if (!verdict.worse || !(await playbooks.pause(version.id, verdict.reason, now))) continue;
      const runsEnded = await new PlaybookRunRepository(this.em, this.tenantId).endLiveOf(version.playbookId, GUARDRAIL_END_REASON, now);
      const endpoints = await new ChannelRepository(this.em, this.tenantId).subscribedTo('alert.raised');
      // no rule state moves and a guardrail alert enrols nobody: only the alert and its outbox rows
      const { alerts, deliveries } = await storeAlerts(this.em, this.tenantId, { rows: [this.alertOf(version, verdict, now)], states: [], endpoints, enrolmentOf: () => null }, now);
      paused.push({ playbookId: version.playbookId, version: version.version, verdict, runsEnded, alert: alerts[0] ?? null, deliveries });
    }
    return paused;
  }

  private async verdictOf(version: PlaybookVersion, now: Date): Promise<GuardrailVerdict> {
    const from = version.guardrailsFrom ?? new Date(0);
    // to just after now: an assignment made at `now` by the same clock counts
    const to = new Date(now.getTime() + 1);
    const [arms, observed] = await Promise.all([
      new PlaybookAssignmentRepository(this.em, this.tenantId).armCounts(version.playbookId, from, to),
      new PlaybookOutcomeRepository(this.em, this.tenantId).armCounts(version.playbookId, from, to),
    ]);
    const arm = (name: 'treatment' | 'control') => ({ customers: arms.get(name)?.customers ?? 0, events: observed.get(`${name}|guardrail`)?.customers ?? 0 });
    return guardrailWorse(arm('treatment'), arm('control'));
  }

  private alertOf(version: PlaybookVersion, verdict: GuardrailVerdict, now: Date): Alert {
    const since = version.guardrailsFrom ? `-${version.guardrailsFrom.getTime()}` : '';
    const message = `Playbook "${version.name}" paused: ${verdict.reason}. Its live runs were ended; resume it with resumePlaybook once the cause is fixed.`;
    return this.em.create(
      Alert,
      {
        id: uuidv7(),
        tenantId: this.tenantId,
        // about a playbook, not a customer
        profileId: NO_PROFILE,
        type: 'guardrail',
        score: 0,
        message,
        severity: AlertSeverity.HIGH,
        team: GUARDRAIL_TEAM,
        reasons: [
          {
            factor: 'guardrail',
            contribution: (verdict.treatedRate ?? 0) - (verdict.controlRate ?? 0),
            description: verdict.reason,
            evidence: [`playbook ${version.playbookId} version ${version.version}`, `guardrails: ${measurementOf(version.measurement).guardrails.join(', ')}`],
          },
        ],
        sourceKey: `guardrail-${version.playbookId}-${version.version}${since}`,
        createdAt: now,
        updatedAt: now,
      },
      { persist: false },
    );
  }
}
