import { randomUUID } from 'node:crypto';

import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { NpsKpisService } from '../../../subgraphs/signals/services/nps-kpis.service';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const FROM = new Date('2026-06-01T00:00:00Z');
const TO = new Date(FROM.getTime() + 14 * DAY);
const at = (days: number) => new Date(FROM.getTime() + days * DAY);
const DEFAULTS = { npsEvent: 'NPS Submitted', npsProperty: 'score' };

/** The signals part of `kpis`: NPS and its weekly trend from seeded survey events, against hand-computed numbers. */
describe('NpsKpisService', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
  }, 120_000);
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const em = (tenantId: string) => forkForTenant(signals.deps.orm, tenantId);
  async function seed(tenantId: string, rows: { answers: unknown[]; at: Date; name?: string; type?: 'track' | 'page'; property?: string }[]): Promise<void> {
    const fork = em(tenantId);
    for (const r of rows) {
      for (const answer of r.answers) {
        fork.create(Event, {
          tenantId,
          messageId: randomUUID(),
          type: r.type ?? 'track',
          name: r.name ?? 'NPS Submitted',
          properties: answer === undefined ? {} : { [r.property ?? 'score']: answer },
          timestamp: r.at,
          receivedAt: r.at,
        });
      }
    }
    await fork.flush();
  }
  const times = (n: number, answer: unknown) => Array.from({ length: n }, () => answer);

  it('counts promoters, passives and detractors of the period, with the score per week', async () => {
    const t = 'nps-a';
    await seed(t, [
      // week 0: 20 promoters (10), 10 passives (8), 10 detractors (3): NPS 25 (one answer exactly at `from`)
      { answers: [10], at: FROM },
      { answers: [...times(19, 10), ...times(10, 8), ...times(10, 3)], at: at(2) },
      // week 1: 6 promoters (9), 12 passives (7), 12 detractors (0, one sent as text): NPS −20
      { answers: [...times(6, 9), ...times(12, 7), ...times(11, 0), '0'], at: at(9.5) },
      // not responses: out of range, not whole, not a number, missing
      { answers: [11, 7.5, 'great', null, undefined, -1], at: at(3) },
      // outside the period, another event, a page view of the same name
      { answers: times(5, 0), at: at(-1) },
      { answers: times(5, 0), at: TO },
      { answers: times(5, 0), at: at(4), name: 'CSAT Submitted' },
      { answers: times(5, 0), at: at(4), type: 'page' },
    ]);
    // another tenant's survey, all detractors, in the same weeks
    await seed('nps-b', [{ answers: times(50, 1), at: at(1) }]);

    const nps = await new NpsKpisService(em(t), t, DEFAULTS).of({ from: FROM, to: TO });
    expect(nps).toMatchObject({ responses: 70, promoters: 26, passives: 22, detractors: 22, sampleNote: null });
    expect(nps.score).toBeCloseTo((4 / 70) * 100, 12);
    expect(nps.byWeek).toEqual([
      { weekStart: FROM, responses: 40, score: 25 },
      { weekStart: at(7), responses: 30, score: -20 },
    ]);

    const b = await new NpsKpisService(em('nps-b'), 'nps-b', DEFAULTS).of({ from: FROM, to: TO });
    expect(b).toMatchObject({ responses: 50, promoters: 0, detractors: 50, score: -100 });
  });

  it('reads the configured event and property, and says when the sample is too small', async () => {
    const t = 'nps-c';
    await seed(t, [
      { answers: [...times(3, 10), 6], at: at(1), name: 'Survey Answered', property: 'nps rating' },
      { answers: times(40, 10), at: at(1) },
    ]);
    const nps = await new NpsKpisService(em(t), t, { npsEvent: 'Survey Answered', npsProperty: 'nps rating' }).of({ from: FROM, to: TO });
    expect(nps).toEqual({
      responses: 4,
      promoters: 3,
      passives: 0,
      detractors: 1,
      score: null,
      byWeek: [{ weekStart: FROM, responses: 4, score: null }],
      sampleNote: '4 survey responses; at least 30 are needed',
    });
  });
});
