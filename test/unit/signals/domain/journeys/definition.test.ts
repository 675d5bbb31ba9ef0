import {
  JOURNEY_DEFAULTS,
  JourneyDefinitionError,
  parseJourneyDefinition,
} from '../../../../../subgraphs/signals/domain/journeys/definition';

const steps = [
  { key: 'a', event: 'A' },
  { key: 'b', event: 'B' },
];

describe('parseJourneyDefinition', () => {
  it('fills the defaults and takes the last step as completion', () => {
    const spec = parseJourneyDefinition({ name: ' Onboarding ', steps });
    expect(spec).toEqual({
      name: 'Onboarding',
      steps: [
        { key: 'a', event: 'A', conditions: [], slaMs: JOURNEY_DEFAULTS.stepSlaMs, failureEvents: [] },
        { key: 'b', event: 'B', conditions: [], slaMs: null, failureEvents: [] },
      ],
      completionStep: 'b',
      slaMs: JOURNEY_DEFAULTS.slaMs,
      retryLoop: { count: 3, windowMs: 600_000 },
      sessionTimeoutMs: 1_800_000,
    });
  });

  it('keeps conditions, failure events and thresholds', () => {
    const spec = parseJourneyDefinition({
      name: 'x',
      steps: [
        { key: 'a', event: 'A', conditions: [{ property: 'p.q', in: ['x', 1] }], failureEvents: ['A Failed', 'A Failed'], slaMs: 5000 },
        { key: 'b', event: 'B', conditions: [{ property: 'ok', equals: true }] },
        { key: 'c', event: 'C' },
      ],
      completionStep: 'b',
      retryLoop: { count: 5 },
      slaMs: 1000,
    });
    expect(spec.steps[0]).toEqual({ key: 'a', event: 'A', conditions: [{ property: 'p.q', in: ['x', 1] }], slaMs: 5000, failureEvents: ['A Failed'] });
    expect(spec.steps.map((s) => s.slaMs)).toEqual([5000, null, null]);
    expect(spec.retryLoop).toEqual({ count: 5, windowMs: 600_000 });
    expect(spec.completionStep).toBe('b');
  });

  it.each([
    ['an empty name', { name: '', steps }, 'name: must be 1–200 characters'],
    ['one step', { name: 'x', steps: [steps[0]] }, 'steps: must be a list of 2–50 steps'],
    ['duplicate keys', { name: 'x', steps: [steps[0], { key: 'a', event: 'B' }] }, 'steps[1].key: "a" is used by an earlier step'],
    ['a bad key', { name: 'x', steps: [{ key: 'a b', event: 'A' }, steps[1]] }, 'steps[0].key: must be 1–64 letters'],
    ['a missing event', { name: 'x', steps: [{ key: 'a' }, steps[1]] }, 'steps[0].event: must be a non-empty event name'],
    ['an unknown completion step', { name: 'x', steps, completionStep: 'z' }, 'completionStep: must be the key of one of the steps'],
    ['the first step as completion', { name: 'x', steps, completionStep: 'a' }, 'completionStep: cannot be the first step'],
    ['a negative SLA', { name: 'x', steps, slaMs: -1 }, 'slaMs: must be a whole number of milliseconds'],
    ['a retry count of 1', { name: 'x', steps, retryLoop: { count: 1 } }, 'retryLoop.count: must be a whole number from 2 to 100'],
    ['a tiny session timeout', { name: 'x', steps, sessionTimeoutMs: 10 }, 'sessionTimeoutMs: must be a whole number of milliseconds from 60000'],
    ['both equals and in', { name: 'x', steps: [{ key: 'a', event: 'A', conditions: [{ property: 'p', equals: 1, in: [1] }] }, steps[1]] }, 'steps[0].conditions[0]: give exactly one of equals or in'],
    ['an object value', { name: 'x', steps: [{ key: 'a', event: 'A', conditions: [{ property: 'p', equals: { x: 1 } }] }, steps[1]] }, 'steps[0].conditions[0].equals: must be a string'],
    ['a failure event equal to the step event', { name: 'x', steps: [{ key: 'a', event: 'A', failureEvents: ['A'] }, steps[1]] }, 'steps[0].failureEvents[0]: "A" is the step\'s own event'],
  ])('refuses %s', (_name, input, message) => {
    expect(() => parseJourneyDefinition(input)).toThrow(JourneyDefinitionError);
    expect(() => parseJourneyDefinition(input)).toThrow(message);
  });

  it('reports every problem at once', () => {
    try {
      parseJourneyDefinition({ name: '', steps, slaMs: 0, sessionTimeoutMs: 0 });
      throw new Error('no error');
    } catch (err) {
      expect((err as JourneyDefinitionError).problems).toHaveLength(3);
    }
  });
});
