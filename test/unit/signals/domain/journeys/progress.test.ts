import {
  matchJourneyEvent,
  partitionJourneyEvents,
  replayJourney,
  stepDurations,
} from '../../../../../subgraphs/signals/domain/journeys/progress';
import { ev, HOUR, MIN, ONBOARDING, shuffled } from './fixtures';

describe('matchJourneyEvent', () => {
  it.each([
    ['a step event', 'Account Opening Started', {}, { steps: ['started'], failures: [] }],
    ['a failure event', 'ID Upload Failed', {}, { steps: [], failures: ['id_upload'] }],
    ['a step whose condition holds', 'Details Submitted', { form: { valid: true } }, { steps: ['details'], failures: [] }],
    ['a step whose condition fails', 'Details Submitted', { form: { valid: 'true' } }, null],
    ['a step whose property is missing', 'Details Submitted', {}, null],
    ['an unrelated event', 'Viewed Pricing', {}, null],
  ])('matches %s', (_name, name, properties, expected) => {
    expect(matchJourneyEvent(ONBOARDING, { name, properties })).toEqual(expected);
  });

  it('matches `in` conditions and ignores events without a name', () => {
    const spec = { ...ONBOARDING, steps: ONBOARDING.steps.map((s, i) => (i === 0 ? { ...s, conditions: [{ property: 'channel', in: ['ios', 'android'] }] } : s)) };
    expect(matchJourneyEvent(spec, { name: 'Account Opening Started', properties: { channel: 'ios' } })?.steps).toEqual(['started']);
    expect(matchJourneyEvent(spec, { name: 'Account Opening Started', properties: { channel: 'web' } })).toBeNull();
    expect(matchJourneyEvent(spec, { name: null, properties: {} })).toBeNull();
  });
});

const valid = { form: { valid: true } };

describe('partitionJourneyEvents', () => {
  it.each([
    ['one instance through completion', [ev('Account Opening Started', 0), ev('ID Uploaded', 5), ev('Details Submitted', 9, undefined, valid), ev('Account Opened', 12)], [4]],
    ['a second instance after completion', [ev('Account Opening Started', 0), ev('Account Opened', 12), ev('Account Opening Started', 60), ev('ID Uploaded', 65)], [2, 2]],
    ['a repeated start inside an open instance', [ev('Account Opening Started', 0), ev('Account Opening Started', 30), ev('ID Uploaded', 35)], [3]],
    ['a new instance once the journey SLA has passed', [ev('Account Opening Started', 0), ev('Account Opening Started', 49 * 60), ev('ID Uploaded', 49 * 60 + 5)], [1, 2]],
    ['events before any start dropped', [ev('ID Upload Failed', -5), ev('ID Uploaded', -1), ev('Account Opening Started', 0)], [1]],
    ['a failure after completion dropped', [ev('Account Opening Started', 0), ev('Account Opened', 12), ev('ID Upload Failed', 20)], [2]],
  ])('finds %s', (_name, events, sizes) => {
    expect(partitionJourneyEvents(ONBOARDING, events).map((p) => p.length)).toEqual(sizes);
    for (const order of shuffled(events)) {
      expect(partitionJourneyEvents(ONBOARDING, order)).toEqual(partitionJourneyEvents(ONBOARDING, events));
    }
  });
});

describe('replayJourney', () => {
  it('records the first time each step is reached and the completion', () => {
    const events = [ev('Account Opening Started', 0), ev('ID Upload Failed', 2), ev('ID Uploaded', 5), ev('Account Opening Started', 6), ev('Details Submitted', 9, undefined, valid), ev('Account Opened', 12)];
    const [partition] = partitionJourneyEvents(ONBOARDING, events);
    const progress = replayJourney(ONBOARDING, partition);
    expect(progress).toMatchObject({ currentStep: 'opened', currentStepIndex: 3, completedAt: events[5].timestamp, startEventId: events[0].eventId, lastEventId: events[5].eventId });
    expect(progress.steps.map((s) => [s.key, (s.reachedAt.getTime() - events[0].timestamp.getTime()) / MIN])).toEqual([
      ['started', 0],
      ['id_upload', 5],
      ['details', 9],
      ['opened', 12],
    ]);
    expect(stepDurations(progress)).toEqual([5 * MIN, 4 * MIN, 3 * MIN, null]);
  });

  it('lets a skipped step count as passed, without a time of its own', () => {
    const [partition] = partitionJourneyEvents(ONBOARDING, [ev('Account Opening Started', 0), ev('Details Submitted', 30, undefined, valid)]);
    const progress = replayJourney(ONBOARDING, partition);
    expect(progress.currentStep).toBe('details');
    expect(progress.steps.map((s) => s.key)).toEqual(['started', 'details']);
    expect(progress.completedAt).toBeNull();
  });

  it('gives the same progress when events arrive out of order', () => {
    const events = [ev('Account Opening Started', 0), ev('ID Uploaded', 5), ev('Details Submitted', 3 * 60, undefined, valid), ev('Account Opened', 4 * 60)];
    const expected = replayJourney(ONBOARDING, partitionJourneyEvents(ONBOARDING, events)[0]);
    for (const order of shuffled(events)) {
      expect(replayJourney(ONBOARDING, partitionJourneyEvents(ONBOARDING, order)[0])).toEqual(expected);
    }
    expect(expected.lastEventAt.getTime() - expected.startedAt.getTime()).toBe(4 * HOUR);
  });

  it('refuses an instance that does not start with the first step', () => {
    expect(() => replayJourney(ONBOARDING, [ev('ID Uploaded', 0)])).toThrow('replayJourney: an instance starts with an event reaching step "started"');
  });
});
