import { correctClockSkew } from '../../../../../subgraphs/signals/domain/events/clock-skew';

const at = (iso: string) => new Date(iso);

describe('correctClockSkew', () => {
  it.each([
    // a device clock 3 hours fast: the event waited 10 s on the device before it was sent
    ['moves a fast clock back by its skew', '2026-11-25T15:00:00Z', '2026-11-25T15:00:10Z', '2026-11-25T12:00:20Z', '2026-11-25T12:00:10.000Z'],
    ['moves a slow clock forward', '2026-11-24T12:00:00Z', '2026-11-24T12:00:05Z', '2026-11-25T12:00:05Z', '2026-11-25T12:00:00.000Z'],
    ['keeps a correct clock as is', '2026-11-25T12:00:00Z', '2026-11-25T12:00:01Z', '2026-11-25T12:00:01Z', '2026-11-25T12:00:00.000Z'],
    ['keeps the sent timestamp without sentAt', '2020-01-01T00:00:00Z', null, '2026-11-25T12:00:00Z', '2020-01-01T00:00:00.000Z'],
    ['uses receivedAt without a timestamp', null, '2026-11-25T15:00:10Z', '2026-11-25T12:00:00Z', '2026-11-25T12:00:00.000Z'],
    ['uses receivedAt without either', null, null, '2026-11-25T12:00:00Z', '2026-11-25T12:00:00.000Z'],
  ])('%s', (_name, original, sent, received, expected) => {
    const corrected = correctClockSkew({
      originalTimestamp: original ? at(original) : null,
      sentAt: sent ? at(sent) : null,
      receivedAt: at(received),
    });
    expect(corrected.toISOString()).toBe(expected);
  });
});
