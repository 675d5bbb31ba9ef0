import { createHash } from 'node:crypto';

import { createActionsSubgraph } from '../../../subgraphs/actions';
import { CONTROL_ARM } from '../../../subgraphs/actions/domain/uplift/assignment';
import { assignExperimentArm } from '../../../subgraphs/actions/domain/uplift/experiment-assignment';
import { ExperimentAssignment } from '../../../subgraphs/actions/entities/experiment-assignment.entity';
import { ExperimentConversion } from '../../../subgraphs/actions/entities/experiment-conversion.entity';
import { Experiment } from '../../../subgraphs/actions/entities/experiment.entity';
import { MeasurementSettingsRepository } from '../../../subgraphs/actions/entities/measurement-settings.repository';
import { PlaybookAssignment } from '../../../subgraphs/actions/entities/playbook-assignment.entity';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { ExperimentService } from '../../../subgraphs/actions/services/experiment.service';
import { MeasurementSettingsService } from '../../../subgraphs/actions/services/measurement-settings.service';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { PlaybookService } from '../../../subgraphs/actions/services/playbook.service';
import { queuePlaybookSteps } from '../../../subgraphs/actions/services/queue-playbook-steps';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { profileMergedInActions } from '../../../subgraphs/actions/workers/profile-merged.worker';
import { PLAYBOOK_STEP, PROFILE_MERGED_ACTIONS } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const HOUR = 3_600_000;
const profile = (n: number) => `01a21227-0000-7000-8000-${String(n).padStart(12, '0')}`;
const sha256 = (m: string) => createHash('sha256').update(m).digest();

/**
 * An A/B/n experiment step run through the real step queue: control and two variants, each arm
 * continuing at its own step (control at the end of the run, with no send), conversions from the
 * playbook-events flow, results, and an automatic winner that routes later enrolments.
 */
describe('experiment step', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email' }),
    traits: { traitsOf: (_t, id) => Promise.resolve({ email: `c${id.slice(-3)}@example.com` }) },
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
  const t = 'x1';
  const enrolAndRun = async (playbookId: string, from: number, count: number): Promise<PlaybookRun[]> => {
    const { runs, steps } = await em(t).transactional((tx) => new PlaybookRunService(tx, t, () => clock).enrol(Array.from({ length: count }, (_, i) => ({ playbookId, profileId: profile(from + i), enrolledBy: 'test' }))));
    await queuePlaybookSteps(actions.deps.queues.get(PLAYBOOK_STEP), steps, clock);
    const live = runs.filter((r) => r.status !== 'held_out').map((r) => r.id);
    await waitFor(async () => (await em(t).count(PlaybookRun, { id: { $in: live }, status: 'completed' })) === live.length, 150_000);
    return runs;
  };

  it('assigns deterministically and stickily, routes each arm to its step, records conversions, computes results and routes later enrolments to the automatic winner', async () => {
    await new MeasurementSettingsService(em(t), t).update({ globalControlFraction: 0 });
    const playbook = await new PlaybookService(em(t), t).create({
      name: 'Offer test',
      holdoutFraction: 0.2,
      steps: [
        {
          id: 'offer',
          type: 'experiment',
          key: 'offer',
          control: { next: null },
          variants: [
            { name: 'a', next: 'send_a' },
            { name: 'b', next: 'send_b' },
          ],
          goal: { event: 'Order Completed', where: [{ property: 'channel', equals: 'app' }], windowSeconds: 7 * 24 * 3600 },
          autoWinner: { minSamplePerArm: 30, alpha: 0.05, mixingSd: 0.1 },
        },
        { id: 'send_a', type: 'send', channel: 'email', body: 'Offer A', next: null },
        { id: 'send_b', type: 'send', channel: 'email', body: 'Offer B', next: null },
      ],
    });
    const [experiment] = await em(t).find(Experiment, { playbookId: playbook.playbookId });
    expect(experiment).toMatchObject({ key: 'offer', playbookVersion: 1, winnerArm: null });

    const runs = await enrolAndRun(playbook.playbookId, 1, 300);
    const heldOut = new Set(runs.filter((r) => r.status === 'held_out').map((r) => r.profileId));
    const log = await em(t).find(ExperimentAssignment, {}, { orderBy: { profileId: 'asc' } });
    // playbook-level holdout never reaches the step; everyone else is assigned once
    expect(log).toHaveLength(300 - heldOut.size);
    expect(log.filter((a) => heldOut.has(a.profileId))).toEqual([]);
    const { salt } = await new MeasurementSettingsRepository(em(t), t).get();
    const arms = [{ arm: CONTROL_ARM, weight: 1 }, { arm: 'a', weight: 1 }, { arm: 'b', weight: 1 }];
    for (const a of log) {
      expect([a.profileId, a.arm]).toEqual([a.profileId, assignExperimentArm(sha256, salt, experiment.id, a.profileId, arms)]);
      expect(a).toMatchObject({ experimentId: experiment.id, afterWinner: false, assignedAt: clock, windowEndsAt: new Date(clock.getTime() + 7 * 24 * HOUR), goalEvent: 'Order Completed' });
    }
    const armOf = new Map(log.map((a) => [a.profileId, a.arm]));
    const byArm = (arm: string) => log.filter((a) => a.arm === arm).map((a) => a.profileId);
    for (const arm of ['control', 'a', 'b']) expect(byArm(arm).length).toBeGreaterThan(50);
    // each arm went to its own step; control got no send at all
    const sends = await em(t).find(StepDelivery, {});
    expect(sends).toHaveLength(byArm('a').length + byArm('b').length);
    for (const s of sends) expect([s.profileId, s.stepId]).toEqual([s.profileId, `send_${armOf.get(s.profileId)}`]);
    expect(provider.of('email').filter((r) => armOf.get(r.message.profileId!) === CONTROL_ARM || heldOut.has(r.message.profileId!))).toEqual([]);
    expect((await em(t).find(PlaybookAssignment, {})).length).toBe(300);

    // re-entry is sticky: a variant-a customer enrolled again goes to send_a again, with one log row
    const again = byArm('a')[0];
    const second = await enrolAndRun(playbook.playbookId, Number(again.slice(-12)), 1);
    expect(await em(t).count(ExperimentAssignment, { profileId: again })).toBe(1);
    expect(await em(t).find(StepDelivery, { runId: second[0].id })).toEqual([expect.objectContaining({ stepId: 'send_a' })]);

    // conversions: b converts 60 %, a and control 10 %; plus events that must not count
    const at = new Date(clock.getTime() + HOUR).toISOString();
    const converting = [...byArm('b').filter((_, i) => i % 5 < 3), ...byArm('a').filter((_, i) => i % 10 === 0), ...byArm(CONTROL_ARM).filter((_, i) => i % 10 === 0)];
    const events = converting.map((p, i) => ({ eventId: `order-${i}`, profileId: p, name: 'Order Completed', properties: { channel: 'app' }, occurredAt: at }));
    events.push({ eventId: 'web-order', profileId: byArm('a')[1], name: 'Order Completed', properties: { channel: 'web' }, occurredAt: at });
    events.push({ eventId: 'before', profileId: byArm('a')[2], name: 'Order Completed', properties: { channel: 'app' }, occurredAt: new Date(clock.getTime() - HOUR).toISOString() });
    events.push({ eventId: 'late', profileId: byArm('a')[3], name: 'Order Completed', properties: { channel: 'app' }, occurredAt: new Date(clock.getTime() + 8 * 24 * HOUR).toISOString() });
    events.push({ eventId: 'second-order', profileId: converting[0], name: 'Order Completed', properties: { channel: 'app' }, occurredAt: at });
    await applyPlaybookEvents({ id: 'e1', data: { tenantId: t, events } }, actions.deps, () => clock);
    await applyPlaybookEvents({ id: 'e1', data: { tenantId: t, events } }, actions.deps, () => clock);
    expect(await em(t).count(ExperimentConversion, {})).toBe(converting.length + 1);

    const report = await new ExperimentService(em(t), t).report(experiment.id);
    const converted = (arm: string) => converting.filter((p) => armOf.get(p) === arm).length;
    expect(report.results.arms.map((a) => [a.arm, a.assigned, a.converted])).toEqual(['control', 'a', 'b'].map((arm) => [arm, byArm(arm).length, converted(arm)]));
    expect(report.results.sampleRatio.mismatch).toBe(false);
    const b = report.results.comparisons.find((c) => c.variant === 'b')!;
    expect(b.status).toBe('measured');
    expect(b.difference!.value).toBeCloseTo(converted('b') / byArm('b').length - converted(CONTROL_ARM) / byArm(CONTROL_ARM).length, 12);
    expect(b.difference!.lower).toBeGreaterThan(0);

    // the look after the batch decided b, once, with what it was decided on
    const decided = (await em(t).findOne(Experiment, { id: experiment.id }, { refresh: true }))!;
    expect(decided).toMatchObject({ winnerArm: 'b', winnerDecidedAt: clock });
    expect(decided.winnerDecision).toMatchObject({ arm: 'b', alphaPerVariant: 0.025, counts: { b: { trials: byArm('b').length, successes: converted('b') } } });
    expect(decided.winnerDecision!.pValue).toBeLessThanOrEqual(0.025);
    expect(decided.sequential.a.looks).toBeGreaterThanOrEqual(1);
    expect(await new ExperimentService(em(t), t).look([experiment.id], new Date(clock.getTime() + HOUR))).toEqual([]);

    // later enrolments: control keeps its share, every other customer goes to b
    await enrolAndRun(playbook.playbookId, 1001, 150);
    const later = await em(t).find(ExperimentAssignment, { afterWinner: true });
    expect(later.length).toBeGreaterThan(80);
    expect(new Set(later.map((a) => a.arm))).toEqual(new Set([CONTROL_ARM, 'b']));
    for (const a of later) expect([a.profileId, a.arm]).toEqual([a.profileId, assignExperimentArm(sha256, salt, experiment.id, a.profileId, arms, 'b')]);
    const laterSends = await em(t).find(StepDelivery, { profileId: { $in: later.map((a) => a.profileId) } });
    expect(new Set(laterSends.map((s) => s.stepId))).toEqual(new Set(['send_b']));
    // the split is still checked against what each assignment was configured to get
    expect((await new ExperimentService(em(t), t).report(experiment.id)).results.sampleRatio.mismatch).toBe(false);
    // another tenant sees none of it
    await expect(new ExperimentService(em('x-other'), 'x-other').report(experiment.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 420_000);

  it('keeps an experiment’s id across playbook versions and takes the new definition', async () => {
    const t2 = 'x2';
    const service = new PlaybookService(em(t2), t2);
    const step = (variants: string[]) => ({ id: 'exp', type: 'experiment', key: 'subject', control: { next: null }, variants: variants.map((name) => ({ name, next: null })), goal: { event: 'Clicked', windowSeconds: 3600 } });
    const v1 = await service.create({ name: 'Subjects', steps: [step(['short', 'long'])] });
    const [before] = await new ExperimentService(em(t2), t2).ofPlaybook(v1.playbookId);
    await service.update(v1.playbookId, { name: 'Subjects', steps: [step(['short', 'long', 'emoji'])] });
    const after = await new ExperimentService(em(t2), t2).ofPlaybook(v1.playbookId);
    expect(after).toHaveLength(1);
    expect(after[0].experiment).toMatchObject({ id: before.experiment.id, playbookVersion: 2 });
    expect(after[0].results.arms.map((a) => a.arm)).toEqual(['control', 'short', 'long', 'emoji']);
    expect(after[0].results.comparisons.every((c) => c.status === 'insufficientSample')).toBe(true);
  });

  it('moves an assignment to the survivor of a merge and counts a conversion sent under the merged-away id for it, once', async () => {
    const t3 = 'x3';
    await new MeasurementSettingsService(em(t3), t3).update({ globalControlFraction: 0 });
    const playbook = await new PlaybookService(em(t3), t3).create({
      name: 'Merge',
      holdoutFraction: 0,
      steps: [{ id: 'exp', type: 'experiment', key: 'merge', control: { next: null }, variants: [{ name: 'a', next: null }, { name: 'b', next: null }], goal: { event: 'Order Completed', windowSeconds: 3600 } }],
    });
    const { steps } = await em(t3).transactional((tx) => new PlaybookRunService(tx, t3, () => clock).enrol([{ playbookId: playbook.playbookId, profileId: profile(5001), enrolledBy: 'test' }]));
    await queuePlaybookSteps(actions.deps.queues.get(PLAYBOOK_STEP), steps, clock);
    await waitFor(async () => (await em(t3).count(ExperimentAssignment, {})) === 1, 30_000);
    await profileMergedInActions({ id: `${t3}-merge`, name: PROFILE_MERGED_ACTIONS, data: { tenantId: t3, profileId: profile(5002), mergedProfileId: profile(5001) } }, actions.deps);
    const batch = { tenantId: t3, events: [{ eventId: 'order-1', profileId: profile(5001), name: 'Order Completed', properties: {}, occurredAt: new Date(clock.getTime() + 60_000).toISOString() }] };
    await applyPlaybookEvents({ id: 'm1', data: batch }, actions.deps, () => clock);
    await applyPlaybookEvents({ id: 'm1', data: batch }, actions.deps, () => clock);
    const assignment = (await em(t3).findOne(ExperimentAssignment, {}))!;
    expect(assignment.profileId).toBe(profile(5002));
    expect(await em(t3).find(ExperimentConversion, {})).toMatchObject([{ assignmentId: assignment.id, profileId: profile(5002), arm: assignment.arm, eventId: 'order-1' }]);
  });
});
