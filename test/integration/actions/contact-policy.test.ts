import fc from 'fast-check';

import { createActionsSubgraph } from '../../../subgraphs/actions';
import type { ChannelAdapter, DeliveryResult, OutboundMessage } from '../../../subgraphs/actions/domain/channel';
import type { QuietHours } from '../../../subgraphs/actions/domain/contact-policy';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { ContactPolicyService } from '../../../subgraphs/actions/services/contact-policy.service';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { RunStepService } from '../../../subgraphs/actions/services/run-step.service';
import { PLAYBOOK_STEP, playbookStepJobId } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';

const MINUTE = 60_000;
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** The wall clock's minute of day, read with Intl (independent of the engine's arithmetic). */
function quietAt(at: Date, q: QuietHours, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const m = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
  const s = q.start.hour * 60 + q.start.minute;
  const e = q.end.hour * 60 + q.end.minute;
  return s < e ? m >= s && m < e : m >= s || m < e;
}

class Killed extends Error {}

/**
 * A provider that deduplicates on the idempotency key (as Standard Webhooks receivers and
 * Twilio-style APIs do) and records every call with the injected clock's time; `killNext` makes
 * the next call die before or after the provider took it (the worker "SIGKILLed").
 */
class KillableProvider implements ChannelAdapter {
  readonly kind = 'email' as const;
  readonly calls: { key: string; at: Date }[] = [];
  readonly delivered = new Set<string>();
  killNext: 'before' | 'after' | null = null;
  constructor(private readonly now: () => Date) {}

  send(message: OutboundMessage): Promise<DeliveryResult> {
    const kill = this.killNext;
    this.killNext = null;
    if (kill === 'before') return Promise.reject(new Killed('killed before the provider call'));
    this.calls.push({ key: message.idempotencyKey, at: this.now() });
    this.delivered.add(message.idempotencyKey);
    if (kill === 'after') return Promise.reject(new Killed('killed after the provider answered'));
    return Promise.resolve({ ok: true, providerId: `p-${this.calls.length}` });
  }
}

describe('contact policies in the action queue', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  const provider = new FakeChannelProvider();
  let clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email', sms: 'sms' }),
    traits: { traitsOf: (_t, id) => Promise.resolve({ email: `ann${id.slice(-2)}@example.com`, phone: '+33600000000', timezone: id.endsWith('1') ? 'America/New_York' : undefined }) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    await provider.start();
    env = await createTestEnv();
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
    await provider.stop();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const runOf = (tenantId: string, id: string) => em(tenantId).findOne(PlaybookRun, { id }, { disableIdentityMap: true });
  const queue = () => actions.deps.queues.get(PLAYBOOK_STEP);
  const policies = (tenantId: string) => new ContactPolicyService(em(tenantId), tenantId, () => clock);
  const enrol = (tenantId: string, playbookId: string, profileId: string) => new PlaybookRunService(em(tenantId), tenantId, () => clock).enrolOne(queue(), playbookId, profileId, 'test');

  it('defers a send inside quiet hours (customer’s zone) to the end of the window, through the real worker and a reconciler-proof due time', async () => {
    await policies('q1').set({ channel: 'email', quietHoursStart: '21:00', quietHoursEnd: '08:00', timezone: 'Europe/London' });
    const playbook = await createTreatingEveryone(em('q1'), 'q1', { name: 'Hello', steps: [{ id: 'email', type: 'send', channel: 'email', body: 'Hi', next: null }] });
    // 08:00 UTC is 04:00 in New York (EDT since March 8): quiet until 08:00 EDT = 12:00 UTC
    const run = await enrol('q1', playbook.playbookId, profile(11));
    await waitFor(async () => (await runOf('q1', run.id))?.nextDueAt?.toISOString() === '2026-03-10T12:00:00.000Z');
    const job = await queue().getJob(playbookStepJobId({ runId: run.id, stepId: 'email', visit: 1 }));
    await waitFor(async () => (await job!.getState()) === 'delayed');
    expect(provider.of('email', `run:${run.id}:step:email:1`)).toHaveLength(0);
    expect(await em('q1').find(StepDelivery, { runId: run.id })).toHaveLength(0);

    clock = new Date('2026-03-10T12:00:00Z');
    await job!.promote();
    await waitFor(async () => (await runOf('q1', run.id))?.status === 'completed');
    expect(provider.of('email', `run:${run.id}:step:email:1`)).toHaveLength(1);
    expect(await em('q1').find(StepDelivery, { runId: run.id })).toMatchObject([{ status: 'sent' }]);
    // the tenant's zone applies to a customer without one: 12:00 UTC is 12:00 in London, not quiet
    expect((await policies('q1').list()).map((p) => [p.channel, p.quietStart, p.quietEnd, p.timezone])).toEqual([['email', '21:00', '08:00', 'Europe/London']]);
    // another tenant has no policy
    expect(await policies('q2').list()).toHaveLength(0);
  });

  it('skips a send over the frequency cap with the reason in the ledger, and the run goes on', async () => {
    clock = new Date('2026-03-11T12:00:00Z');
    await policies('q3').set({ channel: 'sms', capCount: 2, capWindowSeconds: 7 * 24 * 3600 });
    const runs: PlaybookRun[] = [];
    for (const name of ['A', 'B', 'C']) {
      const p = await createTreatingEveryone(em('q3'), 'q3', { name, steps: [{ id: 'sms', type: 'send', channel: 'sms', body: name, next: 'done' }, { id: 'done', type: 'exit' }] });
      runs.push(await enrol('q3', p.playbookId, profile(30)));
      await waitFor(async () => (await runOf('q3', runs[runs.length - 1].id))?.status === 'completed');
    }
    const ledger = await em('q3').find(StepDelivery, { profileId: profile(30) }, { orderBy: { id: 'asc' } });
    expect(ledger.map((r) => [r.status, r.error])).toEqual([
      ['sent', null],
      ['sent', null],
      ['skipped', 'frequency cap: 2 per 604800s on sms'],
    ]);
    expect((await runOf('q3', runs[2].id))!.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['sms:skipped', 'done:exited']);
    // a week later the window has rolled on: a send goes out again
    clock = new Date(clock.getTime() + 7 * 24 * 3600_000 + MINUTE);
    const p = await createTreatingEveryone(em('q3'), 'q3', { name: 'D', steps: [{ id: 'sms', type: 'send', channel: 'sms', body: 'D', next: null }] });
    const later = await enrol('q3', p.playbookId, profile(30));
    await waitFor(async () => (await runOf('q3', later.id))?.status === 'completed');
    expect(await em('q3').find(StepDelivery, { runId: later.id })).toMatchObject([{ status: 'sent' }]);
  });

  it('refuses a bad policy naming the field', async () => {
    await expect(policies('q4').set({ channel: 'email', quietHoursStart: '9pm', quietHoursEnd: '08:00' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.quietHoursStart' } });
  });

  it('sends no (run, step, visit) twice, never in quiet hours and never over the cap, across random worker kills (property, real SQL)', async () => {
    const zone = 'Australia/Lord_Howe';
    const quiet: QuietHours = { start: { hour: 22, minute: 0 }, end: { hour: 1, minute: 45 } };
    let tenantNo = 0;
    await fc.assert(
      fc.asyncProperty(
        // around Lord Howe's April fall-back (+11 → +10:30 at 02:00 local, 2026-04-04T15:00Z)
        fc.integer({ min: Date.UTC(2026, 3, 4, 0), max: Date.UTC(2026, 3, 5, 12) }),
        fc.array(fc.constantFrom('none', 'none', 'before', 'after', 'beforeSave', 'replay'), { minLength: 6, maxLength: 30 }),
        fc.array(fc.nat(1), { minLength: 6, maxLength: 30 }),
        async (start, kills, order) => {
          const tenantId = `qp${++tenantNo}`;
          let now = new Date(start);
          const adapter = new KillableProvider(() => now);
          const collab: PlaybookCollaborators = { ...collaborators, now: () => now, channels: { resolve: () => Promise.resolve(adapter) }, traits: { traitsOf: () => Promise.resolve({ email: 'x@example.com', timezone: zone }) } };
          await policies(tenantId).set({ channel: 'email', quietHoursStart: '22:00', quietHoursEnd: '01:45', capCount: 4, capWindowSeconds: 24 * 3600 });
          const steps = [1, 2, 3].map((i) => ({ id: `s${i}`, type: 'send', channel: 'email', body: `m${i}`, next: i < 3 ? `s${i + 1}` : null }));
          const runIds: string[] = [];
          for (const name of ['P1', 'P2']) {
            const p = await createTreatingEveryone(em(tenantId), tenantId, { name, steps });
            const { runs } = await em(tenantId).transactional((tx) => new PlaybookRunService(tx, tenantId, () => now).enrol([{ playbookId: p.playbookId, profileId: profile(99), enrolledBy: 'prop' }], now));
            runIds.push(runs[0].id);
          }
          let k = 0;
          for (let i = 0; i < 60; i++) {
            const live = [];
            for (const id of runIds) {
              const r = await runOf(tenantId, id);
              if (r && (r.status === 'active' || r.status === 'waiting')) live.push(r);
            }
            if (live.length === 0) break;
            const run = live[order[i % order.length] % live.length];
            const kill = kills[k++ % kills.length];
            const job = { tenantId, runId: run.id, stepId: run.stepId!, visit: run.visit };
            const service = new RunStepService(em(tenantId), tenantId, collab);
            if (kill === 'before' || kill === 'after') adapter.killNext = kill;
            try {
              const taken = await service.take(job);
              if (kill === 'beforeSave' && taken.kind === 'advanced') {
                // the worker died after the outbox commit and before the run's: put the run back
                await em(tenantId).nativeUpdate(PlaybookRun, { id: run.id }, { status: run.status, liveKey: 'live', stepId: run.stepId, visit: run.visit, nextDueAt: run.nextDueAt, enteredAt: run.enteredAt, history: run.history, endReason: null, endedAt: null });
              }
              if (kill === 'replay') expect(await service.take(job)).toMatchObject({ kind: expect.stringMatching(/stale|early/) });
              if (taken.kind === 'early') now = taken.dueAt;
            } catch (err) {
              if (!(err instanceof Killed)) throw err;
              adapter.killNext = null;
            }
            now = new Date(now.getTime() + 10 * MINUTE);
          }
          const rows = await em(tenantId).find(StepDelivery, {}, { orderBy: { id: 'asc' } });
          // every run ended, every send step has exactly one ledger row
          for (const id of runIds) expect((await runOf(tenantId, id))!.status).toBe('completed');
          expect(rows).toHaveLength(6);
          const keys = rows.map((r) => `run:${r.runId}:step:${r.stepId}:${r.visit}`);
          expect(new Set(keys).size).toBe(6);
          // a provider call was only repeated after a kill between the call and its commit, with the same key
          for (const r of rows) {
            const calls = adapter.calls.filter((c) => c.key === `run:${r.runId}:step:${r.stepId}:${r.visit}`);
            expect(calls.length).toBeLessThanOrEqual(r.attempts);
            expect(r.status === 'sent').toBe(adapter.delivered.has(`run:${r.runId}:step:${r.stepId}:${r.visit}`));
          }
          // never in quiet hours, and at most 4 deliveries in any 24 h
          for (const c of adapter.calls) expect(quietAt(c.at, quiet, zone)).toBe(false);
          const first = [...adapter.delivered].map((key) => adapter.calls.find((c) => c.key === key)!.at.getTime()).sort((a, b) => a - b);
          for (const t of first) expect(first.filter((x) => x > t - 24 * 3600_000 && x <= t).length).toBeLessThanOrEqual(4);
          expect(rows.filter((r) => r.status === 'sent')).toHaveLength(Math.min(4, adapter.delivered.size));
          expect(adapter.delivered.size).toBe(4);
        },
      ),
      { numRuns: 10 },
    );
    // ten whole scenarios of real SQL round trips, not a wait for anything
  }, 180_000);
});
