import type { Config } from '../../common/config';
import type { KpiPeriod } from '../../common/kpi-period';
import type { EntityManager } from '../../common/orm';
import { npsKpi, type NpsKpi } from '../domain/nps';
import { SurveyAnswerRepository } from '../entities/survey-answer.repository';

/** The signals part of the KPI report (issue #13): NPS of the survey events in the period. */
export class NpsKpisService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly settings: Config['kpis'],
  ) {}

  async of({ from, to }: KpiPeriod): Promise<NpsKpi> {
    const counts = await new SurveyAnswerRepository(this.em, this.tenantId).countByWeek(this.settings.npsEvent, this.settings.npsProperty, from, to);
    return npsKpi(counts, from);
  }
}
