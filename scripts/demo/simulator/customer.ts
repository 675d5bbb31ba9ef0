import type { Random } from '../../../subgraphs/common/math/random';
import { GROUND_TRUTH } from './ground-truth';
import { pick } from './draws';

export type Segment = 'student' | 'salaried' | 'affluent';

/** One simulated customer's fixed attributes, drawn once from its own stream. */
export interface Customer {
  index: number;
  userId: string;
  firstName: string;
  email: string;
  phone: string;
  timezone: string;
  segment: Segment;
  /** Day (from the simulation's start) the customer signs up. */
  signUpDay: number;
  /** App sessions a day when free of friction. */
  sessionRate: number;
  /** Card purchases a day when free of friction. */
  purchaseRate: number;
  /** Mean card purchase, in EUR. */
  meanBasket: number;
  /** 0–1: how prone the customer is to friction (bad documents, old phone, thin credit). */
  proneness: number;
  /** τ: the playbook's relative cut in this customer's daily hazard of closing. */
  effect: number;
}

const NAMES = ['Ada', 'Ben', 'Chloé', 'Dev', 'Emma', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kemal', 'Lina', 'Mateo', 'Nora', 'Oskar', 'Priya'];
const ZONES = ['Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Europe/Madrid', 'America/New_York'];
const SEGMENTS: readonly Segment[] = ['student', 'salaried', 'affluent'];

/** Draws customer `index`; sign-ups are spread uniformly over `[0, signUpDays)`. */
export function drawCustomer(random: Random, index: number, signUpDays: number): Customer {
  const segment = pick(random, SEGMENTS, [0.3, 0.5, 0.2]);
  const userId = `c-${String(index + 1).padStart(5, '0')}`;
  const basket = { student: 18, salaried: 45, affluent: 120 }[segment];
  return {
    index,
    userId,
    firstName: pick(random, NAMES),
    email: `${userId}@customers.demo-bank.test`,
    phone: `+4420${String(7_000_000 + index).padStart(8, '0')}`,
    timezone: pick(random, ZONES, [0.3, 0.25, 0.2, 0.15, 0.1]),
    segment,
    signUpDay: Math.floor(random() * signUpDays),
    sessionRate: 0.05 + random() * 0.15,
    purchaseRate: 0.02 + random() * 0.08,
    meanBasket: basket * (0.6 + random() * 0.8),
    proneness: random() ** 2,
    effect: GROUND_TRUTH.effectBySegment[segment],
  };
}
