import { assignArm, CONTROL_ARM, globalControlEpoch, inGlobalControl, type Sha256 } from './uplift/assignment';

/** The arm a customer is logged in: treated, held out of this playbook, or in the tenant's global control. */
export type AssignedArm = 'treatment' | 'control' | 'global_control';
export const ASSIGNED_ARMS: readonly AssignedArm[] = ['treatment', 'control', 'global_control'];

/** The tenant's side of assignment: its secret salt and its global control group. */
export interface AssignmentSettings {
  salt: string;
  /** Share of customers in the global control group, in [0, 1]. */
  globalControlFraction: number;
  /** Days between redraws of the global control group. */
  globalControlPeriodDays: number;
}

const DAY_MS = 86_400_000;

/**
 * The arm of each (playbook, profile) to enrol, keyed `playbookId|profileId`. A pair already in
 * the assignment log keeps its logged arm (sticky even when the holdout or the global control
 * epoch changed since). Otherwise the global control comes first (a customer in it gets no
 * playbook at all), then the playbook's own holdout by the salted hash of `assignArm`.
 */
export function planAssignments(
  sha256: Sha256,
  tenantId: string,
  settings: AssignmentSettings,
  pairs: readonly { playbookId: string; profileId: string; holdoutFraction: number }[],
  logged: ReadonlyMap<string, AssignedArm>,
  now: Date,
): Map<string, AssignedArm> {
  const epoch = globalControlEpoch(now.getTime(), settings.globalControlPeriodDays * DAY_MS);
  const arms = new Map<string, AssignedArm>();
  for (const { playbookId, profileId, holdoutFraction } of pairs) {
    const key = assignmentKey(playbookId, profileId);
    if (arms.has(key)) continue;
    const before = logged.get(key);
    if (before) {
      arms.set(key, before);
      continue;
    }
    if (inGlobalControl(sha256, settings.salt, tenantId, profileId, settings.globalControlFraction, epoch)) arms.set(key, 'global_control');
    else arms.set(key, assignArm(sha256, settings.salt, playbookId, profileId, holdoutFraction) === CONTROL_ARM ? 'control' : 'treatment');
  }
  return arms;
}

export function assignmentKey(playbookId: string, profileId: string): string {
  return `${playbookId}|${profileId}`;
}
