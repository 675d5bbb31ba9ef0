import type { SegmentChangeFacts } from './evaluate-segment-rules';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a `segment-membership-changed` payload (one entry or exit): the change, without the
 * segments its profile is known to be in, or the reason it is unusable (naming the field).
 */
export function readSegmentChange(data: unknown): ({ tenantId: string } & Omit<SegmentChangeFacts, 'segmentIds'>) | string {
  if (!data || typeof data !== 'object') return 'not an object';
  const d = data as Record<string, unknown>;
  if (typeof d.tenantId !== 'string' || !d.tenantId) return 'tenantId must be a non-empty string';
  if (typeof d.segmentId !== 'string' || !UUID.test(d.segmentId)) return 'segmentId must be a segment id (uuid)';
  if (typeof d.profileId !== 'string' || !UUID.test(d.profileId)) return 'profileId must be a profile id (uuid)';
  if (typeof d.membershipId !== 'string' || !UUID.test(d.membershipId)) return 'membershipId must be a membership id (uuid)';
  if (d.change !== 'entered' && d.change !== 'exited') return 'change must be entered or exited';
  const at = new Date(typeof d.at === 'string' ? d.at : Number.NaN);
  if (Number.isNaN(at.getTime())) return 'at must be an ISO time';
  const segmentName = typeof d.segmentName === 'string' && d.segmentName ? d.segmentName.slice(0, 200) : d.segmentId;
  return { tenantId: d.tenantId, segmentId: d.segmentId, segmentName, profileId: d.profileId, membershipId: d.membershipId, change: d.change, at };
}
