import { ACK_MAX_IDS, AckBuffer, type AckKind } from '../../../subgraphs/common/ack-buffer';
import { waitFor } from '../../fixtures/wait-for';

interface Ack {
  tenantId: string;
  ids: string[];
}

const kind: AckKind<Ack> = {
  keyOf: (a) => a.tenantId,
  merge: (held, more) => ({ ...held, ids: [...new Set([...held.ids, ...more.ids])] }),
  size: (a) => a.ids.length,
};

/** A buffer whose sends are recorded (each call = one flush, each ack = one job); `failures` sends throw first. */
function recorded(windowMs: number, failures = 0) {
  const sent: Ack[][] = [];
  const errors: number[] = [];
  let fail = failures;
  const buffer = new AckBuffer<Ack>(
    kind,
    windowMs,
    async (acks) => {
      if (fail-- > 0) throw new Error('redis down');
      sent.push(acks);
    },
    (_err, count) => errors.push(count),
  );
  return { buffer, sent, errors };
}

describe('AckBuffer', () => {
  it('gathers the acks of a window into one per key, ids unioned', async () => {
    const { buffer, sent } = recorded(60_000);
    await buffer.add({ tenantId: 'a', ids: ['1', '2'] });
    await buffer.add({ tenantId: 'b', ids: ['9'] });
    await buffer.add({ tenantId: 'a', ids: ['2', '3'] });
    expect(sent).toEqual([]);
    await buffer.flush();
    expect(sent).toEqual([
      [
        { tenantId: 'a', ids: ['1', '2', '3'] },
        { tenantId: 'b', ids: ['9'] },
      ],
    ]);
    await buffer.flush();
    expect(sent).toHaveLength(1);
  });

  it('sends when its window ends, without a flush', async () => {
    const { buffer, sent } = recorded(20);
    await buffer.add({ tenantId: 'a', ids: ['1'] });
    await buffer.add({ tenantId: 'a', ids: ['2'] });
    await waitFor(() => sent.length === 1);
    expect(sent[0]).toEqual([{ tenantId: 'a', ids: ['1', '2'] }]);
  });

  it('sends each ack at once with a window of 0', async () => {
    const { buffer, sent } = recorded(0);
    await buffer.add({ tenantId: 'a', ids: ['1'] });
    expect(sent).toEqual([[{ tenantId: 'a', ids: ['1'] }]]);
    await buffer.add({ tenantId: 'a', ids: ['2'] });
    expect(sent).toHaveLength(2);
  });

  it('sends a merged ack that reaches the id cap at once', async () => {
    const { buffer, sent } = recorded(60_000);
    await buffer.add({ tenantId: 'a', ids: Array.from({ length: ACK_MAX_IDS - 1 }, (_, i) => `x${i}`) });
    expect(sent).toHaveLength(0);
    await buffer.add({ tenantId: 'a', ids: ['last'] });
    expect(sent).toHaveLength(1);
    expect(sent[0][0].ids).toHaveLength(ACK_MAX_IDS);
    await buffer.flush();
    expect(sent).toHaveLength(1);
  });

  it('holds the acks of a failed send for the next window, merged with newer ones', async () => {
    const { buffer, sent, errors } = recorded(60_000, 1);
    await buffer.add({ tenantId: 'a', ids: ['1'] });
    await buffer.flush();
    expect(errors).toEqual([1]);
    expect(sent).toEqual([]);
    await buffer.add({ tenantId: 'a', ids: ['2'] });
    await buffer.flush();
    expect(sent).toEqual([[{ tenantId: 'a', ids: ['1', '2'] }]]);
  });

  it('sends what it holds on close, and later acks at once', async () => {
    const { buffer, sent } = recorded(60_000);
    await buffer.add({ tenantId: 'a', ids: ['1'] });
    await buffer.close();
    expect(sent).toEqual([[{ tenantId: 'a', ids: ['1'] }]]);
    await buffer.add({ tenantId: 'a', ids: ['2'] });
    expect(sent).toHaveLength(2);
  });
});
