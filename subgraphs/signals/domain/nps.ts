/**
 * Net Promoter Score of survey answers (Reichheld 2003, "The One Number You Need to Grow", HBR):
 * answers 0–10; promoters 9–10, passives 7–8, detractors 0–6; NPS = (promoters − detractors) /
 * responses × 100, from −100 to 100. Answers that are not a whole number 0–10 are not responses.
 */

/** Fewest responses an NPS (overall or of one week) is shown for. Default 30. */
export const NPS_MIN_RESPONSES = 30;

/** Survey answers counted by week of the period and by raw answer (as SQL groups them). */
export interface NpsAnswerCount {
  /** Whole weeks since the period's start: 0 for [from, from + 7 d). */
  week: number;
  /** The answer as stored: a number, or text holding one; anything else is not a response. */
  answer: unknown;
  count: number;
}

export interface NpsWeek {
  weekStart: Date;
  responses: number;
  /** Null below the minimum sample. */
  score: number | null;
}

export interface NpsKpi {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** NPS over the period, −100…100; null below the minimum sample. */
  score: number | null;
  /** Every week of the period that has a response, oldest first. */
  byWeek: NpsWeek[];
  sampleNote: string | null;
}

const WEEK_MS = 7 * 86_400_000;

/** The 0–10 answer, or null when the stored value is not one. */
export function npsAnswerOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 10 ? n : null;
}

/** The NPS part of the KPI report from answers counted per week since `from`. */
export function npsKpi(counts: readonly NpsAnswerCount[], from: Date, minResponses = NPS_MIN_RESPONSES): NpsKpi {
  const total = { promoters: 0, passives: 0, detractors: 0 };
  const weeks = new Map<number, { promoters: number; passives: number; detractors: number }>();
  for (const c of counts) {
    const answer = npsAnswerOf(c.answer);
    if (answer === null || c.count <= 0) continue;
    const group = answer >= 9 ? 'promoters' : answer >= 7 ? 'passives' : 'detractors';
    total[group] += c.count;
    const week = weeks.get(c.week) ?? { promoters: 0, passives: 0, detractors: 0 };
    week[group] += c.count;
    weeks.set(c.week, week);
  }
  const responses = total.promoters + total.passives + total.detractors;
  return {
    responses,
    ...total,
    score: scoreOf(total, minResponses),
    byWeek: [...weeks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([week, w]) => ({ weekStart: new Date(from.getTime() + week * WEEK_MS), responses: w.promoters + w.passives + w.detractors, score: scoreOf(w, minResponses) })),
    sampleNote: responses < minResponses ? `${responses} survey responses; at least ${minResponses} are needed` : null,
  };
}

function scoreOf(g: { promoters: number; passives: number; detractors: number }, minResponses: number): number | null {
  const n = g.promoters + g.passives + g.detractors;
  return n >= minResponses ? ((g.promoters - g.detractors) / n) * 100 : null;
}
