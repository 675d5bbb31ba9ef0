import type { RiskChangeFacts, ScoreReason } from './evaluate-alert-rules';

/** A change of a batch that could not be used, by its position in `changes`. */
export interface RejectedChange {
  index: number;
  reason: string;
}

/** A `raise-alerts` job, checked: the usable changes, and the rejected ones by index. */
export interface RaiseAlertsWork {
  tenantId: string;
  lane: 'live' | 'history';
  changes: RiskChangeFacts[];
  rejected: RejectedChange[];
}

/**
 * Reads a `raise-alerts` payload: a batch `{ tenantId, lane?, changes }`, or the single crossing
 * queued before batches (`{ tenantId, profileId, scoreId, score, bucket, previousBucket }`, which
 * carries no kind, previous score, CLV or segments). A change that is malformed is rejected with
 * its index and the others are kept; a payload without a tenant, or with neither form, throws a
 * `RangeError` (the worker fails it without retries).
 */
export function readRaiseAlertsJob(data: unknown): RaiseAlertsWork {
  const d = (data ?? {}) as Record<string, unknown>;
  if (typeof d.tenantId !== 'string' || !d.tenantId) throw new RangeError('readRaiseAlertsJob: tenantId must be a non-empty string');
  const lane = d.lane === 'history' ? 'history' : 'live';
  if (!Array.isArray(d.changes)) {
    const legacy = readChange({ ...d, kind: null, previousScore: null, clv: null, revenueAtRisk: null, reasons: [], segmentIds: [] });
    if (typeof legacy === 'string') throw new RangeError(`readRaiseAlertsJob: neither a batch (changes) nor a single crossing: ${legacy}`);
    return { tenantId: d.tenantId, lane, changes: [legacy], rejected: [] };
  }
  const changes: RiskChangeFacts[] = [];
  const rejected: RejectedChange[] = [];
  d.changes.forEach((raw, index) => {
    const change = readChange(raw);
    if (typeof change === 'string') rejected.push({ index, reason: change });
    else changes.push(change);
  });
  return { tenantId: d.tenantId, lane, changes, rejected };
}

const isScore = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 100;
const isAmount = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;

/** One change, or the reason it is unusable (naming the field). */
function readChange(raw: unknown): RiskChangeFacts | string {
  if (!raw || typeof raw !== 'object') return 'not an object';
  const c = raw as Record<string, unknown>;
  if (typeof c.profileId !== 'string' || !UUID.test(c.profileId)) return 'profileId must be a profile id (uuid)';
  if (!isText(c.scoreId)) return 'scoreId must be a non-empty string';
  if (c.kind !== null && !isText(c.kind)) return 'kind must be a string or null';
  if (!isScore(c.score)) return 'score must be a number from 0 to 100';
  if (c.previousScore != null && !isScore(c.previousScore)) return 'previousScore must be a number from 0 to 100 or null';
  if (!isText(c.bucket)) return 'bucket must be a non-empty string';
  if (c.previousBucket != null && !isText(c.previousBucket)) return 'previousBucket must be a string or null';
  if (c.clv !== undefined && !isAmount(c.clv)) return 'clv must be a number or null';
  if (c.revenueAtRisk !== undefined && !isAmount(c.revenueAtRisk)) return 'revenueAtRisk must be a number or null';
  if (c.reasons !== undefined && !Array.isArray(c.reasons)) return 'reasons must be a list';
  if (c.segmentIds !== undefined && !(Array.isArray(c.segmentIds) && c.segmentIds.every(isText))) return 'segmentIds must be a list of ids';
  const scoredAt = c.scoredAt === undefined || c.scoredAt === null ? null : typeof c.scoredAt === 'string' ? new Date(c.scoredAt) : new Date(Number.NaN);
  if (scoredAt && Number.isNaN(scoredAt.getTime())) return 'scoredAt must be an ISO time';
  return {
    profileId: c.profileId,
    scoreId: c.scoreId,
    kind: (c.kind as string | null) ?? null,
    score: c.score,
    previousScore: (c.previousScore as number | null | undefined) ?? null,
    bucket: c.bucket,
    previousBucket: (c.previousBucket as string | null | undefined) ?? null,
    clv: (c.clv as number | null | undefined) ?? null,
    revenueAtRisk: (c.revenueAtRisk as number | null | undefined) ?? null,
    reasons: ((c.reasons as ScoreReason[] | undefined) ?? []).filter((r) => r && typeof r === 'object'),
    segmentIds: (c.segmentIds as string[] | undefined) ?? [],
    ...(scoredAt && { scoredAt }),
  };
}

