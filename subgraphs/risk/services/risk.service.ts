import { UniqueConstraintViolationException } from '@mikro-orm/core';

import type { FairShare, Lane } from '../../common/fair-share';
import { isUuid } from '../../common/ids';
import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import { RISK_CHANGED, type FsPubSub, type RiskChangedEvent } from '../../common/pubsub';
import type { Queues } from '../../common/queues';
import { bucketFor, isRiskChange, type BucketThresholds } from '../domain/bucket';
import { firstRowKey, isSameAssessment, planHistory } from '../domain/score-history';
import { ActivityRepository } from '../entities/activity.repository';
import { RiskBucket, RiskScore, type RiskModelRef, type RiskReason } from '../entities/risk-score.entity';
import { RiskScoreRepository } from '../entities/risk-score.repository';
import { holdScoreFollowUps, setsRiskTrait } from './score-follow-ups';

export interface RiskServiceEnv {
  pubSub: FsPubSub;
  queues: Queues;
  /** Points a score must move to be published (see Config.risk.changeDelta). */
  changeDelta: number;
  buckets: BucketThresholds;
  log: Logger;
  /** Fair priorities for the follow-ups this service queues (see `FairShare`). */
  fair: FairShare;
  /** The lane of the batch being scored: its follow-ups go to the same lane. Default live. */
  lane?: Lane;
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
   * `record` for many scores of one kind at once, either all profile-level (one per profile) or
   * all per journey instance (one per instance): one read of the histories' heads, one multi-row
   * append, one update per re-date time, one read of segments for the moved ones; `riskChanged`
   * per moved score, and crossings followed up in bulk. A row a concurrent writer forked (its
   * predecessor got a successor meanwhile) takes `record`'s path.
   * Returns the current score of each subject: the profile id, or the journey instance id.
   */
  async recordMany(inputs: readonly RecordScoreInput[], now = new Date()): Promise<Map<string, RiskScore>> {
    const current = new Map<string, RiskScore>();
    if (inputs.length === 0) return current;
    const kind = inputs[0].kind;
    const perJourney = Boolean(inputs[0].journeyInstanceId);
    if (inputs.some((i) => i.kind !== kind || Boolean(i.journeyInstanceId) !== perJourney)) {
      throw new RangeError('recordMany: scores of one kind, all profile-level or all per journey instance');
    }
    const subjectOf = (input: RecordScoreInput) => (perJourney ? input.journeyInstanceId! : input.profileId);
    const repo = new RiskScoreRepository(this.em, this.tenantId);
    const profileIds = inputs.map((i) => i.profileId);
    const heads = perJourney ? await repo.journeyHeadsOf(profileIds, kind) : await repo.headsOf(profileIds, kind);
    const dated = inputs.map((input) => ({ ...input, scoredAt: input.scoredAt ?? now }));
    const plan = planHistory(dated, (input) => heads.get(subjectOf(input)) ?? null);
    await repo.redate(plan.redate);
    for (const { input, previous } of plan.unchanged) {
      if (input.scoredAt > previous.scoredAt) previous.scoredAt = input.scoredAt;
      current.set(subjectOf(input), previous);
    }
    const rows = plan.append.map(({ input, previous }) => ({
      input,
      previous,
      score: this.newScore(input, input.journeyInstanceId ?? null, input.scoredAt, previous),
    }));
    const stored = await repo.appendIgnoringForks(rows.map((r) => r.score));
    const appended: { score: RiskScore; previous: RiskScore | null }[] = [];
    for (const { input, previous, score } of rows) {
      if (stored.has(score.id)) {
        appended.push({ score, previous });
        current.set(subjectOf(input), score);
      } else {
        current.set(subjectOf(input), (await this.record(input)).score); // a concurrent writer: the careful path
      }
    }
    await this.announceMany(appended);
    return current;
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
    const bucket = bucketFor(value, this.env.buckets) as RiskBucket;
    // news (see isRiskChange) is stored with its follow-ups (alert rules, computed traits) pending:
    // they are queued after the insert, and the marker lets the sweeper finish if the process dies
    const news = isRiskChange(previous, { score: value, bucket }, this.env.changeDelta).changed;
    const now = new Date();
    return this.em.create(
      RiskScore,
      {
        tenantId: this.tenantId,
        profileId: input.profileId,
        kind: input.kind,
        journeyInstanceId,
        follows: previous?.id ?? firstRowKey(input.kind, journeyInstanceId ?? input.profileId),
        score: value,
        probability: input.probability,
        bucket,
        pAlive: input.pAlive ?? null,
        clv: input.clv ?? null,
        revenueAtRisk: input.revenueAtRisk ?? null,
        reasons: input.reasons,
        modelId: input.model.id,
        modelVersion: input.model.version,
        modelName: input.model.name,
        scoredAt,
        followUpPendingSince: news ? now : null,
        traitsPendingSince: news && setsRiskTrait({ kind: input.kind, bucket }, previous) ? now : null,
      },
      { persist: false },
    );
  }

  /** Publishes a stored score when it is news (see `isRiskChange`), and follows up a crossing. */
  private async announce(score: RiskScore, previous: RiskScore | null): Promise<RiskChangedEvent | null> {
    return (await this.announceMany([{ score, previous }]))[0] ?? null;
  }

  /**
   * Publishes the stored scores that are news (see `isRiskChange`), each with the profile's
   * segments (one query for all), and follows up the crossings in bulk. Returns what was published.
   */
  private async announceMany(stored: readonly { score: RiskScore; previous: RiskScore | null }[]): Promise<RiskChangedEvent[]> {
    const news = stored.map((s) => ({ ...s, ...isRiskChange(s.previous, s.score, this.env.changeDelta) })).filter((s) => s.changed);
    if (news.length === 0) return [];
    const segments = await new ActivityRepository(this.em, this.tenantId).currentSegments(news.map((n) => n.score.profileId));
    const changes = news.map(({ score, previous, crossing }) => this.changeOf(score, previous, crossing, segments.get(score.profileId) ?? []));
    for (const change of changes) {
      this.env.pubSub.publish(RISK_CHANGED, this.tenantId, change);
      this.env.log.debug({ tenantId: this.tenantId, profileId: change.profileId, score: change.score }, 'risk changed');
    }
    await this.followUp(news, segments);
    return changes;
  }

  private changeOf(score: RiskScore, previous: RiskScore | null, crossing: boolean, segmentIds: string[]): RiskChangedEvent {
    return {
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
      journeyInstanceId: score.journeyInstanceId,
      reasons: score.reasons,
      model: score.modelRef(),
      segmentIds,
    };
  }

  /** Segments the profile is in now, by risk's copy of membership. */
  async segmentsOf(profileId: string): Promise<string[]> {
    return (await new ActivityRepository(this.em, this.tenantId).currentSegments([profileId])).get(profileId) ?? [];
  }

  /**
   * Queues the follow-ups of the news, held for the ack window with the process's other news
   * (see `holdScoreFollowUps`). Their markers stay set until
   * each consumer acknowledges (`score-follow-ups-done`): a crash before queueing, or a job lost
   * from Redis after, is recovered by the score sweeper (actions alerts once per rule and score,
   * and the risk trait is the same value written again).
   */
  private async followUp(news: readonly { score: RiskScore; previous: RiskScore | null }[], segments: Map<string, string[]>): Promise<void> {
    if (news.length === 0) return;
    await holdScoreFollowUps(
      this.env.queues,
      this.env.fair,
      this.tenantId,
      news.map(({ score, previous }) => ({ score, previous, segmentIds: segments.get(score.profileId) ?? [] })),
      this.env.lane,
    );
  }
}
