import type { EntityManager } from '../../common/orm';
import type { FrictionFinding } from '../domain/friction/finding';
import { instanceSnapshot } from '../domain/journeys/instance-snapshot';
import { detectTimeBasedFriction } from '../domain/journeys/time-based';
import { JourneyInstance } from '../entities/journey-instance.entity';
import type { JourneyDefinitionService } from './journey-definition.service';
import type { JourneyAlertsSink } from './journey-alerts-handoff';
import { queueJourneySnapshots, type JourneySnapshotQueue } from './journey-snapshot';

/** Instances the sweep handles per page (one flush each). */
export const JOURNEY_SWEEP_PAGE = 200;
/** Pages per `sweep` call: at most 5,000 instances per tenant per run; the rest wait for the next run. */
export const JOURNEY_SWEEP_MAX_PAGES = 25;

/**
 * Moves one tenant's journey instances past their deadlines (called by the scheduled friction
 * sweep). Each time-based finding is returned once: run it and the recording of its findings in
 * one transaction (the `store` callback) to make them atomic. Given the `record-activity` queue,
 * it queues the stalls and abandonments it marked once their page is committed; a crash between
 * the commit and the queueing loses that page's snapshots (the instances are no longer due).
 */
export class JourneySweepService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly definitions: JourneyDefinitionService,
    /** The `record-activity` producer; without it no snapshot is queued (admin requests, tests). */
    private readonly activityQueue?: JourneySnapshotQueue,
    /** Where the instances it changed go for JOURNEY alert rules; without it they wait for the sweeper. */
    private readonly alertsSink?: JourneyAlertsSink,
  ) {}

  /**
   * Time-based journey detectors for this tenant at `now`: stall (no progress past a step SLA),
   * mid-journey exit (no event for the session timeout with the journey incomplete), abandonment
   * (journey SLA exceeded). Updates instance states (stalled/abandoned, exitedAt). Reads only
   * instances whose next deadline has come, in pages of `JOURNEY_SWEEP_PAGE`, at most
   * `JOURNEY_SWEEP_MAX_PAGES` pages per call. Each finding is returned once (see the class note);
   * `store`, when given, persists a page's findings inside that page's transaction.
   */
  async sweep(now: Date, store?: (em: EntityManager, findings: FrictionFinding[]) => Promise<void>): Promise<FrictionFinding[]> {
    const definitions = await this.definitions.specs();
    const findings: FrictionFinding[] = [];
    for (let page = 0; page < JOURNEY_SWEEP_MAX_PAGES; page++) {
      const { count, changed } = await this.em.transactional(async (em) => {
        const pageFindings: FrictionFinding[] = [];
        const changed: JourneyInstance[] = [];
        const due = await em.getRepository(JourneyInstance).due(this.tenantId, now, JOURNEY_SWEEP_PAGE);
        for (const instance of due) {
          const found = definitions.get(instance.definitionId);
          if (!found) {
            instance.nextCheckAt = null;
            continue;
          }
          const ctx = { profileId: instance.profileId, instanceId: instance.id, journeyId: found.def.id, journeyName: found.def.name };
          const result = detectTimeBasedFriction(found.spec, instanceSnapshot(instance), now, ctx);
          Object.assign(instance, result.patch);
          if (result.patch.state) {
            // the alerts hand-off is owed from this commit on
            instance.alertsPendingSince = new Date();
            changed.push(instance);
          }
          // the domain guarantees a later time; null stops a bad row from being read every page
          instance.nextCheckAt = result.nextCheckAt && result.nextCheckAt > now ? result.nextCheckAt : null;
          findings.push(...result.findings);
          pageFindings.push(...result.findings);
        }
        // the state change and the signals it reports commit together: the sweep reports each
        // stall/exit/abandonment once, so storing them after the commit could lose one in a crash
        if (store && pageFindings.length) await store(em, pageFindings);
        await em.flush();
        return { count: due.length, changed };
      });
      if ((this.activityQueue || this.alertsSink) && changed.length) {
        const defs = new Map([...definitions].map(([id, { def }]) => [id, def]));
        if (this.activityQueue) await queueJourneySnapshots(this.activityQueue, this.em, this.tenantId, changed, defs, { scope: 'current', unrecorded: [] });
        await this.alertsSink?.changed(changed, defs);
      }
      if (count < JOURNEY_SWEEP_PAGE) break;
    }
    return findings;
  }
}
