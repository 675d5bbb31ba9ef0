import { endpointEventType, type SegmentEndpoint } from '../../../common/segment-api';
import type { EventType } from '../../../common/queues';
import { isJsonObject, parseTimestamp } from './validate-event';

/** The events of one Segment API request, before each is validated. */
export interface SegmentRequest {
  events: unknown[];
  /** The request's `sentAt`, applied to events that carry none. */
  sentAt: Date | null;
  /** Type implied by the endpoint, or null for `/v1/batch`. */
  impliedType: EventType | null;
}

/**
 * Reads a parsed Segment request body: `/v1/batch` takes `{ batch: [...], sentAt?, context? }`
 * (a batch-level `context` is the default for each event's, as in Segment's HTTP API); every
 * other endpoint takes one event whose type the path names. The reason string when the body
 * itself is unusable (the whole request is refused with 400).
 */
export function readSegmentBody(endpoint: SegmentEndpoint, body: unknown): SegmentRequest | string {
  if (!isJsonObject(body)) return 'the body must be a JSON object';
  const sentAt = parseTimestamp(body.sentAt);
  if (sentAt === undefined) return 'sentAt must be an ISO-8601 date-time with a time zone';
  const impliedType = endpointEventType(endpoint);
  if (impliedType) return { events: [body], sentAt, impliedType };
  if (!Array.isArray(body.batch)) return 'batch must be an array of events';
  const shared = isJsonObject(body.context) ? body.context : null;
  const events = shared
    ? body.batch.map((event: unknown) =>
        isJsonObject(event) && (event.context === undefined || isJsonObject(event.context))
          ? { ...event, context: { ...shared, ...(event.context as Record<string, unknown> | undefined) } }
          : event,
      )
    : body.batch;
  return { events, sentAt, impliedType: null };
}
