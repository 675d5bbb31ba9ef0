import type { FrictionEvent } from '../../../../../subgraphs/signals/domain/friction/events';

export const PROFILE = '01a21226-0000-7000-8000-0000000000aa';
export const T0 = Date.parse('2026-11-25T10:00:00Z');

let seq = 0;
/** An event `seconds` after T0 (ids sort in creation order). */
export function ev(name: string, seconds: number, properties: Record<string, unknown> = {}): FrictionEvent {
  seq++;
  return { id: `e${String(seq).padStart(5, '0')}`, name, timestamp: new Date(T0 + seconds * 1000), properties };
}
