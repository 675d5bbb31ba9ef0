import { createActionsSubgraph } from '../../../subgraphs/actions';
import { Alert, NO_PROFILE } from '../../../subgraphs/actions/entities/alert.entity';
import { Channel } from '../../../subgraphs/actions/entities/channel.entity';
import { PlaybookAssignment } from '../../../subgraphs/actions/entities/playbook-assignment.entity';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { PlaybookVersion } from '../../../subgraphs/actions/entities/playbook-version.entity';
import { WebhookDelivery } from '../../../subgraphs/actions/entities/webhook-delivery.entity';
import { playbookOf } from '../../../subgraphs/actions/resolvers/playbook.type';
import { GUARDRAIL_END_REASON } from '../../../subgraphs/actions/services/guardrail.service';
import { MeasurementSettingsService } from '../../../subgraphs/actions/services/measurement-settings.service';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { PlaybookService } from '../../../subgraphs/actions/services/playbook.service';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { ALERT_RAISED, type FsPubSub } from '../../../subgraphs/common/pubsub';
import { PLAYBOOK_EVENTS, PLAYBOOK_STEP, type PlaybookEventsBatch } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { listenTo, readyRedisPubSub } from '../../fixtures/pubsub-listener';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const DAY = 86_400_000;
const profile = (n: number) => `01a21226-0000-7000-9000-${String(n).padStart(12, '0')}`;

describe('GuardrailService (auto-pause)', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  let listener: FsPubSub;
  const shutdown = new Shutdown();
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email' }),
    traits: { traitsOf: () => Promise.resolve({}) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    await provider.start();
    env = await createTestEnv();
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
    listener = await readyRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown);
  });
  afterAll(async () => {
    await shutdown.run();
    await actions?.close();
    await env?.cleanup();
    await provider.stop();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);

  /** A playbook with a holdout of 0.5 whose treated runs wait a week; `n` customers enrolled. Returns the arms. */
  async function enrolled(t: string, base: number, n: number) {
    await new MeasurementSettingsService(em(t), t).update({ globalControlFraction: 0 });
    const playbook = await new PlaybookService(em(t), t).create({ name: `Winback ${t}`, holdoutFraction: 0.5, steps: [{ id: 'pause', type: 'wait', seconds: 7 * 86_400, next: null }] });
    const profiles = Array.from({ length: n }, (_, i) => profile(base + i));
    await em(t).transactional((tx) => new PlaybookRunService(tx, t, () => clock).enrol(profiles.map((profileId) => ({ playbookId: playbook.playbookId, profileId, enrolledBy: 'test' }))));
    const log = await em(t).find(PlaybookAssignment, { playbookId: playbook.playbookId }, { orderBy: { profileId: 'asc' } });
    const arm = (name: string) => log.filter((a) => a.arm === name).map((a) => a.profileId);
    return { playbookId: playbook.playbookId, treated: arm('treatment'), control: arm('control') };
  }

  const unsubscribes = (t: string, profileIds: readonly string[], tag: string): PlaybookEventsBatch => ({
    tenantId: t,
    events: profileIds.map((profileId, i) => ({ eventId: `${tag}-${i}`, profileId, name: 'Unsubscribed', properties: {}, occurredAt: new Date(clock.getTime() + DAY).toISOString() })),
  });
  const current = async (t: string, playbookId: string) => (await em(t).findOne(PlaybookVersion, { playbookId, current: true }, { disableIdentityMap: true }))!;

  it('pauses a playbook whose treated arm unsubscribes significantly more, once, ends its live runs, raises one alert, refuses enrolments until resumed', async () => {
    const t = 'g1';
    const { playbookId, treated, control } = await enrolled(t, 1, 200);
    // about 100 per arm (holdout 0.5): loose bounds, beyond 4 sd
    expect(treated.length).toBeGreaterThanOrEqual(70);
    expect(control.length).toBeGreaterThanOrEqual(70);
    expect(await em(t).count(PlaybookRun, { playbookId, status: 'waiting' })).toBe(treated.length);
    // the team hears of the pause as of any alert: on alertRaised and on its alert.raised webhook
    const sub = await listenTo(listener, actions.deps.redis, ALERT_RAISED, t, env.config.queuePrefix);
    const hook = em(t).create(Channel, { tenantId: t, name: 'ops', kind: 'webhook', config: { url: 'https://hooks.example.com/g', subscribe: ['alert.raised'], allowedHosts: [] }, secrets: [] });
    await em(t).persistAndFlush(hook);

    // a third of treated unsubscribe, two of control: through the real queue and worker
    const batch = unsubscribes(t, [...treated.filter((_, i) => i % 3 === 0), ...control.slice(0, 2)], 'u');
    await actions.deps.queues.get(PLAYBOOK_EVENTS).add(PLAYBOOK_EVENTS, batch, { jobId: `${t}-events-u` });
    await waitFor(async () => (await current(t, playbookId)).pausedAt !== null, 60_000);

    // a replay, and another batch after the pause, pause nothing again and raise no second alert
    await applyPlaybookEvents({ id: 'replay', data: batch }, actions.deps, () => clock);
    await applyPlaybookEvents({ id: 'more', data: unsubscribes(t, treated.filter((_, i) => i % 3 === 1), 'v') }, actions.deps, () => clock);

    const version = await current(t, playbookId);
    expect(version.version).toBe(1);
    expect(version.pausedAt).toEqual(clock);
    expect(version.pauseReason).toMatch(/^guardrail events significantly more frequent in treated than in control: treated \d+\.\d% \(\d+\/\d+\) vs control \d+\.\d% \(2\/\d+\), one-sided p = /);
    const alerts = await em(t).find(Alert, {});
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'guardrail', profileId: NO_PROFILE, team: 'cx', severity: 'high', sourceKey: `guardrail-${playbookId}-1` });
    expect(alerts[0].message).toContain(`Playbook "Winback ${t}" paused: guardrail events significantly more frequent`);
    expect(await em('g-other').count(Alert, {})).toBe(0);
    await waitFor(() => sub.events.length > 0);
    expect(sub.events).toEqual([expect.objectContaining({ tenantId: t, alertId: alerts[0].id, type: 'guardrail', team: 'cx', severity: 'high', profileId: NO_PROFILE })]);
    const deliveries = await em(t).find(WebhookDelivery, {});
    expect(deliveries).toEqual([expect.objectContaining({ channelId: hook.id, sourceId: alerts[0].id, eventType: 'alert.raised', idempotencyKey: `alert-${alerts[0].id}-${hook.id}` })]);
    expect(deliveries[0].payload).toMatchObject({ alertId: alerts[0].id, type: 'guardrail', message: alerts[0].message });

    // every treated run ended at once; the held-out runs are untouched
    const runs = await em(t).find(PlaybookRun, { playbookId });
    expect(runs.filter((r) => r.status === 'cancelled' && r.endReason === GUARDRAIL_END_REASON)).toHaveLength(treated.length);
    expect(runs.filter((r) => r.status === 'held_out')).toHaveLength(control.length);
    expect(playbookOf(version)).toMatchObject({ paused: true, pausedAt: clock, pauseReason: version.pauseReason });

    // a paused playbook enrols nobody
    const stepQueue = actions.deps.queues.get(PLAYBOOK_STEP);
    const runService = new PlaybookRunService(em(t), t, () => clock);
    await expect(runService.enrolOne(stepQueue, playbookId, profile(900), 'api:test')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('is paused: guardrail events') });
    expect((await em(t).transactional((tx) => new PlaybookRunService(tx, t, () => clock).enrol([{ playbookId, profileId: profile(901), enrolledBy: 'alert:x' }]))).runs).toEqual([]);

    // resumed: enrols again; guardrails count from the resume, so the old unsubscribes do not pause it again
    const resumedAt = new Date(clock.getTime() + 2 * DAY);
    const resumed = await new PlaybookService(em(t), t).resume(playbookId, resumedAt);
    expect(playbookOf(resumed)).toMatchObject({ paused: false, pausedAt: null, pauseReason: null });
    expect(await new PlaybookService(em(t), t).resume(playbookId, new Date(resumedAt.getTime() + DAY))).toMatchObject({ guardrailsFrom: resumedAt });
    const later = new PlaybookRunService(em(t), t, () => resumedAt);
    expect((await later.enrolOne(stepQueue, playbookId, profile(902), 'api:test')).status).toMatch(/^(waiting|held_out)$/);
    await applyPlaybookEvents({ id: 'after-resume', data: unsubscribes(t, treated.filter((_, i) => i % 3 === 2), 'w') }, actions.deps, () => resumedAt);
    expect((await current(t, playbookId)).pausedAt).toBeNull();
    expect(await em(t).count(Alert, {})).toBe(1);
    // the replays published and delivered nothing twice
    expect(sub.events).toHaveLength(1);
    expect(await em(t).count(WebhookDelivery, {})).toBe(1);
    await sub.stop();
  }, 120_000);

  it('pauses on the providers’ complaint reports too: Message Complained is a default guardrail event', async () => {
    const t = 'g-complaints';
    const { playbookId, treated, control } = await enrolled(t, 1, 200);
    const complaints = unsubscribes(t, [...treated.filter((_, i) => i % 3 === 0), ...control.slice(0, 2)], 'c');
    for (const e of complaints.events) e.name = 'Message Complained';
    await applyPlaybookEvents({ id: 'complaints', data: complaints }, actions.deps, () => clock);
    expect((await current(t, playbookId)).pauseReason).toMatch(/^guardrail events significantly more frequent in treated than in control/);
  });

  it('does not pause a playbook whose arms unsubscribe alike', async () => {
    const t = 'g2';
    const { playbookId, treated, control } = await enrolled(t, 5000, 200);
    // every fifth customer of each arm: equal rates
    const batch = unsubscribes(t, [...treated.filter((_, i) => i % 5 === 0), ...control.filter((_, i) => i % 5 === 0)], 'u');
    expect(await applyPlaybookEvents({ id: 'equal', data: batch }, actions.deps, () => clock)).toBe(0);
    const version = await current(t, playbookId);
    expect([version.pausedAt, version.pauseReason]).toEqual([null, null]);
    expect(await em(t).count(Alert, {})).toBe(0);
    expect(await em(t).count(PlaybookRun, { playbookId, status: 'waiting' })).toBe(treated.length);
  }, 120_000);
});
