/**
 * How new assessments extend score histories: a history keeps one row per change, and each row
 * names the row it follows (unique), so two writers cannot both append after the same row.
 */

/** The parts of a stored score an assessment is compared with. */
export interface StoredAssessment {
  id: string;
  probability: number;
  modelId: string | null;
  modelVersion: number | null;
  clv: number | null;
  pAlive: number | null;
  scoredAt: Date;
}

/** The parts of a new assessment that decide whether it is a change. */
export interface NewAssessment {
  probability: number;
  model: { id: string | null; version: number | null };
  clv?: number | null;
  pAlive?: number | null;
}

/** Same probability from the same model version, and the same CLV: not a change worth a history row. */
export function isSameAssessment(previous: StoredAssessment, input: NewAssessment): boolean {
  return (
    Math.abs(previous.probability - input.probability) < 1e-9 &&
    previous.modelId === input.model.id &&
    previous.modelVersion === input.model.version &&
    previous.clv === (input.clv ?? null) &&
    previous.pAlive === (input.pAlive ?? null)
  );
}

/** What `follows` says on the first row of a history. */
export function firstRowKey(kind: string, subject: string): string {
  return `first-${kind}-${subject}`;
}

export interface HistoryPlan<I, P extends StoredAssessment> {
  /** Rows still current, to be re-dated to `scoredAt` (their ids), grouped by that time (ms). */
  redate: Map<number, string[]>;
  /** Assessments that are changes: a new row each, after `previous` (null: the first). */
  append: { input: I; previous: P | null }[];
  /** Assessments equal to the head (re-dated or not): the head is the current score. */
  unchanged: { input: I; previous: P }[];
}

/**
 * Sorts assessments into re-dates and appends, given the head of each history (`headOf` by the
 * input's subject). A re-date only moves a row forward in time.
 */
export function planHistory<I extends NewAssessment & { scoredAt: Date }, P extends StoredAssessment>(
  inputs: readonly I[],
  headOf: (input: I) => P | null,
): HistoryPlan<I, P> {
  const plan: HistoryPlan<I, P> = { redate: new Map(), append: [], unchanged: [] };
  for (const input of inputs) {
    const previous = headOf(input);
    if (previous && isSameAssessment(previous, input)) {
      plan.unchanged.push({ input, previous });
      if (input.scoredAt > previous.scoredAt) {
        const at = input.scoredAt.getTime();
        plan.redate.set(at, [...(plan.redate.get(at) ?? []), previous.id]);
      }
      continue;
    }
    plan.append.push({ input, previous });
  }
  return plan;
}

/**
 * The head of each subject's history among rows nobody follows: the latest by time, then id
 * (several heads exist only for rows written before `follows`, or after histories were merged).
 */
export function headsBySubject<P extends StoredAssessment>(unfollowed: readonly P[], subjectOf: (row: P) => string): Map<string, P> {
  const heads = new Map<string, P>();
  for (const row of unfollowed) {
    const subject = subjectOf(row);
    const best = heads.get(subject);
    if (!best || row.scoredAt > best.scoredAt || (row.scoredAt.getTime() === best.scoredAt.getTime() && row.id > best.id)) heads.set(subject, row);
  }
  return heads;
}
