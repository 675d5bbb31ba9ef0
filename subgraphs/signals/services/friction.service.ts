import { raw } from '@mikro-orm/core';

import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { detectErrorBurst, detectRageClick, detectSupportBurst } from '../domain/friction/bursts';
import type { FrictionEvent, ReportedWindow } from '../domain/friction/events';
import type { FrictionFinding, FrictionType } from '../domain/friction/finding';
import { detectInactivityDrop, type ActivitySummary } from '../domain/friction/inactivity-drop';
import { detectNegativeFeedback } from '../domain/friction/negative-feedback';
import { detectRetryLoop, isFailureEvent } from '../domain/friction/retry-loop';
import type { FrictionConfig } from '../domain/friction/settings';
import { Event } from '../entities/event.entity';
import { JourneyDefinition } from '../entities/journey-definition.entity';
import { Signal } from '../entities/signal.entity';
import { FrictionSettingsService } from './friction-settings.service';
import type { JourneySnapshotQueue } from './journey-snapshot';
import { JourneyService } from './journey.service';

/** Most events one detector reads around a trigger. */
const MAX_WINDOW_EVENTS = 1000;
/** Profiles per inactivity page. */
const INACTIVITY_PAGE_SIZE = 500;
const DAY = 86_400_000;

/** What the detectors of a tenant are configured with. */
export interface TenantRules {
  config: FrictionConfig;
  journeyFailureEvents: string[];
  expires: number;
}

/**
 * Settings and journey definitions change rarely and are read by every detect job: each process
 * keeps them this long (a change reaches every instance within it; this one at once, see
 * `forgetTenantRules`).
 */
const RULES_TTL_MS = 5_000;
const RULES_CACHE_MAX = 10_000;
const rulesCache = new Map<string, TenantRules>();

/** Drops this process's cached settings of a tenant (after an update). */
export function forgetTenantRules(tenantId: string): void {
  rulesCache.delete(tenantId);
}

/**
 * Runs the friction detectors of one tenant: the event-driven ones for one resolved event
 * (journeys first, then retry loop, negative feedback, support and error bursts, rage clicks)
 * and the time-based inactivity drop for a bounded set of profiles. Returns findings; storing
 * them is `SignalService.record`'s job.
 */
export class FrictionService {
  private configCache: FrictionConfig | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    /** Where the journeys an event advances send their snapshots (`JourneyService`); optional. */
    private readonly activityQueue?: JourneySnapshotQueue,
  ) {}

  private async config(): Promise<FrictionConfig> {
    return (this.configCache ??= (await this.tenantRules()).config);
  }

  /** The tenant's settings and journey failure events, cached in this process for `RULES_TTL_MS`. */
  async tenantRules(): Promise<TenantRules> {
    const cached = rulesCache.get(this.tenantId);
    if (cached && cached.expires > Date.now()) return cached;
    const rules: TenantRules = {
      config: await new FrictionSettingsService(this.em, this.tenantId).config(),
      journeyFailureEvents: await this.journeyFailureEvents(),
      expires: Date.now() + RULES_TTL_MS,
    };
    if (rulesCache.size >= RULES_CACHE_MAX) rulesCache.delete(rulesCache.keys().next().value!);
    rulesCache.set(this.tenantId, rules);
    return rules;
  }

  /** Findings for one resolved event, or null when the event is not in this tenant or not resolved. */
  async detectForEvent(eventId: string): Promise<FrictionFinding[] | null> {
    if (!isUuid(eventId)) return null;
    const event = await this.em.findOne(Event, { tenantId: this.tenantId, id: eventId });
    if (!event?.profileId) return null;
    const profileId = event.profileId;
    const config = await this.config();
    const journeys = new JourneyService(this.em, this.tenantId, this.activityQueue);
    const findings: FrictionFinding[] = [...(await journeys.advance(event))];
    if (!event.name) return findings;
    const trigger = toFrictionEvent(event);
    const name = event.name;

    if (config.retryLoop.enabled && isFailureEvent(name, config.retryLoop)) {
      // a failure a journey watches is the journey's to report (its thresholds, its instance)
      const covered = new Set((await this.tenantRules()).journeyFailureEvents);
      for (const f of findings) if (f.type === 'retry_loop' && f.evidence.eventIds.includes(event.id)) covered.add(name);
      const window = config.retryLoop.windowMs;
      const loop = detectRetryLoop(
        {
          profileId,
          trigger,
          events: await this.around(profileId, event.timestamp, window),
          reported: await this.reported(profileId, 'retry_loop', event.timestamp, window, 'eventName'),
          coveredEvents: [...covered],
        },
        config.retryLoop,
      );
      if (loop) findings.push(loop);
    }
    const feedback = detectNegativeFeedback(profileId, trigger, config.negativeFeedback);
    if (feedback) findings.push(feedback);
    for (const [type, options, detect] of [
      ['support_burst', config.supportBurst, detectSupportBurst],
      ['error_burst', config.errorBurst, detectErrorBurst],
    ] as const) {
      if (!options.enabled || !options.events.includes(name)) continue;
      const found = detect(
        {
          profileId,
          trigger,
          events: await this.around(profileId, event.timestamp, options.windowMs, options.events),
          reported: await this.reported(profileId, type, event.timestamp, options.windowMs, null),
        },
        options,
      );
      if (found) findings.push(found);
    }
    const rage = config.rageClick;
    if (rage.enabled && rage.events.includes(name)) {
      const found = detectRageClick(
        {
          profileId,
          trigger,
          events: await this.around(profileId, event.timestamp, rage.windowMs, rage.events),
          reported: await this.reported(profileId, 'rage_click', event.timestamp, rage.windowMs, 'element'),
        },
        rage,
      );
      if (found) findings.push(found);
    }
    return findings;
  }

  /** Failure events named by the tenant's journey definitions: their retry loops are the journeys' to report. */
  private async journeyFailureEvents(): Promise<string[]> {
    const definitions = await this.em.find(JourneyDefinition, { tenantId: this.tenantId }, { fields: ['steps'] });
    return definitions.flatMap((d) => d.steps.flatMap((step) => step.failureEvents ?? []));
  }

  /**
   * Inactivity drops at `now` among the tenant's profiles active in the baseline or recent window,
   * in pages of 500 by profile id, at most `maxProfiles` profiles.
   */
  async detectInactivity(now: Date, maxProfiles: number): Promise<{ findings: FrictionFinding[]; profiles: number }> {
    const options = (await this.config()).inactivityDrop;
    const findings: FrictionFinding[] = [];
    if (!options.enabled) return { findings, profiles: 0 };
    const recentStart = new Date(now.getTime() - options.recentDays * DAY);
    const windowStart = new Date(recentStart.getTime() - options.baselineDays * DAY);
    let after: string | null = null;
    let seen = 0;
    while (seen < maxProfiles) {
      const page = (await this.em
        .createQueryBuilder(Event, 'e')
        .select(['e.profileId', raw('count(*) as total')])
        .where({
          tenantId: this.tenantId,
          profileId: after ? { $ne: null, $gt: after } : { $ne: null },
          timestamp: { $gte: windowStart, $lt: now },
        })
        .groupBy('e.profileId')
        .orderBy({ profileId: 'asc' })
        .limit(Math.min(INACTIVITY_PAGE_SIZE, maxProfiles - seen))
        .execute('all', false)) as { profile_id?: string; profileId?: string; total: number | string }[];
      if (page.length === 0) break;
      seen += page.length;
      const ids = page.map((r) => (r.profileId ?? r.profile_id) as string);
      after = ids[ids.length - 1];
      const totals = new Map(page.map((r, i) => [ids[i], Number(r.total)]));
      const candidates = ids.filter((id) => totals.get(id)! >= options.minBaselineEvents);
      if (candidates.length) {
        const recent = await this.countsSince(candidates, recentStart, now);
        const bounds = await this.bounds(candidates);
        for (const profileId of candidates) {
          const recentCount = recent.get(profileId) ?? 0;
          const b = bounds.get(profileId);
          if (!b) continue;
          const activity: ActivitySummary = {
            profileId,
            baselineCount: totals.get(profileId)! - recentCount,
            recentCount,
            firstSeenAt: b.first,
            lastSeenAt: b.last,
          };
          const finding = detectInactivityDrop(activity, options, now);
          if (finding) findings.push(finding);
        }
      }
      if (page.length < INACTIVITY_PAGE_SIZE) break;
    }
    return { findings, profiles: seen };
  }

  private async countsSince(profileIds: string[], from: Date, to: Date): Promise<Map<string, number>> {
    const rows = (await this.em
      .createQueryBuilder(Event, 'e')
      .select(['e.profileId', raw('count(*) as total')])
      .where({ tenantId: this.tenantId, profileId: { $in: profileIds }, timestamp: { $gte: from, $lt: to } })
      .groupBy('e.profileId')
      .execute('all', false)) as { profile_id?: string; profileId?: string; total: number | string }[];
    return new Map(rows.map((r) => [(r.profileId ?? r.profile_id) as string, Number(r.total)]));
  }

  private async bounds(profileIds: string[]): Promise<Map<string, { first: Date; last: Date }>> {
    const rows = (await this.em
      .createQueryBuilder(Event, 'e')
      .select(['e.profileId', raw('min(e.timestamp) as first_at'), raw('max(e.timestamp) as last_at')])
      .where({ tenantId: this.tenantId, profileId: { $in: profileIds } })
      .groupBy('e.profileId')
      .execute('all', false)) as { profile_id?: string; profileId?: string; first_at: unknown; last_at: unknown }[];
    return new Map(rows.map((r) => [(r.profileId ?? r.profile_id) as string, { first: toDate(r.first_at), last: toDate(r.last_at) }]));
  }

  /** The profile's events within `windowMs` either side of `at` (optionally only some names), oldest first. */
  private async around(profileId: string, at: Date, windowMs: number, names?: readonly string[]): Promise<FrictionEvent[]> {
    const rows = await this.em.find(
      Event,
      {
        tenantId: this.tenantId,
        profileId,
        timestamp: { $gte: new Date(at.getTime() - windowMs), $lte: new Date(at.getTime() + windowMs) },
        ...(names ? { name: { $in: [...names] } } : {}),
      },
      { orderBy: { timestamp: 'asc', id: 'asc' }, limit: MAX_WINDOW_EVENTS, fields: ['id', 'name', 'timestamp', 'properties'] },
    );
    return rows.map(toFrictionEvent);
  }

  /** Windows of signals of `type` already recorded for the profile near `at`. */
  private async reported(profileId: string, type: FrictionType, at: Date, windowMs: number, scopeKey: string | null): Promise<ReportedWindow[]> {
    const rows = await this.em.find(
      Signal,
      { tenantId: this.tenantId, profileId, type, detectedAt: { $gte: new Date(at.getTime() - 2 * windowMs), $lte: new Date(at.getTime() + 2 * windowMs) } },
      { limit: 100 },
    );
    return rows.flatMap((s) => {
      const { windowStart, windowEnd } = s.evidence as { windowStart?: string; windowEnd?: string };
      if (!windowStart || !windowEnd) return [];
      const scope = scopeKey ? s.evidence[scopeKey] : null;
      return [{ start: new Date(windowStart), end: new Date(windowEnd), scope: typeof scope === 'string' ? scope : null }];
    });
  }
}

export function toFrictionEvent(e: Pick<Event, 'id' | 'name' | 'timestamp' | 'properties'>): FrictionEvent {
  return { id: e.id, name: e.name, timestamp: e.timestamp, properties: e.properties ?? {} };
}

/** An aggregate's date as the driver returns it (Date, ISO text, or epoch ms on SQLite). */
function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value);
  return /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
}

/** Tenants with any stored events (the inactivity part of the sweep visits each). */
export async function tenantsWithEvents(em: EntityManager): Promise<string[]> {
  const rows = (await em.createQueryBuilder(Event, 'e').select('e.tenantId', true).execute('all', false)) as { tenant_id?: string; tenantId?: string }[];
  return rows.map((r) => (r.tenantId ?? r.tenant_id) as string).filter(Boolean);
}
