/** One page of profile ids to evaluate, and the last id of it when another page may follow. */
export interface IdPage {
  ids: string[];
  next: string | null;
}

/**
 * One page of a chain from several id-ordered streams, each read with `limit` after the same
 * cursor: their union in id order, cut at `limit`. Every id below the page's last one is in one of
 * the streams, so the next page starts after it; another page may follow when a stream came back
 * full or the union overflowed.
 */
export function mergeIdPages(streams: readonly (readonly string[])[], limit: number): IdPage {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mergeIdPages: limit must be a positive integer (limit=${limit})`);
  const merged = [...new Set(streams.flat())].sort();
  const ids = merged.slice(0, limit);
  const more = streams.some((s) => s.length === limit) || merged.length > limit;
  return { ids, next: more && ids.length ? ids[ids.length - 1] : null };
}

/** A page read from one id-ordered stream: another may follow when it came back full. */
export function fullPage(ids: string[], limit: number): IdPage {
  return { ids, next: ids.length === limit ? ids[ids.length - 1] : null };
}
