import { Queue, type QueueOptions, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Queue names and job payloads, declared once. Job ids are joined with `-` (BullMQ reserves `:`)
 * and are deterministic, so enqueueing the same work twice is a no-op.
 */
export const RAISE_ALERTS = 'raise-alerts';
/** signals → profiles: map a stored event's identities to one profile. */
export const RESOLVE_IDENTITY = 'resolve-identity';
/** profiles → signals: the event belongs to this profile; mark it processed (and detect friction). */
export const EVENT_RESOLVED = 'event-resolved';
/** profiles → profiles: re-evaluate segment membership of one profile. */
export const EVALUATE_SEGMENTS = 'evaluate-segments';
/** signals (scheduled): re-enqueue stored events that were never processed. */
export const SWEEP_EVENTS = 'sweep-events';
/** profiles (scheduled): re-check time-based segment conditions. */
export const RECHECK_SEGMENTS = 'recheck-segments';

/** Event types of the Segment tracking spec. */
export type EventType = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';

/**
 * A stored event as the profiles stage needs it: identities, traits, and what computed traits
 * are built from. JSON-safe (ISO dates) because it travels through Redis.
 */
export interface ResolveIdentityJob {
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

export interface JobPayloads {
  [RESOLVE_IDENTITY]: ResolveIdentityJob;
  [EVENT_RESOLVED]: { tenantId: string; eventId: string; profileId: string };
  [EVALUATE_SEGMENTS]: { tenantId: string; profileId: string };
  [SWEEP_EVENTS]: Record<string, never>;
  [RECHECK_SEGMENTS]: Record<string, never>;
  /** A risk score crossed into a new bucket: the actions stage decides whether to alert. */
  [RAISE_ALERTS]: {
    tenantId: string;
    profileId: string;
    scoreId: string;
    score: number;
    bucket: string;
    previousBucket: string | null;
  };
}
export type QueueName = keyof JobPayloads;

/**
 * BullMQ key prefix, hash-tagged (`{…}`) so every key of a queue lands on one Redis Cluster slot.
 */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

export function queueOptions(connection: Redis, prefix: string): QueueOptions {
  return {
    connection,
    prefix: queuePrefix(prefix),
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  };
}

export function workerOptions(connection: Redis, prefix: string, concurrency = 8): WorkerOptions {
  return { connection, prefix: queuePrefix(prefix), concurrency, autorun: true };
}

export function createQueue<N extends QueueName>(name: N, connection: Redis, prefix: string): Queue<JobPayloads[N]> {
  return new Queue<JobPayloads[N]>(name, queueOptions(connection, prefix));
}

/** One `Queue` per name per process, closed on shutdown. */
export class Queues {
  private readonly open = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  get<N extends QueueName>(name: N): Queue<JobPayloads[N]> {
    let queue = this.open.get(name);
    if (!queue) {
      queue = createQueue(name, this.connection, this.prefix) as unknown as Queue;
      this.open.set(name, queue);
    }
    return queue as unknown as Queue<JobPayloads[N]>;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((q) => q.close()));
    this.open.clear();
  }
}
