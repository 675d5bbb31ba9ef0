import type { EntityManager } from '../../common/orm';
import { ProfileAliases } from '../../common/profile-aliases';
import { matchConversions } from '../domain/match-conversions';
import type { ObservedEvent } from '../domain/match-observations';
import { ExperimentAssignmentRepository } from '../entities/experiment-assignment.repository';
import { ExperimentConversion } from '../entities/experiment-conversion.entity';
import { ProfileAlias } from '../entities/profile-alias.entity';

/**
 * Records, set-based, the experiment conversions in a batch of events: goal events of assigned
 * customers inside their window (every arm alike). Reads: the merge aliases of the batch's
 * profiles, then the open experiment assignments of the survivors (one query); writes one
 * multi-row insert-or-ignore keyed on (assignment, event id), so a replayed job converts nobody twice.
 */
export class RecordConversionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** Returns the experiments that got conversions in this batch (to look for a winner). */
  async record(events: readonly ObservedEvent[], now: Date): Promise<string[]> {
    if (events.length === 0) return [];
    // an event under a merged-away id counts for its survivor, where the assignment was moved
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(events.map((e) => e.profileId))]);
    const followed = events.map((e) => ({ ...e, profileId: survivors.get(e.profileId) ?? e.profileId }));
    const times = followed.map((e) => e.occurredAt.getTime());
    const repo = new ExperimentAssignmentRepository(this.em, this.tenantId);
    const assignments = await repo.openFor(followed.map((e) => e.profileId), new Date(Math.min(...times)), new Date(Math.max(...times)));
    if (assignments.length === 0) return [];
    const conversions = matchConversions(assignments, followed);
    const rows = conversions.map(({ assignment: a, event }) =>
      this.em.create(
        ExperimentConversion,
        { tenantId: this.tenantId, assignmentId: a.id, experimentId: a.experimentId, profileId: a.profileId, arm: a.arm, eventId: event.eventId.slice(0, 128), occurredAt: event.occurredAt, assignedAt: a.assignedAt, createdAt: now, updatedAt: now },
        { persist: false },
      ),
    );
    await repo.insertConversions(rows);
    return [...new Set(conversions.map((c) => c.assignment.experimentId))];
  }
}
