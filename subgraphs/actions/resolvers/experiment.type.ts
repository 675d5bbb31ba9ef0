import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

import { CONTROL_ARM } from '../domain/uplift/assignment';
import type { ExperimentReport } from '../services/experiment.service';
import { ImpactEstimate, ImpactStatus } from './measurement.type';

@ObjectType({ description: 'One arm of an experiment as configured: control or a variant, its traffic share and where its customers continue.' })
export class ExperimentArmDefinition {
  @Field(() => String, { description: '`control` or the variant’s name.' })
  arm!: string;

  @Field(() => Float, { description: 'Configured share of assignments (the weights normalised), before any winner.' })
  share!: number;

  @Field(() => String, { nullable: true, description: 'The step this arm’s customers continue at; null: their run completes.' })
  next!: string | null;
}

@ObjectType({ description: 'The conversion goal: the event (every `where` property equal) within `windowSeconds` after assignment.' })
export class ExperimentGoal {
  @Field(() => String)
  event!: string;

  @Field(() => [GraphQLJSONObject], { description: '`{ property, equals }` conditions, all of which must hold.' })
  where!: Record<string, unknown>[];

  @Field(() => Int)
  windowSeconds!: number;
}

@ObjectType({ description: 'Automatic winner settings: an mSPRT per variant against control at alpha / variants.' })
export class AutoWinnerSettings {
  @Field(() => Int)
  minSamplePerArm!: number;

  @Field(() => Float)
  alpha!: number;

  @Field(() => Float)
  mixingSd!: number;
}

@ObjectType({ description: 'One arm’s results: customers assigned, how many converted within their window, and the rate (Wilson interval).' })
export class ExperimentArmResult {
  @Field(() => String)
  arm!: string;

  @Field(() => Int)
  assigned!: number;

  @Field(() => Int)
  converted!: number;

  @Field(() => Float, { description: 'The share of assignments this arm should have had so far (the SRM check’s expectation).' })
  expectedShare!: number;

  @Field(() => ImpactEstimate, { nullable: true, description: 'Null below the minimum sample (30 per arm).' })
  rate!: ImpactEstimate | null;
}

@ObjectType({ description: 'One variant against control. Numbers are null when INSUFFICIENT_SAMPLE; `reason` says why.' })
export class ExperimentComparison {
  @Field(() => String)
  variant!: string;

  @Field(() => ImpactStatus)
  status!: ImpactStatus;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => ImpactEstimate, { nullable: true, description: 'p_variant − p_control in rate points, Newcombe hybrid score interval.' })
  difference!: ImpactEstimate | null;

  @Field(() => ImpactEstimate, { nullable: true, description: 'p_variant / p_control − 1, log-ratio delta-method interval; null also when an arm has no conversion.' })
  relativeLift!: ImpactEstimate | null;

  @Field(() => Float, { nullable: true, description: 'Two-sided pooled z-test: fixed horizon, valid read once at an end fixed in advance (the sequential test is the one to watch).' })
  pValue!: number | null;
}

@ObjectType({ description: 'Sample-ratio-mismatch check: Pearson χ² of the assignments per arm against the configured shares.' })
export class ExperimentSampleRatio {
  @Field(() => Float)
  chiSquare!: number;

  @Field(() => Int)
  degreesOfFreedom!: number;

  @Field(() => Float)
  pValue!: number;

  @Field(() => Boolean, { description: 'p < 0.001: something other than the hash decided who went where; do not trust the comparison (and no winner is declared).' })
  srmFlag!: boolean;
}

@ObjectType({ description: 'The running state of the anytime-valid mSPRT of one variant against control.' })
export class SequentialTestState {
  @Field(() => String)
  variant!: string;

  @Field(() => Int, { description: 'Looks that counted (after the minimum sample).' })
  looks!: number;

  @Field(() => Float, { description: 'Always-valid p-value: may be read at any time; compare with alpha / variants.' })
  pValue!: number;

  @Field(() => Float, { description: 'Always-valid interval of p_variant − p_control at 1 − alpha / variants.' })
  low!: number;

  @Field(() => Float)
  high!: number;
}

@ObjectType({ description: 'The automatic winner, recorded once when its sequential test rejected.' })
export class ExperimentWinner {
  @Field(() => String)
  arm!: string;

  @Field(() => Date)
  decidedAt!: Date;

  @Field(() => Float)
  pValue!: number;

  @Field(() => Float, { description: 'The level the variant was tested at: alpha / number of variants.' })
  alphaPerVariant!: number;

  @Field(() => ImpactEstimate, { description: 'p_winner − p_control at the deciding look, with the always-valid interval.' })
  difference!: ImpactEstimate;

  @Field(() => GraphQLJSONObject, { description: 'Per arm `{ successes, trials }` at the deciding look.' })
  counts!: Record<string, unknown>;
}

@ObjectType({ description: 'An A/B/n experiment step of a playbook and its results over every assignment so far (README “Experiments”).' })
export class Experiment {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  playbookId!: string;

  @Field(() => String, { description: 'The step’s key, stable across the playbook’s versions.' })
  key!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: 'The playbook version the definition was last taken from.' })
  playbookVersion!: number;

  @Field(() => [ExperimentArmDefinition], { description: 'Control first, then the variants.' })
  definition!: ExperimentArmDefinition[];

  @Field(() => ExperimentGoal)
  goal!: ExperimentGoal;

  @Field(() => AutoWinnerSettings, { nullable: true, description: 'Null: no automatic winner.' })
  autoWinner!: AutoWinnerSettings | null;

  @Field(() => Float)
  confidence!: number;

  @Field(() => [ExperimentArmResult])
  arms!: ExperimentArmResult[];

  @Field(() => [ExperimentComparison])
  comparisons!: ExperimentComparison[];

  @Field(() => ExperimentSampleRatio, { description: 'Computed on every experiment, whatever the sample.' })
  sampleRatio!: ExperimentSampleRatio;

  @Field(() => [SequentialTestState], { description: 'One per variant once the automatic winner has looked; empty otherwise.' })
  sequential!: SequentialTestState[];

  @Field(() => Date, { nullable: true })
  lastLookAt!: Date | null;

  @Field(() => ExperimentWinner, { nullable: true })
  winner!: ExperimentWinner | null;
}

const estimate = (e: { value: number; lower: number; upper: number } | null): ImpactEstimate | null => (e ? { value: e.value, low: e.lower, high: e.upper } : null);

/** The API view of an experiment report. */
export function experimentOf(r: ExperimentReport): Experiment {
  const e = r.experiment;
  const d = e.definition;
  const nextOf = (arm: string) => (arm === CONTROL_ARM ? d.control.next : (d.variants.find((v) => v.name === arm)?.next ?? null));
  const decision = e.winnerDecision;
  return {
    id: e.id,
    playbookId: e.playbookId,
    key: e.key,
    name: d.name,
    playbookVersion: e.playbookVersion,
    definition: [...r.shares].map(([arm, share]) => ({ arm, share, next: nextOf(arm) })),
    goal: { event: d.goal.event, where: d.goal.where as unknown as Record<string, unknown>[], windowSeconds: d.goal.windowSeconds },
    autoWinner: d.autoWinner,
    confidence: r.results.confidence,
    arms: r.results.arms.map((a) => ({ arm: a.arm, assigned: a.assigned, converted: a.converted, expectedShare: a.expectedFraction, rate: estimate(a.rate) })),
    comparisons: r.results.comparisons.map((c) => ({
      variant: c.variant,
      status: c.status === 'measured' ? ImpactStatus.MEASURED : ImpactStatus.INSUFFICIENT_SAMPLE,
      reason: c.reason,
      difference: estimate(c.difference),
      relativeLift: estimate(c.relativeLift),
      pValue: c.pValue,
    })),
    sampleRatio: { chiSquare: r.results.sampleRatio.chiSquare, degreesOfFreedom: r.results.sampleRatio.degreesOfFreedom, pValue: r.results.sampleRatio.pValue, srmFlag: r.results.sampleRatio.mismatch },
    sequential: Object.entries(e.sequential ?? {}).map(([variant, s]) => ({ variant, looks: s.looks, pValue: s.pValue, low: s.interval.lower, high: s.interval.upper })),
    lastLookAt: e.lastLookAt,
    winner:
      e.winnerArm && decision && e.winnerDecidedAt
        ? {
            arm: e.winnerArm,
            decidedAt: e.winnerDecidedAt,
            pValue: decision.pValue,
            alphaPerVariant: decision.alphaPerVariant,
            difference: { value: decision.difference, low: decision.interval.lower, high: decision.interval.upper },
            counts: decision.counts as unknown as Record<string, unknown>,
          }
        : null,
  };
}
