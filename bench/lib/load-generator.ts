// The near edge of the pipeline: simulated customers posted to the gateway's `/v1/batch`, either as
// fast as the API accepts them (bounded concurrency) or at a steady rate, with what was accepted
// and when.
import { customerEvents, type Customer } from './customer-mix';
import { sleep } from './stats';

/** One customer as posted: `t` is this process's performance.now() when its request was first handed to fetch. */
export interface PostedCustomer {
  userId: string;
  events: number;
  t: number;
  accepted: boolean;
  /** performance.now() when the accepting answer arrived (429 waits included); unset until accepted. */
  acceptedAt?: number;
}

/** What one sending phase did. */
export interface SendOutcome {
  customers: PostedCustomer[];
  posts: number;
  failedPosts: number;
  /** 429 answers that were waited out and sent again. */
  retried429: number;
  /** Ticks of a steady phase that sent nothing because too many requests were unanswered. */
  skippedTicks: number;
  firstError: string | null;
  eventsAccepted: number;
  /** First send → last accepted answer, s. */
  acceptSeconds: number;
  /** Accepted events ÷ acceptSeconds: the API's acceptance rate. */
  acceptedPerSecond: number;
}

/** Most times a request answered 429 is sent again, and the longest wait between two sends, ms. */
const MAX_429_RETRIES = 30;
const MAX_RETRY_WAIT_MS = 5000;
/** A request that has not answered in this long counts as failed. */
const REQUEST_TIMEOUT_MS = 60_000;

export class LoadGenerator {
  private index = 0;

  constructor(
    private readonly batchUrl: string,
    private readonly key: string,
    private readonly runId: string,
  ) {}

  private nextCustomers(n: number): Customer[] {
    const now = Date.now();
    return Array.from({ length: n }, () => customerEvents(this.runId, ++this.index, now));
  }

  /** POSTs the customers' events in one request; 429 is waited out (Retry-After) and retried, boundedly. */
  private async post(customers: Customer[], outcome: SendOutcome, lastAccepted: { t: number }): Promise<void> {
    const events = customers.flatMap((c) => c.events);
    const t = performance.now();
    const posted: PostedCustomer[] = customers.map((c) => ({ userId: c.userId, events: c.events.length, t, accepted: false }));
    outcome.customers.push(...posted);
    outcome.posts++;
    const body = JSON.stringify({ batch: events, sentAt: new Date().toISOString() });
    const authorization = `Basic ${Buffer.from(`${this.key}:`).toString('base64')}`;
    let error: string | null = null;
    for (let attempt = 0; attempt <= MAX_429_RETRIES; attempt++) {
      try {
        const res = await fetch(this.batchUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const text = await res.text();
        if (res.status === 429 && attempt < MAX_429_RETRIES) {
          outcome.retried429++;
          const after = Number(res.headers.get('retry-after'));
          await sleep(Math.min(MAX_RETRY_WAIT_MS, Number.isFinite(after) && after > 0 ? after * 1000 : 250));
          continue;
        }
        if (res.status === 200 && text.includes(`"accepted":${events.length}`)) {
          const now = performance.now();
          for (const p of posted) {
            p.accepted = true;
            p.acceptedAt = now;
          }
          outcome.eventsAccepted += events.length;
          lastAccepted.t = Math.max(lastAccepted.t, now);
          return;
        }
        error = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      } catch (err) {
        error = (err as Error).message;
      }
      break;
    }
    outcome.failedPosts++;
    outcome.firstError ??= error;
  }

  private static empty(): SendOutcome {
    return { customers: [], posts: 0, failedPosts: 0, retried429: 0, skippedTicks: 0, firstError: null, eventsAccepted: 0, acceptSeconds: 0, acceptedPerSecond: 0 };
  }

  private static finish(outcome: SendOutcome, started: number, lastAccepted: number): SendOutcome {
    outcome.acceptSeconds = Math.max(0.001, (lastAccepted - started) / 1000);
    outcome.acceptedPerSecond = Math.round((outcome.eventsAccepted / outcome.acceptSeconds) * 10) / 10;
    return outcome;
  }

  /** `count` customers, `perPost` to a request, `concurrency` requests at once, as fast as they are answered. */
  async flood(count: number, perPost: number, concurrency: number): Promise<SendOutcome> {
    const outcome = LoadGenerator.empty();
    const started = performance.now();
    const last = { t: started };
    let left = count;
    const lane = async () => {
      while (left > 0) {
        const n = Math.min(perPost, left);
        left -= n;
        await this.post(this.nextCustomers(n), outcome, last);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    return LoadGenerator.finish(outcome, started, last.t);
  }

  /**
   * One customer per request at `rate` events/s for `seconds` (even ticks); a tick that finds
   * `maxInFlight` requests unanswered sends nothing and is counted.
   */
  async steady(rate: number, seconds: number, maxInFlight: number): Promise<SendOutcome> {
    const outcome = LoadGenerator.empty();
    const perCustomer = this.meanEventsPerCustomer();
    const tickMs = (1000 * perCustomer) / rate;
    const ticks = Math.max(1, Math.round((seconds * 1000) / tickMs));
    const started = performance.now();
    const last = { t: started };
    const inFlight = new Set<Promise<void>>();
    for (let tick = 0; tick < ticks; tick++) {
      const next = started + (tick + 1) * tickMs;
      if (inFlight.size >= maxInFlight) outcome.skippedTicks++;
      else {
        const p: Promise<void> = this.post(this.nextCustomers(1), outcome, last).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(inFlight);
    return LoadGenerator.finish(outcome, started, last.t);
  }

  /** `customersPerSecond` customers, one per request, for `seconds`: a steady trickle (see `steady`). */
  trickle(customersPerSecond: number, seconds: number, maxInFlight: number): Promise<SendOutcome> {
    return this.steady(customersPerSecond * this.meanEventsPerCustomer(), seconds, maxInFlight);
  }

  /** One customer, and waits for its answer. */
  async single(): Promise<PostedCustomer> {
    const outcome = LoadGenerator.empty();
    await this.post(this.nextCustomers(1), outcome, { t: 0 });
    return outcome.customers[0];
  }

  /** Mean events of a customer (9.5 with the current mix), from a sample that is not sent. */
  meanEventsPerCustomer(): number {
    const sample = Array.from({ length: 20 }, (_, i) => customerEvents('preview', i, 0).events.length);
    return sample.reduce((a, b) => a + b, 0) / sample.length;
  }
}
