import type { JourneyState } from './progress';
import type { JourneyInstanceSnapshot } from './time-based';

/** A journey instance as stored: step times as ISO strings (JSON column). */
export interface StoredJourneyInstance {
  state: JourneyState;
  startedAt: Date;
  currentStep: string;
  stepTimes: readonly { key: string; reachedAt: string; eventId: string }[];
  lastEventId: string;
  lastSeenAt: Date;
  stalledStep: string | null;
  exitedAt: Date | null;
}

/** The time-based detectors' view of a stored instance (`detectTimeBasedFriction`, `nextJourneyCheckAt`). */
export function instanceSnapshot(i: StoredJourneyInstance): JourneyInstanceSnapshot {
  return {
    state: i.state,
    startedAt: i.startedAt,
    currentStep: i.currentStep,
    steps: i.stepTimes.map((s) => ({ key: s.key, reachedAt: new Date(s.reachedAt), eventId: s.eventId })),
    lastEventId: i.lastEventId,
    lastSeenAt: i.lastSeenAt,
    stalledStep: i.stalledStep,
    exitedAt: i.exitedAt,
  };
}
