import { createHash } from 'node:crypto';

import type { Queue } from 'bullmq';

import { JOURNEY_ALERTS, type JourneyAlertsBatch, type JourneyStateForAlerts } from '../../common/queues';
import type { JourneyDefinition } from '../entities/journey-definition.entity';
import type { JourneyInstance } from '../entities/journey-instance.entity';
import { journeySnapshots } from './journey-snapshot';

export type JourneyAlertsQueue = Pick<Queue<JourneyAlertsBatch>, 'add'>;

/** Where the journey services hand the instances they changed (after the commit) for JOURNEY alert rules. */
export interface JourneyAlertsSink {
  changed(instances: readonly JourneyInstance[], definitions: ReadonlyMap<string, JourneyDefinition>): Promise<void>;
}

/**
 * Every state the instance's row shows (active at each step reached, stalled, completed,
 * abandoned; see `journeySnapshots`), for the JOURNEY alert rules. The first `active` state is the
 * journey's start.
 */
export function journeyStatesForAlerts(tenantId: string, instance: JourneyInstance, def: JourneyDefinition): JourneyStateForAlerts[] {
  let started = false;
  return journeySnapshots(tenantId, instance, def, [], 'history').map((s) => {
    const first = s.state === 'active' && !started;
    if (first) started = true;
    return { instanceId: s.instanceId, profileId: s.profileId, journeyId: s.journeyId, journeyName: s.journeyName, state: s.state, stepIndex: s.stepIndex, step: s.step, started: first, observedAt: s.observedAt };
  });
}

/**
 * Queues one `journey-alerts` job with the states of the instances whose alerts hand-off is
 * pending (the last copy of an instance given wins), and their markers. The job id is a digest of
 * the (instance, marker) pairs: the same markers queue nothing new, a re-marked instance is a new job.
 * Instances of a definition missing from `definitions` (deleted) are skipped. Returns how many
 * instances it queued.
 */
export async function queueJourneyAlerts(
  queue: JourneyAlertsQueue,
  tenantId: string,
  instances: readonly JourneyInstance[],
  definitions: ReadonlyMap<string, JourneyDefinition>,
  resend?: string,
): Promise<number> {
  const latest = new Map(instances.filter((i) => i.alertsPendingSince !== null && definitions.has(i.definitionId)).map((i) => [i.id, i]));
  if (latest.size === 0) return 0;
  const ordered = [...latest.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pending = ordered.map((i) => ({ instanceId: i.id, since: i.alertsPendingSince!.toISOString() }));
  const states = ordered.flatMap((i) => journeyStatesForAlerts(tenantId, i, definitions.get(i.definitionId)!));
  const digest = createHash('sha256')
    .update(pending.map((p) => `${p.instanceId}@${p.since}`).join(','))
    .digest('hex')
    .slice(0, 32);
  await queue.add(JOURNEY_ALERTS, { tenantId, states, pending }, { jobId: `${tenantId}-journeys-${digest}${resend ? `-${resend}` : ''}` });
  return latest.size;
}

/** A sink that queues one job per call (the time-based sweep: one per page). */
export function directJourneyAlerts(queue: JourneyAlertsQueue, tenantId: string): JourneyAlertsSink {
  return { changed: async (instances, definitions) => void (await queueJourneyAlerts(queue, tenantId, instances, definitions)) };
}

/** A sink that collects a pass's changes, queued as one job by `flush` (the event-resolved pass). */
export class JourneyAlertsCollector implements JourneyAlertsSink {
  private readonly instances: JourneyInstance[] = [];
  private readonly definitions = new Map<string, JourneyDefinition>();

  changed(instances: readonly JourneyInstance[], definitions: ReadonlyMap<string, JourneyDefinition>): Promise<void> {
    this.instances.push(...instances);
    for (const [id, def] of definitions) this.definitions.set(id, def);
    return Promise.resolve();
  }

  flush(queue: JourneyAlertsQueue, tenantId: string, resend?: string): Promise<number> {
    return queueJourneyAlerts(queue, tenantId, this.instances, this.definitions, resend);
  }
}
