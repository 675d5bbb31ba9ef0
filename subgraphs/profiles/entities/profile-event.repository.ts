import { raw } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';
import { uuidv7 } from 'uuidv7';

import { windowStarts, type EventAggregate } from '../domain/computed-traits';
import { DAY_MS, windowKey, type EventWindow } from '../domain/segments/condition';
import type { TimeEdgeRange } from '../domain/segments/requirements';
import type { ProfileEvent } from './profile-event.entity';

/** One event row of the profiles stage's log, as a batch writes it. */
export interface ProfileEventRow {
  profileId: string;
  eventId: string;
  type: string;
  name: string | null;
  timestamp: Date;
  revenue: number | null;
}

/** Set-based reads and writes of the profiles stage's event log. */
export class ProfileEventRepository extends EntityRepository<ProfileEvent> {
  /** Which of these events are recorded already, and on which profile: one query. */
  async landingsOf(tenantId: string, eventIds: readonly string[]): Promise<Map<string, string>> {
    if (eventIds.length === 0) return new Map();
    const rows = (await this.createQueryBuilder('e')
      .select(['e.eventId', 'e.profileId'])
      .where({ tenantId, eventId: { $in: [...eventIds] } })
      .execute('all', false)) as { event_id: string; profile_id: string }[];
    return new Map(rows.map((r) => [r.event_id, r.profile_id]));
  }

  /** Records the events, skipping any recorded already (a concurrent run of the same job): one statement. */
  async insertOrIgnore(tenantId: string, rows: readonly ProfileEventRow[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    await this.createQueryBuilder()
      .insert(rows.map((row) => ({ ...row, id: uuidv7(), tenantId, createdAt: now, updatedAt: now })))
      .onConflict(['tenantId', 'eventId'])
      .ignore()
      .execute();
  }

  /**
   * Per profile, one row per (type, name): counts, counts in the windows ending at `now`,
   * first/last time and revenue. One grouped query for all the profiles.
   */
  async aggregatesOf(tenantId: string, profileIds: readonly string[], now: Date): Promise<Map<string, EventAggregate[]>> {
    const byProfile = new Map<string, EventAggregate[]>();
    if (profileIds.length === 0) return byProfile;
    const em = this.getEntityManager();
    const platform = em.getPlatform();
    // dates bound as the driver stores them: epoch ms on SQLite, timestamps on PostgreSQL
    const windows = windowStarts(now).map((start, i) =>
      raw('sum(case when ?? >= ? then 1 else 0 end) as ??', ['e.timestamp', platform.processDateProperty(start), `w${i}`]),
    );
    const result = (await em
      .createQueryBuilder(this.getEntityName(), 'e')
      .select([
        'e.profileId',
        'e.type',
        'e.name',
        raw('count(*) as ??', ['cnt']),
        raw('min(??) as ??', ['e.timestamp', 'first_at']),
        raw('max(??) as ??', ['e.timestamp', 'last_at']),
        raw('coalesce(sum(??), 0) as ??', ['e.revenue', 'revenue']),
        ...windows,
      ])
      .where({ tenantId, profileId: { $in: [...profileIds] } })
      .groupBy(['e.profileId', 'e.type', 'e.name'])
      .execute('all', false)) as Record<string, unknown>[];

    for (const row of result) {
      const profileId = String(row.profile_id);
      const list = byProfile.get(profileId) ?? [];
      list.push({
        type: String(row.type),
        name: row.name === null ? null : String(row.name),
        // PostgreSQL returns bigint and numeric aggregates as strings
        count: Number(row.cnt),
        windowCounts: windows.map((_w, i) => Number(row[`w${i}`] ?? 0)),
        firstAt: toDate(row.first_at),
        lastAt: toDate(row.last_at),
        revenue: Number(row.revenue ?? 0),
      });
      byProfile.set(profileId, list);
    }
    return byProfile;
  }

  /**
   * `track` events per (name, window) and profile, counted back from `now`: one grouped query
   * with a conditional sum per window. Profiles without such events are missing from the map.
   */
  async windowCounts(tenantId: string, profileIds: readonly string[], windows: readonly EventWindow[], now: Date): Promise<Map<string, Record<string, number>>> {
    if (profileIds.length === 0 || windows.length === 0) return new Map();
    const platform = this.getEntityManager().getPlatform();
    const since = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const earliest = since(Math.max(...windows.map((w) => w.days)));
    // dates bound as the driver stores them: epoch ms on SQLite, timestamps on PostgreSQL
    const sums = windows.map((w, i) =>
      raw('sum(case when ?? = ? and ?? >= ? then 1 else 0 end) as ??', [
        'e.name',
        w.event,
        'e.timestamp',
        platform.processDateProperty(since(w.days)),
        `w${i}`,
      ]),
    );
    const rows = (await this.createQueryBuilder('e')
      .select(['e.profile_id', ...sums])
      .where({
        tenantId,
        profileId: { $in: [...profileIds] },
        type: 'track',
        name: { $in: [...new Set(windows.map((w) => w.event))] },
        timestamp: { $gte: earliest },
      })
      .groupBy('e.profile_id')
      .execute('all', false)) as Record<string, unknown>[];
    return new Map(
      rows.map((row) => [
        String(row.profile_id),
        // PostgreSQL returns bigint sums as strings
        Object.fromEntries(windows.map((w, i) => [windowKey(w), Number(row[`w${i}`] ?? 0)])),
      ]),
    );
  }

  /** Latest event time per profile (any event type): one grouped query. */
  async lastEventTimes(tenantId: string, profileIds: readonly string[]): Promise<Map<string, Date>> {
    if (profileIds.length === 0) return new Map();
    const rows = (await this.createQueryBuilder('e')
      .select(['e.profile_id', raw('max(??) as ??', ['e.timestamp', 'last_at'])])
      .where({ tenantId, profileId: { $in: [...profileIds] } })
      .groupBy('e.profile_id')
      .execute('all', false)) as Record<string, unknown>[];
    return new Map(rows.map((row) => [String(row.profile_id), toDate(row.last_at)]));
  }

  /**
   * Up to `limit` distinct profile ids after `after`, in id order, with an event in one of the
   * ranges (a range naming an event counts only `track` events of that name).
   */
  async profileIdsWithEventsIn(tenantId: string, ranges: readonly TimeEdgeRange[], after: string | null, limit: number): Promise<string[]> {
    if (ranges.length === 0) return [];
    const span = (r: TimeEdgeRange) => ({ $gte: r.from, $lte: r.to });
    const rows = (await this.createQueryBuilder('e')
      .select('e.profile_id', true)
      .where({
        tenantId,
        ...(after ? { profileId: { $gt: after } } : {}),
        $or: ranges.map((r) => (r.event === null ? { timestamp: span(r) } : { type: 'track', name: r.event, timestamp: span(r) })),
      })
      .orderBy({ profileId: 'asc' })
      .limit(limit)
      .execute('all', false)) as { profile_id: string }[];
    return rows.map((r) => String(r.profile_id));
  }
}

/** A raw `datetime` aggregate: epoch ms on SQLite, a timestamp string (or Date) on PostgreSQL. */
function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  if (typeof value === 'string' && /^\d+$/.test(value)) return new Date(Number(value));
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new RangeError(`profile events: unreadable timestamp ${String(value)}`);
  return date;
}
