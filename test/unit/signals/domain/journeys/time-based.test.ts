import { partitionJourneyEvents, replayJourney, type JourneyEventRecord } from '../../../../../subgraphs/signals/domain/journeys/progress';
import {
  detectTimeBasedFriction,
  nextJourneyCheckAt,
  type JourneyInstanceSnapshot,
} from '../../../../../subgraphs/signals/domain/journeys/time-based';
import { ev, HOUR, MIN, ONBOARDING, T0 } from './fixtures';

const ctx = { profileId: 'p1', instanceId: 'i1', journeyId: 'j1', journeyName: 'Account opening' };

function snapshotOf(events: JourneyEventRecord[], extra: Partial<JourneyInstanceSnapshot> = {}): JourneyInstanceSnapshot {
  const p = replayJourney(ONBOARDING, partitionJourneyEvents(ONBOARDING, events)[0]);
  return {
    state: p.completedAt ? 'completed' : 'active',
    startedAt: p.startedAt,
    currentStep: p.currentStep,
    steps: p.steps,
    lastEventId: p.lastEventId,
    lastSeenAt: p.lastEventAt,
    stalledStep: null,
    exitedAt: null,
    ...extra,
  };
}

const at = (min: number) => new Date(T0 + min * MIN);
const story = [ev('Account Opening Started', 0), ev('ID Upload Failed', 1), ev('ID Upload Failed', 3), ev('ID Upload Failed', 5)];

describe('detectTimeBasedFriction', () => {
  it.each([
    ['nothing while the customer is slow but within every SLA', story, 20, []],
    ['a mid-journey exit after the session timeout', story, 36, ['mid_journey_exit']],
    ['a stall once the step SLA has passed', story, 121, ['stall', 'mid_journey_exit']],
    ['abandonment once the journey SLA has passed', story, 48 * 60 + 1, ['stall', 'mid_journey_exit', 'abandonment']],
    ['nothing for a completed journey', [...story, ev('ID Uploaded', 6), ev('Account Opened', 8)], 48 * 60 + 1, []],
    ['nothing within the step SLA after progress', [...story, ev('ID Uploaded', 100)], 125, []],
  ])('finds %s', (_name, events, min, types) => {
    const result = detectTimeBasedFriction(ONBOARDING, snapshotOf(events), at(min), ctx);
    expect(result.findings.map((f) => f.type)).toEqual(types);
  });

  it('detects at the deadlines, with evidence and stable keys', () => {
    const s = snapshotOf(story);
    const { findings, patch, nextCheckAt } = detectTimeBasedFriction(ONBOARDING, s, at(48 * 60 + 1), ctx);
    const [stall, exit, abandonment] = findings;
    expect(stall).toMatchObject({ detectedAt: at(120), dedupeKey: `stall-p1-i1.started-${T0}`, severity: 0.3 });
    expect(stall.evidence.summary).toBe('No progress past step "started" of "Account opening" for 2 h (step SLA 2 h)');
    expect(exit).toMatchObject({ detectedAt: at(35), dedupeKey: `mid_journey_exit-p1-i1-${T0 + 5 * MIN}` });
    expect(exit.evidence).toMatchObject({ eventIds: [story[3].eventId], sessionTimeoutMs: 30 * MIN });
    expect(abandonment).toMatchObject({ detectedAt: at(48 * 60), dedupeKey: `abandonment-p1-i1-${T0}`, severity: 0.6 });
    expect(patch).toEqual({ state: 'abandoned', stalledStep: 'started', stalledAt: at(120), exitedAt: at(35), abandonedAt: at(48 * 60) });
    expect(nextCheckAt).toBeNull();
  });

  it('reports each finding once across sweeps and schedules the next deadline', () => {
    let s = snapshotOf(story);
    const seen: string[] = [];
    for (const min of [10, 36, 60, 121, 600, 48 * 60 + 1]) {
      const r = detectTimeBasedFriction(ONBOARDING, s, at(min), ctx);
      seen.push(...r.findings.map((f) => f.type));
      s = { ...s, ...r.patch };
      if (r.nextCheckAt) expect(r.nextCheckAt.getTime()).toBeGreaterThan(at(min).getTime());
    }
    expect(seen).toEqual(['mid_journey_exit', 'stall', 'abandonment']);
    expect(s.state).toBe('abandoned');
  });

  it('scores a later-stage drop-off as more severe', () => {
    const deep = snapshotOf([ev('Account Opening Started', 0), ev('ID Uploaded', 1), ev('Details Submitted', 2, undefined, { form: { valid: true } })]);
    const [stall] = detectTimeBasedFriction(ONBOARDING, deep, at(2 + 4 * 60 + 1), ctx).findings.filter((f) => f.type === 'stall');
    expect(stall.severity).toBeCloseTo(0.7);
  });
});

describe('nextJourneyCheckAt', () => {
  it('is the earliest pending deadline, null once closed', () => {
    expect(nextJourneyCheckAt(ONBOARDING, snapshotOf(story))).toEqual(at(35));
    expect(nextJourneyCheckAt(ONBOARDING, snapshotOf(story, { exitedAt: at(35) }))).toEqual(at(120));
    expect(nextJourneyCheckAt(ONBOARDING, snapshotOf(story, { exitedAt: at(35), stalledStep: 'started' }))).toEqual(new Date(T0 + 48 * HOUR));
    expect(nextJourneyCheckAt(ONBOARDING, snapshotOf(story, { state: 'abandoned' }))).toBeNull();
  });
});
