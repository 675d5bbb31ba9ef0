import type { AlertRuleSpec, AlertTrigger } from '../../../../subgraphs/actions/domain/alert-rule';
import { DEFAULT_ALERT_RULE } from '../../../../subgraphs/actions/domain/alert-rule';
import {
  coolingDown,
  evaluateRiskChanges,
  meetsConditions,
  stateKey,
  type RiskChangeFacts,
  type RuleState,
} from '../../../../subgraphs/actions/domain/evaluate-alert-rules';

const P = '01a21226-0000-7000-8000-000000000001';
const NOW = new Date('2026-12-01T12:00:00Z');

const rule = (trigger: AlertTrigger, over: Partial<AlertRuleSpec> = {}): AlertRuleSpec => ({
  id: 'rule-1',
  version: 1,
  name: 'Watch',
  severity: 'high',
  team: 'retention',
  cooldownSeconds: 0,
  trigger,
  conditions: {},
  builtIn: false,
  ...over,
});
const threshold = (t: number, direction: 'up' | 'down', hysteresis: number): AlertTrigger => ({ type: 'risk_crossing', kind: 'churn', threshold: t, direction, hysteresis });
const bucketOf = (score: number) => (score >= 75 ? 'high' : score >= 50 ? 'medium' : 'low');

/** Scores of one profile in order, each change carrying the one before as its previous score. */
function series(scores: number[], over: Partial<RiskChangeFacts> = {}): RiskChangeFacts[] {
  return scores.map((score, i) => ({
    profileId: P,
    scoreId: `s-${String(i).padStart(4, '0')}`,
    kind: 'churn',
    score,
    previousScore: i === 0 ? null : scores[i - 1],
    bucket: bucketOf(score),
    previousBucket: i === 0 ? null : bucketOf(scores[i - 1]),
    clv: 500,
    revenueAtRisk: 300,
    reasons: [],
    segmentIds: [],
    ...over,
  }));
}

/** Feeds the changes one batch at a time (state carried between batches), returning the score of each change that fired. */
function fire(r: AlertRuleSpec, changes: RiskChangeFacts[], now = NOW): number[] {
  let states = new Map<string, RuleState>();
  const fired: number[] = [];
  for (const change of changes) {
    const out = evaluateRiskChanges([r], [change], states, now);
    fired.push(...out.firings.map((f) => f.change.score));
    states = new Map([...states, ...out.states.map((s) => [stateKey(s.ruleId, s.profileId), s] as const)]);
  }
  return fired;
}

describe('evaluateRiskChanges', () => {
  it.each<[string, AlertTrigger, number[], number[]]>([
    ['fires once while a score hovers at the line, until it falls below threshold − margin', threshold(70, 'up', 5), [60, 71, 69, 70.5, 66, 72, 64, 71], [71, 71]],
    ['fires on every crossing without a margin', threshold(70, 'up', 0), [60, 71, 69, 71], [71, 71]],
    ['fires on a fall through the line, direction down', threshold(30, 'down', 5), [50, 29, 31, 28, 36, 30], [29, 30]],
    ['fires for a first score past the line (no previous score)', threshold(70, 'up', 5), [90], [90]],
    ['fires on entering a bucket, not on moving within it', { type: 'risk_crossing', kind: 'churn', bucket: 'high' }, [40, 80, 90, 60, 76], [80, 76]],
  ])('%s', (_name, trigger, scores, fired) => {
    expect(fire(rule(trigger), series(scores))).toEqual(fired);
  });

  it('stays quiet for a profile already past the line when first seen (its previous score was past it)', () => {
    expect(fire(rule(threshold(70, 'up', 5)), series([78, 80, 85, 60, 75]).slice(1))).toEqual([75]);
  });

  it('evaluates a batch with several changes of one profile in order, in one call', () => {
    const { firings, states } = evaluateRiskChanges([rule(threshold(70, 'up', 5))], series([60, 71, 69, 64, 72]), new Map(), NOW);
    expect(firings.map((f) => f.change.score)).toEqual([71, 72]);
    expect(states).toEqual([{ ruleId: 'rule-1', profileId: P, active: true, lastTriggerId: 's-0004', lastFiredAt: NOW }]);
  });

  it('skips scores it has seen already, so a replayed batch changes no state and fires nothing', () => {
    const r = rule(threshold(70, 'up', 5));
    const changes = series([60, 80]);
    const first = evaluateRiskChanges([r], changes, new Map(), NOW);
    const states = new Map(first.states.map((s) => [stateKey(s.ruleId, s.profileId), s]));
    expect(first.firings).toHaveLength(1);
    const replay = evaluateRiskChanges([r], changes, states, NOW);
    expect(replay).toEqual({ firings: [], states: [] });
  });

  it('fires a bucket entry that arrives after a newer score (its job ran late), once, and leaves the newer state', () => {
    const r = rule({ type: 'risk_crossing', kind: 'churn', bucket: 'high' });
    // 60 → 80 enters High; 80 → 85 stays in it. The second job runs first (the first one's worker died)
    const [entry, stay] = series([60, 80, 85]).slice(1);
    const early = evaluateRiskChanges([r], [stay], new Map(), NOW);
    expect(early.firings).toEqual([]);
    const states = new Map(early.states.map((s) => [stateKey(s.ruleId, s.profileId), s]));
    const late = evaluateRiskChanges([r], [entry], states, NOW);
    expect(late.firings.map((f) => f.change.scoreId)).toEqual([entry.scoreId]);
    expect(late.states).toEqual([]);
    // the same sent again (a replay) fires the same alert, which its key (rule + score) stores once
    expect(evaluateRiskChanges([r], [entry], states, NOW).firings.map((f) => f.sourceKey)).toEqual(late.firings.map((f) => f.sourceKey));
  });

  it('skips a late threshold crossing: its side depends on the scores before it (hysteresis)', () => {
    const r = rule(threshold(70, 'up', 5));
    // 60 → 71 fires, 71 → 69 stays on (hysteresis), 69 → 72 must not fire again, even when evaluated late
    const changes = series([60, 71, 69, 72]);
    const first = evaluateRiskChanges([r], changes, new Map(), NOW);
    expect(first.firings.map((f) => f.change.score)).toEqual([71]);
    const states = new Map(first.states.map((s) => [stateKey(s.ruleId, s.profileId), s]));
    expect(evaluateRiskChanges([r], [changes[3]], states, NOW)).toEqual({ firings: [], states: [] });
  });

  it('honours the cool-down per profile: a crossing inside it raises nothing, one after it does', () => {
    const r = rule({ type: 'risk_crossing', kind: 'churn', bucket: 'high' }, { cooldownSeconds: 3600 });
    const [a, b, c, d] = series([80, 60, 80, 60]);
    const e = { ...series([60, 80])[1], scoreId: 's-0009' };
    let states = new Map<string, RuleState>();
    const step = (change: RiskChangeFacts, now: Date) => {
      const out = evaluateRiskChanges([r], [change], states, now);
      states = new Map([...states, ...out.states.map((s) => [stateKey(s.ruleId, s.profileId), s] as const)]);
      return out.firings.length;
    };
    expect(step(a, NOW)).toBe(1);
    expect(step(b, new Date(NOW.getTime() + 60_000))).toBe(0);
    expect(step(c, new Date(NOW.getTime() + 120_000))).toBe(0); // entered again inside the hour
    expect(step(d, new Date(NOW.getTime() + 180_000))).toBe(0);
    expect(step(e, new Date(NOW.getTime() + 3_600_000))).toBe(1);
  });

  it('keeps cool-downs per profile', () => {
    const r = rule({ type: 'risk_crossing', kind: 'churn', bucket: 'high' }, { cooldownSeconds: 3600 });
    const other = '01a21226-0000-7000-8000-000000000002';
    const changes = [...series([80]), ...series([80], { profileId: other, scoreId: 's-1000' })];
    expect(evaluateRiskChanges([r], changes, new Map(), NOW).firings.map((f) => f.change.profileId)).toEqual([P, other]);
  });

  it('matches the score kind; the built-in rule matches every kind and keeps the old alert text and key', () => {
    const churnOnly = rule({ type: 'risk_crossing', kind: 'churn', bucket: 'high' });
    const dropOff = series([80], { kind: 'drop_off' });
    expect(evaluateRiskChanges([churnOnly], dropOff, new Map(), NOW).firings).toHaveLength(0);
    const builtIn = { ...DEFAULT_ALERT_RULE, id: 'default', version: 1 };
    const [firing] = evaluateRiskChanges([builtIn], series([40, 82]), new Map(), NOW).firings;
    expect(firing).toMatchObject({ type: 'risk_high', sourceKey: 'risk-s-0001', message: 'Churn risk rose to 82/100 (low → high).' });
    expect(evaluateRiskChanges([builtIn], series([80], { kind: null }), new Map(), NOW).firings).toHaveLength(1);
  });

  it('names the rule and keys the alert on rule and score', () => {
    const [firing] = evaluateRiskChanges([rule(threshold(70, 'up', 5), { name: 'Churn over 70' })], series([60, 72.4]), new Map(), NOW).firings;
    expect(firing).toMatchObject({ type: 'risk_threshold', sourceKey: 'rule-1-risk-s-0001', message: 'Churn over 70: churn risk rose to 72/100 (from 60; threshold 70).' });
  });

  it('moves the state when a condition fails, so the rule waits for the next real crossing', () => {
    const r = rule(threshold(70, 'up', 5), { conditions: { clvAbove: 1000 } });
    const changes = series([60, 75, 80], { clv: 200 });
    changes[2] = { ...changes[2], clv: 5000 };
    expect(fire(r, changes)).toEqual([]);
  });
});

describe('meetsConditions', () => {
  const facts = { clv: 800, revenueAtRisk: 400, segmentIds: ['seg-a'] };
  it.each<[string, Parameters<typeof meetsConditions>[0], Partial<typeof facts>, boolean]>([
    ['passes with no conditions', {}, {}, true],
    ['passes revenue at risk above the line', { revenueAtRiskAbove: 300 }, {}, true],
    ['fails revenue at risk at the line (strictly above)', { revenueAtRiskAbove: 400 }, {}, false],
    ['fails a missing revenue at risk', { revenueAtRiskAbove: 0 }, { revenueAtRisk: null as never }, false],
    ['passes CLV above the line', { clvAbove: 500 }, {}, true],
    ['fails CLV below the line', { clvAbove: 900 }, {}, false],
    ['fails a missing CLV', { clvAbove: 0 }, { clv: null as never }, false],
    ['passes membership of one of the segments', { segmentIds: ['seg-b', 'seg-a'] }, {}, true],
    ['fails outside the segments', { segmentIds: ['seg-b'] }, {}, false],
    ['needs every condition', { clvAbove: 500, segmentIds: ['seg-b'] }, {}, false],
  ])('%s', (_name, conditions, over, ok) => {
    expect(meetsConditions(conditions, { ...facts, ...over })).toBe(ok);
  });
});

describe('coolingDown', () => {
  it.each<[string, number, number | null, boolean]>([
    ['never with no cool-down', 0, 1, false],
    ['never before a first alert', 60, null, false],
    ['inside the window', 60, 59_999, true],
    ['not once the window has passed', 60, 60_000, false],
  ])('%s', (_name, cooldownSeconds, msSinceLast, cooling) => {
    const state = { lastFiredAt: msSinceLast === null ? null : new Date(NOW.getTime() - msSinceLast) };
    expect(coolingDown({ cooldownSeconds }, state, NOW)).toBe(cooling);
  });
});
