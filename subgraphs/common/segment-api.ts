import type { EventType } from './queues';

/**
 * The Segment tracking API as Foresight serves it: the paths under `/v1/` and their size limits.
 * Shared by the gateway (which authenticates and forwards) and the signals service (which stores).
 * https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/
 */
export const SEGMENT_ENDPOINTS = ['batch', 'track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentEndpoint = (typeof SEGMENT_ENDPOINTS)[number];

/** Largest single event, in bytes of UTF-8 JSON (Segment: 32 KB per call). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Largest `/v1/batch` request body, in bytes (Segment: 500 KB per batch). */
export const MAX_BATCH_BYTES = 500 * 1024;

export function isSegmentEndpoint(name: string): name is SegmentEndpoint {
  return (SEGMENT_ENDPOINTS as readonly string[]).includes(name);
}

/** The largest body an endpoint accepts: a batch, or one event. */
export function segmentBodyLimit(endpoint: SegmentEndpoint): number {
  return endpoint === 'batch' ? MAX_BATCH_BYTES : MAX_EVENT_BYTES;
}

/** The event type a single-event endpoint implies; `null` for `/v1/batch` (each event says). */
export function endpointEventType(endpoint: SegmentEndpoint): EventType | null {
  return endpoint === 'batch' ? null : endpoint;
}
