import { GateFullError, KeyedConcurrencyGate } from '../../../subgraphs/common/keyed-concurrency-gate';

/** A piece of work that finishes when the test says so. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

describe('KeyedConcurrencyGate', () => {
  it('runs at most `limit` items of a key at once, the rest in arrival order, and other keys freely', async () => {
    const gate = new KeyedConcurrencyGate(2);
    const started: string[] = [];
    const works = ['a1', 'a2', 'a3', 'a4'].map((name) => ({ name, ...held() }));
    const runs = works.map((w) =>
      gate.run('acme', async () => {
        started.push(w.name);
        await w.done;
      }),
    );
    const other = held();
    const beta = gate.run('beta', async () => {
      started.push('b1');
      await other.done;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual(['a1', 'a2', 'b1']);
    expect(gate.load('acme')).toEqual({ active: 2, waiting: 2 });
    works[1].finish();
    await runs[1];
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    works[0].finish();
    await runs[0];
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
    for (const w of works) w.finish();
    other.finish();
    await Promise.all([...runs, beta]);
    expect(gate.load('acme')).toEqual({ active: 0, waiting: 0 });
  });

  it('frees the slot when the work throws', async () => {
    const gate = new KeyedConcurrencyGate(1);
    await expect(gate.run('acme', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run('acme', async () => 'ran')).resolves.toBe('ran');
    expect(gate.load('acme')).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses at once past the waiting bound, and never runs the refused work', async () => {
    const gate = new KeyedConcurrencyGate(1, 1);
    const first = held();
    const running = gate.run('acme', () => first.done);
    const waiting = gate.run('acme', async () => 'second');
    let ranThird = false;
    await expect(
      gate.run('acme', async () => {
        ranThird = true;
      }),
    ).rejects.toBeInstanceOf(GateFullError);
    first.finish();
    await running;
    await expect(waiting).resolves.toBe('second');
    expect(ranThird).toBe(false);
  });

  it('lets everything run with a limit of 0', async () => {
    const gate = new KeyedConcurrencyGate(0);
    const works = [held(), held(), held()];
    let started = 0;
    const runs = works.map((w) =>
      gate.run('acme', async () => {
        started++;
        await w.done;
      }),
    );
    await Promise.resolve();
    expect(started).toBe(3);
    for (const w of works) w.finish();
    await Promise.all(runs);
  });

  it('takes a limit that changes while items run: a slot above a lowered limit closes when its item leaves', async () => {
    let limit = 2;
    const gate = new KeyedConcurrencyGate(() => limit);
    const [a, b, c, d] = [held(), held(), held(), held()];
    const started: string[] = [];
    const run = (name: string, w: ReturnType<typeof held>) =>
      gate.run('acme', async () => {
        started.push(name);
        await w.done;
      });
    const runs = [run('a', a), run('b', b), run('c', c), run('d', d)];
    await Promise.resolve();
    expect(started).toEqual(['a', 'b']);
    // another tenant arrived: one at a time from now on
    limit = 1;
    a.finish();
    await runs[0];
    // a's slot closed (two were running, the limit is one): c still waits
    expect(started).toEqual(['a', 'b']);
    b.finish();
    await runs[1];
    await waitForStart(started, 3);
    expect(started).toEqual(['a', 'b', 'c']);
    expect(gate.load('acme')).toEqual({ active: 1, waiting: 1 });
    limit = 2;
    c.finish();
    await runs[2];
    await waitForStart(started, 4);
    d.finish();
    await runs[3];
    expect(gate.load('acme')).toEqual({ active: 0, waiting: 0 });
  });
});

/** Lets the awaiting chains run until `n` items have started (a handed-over slot resumes a promise). */
async function waitForStart(started: readonly string[], n: number): Promise<void> {
  for (let i = 0; i < 10 && started.length < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
