import {
  DETECT_FRICTION,
  EVALUATE_SEGMENTS,
  EVENT_RESOLVED,
  JOURNEY_ALERTS,
  PLAYBOOK_EVENTS,
  RAISE_ALERTS,
  RECORD_ACTIVITY,
  RESOLVE_IDENTITY,
  SCORE_PROFILE,
  SET_COMPUTED_TRAITS,
  SIGNAL_ALERTS,
  type QueueName,
} from './queues';

/** The stages an event goes through, in order, as `pipelineStatus` and the stage meter name them. */
export type PipelineStage = 'resolve' | 'detect' | 'risk' | 'alerts' | 'traits' | 'segments';

/**
 * Every stage: the event's own path first, then the two side stages (computed traits from risk,
 * segment membership), so a stage's position never changes for a reader of the older four.
 */
export const PIPELINE_STAGES: readonly PipelineStage[] = ['resolve', 'detect', 'risk', 'alerts', 'traits', 'segments'];

/**
 * The queues whose jobs make up each stage: `resolve` = identity resolution (profiles),
 * `detect` = marking resolved events and friction detection (signals), `risk` = recording
 * activity and scoring (risk), `alerts` = the actions stage: raising alerts on risk crossings,
 * friction signals and journey states, and matching named events against the playbook runs
 * waiting for them (a job of the last three counts its signals, states or events: the events whose
 * `playbookEventsPendingSince` marker the job carries until actions acknowledges it),
 * `traits` = storing computed traits other stages push (profiles), `segments` = re-evaluating
 * segment membership of the profiles a batch touched (profiles). The last two count profiles,
 * not events.
 */
export const STAGE_QUEUES: Readonly<Record<PipelineStage, readonly QueueName[]>> = {
  resolve: [RESOLVE_IDENTITY],
  detect: [EVENT_RESOLVED, DETECT_FRICTION],
  risk: [RECORD_ACTIVITY, SCORE_PROFILE],
  alerts: [RAISE_ALERTS, SIGNAL_ALERTS, JOURNEY_ALERTS, PLAYBOOK_EVENTS],
  traits: [SET_COMPUTED_TRAITS],
  segments: [EVALUATE_SEGMENTS],
};
