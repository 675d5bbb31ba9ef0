import type { AlertRuleSpec, AlertTrigger } from '../../../../subgraphs/actions/domain/alert-rule';
import { describeSegmentFiring, segmentsShownBy, type SegmentChangeFacts } from '../../../../subgraphs/actions/domain/evaluate-segment-rules';
import { evaluateTriggers } from '../../../../subgraphs/actions/domain/evaluate-trigger-rules';

const SEG = '01a21226-0000-7000-8000-0000000000aa';
const NOW = new Date('2026-12-01T12:00:00Z');
const rule = (trigger: AlertTrigger, over: Partial<AlertRuleSpec> = {}): AlertRuleSpec => ({
  id: 'rule-1',
  version: 1,
  name: 'Trial',
  severity: 'medium',
  team: 'sales',
  cooldownSeconds: 0,
  trigger,
  conditions: {},
  builtIn: false,
  ...over,
});
const fact = (change: 'entered' | 'exited', over: Partial<SegmentChangeFacts> = {}): SegmentChangeFacts => {
  const base = { profileId: 'p1', segmentId: SEG, segmentName: 'Trial', membershipId: 'm1', change, at: NOW, ...over };
  return { ...base, segmentIds: segmentsShownBy(base) };
};
const entered: AlertTrigger = { type: 'segment', segmentId: SEG, change: 'entered' };

describe('describeSegmentFiring', () => {
  it.each([
    ['an entry fires an entry rule', entered, fact('entered'), 'segment_entered'],
    ['an exit fires an exit rule', { ...entered, change: 'exited' } as AlertTrigger, fact('exited'), 'segment_exited'],
    ['an exit does not fire an entry rule', entered, fact('exited'), null],
    ['another segment does not fire', entered, fact('entered', { segmentId: 'other' }), null],
    ['a friction rule does not fire', { type: 'friction_signal', signalType: 'stall', minSeverity: 0 } as AlertTrigger, fact('entered'), null],
  ])('%s', (_name, trigger, f, type) => {
    expect(describeSegmentFiring(rule(trigger), f)?.type ?? null).toBe(type);
  });

  it('meets a condition on the segment entered, not one on a segment it cannot know', () => {
    const fire = (segmentIds: string[]) => evaluateTriggers([rule(entered, { conditions: { segmentIds } })], [fact('entered')], describeSegmentFiring, new Map(), new Set(), NOW).firings.length;
    expect(fire([SEG])).toBe(1);
    expect(fire(['elsewhere'])).toBe(0);
  });
});
