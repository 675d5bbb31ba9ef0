import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { Event } from '../entities/event.entity';

export interface ListEventsOptions {
  /** Only these event types (track, identify, …). */
  types?: string[] | null;
  first: number;
}

/** Tenant-scoped reads of stored events, and their resolution to a profile. */
export class EventService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** A profile's events, newest first (by corrected timestamp). */
  async listForProfile(profileId: string, { types, first }: ListEventsOptions): Promise<Event[]> {
    // profile ids are UUIDs; anything else matches nothing (and PostgreSQL would reject it)
    if (!isUuid(profileId)) return [];
    return this.em.find(
      Event,
      { tenantId: this.tenantId, profileId, ...(types?.length ? { type: { $in: types as Event['type'][] } } : {}) },
      { orderBy: { timestamp: 'desc', id: 'desc' }, limit: first },
    );
  }

  /**
   * Records that an event belongs to a profile. Safe to repeat: `processedAt` keeps the first
   * resolution time, while the profile id follows the latest (a merge re-points events).
   * Null when the event does not exist in this tenant.
   */
  async markResolved(eventId: string, profileId: string | null): Promise<Event | null> {
    if (!isUuid(eventId)) return null;
    const event = await this.em.findOne(Event, { tenantId: this.tenantId, id: eventId });
    if (!event) return null;
    // an unresolvable event (null) never takes a profile away from a resolved one
    if (profileId) event.profileId = profileId;
    event.processedAt ??= new Date();
    await this.em.flush();
    return event;
  }
}
