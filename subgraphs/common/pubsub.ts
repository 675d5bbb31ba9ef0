import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from '@graphql-yoga/subscription';

import type { Redis } from 'ioredis';

import { createRedis } from './redis';
import type { Shutdown } from './shutdown';

/**
 * A risk score moved past the configured delta or crossed a bucket. JSON-safe (dates as ISO
 * strings) because it travels through Redis.
 */
export interface RiskChangedEvent {
  tenantId: string;
  profileId: string;
  scoreId: string;
  /** 0–100. */
  score: number;
  previousScore: number | null;
  bucket: string;
  previousBucket: string | null;
  /** Which risk moved (`churn`, `drop_off`, …). */
  kind: string;
  /** True when the bucket changed. */
  crossing: boolean;
  scoredAt: string;
  /** The model's probability, 0–1. */
  probability: number;
  pAlive: number | null;
  clv: number | null;
  revenueAtRisk: number | null;
  /** The journey instance of a `drop_off` score. */
  journeyInstanceId: string | null;
  reasons: { factor: string; contribution: number; description: string; evidence: string[] }[];
  model: { id: string | null; version: number | null; name: string };
  /** Segments the profile was in when scored (risk's copy of membership), for `segmentIds` filters. */
  segmentIds: string[];
}

/**
 * A profile entered or left a segment. JSON-safe (dates as ISO strings) because it travels
 * through Redis; the same payload is queued for the actions stage (`SEGMENT_MEMBERSHIP_CHANGED`
 * in `queues.ts`). Delivery is at least once: a job that crashed after publishing publishes again.
 */
export interface SegmentMembershipChangedEvent {
  tenantId: string;
  segmentId: string;
  segmentName: string;
  profileId: string;
  /** The membership row (one stay in the segment); with `change`, a unique id of the event. */
  membershipId: string;
  change: 'entered' | 'exited';
  /** When the profile entered or left (the evaluation time). */
  at: string;
}

/**
 * Every pub/sub topic, declared once. The second tuple element is the routing id: topics are
 * published per tenant, so a subscriber only ever receives its own tenant's events.
 */
/** A friction signal was recorded (JSON-safe: ISO dates). */
export interface SignalDetectedEvent {
  tenantId: string;
  signalId: string;
  profileId: string;
  type: string;
  severity: number;
  journeyInstanceId: string | null;
  detectedAt: string;
  summary: string;
}

/**
 * An alert rule raised a new alert (published once, when the alert row is inserted; a replayed
 * batch publishes nothing). JSON-safe (ISO dates) because it travels through Redis.
 */
export interface AlertRaisedEvent {
  tenantId: string;
  alertId: string;
  profileId: string;
  ruleId: string | null;
  ruleVersion: number | null;
  type: string;
  severity: string;
  team: string;
  message: string;
  score: number;
  previousScore: number | null;
  bucket: string | null;
  previousBucket: string | null;
  scoreId: string | null;
  scoreKind: string | null;
  /** The friction signal that fired it (absent on events published before signals could). */
  triggerId?: string | null;
  reasons: { factor: string; contribution: number; description: string; evidence: string[] }[];
  createdAt: string;
}

/**
 * A task was created, assigned or escalated (actions; published after the commit). JSON-safe (ISO
 * dates) because it travels through Redis. At least once: a retried step may publish again.
 */
export interface TaskAssignedEvent {
  tenantId: string;
  taskId: string;
  profileId: string;
  runId: string | null;
  team: string;
  title: string;
  priority: string;
  status: string;
  assignee: string | null;
  dueAt: string | null;
  escalatedAt: string | null;
  /** Why it was published. */
  change: 'created' | 'assigned' | 'escalated';
  createdAt: string;
  updatedAt: string;
}

export type Topics = {
  RISK_CHANGED: [tenantId: string, payload: RiskChangedEvent];
  ALERT_RAISED: [tenantId: string, payload: AlertRaisedEvent];
  SIGNAL_DETECTED: [tenantId: string, payload: SignalDetectedEvent];
  SEGMENT_MEMBERSHIP_CHANGED: [tenantId: string, payload: SegmentMembershipChangedEvent];
  TASK_ASSIGNED: [tenantId: string, payload: TaskAssignedEvent];
};
export const RISK_CHANGED = 'RISK_CHANGED';
export const ALERT_RAISED = 'ALERT_RAISED';
export const SIGNAL_DETECTED = 'SIGNAL_DETECTED';
export const SEGMENT_MEMBERSHIP_CHANGED = 'SEGMENT_MEMBERSHIP_CHANGED';
export const TASK_ASSIGNED = 'TASK_ASSIGNED';

export type FsPubSub = PubSub<Topics>;

/**
 * Redis-backed pub/sub: a publish on any instance reaches subscribers on every instance.
 * Channels are `<prefix>:<TOPIC>:<tenantId>`, so environments sharing a Redis stay apart.
 * Resolves once both connections are ready: a SUBSCRIBE sent while ioredis is still connecting
 * can be lost, which would silently drop a subscriber's first events.
 */
export async function createRedisPubSub(redisUrl: string, prefix: string, shutdown?: Shutdown): Promise<FsPubSub> {
  const publishClient = createRedis(redisUrl, shutdown, 'foresight-pub');
  const subscribeClient = createRedis(redisUrl, shutdown, 'foresight-sub');
  await Promise.all([whenReady(publishClient), whenReady(subscribeClient)]);
  const eventTarget = withChannelPrefix(createRedisEventTarget({ publishClient, subscribeClient }), `${prefix}:`);
  return createPubSub<Topics>({ eventTarget });
}

function whenReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

type EventTarget = ReturnType<typeof createRedisEventTarget<CustomEvent>>;

/** Prefixes every channel name; listeners are passed through unchanged so removal still works. */
function withChannelPrefix(inner: EventTarget, prefix: string): EventTarget {
  return {
    addEventListener: (type, listener, options) => inner.addEventListener(prefix + type, listener, options),
    removeEventListener: (type, listener, options) => inner.removeEventListener(prefix + type, listener, options),
    dispatchEvent: (event) => inner.dispatchEvent(new CustomEvent(prefix + event.type, { detail: event.detail })),
  };
}
