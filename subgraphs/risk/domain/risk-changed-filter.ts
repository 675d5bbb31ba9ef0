/** What a `riskChanged` subscriber asked for; every present criterion must match. */
export interface RiskChangeCriteria {
  profileIds?: readonly string[] | null;
  /** The profile is in at least one of these segments when scored. */
  segmentIds?: readonly string[] | null;
  minScore?: number | null;
  buckets?: readonly string[] | null;
  crossingOnly?: boolean | null;
  kinds?: readonly string[] | null;
}

export interface RiskChangeFacts {
  profileId: string;
  score: number;
  bucket: string;
  crossing: boolean;
  kind: string;
  segmentIds?: readonly string[];
}

/** True when the change passes the subscriber's filter. An absent filter passes everything. */
export function matchesRiskChange(change: RiskChangeFacts, criteria: RiskChangeCriteria | null | undefined): boolean {
  if (!criteria) return true;
  if (criteria.profileIds?.length && !criteria.profileIds.includes(change.profileId)) return false;
  if (criteria.segmentIds?.length && !criteria.segmentIds.some((id) => change.segmentIds?.includes(id))) return false;
  if (criteria.minScore != null && change.score < criteria.minScore) return false;
  if (criteria.buckets?.length && !criteria.buckets.includes(change.bucket)) return false;
  if (criteria.crossingOnly && !change.crossing) return false;
  if (criteria.kinds?.length && !criteria.kinds.includes(change.kind)) return false;
  return true;
}
