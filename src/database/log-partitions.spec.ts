import { partitionBounds, partitionDays, partitionName, utcDay } from './log-partitions';

describe('log partitions', () => {
  it('span a day for a retention up to 30 days, and keep about 30 partitions for longer ones', () => {
    expect([1, 7, 30, 31, 90, 365, 3650].map(partitionDays)).toEqual([1, 1, 1, 2, 3, 13, 122]);
  });

  it('are named after their first UTC day and bounded by the first ids of their first and next day', () => {
    const day = utcDay(new Date('2026-12-03T17:45:00Z'));
    expect(day.toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(partitionName('event_payloads', day)).toBe('event_payloads_p20261203');
    const { low, high } = partitionBounds('attempt_bodies', day, new Date('2026-12-04T00:00:00Z'));
    expect(low).toMatch(/^att_[0-9a-z]{10}$/);
    expect(low < high).toBe(true);
  });
});
