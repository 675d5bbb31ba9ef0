import { FIELD_LIMITS } from '../../../common/limits';
import type { EventType } from '../../../common/queues';
import { MAX_EVENT_BYTES } from '../../../common/segment-api';
import { canonicalJson, utf8ByteLength } from './canonical-json';
import { correctClockSkew } from './clock-skew';
import { jsonShapeProblem } from './json-shape';

/** Event types of the Segment tracking spec, in the order the spec lists them. */
export const EVENT_TYPES: readonly EventType[] = ['identify', 'track', 'page', 'screen', 'group', 'alias'];

/** Longest `messageId`, id (`userId`, `anonymousId`, …) and event/page name, in characters. */
export const MAX_ID_LENGTH = FIELD_LIMITS.eventIdLength;

/** One event, checked and normalized: what the signals stage stores. */
export interface NormalizedEvent {
  /** As sent, or derived from the event's content when absent (see `validateEvent`). */
  messageId: string;
  type: EventType;
  /** `track` event name, or the page/screen name; null for the other types. */
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** `alias`: the identity linked to `userId`. */
  previousId: string | null;
  /** `group`: the account/company id. */
  groupId: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  /** Event time on the server's clock (see `correctClockSkew`). */
  timestamp: Date;
  /** The event's `timestamp` (or `originalTimestamp`) as the client sent it. */
  originalTimestamp: Date | null;
  sentAt: Date | null;
  receivedAt: Date;
}

/** `notice`: the event was kept, but changed (e.g. a timestamp in the future), and why. */
export type EventValidation = { ok: true; event: NormalizedEvent; notice?: string } | { ok: false; reason: string };

/** Default of `ValidateEventOptions.futureToleranceMs` (config `INGEST_FUTURE_TOLERANCE_MS`). */
export const DEFAULT_FUTURE_TOLERANCE_MS = 10 * 60_000;
/** Earliest event time kept: anything before is a broken clock, and PostgreSQL's range ends at 4713 BC. */
export const EARLIEST_EVENT_TIME = Date.UTC(1900, 0, 1);

export interface ValidateEventOptions {
  /** When the request arrived (server clock). */
  receivedAt: Date;
  /** The request's `sentAt` (batch level); an event's own `sentAt` wins. */
  sentAt?: Date | null;
  /** Type implied by a single-event endpoint (`/v1/track` → `track`); overrides the event's own. */
  impliedType?: EventType | null;
  /** Hex digest (SHA-256) of a text, used to derive a missing `messageId`. */
  digest: (text: string) => string;
  /**
   * A bound on the event's size in bytes when one is known, e.g. the size of the request body it
   * came in: within `MAX_EVENT_BYTES`, the event cannot be over the limit and is not measured
   * (serialising every event again is a noticeable share of the ingest path's CPU).
   */
  sizeAtMost?: number;
  /**
   * How far past `receivedAt` the event time may be, ms; a later time is stored as `receivedAt`,
   * with a notice. Default `DEFAULT_FUTURE_TOLERANCE_MS`.
   */
  futureToleranceMs?: number;
}

/** Request-level members that are not part of an event and change between retries. */
const TRANSPORT_KEYS = new Set(['sentAt', 'writeKey', 'receivedAt']);

/**
 * Checks one Segment event and normalizes it, or says why it is refused. Rules: `type` is one of
 * `EVENT_TYPES`; `track` needs `event`; `alias` needs `previousId` and `userId`; `group` needs
 * `groupId`; every other type needs `userId` or `anonymousId`; ids are strings (numbers are
 * accepted and turned into strings, as Segment does) of at most 255 characters; `properties`,
 * `traits` and `context` are JSON objects; timestamps are ISO-8601 with a time zone; the event
 * is at most `MAX_EVENT_BYTES` of JSON.
 *
 * A missing `messageId` is derived as `sha256-<hex digest of the event's canonical JSON>`
 * (without `sentAt`/`writeKey`), so a retried request still deduplicates; two events with the
 * same content and no `timestamp` are then one event.
 */
export function validateEvent(raw: unknown, options: ValidateEventOptions): EventValidation {
  if (!isJsonObject(raw)) return refuse('an event must be a JSON object');
  // first: what follows serializes and hashes the event with recursive code, and the database
  // refuses NUL and unpaired surrogates (see json-shape.ts)
  const shape = jsonShapeProblem(raw, '');
  if (shape) return refuse(shape);
  if (options.sizeAtMost === undefined || options.sizeAtMost > MAX_EVENT_BYTES) {
    const bytes = utf8ByteLength(JSON.stringify(raw));
    if (bytes > MAX_EVENT_BYTES) return refuse(`event is ${bytes} bytes, over the limit of ${MAX_EVENT_BYTES}`);
  }

  const type = options.impliedType ?? raw.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return refuse(`type must be one of ${EVENT_TYPES.join(', ')} (got ${describe(raw.type)})`);
  }
  const eventType = type as EventType;

  const ids: Record<'messageId' | 'userId' | 'anonymousId' | 'previousId' | 'groupId', string | null> = {
    messageId: null,
    userId: null,
    anonymousId: null,
    previousId: null,
    groupId: null,
  };
  for (const key of Object.keys(ids) as (keyof typeof ids)[]) {
    const id = readId(raw[key], key, key !== 'messageId');
    if (typeof id === 'object' && id !== null) return id;
    ids[key] = id;
  }

  if (eventType === 'alias') {
    if (!ids.previousId || !ids.userId) return refuse('alias needs previousId and userId');
  } else if (!ids.userId && !ids.anonymousId) {
    return refuse(`${eventType} needs userId or anonymousId`);
  }
  if (eventType === 'group' && !ids.groupId) return refuse('group needs groupId');

  let name: string | null = null;
  if (eventType === 'track') {
    if (typeof raw.event !== 'string' || raw.event.trim() === '') return refuse('track needs event (a non-empty string)');
    name = raw.event;
  } else if (eventType === 'page' || eventType === 'screen') {
    if (raw.name !== undefined && raw.name !== null && typeof raw.name !== 'string') {
      return refuse(`name must be a string (got ${describe(raw.name)})`);
    }
    name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : null;
  }
  if (name !== null && name.length > MAX_ID_LENGTH) return refuse(`${eventType === 'track' ? 'event' : 'name'} is longer than ${MAX_ID_LENGTH} characters`);

  const objects: Record<'properties' | 'traits' | 'context', Record<string, unknown>> = { properties: {}, traits: {}, context: {} };
  for (const key of Object.keys(objects) as (keyof typeof objects)[]) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (!isJsonObject(value)) return refuse(`${key} must be a JSON object (got ${describe(value)})`);
    objects[key] = value;
  }

  const clocks: Record<'timestamp' | 'originalTimestamp' | 'sentAt', Date | null> = { timestamp: null, originalTimestamp: null, sentAt: null };
  for (const key of Object.keys(clocks) as (keyof typeof clocks)[]) {
    const parsed = parseTimestamp(raw[key]);
    if (parsed === undefined) return refuse(`${key} must be an ISO-8601 date-time with a time zone (got ${describe(raw[key])})`);
    clocks[key] = parsed;
  }
  const originalTimestamp = clocks.timestamp ?? clocks.originalTimestamp;
  const sentAt = clocks.sentAt ?? options.sentAt ?? null;
  const corrected = correctClockSkew({ originalTimestamp, sentAt, receivedAt: options.receivedAt });
  if (!(corrected.getTime() >= EARLIEST_EVENT_TIME)) {
    return refuse(`timestamp is before 1900-01-01${sentAt && originalTimestamp ? ' after correcting for the client clock (sentAt)' : ''}: a broken clock`);
  }
  const latest = options.receivedAt.getTime() + (options.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS);
  const inFuture = corrected.getTime() > latest;
  const timestamp = inFuture ? options.receivedAt : corrected;

  return {
    ok: true,
    ...(inFuture && { notice: `timestamp ${corrected.toISOString()} is in the future: stored as the time received, ${options.receivedAt.toISOString()}` }),
    event: {
      messageId: ids.messageId ?? deriveMessageId(raw, eventType, options.digest),
      type: eventType,
      name,
      userId: ids.userId,
      anonymousId: ids.anonymousId,
      previousId: ids.previousId,
      groupId: ids.groupId,
      ...objects,
      timestamp,
      originalTimestamp,
      sentAt,
      receivedAt: options.receivedAt,
    },
  };
}

/**
 * Parses an ISO-8601 date-time that names its time zone (`Z` or `±hh:mm`); a zone-less value
 * would be read in the server's local time. `null` when absent, `undefined` when invalid.
 */
export function parseTimestamp(value: unknown): Date | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function deriveMessageId(raw: Record<string, unknown>, type: EventType, digest: (text: string) => string): string {
  const content = Object.fromEntries(Object.entries(raw).filter(([key]) => !TRANSPORT_KEYS.has(key)));
  return `sha256-${digest(canonicalJson({ ...content, type }))}`;
}

/** An id as a string, `null` when absent or empty, or the refusal. */
function readId(value: unknown, key: string, numbersAllowed: boolean): string | null | { ok: false; reason: string } {
  if (value === undefined || value === null || value === '') return null;
  let id: string;
  if (typeof value === 'string') id = value;
  else if (numbersAllowed && typeof value === 'number' && Number.isFinite(value)) id = String(value);
  else return refuse(`${key} must be a string (got ${describe(value)})`);
  if (id.length > MAX_ID_LENGTH) return refuse(`${key} is longer than ${MAX_ID_LENGTH} characters`);
  return id;
}

/** A JSON object (not an array or null); parsed JSON and GraphQL JSONObject values both pass. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : String(value);
}
