import type { Job, Worker } from 'bullmq';

import type { EntityManager } from '../../common/orm';
import { JOURNEY_ALERTS, RECORD_ACTIVITY, SWEEP_FRICTION, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { forkAcrossTenants, forkForTenant } from '../../common/tenant-filter';
import type { FrictionFinding } from '../domain/friction/finding';
import { FrictionService, tenantsWithEvents } from '../services/friction.service';
import { directJourneyAlerts } from '../services/journey-alerts-handoff';
import { JourneyService, tenantsWithActiveJourneys } from '../services/journey.service';
import { SignalService } from '../services/signal.service';
import { signalFollowUps } from './detect-friction.worker';

type SweepFrictionJob = JobPayloads[typeof SWEEP_FRICTION];

/** Id of the one job scheduler behind the friction sweep. */
export const SWEEP_FRICTION_SCHEDULER = 'sweep-friction-every';

export interface SweepFrictionResult {
  tenants: number;
  signals: number;
}

/**
 * One tick of the time-based detectors at `now`: per tenant with open journeys, the journey
 * sweep (stall, mid-journey exit, abandonment); per tenant with events, the inactivity drop for
 * its recently active profiles (bounded pages). Findings are recorded like the event-driven ones;
 * dedupe keys make an overlapping or repeated sweep harmless. Tests pass a future `now`.
 */
export async function sweepFriction(
  _job: Pick<Job<SweepFrictionJob>, 'id'> | null,
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'config' | 'log'>,
  now = new Date(),
): Promise<SweepFrictionResult> {
  const followUps = signalFollowUps(deps);
  const journeyTenants = await tenantsWithActiveJourneys(forkAcrossTenants(deps.orm));
  const eventTenants = await tenantsWithEvents(forkAcrossTenants(deps.orm));
  let signals = 0;
  for (const tenantId of new Set([...journeyTenants, ...eventTenants])) {
    try {
      const em = forkForTenant(deps.orm, tenantId); // one identity map per tenant
      // journey findings are stored in the transaction that moves the instance on; the
      // announcement below finds them stored and sends the follow-ups
      const storeInTransaction = async (tx: EntityManager, found: FrictionFinding[]) => {
        const store = new SignalService(tx, tenantId);
        for (const finding of found) await store.record(finding);
      };
      // each page's stalls and abandonments queue their journey snapshots after its commit
      const journeys = new JourneyService(em, tenantId, deps.queues.get(RECORD_ACTIVITY), directJourneyAlerts(deps.queues.get(JOURNEY_ALERTS), tenantId));
      const findings: FrictionFinding[] = journeyTenants.includes(tenantId) ? await journeys.sweep(now, storeInTransaction) : [];
      if (eventTenants.includes(tenantId)) {
        findings.push(...(await new FrictionService(em, tenantId).detectInactivity(now, deps.config.friction.sweepMaxProfiles)).findings);
      }
      const recorder = new SignalService(em, tenantId, followUps);
      for (const finding of findings) await recorder.record(finding);
      // and whatever an earlier, crashed tick stored without announcing
      await recorder.announcePending();
      signals += findings.length;
    } catch (err) {
      // one tenant's failure must not starve the others; the next tick tries it again
      deps.log.error({ err, tenantId }, 'friction sweep failed for a tenant');
    }
  }
  if (signals > 0) deps.log.info({ signals, now: now.toISOString() }, 'friction sweep found signals');
  return { tenants: new Set([...journeyTenants, ...eventTenants]).size, signals };
}

/** The friction sweep: SWEEP_FRICTION every `config.friction.sweepIntervalMs`, self-healing (see `startScheduledSweeper`). */
export function startSweepFrictionWorker(deps: SubgraphDeps): Promise<Worker<SweepFrictionJob>> {
  return startScheduledSweeper(deps, {
    queue: SWEEP_FRICTION,
    schedulerId: SWEEP_FRICTION_SCHEDULER,
    everyMs: deps.config.friction.sweepIntervalMs,
    run: (job) => sweepFriction(job, deps),
  });
}
