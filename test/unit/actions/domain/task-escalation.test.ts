import { escalationOf, raisePriority, type EscalatableTask } from '../../../../subgraphs/actions/domain/task-escalation';

const now = new Date('2026-03-10T12:00:00Z');
const task = (t: Partial<EscalatableTask>): EscalatableTask => ({ status: 'open', priority: 'normal', team: 'cs', dueAt: new Date('2026-03-10T11:00:00Z'), escalatedAt: null, escalationTeam: null, ...t });

describe('escalationOf', () => {
  it.each([
    ['escalates an open overdue task one priority up, keeping its team', task({}), { priority: 'high', team: 'cs' }],
    ['moves it to its escalation team', task({ priority: 'high', escalationTeam: 'cs-leads' }), { priority: 'urgent', team: 'cs-leads' }],
    ['escalates at the due time exactly', task({ dueAt: now }), { priority: 'high', team: 'cs' }],
    ['leaves a task not yet due', task({ dueAt: new Date(now.getTime() + 1) }), null],
    ['leaves a done task', task({ status: 'done' }), null],
    ['escalates only once', task({ escalatedAt: now }), null],
    ['leaves a task without a due time', task({ dueAt: null }), null],
  ])('%s', (_name, t, expected) => {
    expect(escalationOf(t, now)).toEqual(expected);
  });
});

describe('raisePriority', () => {
  it.each([
    ['low', 'normal'],
    ['normal', 'high'],
    ['high', 'urgent'],
    ['urgent', 'urgent'],
    ['weird', 'high'],
  ])('raises %s to %s', (from, to) => {
    expect(raisePriority(from)).toBe(to);
  });
});
