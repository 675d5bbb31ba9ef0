import fc from 'fast-check';

import { advanceRun, startRun, type Advance, type RunFacts, type RunInput, type RunState } from '../../../../subgraphs/actions/domain/playbook-run';
import type { PlaybookDefinition } from '../../../../subgraphs/actions/domain/playbook';
import { validatePlaybook, type PlaybookDraft } from '../../../../subgraphs/actions/domain/validate-playbook';
import { CHURN_PLAYBOOK } from './playbook-fixtures';

const definitionOf = (draft: PlaybookDraft): PlaybookDefinition => {
  const { playbook, problems } = validatePlaybook(draft);
  if (!playbook) throw new Error(JSON.stringify(problems));
  return playbook.definition;
};
const churn = definitionOf(CHURN_PLAYBOOK);
const facts: RunFacts = { profile: { id: 'p1', traits: { firstName: 'Ann', timezone: 'Europe/Paris', plan: 'pro' } }, risk: { bucket: 'high', score: 80 }, alert: {} };
const T0 = new Date('2026-03-10T08:00:00Z');
const hours = (h: number) => new Date(T0.getTime() + h * 3600_000);

/** Feeds inputs to a run, each at its time; an input `'due'` runs the scheduled step with `outcome`. */
type Feed = { at: number; input: 'due' | RunInput; outcome?: 'sent' | 'skipped' | 'failed' | 'created' };
function play(def: PlaybookDefinition, feed: Feed[]): Advance {
  let last = startRun(def, facts, T0);
  for (const f of feed) {
    const input: RunInput = f.input === 'due' ? { type: 'stepRan', stepId: last.schedule!.stepId, visit: last.schedule!.visit, outcome: f.outcome } : f.input;
    const next = advanceRun(def, last.state, input, facts, hours(f.at));
    if (!next.accepted) throw new Error(`input ${JSON.stringify(input)} not accepted at ${JSON.stringify(last.state)}`);
    last = next.schedule || !LIVE(next.state) ? next : { ...next, schedule: last.schedule };
  }
  return last;
}
const LIVE = (s: RunState) => s.status === 'active' || s.status === 'waiting';
const opened = (at: number): Feed => ({ at, input: { type: 'event', name: 'Email Opened', properties: { step: 'email' }, occurredAt: hours(at) } });

describe('advanceRun', () => {
  it.each<[string, Feed[], Partial<RunState>, string[]]>([
    ['opened: email, then the event ends the run', [{ at: 0, input: 'due', outcome: 'sent' }, opened(3)], { status: 'completed', stepId: 'done' }, ['email:sent', 'opened:event', 'done:exited']],
    [
      'never opened: email, 24 h, SMS, 72 h, a task',
      [{ at: 0, input: 'due', outcome: 'sent' }, { at: 24, input: 'due' }, { at: 24, input: 'due', outcome: 'sent' }, { at: 96, input: 'due' }, { at: 96, input: 'due', outcome: 'created' }],
      { status: 'completed', stepId: 'task' },
      ['email:sent', 'opened:timeout', 'sms:sent', 'engaged:timeout', 'task:created'],
    ],
    [
      'SMS dead-lettered: the failure branch creates the task',
      [{ at: 0, input: 'due', outcome: 'sent' }, { at: 24, input: 'due' }, { at: 25, input: 'due', outcome: 'failed' }, { at: 25, input: 'due', outcome: 'created' }],
      { status: 'completed' },
      ['email:sent', 'opened:timeout', 'sms:failed', 'task:created'],
    ],
    ['cancelled during a wait', [{ at: 0, input: 'due', outcome: 'sent' }, { at: 2, input: { type: 'end', status: 'cancelled', reason: 'risk_low' } }], { status: 'cancelled', endReason: 'risk_low', nextDueAt: null }, ['email:sent']],
  ])('%s', (_name, feed, expected, steps) => {
    const end = play(churn, feed);
    expect(end.state).toMatchObject(expected);
    expect(end.state.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(steps);
  });

  it('waits for the event 24 h, with its own visit', () => {
    const afterEmail = play(churn, [{ at: 0, input: 'due', outcome: 'sent' }]);
    expect(afterEmail.state).toMatchObject({ status: 'waiting', stepId: 'opened', visit: 2, waitingFor: { event: 'Email Opened' } });
    expect(afterEmail.schedule).toEqual({ stepId: 'opened', visit: 2, dueAt: hours(24) });
  });

  it.each<[string, RunInput]>([
    ['an event of another name', { type: 'event', name: 'Email Clicked', properties: { step: 'email' }, occurredAt: hours(1) }],
    ['an event whose property differs', { type: 'event', name: 'Email Opened', properties: { step: 'other' }, occurredAt: hours(1) }],
    ['an event from before the wait began', { type: 'event', name: 'Email Opened', properties: { step: 'email' }, occurredAt: hours(-1) }],
    ['a stale visit', { type: 'stepRan', stepId: 'email', visit: 1, outcome: 'sent' }],
    ['the timeout before it is due', { type: 'stepRan', stepId: 'opened', visit: 2 }],
  ])('ignores %s', (_name, input) => {
    const waiting = play(churn, [{ at: 0, input: 'due', outcome: 'sent' }]).state;
    expect(advanceRun(churn, waiting, input, facts, hours(1))).toEqual({ state: waiting, schedule: null, accepted: false });
  });

  it('branches on traits, risk and what happened so far', () => {
    const def = definitionOf({
      name: 'b',
      steps: [
        { id: 'mail', type: 'send', channel: 'email', body: 'x', next: 'pick', onFailure: 'pick' },
        {
          id: 'pick',
          type: 'branch',
          arms: [
            { when: [{ field: 'steps.mail', op: 'eq', value: 'failed' }], next: 'call' },
            { when: [{ field: 'risk.bucket', op: 'eq', value: 'high' }, { field: 'profile.traits.plan', op: 'in', value: ['pro', 'max'] }], next: 'vip' },
          ],
          otherwise: null,
        },
        { id: 'call', type: 'exit' },
        { id: 'vip', type: 'exit' },
      ],
    });
    expect(play(def, [{ at: 0, input: 'due', outcome: 'sent' }, { at: 0, input: 'due' }]).state.stepId).toBe('vip');
    expect(play(def, [{ at: 0, input: 'due', outcome: 'failed' }, { at: 0, input: 'due' }]).state.stepId).toBe('call');
  });

  it('waits until 09:00 in the customer’s time zone', () => {
    const def = definitionOf({ name: 'w', steps: [{ id: 'morning', type: 'wait', untilLocalTime: '09:00', next: null }] });
    const start = startRun(def, facts, new Date('2026-03-10T10:00:00Z'));
    expect(start.schedule?.dueAt.toISOString()).toBe('2026-03-11T08:00:00.000Z');
  });

  it('fails a run that loops for ever', () => {
    const def = definitionOf({ name: 'loop', steps: [{ id: 'a', type: 'branch', arms: [{ when: [{ field: 'risk.bucket', op: 'exists' }], next: 'a' }], otherwise: null }] });
    let adv = startRun(def, facts, T0);
    while (adv.schedule) adv = advanceRun(def, adv.state, { type: 'stepRan', stepId: adv.schedule.stepId, visit: adv.schedule.visit }, facts, T0);
    expect(adv.state).toMatchObject({ status: 'failed', endReason: expect.stringContaining('loop') });
  });

  /** A random stream of inputs: due steps with random outcomes, random events, random clock moves, replays. */
  const inputArb = fc.record({
    kind: fc.constantFrom('due', 'due', 'due', 'replay', 'event', 'end'),
    outcome: fc.constantFrom('sent', 'skipped', 'failed'),
    eventName: fc.constantFrom('Email Opened', 'Offer Viewed', 'Other'),
    advanceMs: fc.integer({ min: 0, max: 100 * 3600_000 }),
  });
  it('never runs a (step, visit) twice, schedules waits in the future and only moves forward (property)', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 40 }), (inputs) => {
        let now = T0;
        let adv = startRun(churn, facts, now);
        let scheduled = adv.schedule;
        const done = new Set<string>();
        let previous: Advance['schedule'] = null;
        for (const i of inputs) {
          now = new Date(now.getTime() + i.advanceMs);
          let input: RunInput;
          if (i.kind === 'event') input = { type: 'event', name: i.eventName, properties: { step: 'email' }, occurredAt: now };
          else if (i.kind === 'end') input = { type: 'end', status: 'cancelled', reason: 'test' };
          else {
            const target = i.kind === 'replay' ? previous : scheduled;
            if (!target) continue;
            if (now < target.dueAt) now = target.dueAt;
            input = { type: 'stepRan', stepId: target.stepId, visit: target.visit, outcome: i.outcome as 'sent' };
          }
          const before = adv.state;
          const next = advanceRun(churn, before, input, facts, now);
          if (input.type === 'stepRan' && next.accepted) {
            const key = `${input.stepId}:${input.visit}`;
            expect(done.has(key)).toBe(false);
            done.add(key);
          }
          if (next.schedule) {
            expect(next.schedule.visit).toBeGreaterThan(before.visit);
            expect(next.schedule.dueAt.getTime()).toBeGreaterThanOrEqual(now.getTime());
            const step = churn.steps.find((s) => s.id === next.schedule!.stepId)!;
            if (step.type === 'wait' || step.type === 'waitForEvent') expect(next.schedule.dueAt.getTime()).toBeGreaterThan(now.getTime());
            previous = scheduled;
            scheduled = next.schedule;
          }
          if (!next.accepted) expect(next.state).toBe(before);
          expect(next.state.visit).toBeGreaterThanOrEqual(before.visit);
          adv = next;
        }
      }),
      { numRuns: 500 },
    );
  });
});
