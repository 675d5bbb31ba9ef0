import { validateAlertRule, type AlertRuleDraft } from '../../../../subgraphs/actions/domain/validate-alert-rule';
import { ruleDraft } from './alert-rule-fixtures';

const SEG = '01a21226-0000-7000-8000-00000000000a';
const draft = ruleDraft;

describe('validateAlertRule', () => {
  it('normalises a valid threshold rule', () => {
    expect(validateAlertRule(draft({ conditions: { clvAbove: 100, segmentIds: [SEG, SEG] } }))).toEqual({
      problems: [],
      rule: {
        name: 'Churn over 70',
        severity: 'high',
        team: 'retention',
        enabled: true,
        cooldownSeconds: 0,
        trigger: { type: 'risk_crossing', kind: 'churn', threshold: 70, direction: 'up', hysteresis: 5 },
        conditions: { clvAbove: 100, segmentIds: [SEG] },
        playbookId: null,
      },
    });
  });

  it('keeps a playbook to enrol in, and names the field of one that is not an id', () => {
    expect(validateAlertRule(draft({ playbookId: SEG })).rule?.playbookId).toBe(SEG);
    expect(validateAlertRule(draft({ playbookId: 'nope' })).problems).toEqual([{ field: 'playbookId', message: 'must be a playbook id' }]);
  });

  it.each<[string, AlertRuleDraft['trigger'], object]>([
    ['a bucket entry of any kind', { type: 'risk_crossing', bucket: 'HIGH' }, { type: 'risk_crossing', kind: null, bucket: 'high' }],
    ['a friction signal', { type: 'friction_signal', signalType: 'retry_loop', minSeverity: 0.5 }, { type: 'friction_signal', signalType: 'retry_loop', minSeverity: 0.5 }],
    ['a segment exit', { type: 'segment', segmentId: SEG, segmentChange: 'exited' }, { type: 'segment', segmentId: SEG, change: 'exited' }],
    ['a journey state', { type: 'journey', journeyState: 'stalled' }, { type: 'journey', journeyId: null, state: 'stalled' }],
  ])('accepts %s', (_name, trigger, stored) => {
    expect(validateAlertRule({ ...draft(), trigger }).rule?.trigger).toEqual(stored);
  });

  it.each<[string, AlertRuleDraft, string[]]>([
    ['an empty name and team', draft({ name: ' ', team: '' }), ['name', 'team']],
    ['an unknown severity', draft({ severity: 'urgent' }), ['severity']],
    ['a negative or fractional cool-down', draft({ cooldownSeconds: 1.5 }), ['cooldownSeconds']],
    ['both a bucket and a threshold', draft({}, { bucket: 'high' }), ['trigger.threshold']],
    ['neither a bucket nor a threshold', draft({}, { threshold: null }), ['trigger.bucket']],
    ['a threshold outside 0–100', draft({}, { threshold: 120 }), ['trigger.threshold']],
    ['a hysteresis outside 0–50', draft({}, { hysteresis: -1 }), ['trigger.hysteresis']],
    ['a threshold without a score kind', draft({}, { riskKind: null }), ['trigger.riskKind']],
    ['an unknown bucket', draft({}, { threshold: null, bucket: 'extreme' }), ['trigger.bucket']],
    ['an unknown trigger type', { ...draft(), trigger: { type: 'weather' } }, ['trigger.type']],
    ['a friction severity above 1', { ...draft(), trigger: { type: 'friction_signal', signalType: 'retry_loop', minSeverity: 2 } }, ['trigger.minSeverity']],
    ['a segment trigger without a segment id', { ...draft(), trigger: { type: 'segment', segmentId: 'nope' } }, ['trigger.segmentId']],
    ['a CLV condition on a friction trigger', { ...draft({ conditions: { clvAbove: 100 } }), trigger: { type: 'friction_signal', signalType: 'retry_loop' } }, ['conditions.clvAbove']],
    ['revenue at risk and CLV conditions on a journey trigger', { ...draft({ conditions: { revenueAtRiskAbove: 1, clvAbove: 2 } }), trigger: { type: 'journey', journeyState: 'stalled' } }, ['conditions.clvAbove', 'conditions.revenueAtRiskAbove']],
    ['a revenue-at-risk condition on a segment trigger', { ...draft({ conditions: { revenueAtRiskAbove: 0 } }), trigger: { type: 'segment', segmentId: SEG } }, ['conditions.revenueAtRiskAbove']],
    ['bad conditions, by index', draft({ conditions: { revenueAtRiskAbove: -5, segmentIds: [SEG, 'x'] } }), ['conditions.revenueAtRiskAbove', 'conditions.segmentIds[1]']],
  ])('names the field of %s', (_name, input, fields) => {
    const { rule, problems } = validateAlertRule(input);
    expect(rule).toBeNull();
    expect(problems.map((p) => p.field)).toEqual(fields);
  });
});
