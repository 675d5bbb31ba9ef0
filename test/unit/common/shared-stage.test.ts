import { SharedStageTracker } from '../../../subgraphs/common/shared-stage';

describe('SharedStageTracker', () => {
  it('is not shared while one tenant and lane gives the stage work, however often', () => {
    const tracker = new SharedStageTracker(5_000);
    for (let t = 0; t < 10_000; t += 100) tracker.saw('acme\u0000live', t);
    expect(tracker.isShared(10_000)).toBe(false);
  });

  it('is shared while a second tenant, or the same tenant’s other lane, had work within the window', () => {
    const tracker = new SharedStageTracker(5_000);
    tracker.saw('acme\u0000live', 0);
    tracker.saw('beta\u0000live', 1_000);
    expect(tracker.isShared(5_000)).toBe(true);
    const lanes = new SharedStageTracker(5_000);
    lanes.saw('acme\u0000live', 0);
    lanes.saw('acme\u0000history', 0);
    expect(lanes.isShared(100)).toBe(true);
  });

  it('stops being shared once the other tenant has been quiet longer than the window', () => {
    const tracker = new SharedStageTracker(5_000);
    tracker.saw('beta\u0000live', 0);
    tracker.saw('acme\u0000live', 4_000);
    expect(tracker.isShared(5_000)).toBe(true);
    tracker.saw('acme\u0000live', 5_001);
    expect(tracker.isShared(5_001)).toBe(false);
    // beta comes back: shared again at once
    tracker.saw('beta\u0000live', 6_000);
    expect(tracker.isShared(6_000)).toBe(true);
  });
});
