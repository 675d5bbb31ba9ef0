import { EVALUATE_SEGMENT_PAGE, type EvaluateSegmentPageJob, type Queues } from '../../common/queues';

/** Profiles evaluated per transaction by the backfill and the re-check (each page is one job). */
export const SEGMENT_PAGE_SIZE = 200;

/**
 * The page chains of `evaluate-segment-page`: a backfill per segment version, a re-check per
 * tick. Job ids name the chain and the page's cursor, so a replayed page queues nothing new.
 */
export class SegmentPageChain {
  constructor(
    private readonly queues: Queues,
    private readonly tenantId: string,
  ) {}

  /** Starts the evaluation of a (new or changed) segment version over every existing profile. */
  async startBackfill(segment: { id: string; version: number }): Promise<void> {
    await this.queue(
      { kind: 'backfill', tenantId: this.tenantId, segmentId: segment.id, version: segment.version, after: null },
      `${this.tenantId}-backfill-${segment.id}-v${segment.version}-start`,
    );
  }

  /** Queues the page after `next` of the chain `job` belongs to. */
  async continueAfter(job: EvaluateSegmentPageJob, next: string): Promise<void> {
    const jobId =
      job.kind === 'backfill'
        ? `${this.tenantId}-backfill-${job.segmentId}-v${job.version}-${next}`
        : `${this.tenantId}-recheck-${new Date(job.now).getTime()}-${next}`;
    await this.queue({ ...job, after: next }, jobId);
  }

  private async queue(job: EvaluateSegmentPageJob, jobId: string): Promise<void> {
    await this.queues.get(EVALUATE_SEGMENT_PAGE).add(EVALUATE_SEGMENT_PAGE, job, { jobId });
  }
}
