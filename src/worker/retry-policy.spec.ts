import { applyRetryAfter, honoursRetryAfter, nextRetryDelayMs } from './retry-policy';

const schedule = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

describe('nextRetryDelayMs', () => {
  it('uses the schedule entry for the attempt just made', () => {
    expect(nextRetryDelayMs(schedule, 1, 0)).toBe(5_000);
    expect(nextRetryDelayMs(schedule, 2, 0)).toBe(300_000);
    expect(nextRetryDelayMs(schedule, 7, 0)).toBe(36_000_000);
  });

  it('is exhausted after schedule.length + 1 attempts', () => {
    expect(nextRetryDelayMs(schedule, 8, 0.2)).toBeNull();
    expect(nextRetryDelayMs(schedule, 100, 0.2)).toBeNull();
    expect(nextRetryDelayMs([], 1, 0.2)).toBeNull();
  });

  it('does not delay the first attempt', () => {
    expect(nextRetryDelayMs(schedule, 0, 0.2)).toBe(0);
  });

  it.each([
    [0, 4_000],
    [0.5, 5_000],
    [0.999999, 6_000],
  ])('with jitter 0.2 and random() = %p gives %p ms', (r, expected) => {
    expect(nextRetryDelayMs(schedule, 1, 0.2, () => r)).toBe(expected);
  });

  it('stays within [1 - jitter, 1 + jitter] of the schedule', () => {
    for (let i = 0; i < 1_000; i += 1) {
      const delay = nextRetryDelayMs(schedule, 2, 0.1);
      expect(delay).toBeGreaterThanOrEqual(270_000);
      expect(delay).toBeLessThanOrEqual(330_000);
    }
  });
});

describe('applyRetryAfter', () => {
  it.each([
    [60_000, null, 60_000],
    [60_000, 1_000, 60_000],
    [60_000, 90_000, 90_000],
    [60_000, 120_000, 120_000],
    [60_000, 3_600_000, 120_000],
    [60_000, 0, 60_000],
  ])('delay %p with Retry-After %p -> %p', (delay, retryAfter, expected) =>
    expect(applyRetryAfter(delay, retryAfter)).toBe(expected),
  );
});

describe('honoursRetryAfter', () => {
  it.each([
    [429, true],
    [503, true],
    [500, false],
    [502, false],
    [200, false],
    [null, false],
  ])('%p -> %p', (status, expected) => expect(honoursRetryAfter(status)).toBe(expected));
});
