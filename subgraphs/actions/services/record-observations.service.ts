import type { EntityManager } from '../../common/orm';
import { ProfileAliases } from '../../common/profile-aliases';
import { matchObservations, type ObservedEvent } from '../domain/match-observations';
import { PlaybookAssignmentRepository } from '../entities/playbook-assignment.repository';
import { PlaybookOutcome } from '../entities/playbook-outcome.entity';
import { PlaybookOutcomeRepository } from '../entities/playbook-outcome.repository';
import { ProfileAlias } from '../entities/profile-alias.entity';

/**
 * Records, set-based, what a batch of events means for measurement: the outcome and guardrail
 * events of customers inside their window after assignment, for every arm (treated, control and
 * global control alike: the comparison needs all three). Reads: the merge aliases of the batch's
 * profiles, then the open assignments of the survivors (one query); writes one multi-row
 * insert-or-ignore keyed on (assignment, kind, event id), so a replayed job counts nothing twice.
 */
export class RecordObservationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** Returns the playbooks that got guardrail events in this batch (to check their guardrails). */
  async record(events: readonly ObservedEvent[], now: Date): Promise<string[]> {
    if (events.length === 0) return [];
    // an event under a merged-away id counts for its survivor, where the assignment was moved
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(events.map((e) => e.profileId))]);
    const followed = events.map((e) => ({ ...e, profileId: survivors.get(e.profileId) ?? e.profileId }));
    const times = followed.map((e) => e.occurredAt.getTime());
    const assignments = await new PlaybookAssignmentRepository(this.em, this.tenantId).openFor(
      followed.map((e) => e.profileId),
      new Date(Math.min(...times)),
      new Date(Math.max(...times)),
    );
    if (assignments.length === 0) return [];
    const observations = matchObservations(assignments, followed);
    const rows = observations.map(({ assignment: a, kind, event, value }) =>
      this.em.create(
        PlaybookOutcome,
        { tenantId: this.tenantId, assignmentId: a.id, playbookId: a.playbookId, profileId: a.profileId, arm: a.arm as PlaybookOutcome['arm'], assignedAt: a.assignedAt, kind, eventName: event.name, eventId: event.eventId.slice(0, 128), occurredAt: event.occurredAt, value, createdAt: now, updatedAt: now },
        { persist: false },
      ),
    );
    await new PlaybookOutcomeRepository(this.em, this.tenantId).insertIgnoring(rows);
    return [...new Set(observations.filter((o) => o.kind === 'guardrail').map((o) => o.assignment.playbookId))];
  }
}
