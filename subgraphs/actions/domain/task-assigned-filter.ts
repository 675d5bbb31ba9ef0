/** What a `taskAssigned` subscriber asked for; every present criterion must match. */
export interface TaskAssignedCriteria {
  team?: string | null;
  assignee?: string | null;
}

/** True when the task passes the subscriber's filter. An absent criterion passes everything. */
export function matchesTaskAssigned(task: { team: string; assignee: string | null }, criteria: TaskAssignedCriteria): boolean {
  if (criteria.team != null && task.team !== criteria.team) return false;
  if (criteria.assignee != null && task.assignee !== criteria.assignee) return false;
  return true;
}
