/**
 * What a run of `record-activity` observations (no merges among them) writes to risk's tables, as
 * plain rows: decided in memory from the items and where each profile id lives now, so the
 * stage writes each table with one multi-row statement.
 */
import type { RecordActivityJob } from '../../common/queues';
import type { JourneySnapshotInput } from './dropoff/journey-features';

type Item<K extends RecordActivityJob['kind']> = Extract<RecordActivityJob, { kind: K }>;

export interface ActivityEventRow {
  profileId: string;
  eventId: string;
  type: Item<'event'>['type'];
  name: string | null;
  timestamp: Date;
  revenue: number | null;
  traits: Record<string, unknown>;
}

export interface ActivitySignalRow {
  profileId: string;
  signalId: string;
  type: string;
  severity: number;
  detectedAt: Date;
  journeyInstanceId: string | null;
  summary: string;
}

/** A journey snapshot row as stored: the snapshot (see `JourneySnapshotInput`) of a profile. */
export interface JourneySnapshotRow extends JourneySnapshotInput {
  profileId: string;
}

export interface SegmentMemberRow {
  profileId: string;
  segmentId: string;
  membershipId: string;
  enteredAt: Date;
}

export interface ActivityPlan {
  events: ActivityEventRow[];
  signals: ActivitySignalRow[];
  snapshots: JourneySnapshotRow[];
  /** Stays to store (the first observation of a membership opens it, as a lone job did). */
  memberships: SegmentMemberRow[];
  /** Stays that ended, grouped by when: one update per distinct time (ISO) closes them all. */
  exits: Map<string, string[]>;
  /** Profiles (survivors) whose score the run may move, first-seen order; segment changes do not. */
  touched: string[];
}

/**
 * Rows of a run of observations. `survivors` maps a profile id to where it lives now (missing:
 * itself). A source id seen twice in the run is stored once (the first wins), as a replay would.
 */
export function planActivity(items: readonly RecordActivityJob[], survivors: ReadonlyMap<string, string>): ActivityPlan {
  const plan: ActivityPlan = { events: [], signals: [], snapshots: [], memberships: [], exits: new Map(), touched: [] };
  const seen = new Set<string>();
  const touched = new Set<string>();
  const once = (key: string) => !seen.has(key) && !!seen.add(key);
  for (const item of items) {
    if (item.kind === 'merge') throw new RangeError('planActivity: merges take their own locked path');
    const profileId = survivors.get(item.profileId) ?? item.profileId;
    if (item.kind !== 'segment') touched.add(profileId);
    switch (item.kind) {
      case 'event':
        if (once(`e:${item.eventId}`)) {
          plan.events.push({ profileId, eventId: item.eventId, type: item.type, name: item.name, timestamp: new Date(item.timestamp), revenue: item.revenue, traits: item.traits ?? {} });
        }
        break;
      case 'signal':
        if (once(`s:${item.signalId}`)) {
          plan.signals.push({
            profileId,
            signalId: item.signalId,
            type: item.type,
            severity: item.severity,
            detectedAt: new Date(item.detectedAt),
            journeyInstanceId: item.journeyInstanceId,
            summary: item.summary,
          });
        }
        break;
      case 'journey':
        if (once(`j:${item.instanceId}:${item.state}:${item.stepIndex}`)) {
          plan.snapshots.push({
            profileId,
            instanceId: item.instanceId,
            journeyId: item.journeyId,
            journeyName: item.journeyName,
            state: item.state,
            stepIndex: item.stepIndex,
            stepCount: item.stepCount,
            step: item.step,
            stepReachedAt: new Date(item.stepReachedAt),
            stepSlaMs: item.stepSlaMs,
            startedAt: new Date(item.startedAt),
            retries: item.retries,
            endedAt: item.endedAt ? new Date(item.endedAt) : null,
            observedAt: new Date(item.observedAt),
          });
        }
        break;
      case 'segment':
        if (once(`m:${item.membershipId}`)) {
          plan.memberships.push({ profileId, segmentId: item.segmentId, membershipId: item.membershipId, enteredAt: new Date(item.at) });
        }
        if (item.change === 'exited' && once(`x:${item.membershipId}`)) {
          const at = new Date(item.at).toISOString();
          plan.exits.set(at, [...(plan.exits.get(at) ?? []), item.membershipId]);
        }
        break;
    }
  }
  plan.touched = [...touched];
  return plan;
}

/** How many write statements storing a plan takes (one per non-empty table, one per exit time). */
export function statementsOf(plan: ActivityPlan): number {
  return [plan.events, plan.signals, plan.snapshots, plan.memberships].filter((rows) => rows.length > 0).length + plan.exits.size;
}

/**
 * The batch cut where merges sit: runs of ordinary observations (stored set-based) and merges
 * (each on its own, in order), so an observation after a merge sees it, as it did one job at a time.
 */
export function splitAtMerges(items: readonly RecordActivityJob[]): (RecordActivityJob[] | Item<'merge'>)[] {
  const parts: (RecordActivityJob[] | Item<'merge'>)[] = [];
  let run: RecordActivityJob[] = [];
  for (const item of items) {
    if (item.kind !== 'merge') {
      run.push(item);
      continue;
    }
    if (run.length) parts.push(run);
    run = [];
    parts.push(item);
  }
  if (run.length) parts.push(run);
  return parts;
}
