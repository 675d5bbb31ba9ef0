import type { AlertRuleSpec, AlertTrigger } from '../../../../subgraphs/actions/domain/alert-rule';
import { stateKey, type RuleState } from '../../../../subgraphs/actions/domain/evaluate-alert-rules';
import { describeSignalFiring, signalSourceKey, type SignalFacts } from '../../../../subgraphs/actions/domain/evaluate-signal-rules';
import { evaluateTriggers } from '../../../../subgraphs/actions/domain/evaluate-trigger-rules';

const evaluateSignals = (rules: AlertRuleSpec[], signals: SignalFacts[], states: Map<string, RuleState>, raised: Set<string>, now: Date) =>
  evaluateTriggers(rules, signals, describeSignalFiring, states, raised, now);

const P = '01a21226-0000-7000-8000-000000000001';
const NOW = new Date('2026-12-01T12:00:00Z');
const friction: AlertTrigger = { type: 'friction_signal', signalType: 'retry_loop', minSeverity: 0.5 };

const rule = (over: Partial<AlertRuleSpec> = {}): AlertRuleSpec => ({
  id: 'rule-1',
  version: 1,
  name: 'Stuck',
  severity: 'high',
  team: 'onboarding',
  cooldownSeconds: 0,
  trigger: friction,
  conditions: {},
  builtIn: false,
  ...over,
});
let seq = 0;
const signal = (type: string, severity: number, over: Partial<SignalFacts> = {}): SignalFacts => ({
  signalId: `01a21226-0000-7000-9000-${String(++seq).padStart(12, '0')}`,
  profileId: P,
  type,
  severity,
  at: NOW,
  journeyInstanceId: null,
  summary: 'three failures',
  eventIds: ['e1'],
  segmentIds: [],
  ...over,
});
const fired = (rules: AlertRuleSpec[], signals: SignalFacts[], states = new Map<string, RuleState>(), raised = new Set<string>()) =>
  evaluateSignals(rules, signals, states, raised, NOW).firings.map((f) => f.triggerId);

describe('evaluateTriggers with describeSignalFiring', () => {
  it.each([
    ['fires at exactly the least severity', signal('retry_loop', 0.5), true],
    ['fires above it', signal('retry_loop', 1), true],
    ['ignores a milder signal', signal('retry_loop', 0.49), false],
    ['ignores another type', signal('rage_click', 1), false],
  ])('%s', (_name, s, fires) => {
    expect(fired([rule()], [s])).toEqual(fires ? [s.signalId] : []);
  });

  it('ignores risk-crossing rules', () => {
    expect(fired([rule({ trigger: { type: 'risk_crossing', kind: null, bucket: 'high' } })], [signal('retry_loop', 1)])).toEqual([]);
  });

  it('raises nothing and moves nothing for a signal already alerted on (a replay)', () => {
    const s = signal('retry_loop', 1);
    const plan = evaluateSignals([rule({ cooldownSeconds: 60 })], [s], new Map(), new Set([signalSourceKey('rule-1', s.signalId)]), NOW);
    expect(plan).toEqual({ firings: [], states: [] });
  });

  it('keeps the cool-down within a batch and against the stored state', () => {
    const [a, b] = [signal('retry_loop', 1), signal('retry_loop', 1)];
    expect(fired([rule({ cooldownSeconds: 60 })], [a, b])).toEqual([a.signalId]);
    const recent = new Map([[stateKey('rule-1', P), { ruleId: 'rule-1', profileId: P, active: false, lastTriggerId: 'x', lastFiredAt: new Date(NOW.getTime() - 59_000) }]]);
    expect(fired([rule({ cooldownSeconds: 60 })], [a], recent)).toEqual([]);
    const old = new Map([[stateKey('rule-1', P), { ...recent.get(stateKey('rule-1', P))!, lastFiredAt: new Date(NOW.getTime() - 60_000) }]]);
    expect(fired([rule({ cooldownSeconds: 60 })], [a], old)).toEqual([a.signalId]);
  });

  it('tests segment conditions against the profile’s segments, and never meets a CLV condition', () => {
    const inside = signal('retry_loop', 1, { segmentIds: ['seg'] });
    expect(fired([rule({ conditions: { segmentIds: ['seg'] } })], [inside, signal('retry_loop', 1, { profileId: 'other' })])).toEqual([inside.signalId]);
    expect(fired([rule({ conditions: { clvAbove: 0 } })], [inside])).toEqual([]);
  });

  it('builds the alert from the signal: type, key, and the signal with its events as evidence', () => {
    const s = signal('retry_loop', 0.75);
    const [firing] = evaluateSignals([rule()], [s], new Map(), new Set(), NOW).firings;
    expect(firing).toMatchObject({
      profileId: P,
      triggerId: s.signalId,
      score: 75,
      type: 'signal_retry_loop',
      sourceKey: `rule-1-signal-${s.signalId}`,
      message: 'Stuck: retry_loop friction (severity 0.75): three failures',
      reasons: [{ factor: 'signal:retry_loop', contribution: 0.75, description: 'three failures', evidence: [s.signalId, 'e1'] }],
    });
  });
});
