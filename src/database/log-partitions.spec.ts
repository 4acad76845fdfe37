import { expectedPartitions, historyPartitionDays, partitionBounds, partitionCountWarning, partitionDays, partitionName, partitionSpans, utcDay } from './log-partitions';

describe('log partitions', () => {
  it('span a day for a retention up to 30 days, and keep about 30 partitions for longer ones', () => {
    expect([1, 7, 30, 31, 90, 365, 3650].map((d) => partitionDays(d))).toEqual([1, 1, 1, 2, 3, 13, 122]);
  });

  it('of the log rows span a sixth of LOG_RETENTION_DAYS (about 10 partitions), or 90 days when they are kept for ever', () => {
    expect([30, 31, 60, 365, 36500].map((d) => historyPartitionDays(d))).toEqual([5, 6, 10, 61, 6084]);
    expect(historyPartitionDays(null)).toBe(90);
    expect(partitionSpans(30, 90)).toEqual({ event_payloads: 1, attempt_bodies: 1, events: 15, deliveries: 15, attempts: 15 });
    expect(partitionCountWarning('deliveries', 12, 30)).toBeNull();
    expect(partitionCountWarning('deliveries', 40, 30)).toBe(
      'deliveries has 40 partitions where LOG_RETENTION_DAYS=30 gives about 10: set the same LOG_RETENTION_DAYS on every process (API and worker)');
  });

  it('are named after their first UTC day and bounded by the first ids of their first and next day', () => {
    const day = utcDay(new Date('2026-12-03T17:45:00Z'));
    expect(day.toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(partitionName('event_payloads', day)).toBe('event_payloads_p20261203');
    const { low, high } = partitionBounds('attempt_bodies', day, new Date('2026-12-04T00:00:00Z'));
    expect(low).toMatch(/^att_[0-9a-z]{10}$/);
    expect(low < high).toBe(true);
  });

  it('warn when a table holds more than twice the partitions its RETENTION_DAYS gives (processes set differently)', () => {
    expect([1, 30, 90, 365].map((d) => expectedPartitions(d))).toEqual([11, 40, 35, 31]);
    // RETENTION_DAYS=30 everywhere: 30 days kept, yesterday, 7 ahead
    expect(partitionCountWarning('event_payloads', 39, 30)).toBeNull();
    // raised from 30 to 365: the daily ones of before stay until they expire, and are fewer than twice 31
    expect(partitionCountWarning('event_payloads', 45, 365)).toBeNull();
    // an API at the default beside workers at 365: a partition a day for a year
    expect(partitionCountWarning('attempt_bodies', 373, 365)).toBe(
      'attempt_bodies has 373 partitions where RETENTION_DAYS=365 gives about 31: set the same RETENTION_DAYS on every process (API and worker)');
  });
});
