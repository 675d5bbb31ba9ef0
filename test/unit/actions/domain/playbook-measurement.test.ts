import { createHash } from 'node:crypto';

import { matchObservations, type OpenAssignment } from '../../../../subgraphs/actions/domain/match-observations';
import { planAssignments, assignmentKey } from '../../../../subgraphs/actions/domain/plan-assignments';
import { validateMeasurement } from '../../../../subgraphs/actions/domain/playbook-measurement';

const sha256 = (m: string) => createHash('sha256').update(m).digest();
const settings = { salt: 's3cret', globalControlFraction: 0.05, globalControlPeriodDays: 30 };
const now = new Date('2026-03-10T08:00:00Z');

describe('validateMeasurement', () => {
  it.each([
    ['a holdout above 0.5', { holdoutFraction: 0.8 }, 'holdoutFraction'],
    ['a zero window', { outcome: { kind: 'churned', event: 'Account Closed', windowDays: 0 } }, 'outcome.windowDays'],
    ['an unknown kind', { outcome: { kind: 'happy', event: 'X', windowDays: 7 } }, 'outcome.kind'],
    ['a revenue outcome without its property', { outcome: { kind: 'REVENUE', event: 'Order Completed', windowDays: 7 } }, 'outcome.revenueProperty'],
    ['an empty guardrail', { guardrails: ['Unsubscribed', ' '] }, 'guardrails[1]'],
  ])('rejects %s, naming the field', (_name, draft, field) => {
    expect(validateMeasurement(draft).problems.map((p) => p.field)).toContain(field);
  });

  it('fills in the defaults', () => {
    expect(validateMeasurement({})).toEqual({ measurement: { holdoutFraction: 0.1, outcome: { kind: 'churned', event: 'Account Closed', windowDays: 30, revenueProperty: null }, guardrails: ['Unsubscribed', 'Complaint', 'Opted Out', 'Message Complained'] }, problems: [] });
  });
});

describe('planAssignments', () => {
  const pairs = Array.from({ length: 4000 }, (_, i) => ({ playbookId: 'pb', profileId: `p${i}`, holdoutFraction: 0.2 }));

  it('draws the global control first, then the holdout, deterministically', () => {
    const arms = [...planAssignments(sha256, 't', settings, pairs, new Map(), now).values()];
    const share = (arm: string) => arms.filter((a) => a === arm).length / arms.length;
    expect(share('global_control')).toBeGreaterThan(0.035);
    expect(share('global_control')).toBeLessThan(0.065);
    expect(share('control')).toBeGreaterThan(0.95 * 0.2 - 0.025);
    expect(share('control')).toBeLessThan(0.95 * 0.2 + 0.025);
    expect([...planAssignments(sha256, 't', settings, pairs, new Map(), now).values()]).toEqual(arms);
  });

  it('keeps a logged arm even when the holdout changed since', () => {
    const logged = new Map([[assignmentKey('pb', 'p1'), 'control' as const]]);
    const arms = planAssignments(sha256, 't', { ...settings, globalControlFraction: 0 }, [{ playbookId: 'pb', profileId: 'p1', holdoutFraction: 0 }], logged, now);
    expect(arms.get(assignmentKey('pb', 'p1'))).toBe('control');
  });
});

describe('matchObservations', () => {
  const assignment: OpenAssignment = { id: 'a1', playbookId: 'pb', profileId: 'p1', arm: 'treatment', assignedAt: now, outcomeKind: 'revenue', outcomeEvent: 'Order Completed', revenueProperty: 'revenue', windowEndsAt: new Date(now.getTime() + 86_400_000), guardrails: ['Unsubscribed'] };
  const at = (ms: number) => new Date(now.getTime() + ms);

  it.each([
    ['counts the outcome in the window with its amount', { name: 'Order Completed', properties: { revenue: '12.5' }, occurredAt: at(1000) }, [['outcome', 12.5]]],
    ['counts a guardrail event', { name: 'Unsubscribed', properties: {}, occurredAt: at(1000) }, [['guardrail', null]]],
    ['ignores an event before assignment', { name: 'Order Completed', properties: {}, occurredAt: at(-1) }, []],
    ['ignores an event at the end of the window', { name: 'Order Completed', properties: {}, occurredAt: at(86_400_000) }, []],
    ['ignores other events', { name: 'Page Viewed', properties: {}, occurredAt: at(1000) }, []],
  ])('%s', (_name, event, expected) => {
    const found = matchObservations([assignment], [{ eventId: 'e1', profileId: 'p1', ...event }]);
    expect(found.map((o) => [o.kind, o.value])).toEqual(expected);
  });
});
