import type { EntityManager } from '../../common/orm';
import type { FrictionFinding } from '../domain/friction/finding';
import type { Event } from '../entities/event.entity';
import type { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyInstance } from '../entities/journey-instance.entity';
import { JourneyDefinitionService, type JourneyDefinitionData } from './journey-definition.service';
import { JourneyFunnelService, type JourneyFunnelData } from './journey-funnel.service';
import type { JourneyAlertsSink } from './journey-alerts-handoff';
import { JourneyInstanceService, type ListJourneysOptions } from './journey-instance.service';
import { JourneyReplayService } from './journey-replay.service';
import type { JourneySnapshotQueue } from './journey-snapshot';
import { JourneySweepService } from './journey-sweep.service';

export type { JourneyDefinitionData } from './journey-definition.service';
export type { JourneyFunnelData } from './journey-funnel.service';
export type { ListJourneysOptions } from './journey-instance.service';
export { JOURNEY_SWEEP_MAX_PAGES, JOURNEY_SWEEP_PAGE } from './journey-sweep.service';

/**
 * Journeys of one tenant as resolvers and workers see them, on one entity manager: definitions
 * (`JourneyDefinitionService`), instance reads (`JourneyInstanceService`), the funnel
 * (`JourneyFunnelService`), instances advanced by events (`JourneyReplayService`, called by the
 * event-resolved batch for its named events) and by time (`JourneySweepService`, called by the
 * scheduled friction sweep). All share one read of the tenant's definitions per service.
 */
export class JourneyService {
  readonly definitions: JourneyDefinitionService;
  readonly instances: JourneyInstanceService;
  readonly analytics: JourneyFunnelService;
  readonly replay: JourneyReplayService;
  readonly time: JourneySweepService;

  constructor(
    em: EntityManager,
    tenantId: string,
    /** The `record-activity` producer; without it no snapshot is queued (admin requests, tests). */
    activityQueue?: JourneySnapshotQueue,
    /** Where changed instances go for JOURNEY alert rules; without it they wait for the sweeper (admin requests, tests). */
    alertsSink?: JourneyAlertsSink,
  ) {
    this.definitions = new JourneyDefinitionService(em, tenantId);
    this.instances = new JourneyInstanceService(em, tenantId);
    this.analytics = new JourneyFunnelService(em, tenantId, this.definitions);
    this.replay = new JourneyReplayService(em, tenantId, this.definitions, activityQueue, alertsSink);
    this.time = new JourneySweepService(em, tenantId, this.definitions, activityQueue, alertsSink);
  }

  listDefinitions(): Promise<JourneyDefinition[]> {
    return this.definitions.listDefinitions();
  }

  definition(id: string): Promise<JourneyDefinition | null> {
    return this.definitions.definition(id);
  }

  createDefinition(input: JourneyDefinitionData): Promise<JourneyDefinition> {
    return this.definitions.createDefinition(input);
  }

  updateDefinition(id: string, patch: JourneyDefinitionData): Promise<JourneyDefinition> {
    return this.definitions.updateDefinition(id, patch);
  }

  deleteDefinition(id: string): Promise<string> {
    return this.definitions.deleteDefinition(id);
  }

  instance(id: string): Promise<JourneyInstance | null> {
    return this.instances.instance(id);
  }

  list(options: ListJourneysOptions): Promise<JourneyInstance[]> {
    return this.instances.list(options);
  }

  listForProfile(profileId: string, first: number): Promise<JourneyInstance[]> {
    return this.instances.listForProfile(profileId, first);
  }

  definitionOf(instance: Pick<JourneyInstance, 'definitionId'>): Promise<JourneyDefinition> {
    return this.instances.definitionOf(instance);
  }

  funnel(definitionId: string, from: Date | null = null, to: Date | null = null): Promise<JourneyFunnelData> {
    return this.analytics.funnel(definitionId, from, to);
  }

  advance(event: Event): Promise<FrictionFinding[]> {
    return this.replay.advance(event);
  }

  advanceBatch(events: readonly Event[]): Promise<FrictionFinding[][]> {
    return this.replay.advanceBatch(events);
  }

  sweep(now: Date, store?: (em: EntityManager, findings: FrictionFinding[]) => Promise<void>): Promise<FrictionFinding[]> {
    return this.time.sweep(now, store);
  }
}

/** Tenants with at least one open journey instance (one with a pending deadline): whom `sweep` is for. */
export function tenantsWithActiveJourneys(em: EntityManager): Promise<string[]> {
  return em.getRepository(JourneyInstance).tenantsWithDeadlines();
}
