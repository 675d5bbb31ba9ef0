import type { KpiPeriod } from '../../common/kpi-period';
import type { EntityManager } from '../../common/orm';
import {
  nextBestActionKpi,
  proactiveResolutionKpi,
  signalToFirstActionKpi,
  type LatencyKpi,
  type NextBestActionKpi,
  type ProactiveResolutionKpi,
} from '../domain/action-kpis';
import { AlertRepository } from '../entities/alert.repository';
import { PlaybookAssignmentRepository } from '../entities/playbook-assignment.repository';

/**
 * The actions part of the KPI report (issue #13) for one tenant, over [from, to): each field one
 * read (SQL aggregates) handed to the pure `action-kpis` functions.
 */
export class ActionKpisService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  async proactiveResolution({ from, to }: KpiPeriod): Promise<ProactiveResolutionKpi> {
    const { alerts, saved } = await new AlertRepository(this.em, this.tenantId).resolutionCounts(from, to);
    return proactiveResolutionKpi(alerts, saved);
  }

  async nextBestActionAccuracy({ from, to }: KpiPeriod): Promise<NextBestActionKpi> {
    const arms = await new PlaybookAssignmentRepository(this.em, this.tenantId).goalCounts(from, to);
    const arm = (name: 'treatment' | 'control') => arms.get(name) ?? { customers: 0, goalsMet: 0 };
    return nextBestActionKpi(arm('treatment'), arm('control'));
  }

  async signalToFirstAction({ from, to }: KpiPeriod): Promise<LatencyKpi> {
    const firsts = await new AlertRepository(this.em, this.tenantId).firstActions(from, to);
    // a message claimed before its alert's row was stamped cannot wait less than nothing
    return signalToFirstActionKpi(firsts.map((f) => Math.max(0, f.firstSentAt.getTime() - f.raisedAt.getTime())));
  }
}
