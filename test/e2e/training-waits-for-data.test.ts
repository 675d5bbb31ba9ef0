import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

/** The CDNOW sample of Fader, Hardie & Lee (2005); this test posts its first 300 customers. */
const SAMPLE = join(__dirname, '..', '..', 'data', 'cdnow', 'CDNOW_sample.txt');
const CUSTOMERS = 300;

function purchases(): { userId: string; timestamp: string; revenue: number }[] {
  return readFileSync(SAMPLE, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s+/))
    .filter(([, id]) => Number(id) <= CUSTOMERS)
    .map(([, id, date, , dollars]) => ({ userId: `cdnow-${id}`, timestamp: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T12:00:00Z`, revenue: Number(dollars) }));
}

describe('fitLifetimeModel right after a history was posted through /v1/batch', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('cdnow-e2e', ['events:write', 'admin']);
  }, 120_000);
  afterAll(() => stack?.stop());

  it('waits for every purchase to reach risk, then fits on every customer', async () => {
    const rows = purchases();
    const batches: (typeof rows)[] = [];
    for (let i = 0; i < rows.length; i += 100) batches.push(rows.slice(i, i + 100));
    const url = stack.gateway.url.replace(/\/graphql$/, '/v1/batch');
    for (const [b, batch] of batches.entries()) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${admin}:`).toString('base64')}` },
        body: JSON.stringify({
          batch: batch.map((p, i) => ({
            type: 'track',
            event: 'Order Completed',
            userId: p.userId,
            timestamp: p.timestamp,
            messageId: `cdnow-${b}-${i}`,
            properties: { revenue: p.revenue },
          })),
        }),
      });
      expect(res.status).toBe(200);
    }

    // at once, as a user would: the history is still on its way through the pipeline
    const fit = await gql(
      stack.gateway.url,
      `mutation { fitLifetimeModel(input: { calibrationEnd: "1997-09-30T00:00:00Z", timeUnit: WEEKS }) { id status } }`,
      {},
      bearer(admin),
    );
    expect(fit.errors).toBeUndefined();
    const id = fit.data!.fitLifetimeModel.id as string;
    const seen = new Set<string>();
    const modelOf = async () => (await gql(stack.gateway.url, `query($id: ID!) { model(id: $id) { status metrics error } }`, { id }, bearer(admin))).data?.model;
    await waitFor(
      async () => {
        const model = await modelOf();
        seen.add(model?.status);
        return model?.status === 'READY' || model?.status === 'FAILED';
      },
      120_000,
      100,
    );
    const model = await modelOf();
    expect(model.error).toBeNull();
    expect(model.status).toBe('READY');
    const customers = new Set(rows.map((r) => r.userId)).size;
    expect(model.metrics).toMatchObject({ customersUsed: customers, eventsUsed: rows.length, dataWait: { caughtUp: true } });
    console.log(`statuses seen: ${[...seen].join(' → ')}; waited ${model.metrics.dataWait.waitedMs} ms for ${rows.length} purchases of ${customers} customers`);
  }, 180_000);
});
