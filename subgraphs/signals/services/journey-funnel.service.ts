import type { FilterQuery } from '@mikro-orm/core';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { funnelSteps, shareOf } from '../domain/journeys/funnel';
import { JourneyInstance } from '../entities/journey-instance.entity';
import { JourneyStepTime } from '../entities/journey-step.entity';
import type { JourneyDefinitionService } from './journey-definition.service';

/** The funnel of one definition, in the shape of the `JourneyFunnel` GraphQL type. */
export interface JourneyFunnelData {
  definitionId: string;
  from: Date | null;
  to: Date | null;
  entered: number;
  completed: number;
  completionRate: number;
  active: number;
  stalled: number;
  abandoned: number;
  steps: { key: string; reached: number; conversion: number; conversionFromStart: number; medianTimeMs: number | null }[];
}

/** Journey analytics of one tenant: the funnel of a definition over a cohort of instances. */
export class JourneyFunnelService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly definitions: JourneyDefinitionService,
  ) {}

  /**
   * Entered, completed, reached per step, conversion and median time per step, and state counts,
   * over the instances that started in [from, to) (either bound optional). Aggregated in SQL;
   * each median reads one or two rows through the (definition, step, duration) index.
   */
  async funnel(definitionId: string, from: Date | null = null, to: Date | null = null): Promise<JourneyFunnelData> {
    const def = await this.definitions.requireDefinition(definitionId);
    if (from && to && from >= to) throw new AppError('BAD_USER_INPUT', '`from` must be before `to`');
    const window = { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) };
    const base = { tenantId: this.tenantId, definitionId: def.id };
    const cohort: FilterQuery<JourneyInstance> = { ...base, ...(from || to ? { startedAt: window } : {}) };
    const stepCohort: FilterQuery<JourneyStepTime> = { ...base, ...(from || to ? { instanceStartedAt: window } : {}) };

    const instances = this.em.getRepository(JourneyInstance);
    const stepTimes = this.em.getRepository(JourneyStepTime);
    const states = await instances.countsByState(cohort);
    const atIndex = await instances.countsByStepIndex(cohort);
    const durationCounts = await stepTimes.durationCountsByStep(stepCohort);

    const entered = [...states.values()].reduce((a, b) => a + b, 0);
    const counts = funnelSteps(
      def.steps.map((s) => s.key),
      entered,
      atIndex,
    );
    const steps: JourneyFunnelData['steps'] = [];
    for (const [k, step] of counts.entries()) {
      const n = durationCounts.get(k) ?? 0;
      steps.push({ ...step, medianTimeMs: n ? await stepTimes.medianDuration(stepCohort, k, n) : null });
    }
    const completed = states.get('completed') ?? 0;
    return {
      definitionId: def.id,
      from,
      to,
      entered,
      completed,
      completionRate: shareOf(completed, entered),
      active: states.get('active') ?? 0,
      stalled: states.get('stalled') ?? 0,
      abandoned: states.get('abandoned') ?? 0,
      steps,
    };
  }
}
