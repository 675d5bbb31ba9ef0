import { matchesSignal } from '../../../../../subgraphs/signals/domain/friction/signal-filter';

describe('matchesSignal', () => {
  it.each([
    ['no criteria', undefined, true],
    ['a matching type', { types: ['retry_loop'] }, true],
    ['another type', { types: ['stall'] }, false],
    ['severity at the minimum', { minSeverity: 0.5 }, true],
    ['severity below the minimum', { minSeverity: 0.6 }, false],
    ['both criteria', { types: ['retry_loop'], minSeverity: 0.4 }, true],
  ])('%s', (_name, criteria, matches) => {
    expect(matchesSignal({ type: 'retry_loop', severity: 0.5 }, criteria)).toBe(matches);
  });
});
