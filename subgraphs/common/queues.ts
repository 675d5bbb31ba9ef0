import { Queue, type QueueOptions, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';

import { AckBuffer, type AckKind } from './ack-buffer';
import { AppError } from './errors';
import type { Lane } from './fair-share';
import type { SegmentMembershipChangedEvent } from './pubsub';
import { REDIS_DOWN_RETRY_AFTER_SECONDS } from './redis';

/**
 * Queue names and job payloads, declared once. Job ids are joined with `-` (BullMQ reserves `:`)
 * and are deterministic, so enqueueing the same work twice is a no-op.
 */
export const RAISE_ALERTS = 'raise-alerts';
/** signals → profiles: map a stored event's identities to one profile. */
export const RESOLVE_IDENTITY = 'resolve-identity';
/**
 * profiles → signals: these events belong to these profiles (`EventsResolvedBatch`); the signals
 * stage marks them processed, detects friction and hands the batch on to risk.
 */
export const EVENT_RESOLVED = 'event-resolved';
/**
 * profiles → profiles: re-evaluate segment membership of the profiles a batch touched
 * (`EvaluateSegmentsBatch`): one job per resolve job or per `set-computed-traits` job.
 */
export const EVALUATE_SEGMENTS = 'evaluate-segments';
/**
 * signals → signals: run the friction detectors for one resolved event (job id
 * `<tenantId>-<eventId>`). Nothing queues it any more (the event-resolved batch detects itself);
 * its worker drains jobs queued before that.
 */
export const DETECT_FRICTION = 'detect-friction';
/** signals → risk: re-score a profile (debounced per profile by job id). */
export const SCORE_PROFILE = 'score-profile';
/**
 * signals/profiles → risk: what the risk stage learns from (an event of a profile, a friction
 * signal, a journey instance's state, a segment entry or exit). Risk keeps its own copy in its own tables, so training and scoring
 * never read another subgraph's tables. Job ids `<tenantId>-<kind>-<id>[-<version>]`.
 */
export const RECORD_ACTIVITY = 'record-activity';
/** risk → risk: fit one model version (job id = the version's id); reports progress. */
export const TRAIN_MODEL = 'train-model';
/** risk (scheduled): re-score profiles whose score has aged (risk rises with silence). */
export const RESCORE_PROFILES = 'rescore-profiles';
/** signals (scheduled): time-based friction detectors (stalls, abandonment, inactivity). */
export const SWEEP_FRICTION = 'sweep-friction';
/** signals (scheduled): re-enqueue stored events that were never processed. */
export const SWEEP_EVENTS = 'sweep-events';
/**
 * risk (scheduled, every `SWEEP_INTERVAL_MS`): queue again the follow-ups (`raise-alerts`, the
 * risk trait) of scores that were news and whose consumers have not acknowledged them
 * (`score-follow-ups-done`) within `SWEEP_GRACE_MS`.
 */
export const SWEEP_SCORES = 'sweep-scores';
/**
 * actions / profiles → risk: the consumer stored the follow-ups of these scores (`raise-alerts`
 * evaluated them; `set-computed-traits` wrote them); risk clears that consumer's marker
 * (`ScoreFollowUpsDoneJob`). Job id `<consumer job id>-done`.
 */
export const SCORE_FOLLOW_UPS_DONE = 'score-follow-ups-done';
/**
 * profiles (scheduled, every `SWEEP_INTERVAL_MS`): queue `evaluate-segments` again for profiles
 * whose evaluation has been owed for more than `SWEEP_GRACE_MS` (its job lost).
 */
export const SWEEP_PROFILES = 'sweep-profiles';
/**
 * risk → signals: risk stored these events of a `record-activity` batch (its transaction
 * committed); signals clears their hand-off marker. Job id `<record-activity job id>-recorded`.
 */
export const ACTIVITY_RECORDED = 'activity-recorded';
/** profiles (scheduled): re-check time-based segment conditions. */
export const RECHECK_SEGMENTS = 'recheck-segments';
/** profiles → profiles: evaluate one bounded page of profiles (segment backfill or time re-check). */
export const EVALUATE_SEGMENT_PAGE = 'evaluate-segment-page';
/**
 * profiles → actions: a profile entered or left a segment (one job per entry or exit); actions
 * evaluates its SEGMENT alert rules, coalescing waiting jobs into one pass per tenant. The
 * membership row keeps `entryAlertsPendingSince` (`exitAlertsPendingSince`) until actions
 * acknowledges (`segment-alerts-done`), and profiles' `sweep-profiles` queues the change again
 * while it is pending past `SWEEP_GRACE_MS`.
 */
export const SEGMENT_MEMBERSHIP_CHANGED = 'segment-membership-changed';
/**
 * actions → profiles: the SEGMENT alert rules were evaluated against these entries and exits (the
 * transaction committed); profiles clears their markers (`SegmentAlertsDoneJob`). Job id `<pass id>-done`.
 */
export const SEGMENT_ALERTS_DONE = 'segment-alerts-done';
/**
 * any stage → profiles: store computed traits a stage derived (e.g. the latest risk bucket) on
 * profiles, under `computedTraits.<source>` (`SetComputedTraitsBatch`: one job per producer batch).
 */
export const SET_COMPUTED_TRAITS = 'set-computed-traits';

/**
 * profiles → signals: a profile was merged into another (`ProfileMergedJob`); signals re-points the
 * merged-away profile's events, signals and journeys and follows it from then on. Job id
 * `<tenantId>-merge-<mergedProfileId>`. Each consumer has its own queue: BullMQ hands a job to one worker.
 */
export const PROFILE_MERGED_SIGNALS = 'profile-merged-signals';
/**
 * actions → actions: one try of one webhook delivery (an outbox row of `webhook_delivery`). Job id
 * `<deliveryId>-<seq>` (the row's try counter): a retry is a new delayed job, a replay continues
 * the count, and the sweeper re-adding a lost try is a no-op while the job exists.
 */
export const DELIVER_WEBHOOK = 'deliver-webhook';
/** actions (scheduled): re-queue pending webhook deliveries whose job was lost (a Redis flush, a crash before queueing). */
export const SWEEP_DELIVERIES = 'sweep-deliveries';

/** One try of a webhook delivery; `seq` must equal the row's `seq`, else the job is stale and does nothing. */
export interface DeliverWebhookJob {
  tenantId: string;
  deliveryId: string;
  seq: number;
}

/** profiles → actions: the same notice for the actions stage (alerts). */
export const PROFILE_MERGED_ACTIONS = 'profile-merged-actions';
/** Every queue a merge notice goes to, one per consuming subgraph. */
/**
 * actions → actions: take one step of one playbook run (`PlaybookStepJob`). Job id
 * `<runId>-<stepId>-<visit>` (see `playbookStepJobId`); a wait is a delayed job. The run's state
 * lives in SQL, so the job carries only ids and a lost job is queued again by `reconcile-runs`.
 */
export const PLAYBOOK_STEP = 'playbook-step';
/**
 * signals → actions: events of one tenant that playbook runs may be waiting for
 * (`PlaybookEventsBatch`, one job per detect pass). Job id `<tenantId>-events-<first eventId>-<last eventId>[-<resend>]`
 * (see `playbookEventsJobId`). Each event keeps `playbookEventsPendingSince` until actions
 * acknowledges (`playbook-events-done`), and signals' `sweep-events` sends it again while it is
 * pending past `SWEEP_GRACE_MS`.
 */
export const PLAYBOOK_EVENTS = 'playbook-events';
/**
 * actions → signals: `playbook-events` matched these events against the waiting runs (its
 * transaction committed); signals clears their `playbookEventsPendingSince` where it is not newer
 * than `upTo` (`PlaybookEventsDoneJob`). Job id `<playbook-events job id>-done`.
 */
export const PLAYBOOK_EVENTS_DONE = 'playbook-events-done';
/**
 * signals → actions: friction signals of one tenant that a detect pass (or the friction sweep)
 * stored, for the tenant's FRICTION_SIGNAL alert rules (`SignalAlertsBatch`, one job per pass).
 * Job id `<tenantId>-signals-<first signalId>-<last signalId>[-<resend>]` (see `signalAlertsJobId`).
 * The signal keeps `alertsPendingSince` until actions acknowledges (`signal-alerts-done`), and
 * signals' `sweep-events` sends it again while it is pending past `SWEEP_GRACE_MS`.
 */
export const SIGNAL_ALERTS = 'signal-alerts';
/**
 * actions → signals: `signal-alerts` evaluated these signals (its transaction committed); signals
 * clears their `alertsPendingSince` (`SignalAlertsDoneJob`). Job id `<signal-alerts job id>-done`.
 */
export const SIGNAL_ALERTS_DONE = 'signal-alerts-done';
/**
 * signals → actions: the states journey instances of one tenant reached (`JourneyAlertsBatch`), for
 * the tenant's JOURNEY alert rules: one job per detect pass and per sweep page. Job id
 * `<tenantId>-journeys-<digest of the instances' pending markers>[-<resend>]`: queueing the same
 * markers twice is a no-op; every replay of an instance re-marks it (a retried pass too), and its
 * job is evaluated idempotently (alerts keyed on rule + instance + state). The instance keeps
 * `alertsPendingSince` until actions acknowledges (`journey-alerts-done`), and signals'
 * `sweep-events` sends it again while it is pending past `SWEEP_GRACE_MS`.
 */
export const JOURNEY_ALERTS = 'journey-alerts';
/**
 * actions → signals: `journey-alerts` evaluated these instances as of these markers; signals clears
 * each marker that is still the one acknowledged (`JourneyAlertsDoneJob`). Job id `<journey-alerts job id>-done`.
 */
export const JOURNEY_ALERTS_DONE = 'journey-alerts-done';
/** actions (scheduled): queue again every due playbook step whose job is gone (crash, Redis flush). */
export const RECONCILE_RUNS = 'reconcile-runs';
/**
 * actions → actions: escalate one task if it is still open at its due time (`EscalateTaskJob`), a
 * delayed job with the id `<taskId>-escalate`; `reconcile-runs` queues it again for overdue tasks.
 */
export const ESCALATE_TASK = 'escalate-task';

/**
 * actions → actions: send a dead-lettered playbook send again (`replaySend`), one job per replay:
 * id `<tenantId>-replay-<deliveryId>-<replay>[-<resend>]` (see `replaySendJobId`). A queue of its
 * own rather than `playbook-step` with a flag: a step job moves its run on and is stale once the run
 * has left the step, while a replay must never touch the run (it already followed its failure
 * branch) and is keyed on the ledger row and its replay count, not on (run, step, visit). The row
 * keeps `replayRequestedAt` until the replay's outcome is stored, and `reconcile-runs` queues the
 * replay again while it is pending past `SWEEP_GRACE_MS`.
 */
export const REPLAY_SEND = 'replay-send';

/** One replay of one ledger row; `replay` must equal the row's `replays`, else the job is stale and does nothing. */
export interface ReplaySendJob {
  tenantId: string;
  deliveryId: string;
  replay: number;
}

/** The deterministic id of a replay's job: one per (row, replay); a reconciler's re-send (`resend`) is a new job. */
export function replaySendJobId(tenantId: string, deliveryId: string, replay: number, resend?: string): string {
  return `${tenantId}-replay-${deliveryId}-${replay}${resend ? `-${resend}` : ''}`;
}

/** One task to escalate when due. */
export interface EscalateTaskJob {
  tenantId: string;
  taskId: string;
}

/**
 * actions → actions: record the outcome of one playbook send (`MessageOutcomeJob`) in the tenant's
 * event stream as `Message Sent` / `Message Failed`, through the signals Segment API; also what the
 * provider reported back later on the delivery-status callback (`Message Delivered` / `Message
 * Bounced` / `Message Complained`, queued by the callback, no outbox marker). Job id
 * `<tenantId>-message-<deliveryId>-<status>[-replay<n>][-<resend>]` (see `messageOutcomeJobId`); the event's messageId
 * names the row and outcome, so a repeat is a duplicate. The outbox row keeps
 * `outcomeEventPendingSince` until the worker recorded the event, and actions' `reconcile-runs`
 * queues it again while it is pending past `SWEEP_GRACE_MS`.
 */
export const RECORD_MESSAGE_OUTCOME = 'record-message-outcome';

/** The final outcome of one send (one outbox row, `step_delivery`), or a provider's report on it. JSON-safe. */
export interface MessageOutcomeJob {
  tenantId: string;
  profileId: string;
  /** The outbox row. */
  deliveryId: string;
  runId: string;
  stepId: string;
  /** The tenant's channel name. */
  channel: string;
  /** Null for a one-off action (`triggerAction`). */
  playbookId: string | null;
  /** The playbook's name, or null. */
  playbook: string | null;
  /**
   * `skipped`: a guardrail (consent, opt-out, frequency cap) kept it from going out. `delivered`,
   * `bounced`, `complained`: the provider's report on a sent message (delivery-status callback).
   */
  status: 'sent' | 'failed' | 'skipped' | 'delivered' | 'bounced' | 'complained';
  providerId: string | null;
  /** Why it failed or was skipped; null when sent. */
  reason: string | null;
  /** ISO time the outcome was recorded. */
  at: string;
  /**
   * Which replay of the row (`replaySend`) this outcome is: absent (or 0) for the first send. Part
   * of the job id and the event's messageId, so a replay's outcome is not a duplicate of the first's.
   */
  replay?: number;
}
export const PROFILE_MERGED_QUEUES = [PROFILE_MERGED_SIGNALS, PROFILE_MERGED_ACTIONS] as const;

/** `mergedProfileId` was merged into `profileId` (the survivor) by the profiles stage. */
export interface ProfileMergedJob {
  tenantId: string;
  /** The survivor. */
  profileId: string;
  mergedProfileId: string;
}

/**
 * One page of a chained segment evaluation; each page queues the next (job ids carry the cursor,
 * so a replayed page queues nothing new).
 * - `backfill`: one segment, every profile of the tenant, after the segment was created or its
 *   condition changed; the chain stops when the segment is gone or has a newer `version`.
 * - `recheck`: the tenant's time-based segments, for the profiles whose events crossed a window
 *   edge since each segment's last check, all evaluated at `now` (ISO), the time of the tick.
 */
export type EvaluateSegmentPageJob =
  | { kind: 'backfill'; tenantId: string; segmentId: string; version: number; after: string | null }
  | { kind: 'recheck'; tenantId: string; now: string; after: string | null };

/** Event types of the Segment tracking spec. */
export type EventType = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';

/**
 * A stored event as the profiles stage needs it: identities, traits, and what computed traits
 * are built from. JSON-safe (ISO dates) because it travels through Redis.
 */
export interface EventToResolve {
  tenantId: string;
  eventId: string;
  messageId: string;
  type: EventType;
  /** `track` event name, or the page/screen name. */
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** `alias`: the identity being linked to `userId`. */
  previousId: string | null;
  /** `group`: the account/company id. */
  groupId: string | null;
  /** `identify`/`group` traits merged with `context.traits`. */
  traits: Record<string, unknown>;
  properties: Record<string, unknown>;
  /** `context.externalIds`. */
  externalIds: { id: string; type: string }[];
  /** Event time, corrected for client clock skew (ISO). */
  timestamp: string;
}

/**
 * Stored events of one tenant for the profiles stage, in the order they were received: one job
 * per ingest request (at most `RESOLVE_BATCH_MAX` events; larger requests are split), because
 * BullMQ's cost is per job, on the ingest path and in the worker alike.
 */
export interface ResolveIdentityJob {
  tenantId: string;
  events: EventToResolve[];
  /** `history`: an import of past events, served after every live job (see `FairShare`). Absent: live. */
  lane?: Lane;
}

/** Most events in one `resolve-identity` job. */
export const RESOLVE_BATCH_MAX = 100;

/** Computed traits of one profile pushed by another stage (an item of `SetComputedTraitsBatch`). */
export interface ComputedTraitsItem {
  profileId: string;
  /** Namespace in `computedTraits`, e.g. `risk`: lower-case letters, digits and `_`, not a built-in name. */
  source: string;
  /** JSON-safe values. */
  traits: Record<string, unknown>;
}

/**
 * Computed traits pushed by another stage, for many profiles of one tenant, applied in order.
 * `traits` replace the keys they name inside the `source` namespace (other keys of that namespace
 * are kept). A merged profile id is followed to its survivor. Give each job a deterministic id
 * derived from the producing batch, e.g. `<tenantId>-risk-<first score id>-<last score id>`.
 */
export interface SetComputedTraitsBatch {
  tenantId: string;
  items: ComputedTraitsItem[];
  /** Risk scores this batch follows up: acknowledged to risk (`SCORE_FOLLOW_UPS_DONE`) once stored. */
  scoreIds?: string[];
  /** `history`: an import of past events, served after every live job (see `FairShare`). Absent: live. */
  lane?: Lane;
}

/** The lone form of a `set-computed-traits` job (queued before batches existed); still accepted. */
export interface SetComputedTraitsJob extends ComputedTraitsItem {
  tenantId: string;
}

/** Most items in one `set-computed-traits` job (and profiles in one `evaluate-segments` job). */
export const PROFILE_BATCH_MAX = 1_000;

/**
 * profiles → profiles: re-evaluate every segment of the tenant for these profiles. Job id derived
 * from the producing job (`<tenantId>-segments-…`), so a replay queues nothing new.
 */
export interface EvaluateSegmentsBatch {
  tenantId: string;
  profileIds: string[];
  /** `history`: an import of past events, served after every live job (see `FairShare`). Absent: live. */
  lane?: Lane;
}

/** One observation for the risk stage. JSON-safe (ISO dates). */
export type RecordActivityJob =
  | {
      kind: 'event';
      tenantId: string;
      profileId: string;
      eventId: string;
      type: EventType;
      /** `track` event name, or the page/screen name. */
      name: string | null;
      timestamp: string;
      /** `properties.revenue`, else `properties.total`, when a finite number. */
      revenue: number | null;
      /** `identify`/`group` traits (merged with `context.traits`); `{}` for other types. */
      traits: Record<string, unknown>;
    }
  | {
      kind: 'signal';
      tenantId: string;
      profileId: string;
      signalId: string;
      type: string;
      severity: number;
      detectedAt: string;
      journeyInstanceId: string | null;
      summary: string;
    }
  | {
      kind: 'journey';
      tenantId: string;
      profileId: string;
      instanceId: string;
      journeyId: string;
      journeyName: string;
      state: 'active' | 'stalled' | 'completed' | 'abandoned';
      /** Index of the furthest step reached, and how many steps the journey has. */
      stepIndex: number;
      stepCount: number;
      step: string;
      stepReachedAt: string;
      /** Typical time to move on from this step (the step's SLA, or null), ms. */
      stepSlaMs: number | null;
      startedAt: string;
      /** Retry-loop signals on this instance so far. */
      retries: number;
      endedAt: string | null;
      /** When this state was observed: snapshots replay in this order. */
      observedAt: string;
    }
  /** profiles → risk: segment entries/exits, so `riskChanged` can be filtered by segment. */
  | ({ kind: 'segment' } & SegmentMembershipChangedEvent)
  /** profiles → risk: `mergedProfileId` was merged into `profileId` (the survivor). */
  | { kind: 'merge'; tenantId: string; profileId: string; mergedProfileId: string };

/**
 * A batch of observations of one tenant for the risk stage (every item carries the same
 * `tenantId`): one job per producer batch, so BullMQ's per-job cost and the risk stage's reads and
 * writes are paid once per batch, not once per event. Job id
 * `<tenantId>-<kind>-<first source id>-<last source id>` (deterministic: a replay queues nothing new).
 * The consumer also accepts a lone `RecordActivityJob` (a job queued before batches existed).
 */
export interface RecordActivityBatch {
  tenantId: string;
  items: RecordActivityJob[];
  /** `history`: an import of past events, served after every live job (see `FairShare`). Absent: live. */
  lane?: Lane;
}

/** risk → signals: the events of one `record-activity` job that risk has stored. */
export interface ActivityRecordedJob {
  tenantId: string;
  eventIds: string[];
  /** The lane of the batch (absent: live): the acknowledged events leave that lane's in-flight count. */
  lane?: Lane;
}

/** Which consumer of a score's follow-ups acknowledges: actions' alerts or profiles' risk trait. */
export type ScoreFollowUpConsumer = 'alerts' | 'traits';

export interface ScoreFollowUpsDoneJob {
  tenantId: string;
  consumer: ScoreFollowUpConsumer;
  scoreIds: string[];
}

/** One resolved event in an `event-resolved` batch. */
export interface ResolvedEventRef {
  eventId: string;
  /** null: the event has no usable identity (all junk); it is processed, unattributed. */
  profileId: string | null;
}

/**
 * profiles → signals: events of one tenant that the profiles stage resolved, in the order received
 * (order per customer is kept). Job id `<tenantId>-<first eventId>-<last eventId>`.
 */
export interface EventsResolvedBatch {
  tenantId: string;
  events: ResolvedEventRef[];
  /**
   * Set on a batch the sweeper sends again (`swept<period>`): its `record-activity` jobs take it
   * into their ids, so they are new jobs even while the first ones are still kept in Redis.
   */
  resend?: string;
  /** `history`: an import of past events, served after every live job (see `FairShare`). Absent: live. */
  lane?: Lane;
}

/**
 * Jobs one process runs at once in a batch stage (`event-resolved`, `record-activity`, and
 * profiles' `evaluate-segments` and `set-computed-traits`). A job already carries up to hundreds
 * of events, so throughput comes from the batch, not from running many at once: 2 keeps the event
 * loop free for the API the process also serves, and keeps a tenant's job from waiting behind many
 * of a flooding one (fair share orders the queue, this bounds what runs ahead).
 */
export const STAGE_CONCURRENCY = 2;

/**
 * Resolve jobs one profiles process runs at once, as for the other batch stages. Two batches of
 * one customer may run side by side (a sweeper's re-send next to the original): the batch write
 * re-checks what a concurrent job changed (`lockStates`, `insertOrKeep`, insert-or-ignore of the
 * events) and hands those customers to the locked path, which
 * `test/integration/profiles/concurrent-batches.test.ts` exercises with nine overlapping jobs. (The
 * durability test's misattributed events, once blamed on this, came from signals marking events
 * processed and naming their profile in two UPDATEs; it is one now.)
 */
export const RESOLVE_CONCURRENCY = STAGE_CONCURRENCY;

/** Most items in one batch job between stages (`event-resolved`, `record-activity`). */
export const STAGE_BATCH_MAX = 500;

/**
 * Most items in one coalesced pass of a batch stage while more than one tenant (or lane) has work
 * in it (`CoalescingLimits.sharedMaxItems`): about one upstream request's events, so another
 * tenant's job waits for a short pass, not a 500-event one. Alone, a tenant's passes stay large.
 */
export const SHARED_PASS_MAX_ITEMS = 100;

export interface JobPayloads {
  /** A batch; a lone observation (queued before batches existed) is still accepted. */
  [RECORD_ACTIVITY]: RecordActivityBatch | RecordActivityJob;
  [TRAIN_MODEL]: { tenantId: string; modelId: string };
  [RESCORE_PROFILES]: Record<string, never>;
  [SCORE_PROFILE]: {
    tenantId: string;
    profileId: string;
    /** More profiles to score with it, set-based (one job per `record-activity` batch); includes `profileId`. */
    profileIds?: string[];
    /** `history`: queued by an import's batch, served after every live job. Absent: live. */
    lane?: Lane;
    /** Why a re-score was asked for, e.g. `signal:retry_loop`, for logs. */
    reason: string;
  };
  [SWEEP_FRICTION]: Record<string, never>;
  [DETECT_FRICTION]: { tenantId: string; eventId: string; profileId: string };
  [RESOLVE_IDENTITY]: ResolveIdentityJob;
  /**
   * A batch, or the lone form of one event (a job queued before batches existed). `profileId`
   * null: the event has no usable identity (all junk); it is processed, unattributed.
   */
  [EVENT_RESOLVED]: EventsResolvedBatch | ({ tenantId: string } & ResolvedEventRef);
  /** A batch; the lone form of one profile (queued before batches existed) is still accepted. */
  [EVALUATE_SEGMENTS]: EvaluateSegmentsBatch | { tenantId: string; profileId: string };
  [SWEEP_EVENTS]: Record<string, never>;
  [SWEEP_SCORES]: Record<string, never>;
  [DELIVER_WEBHOOK]: DeliverWebhookJob;
  [SWEEP_DELIVERIES]: Record<string, never>;
  [SWEEP_PROFILES]: Record<string, never>;
  [SCORE_FOLLOW_UPS_DONE]: ScoreFollowUpsDoneJob;
  [ACTIVITY_RECORDED]: ActivityRecordedJob;
  [RECHECK_SEGMENTS]: Record<string, never>;
  [EVALUATE_SEGMENT_PAGE]: EvaluateSegmentPageJob;
  /** Job id `<tenantId>-<membershipId>-<change>` (see `segmentChangeJobId`): one job per entry or exit. */
  [SEGMENT_MEMBERSHIP_CHANGED]: SegmentMembershipChangedEvent;
  /** A batch; the lone form (queued before batches existed) is still accepted. */
  [SET_COMPUTED_TRAITS]: SetComputedTraitsBatch | SetComputedTraitsJob;
  [PROFILE_MERGED_SIGNALS]: ProfileMergedJob;
  [PROFILE_MERGED_ACTIONS]: ProfileMergedJob;
  [PLAYBOOK_STEP]: PlaybookStepJob;
  [RECONCILE_RUNS]: Record<string, never>;
  [ESCALATE_TASK]: EscalateTaskJob;
  [RECORD_MESSAGE_OUTCOME]: MessageOutcomeJob;
  [REPLAY_SEND]: ReplaySendJob;
  [PLAYBOOK_EVENTS]: PlaybookEventsBatch;
  [PLAYBOOK_EVENTS_DONE]: PlaybookEventsDoneJob;
  [SIGNAL_ALERTS]: SignalAlertsBatch;
  [SIGNAL_ALERTS_DONE]: SignalAlertsDoneJob;
  [SEGMENT_ALERTS_DONE]: SegmentAlertsDoneJob;
  [JOURNEY_ALERTS]: JourneyAlertsBatch;
  [JOURNEY_ALERTS_DONE]: JourneyAlertsDoneJob;
  /** Risk changes for the actions stage's alert rules: a batch, or one crossing queued before batches. */
  [RAISE_ALERTS]: RaiseAlertsBatch | RaiseAlertsCrossing;
}

/** One friction signal as FRICTION_SIGNAL alert rules evaluate it. JSON-safe. */
export interface SignalForAlerts {
  signalId: string;
  profileId: string;
  /** `retry_loop`, `stall`, … */
  type: string;
  /** 0 (mild) to 1 (severe). */
  severity: number;
  /** ISO time. */
  detectedAt: string;
  journeyInstanceId: string | null;
  /** The signal's summary (its evidence's, else its type). */
  summary: string;
  /** Ids of the events behind it (its evidence's `eventIds`), at most a few dozen. */
  eventIds: string[];
}

/** Friction signals of one tenant for its FRICTION_SIGNAL alert rules, in signal id order. */
export interface SignalAlertsBatch {
  tenantId: string;
  signals: SignalForAlerts[];
}

/** One state a journey instance reached, as JOURNEY alert rules evaluate it. JSON-safe. */
export interface JourneyStateForAlerts {
  instanceId: string;
  profileId: string;
  journeyId: string;
  journeyName: string;
  state: 'active' | 'stalled' | 'completed' | 'abandoned';
  /** The step the state is at (for `active`, each step reached). */
  stepIndex: number;
  step: string;
  /** True for the `active` state at the step the instance started at: the journey began. */
  started: boolean;
  /** ISO time the state began. */
  observedAt: string;
}

/** The journey states of one tenant for its JOURNEY alert rules, with the instances' markers to acknowledge. */
export interface JourneyAlertsBatch {
  tenantId: string;
  states: JourneyStateForAlerts[];
  /** Each instance's `alertsPendingSince` (ISO) as the states were read: the acknowledgement clears only that one. */
  pending: { instanceId: string; since: string }[];
}

/** actions → signals: the instances of one `journey-alerts` job that actions has evaluated. */
export interface JourneyAlertsDoneJob {
  tenantId: string;
  pending: { instanceId: string; since: string }[];
}

/** actions → profiles: the entries and exits of one pass that actions has evaluated. */
export interface SegmentAlertsDoneJob {
  tenantId: string;
  changes: { membershipId: string; change: 'entered' | 'exited' }[];
}

/**
 * The id of a `segment-membership-changed` job: one per entry or exit; a sweeper's re-send
 * (`resend`, one per grace period) is a new job even while the first is kept as completed.
 */
export function segmentChangeJobId(event: Pick<SegmentMembershipChangedEvent, 'tenantId' | 'membershipId' | 'change'>, resend?: string): string {
  return `${event.tenantId}-${event.membershipId}-${event.change}${resend ? `-${resend}` : ''}`;
}

/** actions → signals: the signals of one `signal-alerts` job that actions has evaluated. */
export interface SignalAlertsDoneJob {
  tenantId: string;
  signalIds: string[];
}

/**
 * The deterministic id of a `signal-alerts` job: a retried pass queues nothing new; a sweeper's
 * re-send (`resend`, one per grace period) is a new job even while the first is kept as completed.
 */
export function signalAlertsJobId(tenantId: string, signalIds: readonly string[], resend?: string): string {
  return `${tenantId}-signals-${signalIds[0]}-${signalIds[signalIds.length - 1]}${resend ? `-${resend}` : ''}`;
}

/** One visit of one step of a playbook run; everything else is read from the run's row. */
export interface PlaybookStepJob {
  tenantId: string;
  runId: string;
  stepId: string;
  visit: number;
}

/** One event of a profile, as `waitForEvent` steps match it. JSON-safe. */
export interface PlaybookEventRef {
  eventId: string;
  profileId: string;
  /** The event name, e.g. `Email Opened`. */
  name: string;
  properties: Record<string, unknown>;
  /** ISO time the event happened. */
  occurredAt: string;
}

/** Events of one tenant for the playbook runs waiting on them, in the order received. */
export interface PlaybookEventsBatch {
  tenantId: string;
  events: PlaybookEventRef[];
  /**
   * ISO time of the newest hand-off marker (`playbookEventsPendingSince`) among the events, as
   * signals read them; the acknowledgement clears markers up to it. Absent (a batch not queued
   * by signals): the acknowledgement clears markers up to the time actions processed it.
   */
  pendingSince?: string;
}

/** actions → signals: the events of one `playbook-events` job were matched (see `PLAYBOOK_EVENTS_DONE`). */
export interface PlaybookEventsDoneJob {
  tenantId: string;
  eventIds: string[];
  /** ISO time: markers set after it belong to a later hand-off of the event and stay. */
  upTo: string;
  /**
   * The acknowledgements of more `playbook-events` jobs gathered into this one over the ack
   * window (`Queues.ack`), each with its own `upTo`: a union under one time would clear a later
   * hand-off's marker, or keep an acknowledged one.
   */
  also?: { eventIds: string[]; upTo: string }[];
}

/**
 * The deterministic id of a `playbook-events` job: a retried pass queues nothing new; a sweeper's
 * re-send (`resend`, one per grace period) is a new job even while the first is kept as completed.
 */
export function playbookEventsJobId(tenantId: string, eventIds: readonly string[], resend?: string): string {
  return `${tenantId}-events-${eventIds[0]}-${eventIds[eventIds.length - 1]}${resend ? `-${resend}` : ''}`;
}

/** The deterministic id of a step's job: one job per visit, so queueing it twice is a no-op. */
export function playbookStepJobId(job: Pick<PlaybookStepJob, 'runId' | 'stepId' | 'visit'>): string {
  return `${job.runId}-${job.stepId}-${job.visit}`;
}

/** One risk change that was news (see risk's `isRiskChange`), as alert rules evaluate it. JSON-safe. */
export interface RiskChangeForAlerts {
  profileId: string;
  scoreId: string;
  /** `churn`, `drop_off`, … */
  kind: string;
  /** 0–100. */
  score: number;
  previousScore: number | null;
  bucket: string;
  previousBucket: string | null;
  clv: number | null;
  revenueAtRisk: number | null;
  reasons: { factor: string; contribution: number; description: string; evidence: string[] }[];
  /** Segments the profile was in when scored. */
  segmentIds: string[];
  /** ISO time the score was computed (absent in jobs queued before it was sent). */
  scoredAt?: string;
}

/**
 * risk → actions: every risk change of one scored batch that was news (not only bucket crossings,
 * so threshold rules see every move), in score order. Job id
 * `<tenantId>-alerts-<first scoreId>-<last scoreId>` (deterministic: a replay queues nothing new).
 */
export interface RaiseAlertsBatch {
  tenantId: string;
  changes: RiskChangeForAlerts[];
  /** `history`: scored for an import, served after every live job (see `FairShare`). Absent: live. */
  lane?: Lane;
}

/** The single bucket crossing queued before batches; still accepted for jobs already in Redis. */
export interface RaiseAlertsCrossing {
  tenantId: string;
  profileId: string;
  scoreId: string;
  score: number;
  bucket: string;
  previousBucket: string | null;
}
export type QueueName = keyof JobPayloads;

/**
 * Queues `score-profile` for a profile, debounced: the job waits `debounceMs`, and every request
 * for the same profile inside that window is dropped by BullMQ's deduplication (id
 * `<tenantId>-<profileId>`), since the waiting job will score the profile as it is by then. With
 * no debounce, `uniqueKey` makes the job id (one job per cause).
 */
export async function queueScoreProfile(
  queue: Pick<Queue<JobPayloads[typeof SCORE_PROFILE]>, 'add'>,
  job: JobPayloads[typeof SCORE_PROFILE],
  debounceMs: number,
  uniqueKey: string,
): Promise<void> {
  await queue.add(
    SCORE_PROFILE,
    job,
    debounceMs > 0
      ? { delay: debounceMs, deduplication: { id: `${job.tenantId}-${job.profileId}`, ttl: debounceMs } }
      : { jobId: `${job.tenantId}-${job.profileId}-${uniqueKey}` },
  );
}

/**
 * BullMQ key prefix, hash-tagged (`{…}`) so every key of a queue lands on one Redis Cluster slot.
 */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

/** Backoff type of every stage job: exponential from 500 ms, capped (see `retryDelayMs`). */
export const CAPPED_BACKOFF = 'capped-exponential';
/** Longest wait between two tries of a job, ms: a stage retries about once a minute while its database is down. */
export const MAX_RETRY_DELAY_MS = 60_000;
/**
 * Tries of a job before it fails for good: at the capped delay, about a week. An infrastructure
 * error (a database restart, a network split) is retried until the infrastructure is back, not for
 * a fixed minute; a bug in a payload fails at once (`UnrecoverableError`).
 */
export const JOB_ATTEMPTS = 10_000;

/** The wait before try `attemptsMade + 1`: 500 ms · 2^(attempts − 1), at most `MAX_RETRY_DELAY_MS`. */
export function retryDelayMs(attemptsMade: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, Math.round(500 * 2 ** Math.max(0, attemptsMade - 1)));
}

const jobAttempts = new WeakMap<Redis, number>();

/**
 * Sets the tries of every job queued afterwards through a queue built by `queueOptions` on this
 * connection (`config.queues.jobAttempts`, set by `runSubgraph` for `deps.redis`). A connection
 * never given one queues jobs with `JOB_ATTEMPTS`.
 */
export function setJobAttempts(connection: Redis, attempts: number): void {
  jobAttempts.set(connection, attempts);
}

export function queueOptions(connection: Redis, prefix: string): QueueOptions {
  return {
    connection,
    prefix: queuePrefix(prefix),
    defaultJobOptions: {
      // the producer decides: BullMQ stores a job's attempts with the job when it is added
      attempts: jobAttempts.get(connection) ?? JOB_ATTEMPTS,
      backoff: { type: CAPPED_BACKOFF, delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  };
}

/** Lock and stalled-job timing of workers (`Config.queues`). */
export interface WorkerTiming {
  lockDurationMs: number;
  stalledIntervalMs: number;
}

const workerTimings = new WeakMap<Redis, Readonly<WorkerTiming>>();

/**
 * Sets the lock and stalled-check timing of every worker built afterwards by `workerOptions` on
 * this connection. `runSubgraph` calls it with `config.queues` for `deps.redis`, so worker modules
 * keep calling `workerOptions(deps.redis, prefix)` and get the configured timing. A connection
 * never given one gets BullMQ's defaults (which are also the configuration's).
 */
export function setWorkerTiming(connection: Redis, timing: Readonly<WorkerTiming>): void {
  workerTimings.set(connection, timing);
}

export function workerOptions(connection: Redis, prefix: string, concurrency = 8): WorkerOptions {
  const timing = workerTimings.get(connection);
  return {
    connection,
    prefix: queuePrefix(prefix),
    concurrency,
    autorun: true,
    // the strategy behind CAPPED_BACKOFF; a job with a built-in backoff type keeps BullMQ's own
    settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade) },
    // lockRenewTime defaults to half the lock duration
    ...(timing && { lockDuration: timing.lockDurationMs, stalledInterval: timing.stalledIntervalMs }),
  };
}

export function createQueue<N extends QueueName>(name: N, connection: Redis, prefix: string): Queue<JobPayloads[N]> {
  return new Queue<JobPayloads[N]>(name, queueOptions(connection, prefix));
}

/** Default of `QUEUE_ACK_WINDOW_MS`: how long acknowledgements are gathered before they are sent. */
export const ACK_WINDOW_MS = 200;

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])];

/** The acknowledgement queues whose jobs are gathered per window and key (see `AckBuffer`). */
const ACK_KINDS: { [N in typeof ACTIVITY_RECORDED | typeof SCORE_FOLLOW_UPS_DONE | typeof SIGNAL_ALERTS_DONE | typeof PLAYBOOK_EVENTS_DONE]: AckKind<JobPayloads[N]> } = {
  // per tenant and lane: signals takes each lane's events out of its in-flight count
  [ACTIVITY_RECORDED]: {
    keyOf: (a) => `${a.tenantId}\u0000${a.lane ?? 'live'}`,
    merge: (held, more) => ({ ...held, eventIds: union(held.eventIds, more.eventIds) }),
    size: (a) => a.eventIds.length,
  },
  [SCORE_FOLLOW_UPS_DONE]: {
    keyOf: (a) => `${a.tenantId}\u0000${a.consumer}`,
    merge: (held, more) => ({ ...held, scoreIds: union(held.scoreIds, more.scoreIds) }),
    size: (a) => a.scoreIds.length,
  },
  [SIGNAL_ALERTS_DONE]: {
    keyOf: (a) => a.tenantId,
    merge: (held, more) => ({ ...held, signalIds: union(held.signalIds, more.signalIds) }),
    size: (a) => a.signalIds.length,
  },
  // each job's events keep their own watermark (`also`)
  [PLAYBOOK_EVENTS_DONE]: {
    keyOf: (a) => a.tenantId,
    merge: (held, more) => ({ ...held, also: [...(held.also ?? []), { eventIds: more.eventIds, upTo: more.upTo }, ...(more.also ?? [])] }),
    size: (a) => a.eventIds.length + (a.also ?? []).reduce((n, g) => n + g.eventIds.length, 0),
  },
};

/** A queue whose jobs are acknowledgements, gathered by `Queues.ack`. */
export type AckQueueName = keyof typeof ACK_KINDS;

/**
 * One `Queue` per name per process, closed on shutdown. `failFast` (the API request paths' queues,
 * on `createProducerRedis`): `get` refuses with `UNAVAILABLE` while the connection is not ready,
 * since a queue first built then would wait for Redis before its first command.
 */
export class Queues {
  private readonly open = new Map<QueueName, Queue>();
  private readonly acks = new Map<string, AckBuffer<unknown>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly failFast = false,
    /** How long acknowledgements are gathered (`QUEUE_ACK_WINDOW_MS`); 0 sends each at once. */
    private readonly ackWindowMs = ACK_WINDOW_MS,
    private readonly onAckError: (err: unknown, buffer: string, acks: number) => void = () => {},
  ) {}

  /**
   * Queues an acknowledgement, gathered with the others of its key for `ackWindowMs` into one job
   * (see `AckBuffer`: a held ack lost with the process leaves its marker to the sweepers). The
   * promise settles when the ack is handed to the buffer, or sent when the window is 0.
   */
  ack<N extends AckQueueName>(name: N, data: JobPayloads[N]): Promise<void> {
    return this.held(name, ACK_KINDS[name] as AckKind<JobPayloads[N]>, async (acks) => void (await this.get(name).addBulk(acks.map((a) => ({ name, data: a })) as never))).add(data);
  }

  /**
   * The process's buffer `id` of hand-offs held for the ack window and sent together by `send`
   * (built on first use; flushed by `flushAcks` and on close). For hand-offs whose receiving stage
   * is idempotent and whose sending stage keeps a marker its sweeper re-sends from, like the
   * acknowledgements (see `AckBuffer`).
   */
  held<T>(id: string, kind: AckKind<T>, send: (items: T[]) => Promise<void>): AckBuffer<T> {
    let buffer = this.acks.get(id) as AckBuffer<T> | undefined;
    if (!buffer) {
      buffer = new AckBuffer<T>(kind, this.ackWindowMs, send, (err, count) => this.onAckError(err, id, count));
      this.acks.set(id, buffer as unknown as AckBuffer<unknown>);
    }
    return buffer;
  }

  /** Sends every acknowledgement held now (tests, and shutdown). */
  async flushAcks(): Promise<void> {
    await Promise.all([...this.acks.values()].map((b) => b.flush()));
  }

  get<N extends QueueName>(name: N): Queue<JobPayloads[N]> {
    if (this.failFast && this.connection.status !== 'ready') {
      throw new AppError('UNAVAILABLE', 'the queue (Redis) is unreachable: retry later', { retryAfterSeconds: REDIS_DOWN_RETRY_AFTER_SECONDS });
    }
    let queue = this.open.get(name);
    if (!queue) {
      queue = createQueue(name, this.connection, this.prefix) as unknown as Queue;
      this.open.set(name, queue);
    }
    return queue as unknown as Queue<JobPayloads[N]>;
  }

  async close(): Promise<void> {
    // what is held goes out first: the queues it needs close next
    await Promise.all([...this.acks.values()].map((b) => b.close()));
    await Promise.all([...this.open.values()].map((q) => q.close()));
    this.open.clear();
  }
}
