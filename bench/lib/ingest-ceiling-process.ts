// Child process of bench/ingest.bench.ts: the ceiling of the ingestion design. A bare node:http
// server that reads the body, parses the JSON, and writes the batch with the very statements the
// signals service issues (`insertEventRows`: one transaction, multi-row INSERT … ON CONFLICT DO
// NOTHING RETURNING id) into the same events table of the same database, through the same
// MikroORM/knex driver and pool settings. No auth, no validation, no queue, no framework.
// It also reads back what was stored, to check that every acknowledged event is in the table.
import 'reflect-metadata';

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Redis } from 'ioredis';

import { initOrm, type Orm } from '../../subgraphs/common/orm';
import { createQueue, RESOLVE_IDENTITY, type EventType } from '../../subgraphs/common/queues';
import { createRedis } from '../../subgraphs/common/redis';
import { MAX_BATCH_BYTES } from '../../subgraphs/common/segment-api';
import { Shutdown } from '../../subgraphs/common/shutdown';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../subgraphs/signals';
import type { NormalizedEvent } from '../../subgraphs/signals/domain/events/validate-event';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { insertEventRows, toEventRows } from '../../subgraphs/signals/services/ingest.service';
import { benchConfigFromParent } from './bench-env';
import { serveParent } from './child';

/** The ceiling's URL and what the database says about itself (version, durability settings). */
export interface StartedCeiling {
  url: string;
  database: Record<string, string>;
}

export interface StartCeilingRequest {
  /** Tenant the ceiling's rows are written under (the real path's comes from the write key). */
  tenant: string;
}

/** What the events table and the resolve queue hold for one tenant. */
export interface StoredStats {
  rows: number;
  /** Rows whose resolve job was queued (`enqueuedAt` set). */
  enqueued: number;
  /** Jobs waiting in the `resolve-identity` queue (all tenants; one per request). */
  waitingJobs: number;
  /** Events those waiting jobs carry for this tenant. */
  waitingEvents: number;
}

const config = benchConfigFromParent();
const shutdown = new Shutdown();
let orm: Orm | null = null;
let redis: Redis | null = null;

type RawEvent = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const date = (v: unknown): Date | null => (typeof v === 'string' ? new Date(v) : null);

/** The batch's events as the insert takes them: read field by field, not validated. */
function toEvents(batch: RawEvent[], sentAt: Date | null, receivedAt: Date): NormalizedEvent[] {
  return batch.map((e) => {
    const timestamp = date(e.timestamp);
    return {
      messageId: String(e.messageId),
      type: e.type as EventType,
      name: str(e.event) ?? str(e.name),
      userId: str(e.userId),
      anonymousId: str(e.anonymousId),
      previousId: str(e.previousId),
      groupId: str(e.groupId),
      properties: obj(e.properties),
      traits: obj(e.traits),
      context: obj(e.context),
      timestamp: timestamp ?? receivedAt,
      originalTimestamp: timestamp,
      sentAt,
      receivedAt,
    };
  });
}

async function handle(db: Orm, tenant: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const receivedAt = new Date();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BATCH_BYTES) return reply(res, 400, { success: false, code: 'BATCH_TOO_LARGE' });
    chunks.push(chunk as Buffer);
  }
  let body: { batch?: unknown; sentAt?: unknown };
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
  } catch {
    return reply(res, 400, { success: false, code: 'INVALID_JSON' });
  }
  if (!Array.isArray(body?.batch)) return reply(res, 400, { success: false, code: 'BAD_REQUEST' });
  const rows = toEventRows(toEvents(body.batch as RawEvent[], date(body.sentAt), receivedAt), tenant);
  const inserted = await insertEventRows(forkAcrossTenants(db), rows);
  reply(res, 200, { success: true, accepted: inserted.size, duplicates: rows.length - inserted.size, errors: [] });
}

async function describeDatabase(db: Orm): Promise<Record<string, string>> {
  const one = async (sql: string) => {
    const rows = await db.em.getConnection().execute<Record<string, unknown>[]>(sql);
    return String(Object.values(rows[0] ?? {})[0] ?? '');
  };
  if (config.databaseUrl) {
    return { engine: 'postgresql', version: await one('show server_version'), synchronous_commit: await one('show synchronous_commit') };
  }
  return {
    engine: 'sqlite (better-sqlite3)',
    version: await one('select sqlite_version() as v'),
    journal_mode: await one('pragma journal_mode'),
    synchronous: await one('pragma synchronous'),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

serveParent({
  async start(arg): Promise<StartedCeiling> {
    const { tenant } = arg as StartCeilingRequest;
    // the signals service's own ORM spec: same database, same table (the schema is already there)
    const db = (orm = await initOrm(config, signalsSubgraph.orm, shutdown));
    redis = createRedis(config.redisUrl, shutdown, 'foresight-bench-ceiling');
    const server = createServer((req, res) => {
      handle(db, tenant, req, res).catch((err: unknown) => {
        console.error(`ingest ceiling: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) reply(res, 500, { success: false, code: 'INTERNAL_SERVER_ERROR' });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    shutdown.defer(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/batch`, database: await describeDatabase(db) };
  },

  async stats(tenant): Promise<StoredStats> {
    if (!orm || !redis) throw new Error('stats before start');
    const em = forkAcrossTenants(orm);
    const queue = createQueue(RESOLVE_IDENTITY, redis, config.queuePrefix);
    try {
      const [rows, enqueued, waiting] = await Promise.all([
        em.count(Event, { tenantId: tenant as string }),
        em.count(Event, { tenantId: tenant as string, enqueuedAt: { $ne: null } }),
        queue.getWaiting(0, -1),
      ]);
      const waitingEvents = waiting.filter((job) => job.data.tenantId === tenant).reduce((n, job) => n + job.data.events.length, 0);
      return { rows, enqueued, waitingJobs: waiting.length, waitingEvents };
    } finally {
      await queue.close();
    }
  },

  async stop() {
    await shutdown.run();
  },
});
