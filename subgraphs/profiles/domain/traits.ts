/** Event time of each trait's current value, epoch ms, stored beside the traits and never exposed. */
export type TraitTimestamps = Record<string, number>;

/** Traits with the time each value was set: the unit of last-write-wins. */
export interface TimedTraits {
  traits: Record<string, unknown>;
  timestamps: TraitTimestamps;
}

/**
 * Applies `incoming` traits observed at `at` (event time, epoch ms), last-write-wins per
 * top-level key by event time, not arrival order: a key keeps its value when it was set by a
 * later event. On a tie the incoming value wins, so re-applying an event changes nothing. A key
 * without a timestamp (set before timestamps were kept) loses to any event. Returns new objects
 * and the keys whose value or time changed.
 */
export function applyTraits(current: TimedTraits, incoming: Record<string, unknown>, at: number): TimedTraits & { changed: string[] } {
  if (!Number.isFinite(at)) throw new RangeError(`applyTraits: at must be a finite epoch ms (at=${at})`);
  const traits = { ...current.traits };
  const timestamps = { ...current.timestamps };
  const changed: string[] = [];
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined || key === '__proto__') continue;
    const setAt = own(timestamps, key) ?? Number.NEGATIVE_INFINITY;
    if (at < setAt) continue;
    if (setAt !== at || !sameJson(traits[key], value)) changed.push(key);
    traits[key] = value;
    timestamps[key] = at;
  }
  return { traits, timestamps, changed };
}

/**
 * Traits of two profiles being merged: per key, the value set by the later event wins; on a
 * tie (or when neither has a time) the survivor's value is kept.
 */
export function mergeTimedTraits(survivor: TimedTraits, merged: TimedTraits): TimedTraits {
  const traits = { ...survivor.traits };
  const timestamps = { ...survivor.timestamps };
  for (const [key, value] of Object.entries(merged.traits)) {
    if (key === '__proto__') continue;
    const theirs = own(merged.timestamps, key);
    const ours = own(timestamps, key);
    if (Object.hasOwn(traits, key) && (theirs ?? Number.NEGATIVE_INFINITY) <= (ours ?? Number.NEGATIVE_INFINITY)) continue;
    traits[key] = value;
    if (theirs === undefined) delete timestamps[key];
    else timestamps[key] = theirs;
  }
  return { traits, timestamps };
}

// own properties only: a trait named `constructor` must not read Object.prototype
function own(timestamps: TraitTimestamps, key: string): number | undefined {
  return Object.hasOwn(timestamps, key) ? timestamps[key] : undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies identify traits one after the other (each observed at its own `at`, epoch ms) with
 * `applyTraits`: the state a profile reaches after a batch's identifies, whatever their order.
 */
export function applyTraitUpdates(current: TimedTraits, updates: readonly { traits: Record<string, unknown>; at: number }[]): TimedTraits {
  let state: TimedTraits = { traits: current.traits, timestamps: current.timestamps };
  for (const { traits, at } of updates) {
    const next = applyTraits(state, traits, at);
    if (next.changed.length) state = { traits: next.traits, timestamps: next.timestamps };
  }
  return state;
}
