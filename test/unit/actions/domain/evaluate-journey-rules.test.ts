import type { AlertRuleSpec, AlertTrigger } from '../../../../subgraphs/actions/domain/alert-rule';
import { describeJourneyFiring, type JourneyStateFacts } from '../../../../subgraphs/actions/domain/evaluate-journey-rules';

const J = '01a21226-0000-7000-8000-0000000000aa';
const rule = (trigger: AlertTrigger): AlertRuleSpec => ({ id: 'r', version: 1, name: 'J', severity: 'high', team: 'cx', cooldownSeconds: 0, trigger, conditions: {}, builtIn: false });
const fact = (state: JourneyStateFacts['state'], stepIndex: number, over: Partial<JourneyStateFacts> = {}): JourneyStateFacts => ({
  profileId: 'p',
  segmentIds: [],
  at: new Date('2026-12-01T10:00:00Z'),
  instanceId: 'i1',
  journeyId: J,
  journeyName: 'Onboarding',
  state,
  stepIndex,
  step: `s${stepIndex}`,
  started: state === 'active' && stepIndex === 0,
  ...over,
});
const on = (state: 'active' | 'stalled' | 'completed' | 'abandoned', journeyId: string | null = J): AlertTrigger => ({ type: 'journey', journeyId, state });

describe('describeJourneyFiring', () => {
  it.each([
    ['a start fires an active rule', on('active'), fact('active', 0), 'r-journey-i1-active'],
    ['a later step does not', on('active'), fact('active', 1), null],
    ['a stall fires per step', on('stalled'), fact('stalled', 1), 'r-journey-i1-stalled-1'],
    ['another state does not', on('stalled'), fact('completed', 2), null],
    ['another journey does not', on('completed'), fact('completed', 2, { journeyId: 'other' }), null],
    ['any journey when journeyId is null', on('completed', null), fact('completed', 2, { journeyId: 'other' }), 'r-journey-i1-completed-2'],
    ['a segment rule does not', { type: 'segment', segmentId: J, change: 'entered' } as AlertTrigger, fact('active', 0), null],
  ])('%s', (_name, trigger, f, key) => {
    expect(describeJourneyFiring(rule(trigger), f)?.sourceKey ?? null).toBe(key);
  });
});
