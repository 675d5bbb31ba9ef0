import { Queue, UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import {
  EVALUATE_SEGMENTS,
  SET_COMPUTED_TRAITS,
  queueOptions,
  type EventToResolve,
  type SetComputedTraitsJob,
} from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { resolveEvent } from '../../../subgraphs/profiles/workers/resolve-identity.worker';
import { setComputedTraits } from '../../../subgraphs/profiles/workers/set-computed-traits.worker';
import { resolveJob } from '../../fixtures/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const track = (tenantId: string, over: Partial<EventToResolve>): EventToResolve => resolveJob(tenantId, { name: 'Viewed', ...over });

describe('setComputedTraits', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  let evaluate: Queue;

  beforeAll(async () => {
    env = await createTestEnv();
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    evaluate = new Queue(EVALUATE_SEGMENTS, queueOptions(profiles.deps.redis, env.config.queuePrefix));
  });
  afterAll(async () => {
    await evaluate?.close();
    await profiles?.close();
    await env?.cleanup();
  });

  const resolve = async (data: EventToResolve) => (await resolveEvent(data, profiles.deps))!;
  const push = (id: string, data: SetComputedTraitsJob) => setComputedTraits({ id, data }, profiles.deps);
  const computedOf = async (tenantId: string, id: string) =>
    (await forkAcrossTenants(profiles.deps.orm).findOneOrFail(Profile, { tenantId, id })).computedTraits;

  it('stores pushed traits under their namespace, kept when events recompute the built-ins', async () => {
    const t = 'push';
    const { profileId } = await resolve(track(t, { userId: 'u-1' }));
    await push('risk-1', { tenantId: t, profileId, source: 'risk', traits: { bucket: 'MEDIUM', score: 61 } });
    await push('risk-2', { tenantId: t, profileId, source: 'risk', traits: { bucket: 'HIGH' } });
    await resolve(track(t, { userId: 'u-1' }));
    expect(await computedOf(t, profileId)).toMatchObject({ eventCount: 2, risk: { bucket: 'HIGH', score: 61 } });
    // segments are re-evaluated after the push, once per push job
    expect((await evaluate.getJob(`${t}-${profileId}-risk-risk-2`))?.data).toEqual({ tenantId: t, profileId });
  });

  it('follows a merged id to the survivor, and a merge keeps namespaces only the merged profile had', async () => {
    const t = 'merged';
    const anon = await resolve(track(t, { anonymousId: 'a-1' }));
    await push('nps-1', { tenantId: t, profileId: anon.profileId, source: 'nps', traits: { score: 9 } });
    await resolve(track(t, { userId: 'u-1' }));
    const user = await resolve(track(t, { userId: 'u-1', anonymousId: 'a-1' }));
    expect(user.mergedIds).toEqual([anon.profileId]);
    expect(await push('risk-1', { tenantId: t, profileId: anon.profileId, source: 'risk', traits: { bucket: 'LOW' } })).toBe(user.profileId);
    expect(await computedOf(t, user.profileId)).toMatchObject({ nps: { score: 9 }, risk: { bucket: 'LOW' } });
  });

  it.each<[string, Partial<SetComputedTraitsJob>]>([
    ['a built-in namespace', { source: 'eventCounts' }],
    ['a malformed namespace', { source: 'Risk Bucket' }],
    ['a profile id that is not a UUID', { profileId: 'p-1' }],
    ['traits that are not an object', { traits: [] as unknown as Record<string, unknown> }],
    ['an unknown profile', { profileId: uuidv7() }],
  ])('rejects %s as unrecoverable', async (_name, over) => {
    const data = { tenantId: 'bad', profileId: uuidv7(), source: 'risk', traits: {}, ...over };
    await expect(push('bad', data)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('consumes jobs from the real queue', async () => {
    const t = 'queue';
    const { profileId } = await resolve(track(t, { userId: 'u-1' }));
    const queue = new Queue<SetComputedTraitsJob>(SET_COMPUTED_TRAITS, queueOptions(profiles.deps.redis, env.config.queuePrefix));
    try {
      await queue.add(SET_COMPUTED_TRAITS, { tenantId: t, profileId, source: 'risk', traits: { bucket: 'HIGH' } }, { jobId: `${t}-${profileId}-risk-1` });
      await waitFor(async () => ((await computedOf(t, profileId)).risk as { bucket?: string } | undefined)?.bucket === 'HIGH');
    } finally {
      await queue.close();
    }
  });
});
