/**
 * Size caps of the traits a client writes directly (`upsertProfile`): the Segment limit of one
 * event (32 KiB) holds for them too, so a profile cannot be grown past what the event stream
 * could give it in one call.
 */
export const TRAITS_LIMITS = {
  /** Most bytes of the traits as JSON text (UTF-8, estimated from keys, strings and scalars). */
  maxBytes: 32 * 1024,
  /** Deepest nesting of objects and arrays. */
  maxDepth: 16,
  /** Longest single string value or key, in characters. */
  maxStringLength: 8 * 1024,
} as const;

export type TraitsLimits = { readonly maxBytes: number; readonly maxDepth: number; readonly maxStringLength: number };

/**
 * Why `traits` is over the caps (naming the path, e.g. `traits.address.line1`), or null. Iterative
 * and stops at the first problem, so a hostile value cannot overflow the stack or cost more than
 * the bytes it carries.
 */
export function traitsSizeProblem(traits: unknown, limits: TraitsLimits = TRAITS_LIMITS, path = 'traits'): string | null {
  let bytes = 0;
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: traits, path, depth: 0 }];
  const over = () => `${path} is larger than ${limits.maxBytes} bytes as JSON`;
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (item.value.length > limits.maxStringLength) return `${item.path} is longer than ${limits.maxStringLength} characters`;
      bytes += Buffer.byteLength(item.value, 'utf8') + 2;
    } else if (typeof item.value !== 'object' || item.value === null) {
      bytes += String(item.value).length;
    } else {
      if (item.depth >= limits.maxDepth) return `${item.path} nests deeper than ${limits.maxDepth} levels`;
      bytes += 2;
      if (Array.isArray(item.value)) {
        item.value.forEach((child, i) => stack.push({ value: child, path: `${item.path}[${i}]`, depth: item.depth + 1 }));
        bytes += item.value.length;
      } else {
        for (const [key, child] of Object.entries(item.value)) {
          if (key.length > limits.maxStringLength) return `${item.path} has a key longer than ${limits.maxStringLength} characters`;
          bytes += Buffer.byteLength(key, 'utf8') + 4;
          stack.push({ value: child, path: `${item.path}.${key}`, depth: item.depth + 1 });
        }
      }
    }
    if (bytes > limits.maxBytes) return over();
  }
  return null;
}
