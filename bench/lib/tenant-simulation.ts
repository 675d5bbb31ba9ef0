// A simulated subscription tenant for the scoring benchmark: rows for risk's own tables, built in
// memory (seeded, so every run scores the same history).
import { uuidv7 } from 'uuidv7';

import { createSeededRandom } from '../../subgraphs/common/math/random';
import type { ActivityEvent } from '../../subgraphs/risk/entities/activity-event.entity';
import type { ActivitySignal } from '../../subgraphs/risk/entities/activity-signal.entity';
import { round2 } from './report';

const DAY = 86_400_000;
const FEATURES = ['Feature Used', 'Feature Used', 'Feature Used', 'Report Exported', 'Screen Viewed'];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];

/** What `simulateTenant` returns: rows ready for `em.insertMany`, and the profile ids they belong to. */
export interface SimulatedTenant {
  profileIds: string[];
  events: Partial<ActivityEvent>[];
  signals: Partial<ActivitySignal>[];
  /** Profiles that cancelled (the churn label's positives). */
  churners: number;
}

/**
 * A subscription business (adapted from test/integration/risk/churn-model.test.ts), ending at
 * `now` (epoch ms): customers joined 120–160 days ago and use the product 0.25–0.7 times a day,
 * 12% of it orders with revenue; 30% cancel at some point, fading out and hitting friction in the
 * weeks before; some loyal customers hit friction too (a fifth of them within the last 30 days).
 */
export function simulateTenant(tenantId: string, profiles: number, now: number): SimulatedTenant {
  const random = createSeededRandom(42);
  const events: Partial<ActivityEvent>[] = [];
  const signals: Partial<ActivitySignal>[] = [];
  const profileIds: string[] = [];
  let churners = 0;
  const event = (profileId: string, name: string, t: number, revenue: number | null = null, type: 'track' | 'identify' = 'track', traits: Record<string, unknown> = {}) =>
    events.push({ tenantId, profileId, eventId: uuidv7(), type, name: type === 'identify' ? null : name, timestamp: new Date(t), revenue, traits });
  const signal = (profileId: string, type: string, severity: number, t: number, summary: string) =>
    signals.push({ tenantId, profileId, signalId: uuidv7(), type, severity: round2(severity), detectedAt: new Date(t), journeyInstanceId: null, summary });
  for (let p = 0; p < profiles; p++) {
    const profileId = uuidv7();
    profileIds.push(profileId);
    const start = now - (120 + random() * 40) * DAY;
    const cancelAt = random() < 0.3 ? now - (3 + random() * 110) * DAY : Infinity;
    const rate = 0.25 + random() * 0.45; // events a day
    event(profileId, '', start, null, 'identify', { plan: PLANS[Math.floor(random() * PLANS.length)], seats: 1 + Math.floor(random() * 20) });
    for (let t = start + DAY * random(); t < Math.min(now, cancelAt); t += (-Math.log(1 - random()) / rate) * DAY) {
      if (cancelAt - t < 25 * DAY && random() < 0.6) continue; // churners fade out
      if (random() < 0.12) event(profileId, 'Order Completed', t, round2(15 + random() * 120));
      else event(profileId, FEATURES[Math.floor(random() * FEATURES.length)], t);
    }
    if (cancelAt < now) {
      churners++;
      event(profileId, 'Subscription Cancelled', cancelAt);
      const frictions = 1 + Math.floor(random() * 3);
      for (let i = 0; i < frictions; i++) {
        const type = random() < 0.5 ? 'retry_loop' : 'support_burst';
        signal(profileId, type, 0.5 + random() * 0.5, cancelAt - random() * 20 * DAY, type === 'retry_loop' ? '3 failed ID uploads in 10 min' : '3 tickets in 7 days');
      }
    } else if (random() < 0.2) {
      signal(profileId, 'retry_loop', 0.5 + random() * 0.3, now - random() * (random() < 0.2 ? 30 : 100) * DAY, '3 failed ID uploads in 10 min');
    }
  }
  return { profileIds, events, signals, churners };
}

/** What `ModelService.requestTraining` is given for the simulated tenant (the churn-model integration test's settings). */
export const CHURN_SETTINGS: Record<string, unknown> = {
  label: { kind: 'event', event: 'Subscription Cancelled', withinDays: 30 },
  events: ['Feature Used', 'Report Exported'],
  traits: [],
  signalTypes: null,
  purchaseEvent: 'Order Completed',
  snapshotDates: null,
  snapshotEveryDays: 14,
  snapshotCount: 6,
  holdoutFraction: 0.3,
  l2: 1,
};
