import { DETECT_FRICTION, EVENT_RESOLVED, RAISE_ALERTS, RECORD_ACTIVITY, RESOLVE_IDENTITY, SCORE_PROFILE, type QueueName } from './queues';

/** The stages an event goes through, in order, as `pipelineStatus` and the stage meter name them. */
export type PipelineStage = 'resolve' | 'detect' | 'risk' | 'alerts';

/** Every stage, in pipeline order. */
export const PIPELINE_STAGES: readonly PipelineStage[] = ['resolve', 'detect', 'risk', 'alerts'];

/**
 * The queues whose jobs make up each stage: `resolve` = identity resolution (profiles),
 * `detect` = marking resolved events and friction detection (signals), `risk` = recording
 * activity and scoring (risk), `alerts` = raising alerts on bucket crossings (actions).
 */
export const STAGE_QUEUES: Readonly<Record<PipelineStage, readonly QueueName[]>> = {
  resolve: [RESOLVE_IDENTITY],
  detect: [EVENT_RESOLVED, DETECT_FRICTION],
  risk: [RECORD_ACTIVITY, SCORE_PROFILE],
  alerts: [RAISE_ALERTS],
};
