import { UniqueConstraintViolationException } from '@mikro-orm/core';

import { isUuid } from '../../common/ids';
import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import { RISK_CHANGED, type FsPubSub, type RiskChangedEvent } from '../../common/pubsub';
import { RAISE_ALERTS, SET_COMPUTED_TRAITS, type Queues } from '../../common/queues';
import { bucketFor, isRiskChange, type BucketThresholds } from '../domain/bucket';
import { RiskBucket, RiskScore, type RiskModelRef, type RiskReason } from '../entities/risk-score.entity';
import { SegmentMember } from '../entities/segment-member.entity';

export interface RiskServiceEnv {
  pubSub: FsPubSub;
  queues: Queues;
  /** Points a score must move to be published (see Config.risk.changeDelta). */
  changeDelta: number;
  buckets: BucketThresholds;
  log: Logger;
}

export interface RecordScoreInput {
  profileId: string;
  kind: string;
  /** The model's probability, 0–1; the score is its 0–100 form. */
  probability: number;
  reasons: RiskReason[];
  model: RiskModelRef;
  journeyInstanceId?: string | null;
  pAlive?: number | null;
  clv?: number | null;
  revenueAtRisk?: number | null;
  scoredAt?: Date;
}

/** Same probability from the same model version, and the same CLV: not a change worth a history row. */
function isSameAssessment(previous: RiskScore, input: RecordScoreInput): boolean {
  return (
    Math.abs(previous.probability - input.probability) < 1e-9 &&
    previous.modelId === input.model.id &&
    previous.modelVersion === input.model.version &&
    previous.clv === (input.clv ?? null) &&
    previous.pAlive === (input.pAlive ?? null)
  );
}

/** Stores scores and tells the rest of the platform when they move. */
export class RiskService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: RiskServiceEnv,
  ) {}

  latestFor(profileId: string, kind: string, journeyInstanceId: string | null = null): Promise<RiskScore | null> {
    return this.em.findOne(
      RiskScore,
      { tenantId: this.tenantId, profileId, kind, journeyInstanceId },
      { orderBy: { scoredAt: 'desc', id: 'desc' } },
    );
  }

  historyFor(profileId: string, opts: { kind: string; since?: Date | null; first: number }): Promise<RiskScore[]> {
    return this.em.find(
      RiskScore,
      { tenantId: this.tenantId, profileId, kind: opts.kind, ...(opts.since ? { scoredAt: { $gte: opts.since } } : {}) },
      { orderBy: { scoredAt: 'desc', id: 'desc' }, limit: opts.first },
    );
  }

  /** The latest drop-off score of each of these journey instances. */
  async latestDropOff(ids: string[]): Promise<Map<string, RiskScore>> {
    const journeyInstanceIds = ids.filter(isUuid);
    const rows = journeyInstanceIds.length
      ? await this.em.find(
          RiskScore,
          { tenantId: this.tenantId, kind: 'drop_off', journeyInstanceId: { $in: journeyInstanceIds } },
          { orderBy: { scoredAt: 'desc', id: 'desc' } },
        )
      : [];
    const latest = new Map<string, RiskScore>();
    for (const row of rows) if (row.journeyInstanceId && !latest.has(row.journeyInstanceId)) latest.set(row.journeyInstanceId, row);
    return latest;
  }

  /**
   * Stores a score and, when it moved past the delta or crossed a bucket, publishes `RISK_CHANGED`
   * for subscribers on every instance; on a crossing it also queues the actions stage (job id =
   * score id, so a retried call cannot alert twice) and pushes the bucket to the profile's
   * computed traits (`computedTraits.risk`).
   */
  async record(input: RecordScoreInput): Promise<{ score: RiskScore; change: RiskChangedEvent | null }> {
    const journeyInstanceId = input.journeyInstanceId ?? null;
    const scoredAt = input.scoredAt ?? new Date();
    // two jobs scoring one profile at once: each row names the row it follows, and that is unique,
    // so the second insert fails, finds the head of the history and compares against it
    let previous = await this.latestFor(input.profileId, input.kind, journeyInstanceId);
    for (let attempt = 0; ; attempt++) {
      if (previous && isSameAssessment(previous, input)) {
        // nothing moved: the history keeps one row per change; the row is re-dated as still current
        if (scoredAt > previous.scoredAt) {
          await this.em.nativeUpdate(RiskScore, { id: previous.id }, { scoredAt });
          previous.scoredAt = scoredAt;
        }
        return { score: previous, change: null };
      }
      const score = this.newScore(input, journeyInstanceId, scoredAt, previous);
      try {
        await this.em.insert(score);
      } catch (err) {
        if (!(err instanceof UniqueConstraintViolationException) || attempt >= 5) throw err;
        previous = await this.headAfter(score.follows!);
        continue;
      }
      return { score, change: await this.announce(score, previous) };
    }
  }

  /**
   * The newest row of a history, found by following successors from the row that follows `key`
   * (concurrent writers can store rows whose `scoredAt` is out of order, so the time is no guide).
   */
  private async headAfter(key: string): Promise<RiskScore | null> {
    let head = await this.em.findOne(RiskScore, { tenantId: this.tenantId, follows: key }, { refresh: true });
    for (let next = head; next; next = await this.em.findOne(RiskScore, { tenantId: this.tenantId, follows: next.id }, { refresh: true })) head = next;
    return head;
  }

  private newScore(input: RecordScoreInput, journeyInstanceId: string | null, scoredAt: Date, previous: RiskScore | null): RiskScore {
    const value = Math.round(Math.min(1, Math.max(0, input.probability)) * 100 * 100) / 100;
    return this.em.create(
      RiskScore,
      {
        tenantId: this.tenantId,
        profileId: input.profileId,
        kind: input.kind,
        journeyInstanceId,
        follows: previous?.id ?? `first-${input.kind}-${journeyInstanceId ?? input.profileId}`,
        score: value,
        probability: input.probability,
        bucket: bucketFor(value, this.env.buckets) as RiskBucket,
        pAlive: input.pAlive ?? null,
        clv: input.clv ?? null,
        revenueAtRisk: input.revenueAtRisk ?? null,
        reasons: input.reasons,
        modelId: input.model.id,
        modelVersion: input.model.version,
        modelName: input.model.name,
        scoredAt,
      },
      { persist: false },
    );
  }

  /** Publishes a stored score when it is news (see `isRiskChange`), and follows up a crossing. */
  private async announce(score: RiskScore, previous: RiskScore | null): Promise<RiskChangedEvent | null> {
    const journeyInstanceId = score.journeyInstanceId;
    const { changed, crossing } = isRiskChange(previous, score, this.env.changeDelta);
    if (!changed) return null;
    const change: RiskChangedEvent = {
      tenantId: this.tenantId,
      profileId: score.profileId,
      scoreId: score.id,
      score: score.score,
      previousScore: previous?.score ?? null,
      bucket: score.bucket,
      previousBucket: previous?.bucket ?? null,
      kind: score.kind,
      crossing,
      scoredAt: score.scoredAt.toISOString(),
      probability: score.probability,
      pAlive: score.pAlive,
      clv: score.clv,
      revenueAtRisk: score.revenueAtRisk,
      journeyInstanceId,
      reasons: score.reasons,
      model: score.modelRef(),
      segmentIds: await this.segmentsOf(score.profileId),
    };
    this.env.pubSub.publish(RISK_CHANGED, this.tenantId, change);
    if (crossing) await this.announceCrossing(score, change);
    this.env.log.debug({ tenantId: this.tenantId, profileId: score.profileId, score: score.score }, 'risk changed');
    return change;
  }

  /** Segments the profile is in now, by risk's copy of membership. */
  async segmentsOf(profileId: string): Promise<string[]> {
    const rows = await this.em.find(SegmentMember, { tenantId: this.tenantId, profileId, exitedAt: null }, { fields: ['segmentId'] });
    return [...new Set(rows.map((r) => r.segmentId))];
  }

  private async announceCrossing(score: RiskScore, change: RiskChangedEvent): Promise<void> {
    await this.env.queues.get(RAISE_ALERTS).add(
      RAISE_ALERTS,
      {
        tenantId: this.tenantId,
        profileId: score.profileId,
        scoreId: score.id,
        score: score.score,
        bucket: score.bucket,
        previousBucket: change.previousBucket,
      },
      { jobId: `${this.tenantId}-${score.id}` },
    );
    if (score.kind !== 'churn') return;
    await this.env.queues.get(SET_COMPUTED_TRAITS).add(
      SET_COMPUTED_TRAITS,
      {
        tenantId: this.tenantId,
        profileId: score.profileId,
        source: 'risk',
        traits: { churnBucket: score.bucket, churnScore: score.score, scoredAt: change.scoredAt },
      },
      { jobId: `${this.tenantId}-${score.profileId}-risk-${score.id}` },
    );
  }
}
