import { BatchPacker, type PackedBatch } from '../import/batch-packer';
import { sendBatch } from '../import/batch-sender';
import { readTenantBacklog, type TenantBacklog } from '../import/pipeline-watch';
import type { SimEvent } from './simulator/bank-simulator';

/** A GraphQL answer with errors, or no data. */
export class DemoApiError extends Error {
  constructor(
    message: string,
    readonly codes: string[],
  ) {
    super(message);
  }
}

/** What the API made of the posted events. */
export interface PostOutcome {
  accepted: number;
  duplicates: number;
  refused: { line: number; reason: string }[];
}

/**
 * The demo's only way into Foresight: the public API of the gateway, GraphQL with an admin key and
 * `/v1/batch` with an `events:write` key, exactly as a customer's systems would use it.
 */
export class DemoApi {
  constructor(
    /** The gateway's base URL, e.g. `http://127.0.0.1:4000`. */
    readonly baseUrl: string,
    private readonly adminKey: string,
    private readonly writeKey: string,
  ) {}

  /** Runs one operation; throws {@link DemoApiError} naming the errors when there are any. */
  async gql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${this.adminKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json().catch(() => ({}))) as { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length || !body.data) {
      const errors = body.errors ?? [{ message: `HTTP ${res.status} without data` }];
      throw new DemoApiError(errors.map((e) => e.message).join('; '), errors.map((e) => e.extensions?.code ?? 'UNKNOWN'));
    }
    return body.data;
  }

  /**
   * Posts events through `/v1/batch` in `lane` (history: behind live work, as `npm run import`), 100 a request and `concurrency` requests in flight, retrying
   * what the API asks to retry (429 with `Retry-After`, server errors with backoff).
   */
  async post(events: readonly SimEvent[], lane: 'history' | 'live', concurrency = 4, onSent?: (n: number) => void): Promise<PostOutcome> {
    const packer = new BatchPacker(100);
    const batches: PackedBatch[] = [];
    events.forEach((e, line) => {
      const closed = packer.add({ line, json: JSON.stringify(e) });
      if (closed) batches.push(closed);
    });
    const last = packer.flush();
    if (last) batches.push(last);
    const outcome: PostOutcome = { accepted: 0, duplicates: 0, refused: [] };
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const sent = await sendBatch(batch, { url: this.baseUrl, key: this.writeKey, lane });
        outcome.accepted += sent.accepted;
        outcome.duplicates += sent.duplicates;
        outcome.refused.push(...sent.bad);
        onSent?.(batch.lines.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    return outcome;
  }

  /** The tenant's backlog in the pipeline (`pipelineStatus`). */
  async backlog(): Promise<TenantBacklog> {
    const backlog = await readTenantBacklog(this.baseUrl, this.adminKey);
    if ('error' in backlog) throw new DemoApiError(backlog.error, []);
    return backlog;
  }
}
