import type { EntityManager } from '../../common/orm';
import type { RuleState } from '../domain/evaluate-alert-rules';
import type { Alert } from '../entities/alert.entity';
import { AlertRepository } from '../entities/alert.repository';
import { AlertRuleStateRepository } from '../entities/alert-rule-state.repository';
import type { Channel } from '../entities/channel.entity';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { WebhookDeliveryRepository } from '../entities/webhook-delivery.repository';
import { PlaybookRunService, type Enrolment } from './playbook-runs.service';
import type { StepToQueue } from './queue-playbook-steps';
import { alertDeliveries } from './webhook-delivery.service';

/** What a batch of rule evaluations writes. */
export interface AlertsToStore {
  /** The alerts the rules fired, not yet stored (their source keys make the insert idempotent). */
  rows: readonly Alert[];
  /** Every (rule, profile) state the evaluation moved. */
  states: readonly RuleState[];
  /** The tenant's webhook channels subscribed to `alert.raised`. */
  endpoints: readonly Channel[];
  /** The playbook enrolment an inserted alert asks for (its rule names a playbook), else null. */
  enrolmentOf(alert: Alert): Enrolment | null;
}

/**
 * The write of every alert-raising batch, inside the caller's transaction `tx`: the alerts (one
 * multi-row insert-or-ignore on the source key), the moved states (one multi-row upsert), one
 * webhook outbox row per (inserted alert, endpoint), and the playbook runs the inserted alerts
 * enrol. Only alerts this call inserted deliver and enrol, so a replayed batch does neither twice.
 * Returns what to publish and queue after the commit.
 */
export async function storeAlerts(
  tx: EntityManager,
  tenantId: string,
  { rows, states, endpoints, enrolmentOf }: AlertsToStore,
  now: Date,
): Promise<{ alerts: Alert[]; deliveries: WebhookDelivery[]; steps: StepToQueue[]; runs: PlaybookRunService }> {
  const alerts = await new AlertRepository(tx, tenantId).insertIgnoring(rows);
  await new AlertRuleStateRepository(tx, tenantId).saveAll(states);
  const deliveries = await new WebhookDeliveryRepository(tx, tenantId).insertIgnoring(alertDeliveries(tx, alerts, endpoints, now));
  const runs = new PlaybookRunService(tx, tenantId);
  const { steps } = await runs.enrol(alerts.flatMap((a) => enrolmentOf(a) ?? []), now);
  return { alerts, deliveries, steps, runs };
}
