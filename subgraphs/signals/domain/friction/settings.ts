import { unsafePatternReason } from './safe-pattern';

/**
 * Thresholds and event vocabulary of the friction detectors: documented defaults, and a tenant's
 * JSON overrides merged over them (`FrictionSettings` entity). Pure: no I/O.
 */

/** Retry loop: the same failure event N times within T, with no success in between. */
export interface RetryLoopOptions {
  /** Run this detector. Default true. */
  enabled: boolean;
  /** Failures of one event name within `windowMs` that make a loop. Default 3. */
  minFailures: number;
  /** Window the failures must fall in, ms. Default 600000 (10 minutes). */
  windowMs: number;
  /**
   * Regular expression (case-insensitive) that marks an event name as a failure. Default
   * `(^|\s)(failed|failure|declined|rejected|denied)$` (Segment's "<Object> <Failed>" naming).
   */
  failurePattern: string;
  /** More event names that are failures whatever their name. Default none. */
  failureEvents: string[];
  /**
   * Success events per failure event: one of them ends a run. Besides these, any event whose name
   * starts with the failure's stem (the name without its failure word, e.g. `ID Upload` for
   * `ID Upload Failed`) and is not itself a failure is a success. Default `Payment Failed` and
   * `Checkout Failed` end at `Order Completed`.
   */
  successEvents: Record<string, string[]>;
  /** Failure events this detector leaves alone (e.g. handled by a journey). Default none. */
  ignoreEvents: string[];
}

/** Negative feedback: a detractor NPS, a low CSAT, or a low-rated survey. */
export interface NegativeFeedbackOptions {
  /** Run this detector. Default true. */
  enabled: boolean;
  nps: {
    /** Event names carrying an NPS answer. Default `NPS Submitted`. */
    events: string[];
    /** Property with the 0–10 score. Default `score`. */
    scoreProperty: string;
    /** Highest score that is a detractor. Default 6 (NPS: 0–6 detractor, 7–8 passive, 9–10 promoter). */
    maxDetractorScore: number;
  };
  csat: {
    /** Event names carrying a CSAT answer. Default `CSAT Submitted`. */
    events: string[];
    /** Property with the 1–5 score. Default `score`. */
    scoreProperty: string;
    /** Highest score that is negative. Default 2. */
    maxLowScore: number;
  };
  survey: {
    /** Event names of other rated surveys. Default `Survey Submitted`, `Survey Completed`. */
    events: string[];
    /** Property with the rating. Default `rating`. */
    ratingProperty: string;
    /** Property with the top of the rating scale. Default `scale`. */
    scaleProperty: string;
    /** Top of the scale when the event does not say. Default 5. */
    defaultScale: number;
    /** Highest rating ÷ scale that is negative. Default 0.4 (1 or 2 of 5). */
    maxLowRatio: number;
  };
}

/** N events of a kind within T (support tickets, client errors). */
export interface BurstOptions {
  /** Run this detector. Default true. */
  enabled: boolean;
  /** Event names counted. */
  events: string[];
  /** Events within `windowMs` that make a burst. */
  minEvents: number;
  /** Window, ms. */
  windowMs: number;
}

/** Rage clicks: rapid repeated clicks on one element. */
export interface RageClickOptions extends BurstOptions {
  /** Properties naming the clicked element, first present wins. Default `element`, `selector`, `elementId`. */
  elementProperties: string[];
}

/** Inactivity drop: recent activity far below the customer's own baseline (Poisson test). */
export interface InactivityDropOptions {
  /** Run this detector. Default true. */
  enabled: boolean;
  /** Recent window, days. Default 7. */
  recentDays: number;
  /** Baseline window before the recent one, days. Default 56. */
  baselineDays: number;
  /** History (first event to the start of the recent window) needed before judging, days. Default 21. */
  minHistoryDays: number;
  /** Baseline events needed before judging. Default 20. */
  minBaselineEvents: number;
  /** Flag only when recent ÷ expected is at most this. Default 0.3. */
  maxRatio: number;
  /** Flag only when P(X ≤ recent | baseline rate) is below this. Default 0.01. */
  alpha: number;
}

export interface FrictionConfig {
  retryLoop: RetryLoopOptions;
  negativeFeedback: NegativeFeedbackOptions;
  /** Default: `Ticket Created`, 3 within 7 days. */
  supportBurst: BurstOptions;
  /** Default: `Error Occurred`, 5 within 10 minutes. */
  errorBurst: BurstOptions;
  /** Default: `Element Clicked`, 4 clicks on one element within 2 seconds. */
  rageClick: RageClickOptions;
  inactivityDrop: InactivityDropOptions;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The documented defaults (README, "Friction signals"). */
export const FRICTION_DEFAULTS: Readonly<FrictionConfig> = Object.freeze({
  retryLoop: {
    enabled: true,
    minFailures: 3,
    windowMs: 10 * MINUTE,
    failurePattern: '(^|\\s)(failed|failure|declined|rejected|denied)$',
    failureEvents: [],
    successEvents: { 'Payment Failed': ['Order Completed'], 'Checkout Failed': ['Order Completed'] },
    ignoreEvents: [],
  },
  negativeFeedback: {
    enabled: true,
    nps: { events: ['NPS Submitted'], scoreProperty: 'score', maxDetractorScore: 6 },
    csat: { events: ['CSAT Submitted'], scoreProperty: 'score', maxLowScore: 2 },
    survey: {
      events: ['Survey Submitted', 'Survey Completed'],
      ratingProperty: 'rating',
      scaleProperty: 'scale',
      defaultScale: 5,
      maxLowRatio: 0.4,
    },
  },
  supportBurst: { enabled: true, events: ['Ticket Created'], minEvents: 3, windowMs: 7 * DAY },
  errorBurst: { enabled: true, events: ['Error Occurred'], minEvents: 5, windowMs: 10 * MINUTE },
  rageClick: {
    enabled: true,
    events: ['Element Clicked'],
    elementProperties: ['element', 'selector', 'elementId'],
    minEvents: 4,
    windowMs: 2000,
  },
  inactivityDrop: {
    enabled: true,
    recentDays: 7,
    baselineDays: 56,
    minHistoryDays: 21,
    minBaselineEvents: 20,
    maxRatio: 0.3,
    alpha: 0.01,
  },
});

/** A merged configuration, or what is wrong with the overrides (paths and reasons). */
export type FrictionConfigResult = { config: FrictionConfig; problems: [] } | { config: null; problems: string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep-merges `overrides` over the defaults, checking each value against the type and range of
 * the default it replaces. Objects merge key by key; arrays, numbers, strings and booleans
 * replace; `successEvents` (a free-form map) replaces as a whole. Unknown keys are problems.
 */
export function resolveFrictionConfig(overrides: unknown, defaults: Readonly<FrictionConfig> = FRICTION_DEFAULTS): FrictionConfigResult {
  const problems: string[] = [];
  if (overrides != null && !isObject(overrides)) return { config: null, problems: ['overrides: must be an object'] };
  const merged = mergeInto(structuredClone(defaults) as unknown as Record<string, unknown>, overrides ?? {}, '', problems);
  if (problems.length) return { config: null, problems };
  const config = merged as unknown as FrictionConfig;
  const unsafe = unsafePatternReason(config.retryLoop.failurePattern);
  if (unsafe) problems.push(`retryLoop.failurePattern: ${unsafe}`);
  for (const [key, value] of Object.entries(config.retryLoop.successEvents)) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length > 255)) problems.push(`retryLoop.successEvents.${key}: must be a list of event names`);
  }
  for (const ratio of ['maxRatio', 'alpha'] as const) {
    const v = config.inactivityDrop[ratio];
    if (!(v > 0 && v < 1)) problems.push(`inactivityDrop.${ratio}: must be between 0 and 1 (exclusive)`);
  }
  return problems.length ? { config: null, problems } : { config, problems: [] };
}

/** Keys whose value is a free-form map replaced as a whole. */
const OPAQUE_MAPS = new Set(['retryLoop.successEvents']);
/** Numbers that may be zero; every other number must be positive. */
const NON_NEGATIVE = new Set(['negativeFeedback.nps.maxDetractorScore', 'negativeFeedback.csat.maxLowScore']);

function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>, path: string, problems: string[]): Record<string, unknown> {
  for (const [key, value] of Object.entries(over)) {
    const at = path ? `${path}.${key}` : key;
    // own keys only: `__proto__` or `constructor` would otherwise reach Object.prototype
    if (!Object.hasOwn(base, key)) {
      problems.push(`${at}: unknown setting`);
      continue;
    }
    const current = base[key];
    if (OPAQUE_MAPS.has(at)) {
      if (!isObject(value)) problems.push(`${at}: must be an object`);
      else base[key] = value;
    } else if (isObject(current)) {
      if (!isObject(value)) problems.push(`${at}: must be an object`);
      else base[key] = mergeInto(current, value, at, problems);
    } else if (Array.isArray(current)) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 255)) {
        problems.push(`${at}: must be a list of non-empty strings`);
      } else base[key] = [...new Set(value as string[])];
    } else if (typeof current === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`${at}: must be a number`);
      else if (NON_NEGATIVE.has(at) ? value < 0 : value <= 0) problems.push(`${at}: must be ${NON_NEGATIVE.has(at) ? 'zero or more' : 'positive'}`);
      else base[key] = value;
    } else if (typeof value !== typeof current) {
      problems.push(`${at}: must be a ${typeof current}`);
    } else base[key] = value;
  }
  return base;
}
