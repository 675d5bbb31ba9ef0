import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { directionOf, measurementOf, type OutcomeKind } from '../domain/playbook-measurement';
import type { AssignedArm } from '../domain/plan-assignments';
import { DEFAULT_CONFIDENCE } from '../domain/uplift/confidence';
import { playbookImpact, type ArmOutcomes, type ArmRevenue, type PlaybookImpact } from '../domain/uplift/playbook-impact';
import { wilsonInterval } from '../domain/uplift/wilson';
import type { ChannelCost } from '../domain/validate-channel';
import { ChannelRepository } from '../entities/channel.repository';
import { PlaybookAssignmentRepository } from '../entities/playbook-assignment.repository';
import { PlaybookOutcomeRepository } from '../entities/playbook-outcome.repository';
import { PlaybookRepository } from '../entities/playbook.repository';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';

/** One arm with its outcome rate (Wilson interval), when it has customers. */
export interface ArmReport extends ArmOutcomes {
  rate: { value: number; lower: number; upper: number } | null;
  /** REVENUE outcome only: mean revenue per customer (customers without revenue count as 0); else null. */
  meanRevenue: number | null;
}

/** What `playbookImpact` answers: the pure report plus what only the platform knows. */
export interface ImpactReport {
  playbookId: string;
  outcome: OutcomeKind;
  from: Date;
  to: Date;
  confidence: number;
  treatedArm: ArmReport;
  controlArm: ArmReport;
  globalControl: ArmReport | null;
  /** Σ per channel of messages sent × the channel's `costPerMessage`. */
  cost: number;
  /** Mean CLV of the treated customers whose CLV was known at assignment; null when none was. */
  meanClv: number | null;
  impact: PlaybookImpact;
}

/**
 * What a playbook changed over a period (issue #13), for one tenant. Counts the customers
 * assigned in [from, to) — whether their outcome window has closed or is still open: both arms
 * are assigned alike, so open windows lower both rates alike and the comparison stays fair —
 * per arm with SQL aggregates (never loading the rows), then hands them to the pure
 * `playbookImpact`. Reads: the playbook, two aggregates, one per-channel count of sends, the channels;
 * for a REVENUE outcome also the per-arm Σ and Σ² of revenue per customer (Welch's test).
 */
export class PlaybookImpactService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async impact(playbookId: string, from?: Date | null, to?: Date | null): Promise<ImpactReport> {
    const start = from ?? new Date(0);
    const end = to ?? this.now();
    if (!(start < end)) throw new AppError('BAD_USER_INPUT', 'to: must be after from', { field: 'to' });
    const playbook = await new PlaybookRepository(this.em, this.tenantId).findCurrent(playbookId);
    if (!playbook) throw new AppError('NOT_FOUND', `playbook ${playbookId} not found`, { field: 'id' });
    const m = measurementOf(playbook.measurement);
    const outcomes = new PlaybookOutcomeRepository(this.em, this.tenantId);
    const [arms, observed, sends, channels, moments] = await Promise.all([
      new PlaybookAssignmentRepository(this.em, this.tenantId).armCounts(playbookId, start, end),
      outcomes.armCounts(playbookId, start, end),
      new StepDeliveryRepository(this.em, this.tenantId).sentByChannel(playbookId, start, end),
      new ChannelRepository(this.em, this.tenantId).list(),
      m.outcome.kind === 'revenue' ? outcomes.revenueMoments(playbookId, start, end) : null,
    ]);
    const arm = (name: AssignedArm): ArmOutcomes => ({ customers: arms.get(name)?.customers ?? 0, outcomes: observed.get(`${name}|outcome`)?.customers ?? 0 });
    const treated = arm('treatment');
    const control = arm('control');
    const clv = arms.get('treatment');
    // customers whose CLV was unknown at assignment are taken at the mean of those whose was
    const meanClv = clv && clv.clvKnown > 0 ? clv.clvSum / clv.clvKnown : null;
    const costOf = new Map(channels.map((c) => [c.name, (c.config as ChannelCost).costPerMessage ?? 0]));
    let cost = 0;
    for (const [channel, n] of sends) cost += n * (costOf.get(channel) ?? 0);
    const revenueOf = (name: AssignedArm): ArmRevenue => moments?.get(name) ?? { sum: 0, sumSquares: 0 };
    const revenue = moments ? { treated: revenueOf('treatment'), control: revenueOf('control') } : null;
    const impact = playbookImpact({ treated, control, direction: directionOf(m.outcome.kind), treatedClvSum: (meanClv ?? 0) * treated.customers, cost, holdoutFraction: m.holdoutFraction, revenue });
    const confidence = impact.status === 'measured' ? impact.confidence : DEFAULT_CONFIDENCE;
    const global = arm('global_control');
    return {
      playbookId,
      outcome: m.outcome.kind,
      from: start,
      to: end,
      confidence,
      treatedArm: withRate(treated, confidence, moments && revenueOf('treatment')),
      controlArm: withRate(control, confidence, moments && revenueOf('control')),
      globalControl: global.customers > 0 ? withRate(global, confidence, moments && revenueOf('global_control')) : null,
      cost,
      meanClv,
      impact,
    };
  }
}

function withRate(arm: ArmOutcomes, confidence: number, revenue: ArmRevenue | null): ArmReport {
  if (arm.customers === 0) return { ...arm, rate: null, meanRevenue: null };
  const meanRevenue = revenue ? revenue.sum / arm.customers : null;
  return { ...arm, rate: { value: arm.outcomes / arm.customers, ...wilsonInterval(arm.outcomes, arm.customers, confidence) }, meanRevenue };
}
