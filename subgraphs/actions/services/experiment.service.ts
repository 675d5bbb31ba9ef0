import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { CONTROL_ARM } from '../domain/uplift/assignment';
import { lookForWinner, type WinnerDecision } from '../domain/uplift/auto-winner';
import { expectedArmFractions, experimentShares, type WeightedArm } from '../domain/uplift/experiment-assignment';
import { experimentResults, type ExperimentResults } from '../domain/uplift/experiment-results';
import type { BinomialCount } from '../domain/uplift/newcombe';
import { ExperimentAssignmentRepository } from '../entities/experiment-assignment.repository';
import type { Experiment } from '../entities/experiment.entity';
import { ExperimentRepository } from '../entities/experiment.repository';

/** The default period: every assignment (the sequential test always looks at all of them). */
const ALL_TIME = { from: new Date(0), to: new Date('9999-12-31T00:00:00Z') };

/** What `experiment(id)` answers: the stored experiment and its results now. */
export interface ExperimentReport {
  experiment: Experiment;
  /** The configured share of each arm (before any winner). */
  shares: Map<string, number>;
  results: ExperimentResults;
}

/** A winner this look recorded. */
export interface DecidedWinner {
  experimentId: string;
  decision: WinnerDecision;
}

/** The arms of an experiment's current definition, control first, with their weights. */
export function armsOf(experiment: Experiment): WeightedArm[] {
  const d = experiment.definition;
  return [{ arm: CONTROL_ARM, weight: d.control.weight }, ...d.variants.map((v) => ({ arm: v.name, weight: v.weight }))];
}

/**
 * Experiments of one tenant: their results (two aggregates, then the pure `experimentResults`)
 * and the looks of the automatic winner.
 */
export class ExperimentService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * One experiment with its results for the customers assigned in [from, to) (default: all of
   * them); NOT_FOUND for an unknown id or another tenant's.
   */
  async report(id: string, from?: Date | null, to?: Date | null): Promise<ExperimentReport> {
    if (!isUuid(id)) throw new AppError('BAD_USER_INPUT', 'id: must be an experiment id (a UUID)', { field: 'id' });
    if (from && to && !(from < to)) throw new AppError('BAD_USER_INPUT', 'to: must be after from', { field: 'to' });
    const experiment = await new ExperimentRepository(this.em, this.tenantId).find(id);
    if (!experiment) throw new AppError('NOT_FOUND', `experiment ${id} not found`, { field: 'id' });
    return this.reportOf(experiment, from ?? ALL_TIME.from, to ?? ALL_TIME.to);
  }

  /** The experiments of a playbook, in the order they were first defined, with their results. */
  async ofPlaybook(playbookId: string): Promise<ExperimentReport[]> {
    if (!isUuid(playbookId)) throw new AppError('BAD_USER_INPUT', 'playbookId: must be a playbook id (a UUID)', { field: 'playbookId' });
    const experiments = await new ExperimentRepository(this.em, this.tenantId).ofPlaybook(playbookId);
    return Promise.all(experiments.map((e) => this.reportOf(e)));
  }

  /**
   * One look of the automatic winner for each of these experiments that has one configured and
   * none decided yet: the mSPRT state is updated and stored, and a decision is recorded once
   * (compare-and-set). Returns the winners this call recorded.
   */
  async look(ids: readonly string[], now: Date): Promise<DecidedWinner[]> {
    const repo = new ExperimentRepository(this.em, this.tenantId);
    const decided: DecidedWinner[] = [];
    for (const experiment of await repo.many(ids)) {
      const settings = experiment.definition.autoWinner;
      if (!settings || experiment.winnerArm) continue;
      const { results } = await this.reportOf(experiment);
      const counts: Record<string, BinomialCount> = {};
      for (const a of results.arms) counts[a.arm] = { successes: a.converted, trials: a.assigned };
      const look = lookForWinner(counts, experiment.sequential ?? {}, settings, results.sampleRatio.mismatch);
      await repo.saveLook(experiment.id, look.states, now);
      if (look.decision && (await repo.decideWinner(experiment.id, look.decision, now))) decided.push({ experimentId: experiment.id, decision: look.decision });
    }
    return decided;
  }

  private async reportOf(experiment: Experiment, from = ALL_TIME.from, to = ALL_TIME.to): Promise<ExperimentReport> {
    const repo = new ExperimentAssignmentRepository(this.em, this.tenantId);
    const [assigned, converted] = await Promise.all([repo.armCounts(experiment.id, from, to), repo.convertedByArm(experiment.id, from, to)]);
    const arms = armsOf(experiment);
    const known = new Set(arms.map((a) => a.arm));
    // the customers of an arm a later version removed are left out: the split is checked over today's arms
    const phased = assigned.filter((c) => known.has(c.arm));
    const winner = experiment.winnerArm && known.has(experiment.winnerArm) ? experiment.winnerArm : null;
    const expected = expectedArmFractions(arms, phased, winner);
    const count = (arm: string) => phased.find((c) => c.arm === arm);
    const results = experimentResults(
      arms.map((a) => ({ arm: a.arm, assigned: (count(a.arm)?.beforeWinner ?? 0) + (count(a.arm)?.afterWinner ?? 0), converted: converted.get(a.arm) ?? 0, expectedFraction: expected.get(a.arm)! })),
    );
    return { experiment, shares: experimentShares(arms), results };
  }
}
