import { AppError } from './errors';

/** Longest period a KPI report covers, in days: a year, leap day included. */
export const KPI_MAX_PERIOD_DAYS = 366;

const DAY_MS = 86_400_000;

/** The period `[from, to)` of a KPI report (issue #13); the tenant comes from the signed context, never from here. */
export interface KpiPeriod {
  from: Date;
  to: Date;
}

/**
 * Checks a KPI period: both instants valid, `from < to`, at most `KPI_MAX_PERIOD_DAYS` long.
 * Throws BAD_USER_INPUT naming the field. Used by the owner's query and by every subgraph's
 * `__resolveReference` (a representation is input too: its dates arrive as strings).
 */
export function kpiPeriodOf(from: unknown, to: unknown): KpiPeriod {
  const start = instantOf(from, 'from');
  const end = instantOf(to, 'to');
  if (!(start < end)) throw new AppError('BAD_USER_INPUT', 'to: must be after from', { field: 'to' });
  if (end.getTime() - start.getTime() > KPI_MAX_PERIOD_DAYS * DAY_MS) {
    throw new AppError('BAD_USER_INPUT', `to: a KPI period is at most ${KPI_MAX_PERIOD_DAYS} days`, { field: 'to' });
  }
  return { from: start, to: end };
}

function instantOf(value: unknown, field: string): Date {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new AppError('BAD_USER_INPUT', `${field}: not a date`, { field });
  return date;
}

/** The `__resolveReference` of a `KpiReport` stub: the period, checked, from the representation. */
export const kpiReportReferenceResolver = {
  KpiReport: { __resolveReference: (ref: { from: unknown; to: unknown }): KpiPeriod => kpiPeriodOf(ref.from, ref.to) },
};
