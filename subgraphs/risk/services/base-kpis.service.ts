import type { KpiPeriod } from '../../common/kpi-period';
import type { EntityManager } from '../../common/orm';
import { churnedByLabel, churnKpi, clvKpi, revenueAtRiskKpi, type BaseSnapshot, type ChurnKpi, type ClvKpi, type RevenueAtRiskKpi } from '../domain/base-kpis';
import { ModelKind } from '../entities/model-version.entity';
import { RiskScoreRepository } from '../entities/risk-score.repository';
import { activeModels } from './active-models';

/** The risk part of one KPI report. */
export interface BaseKpis {
  churn: ChurnKpi;
  clv: ClvKpi;
  revenueAtRisk: RevenueAtRiskKpi;
}

/**
 * The risk part of the KPI report (issue #13) for one tenant: the scored base at `from` and at `to`
 * (two set-based reads, leaving out customers the active churn model's label calls churned by
 * then), handed to the pure `base-kpis` functions. The three fields of a report
 * share one pair of reads per request (memoised by period).
 */
export class BaseKpisService {
  private readonly reports = new Map<string, Promise<BaseKpis>>();

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  of(period: KpiPeriod): Promise<BaseKpis> {
    const key = `${period.from.getTime()}-${period.to.getTime()}`;
    let report = this.reports.get(key);
    if (!report) {
      report = this.compute(period);
      this.reports.set(key, report);
    }
    return report;
  }

  private async compute({ from, to }: KpiPeriod): Promise<BaseKpis> {
    const scores = new RiskScoreRepository(this.em, this.tenantId);
    // customers who have churned (by the active churn model's label) are no longer the base
    const model = (await activeModels(this.em, this.tenantId))[ModelKind.CHURN];
    const churned = churnedByLabel(model?.settings, model?.params as Record<string, unknown> | undefined);
    // the base as it stood just before the period opened, and as it stands when it closes
    const start: BaseSnapshot = await scores.baseAt(from, churned);
    const end: BaseSnapshot = await scores.baseAt(to, churned);
    return { churn: churnKpi(start, end), clv: clvKpi(start, end), revenueAtRisk: revenueAtRiskKpi(start, end) };
  }
}
