import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

import { bool, cleanEnv, num, port, str, url, EnvError, EnvMissingError } from 'envalid';

import { INPUT_STRING_LIMITS, type InputStringLimits } from './limits';
import { ACK_WINDOW_MS, JOB_ATTEMPTS } from './queues';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './redis';

/**
 * The one place that reads `process.env`. `loadConfig(env)` checks every key in one pass,
 * throws one error listing every problem, and returns a frozen object passed down in `deps`.
 */
export interface Config {
  /** `production` turns off introspection and hides limit details. Default `development`. */
  nodeEnv: 'development' | 'production' | 'test';
  /**
   * A production start (`FORESIGHT_ENV=production`, or `NODE_ENV=production`; the Dockerfile sets
   * both): refuses every development default (see `productionProblems`). Default false.
   */
  production: boolean;
  /** GraphiQL at the gateway (`GRAPHIQL`). Default on in development, off in production, where on is refused. */
  graphiql: boolean;
  /** Schema introspection at the gateway (`INTROSPECTION`). Default on in development, off in production, where on is refused. */
  introspection: boolean;
  /**
   * On a first start with no key at all, create tenant `dev` with an admin key and print it
   * (`DEV_ADMIN_KEY`). Default on in development, off in production, where on is refused.
   */
  devAdminKey: boolean;
  /** pino level. Default `info` (`warn` under test). */
  logLevel: string;
  /** Redis for BullMQ and pub/sub. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /**
   * Longest an API request waits for one Redis command on a producer connection, in ms
   * (`REDIS_COMMAND_TIMEOUT_MS`): past it a Redis that is connected but not answering is treated
   * as down (`UNAVAILABLE`, 503 on `/v1`). Long enough for a loaded process that reads Redis's
   * answers late (1 s and 5 s refused requests to a healthy Redis on a loaded CI runner). Default 15000.
   */
  redisCommandTimeoutMs: number;
  /**
   * PostgreSQL connection string; when empty every subgraph uses its own SQLite file. A production
   * start refuses empty unless `ALLOW_SQLITE_IN_PRODUCTION=true` (default false).
   */
  databaseUrl: string | null;
  /** Folder for SQLite files and the dev secret. Default `.data`. */
  dataDir: string;
  /** Interface every service binds to. Default `127.0.0.1`. */
  host: string;
  ports: { gateway: number; profiles: number; signals: number; risk: number; actions: number };
  /**
   * The gateway's public base URL, without a trailing slash (`PUBLIC_URL`): what links in sent
   * email (open pixel, tracked links) point at. Default `http://<HOST>:<GATEWAY_PORT>`.
   */
  publicUrl: string;
  /** Subgraph URLs the gateway calls (HTTP; WebSocket on the same path). */
  subgraphUrls: { profiles: string; signals: string; risk: string; actions: string };
  /**
   * Secret for the HMAC-signed tenant context the gateway forwards to subgraphs and for API-key
   * hashes. Required in production; in development a random one is kept in `<dataDir>/secret`.
   */
  secret: string;
  /**
   * Failed authentications (missing, unknown or revoked key) one client address (see
   * `trustedProxies`) may make per minute at the gateway before it gets 429 for the rest of the minute (`AUTH_FAILURES_PER_MINUTE`).
   * Default 60.
   */
  authFailuresPerMinute: number;
  /**
   * Requests one client address (see `trustedProxies`) may make per minute to the gateway's email
   * tracking routes (`/t/o/…` pixel, `/t/c/…` tracked link) before they are throttled for the rest
   * of the minute (`TRACKING_REQUESTS_PER_MINUTE`). Default 600.
   */
  trackingRequestsPerMinute: number;
  /**
   * Requests one client address (see `trustedProxies`) may make per minute to the providers'
   * delivery-status callbacks (`/v1/channels/:id/delivery-status`) before they get 429 with
   * `Retry-After` for the rest of the minute (`CALLBACK_REQUESTS_PER_MINUTE`). Default 6,000: a
   * provider reports every message from a few addresses, so the budget is for a bulk send's
   * reports, and a provider retries a 429 like any other refusal.
   */
  callbackRequestsPerMinute: number;
  /**
   * Proxies (load balancers) in front of the gateway whose `X-Forwarded-For` is believed
   * (`TRUSTED_PROXIES`, comma-separated IPv4/IPv6 addresses and CIDR ranges). A request from one
   * counts against the right-most forwarded address that is not itself a trusted proxy (see
   * gateway/client-address.ts); from any other peer the header is ignored. Default none: the TCP
   * peer is the client.
   */
  trustedProxies: readonly string[];
  /** Lifetime of a signed tenant context, in seconds. Bounds replay of a captured header. Default 60. */
  contextTtlSeconds: number;
  /** Prefix of every BullMQ key and pub/sub channel, so environments can share a Redis. Default `foresight`. */
  queuePrefix: string;
  /** Timing of every BullMQ worker (applied by `workerOptions`, see `queues.ts`). */
  queues: {
    /**
     * How long a worker's lock on a running job lasts, in ms (`QUEUE_LOCK_DURATION_MS`); the
     * worker renews it every half of that while the job runs. When a worker process dies, its
     * running jobs stay locked this long before they can be recovered. Default 30000 (BullMQ's).
     */
    lockDurationMs: number;
    /**
     * How often workers look for stalled jobs (running, but their lock expired because their
     * worker died) and queue them again, in ms (`QUEUE_STALLED_INTERVAL_MS`). A dead worker's jobs
     * run again about `lockDurationMs` + `stalledIntervalMs` after it died, once any worker of the
     * queue runs. Default 30000 (BullMQ's).
     */
    stalledIntervalMs: number;
    /**
     * Tries of every job this process queues before it fails for good (`QUEUE_JOB_ATTEMPTS`),
     * applied by `queueOptions`. Default `JOB_ATTEMPTS` (about a week of capped retries, so a stage
     * outlives an infrastructure outage). Lower it only to exercise what happens when retries run
     * out (the sweepers recover those hand-offs from SQL), e.g. in the database-outage test.
     */
    jobAttempts: number;
    /**
     * How long a process gathers its acknowledgements (`activity-recorded`, `score-follow-ups-done`,
     * `signal-alerts-done`, `playbook-events-done`) and side hand-offs (`raise-alerts`,
     * `set-computed-traits`, `signal-alerts`) into one job per tenant before sending them, in ms (`QUEUE_ACK_WINDOW_MS`); 0 sends each at
     * once. Held acks lost with the process leave their markers to the sweepers. Default 200.
     */
    ackWindowMs: number;
  };
  limits: {
    /** Deepest selection allowed. Default 12. */
    maxDepth: number;
    /** Aliases per operation. Default 20. */
    maxAliases: number;
    /** Tokens per operation document. Default 2000. */
    maxTokens: number;
    /**
     * Cost per operation (`MAX_COST`): the most fields it can resolve, with its variables. Each
     * field counts 1 plus its sub-selection, times the items it can return (its `first`/`last`,
     * literal, variable or default; `unpagedListSize` for a list without them). Default 20000.
     */
    maxCost: number;
    /**
     * Items a list field without `first`/`last` counts as in the cost (`COST_UNPAGED_LIST_SIZE`):
     * the small fixed lists (identities, reasons, steps). Default 10.
     */
    unpagedListSize: number;
    /**
     * GraphQL operations per second one API key may run through the gateway, HTTP and graphql-ws
     * together (`GRAPHQL_RATE_LIMIT_PER_SECOND`); over it, 429 with `Retry-After` (a `RATE_LIMITED`
     * error over graphql-ws). Redis-backed, shared by every gateway instance. Default 1000.
     */
    graphqlRatePerSecond: number;
    /** The same over all the keys of one tenant (`GRAPHQL_TENANT_RATE_LIMIT_PER_SECOND`). Default 3000. */
    graphqlTenantRatePerSecond: number;
    /**
     * Largest graphql-ws frame the gateway reads, in bytes, `connection_init` included
     * (`WS_MAX_PAYLOAD_BYTES`); a larger one closes the socket (1009). Default 262144 (256 KiB).
     */
    wsMaxPayloadBytes: number;
    /**
     * Operations one graphql-ws connection may have running at once (`WS_MAX_SUBSCRIPTIONS_PER_CONNECTION`);
     * one more is refused with `TOO_MANY_SUBSCRIPTIONS`. Default 100.
     */
    wsSubscriptionsPerConnection: number;
    /**
     * graphql-ws connections one API key may hold open on one gateway instance
     * (`WS_MAX_CONNECTIONS_PER_KEY`); one more is closed with 4429. Default 50.
     */
    wsConnectionsPerKey: number;
    /**
     * Largest `/graphql` request body the gateway reads, in bytes (`GRAPHQL_MAX_BODY_BYTES`); a
     * larger one is answered 413 before it is read (a body without a length, 411). At most
     * `subgraphBodyBytes`, so nothing the gateway accepts is refused behind it. Default 1048576 (1 MiB).
     * The Segment API's own limits (500 KiB a batch, 32 KiB an event) are in `segment-api.ts`.
     */
    graphqlBodyBytes: number;
    /** Largest `/graphql` request body a subgraph reads, in bytes (`SUBGRAPH_MAX_BODY_BYTES`). Default 2097152 (2 MiB). */
    subgraphBodyBytes: number;
    /**
     * Longest string, in characters, a mutation argument may carry, by field name (the table in
     * `limits.ts`), enforced by every subgraph before its resolvers (`input-limits.ts`). Entries
     * can be changed with `INPUT_STRING_LIMITS`, JSON: `{"html": 200000, "text": 500}`.
     */
    inputStrings: InputStringLimits;
  };
  identity: {
    /**
     * Identifier values never treated as identities, in addition to the built-in list
     * (`''`, `null`, `undefined`, `anonymous`, `unknown`, `nil`, `none`, `-1`, `0`, all-zero and
     * all-dash strings). Compared case-insensitively after trimming. From `IDENTITY_JUNK_VALUES`,
     * comma-separated. Default none.
     */
    junkValues: readonly string[];
  };
  risk: {
    /** A new score publishes `riskChanged` when it moves by more than this many points (0–100). Default 5. */
    changeDelta: number;
    /** Lower bounds of the Medium and High buckets on 0–100 (`RISK_BUCKET_MEDIUM`, `RISK_BUCKET_HIGH`). Default 50 and 75. */
    buckets: { medium: number; high: number };
    /**
     * How long a `record-activity` batch waits to be scored, ms (`RISK_SCORE_DEBOUNCE_MS`). 0 (the
     * default): its profiles are scored in the job itself, set-based, with no queue hop (a 500 ms
     * wait alone would miss the 250 ms event → riskChanged target); more: one delayed
     * `score-profile` job per batch.
     */
    scoreDebounceMs: number;
    /** How often the scheduled re-score runs, ms (`RISK_RESCORE_INTERVAL_MS`). Default 3600000 (1 hour). */
    rescoreIntervalMs: number;
    /** A profile whose latest score is older than this is re-scored by the schedule, ms (`RISK_RESCORE_AFTER_MS`). Default 86400000 (1 day). */
    rescoreAfterMs: number;
    /** Most profiles one scheduled re-score queues per tenant (`RISK_RESCORE_MAX_PROFILES`). Default 10000. */
    rescoreMaxProfiles: number;
    /**
     * Fewest positive and fewest negative training examples a classifier needs before it can be
     * activated (`RISK_MIN_CLASS_EXAMPLES`). Default 20.
     */
    minClassExamples: number;
    /**
     * Longest a training waits for the events accepted before it was asked for to reach risk, ms
     * (`RISK_TRAINING_MAX_WAIT_MS`); past it the model trains anyway and its metrics say so. 0
     * trains at once. Default 600000 (10 minutes).
     */
    trainingMaxWaitMs: number;
    /** How often a waiting training looks again whether its data has arrived, ms (`RISK_TRAINING_POLL_MS`). Default 1000. */
    trainingPollMs: number;
    /**
     * Worker threads a risk process fits models on (`RISK_TRAINING_THREADS`), and so the trainings
     * it runs at once (of different tenants: one tenant trains one model at a time). Default 1.
     */
    trainingThreads: number;
    /**
     * Longest one fit may run on its thread, ms (`RISK_TRAINING_TIMEOUT_MS`); past it the thread is
     * terminated and the version FAILED with the reason. Default 600000 (10 minutes).
     */
    trainingTimeoutMs: number;
  };
  segments: {
    /**
     * How often time-based segment conditions ("not seen for D days", "performed X in the last D
     * days") are re-checked, in ms (`SEGMENT_RECHECK_INTERVAL_MS`). Membership can lag time by at
     * most this much. Default 300000 (5 minutes).
     */
    recheckIntervalMs: number;
  };
  ingest: {
    /**
     * Events per second one API key may send (Segment HTTP API and `ingestEvents` share the
     * quota); over it the answer is 429 with `Retry-After`. Default 5000.
     */
    rateLimitPerSecond: number;
    /**
     * Waiting `resolve-identity` jobs (one per ingest request, up to 100 events each) above which
     * ingestion answers 429 (back-pressure while the profiles stage catches up). Default 10000.
     */
    maxQueueDepth: number;
    /**
     * Events per second one tenant may send over all its keys (`INGEST_TENANT_RATE_LIMIT_PER_SECOND`);
     * over it the answer is 429 with `Retry-After`. Default 10000.
     */
    tenantRatePerSecond: number;
    /**
     * A tenant's own `resolve-identity` jobs still waiting (its share of the queue, one job per
     * request) above which its requests get 429 (`INGEST_TENANT_MAX_BACKLOG`), while other tenants'
     * are still taken. Default 2000.
     */
    tenantMaxBacklog: number;
    /**
     * A tenant's events accepted but not yet acknowledged by risk (its end-to-end lag, in events,
     * per lane) above which its requests in that lane get 429 with a `Retry-After` from its drain
     * rate (`INGEST_TENANT_MAX_IN_FLIGHT`), while other tenants, and its own other lane, are still
     * taken. Default 10000.
     */
    tenantMaxInFlight: number;
    /**
     * A tenant's ingest requests one signals process works on at once (`INGEST_TENANT_CONCURRENCY`);
     * its further requests wait their turn (at most 64 each; past that 429), so a tenant sending
     * many requests in parallel does not put its chains of awaits ahead of every other tenant's on
     * the event loop. 0: no bound. Default 4.
     */
    tenantConcurrency: number;
    /**
     * Per-tenant overrides of the three limits above (`INGEST_TENANT_LIMITS`, JSON:
     * `{"acme": {"ratePerSecond": 20000, "maxBacklog": 5000, "maxInFlight": 50000}}`). Default none.
     */
    tenantLimits: Readonly<Record<string, TenantLimitOverrides>>;
    /** How often the sweeper looks for stored events that were never processed, in ms. Default 30000. */
    sweepIntervalMs: number;
    /**
     * How long an enqueued, unprocessed event is left alone before the sweeper enqueues it again,
     * in ms. Default 300000 (5 minutes).
     */
    sweepGraceMs: number;
    /**
     * How far past the time a request arrived an event's timestamp may be, ms
     * (`INGEST_FUTURE_TOLERANCE_MS`). A later one (a device clock years ahead, or a write key,
     * public in a browser, used to date an `identify` 9999 and pin last-write-wins traits forever)
     * is stored at the time received, and the answer says so for that event. Default 600000 (10 min).
     */
    futureToleranceMs: number;
  };
  friction: {
    /**
     * How often the scheduled friction sweep runs the time-based detectors (journey stalls,
     * mid-journey exits, abandonment, inactivity drops), in ms (`FRICTION_SWEEP_INTERVAL_MS`).
     * Time-based signals can lag time by at most this much. Default 60000 (1 minute).
     */
    sweepIntervalMs: number;
    /**
     * Was the debounce window of the `score-profile` job a new signal queued, ms
     * (`FRICTION_SCORE_DEBOUNCE_MS`, default 5000). The signals stage no longer queues one (signals
     * reach risk as `record-activity` items; risk debounces its re-score); kept so settings stay valid.
     */
    scoreDebounceMs: number;
    /**
     * Most profiles the inactivity-drop part of one sweep examines per tenant
     * (`FRICTION_SWEEP_MAX_PROFILES`), in pages of 500. Default 10000.
     */
    sweepMaxProfiles: number;
  };
  kpis: {
    /** The `track` event a survey answer arrives as, for the NPS part of `kpis` (`KPI_NPS_EVENT`). Default `NPS Submitted`. */
    npsEvent: string;
    /** Its property holding the 0–10 answer (`KPI_NPS_PROPERTY`). Default `score`. */
    npsProperty: string;
  };
  channels: {
    /**
     * Hosts an outbound webhook, SMS or push request may reach even though they resolve to a
     * loopback, private or link-local address (`WEBHOOK_ALLOWED_HOSTS`, comma-separated host names
     * or IP addresses), for development and tests; each tenant channel can add its own. Default none.
     */
    allowedHosts: readonly string[];
    /** Longest wait for a provider's answer, ms (`CHANNEL_TIMEOUT_MS`). Default 15000. */
    timeoutMs: number;
    /**
     * Waits before the 2nd, 3rd, … try of a webhook delivery, ms (`WEBHOOK_RETRY_SCHEDULE_MS`,
     * comma-separated). After the last one fails the delivery is dead-lettered. Default the
     * Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
     */
    webhookRetryScheduleMs: readonly number[];
    /** A webhook channel is disabled after this many failed tries in a row (`WEBHOOK_DISABLE_AFTER_FAILURES`). Default 50. */
    webhookDisableAfterFailures: number;
    /** How long a rotated-out secret stays valid beside the new one, ms (`CHANNEL_SECRET_OVERLAP_MS`). Default 86400000 (24 h). */
    secretOverlapMs: number;
    /**
     * How long an email's open pixel and tracked links record opens and clicks, in seconds
     * (`TRACKING_TOKEN_TTL_SECONDS`); an older tracked link still redirects but records nothing.
     * Default 31536000 (365 days).
     */
    trackingTokenTtlSeconds: number;
  };
}

export const SUBGRAPH_NAMES = ['profiles', 'signals', 'risk', 'actions'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = [];
  const e = cleanEnv(
    env,
    {
      NODE_ENV: str({ choices: ['development', 'production', 'test'], default: 'development' }),
      FORESIGHT_ENV: str({ choices: ['development', 'production', ''], default: '' }),
      GRAPHIQL: str({ choices: ['true', 'false', ''], default: '' }),
      INTROSPECTION: str({ choices: ['true', 'false', ''], default: '' }),
      DEV_ADMIN_KEY: str({ choices: ['true', 'false', ''], default: '' }),
      LOG_LEVEL: str({ default: '' }),
      REDIS_URL: url({ default: 'redis://127.0.0.1:6379' }),
      REDIS_COMMAND_TIMEOUT_MS: num({ default: DEFAULT_REDIS_COMMAND_TIMEOUT_MS }),
      DATABASE_URL: str({ default: '' }),
      ALLOW_SQLITE_IN_PRODUCTION: str({ choices: ['true', 'false', ''], default: '' }),
      DATA_DIR: str({ default: '.data' }),
      HOST: str({ default: '127.0.0.1' }),
      GATEWAY_PORT: port({ default: 4000 }),
      PROFILES_PORT: port({ default: 4001 }),
      SIGNALS_PORT: port({ default: 4002 }),
      RISK_PORT: port({ default: 4003 }),
      ACTIONS_PORT: port({ default: 4004 }),
      PROFILES_URL: str({ default: '' }),
      SIGNALS_URL: str({ default: '' }),
      RISK_URL: str({ default: '' }),
      ACTIONS_URL: str({ default: '' }),
      PUBLIC_URL: str({ default: '' }),
      FORESIGHT_SECRET: str({ default: '' }),
      CONTEXT_TTL_SECONDS: num({ default: 60 }),
      AUTH_FAILURES_PER_MINUTE: num({ default: 60 }),
      TRACKING_REQUESTS_PER_MINUTE: num({ default: 600 }),
      CALLBACK_REQUESTS_PER_MINUTE: num({ default: 6000 }),
      TRUSTED_PROXIES: str({ default: '' }),
      QUEUE_PREFIX: str({ default: 'foresight' }),
      QUEUE_LOCK_DURATION_MS: num({ default: 30_000 }),
      QUEUE_STALLED_INTERVAL_MS: num({ default: 30_000 }),
      QUEUE_JOB_ATTEMPTS: num({ default: JOB_ATTEMPTS }),
      QUEUE_ACK_WINDOW_MS: num({ default: ACK_WINDOW_MS }),
      MAX_DEPTH: num({ default: 12 }),
      MAX_ALIASES: num({ default: 20 }),
      MAX_TOKENS: num({ default: 2000 }),
      MAX_COST: num({ default: 20_000 }),
      COST_UNPAGED_LIST_SIZE: num({ default: 10 }),
      GRAPHQL_RATE_LIMIT_PER_SECOND: num({ default: 1000 }),
      GRAPHQL_TENANT_RATE_LIMIT_PER_SECOND: num({ default: 3000 }),
      WS_MAX_PAYLOAD_BYTES: num({ default: 262_144 }),
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: num({ default: 100 }),
      WS_MAX_CONNECTIONS_PER_KEY: num({ default: 50 }),
      GRAPHQL_MAX_BODY_BYTES: num({ default: 1_048_576 }),
      SUBGRAPH_MAX_BODY_BYTES: num({ default: 2_097_152 }),
      INPUT_STRING_LIMITS: str({ default: '' }),
      RISK_CHANGE_DELTA: num({ default: 5 }),
      RISK_BUCKET_MEDIUM: num({ default: 50 }),
      RISK_BUCKET_HIGH: num({ default: 75 }),
      RISK_SCORE_DEBOUNCE_MS: num({ default: 0 }),
      RISK_RESCORE_INTERVAL_MS: num({ default: 3_600_000 }),
      RISK_RESCORE_AFTER_MS: num({ default: 86_400_000 }),
      RISK_RESCORE_MAX_PROFILES: num({ default: 10_000 }),
      RISK_MIN_CLASS_EXAMPLES: num({ default: 20 }),
      RISK_TRAINING_MAX_WAIT_MS: num({ default: 600_000 }),
      RISK_TRAINING_POLL_MS: num({ default: 1_000 }),
      RISK_TRAINING_THREADS: num({ default: 1 }),
      RISK_TRAINING_TIMEOUT_MS: num({ default: 600_000 }),
      SEGMENT_RECHECK_INTERVAL_MS: num({ default: 300_000 }),
      IDENTITY_JUNK_VALUES: str({ default: '' }),
      INGEST_RATE_LIMIT_PER_SECOND: num({ default: 5000 }),
      INGEST_MAX_QUEUE_DEPTH: num({ default: 10_000 }),
      INGEST_TENANT_RATE_LIMIT_PER_SECOND: num({ default: 10_000 }),
      INGEST_TENANT_MAX_BACKLOG: num({ default: 2_000 }),
      INGEST_TENANT_MAX_IN_FLIGHT: num({ default: 10_000 }),
      INGEST_TENANT_CONCURRENCY: num({ default: 4 }),
      INGEST_TENANT_LIMITS: str({ default: '' }),
      SWEEP_INTERVAL_MS: num({ default: 30_000 }),
      SWEEP_GRACE_MS: num({ default: 300_000 }),
      INGEST_FUTURE_TOLERANCE_MS: num({ default: 600_000 }),
      FRICTION_SWEEP_INTERVAL_MS: num({ default: 60_000 }),
      FRICTION_SCORE_DEBOUNCE_MS: num({ default: 5_000 }),
      FRICTION_SWEEP_MAX_PROFILES: num({ default: 10_000 }),
      FORESIGHT_PRETTY_LOGS: bool({ default: false }),
      WEBHOOK_ALLOWED_HOSTS: str({ default: '' }),
      KPI_NPS_EVENT: str({ default: 'NPS Submitted' }),
      KPI_NPS_PROPERTY: str({ default: 'score' }),
      CHANNEL_TIMEOUT_MS: num({ default: 15_000 }),
      TRACKING_TOKEN_TTL_SECONDS: num({ default: 365 * 86_400 }),
      WEBHOOK_RETRY_SCHEDULE_MS: str({ default: '5000,300000,1800000,7200000,18000000,36000000,36000000' }),
      WEBHOOK_DISABLE_AFTER_FAILURES: num({ default: 50 }),
      CHANNEL_SECRET_OVERLAP_MS: num({ default: 86_400_000 }),
    },
    {
      reporter: ({ errors }) => {
        for (const [key, err] of Object.entries(errors)) {
          if (!err) continue;
          const why = err instanceof EnvMissingError ? 'is required' : (err as EnvError).message;
          problems.push(`${key}: ${why}`);
        }
      },
    },
  );
  if (e.DATABASE_URL && !/^postgres(ql)?:\/\//.test(e.DATABASE_URL)) {
    problems.push('DATABASE_URL: must be a postgres:// or postgresql:// URL (leave it empty for SQLite)');
  }
  const production = e.FORESIGHT_ENV === 'production' || (e.FORESIGHT_ENV === '' && e.NODE_ENV === 'production');
  if (production) problems.push(...productionProblems(e));
  const positive = [
    'MAX_DEPTH',
    'MAX_ALIASES',
    'MAX_TOKENS',
    'MAX_COST',
    'COST_UNPAGED_LIST_SIZE',
    'GRAPHQL_RATE_LIMIT_PER_SECOND',
    'GRAPHQL_TENANT_RATE_LIMIT_PER_SECOND',
    'WS_MAX_PAYLOAD_BYTES',
    'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION',
    'WS_MAX_CONNECTIONS_PER_KEY',
    'GRAPHQL_MAX_BODY_BYTES',
    'SUBGRAPH_MAX_BODY_BYTES',
    'CONTEXT_TTL_SECONDS',
    'AUTH_FAILURES_PER_MINUTE',
    'TRACKING_REQUESTS_PER_MINUTE',
    'CALLBACK_REQUESTS_PER_MINUTE',
    'SEGMENT_RECHECK_INTERVAL_MS',
    'INGEST_RATE_LIMIT_PER_SECOND',
    'INGEST_MAX_QUEUE_DEPTH',
    'INGEST_TENANT_RATE_LIMIT_PER_SECOND',
    'INGEST_TENANT_MAX_BACKLOG',
    'INGEST_TENANT_MAX_IN_FLIGHT',
    'SWEEP_INTERVAL_MS',
    'QUEUE_LOCK_DURATION_MS',
    'QUEUE_STALLED_INTERVAL_MS',
    'QUEUE_JOB_ATTEMPTS',
    'FRICTION_SWEEP_INTERVAL_MS',
    'FRICTION_SWEEP_MAX_PROFILES',
    'RISK_RESCORE_INTERVAL_MS',
    'RISK_RESCORE_AFTER_MS',
    'RISK_RESCORE_MAX_PROFILES',
    'RISK_MIN_CLASS_EXAMPLES',
    'RISK_TRAINING_POLL_MS',
    'RISK_TRAINING_THREADS',
    'RISK_TRAINING_TIMEOUT_MS',
    'REDIS_COMMAND_TIMEOUT_MS',
  ] as const;
  for (const key of positive) {
    if (!(e[key] > 0)) problems.push(`${key}: must be a positive number`);
  }
  if (!(e.QUEUE_ACK_WINDOW_MS >= 0)) problems.push('QUEUE_ACK_WINDOW_MS: must be 0 or more');
  if (!(Number.isInteger(e.INGEST_TENANT_CONCURRENCY) && e.INGEST_TENANT_CONCURRENCY >= 0)) problems.push('INGEST_TENANT_CONCURRENCY: must be a whole number, 0 or more');
  for (const key of ['INGEST_RATE_LIMIT_PER_SECOND', 'INGEST_MAX_QUEUE_DEPTH', 'QUEUE_JOB_ATTEMPTS', 'TRACKING_REQUESTS_PER_MINUTE', 'CALLBACK_REQUESTS_PER_MINUTE', 'GRAPHQL_RATE_LIMIT_PER_SECOND', 'GRAPHQL_TENANT_RATE_LIMIT_PER_SECOND', 'WS_MAX_PAYLOAD_BYTES', 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 'WS_MAX_CONNECTIONS_PER_KEY', 'RISK_TRAINING_THREADS'] as const) {
    if (!Number.isInteger(e[key])) problems.push(`${key}: must be a whole number`);
  }
  if (e.GRAPHQL_MAX_BODY_BYTES > e.SUBGRAPH_MAX_BODY_BYTES) {
    problems.push('GRAPHQL_MAX_BODY_BYTES: must not exceed SUBGRAPH_MAX_BODY_BYTES (the gateway would accept bodies its subgraphs refuse)');
  }
  const tenantLimits = parseTenantLimits(e.INGEST_TENANT_LIMITS, problems);
  const inputStrings = parseInputStringLimits(e.INPUT_STRING_LIMITS, problems);
  const trustedProxies = commaList(e.TRUSTED_PROXIES);
  const badProxies = trustedProxies.filter((entry) => !isIpOrCidr(entry));
  if (badProxies.length) problems.push(`TRUSTED_PROXIES: not an IP address or CIDR range: ${badProxies.join(', ')} (e.g. 10.0.0.0/8,fd00::/8)`);
  if (!(e.SWEEP_GRACE_MS >= 0)) problems.push('SWEEP_GRACE_MS: must be zero or more');
  if (!(e.INGEST_FUTURE_TOLERANCE_MS >= 0)) problems.push('INGEST_FUTURE_TOLERANCE_MS: must be zero or more');
  if (!(e.RISK_SCORE_DEBOUNCE_MS >= 0)) problems.push('RISK_SCORE_DEBOUNCE_MS: must be zero or more');
  if (!(e.RISK_BUCKET_MEDIUM > 0 && e.RISK_BUCKET_MEDIUM < e.RISK_BUCKET_HIGH && e.RISK_BUCKET_HIGH < 100)) {
    problems.push('RISK_BUCKET_MEDIUM, RISK_BUCKET_HIGH: need 0 < medium < high < 100');
  }
  if (!(e.FRICTION_SCORE_DEBOUNCE_MS >= 0)) problems.push('FRICTION_SCORE_DEBOUNCE_MS: must be zero or more');
  for (const key of ['CHANNEL_TIMEOUT_MS', 'WEBHOOK_DISABLE_AFTER_FAILURES', 'TRACKING_TOKEN_TTL_SECONDS'] as const) {
    if (!(e[key] > 0)) problems.push(`${key}: must be a positive number`);
  }
  if (!(e.CHANNEL_SECRET_OVERLAP_MS >= 0)) problems.push('CHANNEL_SECRET_OVERLAP_MS: must be zero or more');
  const retrySchedule = e.WEBHOOK_RETRY_SCHEDULE_MS.split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0)
    .map(Number);
  if (retrySchedule.some((v) => !Number.isFinite(v) || v < 0)) problems.push('WEBHOOK_RETRY_SCHEDULE_MS: must be comma-separated delays in ms, each zero or more');
  if (!e.KPI_NPS_EVENT.trim()) problems.push('KPI_NPS_EVENT: must not be empty');
  if (!/^[A-Za-z0-9_$ -]{1,100}$/.test(e.KPI_NPS_PROPERTY)) problems.push('KPI_NPS_PROPERTY: must be a top-level property name (letters, digits, space, _ - $; up to 100)');
  if (e.PUBLIC_URL && !isHttpUrl(e.PUBLIC_URL)) problems.push('PUBLIC_URL: must be an http(s) URL, e.g. https://cx.example.com');
  if (problems.length) {
    throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  const dataDir = resolve(e.DATA_DIR);
  const host = e.HOST;
  const ports = {
    gateway: e.GATEWAY_PORT,
    profiles: e.PROFILES_PORT,
    signals: e.SIGNALS_PORT,
    risk: e.RISK_PORT,
    actions: e.ACTIONS_PORT,
  };
  const local = (p: number) => `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${p}/graphql`;
  return Object.freeze({
    nodeEnv: e.NODE_ENV as Config['nodeEnv'],
    production,
    // unset means the environment's default: on in development, off in production
    graphiql: e.GRAPHIQL === '' ? !production : e.GRAPHIQL === 'true',
    introspection: e.INTROSPECTION === '' ? !production : e.INTROSPECTION === 'true',
    devAdminKey: e.DEV_ADMIN_KEY === '' ? !production : e.DEV_ADMIN_KEY === 'true',
    logLevel: e.LOG_LEVEL || (e.NODE_ENV === 'test' ? 'warn' : 'info'),
    redisUrl: e.REDIS_URL,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    databaseUrl: e.DATABASE_URL || null,
    dataDir,
    host,
    ports,
    publicUrl: (e.PUBLIC_URL || `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${ports.gateway}`).replace(/\/+$/, ''),
    subgraphUrls: {
      profiles: e.PROFILES_URL || local(ports.profiles),
      signals: e.SIGNALS_URL || local(ports.signals),
      risk: e.RISK_URL || local(ports.risk),
      actions: e.ACTIONS_URL || local(ports.actions),
    },
    secret: e.FORESIGHT_SECRET || devSecret(dataDir),
    contextTtlSeconds: e.CONTEXT_TTL_SECONDS,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    trackingRequestsPerMinute: e.TRACKING_REQUESTS_PER_MINUTE,
    callbackRequestsPerMinute: e.CALLBACK_REQUESTS_PER_MINUTE,
    trustedProxies: Object.freeze(trustedProxies),
    queuePrefix: e.QUEUE_PREFIX,
    queues: { lockDurationMs: e.QUEUE_LOCK_DURATION_MS, stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS, jobAttempts: e.QUEUE_JOB_ATTEMPTS, ackWindowMs: e.QUEUE_ACK_WINDOW_MS },
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxCost: e.MAX_COST,
      unpagedListSize: e.COST_UNPAGED_LIST_SIZE,
      graphqlRatePerSecond: e.GRAPHQL_RATE_LIMIT_PER_SECOND,
      graphqlTenantRatePerSecond: e.GRAPHQL_TENANT_RATE_LIMIT_PER_SECOND,
      wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      wsSubscriptionsPerConnection: e.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      wsConnectionsPerKey: e.WS_MAX_CONNECTIONS_PER_KEY,
      graphqlBodyBytes: e.GRAPHQL_MAX_BODY_BYTES,
      subgraphBodyBytes: e.SUBGRAPH_MAX_BODY_BYTES,
      inputStrings,
    },
    identity: {
      junkValues: Object.freeze(
        e.IDENTITY_JUNK_VALUES.split(',')
          .map((v) => v.trim().toLowerCase())
          .filter((v) => v.length > 0),
      ),
    },
    risk: {
      changeDelta: e.RISK_CHANGE_DELTA,
      buckets: { medium: e.RISK_BUCKET_MEDIUM, high: e.RISK_BUCKET_HIGH },
      scoreDebounceMs: e.RISK_SCORE_DEBOUNCE_MS,
      rescoreIntervalMs: e.RISK_RESCORE_INTERVAL_MS,
      rescoreAfterMs: e.RISK_RESCORE_AFTER_MS,
      rescoreMaxProfiles: e.RISK_RESCORE_MAX_PROFILES,
      minClassExamples: e.RISK_MIN_CLASS_EXAMPLES,
      trainingMaxWaitMs: e.RISK_TRAINING_MAX_WAIT_MS,
      trainingPollMs: e.RISK_TRAINING_POLL_MS,
      trainingThreads: e.RISK_TRAINING_THREADS,
      trainingTimeoutMs: e.RISK_TRAINING_TIMEOUT_MS,
    },
    segments: { recheckIntervalMs: e.SEGMENT_RECHECK_INTERVAL_MS },
    ingest: {
      rateLimitPerSecond: e.INGEST_RATE_LIMIT_PER_SECOND,
      maxQueueDepth: e.INGEST_MAX_QUEUE_DEPTH,
      tenantRatePerSecond: e.INGEST_TENANT_RATE_LIMIT_PER_SECOND,
      tenantMaxBacklog: e.INGEST_TENANT_MAX_BACKLOG,
      tenantMaxInFlight: e.INGEST_TENANT_MAX_IN_FLIGHT,
      tenantConcurrency: e.INGEST_TENANT_CONCURRENCY,
      tenantLimits,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS,
      sweepGraceMs: e.SWEEP_GRACE_MS,
      futureToleranceMs: e.INGEST_FUTURE_TOLERANCE_MS,
    },
    friction: {
      sweepIntervalMs: e.FRICTION_SWEEP_INTERVAL_MS,
      scoreDebounceMs: e.FRICTION_SCORE_DEBOUNCE_MS,
      sweepMaxProfiles: e.FRICTION_SWEEP_MAX_PROFILES,
    },
    kpis: { npsEvent: e.KPI_NPS_EVENT.trim(), npsProperty: e.KPI_NPS_PROPERTY },
    channels: {
      allowedHosts: Object.freeze(
        e.WEBHOOK_ALLOWED_HOSTS.split(',')
          .map((v) => v.trim().toLowerCase())
          .filter((v) => v.length > 0),
      ),
      timeoutMs: e.CHANNEL_TIMEOUT_MS,
      webhookRetryScheduleMs: Object.freeze(retrySchedule),
      webhookDisableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
      secretOverlapMs: e.CHANNEL_SECRET_OVERLAP_MS,
      trackingTokenTtlSeconds: e.TRACKING_TOKEN_TTL_SECONDS,
    },
  });
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * `INPUT_STRING_LIMITS`: a JSON object of entries of the `limits.ts` table → a positive whole
 * number of characters, merged over the table. Problems are added to `problems`.
 */
function parseInputStringLimits(raw: string, problems: string[]): InputStringLimits {
  if (!raw.trim()) return INPUT_STRING_LIMITS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push('INPUT_STRING_LIMITS: must be a JSON object of field → characters, e.g. {"html": 200000, "text": 500}');
    return INPUT_STRING_LIMITS;
  }
  const merged: Record<string, number> = { ...INPUT_STRING_LIMITS };
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(INPUT_STRING_LIMITS, key)) problems.push(`INPUT_STRING_LIMITS: unknown entry ${key} (known: ${Object.keys(INPUT_STRING_LIMITS).join(', ')})`);
    else if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) problems.push(`INPUT_STRING_LIMITS: ${key} must be a positive whole number of characters`);
    else merged[key] = value;
  }
  return Object.freeze(merged) as InputStringLimits;
}

/** Trimmed, non-empty items of a comma-separated setting. */
function commaList(raw: string): string[] {
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** `10.0.0.7`, `10.0.0.0/8`, `fd00::1` or `fd00::/8` (the prefix within the family's bits). */
function isIpOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

/** One tenant's own ingestion limits (`INGEST_TENANT_LIMITS`); a limit left out takes the default. */
export interface TenantLimitOverrides {
  ratePerSecond?: number;
  maxBacklog?: number;
  maxInFlight?: number;
}

const TENANT_LIMIT_KEYS = ['ratePerSecond', 'maxBacklog', 'maxInFlight'] as const;

/**
 * `INGEST_TENANT_LIMITS`: a JSON object of tenant → `{ ratePerSecond?, maxBacklog?, maxInFlight? }`,
 * each a positive number. Problems are added to `problems`; the valid part is returned frozen.
 */
function parseTenantLimits(raw: string, problems: string[]): Config['ingest']['tenantLimits'] {
  if (!raw.trim()) return Object.freeze({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('INGEST_TENANT_LIMITS: must be a JSON object, e.g. {"acme": {"ratePerSecond": 20000, "maxBacklog": 5000, "maxInFlight": 50000}}');
    return Object.freeze({});
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push('INGEST_TENANT_LIMITS: must be a JSON object of tenant → limits');
    return Object.freeze({});
  }
  const limits: Record<string, TenantLimitOverrides> = Object.create(null);
  for (const [tenant, value] of Object.entries(parsed)) {
    const entry = value as Record<string, unknown> | null;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`INGEST_TENANT_LIMITS: ${tenant} must map to { ratePerSecond?, maxBacklog?, maxInFlight? }`);
      continue;
    }
    const own: TenantLimitOverrides = {};
    for (const key of TENANT_LIMIT_KEYS) {
      if (entry[key] === undefined) continue;
      if (typeof entry[key] !== 'number' || !(entry[key] > 0)) problems.push(`INGEST_TENANT_LIMITS: ${tenant}.${key} must be a positive number`);
      else own[key] = entry[key];
    }
    const unknown = Object.keys(entry).filter((k) => !(TENANT_LIMIT_KEYS as readonly string[]).includes(k));
    if (unknown.length) problems.push(`INGEST_TENANT_LIMITS: ${tenant} has unknown keys ${unknown.join(', ')}`);
    limits[tenant] = Object.freeze(own);
  }
  return Object.freeze(limits);
}

/**
 * What a production start refuses, one line per setting: the development defaults that are
 * harmless on a laptop and dangerous on a network (a secret anyone can read in `.data/secret`,
 * GraphiQL and introspection describing the whole API, an admin key printed to a log, SQLite
 * files on the container's disk instead of PostgreSQL).
 */
function productionProblems(e: {
  FORESIGHT_SECRET: string;
  GRAPHIQL: string;
  INTROSPECTION: string;
  DEV_ADMIN_KEY: string;
  DATABASE_URL: string;
  ALLOW_SQLITE_IN_PRODUCTION: string;
}): string[] {
  const problems: string[] = [];
  // SQLite files in DATA_DIR: one writer per file, lost with the container's filesystem, and not
  // shared by a second instance; a single-box install may still choose it, but by saying so
  if (e.DATABASE_URL === '' && e.ALLOW_SQLITE_IN_PRODUCTION !== 'true') {
    problems.push(
      'DATABASE_URL: is required in production: set it to a PostgreSQL URL (postgresql://user:password@host:5432/db); SQLite files in DATA_DIR are refused unless ALLOW_SQLITE_IN_PRODUCTION=true',
    );
  }
  if (e.FORESIGHT_SECRET === '') {
    problems.push('FORESIGHT_SECRET: is required in production (the development secret in DATA_DIR/secret is refused); e.g. openssl rand -base64 48');
  } else if (e.FORESIGHT_SECRET.length < 32) {
    problems.push('FORESIGHT_SECRET: at least 32 characters are required in production');
  }
  if (e.GRAPHIQL === 'true') problems.push('GRAPHIQL: must be false (or unset) in production');
  if (e.INTROSPECTION === 'true') problems.push('INTROSPECTION: must be false (or unset) in production');
  if (e.DEV_ADMIN_KEY === 'true') problems.push('DEV_ADMIN_KEY: must be false (or unset) in production: create keys with `keys create`');
  return problems;
}

/**
 * Development only: every local process must share one secret, so the first one to start
 * writes a random secret to `<dataDir>/secret` and the others read it.
 */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, secret, { flag: 'wx', mode: 0o600 });
  } catch {
    // another process won the race: use its secret
    return readFileSync(file, 'utf8').trim();
  }
  return secret;
}
