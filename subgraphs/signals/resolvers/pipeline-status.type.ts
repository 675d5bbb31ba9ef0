import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

/** The stages of the pipeline (values are the names `pipeline-stages.ts` uses). */
export enum PipelineStageName {
  RESOLVE = 'resolve',
  DETECT = 'detect',
  RISK = 'risk',
  ALERTS = 'alerts',
  TRAITS = 'traits',
  SEGMENTS = 'segments',
}
registerEnumType(PipelineStageName, {
  name: 'PipelineStageName',
  description: 'A stage of the event pipeline.',
  valuesConfig: {
    RESOLVE: { description: 'Identity resolution (queue resolve-identity).' },
    DETECT: { description: 'Marking resolved events and friction detection (event-resolved, detect-friction).' },
    RISK: { description: 'Recording activity and scoring (record-activity, score-profile).' },
    ALERTS: { description: 'The actions stage: raising alerts on risk crossings, friction signals and journey states (raise-alerts, signal-alerts, journey-alerts) and matching events against the playbook runs waiting for them (playbook-events); the last three count signals, states and events.' },
    TRAITS: { description: 'Storing computed traits other stages push, e.g. the risk bucket (set-computed-traits); counts profiles.' },
    SEGMENTS: { description: 'Re-evaluating segment membership of the profiles a batch touched (evaluate-segments); counts profiles.' },
  },
});

@ObjectType({ description: 'One stage of the pipeline, across all tenants.' })
export class PipelineStageStatus {
  @Field(() => PipelineStageName)
  stage!: PipelineStageName;

  @Field(() => Int, { description: 'Jobs waiting to run (batch jobs carry many events).' })
  waiting!: number;

  @Field(() => Int, { description: 'Jobs running now.' })
  active!: number;

  @Field(() => Int, { description: 'Jobs waiting for a delay (debounce or a retry backoff).' })
  delayed!: number;

  @Field(() => Int, { description: 'Jobs that ran out of retries (kept for 7 days).' })
  failed!: number;

  @Field(() => Int, { nullable: true, description: 'RESOLVE only: stored events not yet processed (read from the database, so it survives a Redis flush).' })
  unprocessedEvents!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'RISK and ALERTS only: events handed on to the stage and not yet acknowledged by it (RISK: taken over by detection, not yet recorded and scored; ALERTS: handed to the playbook runs waiting on them, not yet matched). Read from the database, so it survives a Redis flush.',
  })
  handedOnEvents!: number | null;

  @Field(() => Float, { nullable: true, description: 'Age in ms of the oldest job waiting, delayed or running (for RESOLVE, also of the oldest unprocessed stored event; for RISK and ALERTS, also of the oldest hand-off not acknowledged); null when the stage is empty.' })
  oldestWaitingAgeMs!: number | null;

  @Field(() => Float, { description: 'Events the stage processed per second over the last minute.' })
  eventsPerSecond!: number;

  @Field(() => Float, { nullable: true, description: 'How long jobs waited in the stage’s queues before a worker took them, median over the last minute, in ms (to within its histogram bucket, about a third of the value); null when no job finished.' })
  waitP50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: '99th percentile of the wait over the last minute, in ms; null when no job finished.' })
  waitP99Ms!: number | null;

  @Field(() => Float, { nullable: true, description: 'How long jobs (or coalesced passes) ran, median over the last minute, in ms; null when no job finished.' })
  runP50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: '99th percentile of the run time over the last minute, in ms; null when no job finished.' })
  runP99Ms!: number | null;

  @Field(() => Boolean, { description: 'Nothing in the stage is older than thresholdMs.' })
  caughtUp!: boolean;
}

@ObjectType({ description: 'One stage of the pipeline, for one tenant.' })
export class TenantStageLag {
  @Field(() => PipelineStageName)
  stage!: PipelineStageName;

  @Field(() => Int, { description: 'The tenant’s events in the stage: for RESOLVE its unprocessed stored events; for RISK and ALERTS the larger of its queued and running jobs’ events and its hand-offs not acknowledged (from the database); else the events of its queued and running jobs.' })
  pendingEvents!: number;

  @Field(() => Float, { nullable: true, description: 'Age in ms of the tenant’s oldest pending work in the stage; null when none.' })
  oldestWaitingAgeMs!: number | null;

  @Field(() => Float, { description: 'The tenant’s events the stage processed per second over the last minute.' })
  eventsPerSecond!: number;

  @Field(() => Float, { nullable: true, description: 'How long the tenant’s jobs waited in the stage’s queues before a worker took them, median over the last minute, in ms (to within its histogram bucket, about a third of the value); null when no job finished.' })
  waitP50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: '99th percentile of the wait over the last minute, in ms; null when no job finished.' })
  waitP99Ms!: number | null;

  @Field(() => Float, { nullable: true, description: 'How long the tenant’s jobs (or coalesced passes) ran, median over the last minute, in ms; null when no job finished.' })
  runP50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: '99th percentile of the run time over the last minute, in ms; null when no job finished.' })
  runP99Ms!: number | null;

  @Field(() => Boolean)
  caughtUp!: boolean;

  @Field(() => Boolean, { description: 'The stage’s queues were longer than the scan bound (50 jobs per state per queue): pendingEvents is a lower bound.' })
  partial!: boolean;
}

@ObjectType({ description: 'How far behind the pipeline is with one tenant’s events.' })
export class TenantPipelineLag {
  @Field(() => String)
  tenantId!: string;

  @Field(() => Boolean, { description: 'Every stage is caught up for this tenant.' })
  caughtUp!: boolean;

  @Field(() => [TenantStageLag])
  stages!: TenantStageLag[];

  @Field(() => Int, { description: 'The tenant’s live events accepted but not yet acknowledged by risk (its end-to-end lag, as admission counts it).' })
  inFlightEvents!: number;

  @Field(() => Int, { description: 'The same for its history lane (imports).' })
  inFlightHistoryEvents!: number;

  @Field(() => Int, { nullable: true, description: 'Its share per lane: over it, that lane’s requests get 429 with Retry-After from its drain rate.' })
  maxInFlightEvents!: number | null;
}

@ObjectType({ description: 'How far behind each stage of the event pipeline is.' })
export class PipelineStatus {
  @Field(() => Boolean, { description: 'Every stage is caught up.' })
  caughtUp!: boolean;

  @Field(() => Date)
  checkedAt!: Date;

  @Field(() => Int, { description: 'A stage is caught up while nothing in it is older than this, in ms.' })
  thresholdMs!: number;

  @Field(() => [PipelineStageStatus], { description: 'In pipeline order: RESOLVE, DETECT, RISK, ALERTS.' })
  stages!: PipelineStageStatus[];

  @Field(() => [TenantPipelineLag], { description: 'Your tenant’s lag (always listed, even with nothing pending).' })
  tenants!: TenantPipelineLag[];
}
