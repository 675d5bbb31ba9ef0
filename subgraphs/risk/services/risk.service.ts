import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import { RISK_CHANGED, type FsPubSub, type RiskChangedEvent } from '../../common/pubsub';
import { RAISE_ALERTS, type Queues } from '../../common/queues';
import { bucketFor, isRiskChange } from '../domain/bucket';
import { RiskBucket, RiskScore } from '../entities/risk-score.entity';

export interface RiskServiceEnv {
  pubSub: FsPubSub;
  queues: Queues;
  /** Points a score must move to be published (see Config.risk.changeDelta). */
  changeDelta: number;
  log: Logger;
}

export interface RecordScoreInput {
  profileId: string;
  kind: string;
  /** 0–100. */
  score: number;
  reasons: Record<string, unknown>;
  model: string;
  scoredAt?: Date;
}

/** Stores scores and tells the rest of the platform when they move. */
export class RiskService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: RiskServiceEnv,
  ) {}

  latestFor(profileId: string, kind: string): Promise<RiskScore | null> {
    return this.em.findOne(
      RiskScore,
      { tenantId: this.tenantId, profileId, kind },
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

  /**
   * Stores a score and, when it moved past the delta or crossed a bucket, publishes `RISK_CHANGED`
   * for subscribers on every instance and queues the actions stage (job id = score id, so a
   * retried call cannot alert twice).
   */
  async record(input: RecordScoreInput): Promise<{ score: RiskScore; change: RiskChangedEvent | null }> {
    const previous = await this.latestFor(input.profileId, input.kind);
    const bucket = bucketFor(input.score) as RiskBucket;
    const score = this.em.create(RiskScore, {
      tenantId: this.tenantId,
      profileId: input.profileId,
      kind: input.kind,
      score: input.score,
      bucket,
      reasons: input.reasons,
      model: input.model,
      scoredAt: input.scoredAt ?? new Date(),
    });
    await this.em.flush();

    const { changed, crossing } = isRiskChange(previous, score, this.env.changeDelta);
    if (!changed) return { score, change: null };
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
    };
    this.env.pubSub.publish(RISK_CHANGED, this.tenantId, change);
    if (crossing) {
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
    }
    this.env.log.debug({ tenantId: this.tenantId, profileId: score.profileId, score: score.score }, 'risk changed');
    return { score, change };
  }
}
