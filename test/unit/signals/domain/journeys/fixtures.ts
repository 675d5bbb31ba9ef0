import { parseJourneyDefinition, type JourneySpec } from '../../../../../subgraphs/signals/domain/journeys/definition';
import { matchJourneyEvent, type JourneyEventRecord } from '../../../../../subgraphs/signals/domain/journeys/progress';

export const T0 = Date.parse('2026-11-25T09:00:00Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** The bank-onboarding journey of the issue. */
export const ONBOARDING: JourneySpec = parseJourneyDefinition({
  name: 'Account opening',
  steps: [
    { key: 'started', event: 'Account Opening Started', slaMs: 2 * HOUR },
    { key: 'id_upload', event: 'ID Uploaded', failureEvents: ['ID Upload Failed'], slaMs: 2 * HOUR },
    { key: 'details', event: 'Details Submitted', conditions: [{ property: 'form.valid', equals: true }], slaMs: 4 * HOUR },
    { key: 'opened', event: 'Account Opened' },
  ],
  slaMs: 48 * HOUR,
  retryLoop: { count: 3, windowMs: 10 * MIN },
  sessionTimeoutMs: 30 * MIN,
});

/** One matched event `min` minutes after T0 (ids sort in time order by default). */
export function ev(name: string, min: number, id?: string, properties: Record<string, unknown> = {}, spec = ONBOARDING): JourneyEventRecord {
  const match = matchJourneyEvent(spec, { name, properties });
  if (!match) throw new Error(`${name} matches nothing`);
  return { eventId: id ?? `e-${String(Math.round(min * 1000)).padStart(9, '0')}-${name}`, timestamp: new Date(T0 + min * MIN), ...match };
}

export const names = (events: JourneyEventRecord[]) =>
  new Map(events.map((e) => [e.eventId, e.eventId.replace(/^e-\d+-/, '')]));

/** Every permutation-free reordering we test: reversed and a fixed shuffle. */
export function shuffled<T>(xs: T[]): T[][] {
  const reversed = [...xs].reverse();
  const interleaved = [...xs.filter((_, i) => i % 2 === 1), ...xs.filter((_, i) => i % 2 === 0)];
  return [reversed, interleaved];
}
