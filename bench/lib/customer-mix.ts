// The events one simulated customer sends, in the order an app would: what the pipeline benchmark
// posts to `/v1/batch`. Pure: seeded randomness, timestamps relative to a given `now`.
import { createSeededRandom } from '../../subgraphs/common/math/random';

/** Segment-format events of one customer (about 10), oldest first. */
export interface Customer {
  userId: string;
  events: Record<string, unknown>[];
}

const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'ES'];

/**
 * A customer's last ten minutes: an `identify` with traits (plan, seats, country, signup date),
 * two `Screen Viewed`, three `ID Upload Failed` within a minute (a retry loop: a friction signal on
 * the third), one or two `Order Completed` with revenue, a `Ticket Created` and an `NPS Submitted`
 * (score 0–10; 0–6 is a detractor, another signal). 9–10 events, every messageId unique to `runId`.
 */
export function customerEvents(runId: string, index: number, now: number, seed = index): Customer {
  const random = createSeededRandom(seed + 1);
  const userId = `${runId}-u${index}`;
  const events: Record<string, unknown>[] = [];
  let n = 0;
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const base = (type: string, minutesAgo: number) => ({ type, messageId: `${userId}-${++n}`, userId, timestamp: at(minutesAgo) });
  const track = (event: string, minutesAgo: number, properties: Record<string, unknown> = {}) => events.push({ ...base('track', minutesAgo), event, properties });
  events.push({
    ...base('identify', 9),
    traits: {
      plan: PLANS[Math.floor(random() * PLANS.length)],
      seats: 1 + Math.floor(random() * 20),
      country: COUNTRIES[Math.floor(random() * COUNTRIES.length)],
      signedUpAt: at(60 * 24 * (1 + Math.floor(random() * 300))),
    },
  });
  track('Screen Viewed', 8.5, { screen: 'onboarding' });
  track('Screen Viewed', 8, { screen: 'id_upload' });
  for (let attempt = 1; attempt <= 3; attempt++) track('ID Upload Failed', 7.5 - attempt * 0.3, { reason: 'blurry', attempt });
  const orders = random() < 0.5 ? 2 : 1;
  for (let o = 0; o < orders; o++) track('Order Completed', 5 - o, { orderId: `${userId}-o${o}`, revenue: Math.round((15 + random() * 120) * 100) / 100, currency: 'USD' });
  track('Ticket Created', 2, { subject: 'ID upload keeps failing', priority: random() < 0.3 ? 'high' : 'normal' });
  track('NPS Submitted', 1, { score: Math.floor(random() * 11) });
  return { userId, events };
}
