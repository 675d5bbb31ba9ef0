import { advanceRun, startRun, type RunFacts } from '../../../../subgraphs/actions/domain/playbook-run';
import { validatePlaybook, type PlaybookDraft, type PlaybookStepDraft } from '../../../../subgraphs/actions/domain/validate-playbook';

const EXPERIMENT: PlaybookStepDraft = {
  id: 'offer',
  type: 'experiment',
  key: 'offer_test',
  name: 'Offer test',
  control: { next: null },
  variants: [
    { name: 'discount', weight: 2, next: 'send_discount' },
    { name: 'call', next: 'send_call' },
  ],
  goal: { event: 'Order Completed', where: [{ property: 'channel', equals: 'app' }], windowSeconds: 7 * 86400 },
  autoWinner: { minSamplePerArm: 200 },
};
const draft = (over: Partial<PlaybookStepDraft> = {}): PlaybookDraft => ({
  name: 'Experiment',
  steps: [
    { ...EXPERIMENT, ...over },
    { id: 'send_discount', type: 'send', channel: 'email', body: '10 % off', next: null },
    { id: 'send_call', type: 'send', channel: 'email', body: 'Call us', next: null },
  ],
});
const fieldsOf = (d: PlaybookDraft) => validatePlaybook(d).problems.map((p) => `${p.field}: ${p.message}`);

describe('validatePlaybook (experiment step)', () => {
  it('normalises an experiment step: default weights and autoWinner settings filled in', () => {
    const { playbook } = validatePlaybook(draft());
    expect(playbook!.definition.steps[0]).toEqual({
      id: 'offer',
      type: 'experiment',
      key: 'offer_test',
      name: 'Offer test',
      control: { weight: 1, next: null },
      variants: [
        { name: 'discount', weight: 2, next: 'send_discount' },
        { name: 'call', weight: 1, next: 'send_call' },
      ],
      goal: { event: 'Order Completed', where: [{ property: 'channel', equals: 'app' }], windowSeconds: 604800 },
      autoWinner: { minSamplePerArm: 200, alpha: 0.05, mixingSd: 0.02 },
    });
  });

  it.each([
    ['one variant', { variants: [{ name: 'a', next: null }] }, 'steps[0].variants: must have 2–4 variants (besides control)'],
    ['five variants', { variants: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, next: null })) }, 'steps[0].variants: must have 2–4 variants'],
    ['a variant named control', { variants: [{ name: 'control', next: null }, { name: 'b', next: null }] }, 'steps[0].variants[0].name: must be 1–32 characters'],
    ['a duplicate variant', { variants: [{ name: 'a', next: null }, { name: 'a', next: null }] }, 'steps[0].variants[1].name: duplicates variant a'],
    ['a zero weight', { control: { weight: 0, next: null } }, 'steps[0].control.weight: must be a number above 0'],
    ['a dangling variant target', { variants: [{ name: 'a', next: 'nowhere' }, { name: 'b', next: null }] }, 'steps[0].variants[0].next: refers to a step that does not exist: nowhere'],
    ['a dangling control target', { control: { next: 'gone' } }, 'steps[0].control.next: refers to a step that does not exist: gone'],
    ['no goal', { goal: null }, 'steps[0].goal: is required'],
    ['a goal without window', { goal: { event: 'Order Completed' } }, 'steps[0].goal.windowSeconds: must be a positive duration'],
    ['a goal condition without property', { goal: { event: 'x', where: [{ property: '', equals: 1 }], windowSeconds: 60 } }, 'steps[0].goal.where[0].property: must be a property name'],
    ['a bad key', { key: 'Offer Test' }, 'steps[0].key: must be 1–64 characters of a-z, 0-9 and _'],
    ['a tiny minimum sample', { autoWinner: { minSamplePerArm: 5 } }, 'steps[0].autoWinner.minSamplePerArm: must be a whole number from 30 to 1000000'],
    ['a large alpha', { autoWinner: { alpha: 0.5 } }, 'steps[0].autoWinner.alpha: must be a number above 0 and at most 0.2'],
  ])('rejects %s, naming the field', (_name, over, message) => {
    expect(fieldsOf(draft(over as Partial<PlaybookStepDraft>))).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('rejects two experiments with the same key', () => {
    const d = draft();
    d.steps.push({ ...EXPERIMENT, id: 'again', variants: [{ name: 'a', next: null }, { name: 'b', next: null }] });
    expect(fieldsOf(d)).toContain('steps[3].key: duplicates experiment offer_test');
  });
});

describe('advanceRun (experiment step)', () => {
  const def = validatePlaybook(draft()).playbook!.definition;
  const facts: RunFacts = { profile: { id: 'p1', traits: {} }, risk: {}, alert: {} };
  const t0 = new Date('2026-03-10T08:00:00Z');

  it.each([
    ['discount', 'send_discount', 'active'],
    ['call', 'send_call', 'active'],
    ['control', null, 'completed'],
  ])('routes the arm %s to its step (%s)', (arm, stepId, status) => {
    const start = startRun(def, facts, t0);
    expect(start.schedule).toMatchObject({ stepId: 'offer', visit: 1 });
    const next = advanceRun(def, start.state, { type: 'stepRan', stepId: 'offer', visit: 1, arm }, facts, t0);
    expect(next.state.status).toBe(status);
    expect(next.schedule?.stepId ?? null).toBe(stepId);
    expect(next.state.history.at(-1)).toMatchObject({ stepId: 'offer', outcome: 'assigned' });
  });

  it('refuses an arm the step does not have', () => {
    const start = startRun(def, facts, t0);
    expect(() => advanceRun(def, start.state, { type: 'stepRan', stepId: 'offer', visit: 1, arm: 'other' }, facts, t0)).toThrow('needs the arm control or a variant');
  });
});
