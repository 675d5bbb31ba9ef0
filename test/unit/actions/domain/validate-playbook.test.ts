import { validatePlaybook, type PlaybookDraft } from '../../../../subgraphs/actions/domain/validate-playbook';
import { CHURN_PLAYBOOK } from './playbook-fixtures';

const withStep = (i: number, over: object): PlaybookDraft => ({ ...CHURN_PLAYBOOK, steps: CHURN_PLAYBOOK.steps.map((s, j) => (j === i ? { ...s, ...over } : s)) });
const fieldsOf = (draft: PlaybookDraft) => validatePlaybook(draft).problems.map((p) => `${p.field}: ${p.message}`);

describe('validatePlaybook', () => {
  it('accepts the standard churn playbook, starting at its first step', () => {
    const { playbook } = validatePlaybook(CHURN_PLAYBOOK);
    expect(playbook?.definition.entry).toBe('email');
    expect(playbook?.definition.steps).toHaveLength(6);
    expect(playbook?.definition.exitWhen.riskLow).toBe(true);
  });

  it.each([
    ['a zero timeout', withStep(1, { timeoutSeconds: 0 }), 'steps[1].timeoutSeconds: must be a positive duration'],
    ['a negative wait', { ...CHURN_PLAYBOOK, steps: [{ id: 'w', type: 'wait', seconds: -5, next: null }] }, 'steps[0].seconds: must be a positive duration'],
    ['a dangling next', withStep(0, { next: 'nowhere' }), 'steps[0].next: refers to a step that does not exist: nowhere'],
    ['a dangling onTimeout', withStep(3, { onTimeout: 'gone' }), 'steps[3].onTimeout: refers to a step that does not exist: gone'],
    ['a duplicate id', withStep(1, { id: 'email' }), 'steps[1].id: duplicates step email'],
    ['an unknown type', withStep(2, { type: 'fax' }), 'steps[2].type: must be one of'],
    ['an unknown template variable', withStep(0, { subject: 'Hi {{user.name}}' }), 'steps[0].subject: unknown variable {{user.name}}'],
    ['a bad priority', withStep(4, { priority: 'asap' }), 'steps[4].priority: must be one of'],
    ['a bad local time', { ...CHURN_PLAYBOOK, steps: [{ id: 'w', type: 'wait', untilLocalTime: '25:00', next: null }] }, 'steps[0].untilLocalTime: must be a time of day'],
    ['a bad time zone', { ...CHURN_PLAYBOOK, steps: [{ id: 'w', type: 'wait', untilLocalTime: '09:00', fallbackTimezone: 'Mars/Olympus', next: null }] }, 'steps[0].fallbackTimezone: must be an IANA time zone'],
    ['a branch condition outside the facts', { ...CHURN_PLAYBOOK, steps: [{ id: 'b', type: 'branch', arms: [{ when: [{ field: 'env.HOME', op: 'exists' }], next: null }], otherwise: null }] }, 'steps[0].arms[0].when[0].field: must start with'],
    ['an unknown entry', { ...CHURN_PLAYBOOK, entry: 'nope' }, 'entry: no step has the id nope'],
    ['no steps', { ...CHURN_PLAYBOOK, steps: [] }, 'steps: must have 1–50 steps'],
  ])('rejects %s, naming the field', (_name, draft, expected) => {
    expect(fieldsOf(draft as PlaybookDraft).some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports every problem at once', () => {
    const draft = { ...CHURN_PLAYBOOK, name: '', steps: CHURN_PLAYBOOK.steps.map((s) => ({ ...s, timeoutSeconds: s.type === 'waitForEvent' ? 0 : s.timeoutSeconds })) };
    const fields = validatePlaybook(draft).problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'steps[1].timeoutSeconds', 'steps[3].timeoutSeconds']));
  });
});
