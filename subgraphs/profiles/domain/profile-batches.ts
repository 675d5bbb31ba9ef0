import { isUuid } from '../../common/ids';
import type { ComputedTraitsItem, EvaluateSegmentsBatch, SetComputedTraitsBatch } from '../../common/queues';
import { isComputedTraitNamespace } from './computed-traits';

/** An item a batch job carried but cannot be processed: its index in the payload, and why. */
export interface DroppedItem {
  index: number;
  reason: string;
}

/**
 * A batch job's payload read: the batch with its good items and the items left out, or, when the
 * payload as a whole is unusable (no tenant, no good item at all), every problem found.
 */
export type ParsedBatch<T> = { ok: true; batch: T; dropped: DroppedItem[] } | { ok: false; problems: string[] };

/** What a lone (pre-batch) payload and a batch payload may carry; read defensively, it came from Redis. */
interface RawPayload {
  tenantId?: unknown;
  lane?: unknown;
  profileId?: unknown;
  profileIds?: unknown;
  source?: unknown;
  traits?: unknown;
  items?: unknown;
  scoreIds?: unknown;
}

function asPayload(data: unknown): RawPayload | null {
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as RawPayload) : null;
}

/** The batch's lane: `history` when it says so, else live (absent). */
function laneOf(data: RawPayload): { lane?: 'history' } {
  return data.lane === 'history' ? { lane: 'history' } : {};
}

/** The risk scores a traits batch follows up (to acknowledge), UUIDs only; absent when none. */
function scoreIdsOf(data: RawPayload): { scoreIds?: string[] } {
  const ids = Array.isArray(data.scoreIds) ? data.scoreIds.filter((id): id is string => typeof id === 'string' && isUuid(id)) : [];
  return ids.length ? { scoreIds: ids } : {};
}

/**
 * Reads an `evaluate-segments` payload: a batch `{ tenantId, profileIds, lane? }`, or the lone
 * form `{ tenantId, profileId }` of a job queued before batches existed. A profile id that is not
 * a UUID is left out (it can match no row); duplicates are kept once, in first-seen order.
 */
export function parseEvaluateSegments(data: unknown, maxProfiles: number): ParsedBatch<EvaluateSegmentsBatch> {
  const payload = asPayload(data);
  if (!payload) return { ok: false, problems: ['no payload'] };
  if (typeof payload.tenantId !== 'string' || !payload.tenantId) return { ok: false, problems: ['tenantId is required'] };
  const tenantId = payload.tenantId;
  const ids = Array.isArray(payload.profileIds) ? (payload.profileIds as unknown[]) : payload.profileIds === undefined ? [payload.profileId] : null;
  if (ids === null) return { ok: false, problems: ['profileIds must be an array'] };
  if (ids.length === 0) return { ok: false, problems: ['profileIds must not be empty'] };
  if (ids.length > maxProfiles) return { ok: false, problems: [`profileIds must hold at most ${maxProfiles} ids (got ${ids.length})`] };
  const dropped: DroppedItem[] = [];
  const kept = new Set<string>();
  ids.forEach((id, index) => {
    if (typeof id === 'string' && isUuid(id)) kept.add(id);
    else dropped.push({ index, reason: 'profile id must be a UUID' });
  });
  if (kept.size === 0) return { ok: false, problems: dropped.map(({ index, reason }) => `profileIds[${index}]: ${reason}`) };
  return { ok: true, batch: { tenantId, profileIds: [...kept], ...laneOf(payload) }, dropped };
}

/** What is wrong with one computed-traits item; null when it can be stored. */
export function computedTraitsItemProblem(item: unknown): string | null {
  const data = asPayload(item);
  if (!data) return 'not an object';
  const problems = [
    typeof data.profileId === 'string' && isUuid(data.profileId) ? null : 'profileId must be a UUID',
    typeof data.source === 'string' && isComputedTraitNamespace(data.source) ? null : 'source must match [a-z][a-z0-9_]* and not be a built-in key',
    data.traits !== null && typeof data.traits === 'object' && !Array.isArray(data.traits) ? null : 'traits must be an object',
  ].filter((p) => p !== null);
  return problems.length ? problems.join(', ') : null;
}

/**
 * Reads a `set-computed-traits` payload: a batch `{ tenantId, items, lane? }`, or the lone form
 * `{ tenantId, profileId, source, traits }` of a job queued before batches existed. A malformed
 * item is left out with its index and reason, the good ones are kept in order; the payload is
 * unusable only when it has no tenant or no good item (a lone one that is malformed included).
 */
export function parseComputedTraitsBatch(data: unknown, maxItems: number): ParsedBatch<SetComputedTraitsBatch> {
  const payload = asPayload(data);
  if (!payload) return { ok: false, problems: ['no payload'] };
  if (typeof payload.tenantId !== 'string' || !payload.tenantId) return { ok: false, problems: ['tenantId is required'] };
  const tenantId = payload.tenantId;
  if (payload.items === undefined) {
    const problem = computedTraitsItemProblem(payload);
    if (problem) return { ok: false, problems: [problem] };
    const { profileId, source, traits } = payload as ComputedTraitsItem;
    return { ok: true, batch: { tenantId, items: [{ profileId, source, traits }] }, dropped: [] };
  }
  if (!Array.isArray(payload.items) || payload.items.length === 0) return { ok: false, problems: ['items must be a non-empty array'] };
  if (payload.items.length > maxItems) return { ok: false, problems: [`items must hold at most ${maxItems} items (got ${payload.items.length})`] };
  const items: ComputedTraitsItem[] = [];
  const dropped: DroppedItem[] = [];
  (payload.items as unknown[]).forEach((item, index) => {
    const reason = computedTraitsItemProblem(item);
    if (reason) {
      dropped.push({ index, reason });
      return;
    }
    const { profileId, source, traits } = item as ComputedTraitsItem;
    items.push({ profileId, source, traits });
  });
  if (items.length === 0) return { ok: false, problems: dropped.map(({ index, reason }) => `items[${index}]: ${reason}`) };
  return { ok: true, batch: { tenantId, items, ...laneOf(payload), ...scoreIdsOf(payload) }, dropped };
}
