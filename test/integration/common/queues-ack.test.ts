import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import { uuidv7 } from 'uuidv7';

import { ACTIVITY_RECORDED, PLAYBOOK_EVENTS_DONE, Queues, SCORE_FOLLOW_UPS_DONE, SIGNAL_ALERTS_DONE } from '../../../subgraphs/common/queues';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `Queues.ack` on real Redis: what one window of acknowledgements becomes in each queue. */
describe('Queues.ack (real Redis)', () => {
  let redis: Redis;
  let queues: Queues;
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    // a window long enough that only flushAcks sends
    queues = new Queues(redis, `fs-test-${randomBytes(6).toString('hex')}`, false, 60_000);
  });
  afterAll(async () => {
    await queues.close();
    redis.disconnect();
  });

  const ids = (n: number) => Array.from({ length: n }, () => uuidv7());

  it('sends one job per tenant and lane, consumer or tenant, with the ids of the window', async () => {
    const [e1, e2, e3, h1] = ids(4);
    await queues.ack(ACTIVITY_RECORDED, { tenantId: 'a', eventIds: [e1, e2] });
    await queues.ack(ACTIVITY_RECORDED, { tenantId: 'a', eventIds: [e2, e3] });
    await queues.ack(ACTIVITY_RECORDED, { tenantId: 'a', eventIds: [h1], lane: 'history' });
    await queues.ack(ACTIVITY_RECORDED, { tenantId: 'b', eventIds: [e1] });
    await queues.ack(SCORE_FOLLOW_UPS_DONE, { tenantId: 'a', consumer: 'alerts', scoreIds: [e1] });
    await queues.ack(SCORE_FOLLOW_UPS_DONE, { tenantId: 'a', consumer: 'traits', scoreIds: [e2] });
    await queues.ack(SIGNAL_ALERTS_DONE, { tenantId: 'a', signalIds: [e1] });
    await queues.ack(SIGNAL_ALERTS_DONE, { tenantId: 'a', signalIds: [e3] });
    // nothing is sent before the window ends
    expect(await queues.get(ACTIVITY_RECORDED).getJobCounts('waiting')).toEqual({ waiting: 0 });

    await queues.flushAcks();
    const data = async <T>(queue: { getJobs(types: 'waiting'[]): Promise<{ data: T }[]> }) => (await queue.getJobs(['waiting'])).map((j) => j.data);
    expect(await data(queues.get(ACTIVITY_RECORDED))).toEqual(
      expect.arrayContaining([
        { tenantId: 'a', eventIds: [e1, e2, e3] },
        { tenantId: 'a', eventIds: [h1], lane: 'history' },
        { tenantId: 'b', eventIds: [e1] },
      ]),
    );
    expect(await queues.get(ACTIVITY_RECORDED).getJobCounts('waiting')).toEqual({ waiting: 3 });
    expect(await data(queues.get(SCORE_FOLLOW_UPS_DONE))).toEqual(
      expect.arrayContaining([
        { tenantId: 'a', consumer: 'alerts', scoreIds: [e1] },
        { tenantId: 'a', consumer: 'traits', scoreIds: [e2] },
      ]),
    );
    expect(await data(queues.get(SIGNAL_ALERTS_DONE))).toEqual([{ tenantId: 'a', signalIds: [e1, e3] }]);
  });

  it('keeps each playbook-events job’s watermark in a gathered acknowledgement', async () => {
    const [e1, e2] = ids(2);
    const t1 = new Date(1_000).toISOString();
    const t2 = new Date(2_000).toISOString();
    await queues.ack(PLAYBOOK_EVENTS_DONE, { tenantId: 'a', eventIds: [e1], upTo: t1 });
    await queues.ack(PLAYBOOK_EVENTS_DONE, { tenantId: 'a', eventIds: [e1, e2], upTo: t2 });
    await queues.flushAcks();
    const jobs = await queues.get(PLAYBOOK_EVENTS_DONE).getJobs(['waiting']);
    expect(jobs.map((j) => j.data)).toEqual([{ tenantId: 'a', eventIds: [e1], upTo: t1, also: [{ eventIds: [e1, e2], upTo: t2 }] }]);
  });
});
