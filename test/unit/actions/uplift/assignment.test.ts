import { createHash } from 'node:crypto';

import {
  armFractions,
  assignArm,
  CONTROL_ARM,
  digestToUnit,
  globalControlEpoch,
  inGlobalControl,
} from '../../../../subgraphs/actions/domain/uplift/assignment';

const sha256 = (message: string) => createHash('sha256').update(message).digest();
const ids = (count: number) => Array.from({ length: count }, (_, i) => `profile-${i}`);
const SALT = 'tenant-secret-salt';

describe('digestToUnit', () => {
  it('maps 7 bytes to [0, 1) with 53 bits', () => {
    expect(digestToUnit(new Uint8Array(32))).toBe(0);
    expect(digestToUnit(new Uint8Array(32).fill(0xff))).toBe(1 - 2 ** -53);
    // the lowest of the 53 bits is bit 3 of byte 6
    expect(digestToUnit(Uint8Array.from([0, 0, 0, 0, 0, 0, 8]))).toBe(2 ** -53);
    expect(digestToUnit(Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0]))).toBe(0.5);
  });

  it('reads from an offset and refuses a digest too short', () => {
    expect(digestToUnit(Uint8Array.from([0, 0x80, 0, 0, 0, 0, 0, 0]), 1)).toBe(0.5);
    expect(() => digestToUnit(new Uint8Array(10), 8)).toThrow(RangeError);
  });
});

describe('assignArm', () => {
  it('pins the hash input, so a refactor that would move every profile fails here', () => {
    // sha256('["playbook-arm","salt","pb-1","profile-1"]') starts 023dbe6d6953e5 (u = 0.008755)
    // and has 03c3ea6647acc7 at byte 8 (v = 0.014708)
    expect(assignArm(sha256, 'salt', 'pb-1', 'profile-1', 0.1)).toBe(CONTROL_ARM);
    expect(assignArm(sha256, 'salt', 'pb-1', 'profile-1', 0.008)).toBe('treatment');
    expect(assignArm(sha256, 'salt', 'pb-1', 'profile-1', 0, ['a', 'b', 'c'])).toBe('a');
  });

  it('is deterministic and sticky: the same inputs give the same arm on every call', () => {
    const variants = ['a', 'b', 'c'];
    const first = ids(2000).map((id) => assignArm(sha256, SALT, 'pb-1', id, 0.2, variants));
    const again = ids(2000).map((id) => assignArm(sha256, SALT, 'pb-1', id, 0.2, [...variants]));
    expect(again).toEqual(first);
  });

  it('respects the holdout and variant fractions over 100,000 ids (within 0.5 points)', () => {
    const counts: Record<string, number> = {};
    for (const id of ids(100_000)) {
      const arm = assignArm(sha256, SALT, 'pb-1', id, 0.1, ['a', 'b', 'c']);
      counts[arm] = (counts[arm] ?? 0) + 1;
    }
    // binomial sd at n = 100,000 is at most 0.16 points, so 0.5 points is 3 sd
    const expected = armFractions(0.1, ['a', 'b', 'c']);
    for (const arm of Object.keys(expected)) expect(Math.abs(counts[arm] / 100_000 - expected[arm])).toBeLessThan(0.005);
  });

  it('only moves treated profiles into control when the holdout grows, never between variants', () => {
    let moved = 0;
    let wrong = 0;
    for (const id of ids(5000)) {
      const before = assignArm(sha256, SALT, 'pb-1', id, 0.1, ['a', 'b']);
      const after = assignArm(sha256, SALT, 'pb-1', id, 0.3, ['a', 'b']);
      if (before !== after) {
        moved++;
        if (after !== CONTROL_ARM) wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(Math.abs(moved / 5000 - 0.2)).toBeLessThan(0.025);
  });

  it('draws independently per playbook and per salt', () => {
    let bothControl = 0;
    let sameAcrossSalts = 0;
    for (const id of ids(10_000)) {
      const one = assignArm(sha256, SALT, 'pb-1', id, 0.5) === CONTROL_ARM;
      const two = assignArm(sha256, SALT, 'pb-2', id, 0.5) === CONTROL_ARM;
      const otherSalt = assignArm(sha256, 'another-salt', 'pb-1', id, 0.5) === CONTROL_ARM;
      if (one && two) bothControl++;
      if (one === otherSalt) sameAcrossSalts++;
    }
    // independent halves: a quarter in both, half agreeing (sd ≈ 0.45–0.5 points)
    expect(Math.abs(bothControl / 10_000 - 0.25)).toBeLessThan(0.015);
    expect(Math.abs(sameAcrossSalts / 10_000 - 0.5)).toBeLessThan(0.015);
  });

  it('keeps ids with separators apart (no collision through concatenation)', () => {
    const a = Array.from({ length: 64 }, (_, i) => assignArm(sha256, SALT, `pb:${i}`, 'x', 0.5));
    const b = Array.from({ length: 64 }, (_, i) => assignArm(sha256, `${SALT}:pb`, `${i}`, 'x', 0.5));
    expect(a).not.toEqual(b);
  });

  it('treats everyone with a holdout of 0 and no one with a holdout of 1', () => {
    const all = ids(500);
    expect(all.filter((id) => assignArm(sha256, SALT, 'pb-1', id, 0) !== 'treatment')).toEqual([]);
    expect(all.filter((id) => assignArm(sha256, SALT, 'pb-1', id, 1) !== CONTROL_ARM)).toEqual([]);
  });

  it.each([
    ['a holdout above 1', 1.1, ['treatment']],
    ['a negative holdout', -0.1, ['treatment']],
    ['no variants', 0.1, []],
    ['five variants', 0.1, ['a', 'b', 'c', 'd', 'e']],
    ['a variant named control', 0.1, ['control']],
    ['duplicate variants', 0.1, ['a', 'a']],
    ['an empty variant name', 0.1, ['']],
  ])('refuses %s', (_name, holdout, variants) => {
    expect(() => assignArm(sha256, SALT, 'pb-1', 'p', holdout as number, variants as string[])).toThrow(RangeError);
  });
});

describe('armFractions', () => {
  it('gives control the holdout and splits the rest equally', () => {
    expect(armFractions(0.1)).toEqual({ control: 0.1, treatment: 0.9 });
    expect(armFractions(0.2, ['a', 'b'])).toEqual({ control: 0.2, a: 0.4, b: 0.4 });
  });
});

describe('inGlobalControl', () => {
  it('holds out the fraction asked for over 100,000 ids (within 0.3 points)', () => {
    let held = 0;
    for (const id of ids(100_000)) if (inGlobalControl(sha256, SALT, 'tenant-1', id, 0.05, 7)) held++;
    expect(Math.abs(held / 100_000 - 0.05)).toBeLessThan(0.003);
  });

  it('is stable within an epoch and draws a new group when the epoch changes', () => {
    let inFirst = 0;
    let inBoth = 0;
    let unstable = 0;
    for (const id of ids(30_000)) {
      const first = inGlobalControl(sha256, SALT, 'tenant-1', id, 0.1, 7);
      if (inGlobalControl(sha256, SALT, 'tenant-1', id, 0.1, 7) !== first) unstable++;
      if (first) {
        inFirst++;
        if (inGlobalControl(sha256, SALT, 'tenant-1', id, 0.1, 8)) inBoth++;
      }
    }
    expect(unstable).toBe(0);
    // a fresh independent draw keeps only ~10 % of the old group
    expect(Math.abs(inBoth / inFirst - 0.1)).toBeLessThan(0.03);
  });

  it('is independent of the playbook holdout drawn from the same salt', () => {
    let both = 0;
    for (const id of ids(20_000)) {
      if (inGlobalControl(sha256, SALT, 'tenant-1', id, 0.2, 0) && assignArm(sha256, SALT, 'pb-1', id, 0.2) === CONTROL_ARM) {
        both++;
      }
    }
    expect(Math.abs(both / 20_000 - 0.04)).toBeLessThan(0.006);
  });

  it('refuses a fraction outside [0, 1]', () => {
    expect(() => inGlobalControl(sha256, SALT, 't', 'p', 2, 0)).toThrow(RangeError);
  });
});

describe('globalControlEpoch', () => {
  const WEEK = 7 * 24 * 3600 * 1000;
  it('counts whole periods from the anchor', () => {
    const monday = Date.UTC(2026, 0, 5);
    expect(globalControlEpoch(monday, WEEK, monday)).toBe(0);
    expect(globalControlEpoch(monday + WEEK - 1, WEEK, monday)).toBe(0);
    expect(globalControlEpoch(monday + WEEK, WEEK, monday)).toBe(1);
    expect(globalControlEpoch(monday - 1, WEEK, monday)).toBe(-1);
  });

  it('refuses a period that is not positive', () => {
    expect(() => globalControlEpoch(0, 0)).toThrow(RangeError);
  });
});
